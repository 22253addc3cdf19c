"""Scoring coded output against gold events (files shaped like ../shared/data/events/).

Gold line: ``{"id", "text", "events": [{"code", "source", "target"}], "spans_available"}``; ``code`` is a
PentaClass name ("PENTA3_...") or a CAMEO code; ``source``/``target`` are text spans or actor codes.
Predicted events come from ``eventcoder code`` output with the same ids; negated events are not counted.

- class: per sentence, the multiset of PentaClass labels (all gold lines count).
- dyad: (source, target) pairs; triple: (source, target, class). Only lines whose gold actors were
  annotated (``spans_available`` not false) count. A text actor matches when the predicted actor's text
  (or, for a pronoun or "the ministry", its antecedent's text) and the gold span share a content
  word; a code actor when the predicted code starts with it. A gold target of null matches only a
  predicted target of null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

STOP = {
    "the",
    "a",
    "an",
    "of",
    "in",
    "and",
    "'s",
    "’s",
    "s",
    "’",
    "'",
    "on",
    "for",
    "to",
    "at",
    "by",
    "its",
    "their",
    "his",
    "her",
}
PENTA_ROOTS = {
    0: ("01", "02"),
    1: ("03", "04", "05"),
    2: ("06", "07", "08"),
    3: ("09", "10", "11", "12", "13", "16"),
    4: ("14", "15", "17", "18", "19", "20"),
}
ROOT_TO_PENTA = {root: k for k, roots in PENTA_ROOTS.items() for root in roots}


def penta(code: str) -> int:
    m = re.match(r"PENTA(\d)", code)
    if m:
        return int(m.group(1))
    if re.fullmatch(r"\d{3,4}", code):
        return ROOT_TO_PENTA[code[:2]]
    raise ValueError(f"unknown event code {code!r}")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w’']+", text.lower()) if w not in STOP}


def actor_matches(pred: dict[str, Any] | None, gold: str | None) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    if re.fullmatch(r"[A-Z]{3,}", gold):
        return str(pred.get("code", "")).startswith(gold)
    texts = [pred.get("text", ""), (pred.get("antecedent") or {}).get("text", "")]
    return any(_words(t) & _words(gold) for t in texts)


def _load(path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: malformed JSON: {exc.msg}") from exc
                out[str(obj["id"])] = obj
    return out


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | int]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "tp": tp,
        "predicted": n_pred,
        "gold": n_gold,
    }


def _greedy(preds: list[Any], golds: list[Any], same: Callable[[Any, Any], bool]) -> int:
    used: set[int] = set()
    tp = 0
    for p in preds:
        for j, g in enumerate(golds):
            if j not in used and same(p, g):
                used.add(j)
                tp += 1
                break
    return tp


def evaluate_events(gold_path: Path, output_path: Path) -> dict[str, Any]:
    gold, pred = _load(gold_path), _load(output_path)
    missing = [k for k in gold if k not in pred]
    totals = {k: [0, 0, 0] for k in ("class", "dyad", "triple")}
    for gid, g in gold.items():
        pevents = [e for e in pred.get(gid, {}).get("events", []) if not e.get("negated")]
        gevents = g.get("events", [])
        _add(
            totals["class"],
            [penta(e["cameo"]) for e in pevents],
            [penta(e["code"]) for e in gevents],
            lambda a, b: a == b,
        )
        if g.get("spans_available") is False:
            continue
        gev = [e for e in gevents if e.get("source") is not None]
        _add(totals["dyad"], pevents, gev, _same_dyad)
        _add(totals["triple"], pevents, gev, _same_triple)
    scores: dict[str, Any] = {k: _prf(v[0], v[1], v[2]) for k, v in totals.items()}
    scores["sentences"] = len(gold)
    scores["sentences_missing_from_output"] = len(missing)
    return scores


def _same_dyad(p: dict[str, Any], q: dict[str, Any]) -> bool:
    return actor_matches(p["source"], q["source"]) and actor_matches(p["target"], q.get("target"))


def _same_triple(p: dict[str, Any], q: dict[str, Any]) -> bool:
    return _same_dyad(p, q) and penta(p["cameo"]) == penta(q["code"])


def _add(total: list[int], preds: list[Any], golds: list[Any], same: Callable[[Any, Any], bool]) -> None:
    total[0] += _greedy(preds, golds, same)
    total[1] += len(preds)
    total[2] += len(golds)


def format_scores(scores: dict[str, Any]) -> str:
    lines = [f"{'':8} {'P':>7} {'R':>7} {'F1':>7} {'tp':>6} {'pred':>6} {'gold':>6}"]
    for key in ("class", "dyad", "triple"):
        s = scores[key]
        prf = f"{s['precision']:7.3f} {s['recall']:7.3f} {s['f1']:7.3f}"
        lines.append(f"{key:8} {prf} {s['tp']:6} {s['predicted']:6} {s['gold']:6}")
    lines.append(
        f"sentences: {scores['sentences']} (missing from output: {scores['sentences_missing_from_output']})"
    )
    return "\n".join(lines)
