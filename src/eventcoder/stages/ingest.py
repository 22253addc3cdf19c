"""Reading inputs: text, HTML, JSON Lines, folders, globs and standard input -> Articles.

Only this module imports trafilatura. Every item yields either an Article or an InputError naming it.
"""

from __future__ import annotations

import glob
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from eventcoder.types import Article, InputError

TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
HEADER_KEYS = ("title", "date", "url")
JSONL_KEYS = {"id", "text", "html", "title", "date", "url"}

Item = Article | InputError


def stable_id(url: str | None, text: str) -> str:
    """A stable id: hash of the normalised URL, or of the text when there is no URL."""
    basis = url.strip().lower().rstrip("/") if url else text
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def expand_inputs(inputs: Iterable[str]) -> Iterator[str | Path]:
    """Expand folders (recursively, known suffixes only, sorted) and globs; keep '-' as is."""
    for raw in inputs:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() in KNOWN_SUFFIXES)
        elif any(ch in raw for ch in "*?["):
            matches = sorted(glob.glob(raw, recursive=True))
            yield from (Path(m) for m in matches) if matches else [path]
        else:
            yield path


def read_inputs(inputs: Iterable[str], max_bytes: int) -> Iterator[Item]:
    """Every article (or error) from ``inputs``, in input order."""
    for source in expand_inputs(inputs):
        if source == "-":
            yield from _read_stream(sys.stdin.buffer, "<stdin>", max_bytes)
        else:
            yield from _read_path(Path(source), max_bytes)


def _read_path(path: Path, max_bytes: int) -> Iterator[Item]:
    name = str(path)
    if not path.exists():
        yield InputError(name, "no such file or directory")
        return
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        with path.open("rb") as f:
            yield from _read_jsonl(f, name, max_bytes)
        return
    if path.stat().st_size > max_bytes:
        yield InputError(name, f"article is {path.stat().st_size:,} bytes, over the {max_bytes:,} limit")
        return
    text = _decode(path.read_bytes(), name)
    if isinstance(text, InputError):
        yield text
    elif suffix in HTML_SUFFIXES:
        yield parse_html(text, name)
    else:
        yield parse_text(text, name)


def _read_stream(stream: BinaryIO, name: str, max_bytes: int) -> Iterator[Item]:
    data = stream.read()
    if data.lstrip()[:1] == b"{":
        import io

        yield from _read_jsonl(io.BytesIO(data), name, max_bytes)
        return
    if len(data) > max_bytes:
        yield InputError(name, f"article is {len(data):,} bytes, over the {max_bytes:,} limit")
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

    meta = meta or {}
    # fast=True skips the fallback extractors, which return navigation text for pages with no body.
    doc = trafilatura.bare_extraction(html, with_metadata=True, favor_precision=True, fast=True)
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


def _read_jsonl(stream: BinaryIO, name: str, max_bytes: int) -> Iterator[Item]:
    seen_any = False
    for lineno, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        seen_any = True
        item = f"{name}:{lineno}"
        if len(raw) > max_bytes:
            yield InputError(item, f"line is {len(raw):,} bytes, over the {max_bytes:,} limit")
            continue
        text = _decode(raw, item)
        if isinstance(text, InputError):
            yield text
            continue
        yield parse_json_record(text, item)
    if not seen_any:
        yield InputError(name, "empty input")


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
