from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventcoder import queries, store
from eventcoder.api import create_app
from eventcoder.dedup import cluster_mentions, mention_of
from eventcoder.exports import GDELT_COLUMNS, gdelt_lines
from eventcoder.settings import load_settings
from eventcoder.storing import dedup_store
from tests.records import article, event

ROOT = Path(__file__).resolve().parents[1]


def _report(aid: str, host: str, text: str, day: str, cameo: str = "190", *, place: str | None = None,
            from_text: bool = False, status: str = "asserted") -> dict[str, Any]:  # fmt: skip
    """One article reporting Russia -> Ukraine (cameo) on ``day``."""
    e = event("e1", text, "Russia:RUSMIL", text.split()[1], "Ukraine:UKR", cameo, day, status, place=place)
    e["date_source"] = "text" if from_text else "article"
    return article(aid, text, day=day, url=f"https://{host}/{aid}", events=[e])


def _clusters(*records: dict[str, Any]) -> list[list[str]]:
    mentions = [mention_of(r, e) for r in records for e in r["events"]]
    return [[m.article_id for m in c.mentions] for c in cluster_mentions(mentions)]


def test_reports_of_one_event_in_different_words_cluster() -> None:
    a = _report("a", "one.example", "Russia shelled Ukraine's east on Monday, killing three.", "2024-06-10")
    b = _report("b", "two.example", "Russia shelled eastern Ukraine, officials in Kyiv said.", "2024-06-11")
    assert _clusters(a, b) == [["a", "b"]]  # the second report's date fell back to its publication day


def test_dates_read_from_both_texts_must_agree() -> None:
    a = _report("a", "one.example", "Russia shelled Ukraine's east on Monday.", "2024-06-10", from_text=True)
    b = _report("b", "two.example", "Russia shelled Ukraine's east on Tuesday.", "2024-06-11", from_text=True)
    assert _clusters(a, b) == [["a"], ["b"]]


def test_different_places_and_far_dates_stay_apart() -> None:
    a = _report("a", "one.example", "Russia shelled Ukraine at Kherson.", "2024-06-10", place="Kherson")
    b = _report("b", "two.example", "Russia shelled Ukraine at Nikopol.", "2024-06-10", place="Nikopol")
    c = _report("c", "three.example", "Russia shelled Ukraine at Kherson.", "2024-06-20", place="Kherson")
    assert _clusters(a, b, c) == [["a"], ["b"], ["c"]]


def test_other_root_negation_and_same_article_stay_apart() -> None:
    a = _report("a", "one.example", "Russia shelled Ukraine again.", "2024-06-10")
    b = _report("b", "two.example", "Russia threatened Ukraine again.", "2024-06-10", cameo="130")
    c = _report(
        "c", "three.example", "Russia shelled Ukraine, Moscow denied.", "2024-06-10", status="negated"
    )
    twice = _report("d", "four.example", "Russia shelled Ukraine twice.", "2024-06-10")
    twice["events"].append({**twice["events"][0], "id": "e2"})
    assert sorted(_clusters(a, b, c, twice)) == [["a", "d"], ["b"], ["c"], ["d"]]


def _store(tmp_path: Path) -> sqlite3.Connection:
    conn = store.connect(tmp_path / "events.db")
    reports = [
        _report("a", "one.example", "Russia shelled Ukraine's east on Monday.", "2024-06-10"),
        _report("b", "two.example", "Russia shelled eastern Ukraine.", "2024-06-11"),
        _report("c", "two.example", "Russia shelled eastern Ukraine, again.", "2024-06-11"),
        _report("z", "one.example", "Russia threatened Ukraine.", "2024-07-01", cameo="130"),
    ]
    store.put_articles(conn, reports, "test")
    return conn


def test_store_dedup_counts_mentions_articles_sources(tmp_path: Path) -> None:
    conn = _store(tmp_path)
    assert dedup_store(conn) == {"mentions": 4, "clusters": 2, "merged_clusters": 1}
    first, second = queries.list_clusters(conn)["items"][::-1]
    assert (first["n_mentions"], first["n_articles"], first["n_sources"]) == (3, 3, 2)
    assert (first["date_first"], first["date_last"], first["key"]) == ("2024-06-10", "2024-06-11", "a/e1")
    assert second["n_mentions"] == 1
    assert [m["article_id"] for m in queries.get_cluster(conn, first["id"])["mentions"]] == ["a", "b", "c"]  # type: ignore[index]
    before = list(store.dump(conn))
    dedup_store(conn)  # running it again gives the same clusters
    assert list(store.dump(conn)) == before


def test_gdelt_export_has_one_row_per_real_world_event(tmp_path: Path) -> None:
    conn = _store(tmp_path)
    assert len(list(gdelt_lines(conn))) == 4  # not clustered yet: one row per mention
    dedup_store(conn)
    rows = [line.decode().rstrip("\n").split("\t") for line in gdelt_lines(conn)]
    col = {name: i for i, name in enumerate(GDELT_COLUMNS)}
    assert sorted((r[col["EventCode"]], r[col["NumMentions"]], r[col["NumSources"]], r[col["NumArticles"]])
                  for r in rows) == [("130", "1", "1", "1"), ("190", "3", "2", "3")]  # fmt: skip


def test_reingesting_an_article_drops_its_stale_cluster_membership(tmp_path: Path) -> None:
    conn = _store(tmp_path)
    dedup_store(conn)
    changed = _report("b", "two.example", "Russia threatened Ukraine instead.", "2024-06-11", cameo="130")
    with store.transaction(conn):
        store.put_article(conn, changed, "test")
    members = conn.execute("SELECT count(*) FROM cluster_members WHERE article_id = 'b'").fetchone()[0]
    assert members == 0


def test_api_lists_clusters_and_events_carry_them(tmp_path: Path) -> None:
    conn = _store(tmp_path)
    dedup_store(conn)
    conn.close()
    client = TestClient(create_app(tmp_path / "events.db", load_settings()))
    body = client.get("/api/clusters", params={"min_mentions": 2}).json()
    assert body["total"] == 1 and body["items"][0]["n_sources"] == 2
    cid = body["items"][0]["id"]
    assert len(client.get(f"/api/clusters/{cid}").json()["mentions"]) == 3
    assert client.get("/api/clusters/999").status_code == 404
    events = client.get("/api/events", params={"cameo": "19"}).json()["items"]
    assert {e["cluster_id"] for e in events} == {cid}


@pytest.mark.model
def test_dedup_quality_on_the_labelled_pairs(tmp_path: Path, pipeline: Any) -> None:
    """Floors on the hand-written pairs in eval/ (measured: P 1.0, R 1.0 on the development pairs)."""
    import orjson

    from eventcoder.dedup_eval import evaluate_dedup
    from eventcoder.runner import code_items
    from eventcoder.stages.ingest import read_inputs

    for name in ("dedup-pairs.jsonl", "dedup-pairs-test.jsonl"):
        pairs = ROOT / "eval" / name
        if not pairs.exists():
            continue
        articles = tmp_path / f"{name}.articles.jsonl"
        lines = [orjson.loads(x) for x in pairs.read_bytes().splitlines() if x.strip()]
        articles.write_bytes(b"".join(orjson.dumps(p[s]) + b"\n" for p in lines for s in ("a", "b")))
        out = tmp_path / f"{name}.out.jsonl"
        coded = code_items(read_inputs([str(articles)], 10**6), load_settings(), pipeline=pipeline)
        out.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in coded if isinstance(r, dict)))
        scores = evaluate_dedup(pairs, out)
        assert scores["precision"] >= 0.8 and scores["recall"] >= 0.8, (name, scores)
