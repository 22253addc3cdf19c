"""Scoring cross-article dedup against labelled pairs (eval/dedup-pairs.jsonl) and coded output.

All the pairs' articles are clustered together, as one corpus, so that a pair can also be merged wrongly
through other pairs' events. A pair is predicted "duplicate" when an event of article a and an event of
article b that are about the pair's dyad and root share a cluster. Precision and recall are of
"duplicate" over pairs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from eventcoder.dedup import MAX_DAYS, THRESHOLD, cluster_mentions, mention_of


def _read(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _about(event: dict[str, Any], pair: dict[str, Any]) -> bool:
    target = (event.get("target") or {}).get("code") or ""
    return bool(
        event["source"]["code"].startswith(pair["source"])
        and target.startswith(pair["target"])
        and event["cameo_root"] == pair["root"]
        and not event.get("negated")
    )


def evaluate_dedup(
    pairs_path: Path, output_path: Path, max_days: int = MAX_DAYS, threshold: float = THRESHOLD
) -> dict[str, Any]:
    pairs = _read(pairs_path)
    records = {r["id"]: r for r in _read(output_path)}
    missing = [p[s]["id"] for p in pairs for s in ("a", "b") if p[s]["id"] not in records]
    if missing:
        raise KeyError(f"{len(missing)} pair articles are not in the output, e.g. {missing[0]}")
    mentions = [mention_of(r, e) for r in records.values() for e in r["events"]]
    cluster_of = {
        (m.article_id, m.event_id): n for n, c in enumerate(cluster_mentions(mentions, max_days, threshold))
        for m in c.mentions
    }  # fmt: skip
    tp = fp = fn = tn = 0
    wrong: list[dict[str, str]] = []
    for p in pairs:
        sides = [
            {cluster_of[(p[s]["id"], e["id"])] for e in records[p[s]["id"]]["events"] if _about(e, p)}
            for s in ("a", "b")
        ]
        merged = bool(sides[0] & sides[1])
        gold = p["label"] == "duplicate"
        tp, fp = tp + (merged and gold), fp + (merged and not gold)
        fn, tn = fn + (gold and not merged), tn + (not gold and not merged)
        if merged != gold:
            wrong.append({"pair": p["pair"], "label": p["label"], "note": p.get("note", "")})
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(pairs), "duplicate_pairs": tp + fn, "distinct_pairs": fp + tn,
        "true_merges": tp, "false_merges": fp, "missed_merges": fn, "kept_apart": tn,
        "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
        "max_days": max_days, "threshold": threshold, "wrong": wrong,
    }  # fmt: skip


def format_dedup_scores(s: dict[str, Any]) -> str:
    lines = [
        f"pairs: {s['pairs']} ({s['duplicate_pairs']} duplicate, {s['distinct_pairs']} distinct); "
        f"max_days {s['max_days']}, threshold {s['threshold']}",
        f"merged correctly {s['true_merges']}, wrongly {s['false_merges']}; missed {s['missed_merges']}; "
        f"kept apart correctly {s['kept_apart']}",
        f"precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}",
    ]
    lines += [f"  wrong: {w['pair']} ({w['label']}): {w['note']}" for w in s["wrong"]]
    return "\n".join(lines)
