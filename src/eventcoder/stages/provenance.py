"""Provenance: attributions in the article, the claims between them, and each event's status.

An event whose trigger lies inside an attribution's content is *reported by* it; an attribution that
denies or disputes an earlier one (by another speaker) makes the events that one reports *denied* or
*disputed*. Status precedence: negated, denied, disputed, hypothetical, future, attributed, asserted.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from eventcoder.dictionaries import Cues
from eventcoder.stages.attribution import Attribution, AttributionCues, extract_attributions
from eventcoder.stages.dates import event_date
from eventcoder.types import Actor, Claim, Document, Event

WORD_RE = re.compile(r"[a-z']+")


@dataclass(frozen=True, slots=True)
class AttributionStage:
    """Find attributions and resolve each speaker to an actor and each statement to a date."""

    cues: AttributionCues
    name: str = "attributions"
    requires: tuple[str, ...] = ("parse", "actors")
    provides: tuple[str, ...] = ("attributions",)

    def __call__(self, d: Document) -> Document:
        attrs = tuple(extract_attributions(d.doc, self.cues))
        speakers = tuple((_speaker_actor(d, a), _said_on(d, a)) for a in attrs)
        return dataclasses.replace(d, attributions=attrs, speakers=speakers)


def _speaker_actor(d: Document, a: Attribution) -> Actor | None:
    if a.speaker is None:
        return None
    actor: Actor | None = d.actor_state.resolve(d.doc[a.speaker.head_token])
    return actor


def _said_on(d: Document, a: Attribution) -> Any:
    span = d.doc.char_span(a.cue_start, a.cue_end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return d.article.date
    return event_date(span[0], d.article.date, False)[0]


@dataclass(frozen=True, slots=True)
class ProvenanceStage:
    """Claims between attributions, and status, reported_by and disputed_by on every event."""

    cues: Cues
    name: str = "provenance"
    requires: tuple[str, ...] = ("events", "attributions")
    provides: tuple[str, ...] = ("claims", "status")

    def __call__(self, d: Document) -> Document:
        events = [dataclasses.replace(e, id=f"e{n}") for n, e in enumerate(d.events, 1)]
        reports = {e.id: _reported_by(e, d.attributions) for e in events}
        claims = find_claims(d, self.cues)
        against: dict[str, list[Claim]] = {}
        for c in claims:
            against.setdefault(c.target, []).append(c)
        out = [_with_status(e, reports[e.id], against) for e in events]
        return dataclasses.replace(d, events=tuple(out), claims=tuple(claims))


def _reported_by(e: Event, attrs: tuple[Attribution, ...]) -> tuple[str, ...]:
    """Attributions whose content carries the trigger (a cue that is itself the event does not count)."""
    return tuple(
        a.id
        for a in attrs
        if a.content_start <= e.trigger_start < a.content_end
        and not a.cue_start <= e.trigger_start < a.cue_end
    )


def _with_status(e: Event, reported: tuple[str, ...], against: dict[str, list[Claim]]) -> Event:
    rejecting = [c for a in reported for c in against.get(a, []) if c.relation in ("denies", "disputes")]
    rejecting += [c for c in against.get(e.id, []) if c.relation in ("denies", "disputes")]
    disputed_by = tuple(dict.fromkeys(c.source for c in rejecting))
    return dataclasses.replace(
        e, reported_by=reported, disputed_by=disputed_by, status=_status(e, reported, rejecting)
    )


def _status(e: Event, reported: tuple[str, ...], rejecting: list[Claim]) -> str:
    if e.negated:
        return "negated"
    if any(c.relation == "denies" for c in rejecting):
        return "denied"
    if rejecting:
        return "disputed"
    if e.modality in ("hypothetical", "conditional"):
        return "hypothetical"
    if e.modality in ("future", "intended"):
        return "future"
    return "attributed" if reported or e.said_by is not None else "asserted"


def _who(a: Attribution, actor: Actor | None) -> str:
    """A speaker identity for comparing attributions: actor code, else resolved name, else text."""
    if actor is not None:
        return actor.code
    if a.speaker is None:
        return ""
    return (a.speaker.name or a.speaker.text).lower()


def _words(text: str) -> set[str]:
    return set(WORD_RE.findall(text.lower()))


def find_claims(d: Document, cues: Cues) -> list[Claim]:
    """Denials, disputes and confirmations of earlier attributions by other speakers; repeats by the same."""
    attrs, speakers = d.attributions, d.speakers
    claims: list[Claim] = []
    for k, a in enumerate(attrs):
        relation = _stance(a, cues)
        me = _who(a, speakers[k][0])
        for j in range(k - 1, -1, -1):
            prior = attrs[j]
            other = _who(prior, speakers[j][0])
            if relation and other != me and not prior.denial:
                claims.append(Claim(a.id, prior.id, relation))
                break
            if relation is None and other == me and me and _similar(a.content_text, prior.content_text):
                claims.append(Claim(a.id, prior.id, "repeats"))
                break
    return claims


def _stance(a: Attribution, cues: Cues) -> str | None:
    words = _words(a.cue_text + " " + a.content_text)
    if a.denial:
        return "disputes" if words & cues.dispute_words else "denies"
    if _words(a.cue_text) & cues.confirm_verbs or any(w.startswith("confirm") for w in _words(a.cue_text)):
        return "confirms"
    return None


def _similar(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.6
