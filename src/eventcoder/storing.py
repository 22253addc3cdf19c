"""Coding articles into the store: ``eventcoder ingest`` and ``POST /api/articles``."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from eventcoder import store
from eventcoder.dedup import MAX_DAYS, THRESHOLD, cluster_mentions, mention_of
from eventcoder.pipeline import Pipeline
from eventcoder.runner import code_chunk, code_items
from eventcoder.settings import Settings, coder_fingerprint
from eventcoder.types import Article, InputError


@dataclass(slots=True)
class IngestCounts:
    read: int = 0
    coded: int = 0
    skipped: int = 0  # stored already, same text, same coder: nothing to do
    failed: int = 0
    events: int = 0
    put: store.PutCounts = field(default_factory=store.PutCounts)

    def summary(self) -> str:
        p = self.put
        return (
            f"articles in: {self.read} = coded: {self.coded} + already stored: {self.skipped} + failed: "
            f"{self.failed}; stored: {p.inserted} new, {p.updated} updated, {p.unchanged} unchanged, "
            f"{p.merged} duplicates merged; events: {self.events}"
        )


def ingest(
    conn: sqlite3.Connection,
    items: Iterable[Article | InputError],
    settings: Settings,
    workers: int = 1,
    recode: bool = False,
    on_error: Callable[[InputError], None] | None = None,
    pipeline: Pipeline | None = None,
) -> IngestCounts:
    """Code and store every article; each article is stored in its own transaction."""
    counts = IngestCounts()
    coder = coder_fingerprint(settings)

    def todo() -> Iterator[Article | InputError]:
        for item in items:
            if not recode and isinstance(item, Article) and store.is_current(conn, item, coder):
                counts.read += 1
                counts.skipped += 1
                continue
            yield item

    for result in code_items(todo(), settings, workers, include_text=True, pipeline=pipeline):
        counts.read += 1
        if isinstance(result, InputError):
            counts.failed += 1
            if on_error:
                on_error(result)
            continue
        counts.coded += 1
        counts.events += len(result["events"])
        with store.transaction(conn):
            store.put_article(conn, result, coder, counts.put)
    return counts


def load_records(
    conn: sqlite3.Connection, sources: list[Path], on_error: Callable[[InputError], None] | None = None
) -> tuple[store.PutCounts, int]:
    """Store article records already coded (``eventcoder code`` output, or ``batch`` folders) without coding.

    A batch folder's records keep its coder fingerprint; records from a plain file are marked "loaded".
    Returns the put counts and how many records were refused (no text, malformed JSON).
    """
    from eventcoder.batch import MANIFEST, read_shards

    counts, refused = store.PutCounts(), 0
    for source in sources:
        if source.is_dir():
            job = (
                orjson.loads((source / MANIFEST).read_bytes())["job"] if (source / MANIFEST).exists() else {}
            )
            records: Iterable[tuple[str, Any]] = (
                (f"{source}#{i}", r) for i, r in enumerate(read_shards(source))
            )
            coder = str(job.get("coder", "loaded"))
        else:
            records = _jsonl_records(source)
            coder = "loaded"
        for item, record in records:
            try:
                if isinstance(record, str):
                    raise store.StoreError(record)
                if not isinstance(record, dict) or "events" not in record:
                    raise store.StoreError("not an eventcoder article record")
                with store.transaction(conn):
                    store.put_article(conn, record, coder, counts)
            except (store.StoreError, KeyError, TypeError) as exc:
                refused += 1
                if on_error:
                    on_error(InputError(item, str(exc), "load"))
    return counts, refused


def _jsonl_records(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open("rb") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield f"{path}:{lineno}", orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield f"{path}:{lineno}", f"malformed JSON: {exc}"


def code_and_store(
    conn: sqlite3.Connection, pipeline: Pipeline, article: Article, coder: str
) -> dict[str, Any]:
    """Code one article and store it atomically; returns the stored record (with its stored id)."""
    (result,) = code_chunk(pipeline, [article], include_text=True)
    if isinstance(result, InputError):
        raise ValueError(result.reason)
    with store.transaction(conn):
        stored_id = store.put_article(conn, result, coder)
    result["id"] = stored_id
    return result


def dedup_store(
    conn: sqlite3.Connection, max_days: int = MAX_DAYS, threshold: float = THRESHOLD
) -> dict[str, int]:
    """Cluster every stored event mention into real-world events and store the clusters (replacing any)."""
    mentions = [
        mention_of({"id": aid, "url": url, "date": day}, orjson.loads(record))
        for aid, url, day, record in conn.execute(
            "SELECT a.id, a.url, a.date, e.record FROM events e JOIN articles a ON a.id = e.article_id"
        )
    ]
    clusters = cluster_mentions(mentions, max_days, threshold)
    with store.transaction(conn):
        conn.execute("DELETE FROM cluster_members")
        conn.execute("DELETE FROM clusters")
        for number, c in enumerate(clusters, 1):
            days = sorted(m.day.isoformat() for m in c.mentions if m.day)
            codes = Counter(m.cameo for m in c.mentions).most_common()
            cameo = min(code for code, n in codes if n == codes[0][1])  # most frequent, ties to the lowest
            conn.execute(
                "INSERT INTO clusters VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (number, c.key, c.first.source, c.first.target, c.first.root, cameo,
                 days[0] if days else None, days[-1] if days else None, len(c.mentions),
                 len({m.article_id for m in c.mentions}), len({m.outlet for m in c.mentions})),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO cluster_members VALUES (?,?,?)",
                [(m.article_id, m.event_id, number) for m in c.mentions],
            )
    return {
        "mentions": len(mentions),
        "clusters": len(clusters),
        "merged_clusters": sum(len(c.mentions) > 1 for c in clusters),
    }
