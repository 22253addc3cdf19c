from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from eventcoder import store
from eventcoder.api import create_app
from eventcoder.settings import load_settings
from tests.records import aid_story, article, event
from tests.servers import start_server


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "events.db"
    conn = store.connect(path)
    t = "Chile condemned Peru. Peru accused Chile."
    more = article("b", t, day="2021-06-01", title="Border row", url="https://x.org/b", events=[
        event("e1", t, "Chile:CHL", "condemned", "Peru:PER", "122", "2021-06-01"),
        event("e2", t, "Peru:PER", "accused", "Chile:CHLGOV", "112", "2021-06-02", "negated"),
    ])  # fmt: skip
    store.put_articles(conn, [aid_story(), more], "test")
    conn.close()
    return path


@pytest.fixture()
def client(db: Path) -> TestClient:
    return TestClient(create_app(db, load_settings()), raise_server_exceptions=False)


def test_articles_list_and_search(client: TestClient) -> None:
    body = client.get("/api/articles").json()
    assert body["total"] == 2 and [a["id"] for a in body["items"]] == ["story-1", "b"]
    found = client.get("/api/articles", params={"q": "embassy denied"}).json()
    assert [a["id"] for a in found["items"]] == ["story-1"] and "[" in found["items"][0]["snippet"]


def test_article_has_text_and_annotations(client: TestClient) -> None:
    a = client.get("/api/articles/story-1").json()
    assert a["text"].startswith("Officials said") and len(a["events"]) == 2
    assert a["attributions"][1]["speaker"]["code"] == "CHNGOV" and a["claims"][0]["relation"] == "denies"
    assert client.get("/api/articles/nope").status_code == 404


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"source": "RUS"}, ["e1"]),
        ({"source": "USA", "target": "CHN", "cameo": "04"}, ["e2"]),
        ({"status": "negated"}, ["e2"]),
        ({"target": "CHL", "date_from": "2021-06-02", "date_to": "2021-06-02"}, ["e2"]),
        ({"plover": "REQUEST"}, ["e1"]),
    ],
)
def test_event_filters(client: TestClient, params: dict[str, str], ids: list[str]) -> None:
    body = client.get("/api/events", params=params).json()
    assert [e["id"] for e in body["items"]] == ids


def test_bad_query_is_422_naming_the_field(client: TestClient) -> None:
    r = client.get("/api/events", params={"status": "rumoured"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "status"]
    r = client.get("/api/events", params={"per_page": 100_000})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "per_page"]
    r = client.get("/api/dyads/USA/CHN/timeline", params={"interval": "decade"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "interval"]


def test_dyad_timeline(client: TestClient) -> None:
    body = client.get("/api/dyads/USA/CHN/timeline", params={"interval": "day"}).json()
    assert body["periods"] == [
        {
            "period": "2022-03-14",
            "events": 1,
            "quad_class": {"1": 1, "2": 0, "3": 0, "4": 0},
            "goldstein": 3.0,
        }
    ]


def test_claims_show_who_disputes(client: TestClient) -> None:
    (c,) = client.get("/api/claims").json()["items"]
    assert (c["from_attribution"]["speaker"], c["relation"], c["to"]) == ("China's embassy", "denies", "a1")


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/articles", "/api/events", "/api/claims", "/api/dyads/{source}/{target}/timeline"} <= set(
        paths
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "Chile condemned Peru.", "date": "2021-13-01"}, "date"),
        ({"title": "no text"}, "text"),
        ({"text": "   "}, "text"),
        ({"text": 42}, "text"),
        ({"text": "Chile condemned Peru.", "colour": "red"}, "colour"),
    ],
)
def test_post_invalid_article_is_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    r = client.post("/api/articles", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == field


def test_post_body_size_is_bounded(db: Path) -> None:
    small = TestClient(create_app(db, replace(load_settings(), max_article_bytes=1000)))
    r = small.post("/api/articles", json={"text": "Chile condemned Peru. " * 200_000})
    assert r.status_code == 413 and "limit" in r.json()["detail"][0]["msg"]
    big = orjson.dumps({"text": "Chile condemned Peru. " * 200_000})
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))  # chunked: no Content-Length
    r = small.post("/api/articles", content=chunks, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = small.post("/api/articles", json={"text": "Chile condemned Peru. " * 100})  # under the body limit
    assert r.status_code == 422 and "over the 1,000 limit" in r.json()["detail"][0]["msg"]


@pytest.mark.model
def test_post_codes_and_stores_one_article(client: TestClient) -> None:
    body = {"id": "posted", "text": "Chile condemned Peru on Monday.", "date": "2021-06-01",
            "url": "https://x.org/posted"}  # fmt: skip
    r = client.post("/api/articles", json=body)
    assert r.status_code == 201
    assert [(e["source"]["code"], e["cameo"][:2], e["target"]["code"]) for e in r.json()["events"]] == [
        ("CHL", "11", "PER")
    ]
    assert client.get("/api/articles/posted").json()["events"][0]["cameo"] == r.json()["events"][0]["cameo"]
    again = client.post("/api/articles", json={**body, "id": "other"})  # same URL: updated, not duplicated
    assert again.json()["id"] == "posted"
    assert client.get("/api/articles").json()["total"] == 3


@pytest.mark.model
def test_server_error_leaves_no_half_written_article(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_put_children", broken)
    r = client.post("/api/articles", json={"id": "half", "text": "Chile condemned Peru."})
    assert r.status_code == 500
    assert client.get("/api/articles/half").status_code == 404
    assert client.get("/api/articles").json()["total"] == 2


def _json_twin(html: str) -> str:
    m = re.search(r'id="json-twin" href="([^"]+)"|href="([^"]+)" id="json-twin"', html)
    assert m, "page has no JSON twin link"
    return (m.group(1) or m.group(2)).replace("&amp;", "&")


@pytest.mark.parametrize(
    ("page", "must_contain"),
    [
        ("/?q=embassy", "Russia asked China for aid"),
        ("/articles/story-1", '<mark class="trigger"'),
        ("/events?source=USA", "label 044"),
        ("/dyads?source=USA&target=CHN&interval=month", "<svg"),
        ("/claims", "denies"),
    ],
)
def test_pages_render_and_have_json_twins(client: TestClient, page: str, must_contain: str) -> None:
    r = client.get(page)
    assert r.status_code == 200 and must_contain in r.text
    twin = client.get(_json_twin(r.text))
    assert twin.status_code == 200 and twin.headers["content-type"].startswith("application/json")


def test_article_page_lists_status_chain_and_disputes(client: TestClient) -> None:
    html = client.get("/articles/story-1").text
    assert 'class="status status-denied"' in html
    assert "reported by a1: Officials" in html and "rejected by a2: China&#39;s embassy" in html
    assert 'id="trigger-e1"' in html and 'id="quote-a1"' in html


def test_page_with_bad_filter_says_why(client: TestClient) -> None:
    r = client.get("/events?status=rumoured")
    assert r.status_code == 422 and "rumoured" in r.text


def test_serve_workers_share_the_port_and_stop_together(db: Path) -> None:
    """`serve --workers 2`: two processes answer on one port, a second server on it is refused, and
    SIGTERM stops them all."""
    import signal
    import subprocess
    import sys
    import urllib.request

    import psutil

    proc, base = start_server(db, "--workers", "2", "--no-access-log")
    port = base.rsplit(":", 1)[1]
    serve = [sys.executable, "-m", "eventcoder", "serve", "--db", str(db), "--port", port]
    try:
        for _ in range(20):  # a new connection each
            with urllib.request.urlopen(base + "/api/events?source=RUS", timeout=5) as r:
                assert r.status == 200 and orjson.loads(r.read())["total"] == 1
        workers = [
            p for p in psutil.Process(proc.pid).children() if "resource_tracker" not in " ".join(p.cmdline())
        ]
        assert len(workers) == 2
        second = subprocess.run([*serve, "--workers", "2"], capture_output=True, text=True, timeout=60)
        assert second.returncode != 0 and f"cannot listen on 127.0.0.1:{port}" in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers)
