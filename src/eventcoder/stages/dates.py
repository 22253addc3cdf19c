"""Event dates: relative expressions resolved against the article date."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
RELATIVE_DAYS = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}
UNIT_DAYS = {"week": 7, "month": 30, "year": 365}
WEEKDAY_RE = re.compile(r"\b(last|this|next|on|earlier|late)?\s*(" + "|".join(WEEKDAYS) + r")\b", re.I)
UNIT_RE = re.compile(r"\b(last|past|next|this|earlier this|later this)\s+(week|month|year)\b", re.I)
VAGUE_RE = re.compile(r"\b(decades?|centur(y|ies)|years ago|recent|recently|time|ago|era)\b", re.I)


def resolve(text: str, base: date | None, future: bool = False) -> date | None:
    """The day ``text`` names, relative to ``base``; None when it names no single day or period."""
    lowered = text.lower().strip()
    if base is not None:
        for word, delta in RELATIVE_DAYS.items():
            if re.search(rf"\b{word}\b", lowered):
                return base + timedelta(days=delta)
        m = WEEKDAY_RE.search(lowered)
        if m:
            return _weekday(base, WEEKDAYS.index(m.group(2).lower()), m.group(1), future)
        m = UNIT_RE.search(lowered)
        if m:
            step = UNIT_DAYS[m.group(2).lower()]
            sign = 1 if m.group(1).lower() == "next" else -1 if m.group(1).lower() in ("last", "past") else 0
            return base + timedelta(days=sign * step)
    if VAGUE_RE.search(lowered) or not re.search(
        r"\d|january|february|march|april|may|june|july|august|september|october|november|december", lowered
    ):
        return None
    return _dateparser(lowered, base, future)


def _weekday(base: date, target: int, qualifier: str | None, future: bool) -> date:
    q = (qualifier or "").lower()
    if q == "next" or (future and q != "last"):
        ahead = (target - base.weekday()) % 7
        return base + timedelta(days=ahead or 7)
    back = (base.weekday() - target) % 7
    if q == "last" and back == 0:
        back = 7
    return base - timedelta(days=back)


@lru_cache(maxsize=4096)
def _dateparser(text: str, base: date | None, future: bool) -> date | None:
    from datetime import datetime

    import dateparser

    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "future" if future else "past",
        "REQUIRE_PARTS": ["month"],
        "STRICT_PARSING": False,
    }
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    try:
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
    except (ValueError, OverflowError):
        return None
    return parsed.date() if parsed else None


def event_date(token: Any, base: date | None, future: bool) -> tuple[date | None, str | None, str | None]:
    """(date, source, text): a DATE entity in the trigger's clause or sentence, else the article date."""
    sent = token.sent
    dates = [e for e in sent.ents if e.label_ in ("DATE", "TIME")]
    ranked = sorted(dates, key=lambda e: (not _governs(token, e.root), abs(e.root.i - token.i)))
    for ent in ranked:
        day = resolve(ent.text, base, future)
        if day is not None:
            return day, "text", ent.text
    return base, ("article" if base is not None else None), None


def _governs(token: Any, node: Any) -> bool:
    for _ in range(6):
        if node.head is node:
            return False
        node = node.head
        if node == token:
            return True
    return False
