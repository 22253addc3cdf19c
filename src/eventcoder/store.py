"""The event store: coded articles, events, attributions and claims in one SQLite file (WAL mode).

Writing is idempotent. An article is keyed by its id, its normalised URL and the hash of its text; storing
an article that matches a stored one by any of the three replaces that one in a single transaction, so a
run that is interrupted and started again ends with the same database as a run that was not.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from eventcoder import __version__
from eventcoder.errors import EventcoderError
from eventcoder.types import Article


class StoreError(EventcoderError):
    """The database cannot be opened, migrated or written."""


# Each entry migrates the schema from version i to i + 1; PRAGMA user_version holds the version.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE articles (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        url TEXT,
        url_key TEXT UNIQUE,
        content_hash TEXT NOT NULL UNIQUE,
        title TEXT,
        date TEXT,
        byline TEXT,
        text TEXT NOT NULL,
        record BLOB NOT NULL,
        n_events INTEGER NOT NULL,
        n_attributions INTEGER NOT NULL,
        coder TEXT NOT NULL
    );
    CREATE INDEX articles_date ON articles(date, id);
    CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='pk');
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.pk, new.title, new.text);
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.pk, old.title, old.text);
    END;
    CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.pk, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.pk, new.title, new.text);
    END;

    CREATE TABLE events (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE ON UPDATE CASCADE,
        id TEXT NOT NULL,
        date TEXT,
        source_code TEXT NOT NULL,
        source_country TEXT,
        target_code TEXT,
        target_country TEXT,
        cameo TEXT NOT NULL,
        cameo_root TEXT NOT NULL,
        plover TEXT,
        quad_class INTEGER NOT NULL,
        goldstein REAL NOT NULL,
        status TEXT NOT NULL,
        negated INTEGER NOT NULL,
        place TEXT,
        place_country TEXT,
        record BLOB NOT NULL,
        PRIMARY KEY (article_id, id)
    ) WITHOUT ROWID;
    -- Each events index leads with one filter column, then the list order (date, article_id, id), then
    -- every other filter column and the timeline's: list_events and timeline are answered from one index
    -- alone (see queries.EventFilter.branches), reading the wide table rows only for the page's records.
    CREATE INDEX events_date ON events(date, article_id, id, source_country,
        source_code, target_country, target_code, cameo, plover, status, quad_class, goldstein);
    CREATE INDEX events_source ON events(source_code, date, article_id, id,
        source_country, target_country, target_code, cameo, plover, status, quad_class, goldstein);
    CREATE INDEX events_source_country ON events(source_country, date, article_id, id,
        source_code, target_country, target_code, cameo, plover, status, quad_class, goldstein);
    CREATE INDEX events_target ON events(target_code, date, article_id, id,
        source_country, source_code, target_country, cameo, plover, status, quad_class, goldstein);
    CREATE INDEX events_target_country ON events(target_country, date, article_id, id,
        source_country, source_code, target_code, cameo, plover, status, quad_class, goldstein);
    CREATE INDEX events_cameo ON events(cameo, date, article_id, id,
        source_country, source_code, target_country, target_code, plover, status, quad_class, goldstein);
    CREATE INDEX events_plover ON events(plover, date, article_id, id,
        source_country, source_code, target_country, target_code, cameo, status, quad_class, goldstein);
    CREATE INDEX events_status ON events(status, date, article_id, id,
        source_country, source_code, target_country, target_code, cameo, plover, quad_class, goldstein);

    CREATE TABLE attributions (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE ON UPDATE CASCADE,
        id TEXT NOT NULL,
        speaker TEXT,
        speaker_code TEXT,
        speaker_kind TEXT,
        cue TEXT,
        form TEXT,
        channel TEXT,
        date TEXT,
        record BLOB NOT NULL,
        PRIMARY KEY (article_id, id)
    ) WITHOUT ROWID;

    CREATE TABLE claims (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE ON UPDATE CASCADE,
        from_id TEXT NOT NULL,
        to_id TEXT NOT NULL,
        relation TEXT NOT NULL,
        PRIMARY KEY (article_id, from_id, to_id, relation)
    ) WITHOUT ROWID;
    CREATE INDEX claims_relation ON claims(relation);
    """,
    # 2: cross-article event clusters (eventcoder dedup): one real-world event and its mentions
    """
    CREATE TABLE clusters (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        cameo_root TEXT NOT NULL,
        cameo TEXT NOT NULL,
        date_first TEXT,
        date_last TEXT,
        n_mentions INTEGER NOT NULL,
        n_articles INTEGER NOT NULL,
        n_sources INTEGER NOT NULL
    );
    CREATE INDEX clusters_dyad ON clusters(source, target, date_first);
    CREATE INDEX clusters_date ON clusters(date_first);
    CREATE TABLE cluster_members (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE ON UPDATE CASCADE,
        event_id TEXT NOT NULL,
        cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        PRIMARY KEY (article_id, event_id)
    ) WITHOUT ROWID;
    CREATE INDEX cluster_members_cluster ON cluster_members(cluster_id);
    """,
    # 3: indexes for the commonest event queries (see queries.EventFilter.branches). A dyad: both countries.
    # An actor whose code does not start with its country (IGOs, NGOs, no country): "source=USA" is
    # country USA, or a code starting with USA whose country is not USA, and without the partial index
    # that second branch reads every USA code to find the few that qualify.
    """
    CREATE INDEX events_dyad ON events(source_country, target_country, date, article_id, id,
        source_code, target_code, cameo, plover, status, quad_class, goldstein);
    CREATE INDEX events_source_other ON events(source_code, date, article_id, id,
        source_country, target_country, target_code, cameo, plover, status, quad_class, goldstein)
        WHERE source_country IS NOT substr(source_code, 1, 3);
    CREATE INDEX events_target_other ON events(target_code, date, article_id, id,
        source_country, source_code, target_country, cameo, plover, status, quad_class, goldstein)
        WHERE target_country IS NOT substr(target_code, 1, 3);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
DATA_TABLES = ("articles", "events", "attributions", "claims", "cluster_members", "clusters")

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|ref|smid)$", re.IGNORECASE)


def url_key(url: str | None) -> str | None:
    """A URL normalised for identity: no scheme, 'www.', fragment, tracking parameters or trailing slash."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    if not host:
        return url.strip()
    host = host.removesuffix(":80").removesuffix(":443")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    return urlunsplit(("", host, parts.path.rstrip("/") or "/", query, "")).removeprefix("//")


def content_hash(text: str) -> str:
    """Hash of the text with whitespace runs collapsed, so re-extracted copies of a page match."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:32]


MMAP_BYTES = 1 << 32  # SQLite caps it at its compile-time maximum (2 GB in common builds)


class Connection(sqlite3.Connection):
    """A connection that can carry the queries' per-connection caches as attributes."""


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """Open (and, when writable, create and migrate) the store."""
    path = Path(path)
    try:
        if readonly:
            if not path.exists():
                raise StoreError(f"{path}: no such database")
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, factory=Connection
            )
        else:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=Connection)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        # Read pages through a memory map of the file rather than a pread() each: serving /api/events
        # spent half its CPU in pread() without it. The mapping is shared by every connection and process.
        conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not an eventcoder database ({exc})") from exc
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: schema version {version} is newer than this eventcoder's ({SCHEMA_VERSION})"
        )
    if version < SCHEMA_VERSION:
        if readonly:
            raise StoreError(f"{path}: schema version {version} needs migrating; open it once for writing")
        migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration, each in its own transaction; returns the new version."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.executescript(f"BEGIN;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;")
    return SCHEMA_VERSION


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error: nothing is left half-written."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass(slots=True)
class PutCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # stored duplicates folded into an article that matched them by URL or text


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def put_article(
    conn: sqlite3.Connection,
    record: dict[str, Any],
    coder: str = __version__,
    counts: PutCounts | None = None,
) -> str:
    """Store one coded article record (as written by ``eventcoder code``, text included).

    Call inside ``transaction``. Returns the stored article id: an article that matches a stored one by
    id, URL or text keeps the stored id, so links to it stay valid. ``coder`` identifies the coder and
    dictionaries that made the record (see ``pipeline.coder_fingerprint``).
    """
    counts = counts if counts is not None else PutCounts()
    text = record.get("text")
    if not isinstance(text, str):
        raise StoreError(f"article {record.get('id')!r}: record has no text (coded with --no-text?)")
    key, digest = url_key(record.get("url")), content_hash(text)
    matches = conn.execute(
        "SELECT id FROM articles WHERE id = ? OR url_key = ? OR content_hash = ? "
        "ORDER BY id = ? DESC, url_key IS ? DESC, pk",
        (record["id"], key, digest, record["id"], key),
    ).fetchall()
    stored_id = matches[0][0] if matches else str(record["id"])
    body = {k: v for k, v in record.items() if k != "text"}
    body["id"] = stored_id
    blob = _dumps(body)
    if len(matches) == 1:
        same = conn.execute(
            "SELECT record = ? AND text = ? AND coder = ? FROM articles WHERE id = ?",
            (blob, text, coder, stored_id),
        )
        if same.fetchone()[0]:
            counts.unchanged += 1
            return stored_id
    for (other,) in matches[1:]:
        conn.execute("DELETE FROM articles WHERE id = ?", (other,))
        counts.merged += 1
    row = (
        stored_id, record.get("url"), key, digest, record.get("title"), record.get("date"),
        record.get("byline"), text, blob, len(record.get("events", ())), len(record.get("attributions", ())),
        coder,
    )  # fmt: skip
    if matches:
        conn.execute(
            "UPDATE articles SET id=?, url=?, url_key=?, content_hash=?, title=?, date=?, byline=?, text=?, "
            "record=?, n_events=?, n_attributions=?, coder=? WHERE id = ?",
            (*row, stored_id),
        )
        for table in ("events", "attributions", "claims", "cluster_members"):
            conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (stored_id,))
        counts.updated += 1
    else:
        conn.execute(
            "INSERT INTO articles (id, url, url_key, content_hash, title, date, byline, text, record, "
            "n_events, n_attributions, coder) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            row,
        )
        counts.inserted += 1
    _put_children(conn, stored_id, body)
    return stored_id


def _put_children(conn: sqlite3.Connection, article_id: str, body: dict[str, Any]) -> None:
    conn.executemany(
        "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [_event_row(article_id, e) for e in body.get("events", ())],
    )
    conn.executemany(
        "INSERT INTO attributions VALUES (?,?,?,?,?,?,?,?,?,?)",
        [_attribution_row(article_id, a) for a in body.get("attributions", ())],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO claims VALUES (?,?,?,?)",
        [(article_id, c["from"], c["to"], c["relation"]) for c in body.get("claims", ())],
    )


def _event_row(article_id: str, e: dict[str, Any]) -> tuple[Any, ...]:
    source, target, place = e["source"], e.get("target") or {}, e.get("location") or {}
    return (
        article_id, e["id"], e.get("date"), source["code"], source.get("country"), target.get("code"),
        target.get("country"), e["cameo"], e["cameo_root"], (e.get("plover") or {}).get("event"),
        e["quad_class"], e["goldstein"], e.get("status", "asserted"), int(bool(e.get("negated"))),
        place.get("name"), place.get("country"), _dumps(e),
    )  # fmt: skip


def _attribution_row(article_id: str, a: dict[str, Any]) -> tuple[Any, ...]:
    speaker, cue, content = a.get("speaker") or {}, a.get("cue") or {}, a.get("content") or {}
    return (
        article_id, a["id"], speaker.get("name") or speaker.get("text"), speaker.get("code"),
        speaker.get("kind"), cue.get("text"), content.get("form"), a.get("channel"), a.get("date"), _dumps(a),
    )  # fmt: skip


def put_articles(
    conn: sqlite3.Connection,
    records: Iterable[dict[str, Any]],
    coder: str = __version__,
    counts: PutCounts | None = None,
) -> PutCounts:
    """Store records, each in its own transaction (a crash loses at most the one being written)."""
    counts = counts if counts is not None else PutCounts()
    for record in records:
        with transaction(conn):
            put_article(conn, record, coder, counts)
    return counts


def is_current(conn: sqlite3.Connection, article: Article, coder: str) -> bool:
    """True when storing this article again would change nothing: it is stored under its own id, with the
    same text and metadata, by the same coder, and no other stored article shares its URL or text."""
    key, digest = url_key(article.url), content_hash(article.text)
    rows = conn.execute(
        "SELECT id = ? AND content_hash = ? AND coder = ? AND url IS ? AND title IS ? AND date IS ? "
        "AND byline IS ? AND text = ? FROM articles WHERE id = ? OR url_key = ? OR content_hash = ?",
        (article.id, digest, coder, article.url, article.title,
         article.date.isoformat() if article.date else None, article.byline, article.text,
         article.id, key, digest),
    ).fetchall()  # fmt: skip
    return len(rows) == 1 and bool(rows[0][0])


def delete_article(conn: sqlite3.Connection, article_id: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0


def dump(conn: sqlite3.Connection) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Every data row in key order, without storage details: two stores with equal dumps hold equal data."""
    orders = {"articles": "id", "events": "article_id, id", "attributions": "article_id, id",
              "claims": "article_id, from_id, to_id, relation", "cluster_members": "article_id, event_id",
              "clusters": "id"}  # fmt: skip
    for table in DATA_TABLES:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "pk"]
        for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {orders[table]}"):
            yield table, tuple(row)
