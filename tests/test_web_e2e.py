"""End to end: a real `eventcoder serve` process, driven in headless Debian Chromium through Playwright.

No browser is downloaded: Playwright launches /usr/bin/chromium (`apt-get install chromium`; .ci/run does it).
Without it the tests skip, unless EVENTCODER_REQUIRE_BROWSER is set (CI sets it), when they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from eventcoder import store
from tests.records import aid_story, article, event
from tests.servers import start_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("e2e") / "events.db"
    conn = store.connect(db)
    t = "Chile condemned Peru over the border. Peru accused Chile."
    border = article("border", t, day="2021-06-01", title="Border row", url="https://x.org/b", events=[
        event("e1", t, "Chile:CHL", "condemned", "Peru:PER", "111", "2021-06-01"),
        event("e2", t, "Peru:PER", "accused", "Chile:CHLGOV", "112", "2021-06-02"),
    ])  # fmt: skip
    store.put_articles(conn, [aid_story(), border], "test")
    conn.close()
    proc, base = start_server(db)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("EVENTCODER_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def test_search_then_article_then_event(server: str, page: Any) -> None:
    page.goto(server + "/")
    page.fill("input[name=q]", "embassy")
    page.click("button[type=submit]")
    assert page.locator("#articles .article-link").count() == 1
    page.click("#articles .article-link")
    assert page.url.endswith("/articles/story-1")
    assert page.locator("h1").inner_text() == "Russia asked China for aid, officials say"
    trigger = page.locator("mark#trigger-e1")
    assert trigger.inner_text() == "asked" and "trigger" in (trigger.get_attribute("class") or "")
    assert page.locator("mark.quote").count() >= 1 and page.locator("mark.actor").count() >= 3
    event_item = page.locator("li#event-e1")
    assert "denied" in event_item.locator(".status").inner_text()
    assert "rejected by a2: China's embassy" in event_item.inner_text()
    event_item.locator("a").first.click()
    assert page.url.endswith("#trigger-e1")
    assert page.evaluate("document.querySelector(':target').id") == "trigger-e1"


def test_events_table_filters_and_links_to_the_event(server: str, page: Any) -> None:
    page.goto(server + "/events")
    assert page.locator("#events tbody tr").count() == 4
    page.fill("input[name=source]", "PER")
    page.click("#event-filters button[type=submit]")
    rows = page.locator("#events tbody tr")
    assert rows.count() == 1 and "label 112" in rows.inner_text() and "PER" in rows.inner_text()
    page.click("#events .event-link")
    assert page.url.endswith("/articles/border#trigger-e2")
    assert page.evaluate("document.querySelector(':target').textContent") == "accused"


def test_timeline_chart_claims_and_json_twin(server: str, page: Any) -> None:
    page.goto(server + "/dyads?source=USA&target=CHN&interval=day")
    assert page.locator("svg.chart rect").count() == 1
    page.goto(server + "/claims")
    assert "denies" in page.locator("#claims").inner_text()
    page.click("#json-twin")
    assert '"relation":"denies"' in page.locator("body").inner_text().replace(" ", "")
