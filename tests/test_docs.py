"""Every CLI command and setting is documented."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import typer.main

from eventcoder.cli import app
from eventcoder.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group: object, prefix: str = "") -> list[str]:
    out = []
    for name, cmd in getattr(group, "commands", {}).items():
        if getattr(cmd, "commands", None):
            out += _commands(cmd, f"{prefix}{name} ")
        else:
            out.append(prefix + name)
    return out


def test_docs_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    commands = _commands(typer.main.get_command(app))
    assert "code" in commands and "dict gaps" in commands
    for cmd in commands:
        assert f"`eventcoder {cmd}" in text, cmd


def test_docs_every_setting_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    for f in fields(Settings):
        assert f"`{f.name}`" in text, f.name
