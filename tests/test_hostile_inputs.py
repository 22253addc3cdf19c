"""Input reading: WARC, compressed JSON Lines, and hostile inputs built in tmp_path at test time.

Every case asserts the exact outcome: which items are Articles (ids, text) and which are InputErrors
(item name, reason). Nothing may crash, hang or vanish without a trace.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import sys
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from eventcoder.stages.ingest import ReadStats, expand_inputs, read_inputs
from eventcoder.types import Article, InputError

LIMIT = 1_000_000
SENTENCE = "The ministers of Kenya and Uganda met in Nairobi to discuss the border, officials said."
WARC_DATE = "2021-03-04T05:06:07Z"


def _page(n: int, meta: str = "") -> bytes:
    body = " ".join([f"{SENTENCE} Round {n}."] * 5)
    return (
        f"<html><head><title>Talks {n}</title>{meta}</head>"
        f"<body><nav>Home | World</nav><article><h1>Talks {n}</h1><p>{body}</p></article></body></html>"
    ).encode()


def _read(path: Path, limit: int = LIMIT) -> tuple[list[Article | InputError], ReadStats]:
    stats = ReadStats()
    return list(read_inputs([str(path)], limit, stats)), stats


def _shape(items: list[Article | InputError]) -> list[str]:
    """'A:<url or id>' for articles, 'E:<item>' for errors: the outcome at a glance."""
    return [f"A:{i.url or i.id}" if isinstance(i, Article) else f"E:{i.item}" for i in items]


def _error(items: list[Article | InputError], index: int) -> InputError:
    item = items[index]
    assert isinstance(item, InputError), item
    return item


# --- WARC: hand-built records, so that lengths can lie ------------------------------------------------


def _http(
    body: bytes, ctype: str = "text/html; charset=utf-8", status: str = "200 OK", extra: str = ""
) -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n{extra}\r\n".encode() + body


def _record(block: bytes, n: int, kind: str = "response", length: str | None = None) -> bytes:
    head = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{n}>\r\nWARC-Date: {WARC_DATE}\r\n"
        f"WARC-Target-URI: http://x.test/{n}\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(block) if length is None else length}\r\n\r\n"
    )
    return head.encode() + block + b"\r\n\r\n"


def _four(bad_length: str | None = None) -> list[bytes]:
    """Four HTML response records; the second with ``bad_length`` as its Content-Length."""
    return [_record(_http(_page(n)), n, length=bad_length if n == 1 else None) for n in range(4)]


def _write_warc(tmp_path: Path, records: list[bytes], gz: bool, name: str = "crawl") -> Path:
    path = tmp_path / (f"{name}.warc.gz" if gz else f"{name}.warc")
    # One gzip member per record, as the WARC standard recommends.
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if gz else b"".join(records))
    return path


URLS = [f"A:http://x.test/{n}" for n in range(4)]


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_warc_written_by_warcio_yields_html_pages_and_counts_the_rest(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("w.warc.gz" if gz else "w.warc")
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))

        def response(url: str, body: bytes, ctype: str = "text/html", status: str = "200 OK") -> None:
            http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": WARC_DATE},
                )
            )

        request = StatusAndHeaders("GET /a HTTP/1.1", [("Host", "x.test")], is_http_request=True)
        writer.write_record(
            writer.create_warc_record(
                "http://x.test/a", "request", payload=io.BytesIO(b""), http_headers=request
            )
        )
        response("http://x.test/a", _page(1, "<meta name='date' content='2023-07-01'>"))
        response("http://x.test/b", _page(2), "application/xhtml+xml")
        response("http://x.test/logo.png", b"\x89PNG\r\n", "image/png")
        response("http://x.test/gone", _page(3), status="404 Not Found")
        writer.write_record(
            writer.create_warc_record("http://x.test/a", "metadata", payload=io.BytesIO(b"via: x\r\n"))
        )
    items, stats = _read(path)
    assert _shape(items) == ["A:http://x.test/a", "A:http://x.test/b"]
    first, second = items
    assert isinstance(first, Article) and isinstance(second, Article)
    assert first.origin == f"{path}#record-3 (http://x.test/a)" and first.title == "Talks 1"
    assert "Round 1" in first.text and "Home | World" not in first.text
    assert first.date == date(2023, 7, 1)  # from the page
    assert second.date == date(2021, 3, 4)  # no date in the page: the capture date
    assert dict(stats.skipped) == {
        "warcinfo record": 1,
        "request record": 1,
        "non-HTML response": 1,
        "non-200 response": 1,
        "metadata record": 1,
    }
    assert stats.total_skipped == 5


def test_warc_skips_dns_revisit_and_untyped_records(tmp_path: Path) -> None:
    records = [
        _record(b"20210304 x.test. 60 IN A 10.0.0.1\r\n", 0).replace(b"http://x.test/0", b"dns:x.test"),
        _record(_http(b""), 1, kind="revisit"),
        _record(_http(_page(2)), 2).replace(b"WARC-Type: response\r\n", b""),
        _record(_http(_page(3)), 3),
    ]
    items, stats = _read(_write_warc(tmp_path, records, gz=False))
    assert _shape(items) == ["A:http://x.test/3"]
    assert dict(stats.skipped) == {"non-HTTP response": 1, "revisit record": 1, "untyped record": 1}


def test_warc_decodes_chunked_gzip_bodies_and_declared_charsets(tmp_path: Path) -> None:
    zipped = gzip.compress(_page(0))
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (zipped[:100], zipped[100:])) + b"0\r\n\r\n"
    latin = _page(1).replace(b"Nairobi", "Nairobi caf\u00e9".encode("latin-1"))
    records = [
        _record(_http(chunked, extra="Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n"), 0),
        _record(_http(latin, ctype="text/html; charset=ISO-8859-1"), 1),
        _record(_http(b"<meta charset='latin-1'>" + latin, ctype="text/html"), 2),
    ]
    items, _ = _read(_write_warc(tmp_path, records, gz=True))
    assert _shape(items) == URLS[:3]
    assert all(isinstance(i, Article) for i in items)
    assert "Round 0" in items[0].text  # type: ignore[union-attr]
    assert "Nairobi café" in items[1].text and "Nairobi café" in items[2].text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("extra", "body", "reason"),
    [
        ("Content-Encoding: gzip\r\n", gzip.compress(_page(0))[:-30], "truncated gzip body"),
        ("Content-Encoding: gzip\r\n", b"\x1f\x8b\x08\x00garbage" * 9, "corrupt gzip body"),
        ("Content-Encoding: br\r\n", b"\x00\x01", "unsupported Content-Encoding 'br'"),
        ("Transfer-Encoding: chunked\r\n", b"10\r\nshort\r\n", "malformed chunked transfer encoding"),
        ("", _page(0).replace(b"Nairobi", b"Nair\xffobi"), "HTML is not valid utf-8"),
    ],
    ids=["truncated-gzip", "corrupt-gzip", "brotli", "bad-chunks", "bad-utf8"],
)
def test_warc_undecodable_body_is_an_error_for_that_record(
    tmp_path: Path, extra: str, body: bytes, reason: str
) -> None:
    records = [_record(_http(body, extra=extra), 0), _record(_http(_page(1)), 1)]
    items, _ = _read(_write_warc(tmp_path, records, gz=False))
    assert _shape(items) == [f"E:{tmp_path / 'crawl.warc'}#record-1 (http://x.test/0)", URLS[1]]
    assert reason in _error(items, 0).reason


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
@pytest.mark.parametrize(
    ("length", "reason"),
    [
        ("abc", "Content-Length 'abc' is not a number of bytes"),
        ("-5", "Content-Length '-5' is not a number of bytes"),
        ("50", "Content-Length 50 does not match the record"),  # too short
        ("2000", "Content-Length 2,000 does not match the record"),  # too long, into the next records
        ("999999", "Content-Length 999,999 runs past the next record; skipped to it"),  # past the end
    ],
)
def test_warc_bogus_content_length_fails_that_record_only(
    tmp_path: Path, gz: bool, length: str, reason: str
) -> None:
    path = _write_warc(tmp_path, _four(length), gz)
    items, _ = _read(path)
    assert _shape(items) == [URLS[0], f"E:{path}#record-2 (http://x.test/1)", URLS[2], URLS[3]]
    assert _error(items, 1).reason.startswith(reason)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"Content-Length:", b"X-Length:", "no Content-Length header"),
        (
            b"WARC-Date:",
            b"X-Junk: " + b"j" * 70_000 + b"\r\nWARC-Date:",
            "WARC headers run over 65,536 bytes",
        ),
    ],
    ids=["no-length", "huge-header"],
)
def test_warc_broken_header_block_fails_that_record_only(
    tmp_path: Path, old: bytes, new: bytes, reason: str
) -> None:
    records = _four()
    records[1] = records[1].replace(old, new)
    path = _write_warc(tmp_path, records, gz=True)
    items, _ = _read(path)
    assert [_shape(items)[0], *_shape(items)[2:]] == [URLS[0], URLS[2], URLS[3]]
    assert _shape(items)[1].startswith(f"E:{path}#record-2") and _error(items, 1).reason == reason


def test_warc_file_ending_inside_headers_is_an_error(tmp_path: Path) -> None:
    records = _four()
    path = _write_warc(tmp_path, [*records[:3], records[3][:100]], gz=False)
    items, _ = _read(path)
    assert _shape(items) == [*URLS[:3], f"E:{path}#record-4"]
    assert _error(items, 3).reason == "the file ends inside the record's WARC headers"


def test_warc_last_record_cut_short_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.warc"
    path.write_bytes(b"".join(_four())[:-300])
    items, _ = _read(path)
    assert _shape(items) == [*URLS[:3], f"E:{path}#record-4 (http://x.test/3)"]
    assert "but the file ends after" in _error(items, 3).reason


def test_warc_truncated_gzip_stops_the_file_with_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(b"".join(gzip.compress(r) for r in _four())[:-100])
    items, _ = _read(path)
    assert _shape(items) == [*URLS[:3], f"E:{path}#record-4"]
    assert _error(items, 3).reason.startswith("truncated gzip: the file ends inside a gzip member")


def test_warc_corrupt_gzip_member_is_skipped_to_the_next_member(tmp_path: Path) -> None:
    members = [gzip.compress(r) for r in _four()]
    members[2] = members[2][:40] + b"\xff" * 60 + members[2][100:]
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(b"".join(members))
    items, _ = _read(path)
    assert _shape(items) == [*URLS[:2], f"E:{path}#record-3", URLS[3]]
    assert _error(items, 2).reason.startswith("corrupt gzip data")
    assert _error(items, 2).reason.endswith("skipped to the next gzip member")


def test_warc_garbage_between_records_is_reported_and_passed(tmp_path: Path) -> None:
    records = _four()
    path = _write_warc(
        tmp_path, [b"not a warc\r\nat all\r\n", *records[:2], b"junk\r\n", *records[2:]], False
    )
    items, _ = _read(path)
    assert _shape(items) == [f"E:{path}#record-1", *URLS[:2], f"E:{path}#record-4", *URLS[2:]]
    assert _error(items, 0).reason == "no WARC/1.x line where a record should start; skipped 20 bytes"


def test_warc_html_over_the_limit_is_refused_without_holding_it(tmp_path: Path) -> None:
    big = _page(0).replace(b"</p>", b" " + b"x" * 50_000 + b"</p>")
    path = _write_warc(tmp_path, [_record(_http(big), 0), _record(_http(_page(1)), 1)], gz=True)
    items, _ = _read(path, limit=20_000)
    assert _shape(items) == [f"E:{path}#record-1 (http://x.test/0)", URLS[1]]
    assert "over the 20,000 limit" in _error(items, 0).reason


def test_warc_suffix_does_not_decide_compression(tmp_path: Path) -> None:
    plain_named_gz = tmp_path / "plain.warc.gz"
    plain_named_gz.write_bytes(b"".join(_four()))
    gz_named_plain = tmp_path / "zipped.warc"
    gz_named_plain.write_bytes(b"".join(gzip.compress(r) for r in _four()))
    assert _shape(_read(plain_named_gz)[0]) == _shape(_read(gz_named_plain)[0]) == URLS


# --- Compressed JSON Lines ----------------------------------------------------------------------------

ROWS = [{"id": str(n), "text": f"Line {n}."} for n in range(3)]
JSONL = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".zst": lambda data: zstandard.ZstdCompressor(write_checksum=True).compress(data),
}


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.bz2", ".jsonl.zst", ".ndjson.gz", ".ndjson.zst"])
def test_ingest_compressed_jsonl_reads_like_plain(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"c{suffix}"
    path.write_bytes(COMPRESS["." + suffix.rsplit(".", 1)[1]](JSONL))
    items, _ = _read(path)
    assert [(i.id, i.text, i.origin) for i in items if isinstance(i, Article)] == [
        (str(n), f"Line {n}.", f"{path}:{n + 1} (id {n})") for n in range(3)
    ]
    assert len(items) == 3


@pytest.mark.parametrize(("suffix", "codec"), [(".gz", "gzip"), (".bz2", "bz2"), (".zst", "zstd")])
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_ingest_broken_compressed_jsonl_keeps_the_good_lines(
    tmp_path: Path, suffix: str, codec: str, damage: str
) -> None:
    # Two streams (members, frames) back to back; the second is broken, so exactly 3 lines are good.
    second = COMPRESS[suffix](b'{"id": "9", "text": "Lost."}\n' * 50)
    if damage == "truncated":
        broken = second[:12]
    else:
        broken = second[:12] + bytes(b ^ 0x55 for b in second[12:40]) + second[40:]
    path = tmp_path / f"b.jsonl{suffix}"
    path.write_bytes(COMPRESS[suffix](JSONL) + broken)
    items, _ = _read(path)
    assert _shape(items) == ["A:0", "A:1", "A:2", f"E:{path}"]
    assert _error(items, 3).reason.startswith(f"truncated or corrupt {codec} stream after 3 lines: ")


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.bz2", ".jsonl.zst"])
def test_ingest_not_actually_compressed_is_one_error(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"plain{suffix}"
    path.write_bytes(JSONL)
    items, _ = _read(path)
    assert _shape(items) == [f"E:{path}"] and "stream after 0 lines" in _error(items, 0).reason


def test_ingest_folder_expands_to_warc_and_compressed_jsonl(tmp_path: Path) -> None:
    names = ["a.warc.gz", "b.jsonl.zst", "c.ndjson.bz2", "d.txt", "e.txt.gz", "f.warc.zst", "g.WARC"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    found = [Path(p).name for p in expand_inputs([str(tmp_path)])]
    assert found == ["a.warc.gz", "b.jsonl.zst", "c.ndjson.bz2", "d.txt", "g.WARC"]


# --- Hostile inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("zero.txt", b""),
        ("zero.html", b""),
        ("zero.jsonl", b""),
        ("zero.jsonl.gz", b""),
        ("zero.jsonl.bz2", b""),
        ("zero.jsonl.zst", b""),
        ("zero.warc", b""),
        ("zero.warc.gz", b""),
        ("nothing.jsonl.gz", gzip.compress(b"")),
        ("nothing.jsonl.bz2", bz2.compress(b"")),
        ("nothing.jsonl.zst", zstandard.ZstdCompressor().compress(b"")),
        ("nothing.warc.gz", gzip.compress(b"")),
        ("blank.warc", b"\r\n\r\n"),
    ],
)
def test_hostile_empty_files_give_one_empty_input_error(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    items, _ = _read(path)
    assert _shape(items) == [f"E:{path}"] and _error(items, 0).reason == "empty input"


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_hostile_invalid_utf8_fails_only_its_line(tmp_path: Path, suffix: str) -> None:
    data = b'{"id": "a", "text": "Fine."}\n{"id": "b", "text": "caf\xe9"}\n{"id": "c", "text": "Also."}\n'
    path = tmp_path / f"u{suffix}"
    path.write_bytes(COMPRESS[suffix[6:]](data) if suffix != ".jsonl" else data)
    items, _ = _read(path)
    assert _shape(items) == ["A:a", f"E:{path}:2", "A:c"]
    assert _error(items, 1).reason == "not valid UTF-8 (invalid continuation byte at byte 24)"


@pytest.mark.parametrize("compressed", [False, True], ids=["jsonl", "jsonl.gz"])
def test_hostile_100mb_line_is_refused_in_bounded_memory(tmp_path: Path, compressed: bool) -> None:
    path = tmp_path / ("big.jsonl.gz" if compressed else "big.jsonl")
    megabyte = b"a" * 1_000_000
    with gzip.open(path, "wb", compresslevel=1) if compressed else path.open("wb") as out:
        out.write(b'{"id": "a", "text": "Before."}\n{"id": "big", "text": "')
        for _ in range(100):
            out.write(megabyte)
        out.write(b'"}\n{"id": "c", "text": "After."}\n')
    del megabyte
    tracemalloc.start()
    try:
        items, _ = _read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        path.unlink()  # pytest keeps recent tmp dirs; 100 MB is not worth keeping
    assert peak < 4 * LIMIT, f"peak {peak:,} bytes"
    assert _shape(items) == ["A:a", f"E:{path}:2", "A:c"]
    assert _error(items, 1).reason == "line is 100,000,026 bytes, over the 1,000,000 limit"


@pytest.mark.parametrize("depth", [100_000, 300])
def test_hostile_deeply_nested_html_is_refused_not_truncated(tmp_path: Path, depth: int) -> None:
    html = "<html><body>" + "<div>" * depth + f"<p>{SENTENCE}</p>" + "</div>" * depth + "</body></html>"
    path = tmp_path / "deep.html"
    path.write_text(html)
    items, _ = _read(path, limit=5_000_000)  # 100,000 <div>s are 1.1 MB
    assert _shape(items) == [f"E:{path}"]
    assert _error(items, 0).reason == "HTML nests 256 elements deep: the parser drops deeper text"


def test_hostile_moderately_nested_html_is_read(tmp_path: Path) -> None:
    html = "<html><body>" + "<div>" * 100 + _page(0).decode() + "</div>" * 100 + "</body></html>"
    path = tmp_path / "nested.html"
    path.write_text(html)
    items, _ = _read(path)
    assert len(items) == 1 and isinstance(items[0], Article) and "Round 0" in items[0].text


def test_hostile_deeply_nested_html_in_a_warc_fails_that_record(tmp_path: Path) -> None:
    deep = b"<html><body>" + b"<div>" * 100_000 + b"<p>x</p>" + b"</div>" * 100_000 + b"</body></html>"
    path = _write_warc(tmp_path, [_record(_http(deep), 0), _record(_http(_page(1)), 1)], gz=True)
    items, _ = _read(path, limit=5_000_000)
    assert _shape(items) == [f"E:{path}#record-1 (http://x.test/0)", URLS[1]]
    assert "nests 256 elements deep" in _error(items, 0).reason


def test_hostile_duplicate_ids_flow_on(tmp_path: Path) -> None:
    # Not an error: a store upserts by id, so the second copy replaces the first.
    path = tmp_path / "dup.jsonl"
    path.write_text('{"id": "x", "text": "First."}\n{"id": "x", "text": "Second."}\n')
    items, _ = _read(path)
    assert [(i.id, i.text) for i in items if isinstance(i, Article)] == [("x", "First."), ("x", "Second.")]


def test_hostile_long_line_on_stdin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (
        b'\n  {"id": "a", "text": "One."}\n{"id": "b", "text": "'
        + b"z" * 5000
        + b'"}\n{"id": "c", "text": "T."}\n'
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    items = list(read_inputs(["-"], 1000))
    assert _shape(items) == ["A:a", "E:<stdin>:3", "A:c"]
    assert _error(items, 1).reason == "line is 5,024 bytes, over the 1,000 limit"


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"Kenya hosted the talks.", "A"), (b"y" * 5000, "E:article is 5,000 bytes, over the 1,000 limit")],
)
def test_hostile_stdin_text_is_read_up_to_the_limit(
    monkeypatch: pytest.MonkeyPatch, data: bytes, expected: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    (item,) = read_inputs(["-"], 1000)
    if expected == "A":
        assert isinstance(item, Article) and item.text == data.decode()
    else:
        assert isinstance(item, InputError) and "E:" + item.reason == expected
