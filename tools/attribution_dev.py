"""Run the quote-attribution extractor on a PolNeAR file and print its scores.

    .venv/bin/python tools/attribution_dev.py ../shared/data/attribution/polnear-dev.jsonl [--limit N]
        [--pred-out predictions.jsonl]

Parses each article with the project's spaCy pipeline, extracts attributions, writes them as JSON Lines
(the shape ``eventcoder.attribution_eval`` reads) and scores them against the file's gold quotes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eventcoder.attribution_eval import evaluate_attributions, format_attribution_scores
from eventcoder.settings import load_settings
from eventcoder.stages.attribution import extract_attributions, load_attribution_cues
from eventcoder.stages.nlp import load_nlp, parse


def read_articles(path: Path, limit: int | None) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def predict(rows: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], float]]:
    """Yield each article's prediction line and the seconds its extraction took."""
    nlp = load_nlp(load_settings().models)
    cues = load_attribution_cues()
    for row, doc in zip(rows, parse(nlp, (r["text"] for r in rows)), strict=True):
        t = time.perf_counter()
        found = extract_attributions(doc, cues)
        elapsed = time.perf_counter() - t
        yield {"id": row["id"], "attributions": [a.to_json() for a in found]}, elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold", type=Path, help="a PolNeAR JSONL file (train or dev)")
    ap.add_argument("--limit", type=int, default=None, help="score only the first N articles")
    ap.add_argument("--pred-out", type=Path, default=None, help="keep the predictions here")
    args = ap.parse_args(argv)
    if not args.gold.is_file():
        print(f"{args.gold}: no such file", file=sys.stderr)
        return 2
    rows = read_articles(args.gold, args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        gold_path, pred_path = Path(tmp) / "gold.jsonl", args.pred_out or Path(tmp) / "pred.jsonl"
        gold_path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        t0, extract_s = time.perf_counter(), 0.0
        with pred_path.open("w", encoding="utf-8") as out:
            for line, seconds in predict(rows):
                out.write(json.dumps(line) + "\n")
                extract_s += seconds
        total_s = time.perf_counter() - t0
        print(format_attribution_scores(evaluate_attributions(gold_path, pred_path)))
    print(f"time: {total_s:.1f} s parse + extract, of which extraction {extract_s:.2f} s "
          f"({100 * extract_s / max(total_s - extract_s, 1e-9):.1f}% of parsing)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
