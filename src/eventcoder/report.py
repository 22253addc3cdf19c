"""A readable table of coded events (for ``eventcoder code --table`` and ``make demo``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _actor(a: dict[str, Any] | None) -> str:
    return "-" if a is None else f"{a['code']} ({a['text']})"


def print_table(records: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or Console()
    for rec in records:
        table = Table(title=rec.get("title") or rec["id"], show_lines=False)
        for col in ("date", "source", "cameo", "label", "target", "trigger", "modality", "place", "said by"):
            table.add_column(col)
        for e in rec["events"]:
            label = e["cameo_label"] + (" [NEGATED]" if e["negated"] else "")
            place = e["location"]["name"] if e["location"] else ""
            table.add_row(
                e["date"] or "",
                _actor(e["source"]),
                e["cameo"],
                label,
                _actor(e["target"]),
                e["trigger"]["text"],
                e["modality"],
                place,
                _actor(e["said_by"]) if e["said_by"] else "",
            )
        console.print(table)
