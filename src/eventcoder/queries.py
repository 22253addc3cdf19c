"""Reading the store: the queries behind the HTTP API, the web pages and the exports."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

STATUSES = ("asserted", "attributed", "disputed", "denied", "negated", "hypothetical", "future")
INTERVALS = ("day", "week", "month")
RELATIONS = ("denies", "disputes", "confirms", "repeats")
MAX_PER_PAGE = 500
CLUSTER_COLUMNS = ("id", "key", "source", "target", "cameo_root", "cameo", "date_first", "date_last",
                   "n_mentions", "n_articles", "n_sources")  # fmt: skip
_CLUSTER_SELECT = f"SELECT {', '.join(CLUSTER_COLUMNS)} FROM clusters"
_CODE = re.compile(r"^[A-Z0-9]{1,30}$")


class QueryError(ValueError):
    """A filter value that cannot be used; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EventFilter:
    source: str | None = None
    target: str | None = None
    cameo: str | None = None
    plover: str | None = None
    status: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    article_id: str | None = None

    def checked(self) -> EventFilter:
        """The filter with codes upper-cased, or QueryError naming the bad field."""
        values: dict[str, Any] = {}
        for name in ("source", "target", "cameo", "plover"):
            raw = getattr(self, name)
            value = raw.strip().upper() if raw else None
            if value and not _CODE.match(value):
                raise QueryError(name, f"{raw!r} is not a code (letters and digits only)")
            values[name] = value or None
        if self.status and self.status not in STATUSES:
            raise QueryError("status", f"{self.status!r} is not one of {', '.join(STATUSES)}")
        for name in ("date_from", "date_to"):
            raw = getattr(self, name)
            if raw:
                try:
                    date.fromisoformat(raw)
                except ValueError:
                    raise QueryError(name, f"{raw!r} is not a YYYY-MM-DD date") from None
        return EventFilter(**values, status=self.status or None, date_from=self.date_from or None,
                           date_to=self.date_to or None, article_id=self.article_id or None)  # fmt: skip

    def branches(self) -> list[tuple[str, list[Any]]]:
        """The filter as disjoint branches: a row matches the filter iff it matches exactly one branch.

        Each branch is what follows "FROM events" (an optional INDEXED BY, then the WHERE clause), with its
        parameters. A source or target matches the country or an actor-code prefix. SQLite answers that OR
        through two indexes and then reads every matching row from the (wide) events table, which is slow;
        split into "country = X" and "code starts with X and country IS NOT X", each branch is answered
        from one index alone (the events indexes cover every filter column), and the branches' counts add
        up. For a three-letter X, the second branch is the rows whose code does not start with their
        country, which the small partial index events_{source,target}_other holds.
        """
        alternatives: list[tuple[list[str], list[Any], str]] = [([], [], "")]
        for role in ("source", "target"):
            value = getattr(self, role)
            if value:
                by_country = (f"{role}_country = ?", [value], "")
                code_clause, code_params = _prefix(f"{role}_code", value)
                if len(value) == 3:  # the code starts with X, so "country IS NOT X" is "... IS NOT code[:3]"
                    by_code = (f"{code_clause} AND {role}_country IS NOT substr({role}_code, 1, 3)",
                               code_params, f"events_{role}_other")  # fmt: skip
                else:
                    by_code = (f"{code_clause} AND {role}_country IS NOT ?", [*code_params, value], "")
                alternatives = [([*c, t], p + tp, index or tindex) for c, p, index in alternatives
                                for t, tp, tindex in (by_country, by_code)]  # fmt: skip
        # Status has seven values, most rows have one of two: with another filter to use, keep SQLite (which
        # has no statistics to tell) from choosing the status index, e.g. for target=CHN&status=asserted.
        others = any((self.source, self.target, self.cameo, self.plover, self.article_id, self.date_from,
                      self.date_to))  # fmt: skip
        rest, rest_params = self._other_clauses(status_column="+status" if others else "status")
        return [_where(c + rest, p + rest_params, index) for c, p, index in alternatives]

    def _other_clauses(self, status_column: str = "status") -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.cameo:
            clause, bounds = _prefix("cameo", self.cameo)
            clauses.append(clause)
            params += bounds
        for name, column in (("plover", "plover"), ("status", status_column), ("article_id", "article_id")):
            if getattr(self, name):
                clauses.append(f"{column} = ?")
                params.append(getattr(self, name))
        if self.date_from:
            clauses.append("date >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append("date <= ?")
            params.append(self.date_to)
        return clauses, params


def _where(clauses: list[str], params: list[Any], index: str = "") -> tuple[str, list[Any]]:
    hint = f" INDEXED BY {index}" if index else ""
    return hint + ((" WHERE " + " AND ".join(clauses)) if clauses else ""), params


def _prefix(column: str, prefix: str) -> tuple[str, list[Any]]:
    """``column`` starts with ``prefix``, as a range an index can answer (LIKE could not use one)."""
    return f"{column} >= ? AND {column} < ?", [prefix, _after_prefix(prefix)]


def _after_prefix(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _page(page: int, per_page: int) -> tuple[int, int]:
    if page < 1:
        raise QueryError("page", "must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError("per_page", f"must be between 1 and {MAX_PER_PAGE}")
    return per_page, (page - 1) * per_page


def _fts_query(q: str) -> str:
    """User words as an FTS5 query: every word must appear; FTS syntax in the input is not interpreted."""
    words = re.findall(r"\w+", q)
    return " ".join(f'"{w}"' for w in words)


def list_articles(
    conn: sqlite3.Connection, q: str | None = None, page: int = 1, per_page: int = 20
) -> dict[str, Any]:
    limit, offset = _page(page, per_page)
    columns = "a.id, a.title, a.date, a.url, a.n_events, a.n_attributions"
    match = _fts_query(q) if q else ""
    if q and not match:
        raise QueryError("q", "has no words to search for")
    if match:
        total = conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (match,)
        ).fetchone()[0]
        rows = conn.execute(
            f"SELECT {columns}, snippet(articles_fts, 1, '[', ']', ' … ', 16) FROM articles_fts "
            "JOIN articles a ON a.pk = articles_fts.rowid WHERE articles_fts MATCH ? "
            "ORDER BY rank LIMIT ? OFFSET ?",
            (match, limit, offset),
        ).fetchall()
    else:
        total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        rows = conn.execute(
            f"SELECT {columns}, substr(a.text, 1, 200) FROM articles a "
            "ORDER BY a.date DESC, a.id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
    keys = ("id", "title", "date", "url", "n_events", "n_attributions", "snippet")
    return {
        "total": total,
        "page": page,
        "per_page": limit,
        "q": q,
        "items": [dict(zip(keys, r, strict=True)) for r in rows],
    }


def get_article(conn: sqlite3.Connection, article_id: str) -> dict[str, Any] | None:
    """The stored article record with its text, as ``eventcoder code`` wrote it."""
    row = conn.execute("SELECT record, text FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return None
    record: dict[str, Any] = orjson.loads(row[0])
    record["text"] = row[1]
    return record


def list_events(
    conn: sqlite3.Connection, f: EventFilter, page: int = 1, per_page: int = 50, raw: bool = False
) -> dict[str, Any]:
    """A page of events, newest first, with the number of matches.

    With ``raw`` (for JSON responses), the items are orjson.Fragment: the stored JSON with article_id and
    cluster_id put in front, never parsed; usually one Fragment for the whole list.
    """
    f = f.checked()
    limit, offset = _page(page, per_page)
    # The count and the page's keys come from the indexes alone (see EventFilter.branches); only the page's
    # rows are read from the table, for their records. One read transaction, so the page's branches are
    # the ones counted.
    branches = f.branches()
    with read_snapshot(conn):
        counts = _branch_counts(conn, branches)
        total = sum(counts)
        keys: list[tuple[str, str, str]] = []
        if offset < total:
            # Each branch's newest offset + limit keys, merged: a branch is read newest first from an index
            # and stops at the page's end, unless it must be sorted (see _newest_keys).
            need = offset + limit
            found = [(branch, n) for branch, n in zip(branches, counts, strict=True) if n]
            events = _event_count(conn) if any(_ranges_only(where) for (where, _), _ in found) else 0
            newest = [_newest_keys(conn, branch, n, need, events) for branch, n in found]
            keys = list(itertools.islice(heapq.merge(*newest, reverse=True), offset, need))
        rows = _page_rows(conn, [(aid, eid) for _, aid, eid in keys])
    items: Any = [_event_item(aid, cluster, record, raw) for aid, cluster, record in rows]
    if raw and all(isinstance(item, bytes) for item in items):  # the common case: one JSON array
        items = orjson.Fragment(b"[" + b",".join(items) + b"]")
    elif raw:
        items = [orjson.Fragment(item) if isinstance(item, bytes) else item for item in items]
    return {"total": total, "page": page, "per_page": limit, "filters": _filters(f), "items": items}


def _page_rows(conn: sqlite3.Connection, keys: list[tuple[str, str]]) -> list[tuple[str, int | None, bytes]]:
    """(article id, cluster id, stored record) for each (article id, event id) key, in order.

    A join from a table k(a, i, n) of the keys and their order, which SQLite answers with one primary-key
    search per key; a row-value IN list instead makes it scan the whole table (for the cluster ids, 60 ms
    per page at 100,000 events).
    """
    if not keys:
        return []
    marks = ", ".join("(?, ?, ?)" for _ in keys)
    return conn.execute(
        f"WITH k(a, i, n) AS (VALUES {marks}) SELECT e.article_id, m.cluster_id, e.record FROM k "
        "JOIN events e ON e.article_id = k.a AND e.id = k.i "
        "LEFT JOIN cluster_members m ON m.article_id = k.a AND m.event_id = k.i ORDER BY k.n",
        [x for n, (aid, eid) in enumerate(keys) for x in (aid, eid, n)],
    ).fetchall()


def _event_item(article_id: str, cluster_id: int | None, record: bytes, raw: bool) -> Any:
    """The page item: the record with article_id and cluster_id in front. With ``raw``, as JSON bytes made
    without parsing the record, when it can be (the record has no such key of its own, and some key)."""
    if raw and len(record) > 2 and b'"article_id"' not in record and b'"cluster_id"' not in record:
        cluster = b"null" if cluster_id is None else b"%d" % cluster_id
        return b'{"article_id":' + orjson.dumps(article_id) + b',"cluster_id":' + cluster + b"," + record[1:]
    # the store's ids win over keys of those names in the record
    fields = {k: v for k, v in orjson.loads(record).items() if k not in ("article_id", "cluster_id")}
    return {"article_id": article_id, "cluster_id": cluster_id, **fields}


def _ranges_only(where: str) -> bool:
    """A branch with no equality clause (nor a partial index): no index narrows it and reads it newest
    first."""
    return " = ?" not in where and "INDEXED BY" not in where


def _newest_keys(
    conn: sqlite3.Connection, branch: tuple[str, list[Any]], n: int, need: int, events: int
) -> list[tuple[str, str, str]]:
    """The branch's newest ``need`` keys (date, article id, event id), newest first; ``n`` rows match.

    A branch with an equality clause (a country, a status) is read newest first from that column's index.
    A branch of ranges alone (a CAMEO or actor-code prefix, dates) is either read from the range's index
    and sorted, which costs all n matches, or read newest first from the date index, skipping rows that
    do not match until ``need`` are found, which costs about need * events / n. SQLite cannot tell which
    is cheaper (it has no statistics), but the count just made can: the date index when n * n exceeds
    need * events, e.g. CAMEO root 04 among 100,000 events.
    """
    where, params = branch
    hint = " INDEXED BY events_date" if _ranges_only(where) and n * n > need * events else ""
    rows: list[tuple[str, str, str]] = conn.execute(
        f"SELECT coalesce(date, ''), article_id, id FROM events{hint}{where} "
        "ORDER BY date DESC, article_id DESC, id DESC LIMIT ?",
        [*params, need],
    ).fetchall()
    return rows


def _event_count(conn: sqlite3.Connection) -> int:
    """The number of events (for a plan choice), counted again only when the store has changed."""
    cache = _store_cache(conn)
    if "events" not in cache:
        cache["events"] = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    return int(cache["events"])


def _branch_counts(conn: sqlite3.Connection, branches: list[tuple[str, list[Any]]]) -> list[int]:
    """The number of events in each branch, counted again only when the store has changed.

    Counting is most of the cost of a page once its rows come from an index (a country can have tens of
    thousands of events), and the same filters come back: the next pages of a query, the common dyads.
    """
    cache = _store_cache(conn)
    keys = [(where, tuple(params)) for where, params in branches]
    missing = list(dict.fromkeys(k for k in keys if k not in cache))
    if missing:
        counts = conn.execute(
            "SELECT " + ", ".join(f"(SELECT count(*) FROM events{where})" for where, _ in missing),
            [p for _, params in missing for p in params],
        ).fetchone()
        cache.update(zip(missing, counts, strict=True))
    return [int(cache[k]) for k in keys]


CACHE_ENTRIES = 10_000


def _store_cache(conn: sqlite3.Connection) -> dict[Any, Any]:
    """Results that hold while the store is unchanged, kept on the connection (from store.connect, which
    takes attributes; a plain sqlite3.Connection gets a new, empty cache each time).

    PRAGMA data_version changes with other connections' commits, total_changes with this one's; call it
    inside the read transaction whose results are cached.
    """
    version = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    held = getattr(conn, "store_cache", None)
    if held is None or held[0] != version or len(held[1]) >= CACHE_ENTRIES:
        held = (version, {})
        with contextlib.suppress(AttributeError):
            conn.store_cache = held  # type: ignore[attr-defined]
    cache: dict[Any, Any] = held[1]
    return cache


@contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction (unless one is open already): the statements inside see one state of the store."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


def list_clusters(
    conn: sqlite3.Connection,
    source: str | None = None,
    target: str | None = None,
    cameo: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    min_mentions: int = 1,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """Real-world events (clusters of mentions across articles), newest first."""
    f = EventFilter(source=source, target=target, cameo=cameo, date_from=date_from, date_to=date_to).checked()
    limit, offset = _page(page, per_page)
    clauses, params = ["n_mentions >= ?"], list[Any]([min_mentions])
    for column in ("source", "target", "cameo"):
        value = getattr(f, column)
        if value:
            clause, bounds = _prefix(column, value)
            clauses.append(clause)
            params += bounds
    if f.date_from:
        clauses.append("date_last >= ?")
        params.append(f.date_from)
    if f.date_to:
        clauses.append("date_first <= ?")
        params.append(f.date_to)
    where = " WHERE " + " AND ".join(clauses)
    total = conn.execute(f"SELECT count(*) FROM clusters{where}", params).fetchone()[0]
    rows = conn.execute(
        f"{_CLUSTER_SELECT}{where} ORDER BY date_first DESC, id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return {
        "total": total,
        "page": page,
        "per_page": limit,
        "items": [dict(zip(CLUSTER_COLUMNS, r, strict=True)) for r in rows],
    }


def get_cluster(conn: sqlite3.Connection, cluster_id: int) -> dict[str, Any] | None:
    """One cluster with its mentions: each event record with its article's id, title, date and URL."""
    found = _cluster_row(conn, cluster_id)
    if found is None:
        return None
    rows = conn.execute(
        "SELECT a.id, a.title, a.date, a.url, e.record FROM cluster_members m "
        "JOIN events e ON e.article_id = m.article_id AND e.id = m.event_id "
        "JOIN articles a ON a.id = m.article_id WHERE m.cluster_id = ? ORDER BY e.date, a.id, e.id",
        (cluster_id,),
    ).fetchall()
    found["mentions"] = [
        {"article_id": aid, "article_title": title, "article_date": day, "url": url, **orjson.loads(rec)}
        for aid, title, day, url, rec in rows
    ]
    return found


def _cluster_row(conn: sqlite3.Connection, cluster_id: int) -> dict[str, Any] | None:
    row = conn.execute(f"{_CLUSTER_SELECT} WHERE id = ?", (cluster_id,)).fetchone()
    return dict(zip(CLUSTER_COLUMNS, row, strict=True)) if row else None


def _filters(f: EventFilter) -> dict[str, Any]:
    return {k: getattr(f, k) for k in EventFilter.__slots__ if getattr(f, k)}


_PERIOD = {
    "day": "date",
    "week": "date(date, '-' || ((CAST(strftime('%w', date) AS INTEGER) + 6) % 7) || ' days')",
    "month": "substr(date, 1, 7)",
}


def timeline(conn: sqlite3.Connection, source: str, target: str, interval: str = "month",
             date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Event counts per QuadClass and summed Goldstein per interval for one directed dyad (dated events)."""
    if interval not in INTERVALS:
        raise QueryError("interval", f"{interval!r} is not one of {', '.join(INTERVALS)}")
    f = EventFilter(source=source, target=target, date_from=date_from, date_to=date_to).checked()
    branches = f.branches()
    dated = " UNION ALL ".join(
        f"SELECT date, quad_class, goldstein FROM events{where or ' WHERE 1'} AND date IS NOT NULL"
        for where, _ in branches
    )
    rows = conn.execute(
        f"SELECT {_PERIOD[interval]} AS period, count(*), "
        "sum(quad_class = 1), sum(quad_class = 2), sum(quad_class = 3), sum(quad_class = 4), "
        f"round(sum(goldstein), 2) FROM ({dated}) GROUP BY period ORDER BY period",
        [p for _, branch_params in branches for p in branch_params],
    ).fetchall()
    periods = [
        {"period": p, "events": n, "quad_class": {"1": q1, "2": q2, "3": q3, "4": q4}, "goldstein": g}
        for p, n, q1, q2, q3, q4, g in rows
    ]
    return {"source": f.source, "target": f.target, "interval": interval, "periods": periods}


def list_claims(conn: sqlite3.Connection, relation: str | None = None, article_id: str | None = None,
                page: int = 1, per_page: int = 50) -> dict[str, Any]:  # fmt: skip
    """Claims with who makes them and what they are about (an attribution or an event)."""
    if relation and relation not in RELATIONS:
        raise QueryError("relation", f"{relation!r} is not one of {', '.join(RELATIONS)}")
    limit, offset = _page(page, per_page)
    clauses, params = [], []
    if relation:
        clauses.append("c.relation = ?")
        params.append(relation)
    if article_id:
        clauses.append("c.article_id = ?")
        params.append(article_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    total = conn.execute(f"SELECT count(*) FROM claims c{where}", params).fetchone()[0]
    # The page's keys first, walking the articles newest first (index articles_date) and each one's claims,
    # so paging stops early; the records are read for the page's rows only.
    rows = conn.execute(
        "SELECT k.article_id, a.title, k.from_id, k.to_id, k.relation, fa.record, ta.record, te.record FROM ("
        "SELECT c.article_id, c.from_id, c.to_id, c.relation, a.date FROM articles a CROSS JOIN claims c "
        f"ON c.article_id = a.id{where} ORDER BY a.date DESC, c.article_id, c.from_id, c.to_id "
        "LIMIT ? OFFSET ?) AS k JOIN articles a ON a.id = k.article_id "
        "LEFT JOIN attributions fa ON fa.article_id = k.article_id AND fa.id = k.from_id "
        "LEFT JOIN attributions ta ON ta.article_id = k.article_id AND ta.id = k.to_id "
        "LEFT JOIN events te ON te.article_id = k.article_id AND te.id = k.to_id "
        "ORDER BY k.date DESC, k.article_id, k.from_id, k.to_id",
        [*params, limit, offset],
    ).fetchall()
    items = []
    for aid, title, src, dst, rel, from_rec, to_attr, to_event in rows:
        items.append({
            "article_id": aid, "article_title": title, "from": src, "to": dst, "relation": rel,
            "from_attribution": _brief_attribution(from_rec),
            "to_kind": "attribution" if to_attr else "event" if to_event else None,
            "to_attribution": _brief_attribution(to_attr),
            "to_event": _brief_event(to_event),
        })  # fmt: skip
    return {"total": total, "page": page, "per_page": limit, "items": items}


def _brief_attribution(blob: bytes | None) -> dict[str, Any] | None:
    if blob is None:
        return None
    a = orjson.loads(blob)
    speaker = a.get("speaker") or {}
    return {
        "id": a["id"],
        "speaker": speaker.get("name") or speaker.get("text"),
        "speaker_code": speaker.get("code"),
        "cue": (a.get("cue") or {}).get("text"),
        "content": (a.get("content") or {}).get("text"),
    }


def _brief_event(blob: bytes | None) -> dict[str, Any] | None:
    if blob is None:
        return None
    e = orjson.loads(blob)
    return {
        "id": e["id"],
        "source": e["source"]["code"],
        "target": (e.get("target") or {}).get("code"),
        "cameo": e["cameo"],
        "cameo_label": e["cameo_label"],
        "status": e["status"],
    }


def stats(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("articles", "events", "attributions", "claims", "clusters")}  # fmt: skip
