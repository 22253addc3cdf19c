"""Build src/eventcoder/data/cameo.jsonl from the reference tables in ../shared/reference.

Usage: python tools/build_cameo_table.py [REFERENCE_DIR]

Facts used: CAMEO code, root, label, Goldstein value (as published with GDELT), QuadClass, and the
CAMEO->PLOVER crosswalk (PLOVER manual, CAMEO2PLOVER-2021). The crosswalk leaves out roots 01 and 02:
01 (statements) has no PLOVER event; 02x appeals take the mapping of the parallel 10x demand code
(020 -> 100, 0232 -> 1032, ...), i.e. PLOVER REQUEST with the same mode and context.
A 4-digit code missing from the crosswalk (1951, 1952) takes its 3-digit parent's mapping.
Four codes have no published Goldstein value (1213, 1214, 1951, 1952); they take their 3-digit
parent's value and are flagged with "goldstein_inherited": true.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(ref: Path) -> None:
    with (ref / "cameo-to-plover.tsv").open(encoding="utf-8") as f:
        plover = {r["cameo"]: r for r in csv.DictReader(f, delimiter="\t")}
    out: list[dict[str, object]] = []
    goldstein: dict[str, float] = {}
    with (ref / "cameo-codes.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            code = row["code"]
            inherited = not row["goldstein"]
            goldstein[code] = goldstein[code[:3]] if inherited else float(row["goldstein"])
            key = "10" + code[2:] if code.startswith("02") else code
            cross = plover.get(key) or plover.get(key[:3])
            out.append(
                {
                    "code": code,
                    "root": row["root"],
                    "label": row["label"],
                    "goldstein": goldstein[code],
                    "goldstein_inherited": inherited,
                    "quad_class": int(row["quad_class"]),
                    "plover": None
                    if cross is None
                    else {
                        "event": cross["plover_event"],
                        "mode": cross["plover_mode"] or None,
                        "context": cross["plover_context"] or None,
                    },
                }
            )
    dest = ROOT / "src/eventcoder/data/cameo.jsonl"
    dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), "utf-8")
    print(f"wrote {len(out)} codes to {dest}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/reference")
