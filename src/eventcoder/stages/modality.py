"""Negation and modality of a trigger, read off the dependency parse."""

from __future__ import annotations

from typing import Any

from eventcoder.dictionaries import Cues

GOVERNOR_DEPS = {"xcomp", "ccomp", "conj"}


def is_negated_here(token: Any, cues: Cues) -> bool:
    """The token itself carries a negation ("did not meet", "never attacked", "no talks")."""
    return any(
        c.dep_ == "neg" or (c.dep_ in ("advmod", "det") and c.lower_ in cues.negation_words)
        for c in token.children
    )


def is_negated(token: Any, cues: Cues) -> bool:
    """Negated itself, or the complement of a refusal ("declined to condemn", "denied sending")."""
    if is_negated_here(token, cues):
        return True
    head = token.head
    if token.dep_ in ("xcomp", "ccomp") and head is not token:
        if head.lemma_.lower() in cues.refusal_verbs and not is_negated_here(head, cues):
            return True
        if token.dep_ == "xcomp" and is_negated_here(head, cues):
            return True
    return False


def _auxiliaries(token: Any) -> list[str]:
    found = [c.lower_ for c in token.children if c.dep_ in ("aux", "auxpass")]
    if token.dep_ == "xcomp" and token.head is not token:
        found += [c.lower_ for c in token.head.children if c.dep_ in ("aux", "auxpass")]
    return found


def _going_to(token: Any) -> bool:
    head = token.head
    return (
        token.dep_ == "xcomp"
        and head.lower_ == "going"
        and any(c.dep_ == "aux" and c.lemma_ == "be" for c in head.children)
    )


def _in_condition(token: Any, cues: Cues) -> bool:
    node = token
    for _ in range(4):
        if any(c.dep_ == "mark" and c.lower_ in cues.conditional_markers for c in node.children):
            return True
        if node.dep_ not in ("xcomp", "conj") or node.head is node:
            return False
        node = node.head
    return False


def modality(token: Any, cues: Cues) -> str:
    """One of asserted, future, intended, hypothetical, conditional."""
    if _in_condition(token, cues):
        return "conditional"
    if token.dep_ == "xcomp" and token.head.lemma_.lower() in cues.intent_verbs:
        return "intended"
    aux = _auxiliaries(token)
    if any(a in cues.future_auxiliaries for a in aux) or _going_to(token):
        return "future"
    if any(a in cues.hypothetical_auxiliaries for a in aux):
        return "hypothetical"
    return "asserted"


def intent_code(cameo: str, table: dict[str, str]) -> str | None:
    """CAMEO's "express intent" code for a cooperative code, most specific key first."""
    for key in (cameo, cameo[:3], cameo[:2]):
        if key in table:
            return table[key]
    return None
