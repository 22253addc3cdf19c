"""The pipeline: small declared stages over one Document, checked for order when built."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventcoder.dictionaries import CameoCode, Dictionaries, load_dictionaries
from eventcoder.errors import EventcoderError
from eventcoder.settings import Settings
from eventcoder.stages import nlp as nlp_stage
from eventcoder.stages.actors import ActorIndex, DocActors
from eventcoder.stages.attribution import load_attribution_cues
from eventcoder.stages.dates import event_date
from eventcoder.stages.events import (
    Coded,
    PatternIndex,
    code_match,
    drop_governed,
    is_discarded,
    match_token,
    merge_duplicates,
    suppressed,
)
from eventcoder.stages.places import Gazetteer, event_location
from eventcoder.stages.provenance import AttributionStage, ProvenanceStage
from eventcoder.types import Actor, Article, Document, Event


class Stage(Protocol):
    """A callable Document -> Document that declares what it needs and what it adds."""

    @property
    def name(self) -> str: ...
    @property
    def requires(self) -> tuple[str, ...]: ...
    @property
    def provides(self) -> tuple[str, ...]: ...

    def __call__(self, d: Document) -> Document: ...


@dataclass(frozen=True, slots=True)
class ActorStage:
    index: ActorIndex
    gazetteer: Gazetteer
    name: str = "actors"
    requires: tuple[str, ...] = ("parse",)
    provides: tuple[str, ...] = ("actors",)

    def __call__(self, d: Document) -> Document:
        state = DocActors(self.index, d.doc, d.article.date, self.gazetteer.lookup)
        return dataclasses.replace(d, actor_state=state, actors=tuple(a for _, a in state.history))


@dataclass(frozen=True, slots=True)
class EventStage:
    patterns: PatternIndex
    dicts: Dictionaries
    gazetteer: Gazetteer
    name: str = "events"
    requires: tuple[str, ...] = ("parse", "actors")
    provides: tuple[str, ...] = ("events", "dates", "places")

    def __call__(self, d: Document) -> Document:
        events: list[Event] = []
        uncoded: list[str] = []
        for si, sent in enumerate(d.doc.sents):
            if is_discarded(self.patterns, sent.text):
                continue
            events.extend(self._sentence(d, si, sent, uncoded))
        state = d.actor_state
        return dataclasses.replace(
            d, events=tuple(events), unresolved=tuple(state.unresolved), uncoded_predicates=tuple(uncoded)
        )

    def _sentence(self, d: Document, si: int, sent: Any, uncoded: list[str]) -> Iterator[Event]:
        cues = self.dicts.cues
        matches = {}
        for tok in sent:
            found = match_token(self.patterns, tok)
            if found:
                matches[tok.i] = found
            elif _uncoded_predicate(tok, cues):
                uncoded.append(tok.lemma_.lower())
        heads = set(matches)
        coded = [
            c
            for ms in matches.values()
            for m in ms
            if not suppressed(m, heads, cues)
            for c in code_match(m, d.actor_state, cues)
        ]
        for c in merge_duplicates(drop_governed(coded)):
            yield self._event(d, si, sent, c)

    def _event(self, d: Document, si: int, sent: Any, c: Coded) -> Event:
        token = c.match.token
        last = d.doc[c.match.end - 1]
        start, end = token.idx, last.idx + len(last)
        day, day_source, day_text = event_date(token, d.article.date, c.modality == "future")
        location = event_location(token, self.gazetteer)
        cameo = c.cameo
        if location is not None and cameo in self.dicts.cues.meeting_codes and _third(location.country, c):
            cameo = self.dicts.cues.third_location_code
        return Event(
            source=c.source,
            target=c.target,
            cameo=cameo,
            trigger_text=d.article.text[start:end],
            trigger_start=start,
            trigger_end=end,
            sentence_index=si,
            sentence=sent.text,
            negated=c.negated,
            modality=c.modality,
            pattern_id=c.match.pattern.id,
            date=day,
            date_source=day_source,
            date_text=day_text,
            location=location,
            said_by=said_by(token, d.actor_state, self.dicts.cues),
        )


def _uncoded_predicate(tok: Any, cues: Any) -> bool:
    """A clause-heading verb that no pattern matched (speech verbs are left out: never events by design)."""
    return (
        tok.pos_ == "VERB"
        and tok.is_alpha
        and tok.dep_ in ("ROOT", "ccomp", "conj", "xcomp", "advcl")
        and tok.lemma_.lower() not in cues.speech_verbs
    )


def _third(place_country: str | None, c: Coded) -> bool:
    if place_country is None or c.source.country is None or c.target is None:
        return False
    return place_country not in (c.source.country, c.target.country)


def said_by(token: Any, actors: DocActors, cues: Any) -> Actor | None:
    """Who reports the event: the subject of a speech verb governing it, or "according to X"."""
    node = token
    for _ in range(5):
        if node.head is node:
            break
        dep, node = node.dep_, node.head
        if dep in ("ccomp", "parataxis") and node.lemma_.lower() in cues.speech_verbs:
            subj = [c for c in node.children if c.dep_ == "nsubj"]
            if subj:
                return actors.resolve(subj[0])
    for tok in token.sent:
        if tok.lower_ == "according" and tok.i + 1 < len(tok.doc) and tok.nbor(1).lower_ == "to":
            objs = [g for g in tok.nbor(1).children if g.dep_ == "pobj"]
            if objs:
                return actors.resolve(objs[0])
    return None


class Pipeline:
    """spaCy parse, then the declared stages in order."""

    def __init__(
        self,
        nlp: Any,
        stages: Sequence[Stage],
        batch_size: int = 32,
        cameo: dict[str, CameoCode] | None = None,
    ) -> None:
        have = {"parse"}
        for stage in stages:
            missing = set(stage.requires) - have
            if missing:
                raise EventcoderError(f"stage {stage.name!r} needs {sorted(missing)} before it")
            have |= set(stage.provides)
        self.nlp = nlp
        self.cameo = cameo or {}
        self.stages = list(stages)
        self.batch_size = batch_size

    def run(self, articles: Iterable[Article]) -> Iterator[Document]:
        pending = list(articles) if not isinstance(articles, list) else articles
        docs = nlp_stage.parse(self.nlp, (a.text for a in pending), self.batch_size)
        for article, doc in zip(pending, docs, strict=True):
            yield self.run_one(article, doc)

    def run_one(self, article: Article, doc: Any) -> Document:
        d = Document(article=article, doc=doc, stages_done=("parse",))
        for stage in self.stages:
            d = stage(d)
            d = dataclasses.replace(d, stages_done=(*d.stages_done, stage.name))
        return d


def load_pipeline(settings: Settings) -> Pipeline:
    """Load the spaCy model and the dictionaries (once) and build the default pipeline."""
    nlp = nlp_stage.load_nlp(settings.models)
    dicts = load_dictionaries(settings.dictionaries)
    return build_pipeline(nlp, dicts, settings.batch_size)


def build_pipeline(nlp: Any, dicts: Dictionaries, batch_size: int = 32) -> Pipeline:
    gazetteer = Gazetteer(dicts)
    stages: list[Stage] = [
        ActorStage(ActorIndex.build(dicts, nlp.tokenizer), gazetteer),
        EventStage(PatternIndex(dicts), dicts, gazetteer),
        AttributionStage(load_attribution_cues()),
        ProvenanceStage(dicts.cues),
    ]
    return Pipeline(nlp, stages, batch_size, dicts.cameo)
