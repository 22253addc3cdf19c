"""Provenance on short articles written for the project: reported events, denials, disputes, status."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from eventcoder.types import Article

pytestmark = pytest.mark.model


def _doc(pipeline: Any, text: str) -> Any:
    return next(pipeline.run([Article(id="p", text=text, date=date(2022, 3, 14))]))


def test_provenance_reported_event_is_attributed(pipeline: Any) -> None:
    d = _doc(pipeline, "Ukrainian officials said Russian forces shelled Kharkiv on Sunday.")
    shell = [e for e in d.events if e.source.code.startswith("RUS")]
    assert shell and shell[0].status == "attributed" and shell[0].reported_by


def test_provenance_claim_denied_in_a_later_paragraph(pipeline: Any) -> None:
    text = (
        "Kenyan media, citing unnamed officials, reported that Ethiopia had asked Kenya for military aid.\n\n"
        "Ethiopia's foreign ministry denied the reports on Monday, saying it had never heard of that."
    )
    d = _doc(pipeline, text)
    appeal = [e for e in d.events if e.cameo.startswith("02") and e.source.code.startswith("ETH")]
    assert appeal, d.events
    assert appeal[0].status == "denied" and appeal[0].disputed_by
    claim = next(c for c in d.claims if c.relation == "denies")
    assert claim.target in appeal[0].reported_by
    denier = next(a for a in d.attributions if a.id == claim.source)
    assert denier.denial


def test_provenance_disinformation_is_a_dispute(pipeline: Any) -> None:
    text = (
        "U.S. officials said that Russia asked China for drones.\n\n"
        'China\'s foreign ministry said the report was "disinformation" spread by Washington.'
    )
    d = _doc(pipeline, text)
    assert any(c.relation == "disputes" for c in d.claims)
    appeal = [e for e in d.events if e.source.code == "RUS"]
    assert appeal and appeal[0].status == "disputed"


def test_provenance_unreported_event_is_asserted_and_future_is_future(pipeline: Any) -> None:
    d = _doc(pipeline, "Chile condemned Peru. Chile will meet Bolivia next week.")
    status = {e.cameo[:2]: e.status for e in d.events}
    assert status.get("11") == "asserted"
    assert status.get("03") == "future"


def test_provenance_speaker_gets_an_actor_code(pipeline: Any) -> None:
    d = _doc(pipeline, 'Germany\'s foreign minister said: "We will not accept this."')
    assert d.attributions
    actor, _said = d.speakers[0]
    assert actor is not None and actor.code == "DEUGOV"
