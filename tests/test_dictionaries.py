from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from eventcoder.dictionaries import (
    PersonEntry,
    check_files,
    load_cameo,
    load_dictionaries,
    shipped_files,
    stats,
)


def test_dictionaries_every_shipped_file_is_valid() -> None:
    assert shipped_files(), "no shipped dictionary files found"
    assert check_files(shipped_files()) == []


def test_dictionaries_meet_the_scope_floors() -> None:
    s = stats(load_dictionaries())
    assert s["patterns"] >= 1500
    assert s["cameo_roots_covered"] == 20
    assert s["countries"] >= 249
    assert s["igos_and_ngos"] >= 150
    assert s["people"] >= 400
    assert s["agents"] >= 200


def test_dictionaries_check_reports_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "mine.jsonl"
    f.write_text(
        '{"kind": "agent", "id": "agent:x", "names": ["x"], "sector": "GOV"}\n'
        '{"kind": "agent", "id": "agent:y", "names": ["y"], "sector": "NOPE"}\n'
        "{not json\n"
        '{"kind": "pattern", "id": "p:x", "cameo": "999", "pos": "verb", "lemma": "zap"}\n'
        '{"kind": "agent", "id": "agent:z", "names": ["z"], "sector": "MIL", "colour": "red"}\n'
        '{"kind": "agent", "id": "agent:x", "names": ["w"], "sector": "MIL"}\n'
    )
    problems = check_files([f])
    assert any(p.startswith(f"{f}:2:") and "unknown sector" in p for p in problems)
    assert any(p.startswith(f"{f}:3:") and "invalid JSON" in p for p in problems)
    assert any(p.startswith(f"{f}:4:") and "unknown CAMEO code '999'" in p for p in problems)
    assert any(p.startswith(f"{f}:5:") and "colour" in p for p in problems)
    assert any(p.startswith(f"{f}:6:") and "duplicate id 'agent:x' (first at" in p for p in problems)


def test_dictionaries_person_code_follows_dates() -> None:
    p = PersonEntry.model_validate(
        {
            "kind": "person",
            "id": "person:t",
            "names": ["T"],
            "country": "USA",
            "roles": [
                {"code": "USAGOV", "from": "2017-01-20", "to": "2021-01-20"},
                {"code": "USAGOV", "from": "2025-01-20", "to": None},
            ],
        }
    )
    assert p.code_on(date(2018, 1, 1)) == "USAGOV"
    assert p.code_on(date(2022, 1, 1)) == "USAELI"
    assert p.code_on(date(2026, 1, 1)) == "USAGOV"


@pytest.mark.parametrize(
    ("code", "goldstein", "quad", "plover"),
    [
        ("0232", 3.4, 1, "REQUEST"),
        ("112", -2.0, 3, "ACCUSE"),
        ("044", 2.5, 1, "CONSULT"),
        ("190", -10.0, 4, "ASSAULT"),
    ],
)
def test_dictionaries_cameo_table_facts(code: str, goldstein: float, quad: int, plover: str) -> None:
    row = load_cameo()[code]
    assert (row.goldstein, row.quad_class) == (goldstein, quad)
    assert row.plover is not None and row.plover["event"] == plover
