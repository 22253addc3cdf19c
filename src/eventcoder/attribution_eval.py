"""Scoring predicted quote attributions against PolNeAR-shaped gold (../shared/data/attribution/).

Gold line: ``{"id", "text", "quotes": [{"speaker_char_span", "cue_char_span", "content_char_span", ...}]}``
with ``[start, end)`` character offsets (a span may be null). Predicted line: ``{"id", "attributions":
[{"speaker": {"span": [s, e]} | null, "cue": {"span": [s, e]}, "content": {"span": [s, e]}, ...}]}``.

- Per role (speaker, cue, content): precision, recall and F1 of spans, one-to-one, under two criteria:
  ``exact`` (same start and end) and ``overlap`` (the spans share at least one character; pairs are
  matched greediest overlap first). A null span (e.g. an attribution with no stated speaker) is not a
  span: it counts neither as predicted nor as gold.
- ``attribution``: whole attributions, one-to-one, under the overlap criterion: a predicted attribution
  matches a gold one when its cue, content and speaker each overlap the gold role's span, a null speaker
  matching only a null speaker.
Articles missing from the predictions count as predicting nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROLES = ("speaker", "cue", "content")
Span = tuple[int, int]
Triple = tuple[Span | None, Span | None, Span | None]


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: malformed JSON: {exc.msg}") from exc


def _span(value: Any) -> Span | None:
    if isinstance(value, dict):
        value = value.get("span")
    if not value or len(value) != 2 or value[1] <= value[0]:
        return None
    return int(value[0]), int(value[1])


def gold_triples(article: dict[str, Any]) -> list[Triple]:
    """(speaker, cue, content) spans of a gold article's quotes."""
    return [
        (_span(q.get("speaker_char_span")), _span(q.get("cue_char_span")), _span(q.get("content_char_span")))
        for q in article.get("quotes", [])
    ]


def pred_triples(line: dict[str, Any]) -> list[Triple]:
    """(speaker, cue, content) spans of a predicted line's attributions."""
    return [
        (_span(a.get("speaker")), _span(a.get("cue")), _span(a.get("content"))) for a in line["attributions"]
    ]


def overlap(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _match_exact(preds: list[Span], golds: list[Span]) -> int:
    left: dict[Span, int] = {}
    for g in golds:
        left[g] = left.get(g, 0) + 1
    tp = 0
    for p in preds:
        if left.get(p, 0) > 0:
            left[p] -= 1
            tp += 1
    return tp


def _match_greedy(n_pred: int, n_gold: int, weight: Callable[[int, int], int]) -> int:
    """One-to-one matching of positively weighted pairs, heaviest pair first."""
    pairs = [(w, i, j) for i in range(n_pred) for j in range(n_gold) if (w := weight(i, j)) > 0]
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    return len(used_p)


def _match_overlap(preds: list[Span], golds: list[Span]) -> int:
    return _match_greedy(len(preds), len(golds), lambda i, j: overlap(preds[i], golds[j]))


def _role_overlap(p: Span | None, g: Span | None) -> int:
    if p is None or g is None:
        return 1 if p is None and g is None else 0
    return overlap(p, g)


def _attribution_weight(p: Triple, g: Triple) -> int:
    parts = [_role_overlap(a, b) for a, b in zip(p, g, strict=True)]
    return sum(parts) if all(parts) else 0


def _match_attributions(preds: list[Triple], golds: list[Triple]) -> int:
    return _match_greedy(len(preds), len(golds), lambda i, j: _attribution_weight(preds[i], golds[j]))


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | int]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp,
            "predicted": n_pred, "gold": n_gold}  # fmt: skip


def _new_totals() -> dict[str, list[int]]:
    keys = [f"{role}_{crit}" for role in ROLES for crit in ("exact", "overlap")] + ["attribution"]
    return {k: [0, 0, 0] for k in keys}


def _role_spans(triples: list[Triple], k: int) -> list[Span]:
    return [span for t in triples if (span := t[k]) is not None]


def _add_article(totals: dict[str, list[int]], preds: list[Triple], golds: list[Triple]) -> None:
    for k, role in enumerate(ROLES):
        ps, gs = _role_spans(preds, k), _role_spans(golds, k)
        for crit, match in (("exact", _match_exact), ("overlap", _match_overlap)):
            cell = totals[f"{role}_{crit}"]
            cell[0] += match(ps, gs)
            cell[1] += len(ps)
            cell[2] += len(gs)
    cell = totals["attribution"]
    cell[0] += _match_attributions(preds, golds)
    cell[1] += len(preds)
    cell[2] += len(golds)


def score_triples(pairs: Iterator[tuple[list[Triple], list[Triple]]]) -> dict[str, Any]:
    """Scores for (predicted, gold) triples of each article."""
    totals = _new_totals()
    n = 0
    for preds, golds in pairs:
        _add_article(totals, preds, golds)
        n += 1
    scores: dict[str, Any] = {k: _prf(*v) for k, v in totals.items()}
    scores["articles"] = n
    return scores


def evaluate_attributions(gold_path: Path | str, pred_path: Path | str) -> dict[str, Any]:
    """Score the predictions of ``pred_path`` against the gold of ``gold_path`` (see the module doc)."""
    preds = {str(line["id"]): pred_triples(line) for line in _read_jsonl(Path(pred_path))}
    golds = [(str(a["id"]), gold_triples(a)) for a in _read_jsonl(Path(gold_path))]
    missing = sum(1 for gid, _ in golds if gid not in preds)
    scores = score_triples((preds.get(gid, []), g) for gid, g in golds)
    scores["articles_missing_from_predictions"] = missing
    return scores


def format_attribution_scores(scores: dict[str, Any]) -> str:
    """A plain-text table of :func:`evaluate_attributions` scores."""
    lines = [f"{'':22} {'P':>6} {'R':>6} {'F1':>6} {'tp':>6} {'pred':>6} {'gold':>6}"]
    keys = [f"{role}_{crit}" for role in ROLES for crit in ("exact", "overlap")] + ["attribution"]
    for key in keys:
        s = scores[key]
        label = "attribution (overlap)" if key == "attribution" else key.replace("_", " ")
        prf = f"{s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f}"
        lines.append(f"{label:22} {prf} {s['tp']:6} {s['predicted']:6} {s['gold']:6}")
    missing = scores.get("articles_missing_from_predictions", 0)
    lines.append(f"articles: {scores['articles']} (missing from predictions: {missing})")
    return "\n".join(lines)
