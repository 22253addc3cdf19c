"""Flat, JSON-ready output records (schema documented in docs/output-schema.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventcoder import SCHEMA_VERSION
from eventcoder.dictionaries import CameoCode
from eventcoder.types import Actor, Document, Event


def event_record(e: Event, cameo: dict[str, CameoCode]) -> dict[str, Any]:
    info = cameo[e.cameo]
    return {
        "id": e.id,
        "source": e.source.to_json(),
        "target": e.target.to_json() if e.target else None,
        "cameo": e.cameo,
        "cameo_label": info.label,
        "cameo_root": info.root,
        "quad_class": info.quad_class,
        "goldstein": info.goldstein,
        "plover": info.plover,
        "trigger": {"text": e.trigger_text, "span": [e.trigger_start, e.trigger_end]},
        "sentence_index": e.sentence_index,
        "sentence": e.sentence,
        "negated": e.negated,
        "modality": e.modality,
        "date": e.date.isoformat() if e.date else None,
        "date_source": e.date_source,
        "date_text": e.date_text,
        "location": e.location.to_json() if e.location else None,
        "said_by": e.said_by.to_json() if e.said_by else None,
        "status": e.status,
        "reported_by": list(e.reported_by),
        "disputed_by": list(e.disputed_by),
        "pattern_id": e.pattern_id,
    }


def attribution_record(a: Any, speaker: Actor | None, said_on: date | None) -> dict[str, Any]:
    record: dict[str, Any] = a.to_json()
    if record["speaker"] is not None:
        record["speaker"].pop("head_token", None)
        record["speaker"]["code"] = speaker.code if speaker else None
    for via in record["via"]:
        via.pop("head_token", None)
    record["date"] = said_on.isoformat() if said_on else None
    return record


def article_record(d: Document, cameo: dict[str, CameoCode], include_text: bool = True) -> dict[str, Any]:
    a = d.article
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": a.id,
        "title": a.title,
        "date": a.date.isoformat() if a.date else None,
        "url": a.url,
        "byline": a.byline,
        "events": [event_record(e, cameo) for e in d.events],
        "attributions": [
            attribution_record(a, actor, said)
            for a, (actor, said) in zip(d.attributions, d.speakers, strict=True)
        ],
        "claims": [c.to_json() for c in d.claims],
    }
    if include_text:
        record["text"] = a.text
    return record
