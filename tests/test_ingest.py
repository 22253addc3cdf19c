from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from eventcoder.stages.ingest import parse_json_record, parse_text, read_inputs, stable_id
from eventcoder.types import Article, InputError

LIMIT = 1_000_000


def _one(path: Path) -> Article | InputError:
    items = list(read_inputs([str(path)], LIMIT))
    assert len(items) == 1
    return items[0]


def test_ingest_text_header_lines() -> None:
    item = parse_text("Title: Talks resume\nDate: 2024-05-02\nURL: https://x.test/a\n\nBody here.\n", "a.txt")
    assert isinstance(item, Article)
    assert (item.title, item.date, item.url) == ("Talks resume", date(2024, 5, 2), "https://x.test/a")
    assert item.text == "\nBody here.\n"


def test_ingest_text_without_header_keeps_text_as_given() -> None:
    item = parse_text("Kenya hosted the talks.", "a.txt")
    assert isinstance(item, Article) and item.text == "Kenya hosted the talks." and item.title is None


def test_ingest_stable_id_from_url_then_text() -> None:
    assert stable_id("https://x.test/a/", "one") == stable_id("HTTPS://x.test/a", "two")
    assert stable_id(None, "one") != stable_id(None, "two")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "a", "text": ', "malformed JSON"),
        ('["a"]', "not an object"),
        ('{"id": "a", "title": "t"}', "missing text"),
        ('{"id": "a", "text": "   "}', "missing text"),
        ('{"id": "a", "text": "x", "date": "14 March"}', "not YYYY-MM-DD"),
        ('{"id": "a", "text": 5}', "must be strings"),
    ],
)
def test_ingest_jsonl_bad_records_name_the_reason(line: str, reason: str) -> None:
    item = parse_json_record(line, "in.jsonl:3")
    assert isinstance(item, InputError)
    assert item.item.startswith("in.jsonl:3") and reason in item.reason


def test_ingest_jsonl_keeps_order_and_errors_in_place(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    rows = [{"id": "1", "text": "One."}, "{oops", {"id": "3", "text": "Three.", "date": "2020-01-02"}]
    f.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    items = list(read_inputs([str(f)], LIMIT))
    assert [type(i).__name__ for i in items] == ["Article", "InputError", "Article"]
    assert isinstance(items[1], InputError) and items[1].item == f"{f}:2"
    assert isinstance(items[2], Article) and items[2].date == date(2020, 1, 2)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty input"),
        ("blank.jsonl", b"\n\n", "empty input"),
        ("bin.txt", b"\x00\x01\x02binary", "binary"),
        ("latin.txt", b"caf\xe9 au lait", "not valid UTF-8"),
        ("nobody.html", b"<html><body><nav>menu</nav></body></html>", "no article body"),
    ],
)
def test_ingest_bad_files_give_one_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    item = _one(f)
    assert isinstance(item, InputError) and item.item == str(f) and reason in item.reason


def test_ingest_oversized_article_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "big.txt"
    f.write_text("word " * 1000)
    item = next(iter(read_inputs([str(f)], 100)))
    assert isinstance(item, InputError) and "over the 100 limit" in item.reason


def test_ingest_html_extracts_text_and_metadata(tmp_path: Path) -> None:
    body = " ".join(["The ministers of Kenya and Uganda met in Nairobi to discuss the border."] * 5)
    html = (
        "<html><head><title>Border talks</title><meta name='date' content='2023-07-01'>"
        "<link rel='canonical' href='https://news.test/border'></head>"
        f"<body><nav>Home | World</nav><article><h1>Border talks</h1><p>{body}</p></article></body></html>"
    )
    f = tmp_path / "page.html"
    f.write_text(html)
    item = _one(f)
    assert isinstance(item, Article)
    assert "Nairobi" in item.text and "Home | World" not in item.text
    assert item.title == "Border talks" and item.date == date(2023, 7, 1)
    assert item.url == "https://news.test/border"


def test_ingest_folder_and_glob_are_expanded_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Second.")
    (tmp_path / "a.txt").write_text("First.")
    (tmp_path / "skip.csv").write_text("x")
    by_folder = [i.text for i in read_inputs([str(tmp_path)], LIMIT) if isinstance(i, Article)]
    by_glob = [i.text for i in read_inputs([str(tmp_path / "*.txt")], LIMIT) if isinstance(i, Article)]
    assert by_folder == by_glob == ["First.", "Second."]


def test_ingest_missing_file_is_an_error(tmp_path: Path) -> None:
    item = _one(tmp_path / "nope.txt")
    assert isinstance(item, InputError) and "no such file" in item.reason
