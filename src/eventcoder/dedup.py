"""Cross-article event deduplication: cluster event mentions that report the same real-world event.

GDELT counts reports, not events. Here mentions are blocked by dyad (countries, or actor codes when an
actor has no country), CAMEO root and polarity (a negated, hypothetical or future mention never joins a
report of the event as having happened). Within a block, each mention joins the most similar cluster whose
first mention is at most ``max_days`` away, provided that similarity reaches ``threshold``. Two mentions
never join when:
- both dates were read from the text ("on Monday") and differ: only a date that fell back to the
  article's publication date is uncertain by a day or two;
- both name places (the event location, or a town coded as an actor) and share none;
- they come from the same article (the coder already merged duplicates within an article).
Similarity mixes date distance, exact CAMEO code agreement and the words the two sentences share.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz

MAX_DAYS = 2
THRESHOLD = 0.6
_WORD = re.compile(r"[^\W\d_]+")
_STOPWORDS = (
    "a an the of to in on at for and or but with by from as is was were be been has have had that this "
    "it its their his her they he she said says say will would could after before over about into than "
    "which who what when where while also not no"
)
_STOP = frozenset(_STOPWORDS.split())


@dataclass(frozen=True, slots=True)
class Mention:
    """One event as reported by one article."""

    article_id: str
    event_id: str
    source: str  # party: country, or the actor code when the actor has no country
    target: str
    root: str
    cameo: str
    day: date | None
    day_from_text: bool  # the date was read from the text, not taken from the publication date
    words: frozenset[str]
    places: frozenset[str]  # the event location and towns coded as its actors, lower case
    outlet: str  # the article's web host, or its id when it has no URL
    polarity: str = "real"  # or negated / hypothetical / future


@dataclass(slots=True)
class Cluster:
    mentions: list[Mention] = field(default_factory=list)

    @property
    def first(self) -> Mention:
        return self.mentions[0]

    @property
    def key(self) -> str:
        return f"{self.first.article_id}/{self.first.event_id}"


def party(actor: dict[str, Any] | None) -> str:
    if not actor:
        return ""
    return str(actor.get("country") or actor["code"])


def outlet(url: str | None, article_id: str) -> str:
    host = urlsplit(url).netloc.lower().removeprefix("www.") if url else ""
    return host or f"article:{article_id}"


def content_words(sentence: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(sentence.lower()) if w not in _STOP and len(w) > 2)


UNREAL = ("negated", "hypothetical", "future")


def _places(event: dict[str, Any]) -> frozenset[str]:
    names = {str((event.get("location") or {}).get("name") or "")}
    for role in ("source", "target"):
        ids = (event.get(role) or {}).get("entry_ids") or ()
        names.update(i.removeprefix("place:") for i in ids if i.startswith("place:"))
    return frozenset(n.lower() for n in names if n)


def mention_of(article: dict[str, Any], event: dict[str, Any]) -> Mention:
    """A mention from an article record and one of its event records."""
    day = event.get("date") or article.get("date")
    status = event.get("status", "asserted")
    return Mention(
        article_id=str(article["id"]),
        event_id=str(event["id"]),
        source=party(event["source"]),
        target=party(event.get("target")),
        root=str(event["cameo_root"]),
        cameo=str(event["cameo"]),
        day=date.fromisoformat(day) if day else None,
        day_from_text=event.get("date_source") == "text",
        words=content_words(event.get("sentence") or ""),
        places=_places(event),
        outlet=outlet(article.get("url"), str(article["id"])),
        polarity="negated" if event.get("negated") else status if status in UNREAL else "real",
    )


def similarity(a: Mention, b: Mention, max_days: int = MAX_DAYS) -> float:
    """0..1: how likely two mentions in the same block report the same event."""
    if a.day is None or b.day is None:
        return 0.0
    gap = abs((a.day - b.day).days)
    if gap > max_days or (gap and a.day_from_text and b.day_from_text):
        return 0.0
    if a.places and b.places and not a.places & b.places:
        return 0.0
    date_score = 1.0 - gap / (max_days + 1)
    code_score = 1.0 if a.cameo == b.cameo else 0.5
    text_score = fuzz.token_set_ratio(" ".join(sorted(a.words)), " ".join(sorted(b.words))) / 100
    return 0.4 * date_score + 0.3 * code_score + 0.3 * text_score


def cluster_mentions(
    mentions: Iterable[Mention], max_days: int = MAX_DAYS, threshold: float = THRESHOLD
) -> list[Cluster]:
    """Clusters in a deterministic order (by first mention's date, article and event id)."""
    blocks: dict[tuple[str, str, str, str], list[Mention]] = defaultdict(list)
    for m in mentions:
        blocks[(m.source, m.target, m.root, m.polarity)].append(m)
    clusters: list[Cluster] = []
    for block in blocks.values():
        block.sort(key=lambda m: (m.day or date.min, m.article_id, m.event_id))
        open_: list[Cluster] = []
        for m in block:
            best, best_score = None, threshold
            if m.day is not None:
                open_ = [c for c in open_ if c.first.day and (m.day - c.first.day).days <= max_days]
                for c in open_:
                    if any(x.article_id == m.article_id for x in c.mentions):
                        continue
                    score = max(similarity(m, x, max_days) for x in c.mentions)
                    if score >= best_score:
                        best, best_score = c, score
            if best is None:
                best = Cluster()
                clusters.append(best)
                if m.day is not None:
                    open_.append(best)
            best.mentions.append(m)
    clusters.sort(key=lambda c: (c.first.day or date.min, c.first.article_id, c.first.event_id))
    return clusters


def same_cluster_pairs(clusters: Iterable[Cluster]) -> set[frozenset[str]]:
    """Every pair of article ids whose mentions share a cluster (for pair-level scoring)."""
    pairs: set[frozenset[str]] = set()
    for c in clusters:
        ids = sorted({m.article_id for m in c.mentions})
        pairs.update(frozenset((a, b)) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return pairs
