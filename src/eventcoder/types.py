"""The data spine: small frozen records that flow through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class Article:
    """One input article, as read; spans in the output index into ``text``."""

    id: str
    text: str
    title: str | None = None
    date: date | None = None
    url: str | None = None
    byline: str | None = None
    origin: str = ""  # file name / line number, for error messages


@dataclass(frozen=True, slots=True)
class Actor:
    """A resolved actor mention."""

    text: str
    start: int
    end: int
    code: str
    country: str | None
    sector: str | None
    entry_ids: tuple[str, ...]
    kind: str  # country, organization, person, agent
    antecedent: tuple[str, int, int] | None = None  # (text, start, end) when resolved by coreference

    def to_json(self) -> dict[str, Any]:
        ante = self.antecedent
        return {
            "text": self.text,
            "span": [self.start, self.end],
            "code": self.code,
            "country": self.country,
            "sector": self.sector,
            "entry_ids": list(self.entry_ids),
            "antecedent": {"text": ante[0], "span": [ante[1], ante[2]]} if ante else None,
        }


@dataclass(frozen=True, slots=True)
class Location:
    name: str
    country: str | None
    lat: float | None
    lon: float | None
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "country": self.country,
            "lat": self.lat,
            "lon": self.lon,
            "span": [self.start, self.end],
        }


@dataclass(frozen=True, slots=True)
class Event:
    """One coded event."""

    source: Actor
    target: Actor | None
    cameo: str
    trigger_text: str
    trigger_start: int
    trigger_end: int
    sentence_index: int
    sentence: str
    negated: bool
    modality: str
    pattern_id: str
    date: date | None = None
    date_source: str | None = None
    date_text: str | None = None
    location: Location | None = None
    said_by: Actor | None = None
    id: str = ""
    status: str = "asserted"
    reported_by: tuple[str, ...] = ()
    disputed_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    """One attribution's stance on another attribution or an event."""

    source: str  # attribution id
    target: str  # attribution id or event id
    relation: str  # denies, disputes, confirms, repeats

    def to_json(self) -> dict[str, str]:
        return {"from": self.source, "to": self.target, "relation": self.relation}


@dataclass(frozen=True, slots=True)
class Document:
    """An article with what the stages have found so far."""

    article: Article
    doc: Any = None  # spacy.tokens.Doc; typed loosely so only nlp.py imports spaCy
    actors: tuple[Actor, ...] = ()
    events: tuple[Event, ...] = ()
    actor_state: Any = None  # stages.actors.DocActors
    unresolved: tuple[str, ...] = ()
    uncoded_predicates: tuple[str, ...] = ()
    attributions: tuple[Any, ...] = ()  # stages.attribution.Attribution
    speakers: tuple[tuple[Actor | None, Any], ...] = ()  # per attribution: (speaker actor, said date)
    claims: tuple[Claim, ...] = ()
    stages_done: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class InputError:
    """An item that could not be coded, with the reason."""

    item: str
    reason: str
    code: str = "input"

    def to_json(self) -> dict[str, str]:
        return {"item": self.item, "error": self.code, "reason": self.reason}
