"""Actor recognition: dictionary names in the parse -> coded actors, with simple coreference.

Names are matched on token sequences (case-insensitively, except short capitalised abbreviations).
A noun phrase is coded from its head and modifiers: "China's foreign ministry" -> CHNGOV,
"Russian troops" -> RUSMIL, "Beijing" (capital as metonym) -> CHNGOV, "Sergei Lavrov" -> RUSGOV on
the article date. "The ministry", "the spokesman" and pronouns take the last matching actor named
earlier in the article.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from eventcoder.dictionaries import (
    AgentEntry,
    CountryEntry,
    Dictionaries,
    OrganizationEntry,
    PersonEntry,
    is_case_sensitive,
)
from eventcoder.stages.places import entity_of
from eventcoder.types import Actor

MODIFIER_DEPS = {"compound", "amod", "poss", "nmod", "npadvmod"}
PERSON_PRONOUNS = {"he", "she", "him", "her"}
THING_PRONOUNS = {"it", "they", "them"}
UNKNOWN_LABELS = {"PERSON", "ORG", "NORP", "GPE"}
PLACE_LABELS = {"GPE", "LOC", "FAC"}
COREF_WINDOW = 3  # sentences to look back for "the ministry", "he", "it"


@dataclass(frozen=True, slots=True)
class NameRef:
    """One dictionary name: which entry, and how the name relates to it."""

    entry: Any
    how: str  # name, demonym, capital, seat
    exact: tuple[str, ...] | None  # original token texts when matched case-sensitively


@dataclass(frozen=True, slots=True)
class Mention:
    start: int  # token index
    end: int  # exclusive
    ref: NameRef


@dataclass(slots=True)
class ActorIndex:
    """Token-sequence index over every actor name; built once per dictionary set."""

    table: dict[tuple[str, ...], list[NameRef]] = field(default_factory=dict)
    longest_from: dict[str, int] = field(default_factory=dict)  # first token -> longest name length

    @classmethod
    def build(cls, dicts: Dictionaries, tokenize: Any) -> ActorIndex:
        index = cls()
        for entry in dicts.countries:
            index._add(entry, "name", entry.names, tokenize)
            index._add(entry, "demonym", entry.demonyms, tokenize)
            index._add(entry, "capital", entry.capitals, tokenize)
            index._add(entry, "seat", entry.seats, tokenize)
        others: list[OrganizationEntry | PersonEntry | AgentEntry] = [
            *dicts.organizations,
            *dicts.people,
            *dicts.agents,
        ]
        for other in others:
            index._add(other, "name", other.names, tokenize)
        return index

    def _add(self, entry: Any, how: str, names: Iterable[str], tokenize: Any) -> None:
        for name in names:
            tokens = tuple(t.text for t in tokenize(name))
            if not tokens:
                continue
            exact = tokens if is_case_sensitive(name) else None
            key = tuple(t.lower() for t in tokens)
            refs = self.table.setdefault(key, [])
            if not any(r.entry.id == entry.id and r.how == how for r in refs):
                refs.append(NameRef(entry, how, exact))
            self.longest_from[key[0]] = max(self.longest_from.get(key[0], 0), len(tokens))

    def find(self, doc: Any) -> list[Mention]:
        """Longest non-overlapping matches, left to right."""
        lowered = [t.lower_ for t in doc]
        texts = [t.text for t in doc]
        out: list[Mention] = []
        i, n = 0, len(lowered)
        while i < n:
            longest = self.longest_from.get(lowered[i], 0)
            for length in range(min(longest, n - i), 0, -1):
                refs = self.table.get(tuple(lowered[i : i + length]))
                if not refs:
                    continue
                span = tuple(texts[i : i + length])
                usable = [r for r in refs if r.exact is None or r.exact == span]
                if usable:
                    out.append(Mention(i, i + length, _best(usable)))
                    i += length
                    break
            else:
                i += 1
        return out


def _best(refs: list[NameRef]) -> NameRef:
    """Prefer a proper name over an agent noun, and a country's name over its demonym."""
    rank: dict[type, int] = {CountryEntry: 0, PersonEntry: 1, OrganizationEntry: 2, AgentEntry: 3}
    return min(refs, key=lambda r: (rank.get(type(r.entry), 9), r.how != "name"))


def _sector_of(code: str) -> str | None:
    if code.startswith(("IGO", "NGO", "MNC")):
        return code[:3]
    return code[3:6] or None if len(code) >= 6 else None


class DocActors:
    """The actors of one parsed document: mentions, resolved heads and a coreference history."""

    def __init__(
        self, index: ActorIndex, doc: Any, day: date | None, places: Callable[[str], Any] | None = None
    ) -> None:
        self.doc = doc
        self.places = places  # name -> gazetteer place (with .name, .country) or None
        self.text: str = doc.text  # Doc.text rebuilds the string on every access: read it once
        self.day = day
        self.mentions = index.find(doc)
        self.by_token: dict[int, Mention] = {}
        for m in self.mentions:
            for i in range(m.start, m.end):
                self.by_token[i] = m
        self.heads: dict[int, Actor | None] = {}
        self.history: list[tuple[int, Actor]] = []  # (token index, actor) in text order
        # Named entities that no dictionary entry covers: the null-actor list for `dict gaps`.
        self.unresolved = [
            e.text
            for e in doc.ents
            if e.label_ in UNKNOWN_LABELS and not any(self._named_at(i) for i in range(e.start, e.end))
        ]
        for m in self.mentions:
            head = self._head_of(m)
            actor = self._resolve_phrase(doc[head])
            self.heads[head] = actor
            if actor is not None:
                self.history.append((head, actor))

    def _named_at(self, i: int) -> bool:
        m = self.by_token.get(i)
        return m is not None and not isinstance(m.ref.entry, AgentEntry)

    def _head_of(self, m: Mention) -> int:
        """The mention's syntactic head token (the one whose head lies outside the mention)."""
        for i in range(m.start, m.end):
            h = self.doc[i].head.i
            if not m.start <= h < m.end or h == i:
                return i
        return m.end - 1

    # -- resolution -------------------------------------------------------------------------------
    def resolve(self, token: Any) -> Actor | None:
        """The actor a noun-phrase head (subject, object, ...) refers to, or None."""
        if token.i in self.heads:
            return self.heads[token.i]
        if token.lower_ in PERSON_PRONOUNS | THING_PRONOUNS:
            return self._pronoun(token)
        return self._resolve_phrase(token) or self._place(token)

    def _place(self, token: Any) -> Actor | None:
        """A named place the dictionaries do not know codes as its country ("shelled Bagram" -> AFG)."""
        if self.places is None or token.ent_type_ not in PLACE_LABELS:
            return None
        ent = entity_of(token)
        if ent is None:
            return None
        place = self.places(ent.text)
        if place is None or place.country is None:
            return None
        ids = (f"place:{place.name}",)
        return Actor(ent.text, ent.start_char, ent.end_char, place.country, place.country, None, ids, "place")

    def _resolve_phrase(self, token: Any) -> Actor | None:
        mention = self.by_token.get(token.i)
        modifiers = [c for c in token.children if c.dep_ in MODIFIER_DEPS and c.i < token.i]
        of_objects = [
            g
            for prep in ("of", "in")
            for c in token.children
            if c.dep_ == "prep" and c.lower_ == prep
            for g in c.children
            if g.dep_ == "pobj"
        ]
        if mention is not None and not isinstance(mention.ref.entry, AgentEntry):
            if mention.ref.how == "demonym" and modifiers == [] and token.pos_ == "ADJ":
                return None
            return self._named(mention, token)
        owner = self._owner(modifiers + of_objects)
        agent = mention.ref.entry if mention is not None else None
        if owner is None:
            if not isinstance(agent, AgentEntry):
                return self._described(token, modifiers)
            if agent.role or _has_definite(token):
                prior = self._corefer(token, agent)
                if prior is not None:
                    return prior
            # An agent with no country named: code the sector alone ("police" -> COP), as CAMEO does.
            start, end = _extent(token, modifiers)
            return self._actor(start, end, agent.sector, None, (agent.id,), "agent", agent.sector)
        code, country, ids = owner
        if isinstance(agent, AgentEntry):
            if country is not None and code == country:
                code = country + agent.sector
            ids = (*ids, agent.id)
        start, end = _extent(token, modifiers + of_objects)
        return self._actor(start, end, code, country, ids, "agent" if agent else "country")

    def _described(self, token: Any, modifiers: list[Any]) -> Actor | None:
        """An unknown name described by a title or apposition: "U.S. adviser Jake Doe", "Doe, a general"."""
        for tok in modifiers + [c for c in token.children if c.dep_ == "appos"]:
            actor = self._resolve_phrase(tok)
            if actor is not None:
                start, end = _extent(token, [tok] if tok.i < token.i else [])
                return self._respan(actor, start, end, actor.entry_ids)
        return None

    def _owner(self, tokens: list[Any]) -> tuple[str, str | None, tuple[str, ...]] | None:
        """The country/organisation/person that a modifier or "of" object names."""
        for tok in tokens:
            m = self.by_token.get(tok.i)
            if m is None or isinstance(m.ref.entry, AgentEntry):
                continue
            actor = self._named(m, tok)
            if actor is not None:
                base = actor.code if actor.kind == "organization" else actor.country or actor.code
                return base, actor.country, actor.entry_ids
        return None

    def _named(self, m: Mention, token: Any) -> Actor | None:
        entry, how = m.ref.entry, m.ref.how
        start, end = self.doc[m.start].idx, self.doc[m.end - 1].idx + len(self.doc[m.end - 1])
        if isinstance(entry, CountryEntry):
            code = entry.code + ("GOV" if how in ("capital", "seat") else "")
            return Actor(
                self.text[start:end],
                start,
                end,
                code,
                entry.iso3,
                "GOV" if how in ("capital", "seat") else None,
                (entry.id,),
                "country",
            )
        if isinstance(entry, OrganizationEntry):
            return Actor(
                self.text[start:end],
                start,
                end,
                entry.code,
                entry.country,
                entry.sector,
                (entry.id,),
                "organization",
            )
        if isinstance(entry, PersonEntry):
            code = entry.code_on(self.day)
            # In an international office (UN, NATO, EU) a person speaks for the organisation, not a country.
            country = None if code.startswith(("IGO", "NGO")) else entry.country
            return Actor(
                self.text[start:end],
                start,
                end,
                code,
                country,
                _sector_of(code),
                (entry.id,),
                "person",
            )
        return None

    def _actor(
        self,
        start_tok: int,
        end_tok: int,
        code: str,
        country: str | None,
        ids: tuple[str, ...],
        kind: str,
        sector: str | None = None,
    ) -> Actor:
        start = self.doc[start_tok].idx
        end = self.doc[end_tok].idx + len(self.doc[end_tok])
        sector = sector or _sector_of(code)
        return Actor(self.text[start:end], start, end, code, country, sector, ids, kind)

    def _recent(self, token: Any) -> list[Actor]:
        """Actors named before ``token`` within the coreference window, latest first."""
        sent_start = _sentence_start(self.doc, token, COREF_WINDOW)
        return [a for i, a in reversed(self.history) if sent_start <= i < token.i]

    def _corefer(self, token: Any, agent: AgentEntry) -> Actor | None:
        for prior in self._recent(token):
            if agent.id in prior.entry_ids or (prior.sector == agent.sector and prior.country):
                return self._copy(prior, token, agent.id)
        return None

    def _pronoun(self, token: Any) -> Actor | None:
        want_person = token.lower_ in PERSON_PRONOUNS
        for prior in self._recent(token):
            is_person = prior.kind == "person" or (
                prior.kind == "agent" and any(i.startswith("role:") for i in prior.entry_ids)
            )
            if is_person == want_person:
                return self._copy(prior, token, None)
        return None

    def _copy(self, prior: Actor, token: Any, extra_id: str | None) -> Actor:
        """``prior``'s codes on ``token``'s phrase, which refers back to it."""
        start, end = _extent(token, [c for c in token.children if c.dep_ in MODIFIER_DEPS])
        ids = prior.entry_ids + ((extra_id,) if extra_id and extra_id not in prior.entry_ids else ())
        ante = prior.antecedent or (prior.text, prior.start, prior.end)
        return replace(self._respan(prior, start, end, ids), antecedent=ante)

    def _respan(self, like: Actor, start_tok: int, end_tok: int, ids: tuple[str, ...]) -> Actor:
        """``like``'s codes on the text of tokens start_tok..end_tok."""
        return self._actor(start_tok, end_tok, like.code, like.country, ids, like.kind, like.sector)


def _has_definite(token: Any) -> bool:
    return any(c.dep_ == "det" and c.lower_ in ("the", "this", "that") for c in token.children)


def _extent(token: Any, extra: list[Any]) -> tuple[int, int]:
    idx = [token.i]
    for t in extra:
        idx.extend(x.i for x in t.subtree)
    for c in token.children:  # keep determiners/adjectives directly left of the head
        if c.i < token.i and c.dep_ in MODIFIER_DEPS | {"det"}:
            idx.extend(x.i for x in c.subtree)
    first = min(idx)
    while first < token.i and token.doc[first].dep_ in ("det", "punct"):
        first += 1
    return first, max(idx)


def _sentence_start(doc: Any, token: Any, window: int) -> int:
    sent = token.sent
    for _ in range(window):
        if sent.start == 0:
            break
        sent = doc[sent.start - 1].sent
    return int(sent.start)
