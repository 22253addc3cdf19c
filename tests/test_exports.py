"""Exports from a store built from hand-written records (no spaCy model needed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventcoder import SCHEMA_VERSION, queries, store
from eventcoder.errors import EventcoderError
from eventcoder.exports import (
    GDELT_COLUMNS,
    ExportError,
    actor_parts,
    event_rows,
    export,
    global_event_id,
    parquet_schemas,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"
TEXT = (
    "Russia asked China for aid. Jake Sullivan met Yang Jiechi in Rome. China did not condemn Moscow. "
    "NATO could criticise Amnesty International. The U.S. will meet Iran. Officials met in Texas."
)


def _actor(text: str, code: str, country: str | None = None, sector: str | None = None) -> dict[str, Any]:
    start = TEXT.find(text)
    return {"text": text, "span": [start, start + len(text)], "code": code, "country": country,
            "sector": sector, "entry_ids": [], "antecedent": None}  # fmt: skip


def _event(
    eid: str, source: dict[str, Any], target: dict[str, Any] | None, cameo: str, **kw: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": eid, "source": source, "target": target, "cameo": cameo, "cameo_label": f"label {cameo}",
        "cameo_root": cameo[:2], "quad_class": 1, "goldstein": 3.4,
        "plover": {"event": "REQUEST", "mode": "assist", "context": "military; legal"},
        "trigger": {"text": "asked", "span": [7, 12]}, "sentence_index": 0,
        "sentence": "Russia asked China for aid. ", "negated": False, "modality": "asserted",
        "date": "2022-03-13", "date_source": "text", "date_text": "Sunday", "location": None,
        "said_by": None, "status": "asserted", "reported_by": [], "disputed_by": [], "pattern_id": "p:test",
    }  # fmt: skip
    return record | kw


def _article(aid: str, events: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "id": aid, "title": f"Title {aid}", "date": "2022-03-14",
        "url": f"https://example.org/{aid}", "byline": None, "events": events, "attributions": [],
        "claims": [], "text": f"{TEXT} ({aid})",
    }  # fmt: skip
    return record | kw


ROME = {"name": "Rome", "country": "ITA", "lat": 41.89193, "lon": 12.51133, "span": [58, 62]}
ATTRIBUTION = {
    "id": "a1", "speaker": {"text": "he", "span": [0, 2], "name": "Jake Sullivan", "kind": "named_person",
                            "code": "USAGOV"},
    "cue": {"text": "said", "span": [3, 7]}, "content": {"text": "that Russia asked", "span": [8, 25]},
    "form": "indirect", "channel": "interview",
    "via": [{"text": "The Times", "span": [30, 39], "name": "The Times", "kind": "media"}],
    "sentence_index": 0, "denial": False, "date": "2022-03-13",
}  # fmt: skip
RECORDS = [
    _article(
        "art1",
        [
            _event(
                "e1",
                _actor("Russia", "RUS", "RUS"),
                _actor("China", "CHN", "CHN"),
                "0232",
                reported_by=["a1"],
                status="attributed",
            ),
            _event(
                "e2",
                _actor("Jake Sullivan", "USAGOV", "USA", "GOV"),
                _actor("Yang Jiechi", "CHNGOV", "CHN", "GOV"),
                "044",
                sentence_index=1,
                date=None,
                location=ROME,
                plover=None,
            ),
            _event(
                "e3",
                _actor("China", "CHN", "CHN"),
                _actor("Moscow", "RUSGOV", "RUS", "GOV"),
                "111",
                negated=True,
                status="negated",
                sentence_index=2,
            ),
            _event(
                "e4",
                _actor("NATO", "IGOWSTNAT", None, "IGO"),
                _actor("Amnesty International", "NGOHRIAMN", None, "NGO"),
                "111",
                modality="hypothetical",
                status="hypothetical",
                sentence_index=3,
            ),
            _event(
                "e5",
                _actor("The U.S.", "USA", "USA"),
                _actor("Iran", "IRN", "IRN"),
                "036",
                modality="future",
                status="future",
                sentence_index=4,
            ),
            _event(
                "e10",
                _actor("Officials", "GOV", None, "GOV"),
                None,
                "040",
                sentence_index=5,
                location={"name": "Texas", "country": "USA", "lat": None, "lon": None, "span": [0, 5]},
            ),
        ],
        attributions=[ATTRIBUTION],
        claims=[{"from": "a1", "to": "e1", "relation": "confirms"}],
    ),
    _article(
        "art2",
        [
            _event(
                "e1",
                _actor("China", "CHN", "CHN") | {"text": "Chinese\tofficials"},
                _actor("Russia", "RUS", "RUS"),
                "040",
                date=None,
            )
        ],
        date=None,
        url=None,
    ),
]
KEPT = [("art1", "e1"), ("art1", "e2"), ("art1", "e10"), ("art2", "e1")]  # asserted/attributed, event order


@pytest.fixture()
def conn(tmp_path: Path) -> sqlite3.Connection:
    c = store.connect(tmp_path / "store.db")
    store.put_articles(c, RECORDS)
    return c


@pytest.fixture()
def empty(tmp_path: Path) -> sqlite3.Connection:
    return store.connect(tmp_path / "empty.db")


def _gdelt(conn: sqlite3.Connection, out: Path, include_all: bool = False) -> list[dict[str, str]]:
    counts = export(conn, "gdelt", out, include_all=include_all)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert counts == {"events": len(lines)}
    rows = [line.split("\t") for line in lines]
    assert all(len(r) == 61 for r in rows)
    return [dict(zip(GDELT_COLUMNS, r, strict=True)) for r in rows]


def test_exports_gdelt_columns_are_the_61_of_the_codebook() -> None:
    assert len(GDELT_COLUMNS) == len(set(GDELT_COLUMNS)) == 61
    assert GDELT_COLUMNS[:6] == (
        "GLOBALEVENTID",
        "SQLDATE",
        "MonthYear",
        "Year",
        "FractionDate",
        "Actor1Code",
    )
    assert GDELT_COLUMNS[25:35] == (
        "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
        "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone",
    )  # fmt: skip
    assert GDELT_COLUMNS[35] == "Actor1Geo_Type" and GDELT_COLUMNS[51] == "ActionGeo_Type"
    assert GDELT_COLUMNS[-2:] == ("DATEADDED", "SOURCEURL")


def test_exports_gdelt_row_fields(conn: sqlite3.Connection, tmp_path: Path) -> None:
    rows = _gdelt(conn, tmp_path / "events.tsv")
    e1 = rows[0]
    expected = {
        "GLOBALEVENTID": str(global_event_id("art1", "e1")), "SQLDATE": "20220313", "MonthYear": "202203",
        "Year": "2022", "FractionDate": "2022.1967", "Actor1Code": "RUS", "Actor1Name": "Russia",
        "Actor1CountryCode": "RUS", "Actor1KnownGroupCode": "", "Actor1Type1Code": "", "Actor2Code": "CHN",
        "IsRootEvent": "1", "EventCode": "0232", "EventBaseCode": "023", "EventRootCode": "02",
        "QuadClass": "1", "GoldsteinScale": "3.4", "NumMentions": "1", "NumSources": "1", "NumArticles": "1",
        "AvgTone": "", "Actor1Geo_Type": "0", "Actor1Geo_FullName": "", "ActionGeo_Type": "0",
        "ActionGeo_Lat": "", "DATEADDED": "20220314000000", "SOURCEURL": "https://example.org/art1",
    }  # fmt: skip
    assert {k: e1[k] for k in expected} == expected


def test_exports_gdelt_actor_types_and_place(conn: sqlite3.Connection, tmp_path: Path) -> None:
    e2 = _gdelt(conn, tmp_path / "events.tsv")[1]
    assert (e2["Actor1Code"], e2["Actor1CountryCode"], e2["Actor1Type1Code"]) == ("USAGOV", "USA", "GOV")
    assert e2["SQLDATE"] == "20220314"  # no event date: the article's
    assert e2["IsRootEvent"] == "0"
    geo = [e2[f"ActionGeo_{f}"] for f in ("Type", "FullName", "CountryCode", "Lat", "Long", "FeatureID")]
    assert geo == ["4", "Rome", "ITA", "41.89193", "12.51133", ""]


def test_exports_gdelt_leaves_out_events_that_did_not_happen(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ids = [r["GLOBALEVENTID"] for r in _gdelt(conn, tmp_path / "events.tsv")]
    assert ids == [str(global_event_id(a, e)) for a, e in KEPT]


def test_exports_gdelt_include_all_keeps_every_event(conn: sqlite3.Connection, tmp_path: Path) -> None:
    rows = _gdelt(conn, tmp_path / "events.tsv", include_all=True)
    assert len(rows) == 7
    nato = next(r for r in rows if r["Actor1Code"] == "IGOWSTNAT")
    assert (nato["Actor1KnownGroupCode"], nato["Actor1Type1Code"], nato["Actor1CountryCode"]) == (
        "NAT",
        "IGO",
        "",
    )
    assert (nato["Actor2KnownGroupCode"], nato["Actor2Type1Code"], nato["Actor2Type2Code"]) == (
        "AMN",
        "NGO",
        "HRI",
    )


def test_exports_gdelt_us_state_no_target_undated_article(conn: sqlite3.Connection, tmp_path: Path) -> None:
    texas, undated = _gdelt(conn, tmp_path / "events.tsv")[2:]
    assert (texas["ActionGeo_Type"], texas["ActionGeo_FullName"], texas["ActionGeo_CountryCode"]) == (
        "2", "Texas", "USA"
    )  # fmt: skip
    assert texas["Actor2Code"] == texas["Actor2Name"] == ""
    assert (texas["Actor1Type1Code"], texas["Actor1CountryCode"]) == ("GOV", "")
    assert undated["SQLDATE"] == undated["DATEADDED"] == undated["SOURCEURL"] == ""
    assert undated["Actor1Name"] == "Chinese officials"  # no tab inside a field


@pytest.mark.parametrize(
    ("code", "country", "sector", "expected"),
    [
        ("RUS", "RUS", None, ("RUS", None, None, None)),
        ("USAMIL", "USA", "MIL", ("USA", None, "MIL", None)),
        ("IGOUNO", None, "IGO", (None, "UNO", "IGO", None)),
        ("IGOUNOSEC", None, "IGO", (None, "UNO", "IGO", None)),
        ("IGOEUREEC", None, "IGO", (None, "EEC", "IGO", None)),
        ("IMGREBISI", None, "REB", (None, "ISI", "REB", "IMG")),
        ("PSERADHMS", "PSE", "RAD", ("PSE", None, "RAD", None)),
    ],
)
def test_exports_actor_parts(
    code: str, country: str | None, sector: str | None, expected: tuple[Any, ...]
) -> None:
    parts = actor_parts(code, country, sector)
    assert (parts["CountryCode"], parts["KnownGroupCode"], parts["Type1Code"], parts["Type2Code"]) == expected


def test_exports_gdelt_fraction_date_stays_in_its_year() -> None:
    from eventcoder.exports import _gdelt_dates

    assert _gdelt_dates("1979-01-01")["FractionDate"] == "1979.0027"
    assert _gdelt_dates("2024-12-31")["FractionDate"].startswith("2024.99")


def test_exports_plover_lines_carry_status(conn: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "events.plover.jsonl"
    assert export(conn, "plover", out) == {"events": 7}
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [r["id"] for r in lines][:3] == ["art1:e1", "art1:e2", "art1:e3"]
    first = lines[0]
    assert first["event_type"] == "REQUEST" and first["mode"] == "assist"
    assert first["context"] == ["military", "legal"]
    assert first["source"] == {"name": "Russia", "code": "RUS", "country": "RUS", "sector": None}
    assert (first["cameo"], first["status"], first["reported_by"]) == ("0232", "attributed", ["a1"])
    assert (first["article_id"], first["url"], first["title"]) == (
        "art1",
        "https://example.org/art1",
        "Title art1",
    )
    assert first["sentence"] == "Russia asked China for aid."
    assert lines[1]["event_type"] is None and lines[1]["location"]["name"] == "Rome"
    assert lines[2]["status"] == "negated"


def test_exports_parquet_reads_back(conn: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    counts = export(conn, "parquet", out)
    assert counts == {"articles": 2, "events": 7, "attributions": 1, "claims": 1, "clusters": 0}
    schemas = parquet_schemas()
    for name, n in counts.items():
        table = pq.read_table(out / f"{name}.parquet")
        assert table.num_rows == n
        assert table.schema.equals(schemas[name]), name
    events = pq.read_table(out / "events.parquet").to_pylist()
    assert [e["id"] for e in events if e["article_id"] == "art1"] == ["e1", "e2", "e3", "e4", "e5", "e10"]
    assert events[0]["reported_by"] == ["a1"] and events[0]["date"].isoformat() == "2022-03-13"
    assert events[1]["location_lat"] == 41.89193 and events[2]["negated"] is True
    attribution = pq.read_table(out / "attributions.parquet").to_pylist()[0]
    assert attribution["via"] == ["The Times"] and attribution["form"] == "indirect"
    assert (attribution["content_start"], attribution["content_end"]) == (8, 25)
    assert pq.read_table(out / "claims.parquet").to_pylist() == [
        {"article_id": "art1", "from": "a1", "to": "e1", "relation": "confirms"}
    ]
    articles = pq.read_table(out / "articles.parquet").to_pylist()
    assert articles[0]["text"] == RECORDS[0]["text"]


def test_exports_event_rows_of_a_record_match_the_store_export(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    export(conn, "parquet", tmp_path / "pq")
    stored = pq.read_table(tmp_path / "pq" / "events.parquet").to_pylist()
    schema = parquet_schemas()["events"]
    rows = [row for r in RECORDS for row in event_rows(r)]
    assert pa.Table.from_pylist(rows, schema=schema).to_pylist() == stored


def test_exports_parquet_empty_store_writes_valid_files(empty: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    assert export(empty, "parquet", out) == {
        "articles": 0, "events": 0, "attributions": 0, "claims": 0, "clusters": 0
    }  # fmt: skip
    for name, schema in parquet_schemas().items():
        table = pq.read_table(out / f"{name}.parquet")
        assert table.num_rows == 0 and table.schema.names == schema.names


def test_exports_parquet_small_batches(conn: sqlite3.Connection, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("eventcoder.exports.BATCH_ROWS", 2)
    export(conn, "parquet", tmp_path / "pq")
    assert pq.ParquetFile(tmp_path / "pq" / "events.parquet").metadata.num_rows == 7


def test_exports_jsonl_round_trips(conn: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    assert export(conn, "jsonl", out) == {"articles": 2}
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert lines == RECORDS
    assert lines == [queries.get_article(conn, r["id"]) for r in RECORDS]


@pytest.mark.parametrize("fmt", ["gdelt", "plover", "jsonl"])
def test_exports_empty_store_writes_empty_file(empty: sqlite3.Connection, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    assert list(export(empty, fmt, out).values()) == [0]
    assert out.read_bytes() == b""


def test_exports_unknown_format_errors(conn: sqlite3.Connection, tmp_path: Path) -> None:
    with pytest.raises(EventcoderError, match="unknown export format 'csv'"):
        export(conn, "csv", tmp_path / "x")


@pytest.mark.parametrize("fmt", ["gdelt", "plover", "jsonl", "parquet"])
def test_exports_unwritable_path_errors(conn: sqlite3.Connection, tmp_path: Path, fmt: str) -> None:
    with pytest.raises(ExportError, match="cannot write"):
        export(conn, fmt, tmp_path / "missing" / "deeper" / "out")


@pytest.mark.parametrize(("fmt", "make"), [("gdelt", Path.mkdir), ("parquet", Path.touch)])
def test_exports_wrong_kind_of_path_errors(
    conn: sqlite3.Connection, tmp_path: Path, fmt: str, make: Any
) -> None:
    out = tmp_path / "out"
    make(out)
    with pytest.raises(ExportError, match="directory"):
        export(conn, fmt, out)


def test_exports_failed_write_leaves_no_file(
    conn: sqlite3.Connection, tmp_path: Path, monkeypatch: Any
) -> None:
    def broken(*args: Any) -> list[str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("eventcoder.exports.gdelt_row", broken)
    out = tmp_path / "events.tsv"
    with pytest.raises(ExportError, match="No space left"):
        export(conn, "gdelt", out)
    assert not out.exists() and not (tmp_path / "events.tsv.part").exists()


def test_exports_docs_list_every_column() -> None:
    text = (DOCS / "exports.md").read_text(encoding="utf-8")
    for column in GDELT_COLUMNS:
        assert f"`{column}`" in text, column
    for name, schema in parquet_schemas().items():
        assert f"`{name}.parquet`" in text, name
        for column in schema.names:
            assert f"`{column}`" in text, (name, column)
