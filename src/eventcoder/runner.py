"""Coding many articles, in order, on one or more worker processes."""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from eventcoder.pipeline import Pipeline, load_pipeline
from eventcoder.records import article_record
from eventcoder.settings import Settings
from eventcoder.types import Article, InputError

log = logging.getLogger(__name__)
Result = dict[str, Any] | InputError
CHUNK = 16


@dataclass(slots=True)
class Counts:
    read: int = 0
    coded: int = 0
    failed: int = 0
    events: int = 0

    def summary(self) -> str:
        return (
            f"articles in: {self.read} = coded: {self.coded} + failed: {self.failed}; events: {self.events}"
        )


def code_chunk(pipeline: Pipeline, chunk: list[Article], include_text: bool) -> list[Result]:
    """Code a chunk with one batched parse; an article that fails is retried alone for its error."""
    cameo = pipeline.cameo
    try:
        return [article_record(d, cameo, include_text) for d in pipeline.run(chunk)]
    except Exception:  # whatever broke, find the article it was and report it; the run goes on
        out: list[Result] = []
        for article in chunk:
            try:
                doc = next(pipeline.run([article]))
                out.append(article_record(doc, cameo, include_text))
            except Exception as exc:
                log.debug("coding failed for %s", article.origin, exc_info=True)
                out.append(
                    InputError(article.origin, f"coding failed: {type(exc).__name__}: {exc}", "coding")
                )
        return out


_WORKER: Pipeline | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER
    _WORKER = load_pipeline(settings)


def _worker_chunk(args: tuple[list[Article], bool]) -> list[Result]:
    assert _WORKER is not None
    return code_chunk(_WORKER, *args)


def _segments(items: Iterable[Article | InputError]) -> Iterator[list[Article] | InputError]:
    """Group consecutive articles into chunks, keeping errors in their place."""
    chunk: list[Article] = []
    for item in items:
        if isinstance(item, InputError):
            if chunk:
                yield chunk
                chunk = []
            yield item
        else:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def code_items(
    items: Iterable[Article | InputError],
    settings: Settings,
    workers: int = 1,
    include_text: bool = True,
    pipeline: Pipeline | None = None,
) -> Iterator[Result]:
    """Records (or errors) for every item, in input order."""
    segments = _segments(items)
    if workers <= 1:
        pipe = pipeline or load_pipeline(settings)
        for seg in segments:
            yield from [seg] if isinstance(seg, InputError) else code_chunk(pipe, seg, include_text)
        return
    ctx = mp.get_context("spawn" if mp.get_start_method(allow_none=True) == "spawn" else "fork")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(settings,)) as pool:
        pending: list[Any] = []
        for seg in segments:
            if isinstance(seg, InputError):
                pending.append(seg)
            else:
                pending.append(pool.apply_async(_worker_chunk, ((seg, include_text),)))
            while len(pending) > workers * 4 or (pending and isinstance(pending[0], InputError)):
                yield from _drain(pending.pop(0))
        for p in pending:
            yield from _drain(p)


def _drain(p: Any) -> list[Result]:
    return [p] if isinstance(p, InputError) else list(p.get())
