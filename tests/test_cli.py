from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eventcoder import SCHEMA_VERSION


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eventcoder", *args], input=stdin, capture_output=True, text=True, timeout=300
    )


def test_cli_usage_error_exits_2() -> None:
    assert _run("code").returncode == 2
    assert _run("code", "x.txt", "--workers", "0").returncode == 2


def test_cli_dict_check_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"kind": "agent", "id": "agent:zz", "names": ["zz"], "sector": "GOV"}\n')
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "agent", "id": "agent:zz"}\n')
    assert _run("dict", "check", str(good)).returncode == 0
    result = _run("dict", "check", str(bad))
    assert result.returncode == 1 and f"{bad}:1:" in result.stderr


@pytest.mark.model
def test_cli_code_counts_and_errors_file(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "text": "Chile condemned Peru.", "date": "2021-06-01"})
        + "\n"
        + "{broken\n"
        + json.dumps({"text": "Peru praised Chile."})
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    result = _run("code", str(src), "-o", str(out))
    assert result.returncode == 1
    assert "articles in: 3 = coded: 2 + failed: 1" in result.stderr
    assert f"{src}:2" in result.stderr and "malformed JSON" in result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert next(r["id"] for r in records) == "a" and len(records) == 2
    assert records[0]["schema_version"] == SCHEMA_VERSION and records[1]["id"]
    errors = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text().splitlines()]
    assert errors == [{"item": f"{src}:2", "error": "input", "reason": errors[0]["reason"]}]


@pytest.mark.model
def test_cli_code_reads_stdin_and_exits_0() -> None:
    result = _run("code", "-", "--no-text", stdin="Title: T\nDate: 2020-02-02\n\nSweden praised Norway.\n")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == "T" and record["date"] == "2020-02-02" and "text" not in record


@pytest.mark.model
def test_cli_workers_give_the_same_output_in_order(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(
            json.dumps({"id": str(i), "text": f"Kenya criticized Uganda on day {i}."}) + "\n"
            for i in range(40)
        )
    )
    one = _run("code", str(src), "--no-text")
    two = _run("code", str(src), "--no-text", "--workers", "2")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout
    assert [json.loads(x)["id"] for x in two.stdout.splitlines()] == [str(i) for i in range(40)]


def test_cli_eval_attribution_task(tmp_path: Path) -> None:
    text = 'Ana Diaz said the bridge was closed. "It is safe," Bo Li told reporters.'
    quotes = [
        {"speaker_char_span": [0, 8], "cue_char_span": [9, 13], "content_char_span": [14, 36]},
        {"speaker_char_span": [50, 55], "cue_char_span": [56, 60], "content_char_span": [37, 49]},
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "a", "text": text, "quotes": quotes}) + "\n")
    out = tmp_path / "out.jsonl"
    attrs = [{"speaker": {"span": [0, 8]}, "cue": {"span": [9, 13]}, "content": {"span": [14, 36]}}]
    out.write_text(json.dumps({"id": "a", "attributions": attrs}) + "\n")
    result = _run("eval", "--task", "attribution", "--json", str(gold), str(out))
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    for role in ("speaker_exact", "cue_exact", "content_exact"):
        assert (scores[role]["precision"], scores[role]["recall"]) == (1.0, 0.5), role
    assert _run("eval", "--task", "nope", str(gold), str(out)).returncode == 2
