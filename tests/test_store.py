from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from eventcoder import queries, store
from eventcoder.queries import EventFilter, QueryError
from tests.records import AID_TEXT, aid_story, article, event


def _db(tmp_path: Path) -> sqlite3.Connection:
    return store.connect(tmp_path / "events.db")


def _put(conn: sqlite3.Connection, record: dict[str, Any], counts: store.PutCounts | None = None) -> str:
    with store.transaction(conn):
        return store.put_article(conn, record, "test", counts)


def test_new_store_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    again = store.connect(tmp_path / "events.db")  # reopening migrates nothing and keeps the version
    assert again.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION


def test_store_refuses_newer_schema_missing_file_and_non_database(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    conn.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(store.StoreError, match="newer than this eventcoder"):
        store.connect(tmp_path / "events.db")
    with pytest.raises(store.StoreError, match="no such database"):
        store.connect(tmp_path / "missing.db", readonly=True)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(store.StoreError, match="not an eventcoder database"):
        store.connect(junk)


def test_migrations_apply_in_order_from_an_older_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made by an older schema is brought up to date, keeping its rows."""
    path = tmp_path / "old.db"
    conn = store.connect(path)
    _put(conn, aid_story())
    conn.close()
    extra = "ALTER TABLE articles ADD COLUMN note TEXT; UPDATE articles SET note = 'migrated';"
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, extra))
    monkeypatch.setattr(store, "SCHEMA_VERSION", len(store.MIGRATIONS))
    conn = store.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert conn.execute("SELECT id, note FROM articles").fetchall() == [("story-1", "migrated")]


def test_put_stores_every_record_type_and_is_idempotent(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    counts = store.PutCounts()
    _put(conn, aid_story(), counts)
    assert queries.stats(conn) == {"articles": 1, "events": 2, "attributions": 2, "claims": 1, "clusters": 0}
    before = list(store.dump(conn))
    _put(conn, aid_story(), counts)
    assert (counts.inserted, counts.unchanged, counts.updated) == (1, 1, 0)
    assert list(store.dump(conn)) == before
    stored = queries.get_article(conn, "story-1")
    assert stored == aid_story()  # the record comes back as it went in, text included


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/a/1",
        "https://example.org/a/1/#comments",
        "https://www.example.org/a/1?utm_medium=social&fbclid=abc",
    ],
)
def test_same_normalised_url_updates_and_keeps_the_stored_id(tmp_path: Path, url: str) -> None:
    conn = _db(tmp_path)
    _put(conn, aid_story())
    changed = aid_story(aid="other-feed-id", url=url)
    changed["text"] = AID_TEXT + " More text."
    changed["events"] = changed["events"][:1]
    counts = store.PutCounts()
    assert _put(conn, changed, counts) == "story-1"
    assert counts.updated == 1
    assert queries.stats(conn)["articles"] == 1 and queries.stats(conn)["events"] == 1
    assert queries.get_article(conn, "story-1")["text"].endswith("More text.")  # type: ignore[index]


def test_same_text_under_another_id_is_the_same_article(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    _put(conn, aid_story(url=None))
    copy = aid_story(aid="copy", url=None)
    copy["text"] = AID_TEXT.replace(" ", "  ")  # re-extracted with different whitespace
    assert _put(conn, copy) == "story-1"
    assert queries.stats(conn)["articles"] == 1


def test_an_article_matching_two_stored_ones_merges_them(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    _put(conn, article("a", "First text about Chile.", url="https://x.org/1"))
    _put(conn, article("b", "Second text about Peru.", url="https://x.org/2"))
    counts = store.PutCounts()
    merged = article("a", "Second text about Peru.", url="https://x.org/1")  # id of a, text of b
    assert _put(conn, merged, counts) == "a"
    assert counts.merged == 1 and queries.stats(conn)["articles"] == 1


def test_record_without_text_is_refused(tmp_path: Path) -> None:
    record = aid_story()
    del record["text"]
    with pytest.raises(store.StoreError, match=r"story-1.*no text"):
        _put(_db(tmp_path), record)


def test_failed_write_leaves_nothing_half_written(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    bad = aid_story()
    bad["events"][1]["cameo"] = None  # NOT NULL fails after the article and first event are written
    with pytest.raises(sqlite3.IntegrityError):
        _put(conn, bad)
    assert queries.stats(conn) == {"articles": 0, "events": 0, "attributions": 0, "claims": 0, "clusters": 0}
    assert queries.list_articles(conn, "Russia")["total"] == 0


@pytest.mark.parametrize("stop_after", [0, 1, 2, 3, 5])
def test_interrupted_store_run_then_rerun_gives_the_same_database(tmp_path: Path, stop_after: int) -> None:
    """Kill the run while article N is half-written, run it all again: same rows as an uninterrupted run."""
    records = [aid_story(f"s{i}", url=f"https://example.org/{i}") for i in range(6)]
    for i, r in enumerate(records):
        r["text"] = r["text"] + f" Item {i}."
    clean = store.connect(tmp_path / "clean.db")
    store.put_articles(clean, records, "test")

    path = tmp_path / "killed.db"
    conn = store.connect(path)
    original = store._put_children
    calls = 0

    def dying(*args: Any) -> None:
        nonlocal calls
        if calls == stop_after:
            raise KeyboardInterrupt  # as if killed between the article row and its events
        calls += 1
        original(*args)

    store._put_children = dying  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            store.put_articles(conn, records, "test")
    finally:
        store._put_children = original
    conn.close()
    conn = store.connect(path)
    assert queries.stats(conn)["articles"] == stop_after
    store.put_articles(conn, records, "test")
    assert list(store.dump(conn)) == list(store.dump(clean))


def test_full_text_search_follows_updates(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    _put(conn, article("a", "Chile condemned Peru over the border.", url="https://x.org/1"))
    assert queries.list_articles(conn, "border")["total"] == 1
    _put(conn, article("a", "Chile praised Peru over the treaty.", url="https://x.org/1"))
    assert queries.list_articles(conn, "border")["total"] == 0
    assert [i["id"] for i in queries.list_articles(conn, 'Peru" treaty*')["items"]] == ["a"]  # no FTS syntax
    assert queries.list_articles(conn, "treaty OR border")["total"] == 0  # every word must appear
    with pytest.raises(QueryError, match="q"):
        queries.list_articles(conn, "!!!")


def _events_store(tmp_path: Path) -> sqlite3.Connection:
    conn = _db(tmp_path)
    t = "USA warned China. Russia attacked Ukraine. Germany praised France. USA met China."
    _put(conn, article("x", t, events=[
        event("e1", t, "USA:USAGOV", "warned", "China:CHN", "130", "2022-01-03"),
        event("e2", t, "Russia:RUSMIL", "attacked", "Ukraine:UKR", "190", "2022-01-10", "attributed"),
        event("e3", t, "Germany:DEU", "praised", "France:FRA", "051", None),
        event("e4", t, "USA:USA", "met", "China:CHNGOV", "040", "2022-02-01"),
    ]))  # fmt: skip
    return conn


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["e4", "e2", "e1", "e3"]),  # newest first, undated last
        ({"source": "USA"}, ["e4", "e1"]),  # country or code prefix
        ({"source": "usagov"}, ["e1"]),
        ({"source": "RUS", "target": "UKR"}, ["e2"]),
        ({"target": "CHN"}, ["e4", "e1"]),
        ({"cameo": "13"}, ["e1"]),
        ({"cameo": "0"}, ["e4", "e3"]),
        ({"plover": "CONSULT"}, ["e4"]),
        ({"status": "attributed"}, ["e2"]),
        ({"date_from": "2022-01-05", "date_to": "2022-01-31"}, ["e2"]),
    ],
)
def test_event_filters(tmp_path: Path, filters: dict[str, str], expected: list[str]) -> None:
    result = queries.list_events(_events_store(tmp_path), EventFilter(**filters))
    assert [e["id"] for e in result["items"]] == expected
    assert result["total"] == len(expected)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "rumoured"}, "status"),
        ({"date_from": "2022-02-30"}, "date_from"),
        ({"cameo": "1%"}, "cameo"),
    ],
)
def test_bad_filters_name_the_field(tmp_path: Path, filters: dict[str, str], field: str) -> None:
    with pytest.raises(QueryError) as info:
        queries.list_events(_events_store(tmp_path), EventFilter(**filters))
    assert info.value.field == field


def test_paging(tmp_path: Path) -> None:
    conn = _events_store(tmp_path)
    pages = [queries.list_events(conn, EventFilter(), page, 3)["items"] for page in (1, 2)]
    assert [e["id"] for e in pages[0] + pages[1]] == ["e4", "e2", "e1", "e3"]
    with pytest.raises(QueryError, match="per_page"):
        queries.list_events(conn, EventFilter(), 1, 10_000)


def test_dyad_timeline_per_interval(tmp_path: Path) -> None:
    conn = _events_store(tmp_path)
    months = queries.timeline(conn, "USA", "CHN", "month")["periods"]
    assert [(p["period"], p["events"], p["quad_class"]["1"], p["quad_class"]["3"]) for p in months] == [
        ("2022-01", 1, 0, 1),
        ("2022-02", 1, 1, 0),
    ]
    weeks = queries.timeline(conn, "USA", "CHN", "week")["periods"]
    assert [p["period"] for p in weeks] == ["2022-01-03", "2022-01-31"]  # Mondays
    assert months[0]["goldstein"] == -5.0
    with pytest.raises(QueryError, match="interval"):
        queries.timeline(conn, "USA", "CHN", "year")


def test_claims_name_who_disputes_what(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    _put(conn, aid_story())
    (claim,) = queries.list_claims(conn)["items"]
    assert claim["relation"] == "denies"
    assert claim["from_attribution"]["speaker"] == "China's embassy"
    assert claim["to_kind"] == "attribution" and claim["to_attribution"]["speaker"] == "Officials"
    assert queries.list_claims(conn, "confirms")["total"] == 0


def test_url_key_normalisation() -> None:
    assert (
        store.url_key("HTTPS://WWW.Example.org:443/a/b/?utm_source=t&b=2&a=1#x") == "example.org/a/b?a=1&b=2"
    )
    assert store.url_key("") is None and store.url_key(None) is None


def test_load_stores_coded_records_and_refuses_what_is_not_one(tmp_path: Path) -> None:
    from eventcoder.storing import load_records

    source = tmp_path / "coded.jsonl"
    no_text = aid_story("no-text", url=None)
    del no_text["text"]
    source.write_bytes(
        b"\n".join(orjson.dumps(r) for r in (aid_story(), no_text, {"id": "x"})) + b"\n{broken\n"
    )
    conn = _db(tmp_path)
    errors: list[str] = []
    put, refused = load_records(conn, [source], lambda e: errors.append(f"{e.item}: {e.reason}"))
    assert (put.inserted, refused) == (1, 3)
    assert errors[0].startswith(f"{source}:2: ") and "no text" in errors[0]
    assert "not an eventcoder article record" in errors[1] and "malformed JSON" in errors[2]
    assert queries.get_article(conn, "story-1") == aid_story()


@pytest.mark.model
def test_killed_ingest_run_again_gives_the_same_database(tmp_path: Path) -> None:
    """SIGKILL `eventcoder ingest` mid-run, run it again: the same rows as a run never interrupted."""
    import json
    import signal
    import subprocess
    import sys
    import time

    corpus = tmp_path / "corpus.jsonl"
    pairs = [("Chile", "Peru"), ("France", "Germany"), ("Japan", "China"), ("Kenya", "Uganda")]
    rows = [
        {"id": f"a{i}", "text": f"{a} condemned {b} on Monday over incident {i}.", "date": "2021-06-01",
         "url": f"https://x.example/{i}"}
        for i, (a, b) in enumerate(pairs * 10)
    ]  # fmt: skip
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def ingest(db: Path) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "eventcoder", "ingest", str(corpus), "--db", str(db)]
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    assert ingest(tmp_path / "clean.db").wait(300) == 0
    killed = tmp_path / "killed.db"
    proc = ingest(killed)
    deadline = time.monotonic() + 300
    stored = 0
    while stored < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            reader = store.connect(killed, readonly=True)
            stored = reader.execute("SELECT count(*) FROM articles").fetchone()[0]
            reader.close()
        except (store.StoreError, sqlite3.Error):
            continue
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert 5 <= stored < 40, "the run was not interrupted mid-way"
    assert ingest(killed).wait(300) == 0
    assert list(store.dump(store.connect(killed))) == list(store.dump(store.connect(tmp_path / "clean.db")))


def test_event_pages_match_a_plain_filter_and_sort(tmp_path: Path) -> None:
    """Every filter shape, page and page size against the same filter and sort done in Python.

    300 events make both ways of reading a branch happen: read newest first from an index, and (for broad
    CAMEO or code prefixes with small pages) scanned newest first from the date index.
    """
    rng = random.Random(7)
    conn = _db(tmp_path)
    actors = ["USA:USA", "USA:USAGOV", "Russia:RUS", "Russia:RUSMIL", "China:CHN", "China:CHNGOV",
              "Iran:IRN", "NATO:IGOWSTNAT"]  # fmt: skip
    cameos = ["010", "020", "0231", "036", "040", "042", "051", "111", "112", "130", "138", "173", "190"]
    everything = []
    for a in range(60):
        text, events = f"USA Russia China Iran NATO acted, story {a}.", []
        for e in range(5):
            source, target = rng.sample(actors, 2)
            day = None if rng.random() < 0.05 else f"2022-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
            status = rng.choice(["asserted", "asserted", "attributed", "disputed"])
            ev = event(f"e{e}", text, source, "acted", target, rng.choice(cameos), day, status)
            if rng.random() < 0.2:  # no country: found by its code prefix, in another branch of the query
                ev["source"]["country"] = None
            events.append(ev)
        _put(conn, article(f"a{a:02}", text, events=events))
        everything += [(f"a{a:02}", ev) for ev in events]

    def matches(ev: dict[str, Any], f: EventFilter) -> bool:
        for role in ("source", "target"):
            want = getattr(f, role)
            if want and not (ev[role]["country"] == want or ev[role]["code"].startswith(want)):
                return False
        return (
            (not f.cameo or ev["cameo"].startswith(f.cameo))
            and (not f.status or ev["status"] == f.status)
            and (not f.date_from or (ev["date"] is not None and ev["date"] >= f.date_from))
            and (not f.date_to or (ev["date"] is not None and ev["date"] <= f.date_to))
        )

    filters = [EventFilter(), EventFilter(source="USA"), EventFilter(source="RUSMIL"), EventFilter(cameo="0"),
               EventFilter(cameo="1"), EventFilter(cameo="04"), EventFilter(source="CHN", target="USA"),
               EventFilter(target="IGO", cameo="1"), EventFilter(source="USA", status="attributed"),
               EventFilter(date_from="2022-03-01", date_to="2022-08-31"),
               EventFilter(cameo="0", date_from="2022-06-01")]  # fmt: skip
    for f in filters:
        want = sorted(((ev["date"] or "", aid, ev["id"]) for aid, ev in everything if matches(ev, f)),
                      reverse=True)  # fmt: skip
        for per_page in (1, 7, 50):
            for page in (1, 2, 5):
                got = queries.list_events(conn, f, page, per_page)
                assert got["total"] == len(want), f
                start = (page - 1) * per_page
                assert [(e["date"] or "", e["article_id"], e["id"]) for e in got["items"]] == want[
                    start : start + per_page
                ], (f, page, per_page)
                raw = queries.list_events(conn, f, page, per_page, raw=True)  # the API's unparsed records
                assert isinstance(raw["items"], orjson.Fragment) or not got["items"]
                assert orjson.loads(orjson.dumps(raw)) == orjson.loads(orjson.dumps(got))


def test_raw_event_pages_keep_records_that_have_the_added_keys(tmp_path: Path) -> None:
    conn = _events_store(tmp_path)
    record = orjson.loads(conn.execute("SELECT record FROM events WHERE id = 'e1'").fetchone()[0])
    conn.execute("UPDATE events SET record = ? WHERE id = 'e1'", (orjson.dumps({**record, "cluster_id": 7}),))
    got = queries.list_events(conn, EventFilter(), raw=True)
    assert isinstance(got["items"], list)  # one item could not be made by SQLite: each is its own
    plain = queries.list_events(conn, EventFilter())
    assert orjson.loads(orjson.dumps(got)) == orjson.loads(orjson.dumps(plain))
    assert [i["cluster_id"] for i in orjson.loads(orjson.dumps(got))["items"]] == [None, None, None, None]


def test_cached_counts_follow_every_change(tmp_path: Path) -> None:
    """Counts are kept per connection while the store is unchanged: a write by another connection, or by
    this one, is seen at once."""
    writer = _events_store(tmp_path)
    reader = store.connect(tmp_path / "events.db", readonly=True)
    usa = EventFilter(source="USA")
    assert queries.list_events(reader, usa)["total"] == 2
    assert queries.list_events(reader, usa, page=2, per_page=1)["total"] == 2
    assert reader.store_cache[1]  # type: ignore[attr-defined]  # the counts were kept
    t = "USA thanked Chile."
    thanks = event("f1", t, "USA:USA", "thanked", "Chile:CHL", "051", "2022-03-01")
    _put(writer, article("y", t, events=[thanks]))
    assert queries.list_events(reader, usa)["total"] == 3
    assert queries.list_events(writer, usa)["total"] == 3
    writer.execute("DELETE FROM events WHERE article_id = 'y'")
    assert queries.list_events(writer, usa)["total"] == 2
    assert queries.list_events(reader, usa)["total"] == 2
