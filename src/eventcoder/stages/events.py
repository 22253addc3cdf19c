"""Event coding: verb and noun patterns matched against the dependency parse.

For each trigger the most specific pattern wins (one with a matching ``with`` keyword beats one
without); coordinated modifiers give one event each ("military and economic aid" -> 0232 and 0231).
Source and target come from the pattern's slots; coordinated actors give one event per actor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eventcoder.dictionaries import Cues, Dictionaries, PatternEntry
from eventcoder.stages.actors import DocActors
from eventcoder.stages.modality import intent_code, is_negated, modality
from eventcoder.types import Actor

SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"}
SKIP_COMPLEMENT_DEPS = SUBJECT_DEPS | {"advcl", "relcl", "parataxis", "punct", "conj", "cc", "mark"}
INHERIT_DEPS = {"xcomp", "conj", "advcl", "ccomp", "acl"}
NOUN_SOURCES = ["prep:by", "poss", "compound", "amod", "governor"]
RELATIVE_TAGS = {"WDT", "WP", "WP$"}


@dataclass(frozen=True, slots=True)
class Match:
    """A pattern that fired on a trigger token, before actors are attached."""

    pattern: PatternEntry
    cameo: str
    token: Any
    end: int  # exclusive token index of the trigger (multi-word lemmas)


class PatternIndex:
    """Patterns keyed by (pos, first lemma word)."""

    def __init__(self, dicts: Dictionaries) -> None:
        self.by_key: dict[tuple[str, str], list[PatternEntry]] = {}
        for p in dicts.patterns:
            self.by_key.setdefault((p.pos, p.lemma.split()[0]), []).append(p)
        self.discard = (
            re.compile(
                r"\b(?:"
                + "|".join(re.escape(ph.lower()) for d in dicts.discards for ph in d.phrases)
                + r")\b"
            )
            if dicts.discards
            else None
        )

    def candidates(self, token: Any) -> list[PatternEntry]:
        pos = "verb" if token.pos_ in ("VERB", "AUX") else "noun" if token.pos_ in ("NOUN", "PROPN") else None
        if pos is None:
            return []
        found = self.by_key.get((pos, token.lemma_.lower()))
        if found is None and token.lower_ != token.lemma_.lower():
            found = self.by_key.get((pos, token.lower_))
        return found or []


def _multiword_end(p: PatternEntry, token: Any) -> int | None:
    words = p.lemma.split()
    doc = token.doc
    end = token.i + len(words)
    if end > len(doc):
        return None
    for w, t in zip(words[1:], doc[token.i + 1 : end], strict=True):
        if w not in (t.lemma_.lower(), t.lower_):
            return None
    return int(end)


def _particles(token: Any) -> set[str]:
    return {c.lower_ for c in token.children if c.dep_ in ("prt", "prep")}


def complement_texts(token: Any) -> list[str]:
    """Lower-cased texts of the trigger's complements, with coordinated modifiers expanded."""
    toks = [token]
    for child in token.children:
        if child.dep_ not in SKIP_COMPLEMENT_DEPS:
            toks.extend(child.subtree)
    if token.pos_ in ("NOUN", "PROPN"):
        toks.extend(c for c in token.children if c.dep_ in ("amod", "compound"))
    toks = sorted(set(toks), key=lambda t: t.i)
    texts = [
        " " + " ".join(t.lower_ for t in toks) + " ",
        " " + " ".join(t.lemma_.lower() for t in toks) + " ",
    ]
    for t in toks:
        mods = [c for c in t.children if c.dep_ in ("amod", "compound") and c.i < t.i]
        for m in list(mods):
            mods.extend(x for x in m.children if x.dep_ == "conj")
        for m in mods:
            texts.append(f" {m.lower_} {t.lower_} ")
            texts.append(f" {m.lower_} {t.lemma_.lower()} ")
    return texts


def _has_with(p: PatternEntry, texts: list[str]) -> bool:
    return any(f" {w} " in t for w in p.with_ or () for t in texts)


def match_token(index: PatternIndex, token: Any) -> list[Match]:
    """Every pattern that fires on ``token``, most specific first, one per CAMEO code."""
    cands = index.candidates(token)
    if not cands:
        return []
    parts = _particles(token)
    has_prt = any(c.dep_ == "prt" for c in token.children)
    usable: list[tuple[PatternEntry, int]] = []
    for p in cands:
        end = _multiword_end(p, token)
        if end is None:
            continue
        if p.particle is not None and p.particle not in parts:
            continue
        if p.particle is None and has_prt and any(c.particle for c in cands):
            continue
        usable.append((p, end))
    if not usable:
        return []
    texts = complement_texts(token)
    specific = [(p, e) for p, e in usable if p.with_ and _has_with(p, texts)]
    chosen = specific or [(p, e) for p, e in usable if not p.with_][:1]
    codes = {p.cameo for p, _ in chosen}
    out: dict[str, Match] = {}
    for p, end in sorted(chosen, key=lambda pe: (-(pe[0].particle is not None), -len(pe[0].cameo))):
        if any(c != p.cameo and c.startswith(p.cameo) for c in codes):
            continue  # a more specific code matched too (0232 beats 023)
        out.setdefault(p.cameo, Match(p, p.cameo, token, end))
    return list(out.values())


# -- slots ---------------------------------------------------------------------------------------
def _children(token: Any, dep: str) -> list[Any]:
    return [c for c in token.children if c.dep_ == dep]


def _pobj(token: Any, prep: str) -> list[Any]:
    words = prep.split()
    out: list[Any] = []
    for c in token.children:
        if c.dep_ in ("prep", "agent", "dative") and c.lower_ == words[-1]:
            out.extend(g for g in c.children if g.dep_ == "pobj")
    return out


def _is_passive(token: Any) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in token.children)


def subject_of(token: Any, depth: int = 0) -> list[Any]:
    """The subject of a verb: its own, the passive agent, or the governing clause's."""
    subj = _children(token, "nsubj")
    if subj:
        s = subj[0]
        if s.tag_ in RELATIVE_TAGS and token.dep_ == "relcl":
            return [token.head]
        return [s]
    if _is_passive(token):
        return _pobj(token, "by")
    if token.dep_ == "relcl":
        return [token.head]
    if token.dep_ in INHERIT_DEPS and token.head is not token and depth < 3:
        head = token.head
        if head.pos_ in ("VERB", "AUX"):
            return subject_of(head, depth + 1)
    return []


def slot_tokens(token: Any, slot: str) -> list[Any]:
    """Tokens that fill one pattern slot."""
    if slot == "subj":
        return subject_of(token)
    if slot == "dobj":
        if _is_passive(token):
            return _children(token, "nsubjpass")
        return _children(token, "dobj")
    if slot == "dative":
        return _children(token, "dative") or _pobj(token, "to")
    if slot.startswith("prep:"):
        return _pobj(token, slot[5:])
    if slot == "xcomp":
        return [g for c in _children(token, "xcomp") for g in _children(c, "dobj")]
    if slot in ("poss", "compound", "amod", "nsubjpass"):
        return [c for c in _children(token, slot) if c.i < token.i or slot == "nsubjpass"]
    if slot == "governor":
        head = token.head
        if token.dep_ in ("dobj", "nsubjpass", "attr") and head.pos_ in ("VERB", "AUX"):
            return subject_of(head)
    return []


def with_conjuncts(tokens: list[Any]) -> list[Any]:
    """Add coordinated tokens: "Russia and China" -> [Russia, China]."""
    out: list[Any] = []
    for t in tokens:
        stack = [t]
        while stack:
            cur = stack.pop()
            if cur not in out:
                out.append(cur)
                stack.extend(c for c in cur.children if c.dep_ == "conj")
    return out


def fill(actors: DocActors, token: Any, slots: list[str], exclude: set[int]) -> list[Actor]:
    """Actors for the first slot (in order) that yields any; "between X and Y" fills both."""
    for slot in slots:
        if slot == "none":
            return []
        found = []
        for tok in with_conjuncts(slot_tokens(token, slot)):
            if tok.i in exclude:
                continue
            actor = actors.resolve(tok)
            if actor is not None:
                found.append(actor)
        if found:
            return found
    return []


def source_slots(p: PatternEntry) -> list[str]:
    if p.source:
        return list(p.source)
    return NOUN_SOURCES if p.pos == "noun" else ["subj"]


def is_discarded(index: PatternIndex, sentence_text: str) -> bool:
    return bool(index.discard and index.discard.search(sentence_text.lower()))


@dataclass(frozen=True, slots=True)
class Coded:
    """A match with its actors, negation and modality: an event before dates and places."""

    match: Match
    source: Actor
    target: Actor | None
    cameo: str
    negated: bool
    modality: str


def code_match(m: Match, actors: DocActors, cues: Cues) -> Iterator[Coded]:
    p, token = m.pattern, m.token
    sources = fill(actors, token, source_slots(p), set())
    if not sources:
        return
    source_tokens = {s.start for s in sources}
    targets: list[Actor | None] = list(fill(actors, token, list(p.target), set()))
    if p.pos == "noun" and not targets and "prep:between" not in p.target:
        between = fill(actors, token, ["prep:between"], set())
        if len(between) >= 2:
            sources, targets = between[:1], list(between[1:])
    if not targets and token.dep_ == "conj" and token.head.pos_ in ("VERB", "AUX"):
        targets = list(fill(actors, token.head, ["dobj", "prep:with"], set()))
    negated = is_negated(token, cues)
    mode = modality(token, cues)
    cameo = m.cameo
    if negated and p.negated_cameo:
        cameo, negated = p.negated_cameo, False
    elif not negated and mode in ("intended", "future"):
        cameo = intent_code(cameo, cues.intent_codes) or cameo
    for source in sources:
        for target in targets or [None]:
            if target is not None and (
                target.code == source.code or (target.start in source_tokens and target.start == source.start)
            ):
                continue
            yield Coded(m, source, target, cameo, negated, mode)


def suppressed(m: Match, matched_tokens: set[int], cues: Cues) -> bool:
    """Refusal and intent verbs give way to their complement's event; threats keep theirs."""
    token = m.token
    lemma = token.lemma_.lower()
    has_coded_xcomp = any(c.dep_ == "xcomp" and c.i in matched_tokens for c in token.children)
    if (
        has_coded_xcomp
        and (lemma in cues.refusal_verbs or lemma in cues.intent_verbs)
        and lemma not in cues.threat_verbs
    ):
        return True
    head = token.head
    return token.dep_ == "xcomp" and head.i in matched_tokens and head.lemma_.lower() in cues.threat_verbs
