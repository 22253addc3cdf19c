"""Dictionary schemas, loading and checking. The format is specified in docs/dictionaries.md."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from eventcoder.errors import DictionaryError

CODE_RE = r"^[A-Z]{3}[A-Z]*$"
Code = Annotated[str, Field(pattern=CODE_RE)]
Names = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
SECTORS = frozenset(
    [
        "GOV",
        "MIL",
        "COP",
        "JUD",
        "LEG",
        "OPP",
        "REB",
        "SPY",
        "BUS",
        "MED",
        "EDU",
        "HLH",
        "CVL",
        "REF",
        "LAB",
        "HRI",
        "ELI",
        "CRM",
        "UAF",
        "AGR",
        "ENV",
        "MOD",
        "RAD",
        "REL",
        "NGO",
        "IGO",
        "SEP",
        "INS",
    ]
)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=3)
    note: str | None = None


class CountryEntry(_Entry):
    kind: Literal["country"]
    code: Code
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    names: Names
    demonyms: list[str] = []
    capitals: list[str] = []
    seats: list[str] = []


class OrganizationEntry(_Entry):
    kind: Literal["organization"]
    code: Code
    names: Names
    type: Literal["igo", "ngo", "armed_group", "party", "media", "company", "other"]
    country: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None
    sector: str | None

    @field_validator("sector")
    @classmethod
    def _sector(cls, v: str | None) -> str | None:
        if v is not None and v not in SECTORS:
            raise ValueError(f"unknown sector {v!r}")
        return v


class AgentEntry(_Entry):
    kind: Literal["agent"]
    names: Names
    sector: str
    role: bool = False

    @field_validator("sector")
    @classmethod
    def _sector(cls, v: str) -> str:
        if v not in SECTORS:
            raise ValueError(f"unknown sector {v!r}")
        return v


class Role(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Code
    title: str | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class PersonEntry(_Entry):
    kind: Literal["person"]
    names: Names
    country: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None
    roles: list[Role] = []
    default_code: Code | None = None

    def code_on(self, day: date | None) -> str:
        """The code in force on ``day`` (the latest-starting role if ``day`` is None)."""
        roles = sorted(self.roles, key=lambda r: r.from_ or date.min)
        if day is None:
            return roles[-1].code if roles else self._fallback()
        for role in reversed(roles):
            if (role.from_ is None or role.from_ <= day) and (role.to is None or day < role.to):
                return role.code
        return self._fallback()

    def _fallback(self) -> str:
        return self.default_code or f"{self.country or 'UNK'}ELI"


class PatternEntry(_Entry):
    kind: Literal["pattern"]
    cameo: Annotated[str, Field(pattern=r"^\d{3,4}$")]
    pos: Literal["verb", "noun"]
    lemma: str = Field(min_length=1)
    particle: str | None = None
    with_: list[str] | None = Field(default=None, alias="with")
    target: list[str] = ["dobj"]
    source: list[str] | None = None
    negated_cameo: Annotated[str, Field(pattern=r"^\d{3,4}$")] | None = None

    @field_validator("target", "source")
    @classmethod
    def _slots(cls, v: list[str] | None) -> list[str] | None:
        ok = {"dobj", "dative", "xcomp", "poss", "none", "subj", "compound", "amod", "nsubjpass"}
        for slot in v or []:
            if slot not in ok and not slot.startswith("prep:"):
                raise ValueError(f"unknown slot {slot!r}")
        return v


class DiscardEntry(_Entry):
    kind: Literal["discard"]
    phrases: Names


AnyEntry = Annotated[
    CountryEntry | OrganizationEntry | AgentEntry | PersonEntry | PatternEntry | DiscardEntry,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyEntry)


@dataclass(frozen=True, slots=True)
class CameoCode:
    code: str
    root: str
    label: str
    goldstein: float
    quad_class: int
    plover: dict[str, str | None] | None


@dataclass(frozen=True, slots=True)
class Cues:
    refusal_verbs: frozenset[str]
    intent_verbs: frozenset[str]
    threat_verbs: frozenset[str]
    future_auxiliaries: frozenset[str]
    hypothetical_auxiliaries: frozenset[str]
    conditional_markers: frozenset[str]
    negation_words: frozenset[str]
    speech_verbs: frozenset[str]
    speech_preps: frozenset[str]
    light_verbs: frozenset[str]
    meeting_codes: frozenset[str]
    third_location_code: str
    intent_codes: dict[str, str]
    dispute_words: frozenset[str]
    confirm_verbs: frozenset[str]


@dataclass(frozen=True, slots=True)
class Dictionaries:
    countries: tuple[CountryEntry, ...]
    organizations: tuple[OrganizationEntry, ...]
    agents: tuple[AgentEntry, ...]
    people: tuple[PersonEntry, ...]
    patterns: tuple[PatternEntry, ...]
    discards: tuple[DiscardEntry, ...]
    cameo: dict[str, CameoCode]
    cues: Cues


def _data_dir() -> Path:
    return Path(str(resources.files("eventcoder").joinpath("data")))


def shipped_files() -> list[Path]:
    """Every shipped dictionary file, actors first."""
    base = _data_dir()
    return sorted((base / "actors").glob("*.jsonl")) + sorted((base / "patterns").glob("*.jsonl"))


def _errors_text(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"][1:]) or "entry"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def iter_entries(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """Yield (line number, entry or None, error or None) for every non-empty line of ``path``."""
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, _ADAPTER.validate_python(json.loads(line)), None
            except json.JSONDecodeError as exc:
                yield lineno, None, f"invalid JSON: {exc.msg} (column {exc.colno})"
            except ValidationError as exc:
                yield lineno, None, _errors_text(exc)


def check_files(paths: Iterable[Path], cameo: dict[str, CameoCode] | None = None) -> list[str]:
    """Validate dictionary files; returns ``file:line: message`` strings (empty when all are valid)."""
    cameo = cameo if cameo is not None else load_cameo()
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        if not path.is_file():
            problems.append(f"{path}: no such file")
            continue
        try:
            rows = list(iter_entries(path))
        except UnicodeDecodeError as exc:
            problems.append(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        for lineno, entry, error in rows:
            where = f"{path}:{lineno}"
            if error:
                problems.append(f"{where}: {error}")
                continue
            if entry.id in seen:
                problems.append(f"{where}: duplicate id {entry.id!r} (first at {seen[entry.id]})")
            seen.setdefault(entry.id, where)
            problems.extend(f"{where}: {msg}" for msg in _semantic_problems(entry, cameo))
    return problems


def _semantic_problems(entry: Any, cameo: dict[str, CameoCode]) -> list[str]:
    out = []
    if isinstance(entry, PatternEntry):
        for code in (entry.cameo, entry.negated_cameo):
            if code is not None and code not in cameo:
                out.append(f"unknown CAMEO code {code!r}")
    if isinstance(entry, PersonEntry):
        for role in entry.roles:
            if role.from_ and role.to and role.to < role.from_:
                out.append(f"role {role.code}: 'to' {role.to} is before 'from' {role.from_}")
    return out


def load_cameo() -> dict[str, CameoCode]:
    path = _data_dir() / "cameo.jsonl"
    table = {}
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        row.pop("goldstein_inherited", None)
        table[row["code"]] = CameoCode(**row)
    return table


def load_cues() -> Cues:
    raw = json.loads((_data_dir() / "cues.json").read_text("utf-8"))
    values: dict[str, Any] = {k: (frozenset(v) if isinstance(v, list) else v) for k, v in raw.items()}
    return Cues(**values)


def load_dictionaries(extra: Iterable[str | Path] = ()) -> Dictionaries:
    """Load shipped dictionaries plus user files; raises DictionaryError listing every problem."""
    paths = shipped_files() + [Path(p) for p in extra]
    cameo = load_cameo()
    problems = check_files(paths, cameo)
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DictionaryError(f"invalid dictionary entries:\n{shown}{more}")
    by_kind: dict[str, list[Any]] = {}
    for path in paths:
        for _, entry, _ in iter_entries(path):
            by_kind.setdefault(entry.kind, []).append(entry)
    return Dictionaries(
        countries=tuple(by_kind.get("country", [])),
        organizations=tuple(by_kind.get("organization", [])),
        agents=tuple(by_kind.get("agent", [])),
        people=tuple(by_kind.get("person", [])),
        patterns=tuple(by_kind.get("pattern", [])),
        discards=tuple(by_kind.get("discard", [])),
        cameo=cameo,
        cues=load_cues(),
    )


def stats(d: Dictionaries) -> dict[str, int]:
    """Counts reported by ``eventcoder dict stats``."""
    roots = {p.cameo[:2] for p in d.patterns}
    return {
        "patterns": len(d.patterns),
        "verb_patterns": sum(p.pos == "verb" for p in d.patterns),
        "noun_patterns": sum(p.pos == "noun" for p in d.patterns),
        "cameo_roots_covered": len(roots),
        "countries": len(d.countries),
        "organizations": len(d.organizations),
        "igos_and_ngos": sum(o.type in ("igo", "ngo") for o in d.organizations),
        "people": len(d.people),
        "people_roles": sum(len(p.roles) for p in d.people),
        "agents": len(d.agents),
        "role_nouns": sum(1 for a in d.agents if a.role),
        "discard_entries": len(d.discards),
        "actor_names": _name_count(d),
    }


def _name_count(d: Dictionaries) -> int:
    names = sum(len(c.names) + len(c.demonyms) + len(c.capitals) + len(c.seats) for c in d.countries)
    names += sum(len(o.names) for o in d.organizations) + sum(len(a.names) for a in d.agents)
    return names + sum(len(p.names) for p in d.people)


def is_case_sensitive(name: str) -> bool:
    """Short all-caps or dotted abbreviations ("US", "U.S.", "UN") match case-sensitively."""
    bare = name.replace(".", "")
    return bool(re.fullmatch(r"[A-Z]{2,4}", bare)) or (len(bare) <= 4 and "." in name)
