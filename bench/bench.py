"""Benchmark: coding speed and memory against a bare spaCy parse of the same texts.

Usage: python bench/bench.py [--corpus PATH] [--limit N]

Codes the article texts of ../shared/data/attribution/polnear-train.jsonl. Each measurement runs in
its own process so peak RSS is its own:
  parse   bare ``nlp.pipe`` over the texts (same model, same batch size)
  code    eventcoder's pipeline (parse, actors, events, dates, places, attributions, provenance),
          one worker, timed end to end including model and dictionary loading
  code2   the same with --workers 2 (peak RSS is the largest worker's)
  stages  one worker, warm, the parse and each stage timed on its own: the share of coding time that
          the attribution stages (attributions, provenance) take
Targets (issue #2): code/parse <= 1.15; peak RSS <= 1 GB per worker; 1 worker / 2 workers >= 1.7.
Target (issue #3): attribution adds at most 10% to coding time.
Results are printed and written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared/data/attribution/polnear-train.jsonl"


def _texts(corpus: Path, limit: int | None) -> list[str]:
    with corpus.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    return texts[:limit] if limit else texts


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def measure(mode: str, corpus: Path, limit: int | None) -> dict[str, Any]:
    from eventcoder.runner import code_items
    from eventcoder.settings import load_settings
    from eventcoder.stages.nlp import load_nlp
    from eventcoder.types import Article

    settings = load_settings()
    texts = _texts(corpus, limit)
    if mode == "parse":
        nlp = load_nlp(settings.models)
        list(nlp.pipe(texts[:5]))  # warm-up
        start = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=settings.batch_size):
            pass
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "peak_rss_mb": _peak_mb(resource.RUSAGE_SELF)}
    if mode == "stages":
        return _stage_seconds(texts, settings)
    workers = 2 if mode == "code2" else 1
    articles = [Article(id=str(i), text=t) for i, t in enumerate(texts)]
    # Both coding runs are timed end to end, model and dictionary loading included, as
    # `eventcoder code` runs; this makes code/parse slightly pessimistic (the bare parse is timed warm).
    start = time.perf_counter()
    events = 0
    for rec in code_items(articles, settings, workers, include_text=False):
        assert isinstance(rec, dict), rec
        events += len(rec["events"])
    seconds = time.perf_counter() - start
    peak = _peak_mb(resource.RUSAGE_CHILDREN if workers > 1 else resource.RUSAGE_SELF)
    return {"seconds": seconds, "peak_rss_mb": peak, "events": events}


ATTRIBUTION_STAGES = ("attributions", "provenance")


def _stage_seconds(texts: list[str], settings: Any) -> dict[str, Any]:
    """Seconds spent parsing and in each stage of the pipeline, warm, one process."""
    import dataclasses

    from eventcoder.pipeline import load_pipeline
    from eventcoder.types import Article, Document

    pipeline = load_pipeline(settings)
    list(pipeline.run([Article(id="warm", text=t) for t in texts[:5]]))
    seconds = {"parse": 0.0} | {stage.name: 0.0 for stage in pipeline.stages}
    docs = pipeline.nlp.pipe(texts, batch_size=settings.batch_size)
    for i, text in enumerate(texts):
        start = time.perf_counter()
        doc = next(docs)
        seconds["parse"] += time.perf_counter() - start
        d = Document(article=Article(id=str(i), text=text), doc=doc, stages_done=("parse",))
        for stage in pipeline.stages:
            start = time.perf_counter()
            d = stage(d)
            seconds[stage.name] += time.perf_counter() - start
            d = dataclasses.replace(d, stages_done=(*d.stages_done, stage.name))
    total = sum(seconds.values())
    share = sum(seconds[name] for name in ATTRIBUTION_STAGES) / total
    return {"seconds": total, "stages": seconds, "attribution_share": share,
            "peak_rss_mb": _peak_mb(resource.RUSAGE_SELF)}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--mode", choices=["parse", "code", "code2", "stages"])
    args = ap.parse_args()
    if not args.corpus.is_file():
        print(f"bench: {args.corpus} is absent; nothing to measure")
        return 0
    if args.mode:
        print(json.dumps(measure(args.mode, args.corpus, args.limit)))
        return 0
    texts = _texts(args.corpus, args.limit)
    words = sum(len(t.split()) for t in texts)
    results: dict[str, Any] = {"articles": len(texts), "words": words}
    for mode in ("parse", "code", "code2", "stages"):
        cmd = [sys.executable, __file__, "--mode", mode, "--corpus", str(args.corpus)]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results[mode] = json.loads(out.strip().splitlines()[-1])
        r = results[mode]
        print(
            f"{mode:6} {r['seconds']:8.1f} s  {len(texts) / r['seconds']:7.2f} articles/s  "
            f"{words / r['seconds']:8.0f} words/s  peak RSS {r['peak_rss_mb']:7.0f} MB",
            flush=True,
        )
    results["code_over_parse"] = results["code"]["seconds"] / results["parse"]["seconds"]
    results["speedup_2_workers"] = results["code"]["seconds"] / results["code2"]["seconds"]
    print(f"coding time / bare parse time: {results['code_over_parse']:.3f} (target <= 1.15)")
    print(f"1 worker / 2 workers: {results['speedup_2_workers']:.2f}x (target >= 1.7)")
    print(f"events coded: {results['code']['events']}")
    stages = results["stages"]["stages"]
    print("seconds by stage (warm, one worker): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
    print(f"attribution stages / coding time: {results['stages']['attribution_share']:.1%} (target <= 10%)")
    dest = ROOT / "bench/results"
    dest.mkdir(exist_ok=True)
    (dest / "latest.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
