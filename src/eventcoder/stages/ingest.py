"""Reading inputs: text, HTML, JSON Lines (plain or compressed), WARC, folders, globs, stdin -> Articles.

Only this module imports trafilatura. Every item yields either an Article or an InputError naming it;
WARC records that hold no HTML page are not items but are counted in ``ReadStats``. Duplicate ids are
passed on as they come (a store upserts them).
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from eventcoder.stages.compressed import CODECS, STREAM_ERRORS, LineSource, Rejoined, open_compressed
from eventcoder.stages.warc import WARC_SUFFIXES, HtmlRecord, Skipped, read_warc
from eventcoder.types import Article, InputError

TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
COMPRESSIONS = tuple(CODECS)
KNOWN_SUFFIXES = (
    TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | {j + c for j in JSONL_SUFFIXES for c in COMPRESSIONS}
) | set(WARC_SUFFIXES)
HEADER_KEYS = ("title", "date", "url")
JSONL_KEYS = {"id", "text", "html", "title", "date", "url"}
CHUNK = 1 << 16
# libxml2 stops building the tree at this depth and drops what lies deeper, so such a page is refused.
MAX_HTML_DEPTH = 256
_TOO_DEEP = "boolean(" + "/*" * MAX_HTML_DEPTH + ")"

Item = Article | InputError
logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ReadStats:
    """What reading passed over without yielding an item, counted by reason ("request record", ...).

    ``read_inputs`` fills it as it goes, so the counts are complete once its iterator is exhausted.
    """

    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())


def stable_id(url: str | None, text: str) -> str:
    """A stable id: hash of the normalised URL, or of the text when there is no URL."""
    basis = url.strip().lower().rstrip("/") if url else text
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def input_format(path: Path) -> tuple[str, str] | None:
    """``(format, compression)`` from a file name, e.g. ``("jsonl", ".gz")``; None for unknown suffixes.

    Formats: text, html, jsonl, warc (gzip or not is found from the content).
    """
    name = path.name.lower()
    if name.endswith(WARC_SUFFIXES):
        return "warc", ""
    compression = next((c for c in COMPRESSIONS if name.endswith(c)), "")
    suffix = Path(name.removesuffix(compression)).suffix if compression else path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl", compression
    if compression:
        return None
    if suffix in HTML_SUFFIXES:
        return "html", ""
    return ("text", "") if suffix in TEXT_SUFFIXES else None


def expand_inputs(inputs: Iterable[str]) -> Iterator[str | Path]:
    """Expand folders (recursively, known suffixes only, sorted) and globs; keep '-' as is."""
    for raw in inputs:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and input_format(p) is not None)
        elif any(ch in raw for ch in "*?["):
            matches = sorted(glob.glob(raw, recursive=True))
            yield from (Path(m) for m in matches) if matches else [path]
        else:
            yield path


def read_inputs(inputs: Iterable[str], max_bytes: int, stats: ReadStats | None = None) -> Iterator[Item]:
    """Every article (or error) from ``inputs``, in input order; skipped WARC records counted in ``stats``."""
    stats = stats if stats is not None else ReadStats()
    for source in expand_inputs(inputs):
        if source == "-":
            yield from _read_stream(sys.stdin.buffer, "<stdin>", max_bytes)
        else:
            try:
                yield from _read_path(Path(source), max_bytes, stats)
            except OSError as exc:  # unreadable file or device: the items read before it stand
                yield InputError(str(source), f"read error: {exc.strerror or exc}")


def _read_path(path: Path, max_bytes: int, stats: ReadStats) -> Iterator[Item]:
    name = str(path)
    if not path.exists():
        yield InputError(name, "no such file or directory")
        return
    kind, compression = input_format(path) or ("text", "")
    if kind == "warc":
        yield from _read_warc(path, max_bytes, stats)
        return
    if kind == "jsonl":
        if path.stat().st_size == 0:  # bz2 calls an empty file truncated
            yield InputError(name, "empty input")
            return
        with open_compressed(path, compression) as f:
            yield from _read_jsonl(f, name, max_bytes, CODECS.get(compression, ""))
        return
    if path.stat().st_size > max_bytes:
        yield InputError(name, f"article is {path.stat().st_size:,} bytes, over the {max_bytes:,} limit")
        return
    text = _decode(path.read_bytes(), name)
    if isinstance(text, InputError):
        yield text
    elif kind == "html":
        yield parse_html(text, name)
    else:
        yield parse_text(text, name)


def _read_warc(path: Path, max_bytes: int, stats: ReadStats) -> Iterator[Item]:
    for record in read_warc(path, max_bytes):
        if isinstance(record, Skipped):
            stats.skipped[record.reason] += 1
            logger.debug("skipped %s: %s", record.item, record.reason)
        elif isinstance(record, HtmlRecord):
            item = parse_html(record.html, record.item, {"url": record.url})
            # The capture date stands in only when the page itself names no date.
            yield replace(item, date=record.date) if isinstance(item, Article) and not item.date else item
        else:
            yield record


def _read_stream(stream: BinaryIO, name: str, max_bytes: int) -> Iterator[Item]:
    head = b""
    while not head.strip() and len(head) <= max_bytes and (chunk := stream.read(CHUNK)):
        head += chunk
    joined = io.BufferedReader(Rejoined(head, stream))
    if head.lstrip()[:1] == b"{":
        yield from _read_jsonl(joined, name, max_bytes, "")
        return
    data = joined.read(max_bytes + 1)
    if len(data) > max_bytes:
        size = len(data) + sum(len(c) for c in iter(lambda: joined.read(CHUNK), b""))
        yield InputError(name, f"article is {size:,} bytes, over the {max_bytes:,} limit")
        return
    text = _decode(data, name)
    yield text if isinstance(text, InputError) else parse_text(text, name)


def _decode(data: bytes, name: str) -> str | InputError:
    if not data.strip():
        return InputError(name, "empty input")
    if b"\x00" in data[:8192]:
        return InputError(name, "binary data (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InputError(name, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")


def parse_text(raw: str, name: str) -> Item:
    """Plain text with optional leading ``Title:``, ``Date:``, ``URL:`` lines.

    The article text (which spans index into) is what follows the header block.
    """
    meta: dict[str, str] = {}
    lines = raw.splitlines(keepends=True)
    consumed = 0
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in HEADER_KEYS and key.strip().lower() not in meta:
            meta[key.strip().lower()] = value.strip()
            consumed += len(line)
        else:
            break
    text = raw[consumed:]
    if not text.strip():
        return InputError(name, "no article text")
    return _article(name, None, text, meta.get("title"), meta.get("date"), meta.get("url"))


def parse_html(html: str, name: str, meta: dict[str, Any] | None = None) -> Item:
    """Main text, title, date, byline and URL extracted with trafilatura."""
    import trafilatura
    from trafilatura.utils import load_html

    meta = meta or {}
    try:
        tree = load_html(html)
        if tree is None:
            return InputError(name, "HTML could not be parsed")
        if tree.xpath(_TOO_DEEP):
            return InputError(
                name, f"HTML nests {MAX_HTML_DEPTH} elements deep: the parser drops deeper text"
            )
        # fast=True skips the fallback extractors, which return navigation text for pages with no body.
        doc = trafilatura.bare_extraction(tree, with_metadata=True, favor_precision=True, fast=True)
    except Exception as exc:  # lxml and trafilatura fail in many ways on hostile markup; report, go on
        return InputError(name, f"HTML extraction failed ({type(exc).__name__}: {exc})")
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        return InputError(name, "HTML has no article body")
    day = meta.get("date") or getattr(doc, "date", None)
    return _article(
        name,
        meta.get("id"),
        text,
        meta.get("title") or getattr(doc, "title", None),
        day,
        meta.get("url") or getattr(doc, "url", None),
        byline=getattr(doc, "author", None),
    )


def _parse_date(value: Any, name: str) -> date | InputError | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return InputError(name, f"date {value!r} is not YYYY-MM-DD")


def _article(
    name: str,
    id_: Any,
    text: str,
    title: Any,
    day: Any,
    url: Any,
    byline: Any = None,
) -> Item:
    parsed = _parse_date(day, name)
    if isinstance(parsed, InputError):
        return parsed
    return Article(
        id=str(id_) if id_ not in (None, "") else stable_id(url, text),
        text=text,
        title=str(title) if title else None,
        date=parsed,
        url=str(url) if url else None,
        byline=str(byline) if byline else None,
        origin=name,
    )


def _read_jsonl(stream: LineSource, name: str, max_bytes: int, codec: str) -> Iterator[Item]:
    seen_any = False
    lineno = 0
    lines = _bounded_lines(stream, max_bytes)
    while True:
        try:
            lineno, raw = next(lines, (lineno, b""))
        except STREAM_ERRORS as exc:
            broke = f"truncated or corrupt {codec} stream" if codec else "read error"
            yield InputError(name, f"{broke} after {lineno:,} lines: {exc}")
            return
        if raw == b"":
            break
        if isinstance(raw, bytes) and not raw.strip():
            continue
        seen_any = True
        item = f"{name}:{lineno}"
        if isinstance(raw, int):
            yield InputError(item, f"line is {raw:,} bytes, over the {max_bytes:,} limit")
            continue
        text = _decode(raw, item)
        if isinstance(text, InputError):
            yield text
            continue
        yield parse_json_record(text, item)
    if not seen_any:
        yield InputError(name, "empty input")


def _bounded_lines(stream: LineSource, max_bytes: int) -> Iterator[tuple[int, bytes | int]]:
    """(line number, line) for each line; for a line over ``max_bytes``, its size instead, having read
    past it a chunk at a time so that it is never held whole."""
    lineno = 0
    while raw := stream.readline(max_bytes + 1):
        lineno += 1
        if len(raw) <= max_bytes:
            yield lineno, raw
            continue
        size = len(raw)
        while not raw.endswith(b"\n") and (raw := stream.readline(CHUNK)):
            size += len(raw)
        yield lineno, size


def parse_json_record(line: str, item: str) -> Item:
    """One JSONL record: ``id``, ``text`` or ``html``, optional ``title``, ``date``, ``url``."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return InputError(item, f"malformed JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return InputError(item, "JSON line is not an object")
    if obj.get("id") not in (None, ""):
        item = f"{item} (id {obj['id']})"
    text, html = obj.get("text"), obj.get("html")
    if (text is not None and not isinstance(text, str)) or (html is not None and not isinstance(html, str)):
        return InputError(item, "'text' and 'html' must be strings")
    if text and text.strip():
        return _article(item, obj.get("id"), text, obj.get("title"), obj.get("date"), obj.get("url"))
    if html and html.strip():
        return parse_html(html, item, obj)
    return InputError(item, "missing text: no non-empty 'text' or 'html' field")
