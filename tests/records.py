"""Hand-built article records in the shape ``eventcoder code`` writes, for store, API and export tests."""

from __future__ import annotations

from typing import Any

from eventcoder import SCHEMA_VERSION

QUAD = {"01": 1, "02": 1, "03": 1, "04": 1, "05": 1, "06": 2, "07": 2, "08": 2, "09": 3, "10": 3, "11": 3,
        "12": 3, "13": 3, "14": 3, "15": 4, "16": 4, "17": 4, "18": 4, "19": 4, "20": 4}  # fmt: skip


def actor(text: str, start: int, code: str, country: str | None = None) -> dict[str, Any]:
    return {"text": text, "span": [start, start + len(text)], "code": code,
            "country": country if country is not None else code[:3], "sector": code[3:6] or None,
            "entry_ids": [], "antecedent": None}  # fmt: skip


def event(
    eid: str, text: str, source: str, trigger: str, target: str | None, cameo: str, day: str | None,
    status: str = "asserted", reported_by: tuple[str, ...] = (), disputed_by: tuple[str, ...] = (),
    place: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An event whose source, trigger and target are the first occurrences of those words in ``text``."""
    src_word, tgt_word = source.split(":")[0], target.split(":")[0] if target else None
    code = lambda spec: spec.split(":")[-1]  # noqa: E731 -- "Russia:RUS" -> RUS
    root = cameo[:2]
    return {
        "id": eid,
        "source": actor(src_word, text.index(src_word), code(source)),
        "target": actor(tgt_word, text.index(tgt_word), code(target)) if target and tgt_word else None,
        "cameo": cameo, "cameo_label": f"label {cameo}", "cameo_root": root, "quad_class": QUAD[root],
        "goldstein": -5.0 if QUAD[root] > 2 else 3.0,
        "plover": {"event": "REQUEST" if root == "02" else "CONSULT" if root == "04" else "ACCUSE",
                   "mode": None, "context": None},
        "trigger": {"text": trigger, "span": [text.index(trigger), text.index(trigger) + len(trigger)]},
        "sentence_index": 0, "sentence": text, "negated": status == "negated", "modality": "asserted",
        "date": day, "date_source": "article", "date_text": None,
        "location": {"name": place, "country": "ITA", "lat": 41.9, "lon": 12.5, "span": [0, 0]}
        if place else None,
        "said_by": None, "status": status, "reported_by": list(reported_by), "disputed_by": list(disputed_by),
        "pattern_id": "p:test",
    }  # fmt: skip


def attribution(
    aid: str, text: str, speaker: str, cue: str, content: str, code: str | None
) -> dict[str, Any]:
    s, c, q = text.index(speaker), text.index(cue), text.index(content)
    return {
        "id": aid,
        "speaker": {"text": speaker, "span": [s, s + len(speaker)], "name": speaker, "code": code,
                    "kind": "government" if code else "anonymous"},
        "cue": {"text": cue, "span": [c, c + len(cue)]},
        "content": {"text": content, "span": [q, q + len(content)], "form": "indirect"},
        "channel": None, "via": [], "date": None,
    }  # fmt: skip


def article(
    aid: str, text: str, day: str | None = "2022-03-14", url: str | None = None, title: str | None = None,
    events: list[dict[str, Any]] | None = None, attributions: list[dict[str, Any]] | None = None,
    claims: list[dict[str, str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "schema_version": SCHEMA_VERSION, "id": aid, "title": title, "date": day, "url": url, "byline": None,
        "events": events or [], "attributions": attributions or [], "claims": claims or [], "text": text,
    }  # fmt: skip


AID_TEXT = (
    "Officials said Russia asked China for military aid. China's embassy denied the report. "
    "Sullivan met Yang in Rome on Monday."
)


def aid_story(
    aid: str = "story-1", url: str | None = "https://www.example.org/a/1/?utm_source=x"
) -> dict[str, Any]:
    """Russia asks China (attributed, then denied), and a meeting in Rome: the shape of the defining story."""
    t = AID_TEXT
    return article(
        aid, t, url=url, title="Russia asked China for aid, officials say",
        events=[
            event("e1", t, "Russia:RUS", "asked", "China:CHN", "0232", "2022-03-13", "denied",
                  ("a1",), ("a2",)),
            event("e2", t, "Sullivan:USAGOV", "met", "Yang:CHNGOV", "044", "2022-03-14", place="Rome"),
        ],
        attributions=[
            attribution("a1", t, "Officials", "said", "Russia asked China for military aid", None),
            attribution("a2", t, "China's embassy", "denied", "the report", "CHNGOV"),
        ],
        claims=[{"from": "a2", "to": "a1", "relation": "denies"}],
    )  # fmt: skip
