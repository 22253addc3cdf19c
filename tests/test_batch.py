from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from eventcoder import batch
from eventcoder.batch import BatchError, read_shards, run_batch
from eventcoder.settings import load_settings

PAIRS = [
    ("Chile", "Peru"),
    ("France", "Germany"),
    ("Japan", "China"),
    ("Kenya", "Uganda"),
    ("Brazil", "Argentina"),
]
VERBS = ["condemned", "praised", "threatened", "met"]


def _corpus(path: Path, n: int = 11, broken_at: int | None = 4) -> Path:
    lines = []
    for i in range(n):
        if i == broken_at:
            lines.append("{not json")
            continue
        a, b = PAIRS[i % len(PAIRS)]
        text = f"{a} {VERBS[i % len(VERBS)]} {b} on Monday. The talks lasted {i + 2} hours."
        lines.append(json.dumps({"id": f"art{i:02d}", "text": text, "date": "2021-06-01"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _ids(out: Path) -> list[str]:
    return [r["id"] for r in read_shards(out)]


@pytest.mark.model
def test_batch_writes_shards_manifest_and_dead_letters(tmp_path: Path, pipeline: Any) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl")
    out = tmp_path / "out"
    counts = run_batch([str(corpus)], out, load_settings(), shard_size=3)
    assert (counts.read, counts.coded, counts.failed, counts.shards_written) == (11, 10, 1, 4)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["totals"]["items"] == 11
    assert [s["items"] for s in manifest["shards"]] == [3, 3, 3, 2]
    (dead,) = [json.loads(x) for x in (out / "shards" / "shard-00001.errors.jsonl").read_text().splitlines()]
    assert dead["seq"] == 4 and "malformed JSON" in dead["reason"] and dead["item"].endswith(":5")
    assert _ids(out) == [f"art{i:02d}" for i in range(11) if i != 4]
    events = pq.read_table(out / "shards" / "shard-00000.events.parquet")
    first = next(read_shards(out))
    assert events.num_rows == sum(len(r["events"]) for r in list(read_shards(out))[:3])
    assert events.column("article_id")[0].as_py() == first["id"]
    # the records are what `eventcoder code` writes for the same input
    from eventcoder.runner import code_items
    from eventcoder.stages.ingest import read_inputs

    settings = load_settings()
    coded = [
        r
        for r in code_items(read_inputs([str(corpus)], 10**6), settings, pipeline=pipeline)
        if isinstance(r, dict)
    ]
    assert list(read_shards(out)) == coded


@pytest.mark.model
def test_rerun_of_a_finished_batch_writes_nothing(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl")
    out = tmp_path / "out"
    run_batch([str(corpus)], out, load_settings(), shard_size=4)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "shards").iterdir()}
    again = run_batch([str(corpus)], out, load_settings(), shard_size=4)
    assert (again.shards_written, again.shards_done_before, again.read, again.coded) == (0, 3, 11, 10)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "shards").iterdir()} == before


def test_a_different_job_in_the_same_folder_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl", n=2, broken_at=0)  # no article to code: no model needed
    out = tmp_path / "out"
    run_batch([str(corpus)], out, load_settings(), shard_size=4)
    with pytest.raises(BatchError, match="shard_size"):
        run_batch([str(corpus)], out, load_settings(), shard_size=5)
    corpus.write_text(corpus.read_text() + "{also broken\n")
    with pytest.raises(BatchError, match="inputs"):
        run_batch([str(corpus)], out, load_settings(), shard_size=4)


def _batch_cmd(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "eventcoder",
        "batch",
        str(corpus),
        "--out",
        str(out),
        "--shard-size",
        "2",
        *extra,
    ]


@pytest.mark.model
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_batch_resumes_with_every_article_exactly_once(tmp_path: Path, sig: signal.Signals) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl", n=40, broken_at=7)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    assert (
        subprocess.run(_batch_cmd(corpus, clean), capture_output=True, timeout=600).returncode == 1
    )  # 1 failed

    proc = subprocess.Popen(_batch_cmd(corpus, killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list((killed / "shards").glob("*.done.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # kill it mid-run, once a few shards are written
    os.kill(proc.pid, sig)
    proc.wait(60)
    done_before = len(list((killed / "shards").glob("*.done.json")))
    assert 3 <= done_before < 20, "the run was not interrupted mid-way"

    rerun = subprocess.run(_batch_cmd(corpus, killed), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 1, rerun.stderr
    assert f"{done_before} done before" in rerun.stderr
    assert "articles in: 40 = coded: 39 + failed: 1" in rerun.stderr
    ids = _ids(killed)
    assert len(ids) == len(set(ids)) == 39
    assert list(read_shards(killed)) == list(read_shards(clean))
    assert not list((killed / "shards").glob(".*.tmp-*"))


@pytest.mark.model
def test_dask_local_cluster_gives_the_same_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl", n=9)
    local, cluster = tmp_path / "local", tmp_path / "dask"
    run_batch([str(corpus)], local, load_settings(), shard_size=5)
    # Shards of 5 go out as Dask tasks of 1 article, more than the 4 in flight at 2 workers; they come back
    # in any order, and a shard is written once, whole.
    monkeypatch.setattr(batch, "DASK_TASK_ARTICLES", 1)
    counts = run_batch([str(corpus)], cluster, load_settings(), workers=2, shard_size=5, dask="local")
    assert (counts.coded, counts.failed, counts.shards_written) == (8, 1, 2)
    assert list(read_shards(cluster)) == list(read_shards(local))  # in input order, within shards too
    assert (
        json.loads((cluster / "manifest.json").read_text())["totals"]
        == json.loads((local / "manifest.json").read_text())["totals"]
    )


def test_unreachable_dask_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl", n=1, broken_at=None)
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler"):
        run_batch([str(corpus)], tmp_path / "out", load_settings(), dask="tcp://127.0.0.1:9", shard_size=1)


@pytest.mark.model
def test_batch_output_loads_into_the_store(tmp_path: Path) -> None:
    from eventcoder import queries, store
    from eventcoder.storing import load_records

    corpus = _corpus(tmp_path / "corpus.jsonl", n=5)
    out = tmp_path / "out"
    run_batch([str(corpus)], out, load_settings(), shard_size=2)
    conn = store.connect(tmp_path / "events.db")
    put, refused = load_records(conn, [out])
    assert (put.inserted, refused) == (4, 0)
    assert queries.stats(conn)["events"] == sum(len(r["events"]) for r in read_shards(out))
    coders = {c for (c,) in conn.execute("SELECT coder FROM articles")}
    assert coders == {json.loads((out / "manifest.json").read_text())["job"]["coder"]}
