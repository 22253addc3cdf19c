from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from eventcoder.types import Article

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def pipeline() -> Any:
    from eventcoder.pipeline import load_pipeline
    from eventcoder.settings import load_settings

    return load_pipeline(load_settings())


@pytest.fixture(scope="session")
def code(pipeline: Any) -> Any:
    """Code one text (article date 2022-03-14, a Monday) and return its events."""

    def run(text: str, day: date | None = date(2022, 3, 14)) -> list[Any]:
        article = Article(id="t", text=text, date=day)
        return list(next(pipeline.run([article])).events)

    return run


def triples(events: list[Any]) -> set[tuple[str, str, str | None]]:
    return {(e.source.code, e.cameo, e.target.code if e.target else None) for e in events}


@pytest.fixture()
def shared() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared is absent")
    return SHARED
