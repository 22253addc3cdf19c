"""Reading WARC and WARC.gz files: HTML response records out, everything else counted or reported.

warcio parses each record's WARC and HTTP headers, but the framing (where one record ends and the next
begins) is done here. warcio's ArchiveIterator trusts every Content-Length: a length that is too long
silently swallows the records after it, a truncated file returns its last record short without a word,
and a broken gzip member ends the file with a note on stderr. Here every record's length is checked
against the blank line that must follow it; a record that fails the check is reported as an InputError
naming the file and record number, and reading resynchronises on the next ``WARC/`` line (or, after
corrupt gzip data, the next gzip member). At most about ``max_bytes`` of one record is held in memory.

Records are numbered from 1 in file order, counting broken ones.
"""

from __future__ import annotations

import codecs
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from warcio.bufferedreaders import (
    ChunkedDataException,
    ChunkedDataReader,
)
from warcio.statusandheaders import StatusAndHeadersParser

from eventcoder.types import InputError

WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
CHUNK = 1 << 16
MAX_HEADER = 1 << 16  # bytes in a WARC header block, and allowance for the HTTP headers of a record
GZIP_MAGIC = b"\x1f\x8b"
_GZIP_MEMBER = b"\x1f\x8b\x08"
_VERSION_LINE = re.compile(rb"WARC/\d+\.\d+\r?\n")
_VERSION_LINE_INSIDE = re.compile(rb"\nWARC/\d+\.\d+\r?\n")
_DIGITS = re.compile(r"\d+", re.ASCII)
_CHUNK_SIZE_LINE = re.compile(rb"[0-9a-fA-F]+[ \t]*(;[^\r\n]*)?\r\n")
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# verify=False: accept any version or status line (WARC/1.1, HTTP/2) rather than fail the record.
_WARC_HEADERS = StatusAndHeadersParser(["WARC/"], verify=False)
_HTTP_HEADERS = StatusAndHeadersParser(["HTTP/"], verify=False)


@dataclass(frozen=True, slots=True)
class HtmlRecord:
    """An HTML page from a WARC response record, ready for text extraction."""

    item: str  # file#record-N (URI)
    html: str
    url: str | None
    date: date | None  # the WARC-Date (when the page was captured)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A well-formed record that holds no HTML page (request, warcinfo, image, 404 ...)."""

    item: str
    reason: str  # the counter key, e.g. "request record", "non-HTML response"


WarcItem = HtmlRecord | Skipped | InputError


def read_warc(path: Path, max_bytes: int) -> Iterator[WarcItem]:
    """Every record of a WARC file (gzip-compressed or not, whatever its suffix), in file order."""
    name = str(path)
    with path.open("rb") as raw:
        source: _Source = _GzipMembers(raw) if raw.peek(2)[:2] == GZIP_MAGIC else _Plain(raw)
        reader = _Reader(source)
        number = 0
        while True:
            try:
                frame = _next_frame(reader, max_bytes + MAX_HEADER)
            except _Truncated as exc:
                yield InputError(f"{name}#record-{number + 1}", f"{exc} ({number:,} records before it)")
                return
            except _Corrupt as exc:
                number += 1
                reader.clear()
                found = source.resync()
                after = "skipped to the next gzip member" if found else "no gzip member follows it"
                yield InputError(f"{name}#record-{number}", f"{exc}; {after}")
                if not found:
                    return
                continue
            if frame is None:
                break
            number += 1
            item = f"{name}#record-{number}"
            if isinstance(frame, _Broken):
                yield InputError(f"{item} ({frame.url})" if frame.url else item, frame.reason)
            else:
                yield _classify(frame, item, max_bytes)
        if number == 0:
            yield InputError(name, "empty input")


# --- Byte sources: plain or gzip, read a bounded chunk at a time --------------------------------------


class _Truncated(Exception):
    """The file ends inside a gzip member."""


class _Corrupt(Exception):
    """Compressed data that cannot be decompressed."""


class _Source(Protocol):
    def read_chunk(self) -> bytes: ...  # b"" only at the end of the file

    def resync(self) -> bool: ...  # after _Corrupt: skip to where reading can go on; False if nowhere


class _Plain:
    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def read_chunk(self) -> bytes:
        return self.raw.read(CHUNK)

    def resync(self) -> bool:
        return False


class _GzipMembers:
    """The decompressed bytes of a (multi-member) gzip file; can skip to the next member after damage."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.pending = b""  # compressed bytes not yet fed to the decompressor
        self.dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self.in_member = False

    def read_chunk(self) -> bytes:
        while True:
            if not self.pending:
                self.pending = self.raw.read(CHUNK)
                if not self.pending:
                    if self.in_member:
                        raise _Truncated("truncated gzip: the file ends inside a gzip member")
                    return b""
            self.in_member = True
            try:
                # max_length bounds the output of one call, so a gzip bomb is read a chunk at a time.
                out = self.dec.decompress(self.pending, CHUNK)
            except zlib.error as exc:
                raise _Corrupt(f"corrupt gzip data ({exc})") from None
            if self.dec.eof:
                self.pending = self.dec.unused_data
                self.dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
                self.in_member = False
            else:
                self.pending = self.dec.unconsumed_tail
            if out:
                return out

    def resync(self) -> bool:
        self.dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self.in_member = False
        data = self.pending[1:]  # at least one byte on, so a bad member header cannot be found again
        while (at := data.find(_GZIP_MEMBER)) < 0:
            more = self.raw.read(CHUNK)
            if not more:
                self.pending = b""
                return False
            data = data[-2:] + more
        self.pending = data[at:]
        return True


class _Reader:
    """Bounded reads and line reads over a source, with push-back for resynchronising."""

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.buf = bytearray()

    def _fill(self) -> bool:
        chunk = self.source.read_chunk()
        self.buf += chunk
        return bool(chunk)

    def _take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def readline(self, limit: int = MAX_HEADER) -> bytes:
        """One line with its ending, or its first ``limit`` bytes; b"" at the end of the file."""
        start = 0
        while (end := self.buf.find(b"\n", start, limit)) < 0:
            if len(self.buf) >= limit:
                return self._take(limit)
            start = len(self.buf)
            if not self._fill():
                return self._take(len(self.buf))
        return self._take(end + 1)

    def read(self, n: int) -> bytes:
        while len(self.buf) < n and self._fill():
            pass
        return self._take(n)

    def skip(self, n: int) -> int:
        """Drop ``n`` bytes without holding them; returns how many there were."""
        skipped = 0
        while skipped < n and (self.buf or self._fill()):
            k = min(n - skipped, len(self.buf))
            del self.buf[:k]
            skipped += k
        return skipped

    def unread(self, data: bytes) -> None:
        self.buf[:0] = data

    def clear(self) -> None:
        self.buf.clear()


# --- Framing: WARC header block, Content-Length bytes, blank line -------------------------------------


@dataclass(frozen=True, slots=True)
class _Frame:
    headers: Any  # warcio StatusAndHeaders
    block: bytes  # the record block, or its first max_bytes + MAX_HEADER bytes when it is longer
    length: int  # the declared Content-Length


@dataclass(frozen=True, slots=True)
class _Broken:
    reason: str
    url: str | None = None


def _next_frame(reader: _Reader, cap: int) -> _Frame | _Broken | None:
    """The next record, or why it is broken (having skipped to the record after it), or None at the end."""
    line = reader.readline()
    while line and not line.strip():  # blank lines between records
        line = reader.readline()
    if not line:
        return None
    if not _VERSION_LINE.fullmatch(line):
        skipped = len(line) + _skip_to_record(reader)
        return _Broken(f"no WARC/1.x line where a record should start; skipped {skipped:,} bytes")
    header = _header_block(reader, line)
    if isinstance(header, str):
        _skip_to_record(reader)
        return _Broken(header)
    headers = _WARC_HEADERS.parse(io.BytesIO(header))
    url = _target_uri(headers)
    length = _content_length(headers.get_header("Content-Length"))
    if isinstance(length, str):
        _skip_to_record(reader)
        return _Broken(length, url)
    block = reader.read(min(length, cap))
    got = len(block) + reader.skip(length - len(block))
    if got < length:
        if _resync_inside(reader, block):
            return _Broken(f"Content-Length {length:,} runs past the next record; skipped to it", url)
        return _Broken(f"Content-Length is {length:,} but the file ends after {got:,} bytes of it", url)
    after = reader.readline()
    if after.strip():
        reader.unread(after)
        if not _resync_inside(reader, block):
            _skip_to_record(reader)
        return _Broken(f"Content-Length {length:,} does not match the record (no blank line after it)", url)
    return _Frame(headers, block, length)


def _target_uri(headers: Any) -> str | None:
    """WARC-Target-URI, without the angle brackets some wget versions put round it."""
    return (headers.get_header("WARC-Target-URI") or "").strip().strip("<>") or None


def _header_block(reader: _Reader, first: bytes) -> bytes | str:
    lines = [first]
    size = len(first)
    while size <= MAX_HEADER:
        line = reader.readline()
        if not line:
            return "the file ends inside the record's WARC headers"
        lines.append(line)
        size += len(line)
        if not line.strip():
            return b"".join(lines)
    return f"WARC headers run over {MAX_HEADER:,} bytes"


def _content_length(value: str | None) -> int | str:
    if value is None:
        return "no Content-Length header"
    if not _DIGITS.fullmatch(value.strip()):
        return f"Content-Length {value!r} is not a number of bytes"
    return int(value)


def _skip_to_record(reader: _Reader) -> int:
    """Skip to the next line that starts a record; returns the bytes skipped."""
    skipped = 0
    while line := reader.readline():
        if _VERSION_LINE.fullmatch(line):
            reader.unread(line)
            break
        skipped += len(line)
    return skipped


def _resync_inside(reader: _Reader, block: bytes) -> bool:
    """A block that ran too long may hold the next record's start: if so, push back from there."""
    found = _VERSION_LINE_INSIDE.search(block, 1)
    if found:
        reader.unread(block[found.start() + 1 :])
    return found is not None


# --- Records: which are HTML pages, and their text ----------------------------------------------------


class _BadBody(Exception):
    """An HTML body that cannot be decoded."""


def _classify(frame: _Frame, item: str, max_bytes: int) -> WarcItem:
    kind = (frame.headers.get_header("WARC-Type") or "untyped").strip().lower()
    url = _target_uri(frame.headers)
    item = f"{item} ({url})" if url else item
    if kind != "response":
        return Skipped(item, f"{kind} record")
    if not frame.block.startswith(b"HTTP/"):
        return Skipped(item, "non-HTTP response")
    stream = io.BytesIO(frame.block)
    http = _HTTP_HEADERS.parse(stream)
    if http.get_statuscode() != "200":
        return Skipped(item, "non-200 response")
    content_type = http.get_header("Content-Type") or ""
    if content_type.split(";")[0].strip().lower() not in HTML_TYPES:
        return Skipped(item, "non-HTML response")
    if len(frame.block) < frame.length or frame.length - stream.tell() > max_bytes:
        return InputError(item, f"record is {frame.length:,} bytes, over the {max_bytes:,} limit")
    try:
        body = _decode_body(frame.block[stream.tell() :], http, max_bytes)
        html = _decode_html(body, content_type)
    except _BadBody as exc:
        return InputError(item, str(exc))
    return HtmlRecord(item, html, url, _warc_date(frame.headers.get_header("WARC-Date")))


def _decode_body(body: bytes, http: Any, max_bytes: int) -> bytes:
    """The body without its transfer and content encodings."""
    if "chunked" in (http.get_header("Transfer-Encoding") or "").lower():
        try:
            body = ChunkedDataReader(io.BytesIO(body), raise_exceptions=True).read()
        except ChunkedDataException as exc:
            # Some crawlers store the body de-chunked but keep the header: only real chunks can be bad.
            if _CHUNK_SIZE_LINE.match(body):
                raise _BadBody(f"malformed chunked transfer encoding ({exc})") from None
    encoding = (http.get_header("Content-Encoding") or "identity").strip().lower()
    if encoding in ("identity", ""):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise _BadBody(f"unsupported Content-Encoding {encoding!r}")
    # wbits 47 reads gzip or zlib; bare deflate streams (which some servers send) need -15.
    for wbits in (47, -zlib.MAX_WBITS):
        dec = zlib.decompressobj(wbits)
        try:
            out = dec.decompress(body, max_bytes + 1)
        except zlib.error:
            continue
        if len(out) > max_bytes:
            raise _BadBody(f"decompressed HTML body is over the {max_bytes:,} limit")
        if not dec.eof:
            raise _BadBody(f"truncated {encoding} body")
        return out
    raise _BadBody(f"corrupt {encoding} body")


def _decode_html(body: bytes, content_type: str) -> str:
    """The page as text in its declared charset: HTTP header, else <meta>, else UTF-8."""
    declared = _HEADER_CHARSET.search(content_type)
    meta = None if declared else _META_CHARSET.search(body[:4096])
    charset = declared.group(1) if declared else meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        return _decode_as(body, charset)
    except LookupError:  # an unknown label (utf8mb4) or no text encoding (base64): UTF-8, the web's default
        return _decode_as(body, "utf-8")


def _decode_as(body: bytes, charset: str) -> str:
    codec = codecs.lookup(charset).name
    try:
        return body.decode("utf-8-sig" if codec == "utf-8" else codec)
    except ValueError as exc:  # UnicodeDecodeError, or the UnicodeError of codecs such as idna
        where = f" at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else ""
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise _BadBody(f"HTML is not valid {charset} ({reason}{where})") from None


def _warc_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10]) if value else None
    except ValueError:
        return None
