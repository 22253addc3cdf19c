from __future__ import annotations

import json
from pathlib import Path

from eventcoder.eval import actor_matches, evaluate_events, penta


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _ev(src: str, cameo: str, tgt: str | None, negated: bool = False) -> dict[str, object]:
    return {
        "source": {"text": src, "code": "X"},
        "target": {"text": tgt, "code": "Y"} if tgt else None,
        "cameo": cameo,
        "negated": negated,
    }


def test_eval_penta_classes() -> None:
    assert [penta(c) for c in ("0232", "046", "073", "112", "190", "PENTA3_VERBAL")] == [0, 1, 2, 3, 4, 3]


def test_eval_actor_matching_by_text_or_code() -> None:
    assert actor_matches({"text": "Russian troops", "code": "RUSMIL"}, "the Russian army troops")
    assert actor_matches({"text": "Moscow", "code": "RUSGOV"}, "RUS")
    assert not actor_matches({"text": "Moscow", "code": "RUSGOV"}, "Kyiv")
    assert actor_matches(None, None) and not actor_matches(None, "Kyiv")


def test_eval_scores_class_dyad_and_triple(tmp_path: Path) -> None:
    gold = _write(
        tmp_path / "g.jsonl",
        [
            {"id": "1", "events": [{"source": "Russia", "target": "Ukraine", "code": "PENTA4_X"}]},
            {"id": "2", "events": [{"source": "Kenya", "target": "Somalia", "code": "PENTA1_X"}]},
            {
                "id": "3",
                "spans_available": False,
                "events": [{"source": None, "target": None, "code": "PENTA0_X"}],
            },
        ],
    )
    out = _write(
        tmp_path / "o.jsonl",
        [
            {
                "id": "1",
                "events": [_ev("Russia", "190", "Ukraine"), _ev("Russia", "111", "Ukraine", negated=True)],
            },
            {"id": "2", "events": [_ev("Kenya", "112", "Somalia")]},
            {"id": "3", "events": []},
        ],
    )
    s = evaluate_events(gold, out)
    assert (s["class"]["tp"], s["class"]["predicted"], s["class"]["gold"]) == (1, 2, 3)
    assert (s["dyad"]["tp"], s["dyad"]["predicted"], s["dyad"]["gold"]) == (2, 2, 2)
    assert (s["triple"]["tp"], s["triple"]["precision"], s["triple"]["recall"]) == (1, 0.5, 0.5)
