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
    token: Any
    end: int  # exclusive token index of the trigger (multi-word lemmas)


class PatternIndex:
    """Patterns keyed by (pos, first lemma word)."""

    def __init__(self, dicts: Dictionaries) -> None:
        self.by_key: dict[tuple[str, str], list[PatternEntry]] = {}
        self.with_len = max((len(w.split()) for p in dicts.patterns for w in p.with_ or ()), default=1)
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
        if pos is None or token.dep_ in ("amod", "compound"):
            return []  # participles and nouns used as modifiers ("visiting prince", "attack helicopter")
        for form in (token.lemma_.lower(), token.lower_, *_stems(token.lower_)):
            found = self.by_key.get((pos, form))
            if found:
                return found
        return []


def _stems(word: str) -> list[str]:
    """Fallback lemmas for inflections the statistical lemmatizer gets wrong ("staged" -> "stag")."""
    out = []
    for suffix, repl in (
        ("ied", "y"),
        ("ies", "y"),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            out.append(word[: -len(suffix)] + repl)
    doubled = 3 if word.endswith("ed") else 4 if word.endswith("ing") else 0
    if doubled and len(word) > doubled + 2 and word[-doubled] == word[-doubled - 1]:
        out.append(word[:-doubled])  # "rapped" -> "rap", "shelling" -> "shel" (harmless miss)
    return out


def _multiword_end(p: PatternEntry, token: Any) -> int | None:
    if " " not in p.lemma:
        return int(token.i) + 1
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
    return {c.lower_ for c in token.children if c.dep_ in ("prt", "prep", "advmod")}


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


def ngrams(texts: list[str], longest: int, firsts: set[str]) -> set[str]:
    """Word n-grams (n <= ``longest``) of the complement texts that start with one of ``firsts``."""
    out: set[str] = set()
    for text in texts:
        words = text.split()
        for i in range(len(words)):
            if words[i] not in firsts:
                continue
            for j in range(i + 1, min(i + longest, len(words)) + 1):
                out.add(" ".join(words[i:j]))
    return out


def _matched_phrase(p: PatternEntry, grams: set[str]) -> str | None:
    """The longest of the pattern's ``with`` phrases found in the complements, if any."""
    found = [w for w in p.with_ or () if w in grams]
    return max(found, key=len) if found else None


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
    firsts = {w.split()[0] for p, _ in usable for w in p.with_ or ()}
    grams = ngrams(complement_texts(token), index.with_len, firsts) if firsts else set()
    phrases = {p.id: ph for p, _ in usable if (ph := _matched_phrase(p, grams))}
    specific = [
        (p, e)
        for p, e in usable
        if p.id in phrases
        and not any(phrases[p.id] in other and phrases[p.id] != other for other in phrases.values())
    ]  # "sanctions" gives way to "lift sanctions"; "military aid" and "economic aid" both stand
    chosen = specific or [(p, e) for p, e in usable if not p.with_][:1]
    if not chosen:
        return []
    ranked = sorted(
        chosen,
        key=lambda pe: (-len(phrases.get(pe[0].id, "")), -(pe[0].particle is not None), -len(pe[0].cameo)),
    )
    best = ranked[0][0].cameo
    codes = {p.cameo for p, _ in ranked}
    out: dict[str, Match] = {}
    for p, end in ranked:
        if any(c != p.cameo and c.startswith(p.cameo) for c in codes):
            continue  # a more specific code matched too (0232 beats 023)
        if p.cameo[:3] != best[:3]:
            continue  # one trigger, one event type; only siblings ("military and economic aid") stand
        out.setdefault(p.cameo, Match(p, token, end))
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


def fill(actors: DocActors, token: Any, slots: list[str]) -> list[Actor]:
    """Actors for the first slot (in order) that yields any, with their conjuncts."""
    for slot in slots:
        if slot == "none":
            return []
        found = []
        for tok in with_conjuncts(slot_tokens(token, slot)):
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
    """Attach actors, negation and modality to a match."""
    p, token = m.pattern, m.token
    sources = fill(actors, token, source_slots(p))
    targets: list[Actor | None] = list(fill(actors, token, list(p.target)))
    if p.pos == "noun" and not sources:
        between = fill(actors, token, ["prep:between"])  # "talks between X and Y": X -> Y
        if len(between) >= 2:
            sources, targets = between[:1], list(between[1:])
    if not sources:
        return
    if not targets and token.dep_ == "conj" and token.head.pos_ in ("VERB", "AUX"):
        targets = list(fill(actors, token.head, ["dobj", "prep:with"]))  # "met X and warned (X)"
    if not targets and "none" not in p.target:
        return  # the pattern needs a target ("meet the deadline", "war on drugs" code nothing)
    negated = is_negated(token, cues)
    mode = modality(token, cues)
    cameo = p.cameo
    if negated and p.negated_cameo:
        cameo, negated = p.negated_cameo, False
    elif not negated and mode in ("intended", "future"):
        cameo = intent_code(cameo, cues.intent_codes) or cameo
    for source in sources:
        for target in targets or [None]:
            if target is not None and (target.code == source.code or target.start == source.start):
                continue
            yield Coded(m, source, target, cameo, negated, mode)


NESTED_DEPS = {"xcomp", "ccomp", "pcomp", "pobj", "prep"}


def _yields(lemma: str, cues: Cues) -> bool:
    """Refusal and intent verbs give way to their complement ("declined to condemn", "plans to meet")."""
    return (lemma in cues.refusal_verbs or lemma in cues.intent_verbs) and lemma not in cues.threat_verbs


def suppressed(m: Match, matched_tokens: set[int], cues: Cues) -> bool:
    """Only one event per nested construction.

    A refusal or intent verb yields to its coded complement; any other coded verb keeps its event and
    suppresses the triggers inside its complement ("threatened to attack", "urged X to lift sanctions",
    "accused X of attacking Y" code the threat, the appeal, the accusation).
    """
    token = m.token
    if _yields(token.lemma_.lower(), cues) and any(
        c.dep_ == "xcomp" and c.i in matched_tokens for c in token.children
    ):
        return True
    node = token
    for _ in range(4):
        head = node.head
        if head is node or node.dep_ not in NESTED_DEPS:
            return False
        if head.i in matched_tokens and not _yields(head.lemma_.lower(), cues):
            return True
        node = head
    return False


def drop_governed(coded: list[Coded]) -> list[Coded]:
    """Drop a noun event whose governing verb coded another event type for the same source.

    "lifted sanctions on Iran" is an easing (085), not sanctions (163); "launched attacks on X" keeps
    the noun's event, which has the target, and ``merge_duplicates`` drops the verb's.
    """
    by_token: dict[int, list[Coded]] = {}
    for c in coded:
        by_token.setdefault(c.match.token.i, []).append(c)
    out = []
    for c in coded:
        gov = [
            g for g in by_token.get(c.match.token.head.i, []) if g.source.code == c.source.code and g is not c
        ]
        if c.match.pattern.pos == "noun" and gov and all(g.cameo[:2] != c.cameo[:2] for g in gov):
            continue
        out.append(c)
    return out


def merge_duplicates(coded: list[Coded]) -> list[Coded]:
    """One event per (source, type, target) in a sentence.

    "imposed sanctions on Lebanon" fires on the verb (no target) and on the noun (target Lebanon): an
    event without a target is dropped when the same source has an event of the same 3-digit type with one.
    """
    with_target = {(c.source.code, c.cameo[:3]) for c in coded if c.target is not None}
    seen: set[tuple[str, str, str | None, bool]] = set()
    out = []
    for c in coded:
        if c.target is None and (c.source.code, c.cameo[:3]) in with_target:
            continue
        key = (c.source.code, c.cameo, c.target.code if c.target else None, c.negated)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
