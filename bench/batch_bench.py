"""Benchmark: `eventcoder batch` against `eventcoder code`, and a Dask LocalCluster against the local batch.

Usage: python bench/batch_bench.py [--corpus PATH] [--limit N] [--runs code,batch1,batch2,dask2,code2]
                                   [--repeat N] [--shard-size K]

Runs each command as users do, as a subprocess, end to end (model loading included), on the article texts
of ../shared/data/attribution/polnear-train.jsonl written out as one JSONL file. The memory of every
process in the command's tree is sampled with psutil every 0.2 s; "peak RSS per process" is the largest.
Batch runs use --shard-size 50 (17 shards for 840 articles). With --repeat N the commands run N times,
interleaved (code, batch1, ..., code, batch1, ...), so that a slow spell of the machine does not fall on
one command only; each command's time is the median of its runs, and each ratio is given as the ratio of
medians and per repetition. On this shared machine, one command's time varies by up to 10% between runs.
Targets (issue #5): batch --workers 1 within 5% of code; Dask LocalCluster within 15% of the local batch
at the same worker count. Results are printed and written to bench/results/batch.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared/data/attribution/polnear-train.jsonl"
EVENTCODER = [sys.executable, "-m", "eventcoder"]


OUT_DIRS = {"batch1": "b1", "batch2": "b2", "dask2": "d2"}


def _commands(corpus: Path, work: Path, shard_size: int) -> dict[str, list[str]]:
    code = [*EVENTCODER, "code", str(corpus), "--no-text"]
    batch = [*EVENTCODER, "batch", str(corpus), "--no-text", "--shard-size", str(shard_size)]
    return {
        "code": [*code, "-o", str(work / "code.jsonl")],
        "code2": [*code, "--workers", "2", "-o", str(work / "c2.jsonl")],
        "batch1": [*batch, "--out", str(work / "b1"), "--workers", "1"],
        "batch2": [*batch, "--out", str(work / "b2"), "--workers", "2"],
        "dask2": [*batch, "--out", str(work / "d2"), "--workers", "2", "--dask", "local"],
    }


def _tree_rss(proc: psutil.Process) -> list[int]:
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []
    out = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            out.append(p.memory_info().rss)
    return out


def run(cmd: list[str]) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peak_one, peak_total, stop = [0], [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss = _tree_rss(ps)
            if rss:
                peak_one[0] = max(peak_one[0], max(rss))
                peak_total[0] = max(peak_total[0], sum(rss))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.decode()[-2000:]}")
    summary = [line for line in err.decode().splitlines() if line.startswith("articles in:")]
    return {
        "seconds": round(seconds, 2),
        "peak_rss_per_process_mb": round(peak_one[0] / 2**20),
        "peak_rss_total_mb": round(peak_total[0] / 2**20),
        "summary": summary[-1] if summary else None,
    }


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--runs", default="code,batch1,code2,batch2,dask2")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--shard-size", type=int, default=50)
    args = ap.parse_args()
    if not args.corpus.is_file():
        print(f"bench: {args.corpus} is absent; nothing to measure")
        return 0
    with args.corpus.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    texts = texts[: args.limit] if args.limit else texts
    results: dict[str, Any] = {"articles": len(texts), "words": sum(len(t.split()) for t in texts),
                               "cores": psutil.cpu_count(), "load_before": psutil.getloadavg()}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        corpus.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
        commands = _commands(corpus, work, args.shard_size)
        results["shard_size"], results["repeat"] = args.shard_size, args.repeat
        names = args.runs.split(",")
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for _ in range(args.repeat):
            for name in names:
                if name in OUT_DIRS:  # a batch finding its shards done would only resume
                    shutil.rmtree(work / OUT_DIRS[name], ignore_errors=True)
                r = run(commands[name])
                runs[name].append(r)
                rate = len(texts) / r["seconds"]
                print(f"{name:7} {r['seconds']:8.1f} s  {rate:6.2f} articles/s  peak RSS per process "
                      f"{r['peak_rss_per_process_mb']:5} MB (tree {r['peak_rss_total_mb']} MB)")  # fmt: skip
        for name, rs in runs.items():  # the median time; the other figures from the run nearest to it
            middle = statistics.median([r["seconds"] for r in rs])
            nearest = min(rs, key=lambda r: abs(r["seconds"] - middle))
            times = [r["seconds"] for r in rs]
            results[name] = {**nearest, "seconds": round(middle, 2), "all_seconds": times}
        results["same_records"] = _same(work)
        print(f"same records: {results['same_records']}")
    ratios = {
        "batch1_over_code": ("batch1", "code", 1.05),
        "batch2_over_code2": ("batch2", "code2", None),
        "dask2_over_batch2": ("dask2", "batch2", 1.15),
    }
    for key, (a, b, target) in ratios.items():
        if a in results and b in results:
            results[key] = round(results[a]["seconds"] / results[b]["seconds"], 3)
            # each repetition's ratio too: the pair ran back to back, so it shares the machine's mood
            pairs = zip(results[a]["all_seconds"], results[b]["all_seconds"], strict=True)
            results[key + "_each"] = [round(x / y, 3) for x, y in pairs]
            goal = f" (target <= {target})" if target else ""
            print(f"{key}: {results[key]:.3f} (of medians; each repetition: "
                  f"{', '.join(map(str, results[key + '_each']))}){goal}")  # fmt: skip
    dest = ROOT / "bench/results"
    dest.mkdir(exist_ok=True)
    (dest / "batch.json").write_text(json.dumps(results, indent=2))
    return 0


def _same(work: Path) -> dict[str, bool]:
    """Do the batch outputs hold the same records (sorted) as `code`, or, without a `code` run, as the
    local batch at 2 workers?"""

    def records(paths: list[Path]) -> list[bytes]:
        return sorted(line for p in paths for line in p.read_bytes().splitlines() if line.strip())

    def shards(name: str) -> list[Path]:
        return sorted((work / name / "shards").glob("*.jsonl"), key=str)

    if (work / "code.jsonl").exists():
        want, names = records([work / "code.jsonl"]), ("b1", "b2", "d2")
    elif (work / "b2").exists():
        want, names = records(shards("b2")), ("d2",)
    else:
        return {}
    return {name: records(shards(name)) == want for name in names if (work / name).exists()}


if __name__ == "__main__":
    sys.exit(main())
