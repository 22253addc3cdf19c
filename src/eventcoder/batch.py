"""Resumable batch coding of large corpora into shards, on local worker processes or a Dask cluster.

Input items are numbered in input order and shard k holds items [k * K, (k + 1) * K). A shard is written
as whole files (JSON Lines of article records, a Parquet table of its events, a dead-letter file), each
to a temporary name and then renamed, and only then marked done by a checkpoint file. A run that is
killed at any moment loses at most the shards in progress, which the next run of the same command codes
again; shards marked done are never rewritten. So every article ends up in exactly one shard.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from eventcoder import __version__
from eventcoder.errors import EventcoderError
from eventcoder.settings import Settings, coder_fingerprint
from eventcoder.types import Article, InputError

MANIFEST = "manifest.json"
SHARDS = "shards"
Item = Article | InputError
Result = dict[str, Any] | InputError


class BatchError(EventcoderError):
    """The output folder cannot be used for this batch."""


@dataclass(slots=True)
class BatchCounts:
    read: int = 0  # items read this run (including those in shards already done)
    coded: int = 0
    failed: int = 0
    events: int = 0
    shards_written: int = 0
    shards_done_before: int = 0
    skipped_records: dict[str, int] = field(default_factory=dict)  # input records that are not articles

    def summary(self) -> str:
        skipped = sum(self.skipped_records.values())
        return (
            f"articles in: {self.read} = coded: {self.coded} + failed: {self.failed}; events: {self.events}; "
            f"shards: {self.shards_written} written, {self.shards_done_before} done before"
            + (f"; non-article input records skipped: {skipped}" if skipped else "")
        )


# ----------------------------------------------------------------------------------------------- files


def shard_name(index: int) -> str:
    return f"shard-{index:05d}"


def _atomic_write(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` via a temporary file, fsync and rename; returns its SHA-256."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest()


def _parquet_bytes(records: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from eventcoder.exports import event_rows, parquet_schemas

    schema = parquet_schemas()["events"]
    rows = [row for r in records for row in event_rows(r)]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink)
    return bytes(sink.getvalue().to_pybytes())


def write_shard(out: Path, index: int, first_seq: int, results: list[tuple[int, Result]]) -> dict[str, Any]:
    """Write one shard's files, then its checkpoint; returns the checkpoint."""
    shard_dir = out / SHARDS
    name = shard_name(index)
    records = [r for _, r in results if isinstance(r, dict)]
    errors = [{"seq": seq, **r.to_json()} for seq, r in results if isinstance(r, InputError)]
    files = {
        f"{name}.jsonl": b"".join(orjson.dumps(r) + b"\n" for r in records),
        f"{name}.events.parquet": _parquet_bytes(records),
        f"{name}.errors.jsonl": b"".join(orjson.dumps(e) + b"\n" for e in errors),
    }
    digests = {fname: _atomic_write(shard_dir / fname, data) for fname, data in files.items()}
    checkpoint = {
        "shard": index,
        "first_seq": first_seq,
        "items": len(results),
        "coded": len(records),
        "failed": len(errors),
        "events": sum(len(r["events"]) for r in records),
        "files": {fname: {"bytes": len(files[fname]), "sha256": digests[fname]} for fname in files},
    }
    _atomic_write(shard_dir / f"{name}.done.json", orjson.dumps(checkpoint, option=orjson.OPT_INDENT_2))
    return checkpoint


def done_shards(out: Path) -> dict[int, dict[str, Any]]:
    """Checkpoints of shards whose files are all present with the recorded size."""
    done: dict[int, dict[str, Any]] = {}
    for marker in sorted((out / SHARDS).glob("shard-*.done.json")):
        try:
            checkpoint = orjson.loads(marker.read_bytes())
            files = checkpoint["files"].items()
            ok = all((out / SHARDS / fname).stat().st_size == meta["bytes"] for fname, meta in files)
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if ok:
            done[int(checkpoint["shard"])] = checkpoint
    return done


def _input_signature(inputs: list[str]) -> list[list[Any]]:
    from eventcoder.stages.ingest import expand_inputs

    sig: list[list[Any]] = []
    for source in expand_inputs(inputs):
        if source == "-":
            raise BatchError("batch cannot resume from standard input; give files")
        path = Path(source)
        st = path.stat() if path.exists() else None
        sig.append([str(path), st.st_size if st else None, st.st_mtime_ns if st else None])
    return sig


def _open_job(out: Path, job: dict[str, Any]) -> None:
    """Create the folder and manifest, or check that an existing one belongs to the same job."""
    (out / SHARDS).mkdir(parents=True, exist_ok=True)
    for stale in (out / SHARDS).glob(".*.tmp-*"):
        stale.unlink(missing_ok=True)  # left by a killed run; the shard it belonged to is not done
    path = out / MANIFEST
    if path.exists():
        try:
            old = orjson.loads(path.read_bytes())["job"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BatchError(f"{path}: unreadable manifest ({exc}); use a new --out folder") from exc
        if old != job:
            diff = sorted(k for k in job if old.get(k) != job[k])
            raise BatchError(
                f"{out} holds a different batch ({', '.join(diff)} changed); use a new --out folder, or "
                "delete it to start again"
            )
    else:
        _atomic_write(path, orjson.dumps({"job": job, "complete": False}, option=orjson.OPT_INDENT_2))


def _finish(out: Path, job: dict[str, Any], counts: BatchCounts) -> None:
    """The final manifest: every input item is in a done shard."""
    shards = done_shards(out)
    totals = {k: sum(c[k] for c in shards.values()) for k in ("items", "coded", "failed", "events")}
    manifest = {
        "job": job,
        "complete": True,
        "eventcoder": __version__,
        "totals": totals,
        "skipped_records": counts.skipped_records,
        "shards": [shards[k] for k in sorted(shards)],
    }
    _atomic_write(out / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))


# -------------------------------------------------------------------------------------------- running


def run_batch(
    inputs: list[str],
    out: Path,
    settings: Settings,
    workers: int = 1,
    shard_size: int = 1000,
    dask: str | None = None,
    include_text: bool = True,
    progress: Callable[[int, int | None], None] | None = None,
) -> BatchCounts:
    """Code ``inputs`` into ``out``; resumes a previous run of the same job."""
    from eventcoder.stages.ingest import ReadStats, read_inputs

    if shard_size < 1:
        raise BatchError("--shard-size must be 1 or more")
    coder = coder_fingerprint(settings)
    job = {
        "inputs": _input_signature(inputs),
        "shard_size": shard_size,
        "include_text": include_text,
        "coder": coder,
    }
    _open_job(out, job)
    done = done_shards(out)
    counts = BatchCounts(shards_done_before=len(done))
    stats = ReadStats()
    items = read_inputs(inputs, settings.max_article_bytes, stats=stats)
    todo = _pending(items, done, shard_size, counts, progress)
    if dask:
        _run_dask(todo, out, settings, workers, shard_size, dask, include_text, counts, progress, coder)
    else:
        _run_local(todo, out, settings, workers, shard_size, include_text, counts, progress)
    counts.skipped_records = dict(stats.skipped)
    _finish(out, job, counts)
    return counts


def _pending(
    items: Iterable[Item],
    done: dict[int, dict[str, Any]],
    shard_size: int,
    counts: BatchCounts,
    progress: Callable[[int, int | None], None] | None,
) -> Iterator[tuple[int, Item]]:
    """Numbered items of shards not done yet; items of done shards are counted from their checkpoints."""
    for seq, item in enumerate(items):
        counts.read += 1
        checkpoint = done.get(seq // shard_size)
        if checkpoint is None:
            yield seq, item
        elif seq % shard_size == 0:
            counts.coded += checkpoint["coded"]
            counts.failed += checkpoint["failed"]
            counts.events += checkpoint["events"]
            if progress:
                progress(checkpoint["items"], None)


def _account(counts: BatchCounts, checkpoint: dict[str, Any]) -> None:
    counts.coded += checkpoint["coded"]
    counts.failed += checkpoint["failed"]
    counts.events += checkpoint["events"]
    counts.shards_written += 1


def _run_local(
    todo: Iterator[tuple[int, Item]],
    out: Path,
    settings: Settings,
    workers: int,
    shard_size: int,
    include_text: bool,
    counts: BatchCounts,
    progress: Callable[[int, int | None], None] | None,
) -> None:
    from eventcoder.runner import code_items

    seqs: deque[int] = deque()

    def feed() -> Iterator[Item]:
        for seq, item in todo:
            seqs.append(seq)
            yield item

    current: list[tuple[int, Result]] = []
    for result in code_items(feed(), settings, workers, include_text=include_text):
        seq = seqs.popleft()
        if current and seq // shard_size != current[0][0] // shard_size:
            _flush(out, current, shard_size, counts)
            current = []
        current.append((seq, result))
        if progress:
            progress(1, None)
    if current:
        _flush(out, current, shard_size, counts)


def _flush(out: Path, results: list[tuple[int, Result]], shard_size: int, counts: BatchCounts) -> None:
    index = results[0][0] // shard_size
    _account(counts, write_shard(out, index, index * shard_size, results))


def _shards_of(todo: Iterator[tuple[int, Item]], shard_size: int) -> Iterator[list[tuple[int, Item]]]:
    current: list[tuple[int, Item]] = []
    for seq, item in todo:
        if current and seq // shard_size != current[0][0] // shard_size:
            yield current
            current = []
        current.append((seq, item))
    if current:
        yield current


# ----------------------------------------------------------------------------------------------- dask

_WORKER_PIPELINES: dict[Settings, tuple[Any, str]] = {}  # per worker process: (pipeline, coder fingerprint)


def code_piece(
    items: list[tuple[int, Item]], settings: Settings, include_text: bool
) -> tuple[str, list[tuple[int, Result]]]:
    """Code a piece of a shard (see _pieces) on a worker; the pipeline loads once per worker process.

    Returns the worker's coder fingerprint with the results, so the driver can refuse records made by a
    worker with another eventcoder version or other dictionaries.
    """
    from eventcoder.pipeline import load_pipeline
    from eventcoder.runner import code_items

    if settings not in _WORKER_PIPELINES:
        _WORKER_PIPELINES[settings] = (load_pipeline(settings), coder_fingerprint(settings))
    pipeline, coder = _WORKER_PIPELINES[settings]
    results = code_items([item for _, item in items], settings, 1, include_text, pipeline=pipeline)
    return coder, [(seq, r) for (seq, _), r in zip(items, results, strict=True)]


def _run_dask(
    todo: Iterator[tuple[int, Item]],
    out: Path,
    settings: Settings,
    workers: int,
    shard_size: int,
    address: str,
    include_text: bool,
    counts: BatchCounts,
    progress: Callable[[int, int | None], None] | None,
    coder: str,
) -> None:
    """Code the shards on a Dask cluster; the driver writes each shard once all its pieces are back.

    A shard goes out as tasks of at most DASK_TASK_ARTICLES articles, so that near the end of a run no
    worker is left coding a whole shard while the others wait (shard-sized tasks cost 5-10% at 17 shards).
    """
    import dask.config
    from distributed import Client, LocalCluster, wait

    with contextlib.ExitStack() as stack:
        if address == "local":
            stack.enter_context(dask.config.set(LOCAL_CLUSTER_CONFIG))
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=40,
                )
            )  # fmt: skip
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=30))
            except OSError as exc:
                raise BatchError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        slots = max(workers, len(client.scheduler_info().get("workers", {})), 1) * 2
        shards = _ShardAssembly(out, shard_size, counts, progress, coder)
        pending: set[Any] = set()
        for shard in _shards_of(todo, shard_size):
            # the whole shard before any piece goes: pieces can come back before the last one is sent
            shards.expect(shard)
            for piece in _pieces(shard):
                pending.add(client.submit(code_piece, piece, settings, include_text, pure=False))
                while len(pending) >= slots:
                    finished, pending = wait(pending, return_when="FIRST_COMPLETED")
                    shards.collect(finished)
        while pending:
            finished, pending = wait(pending, return_when="FIRST_COMPLETED")
            shards.collect(finished)


DASK_TASK_ARTICLES = 10
LOCAL_CLUSTER_CONFIG = {
    # Our own cluster has no dashboard, so the workers' statistical profiler (a stack sample of the task
    # thread every 10 ms, which costs the coding thread the GIL) would only cost time.
    "distributed.worker.profile.enabled": False,
    # Dask's nannies set MALLOC_TRIM_THRESHOLD_=65536 in their workers' environment, which hands freed
    # memory back to the system at once; setting it also turns off glibc's adaptive mmap threshold, so
    # spaCy's many large, short-lived arrays each cost an mmap and a munmap (twice the system time of
    # the local workers). Leave glibc its defaults, as the local batch does.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


def _pieces(shard: list[tuple[int, Item]]) -> Iterator[list[tuple[int, Item]]]:
    for start in range(0, len(shard), DASK_TASK_ARTICLES):
        yield shard[start : start + DASK_TASK_ARTICLES]


@dataclass(slots=True)
class _ShardAssembly:
    """Pieces of shards coming back from Dask workers in any order; a shard is written when it is whole."""

    out: Path
    shard_size: int
    counts: BatchCounts
    progress: Callable[[int, int | None], None] | None
    coder: str
    missing: dict[int, int] = field(default_factory=dict)  # shard index: items not back yet
    results: dict[int, list[tuple[int, Result]]] = field(default_factory=dict)

    def expect(self, shard: list[tuple[int, Item]]) -> None:
        self.missing[shard[0][0] // self.shard_size] = len(shard)

    def collect(self, finished: Iterable[Any]) -> None:
        for future in finished:
            try:
                worker_coder, results = future.result()
            except Exception as exc:  # a worker died or could not load the model: the run stops, resumable
                raise BatchError(
                    f"a shard failed on a Dask worker ({type(exc).__name__}: {exc}); run again to resume"
                ) from exc
            if worker_coder != self.coder:
                raise BatchError(
                    f"a Dask worker runs a different eventcoder or dictionaries ({worker_coder}, "
                    f"here {self.coder}); install the same environment on every worker"
                )
            index = results[0][0] // self.shard_size
            self.results.setdefault(index, []).extend(results)
            self.missing[index] -= len(results)
            if not self.missing[index]:
                del self.missing[index]
                _flush(self.out, sorted(self.results.pop(index), key=lambda r: r[0]), self.shard_size,
                       self.counts)  # fmt: skip
            if self.progress:
                self.progress(len(results), None)


# ---------------------------------------------------------------------------------------------- reading


def read_shards(out: Path) -> Iterator[dict[str, Any]]:
    """Every article record of a batch, in input order."""
    for index in sorted(done_shards(out)):
        with (out / SHARDS / f"{shard_name(index)}.jsonl").open("rb") as f:
            for line in f:
                yield orjson.loads(line)


def estimate_items(inputs: list[str]) -> int | None:
    """Items in the inputs, counted cheaply (files, or lines of plain JSONL); None when unknown."""
    from eventcoder.stages.ingest import expand_inputs

    total = 0
    for source in expand_inputs(inputs):
        path = Path(source)
        name = path.name.lower()
        if not path.is_file():
            total += 1
        elif name.endswith((".jsonl", ".ndjson")):
            with path.open("rb") as f:
                total += sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
        elif name.endswith((".txt", ".text", ".html", ".htm", ".xhtml")):
            total += 1
        else:
            return None  # compressed or WARC: unknown without decoding it all
    return total
