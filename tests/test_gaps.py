from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventcoder.gaps import find_gaps
from eventcoder.settings import load_settings

pytestmark = pytest.mark.model


def test_gaps_lists_uncoded_predicates_and_unknown_actors(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    rows = [
        {"id": "1", "text": "Zorblatt Industries frobnicated the Qwerty Council on Monday."},
        {"id": "2", "text": "Zorblatt Industries frobnicated Chile. Kenya condemned Uganda."},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = find_gaps([str(corpus)], load_settings())
    assert report.articles == 2 and report.events >= 1
    assert report.predicates["frobnicate"] == 2 or report.predicates["frobnicated"] == 2
    assert report.actors["Zorblatt Industries"] == 2
    assert "condemn" not in report.predicates
