"""Byte streams for input reading: gzip, bz2 and zstd files read line by line, breakage reported.

A stream that is truncated or corrupt raises one of ``STREAM_ERRORS`` at the point where it breaks, after
every byte before that point has been returned; nothing is dropped quietly. The standard library's bz2
reader ignores a corrupt stream after the first one, and zstandard's stream reader ends quietly inside a
truncated frame, so both are wrapped here.
"""

from __future__ import annotations

import bz2
import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol, cast

import zstandard

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK = 1 << 16
CODECS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}
STREAM_ERRORS = (EOFError, OSError, zlib.error, zstandard.ZstdError)
_ZSTD_LONGEST_HEADER = 18


class LineSource(Protocol):
    def readline(self, size: int, /) -> bytes: ...


@contextmanager
def open_compressed(path: Path, compression: str) -> Iterator[LineSource]:
    """``path`` opened for line reads, decompressed by ``compression`` (".gz", ".bz2", ".zst" or "")."""
    with path.open("rb") as raw:
        if compression == ".gz":
            with gzip.GzipFile(fileobj=raw) as gz:
                yield gz
        elif compression == ".bz2":
            yield io.BufferedReader(_Bz2Raw(raw))
        elif compression == ".zst":
            yield io.BufferedReader(_ZstdRaw(raw))
        else:
            yield raw


class _Bz2Raw(io.RawIOBase):
    """Decompressed bytes of one or more bz2 streams; trailing data that is no bz2 stream is an error."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._dec = bz2.BZ2Decompressor()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._dec.eof:
                self._pending = self._dec.unused_data or self._raw.read(CHUNK)
                if not self._pending:
                    return 0
                self._dec = bz2.BZ2Decompressor()
            if not self._pending and self._dec.needs_input:
                self._pending = self._raw.read(CHUNK)
                if not self._pending:
                    raise EOFError("the file ends inside a bz2 stream")
            data = self._dec.decompress(self._pending, len(view))
            self._pending = b""
            if data:
                view[: len(data)] = data
                return len(data)


class _ZstdRaw(io.RawIOBase):
    """Decompressed bytes of a zstd file, frame by frame, so a bad frame cannot take earlier data with it;
    the frame headers are walked first, so that a truncated last frame is noticed."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        if raw.seekable():
            self._frames, self._complete = _zstd_frames(raw)
        else:  # a pipe cannot be walked ahead: one reader for all frames, and truncation goes unnoticed
            self._frames, self._complete = [(0, -1)], True
        self._reader: zstandard.ZstdDecompressionReader | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._reader is None:
                if not self._frames:
                    if not self._complete:
                        raise EOFError("the file ends inside a zstd frame")
                    return 0
                start, end = self._frames.pop(0)
                source = self._raw if end < 0 else cast(IO[bytes], _Slice(self._raw, start, end))
                self._reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)
            data = self._reader.read(len(view))
            if data:
                view[: len(data)] = data
                return len(data)
            self._reader = None


class _Slice:
    """Bytes ``start:end`` of a seekable file."""

    def __init__(self, raw: BinaryIO, start: int, end: int) -> None:
        raw.seek(start)
        self._raw = raw
        self._left = end - start

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(self._left if n < 0 else min(n, self._left))
        self._left -= len(data)
        return data


def _zstd_frames(raw: BinaryIO) -> tuple[list[tuple[int, int]], bool]:
    """The (start, end) offsets of a zstd file's frames, and whether the last one is complete.

    Only frame and block headers are read. A frame whose header zstandard cannot parse runs to the end
    of the file, so that decompressing it reports the damage.
    """
    size = raw.seek(0, io.SEEK_END)
    frames: list[tuple[int, int]] = []
    pos = 0
    while pos < size:
        raw.seek(pos)
        head = raw.read(_ZSTD_LONGEST_HEADER)
        if int.from_bytes(head[:4], "little") & 0xFFFFFFF0 == 0x184D2A50:  # skippable: magic, size, data
            pos += 8 + int.from_bytes(head[4:8], "little")
            continue
        start = pos
        try:
            pos += zstandard.frame_header_size(head)
            checksum = zstandard.get_frame_parameters(head).has_checksum
        except zstandard.ZstdError:
            frames.append((start, size))
            return frames, len(head) == _ZSTD_LONGEST_HEADER  # a short header is a truncated file
        last = False
        while not last and pos <= size:
            raw.seek(pos)
            block = int.from_bytes(raw.read(3).ljust(3, b"\xff"), "little")
            last = bool(block & 1)
            pos += 3 + (1 if (block >> 1) & 3 == 1 else block >> 3)  # an RLE block stores one byte
        pos += 4 if checksum else 0
        frames.append((start, min(pos, size)))
    return frames, pos == size


class Rejoined(io.RawIOBase):
    """Bytes already read from a stream, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            data, self._head = self._head[: len(view)], self._head[len(view) :]
        else:
            data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)
