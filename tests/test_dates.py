from __future__ import annotations

from datetime import date

import pytest

from eventcoder.stages.dates import resolve

MONDAY = date(2022, 3, 14)


@pytest.mark.parametrize(
    ("text", "future", "expected"),
    [
        ("Sunday", False, date(2022, 3, 13)),
        ("on Monday", False, date(2022, 3, 14)),
        ("last Monday", False, date(2022, 3, 7)),
        ("Friday", True, date(2022, 3, 18)),
        ("next Tuesday", False, date(2022, 3, 15)),
        ("yesterday", False, date(2022, 3, 13)),
        ("today", False, MONDAY),
        ("tomorrow", False, date(2022, 3, 15)),
        ("last week", False, date(2022, 3, 7)),
        ("next month", False, date(2022, 4, 13)),
        ("March 3", False, date(2022, 3, 3)),
        ("Feb. 24, 2022", False, date(2022, 2, 24)),
        ("24 February 2022", False, date(2022, 2, 24)),
    ],
)
def test_dates_resolve_against_article_date(text: str, future: bool, expected: date) -> None:
    assert resolve(text, MONDAY, future) == expected


@pytest.mark.parametrize("text", ["the past decade", "recent years", "for years", "a long time"])
def test_dates_vague_expressions_resolve_to_nothing(text: str) -> None:
    assert resolve(text, MONDAY) is None


def test_dates_relative_needs_an_article_date() -> None:
    assert resolve("yesterday", None) is None
    assert resolve("March 3, 2021", None) == date(2021, 3, 3)
