"""Benchmark: the HTTP API under concurrent load, over a synthetic store of 100,000 events.

Usage: python bench/api_bench.py [--events 100000] [--clients 50] [--requests 5000] [--db PATH]
                                 [--client raw|httpx] [--server COMMAND]

1. Generates (seeded, so the same every time) a store of ``--events`` events, five per article, in the shape
   ``eventcoder code`` writes: actors with code/country/sector/span, CAMEO codes with label, root, QuadClass,
   Goldstein and PLOVER from the shipped CAMEO table, dates over three years, mixed statuses, a few
   attributions and claims per article. Records go in through ``store.put_article``, 1,000 articles per
   transaction; then the events are clustered as ``eventcoder dedup`` does, so pages carry cluster ids
   as they do in a deduplicated store. The database is cached in bench/results/ (gitignored) and reused
   while the parameters, the generator and the schema (store.MIGRATIONS) are unchanged.
2. Starts the real server as docs/store-api.md recommends deploying it, ``eventcoder serve --db DB --port P
   --workers CORES --no-access-log``, and waits until /api/stats answers. ``--server`` starts another
   command instead, to compare configurations (e.g. the one-process default).
3. Drives it with ``--clients`` concurrent clients, each on its own keep-alive connection with no think time
   (each sends its next request as soon as the last one is answered): a warm-up, then ``--requests``
   filtered /api/events queries (source, target, CAMEO prefix, status, date ranges and combinations; 80%
   page 1, 20% pages 2-5; 50 per page), then the same queries from one client (the service time without
   queueing), then smaller runs of the other endpoints and pages. Latency is measured at the client. Any
   response other than 200, or none, is an error and is counted.
4. Prints a table and writes bench/results/api.json. Target: p99 < 100 ms for the filtered event queries at
   50 concurrent clients.

The client runs on the same machine as the server and competes with it for CPU; the CPU each used, and the
machine's idle and stolen time, are measured and printed with the results. The default client is a minimal
asyncio HTTP/1.1 client (under 0.5 ms of CPU per request); ``--client httpx`` uses one httpx.AsyncClient
with a pool of ``--clients`` connections, whose pool handling costs several ms of CPU per request at 50
connections and then limits the throughput more than the server does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench/results"
GENERATOR_VERSION = 2  # bump when the generated data changes (2: clustered by eventcoder dedup)
SEED = 20240601
EVENTS_PER_ARTICLE = 5
FIRST_DAY, DAYS = date(2022, 1, 1), 3 * 365
TARGET_P99_MS = 100.0

# (ISO-3 code, weight): how often a country is an actor; news is dominated by a few countries.
COUNTRY_WEIGHTS = {
    "USA": 20, "CHN": 12, "RUS": 12, "UKR": 10, "ISR": 6, "IRN": 6, "GBR": 6, "FRA": 5, "DEU": 5, "IND": 5,
    "JPN": 4, "TUR": 4, "PAK": 3, "SAU": 3, "PRK": 3, "KOR": 3, "SYR": 3, "TWN": 3, "AFG": 2, "IRQ": 2,
    "EGY": 2, "BRA": 2, "MEX": 2, "CAN": 2, "AUS": 2, "POL": 2, "ITA": 2, "VEN": 1, "NGA": 1, "ZAF": 1,
    "ETH": 1, "SDN": 1, "YEM": 1, "LBN": 1, "QAT": 1, "ARE": 1, "ESP": 1, "BLR": 1, "SRB": 1, "XKX": 1,
}  # fmt: skip
ORGANISATIONS = [  # (code, name, sector): actors without a country
    ("IGOUNO", "the United Nations", "IGO"), ("IGOWSTNAT", "NATO", "IGO"),
    ("IGOEUREEC", "the European Union", "IGO"), ("NGOHRIAMN", "Amnesty International", "NGO"),
]  # fmt: skip
SECTORS = {  # sector: (agent entry, words, weight); None is the country itself
    None: (None, "", 45), "GOV": ("agent:government", "government", 25),
    "MIL": ("agent:military", "military", 10),
    "COP": ("agent:police", "police", 3), "JUD": ("agent:court", "courts", 2),
    "LEG": ("agent:parliament", "parliament", 3), "OPP": ("agent:opposition", "opposition", 3),
    "REB": ("agent:rebels", "rebels", 2), "MED": ("agent:media", "state media", 2),
    "BUS": ("agent:business", "business leaders", 2), "CVL": ("agent:protesters", "protesters", 3),
}  # fmt: skip
# CAMEO root: (weight, trigger words). Roughly the shape of a news event stream: statements, meetings,
# appeals, criticism and fighting dominate.
ROOTS = {
    "01": (18, "commented on"), "02": (6, "appealed to"), "03": (6, "pledged to"), "04": (16, "met"),
    "05": (6, "praised"), "06": (3, "cooperated with"), "07": (3, "sent aid to"), "08": (2, "yielded to"),
    "09": (2, "investigated"), "10": (4, "demanded"), "11": (9, "criticized"), "12": (4, "rejected"),
    "13": (4, "threatened"), "14": (3, "protested against"), "15": (1, "mobilized against"),
    "16": (2, "cut ties with"), "17": (3, "sanctioned"), "18": (3, "attacked"), "19": (4, "shelled"),
    "20": (1, "bombarded"),
}  # fmt: skip
STATUSES = {"asserted": 55, "attributed": 25, "future": 6, "hypothetical": 5, "disputed": 4, "denied": 3,
            "negated": 2}  # fmt: skip
MODALITY = {"asserted": "asserted", "attributed": "asserted", "future": "future",
            "hypothetical": "hypothetical", "disputed": "asserted", "denied": "asserted",
            "negated": "asserted"}  # fmt: skip
TOPICS = ["ceasefire", "sanctions", "border", "election", "pipeline", "drone", "refugees", "nuclear",
          "trade", "tariffs", "summit", "grain", "elections", "protests", "missile", "embargo", "hostages",
          "aid", "corruption", "vaccine", "energy", "shipping", "cyberattack", "treaty",
          "reconstruction"]  # fmt: skip
FILLERS = [
    "Talks on {t} were expected to continue later this week.",
    "The dispute over {t} has strained relations for months.",
    "Analysts said the question of {t} would dominate the agenda.",
    "Officials declined to give details about the {t} negotiations.",
    "Markets reacted cautiously to the news on {t}.",
    "The issue of {t} remains unresolved after years of negotiation.",
]
CUES = [("said", "statement"), ("told reporters", "press conference"), ("wrote", "social media post"),
        ("denied", "statement"), ("warned", "interview"), ("according to", None)]  # fmt: skip
RELATIONS = {"denies": 3, "disputes": 2, "confirms": 3, "repeats": 2}
CLAUSES = ["amid growing concern over the {t} dispute", "in a move that drew sharp reactions from neighbours",
           "after weeks of tension over {t}", "as pressure mounted over {t}",
           "in what officials described as a turning point"]  # fmt: skip
WEEKDAYS = ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday"]


def _data(name: str) -> list[dict[str, Any]]:
    text = resources.files("eventcoder").joinpath(f"data/{name}").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Generator:
    """Deterministic synthetic article records (seeded ``random.Random``)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cameo: dict[str, list[dict[str, Any]]] = {}
        for row in _data("cameo.jsonl"):
            self.cameo.setdefault(row["root"], []).append(row)
        countries = {r["code"]: r for r in _data("actors/countries.jsonl") if r["code"] in COUNTRY_WEIGHTS}
        self.countries = [(c, countries[c]["names"][0], (countries[c].get("capitals") or [None])[0])
                          for c in COUNTRY_WEIGHTS]  # fmt: skip
        self.country_weights = list(COUNTRY_WEIGHTS.values())
        self.sectors, self.sector_weights = list(SECTORS), [s[2] for s in SECTORS.values()]
        self.roots, self.root_weights = list(ROOTS), [r[0] for r in ROOTS.values()]
        self.statuses, self.status_weights = list(STATUSES), list(STATUSES.values())

    def _pick(self, items: list[Any], weights: list[int]) -> Any:
        return self.rng.choices(items, weights)[0]

    def actor_spec(self) -> tuple[str, str, str | None, str | None, list[str]]:
        """(text, code, country, sector, entry_ids)."""
        if self.rng.random() < 0.08:
            code, name, sector = self.rng.choice(ORGANISATIONS)
            return name, code, None, sector, [f"organization:{code}"]
        country, name, _ = self._pick(self.countries, self.country_weights)
        sector = self._pick(self.sectors, self.sector_weights)
        if sector is None:
            return name, country, country, None, [f"country:{country}"]
        entry, words, _ = SECTORS[sector]
        return f"the {words} of {name}", country + sector, country, sector, [f"country:{country}", entry]

    def article(self, n: int) -> dict[str, Any]:
        rng = self.rng
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        article_id = f"bench{n:06d}"
        text = ""

        def add(piece: str) -> int:
            nonlocal text
            start = len(text) + (1 if text else 0)
            text = f"{text} {piece}" if text else piece
            return start

        def actor(spec: tuple[str, str, str | None, str | None, list[str]], start: int) -> dict[str, Any]:
            _, code, country, sector, entries = spec
            words = text[start : start + len(spec[0])]  # as written (capitalised at a sentence start)
            return {"text": words, "span": [start, start + len(words)], "code": code, "country": country,
                    "sector": sector, "entry_ids": entries, "antecedent": None}  # fmt: skip

        topic = rng.choice(TOPICS)
        add(rng.choice(FILLERS).format(t=topic))
        # Attributions first (sentence 1, 2, ...), so events can be reported by them.
        attributions: list[dict[str, Any]] = []
        for i in range(rng.choices([0, 1, 2, 3], [25, 35, 25, 15])[0]):
            spec = self.actor_spec()
            cue, channel = rng.choice(CUES)
            content = f"the {rng.choice(TOPICS)} talks had made progress"
            if cue == "according to":
                sentence = f"Progress was slow, according to {spec[0]}."
                s0 = len(text) + 1 + sentence.index(spec[0])
                c0 = len(text) + 1 + sentence.index(cue)
                content, k0 = "Progress was slow", len(text) + 1
            else:
                sentence = f"{spec[0][0].upper()}{spec[0][1:]} {cue} that {content}."
                s0, c0 = len(text) + 1, len(text) + 1 + len(spec[0]) + 1
                k0 = c0 + len(cue) + 1
                content = "that " + content
            add(sentence)
            kind = "government" if spec[3] == "GOV" else "official_role"
            kind = "organization" if spec[2] is None else kind
            attributions.append({
                "id": f"a{i + 1}",
                "speaker": {"text": text[s0 : s0 + len(spec[0])], "span": [s0, s0 + len(spec[0])],
                            "name": spec[0], "kind": kind, "code": spec[1]},
                "cue": {"text": cue, "span": [c0, c0 + len(cue)]},
                "content": {"text": content, "span": [k0, k0 + len(content)]},
                "form": "indirect", "channel": channel, "via": [], "sentence_index": i + 1,
                "denial": cue == "denied",
                "date": day.isoformat(),
            })  # fmt: skip
        events: list[dict[str, Any]] = []
        first_event_sentence = len(attributions) + 1
        for i in range(EVENTS_PER_ARTICLE):
            root = self._pick(self.roots, self.root_weights)
            row = rng.choice(self.cameo[root])
            trigger = ROOTS[root][1]
            src = self.actor_spec()
            tgt = self.actor_spec() if rng.random() < 0.9 else None
            offset = rng.choices([0, 1, 2, 3, None], [50, 25, 10, 10, 5])[0]
            when = None if offset is None else day - timedelta(days=offset)
            when_text = None if offset in (0, None) else WEEKDAYS[when.weekday()]  # type: ignore[union-attr]
            place = self._pick(self.countries, self.country_weights) if rng.random() < 0.3 else None
            parts = [src[0][0].upper() + src[0][1:], trigger]
            if tgt:
                parts.append(tgt[0])
            if place and place[2]:
                parts.append(f"in {place[2]}")
            if when_text:
                parts.append(when_text)
            if rng.random() < 0.6:
                parts[-1] += ","
                parts.append(rng.choice(CLAUSES).format(t=rng.choice(TOPICS)))
            sentence = " ".join(parts) + "."
            s_start = add(sentence)
            t_start = s_start + len(parts[0]) + 1
            tg_start = t_start + len(trigger) + 1
            location = None
            if place and place[2]:
                p_start = sentence.index(f"in {place[2]}") + 3 + s_start
                location = {"name": place[2], "country": place[0], "lat": None, "lon": None,
                            "span": [p_start, p_start + len(place[2])]}  # fmt: skip
            status = self._pick(self.statuses, self.status_weights)
            said = status in ("attributed", "disputed", "denied") and attributions
            reported = [attributions[0]["id"]] if said else []
            doubted = status in ("disputed", "denied") and len(attributions) > 1
            disputed = [attributions[-1]["id"]] if doubted else []
            events.append({
                "id": f"e{i + 1}",
                "source": actor(src, s_start),
                "target": actor(tgt, tg_start) if tgt else None,
                "cameo": row["code"], "cameo_label": row["label"], "cameo_root": row["root"],
                "quad_class": row["quad_class"], "goldstein": row["goldstein"], "plover": row["plover"],
                "trigger": {"text": trigger, "span": [t_start, t_start + len(trigger)]},
                "sentence_index": first_event_sentence + i,
                "sentence": sentence,
                "negated": status == "negated",
                "modality": MODALITY[status],
                "date": when.isoformat() if when else None,
                "date_source": None if when is None else "text" if when_text else "article",
                "date_text": when_text,
                "location": location,
                "said_by": None,
                "status": status,
                "reported_by": reported,
                "disputed_by": disputed,
                "pattern_id": f"p:{row['code']}:bench",
            })  # fmt: skip
        add(rng.choice(FILLERS).format(t=rng.choice(TOPICS)))
        claims: list[dict[str, str]] = []
        if len(attributions) > 1 and rng.random() < 0.6:
            rel = self._pick(list(RELATIONS), list(RELATIONS.values()))
            claims.append({"from": attributions[-1]["id"], "to": attributions[0]["id"], "relation": rel})
        if attributions and rng.random() < 0.3:
            claims.append({"from": attributions[0]["id"], "to": f"e{rng.randrange(1, 6)}",
                           "relation": rng.choice(["denies", "confirms"])})  # fmt: skip
        lead = events[0]["source"]["text"]
        title = f"{lead[:1].upper()}{lead[1:]} {ROOTS[events[0]['cameo_root']][1]} amid {topic} row"
        return {
            "schema_version": "1.1",
            "id": article_id,
            "title": title,
            "date": day.isoformat(),
            "url": f"https://news.example.org/{day:%Y/%m/%d}/{article_id}",
            "byline": rng.choice([None, "Staff reporter", "Jane Doe", "Ahmed Khan", "Li Wei"]),
            "events": events,
            "attributions": attributions,
            "claims": claims,
            "text": text,
        }


# --- the store --------------------------------------------------------------------------------------------


def store_params(events: int, seed: int) -> dict[str, Any]:
    from eventcoder import store

    schema = hashlib.sha256("".join(store.MIGRATIONS).encode()).hexdigest()[:12]
    articles = -(-events // EVENTS_PER_ARTICLE)
    return {"events": articles * EVENTS_PER_ARTICLE, "articles": articles, "seed": seed,
            "generator": GENERATOR_VERSION, "schema": schema}  # fmt: skip


def ensure_store(path: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Reuse the store at ``path`` if it was generated with ``params``; otherwise (re)generate it."""
    from eventcoder import store
    from eventcoder.storing import dedup_store

    meta = path.with_name(path.name + ".params.json")
    if path.exists() and meta.exists() and json.loads(meta.read_text())["params"] == params:
        return {"generated": False, **json.loads(meta.read_text())}
    for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", ".params.json"))):
        p.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"generating {params['articles']:,} articles / {params['events']:,} events into {path} ...",
          flush=True)  # fmt: skip
    gen = Generator(params["seed"])
    counts = store.PutCounts()
    start = time.perf_counter()
    conn = store.connect(path)
    chunk = 1000
    for first in range(0, params["articles"], chunk):
        with store.transaction(conn):
            for n in range(first, min(first + chunk, params["articles"])):
                store.put_article(conn, gen.article(n), counts=counts)
    dedup_store(conn)  # as a store is after `eventcoder dedup`: events carry cluster ids
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stats = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in store.DATA_TABLES}
    conn.close()
    seconds = time.perf_counter() - start
    if counts.inserted != params["articles"] or stats["events"] != params["events"]:
        raise SystemExit(f"generation went wrong: {counts}, {stats}")
    info = {"params": params, "rows": stats, "generate_seconds": round(seconds, 1),
            "bytes": path.stat().st_size}  # fmt: skip
    meta.write_text(json.dumps(info, indent=2))
    print(f"generated in {seconds:.0f} s: {stats}, {info['bytes'] / 1e6:.0f} MB", flush=True)
    return {"generated": True, **info}


# --- the request mixes ------------------------------------------------------------------------------------

EVENT_SHAPES = {  # shape: weight
    "source": 15, "target": 10, "source+target": 15, "cameo": 10, "status": 5, "dates": 10,
    "source+cameo": 10, "source+dates": 10, "target+status": 5, "cameo+dates": 5, "source+target+dates": 5,
}  # fmt: skip


def event_queries(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (shape, URL) pairs of filtered /api/events queries; 80% page 1, 20% pages 2-5, 50 per page."""
    rng = random.Random(seed)
    countries, weights = list(COUNTRY_WEIGHTS), list(COUNTRY_WEIGHTS.values())
    shapes = list(EVENT_SHAPES)
    out = []
    for _ in range(n):
        shape = rng.choices(shapes, list(EVENT_SHAPES.values()))[0]
        q: dict[str, Any] = {}
        for part in shape.split("+"):
            if part in ("source", "target"):
                q[part] = rng.choices(countries, weights)[0]
                while part == "target" and q[part] == q.get("source"):
                    q[part] = rng.choices(countries, weights)[0]
            elif part == "cameo":
                root = rng.choices(list(ROOTS), [r[0] for r in ROOTS.values()])[0]
                q["cameo"] = root if rng.random() < 0.6 else f"{root}{rng.randrange(10)}"
            elif part == "status":
                q["status"] = rng.choices(list(STATUSES), list(STATUSES.values()))[0]
            elif part == "dates":
                length = rng.choice([7, 30, 91, 365])
                start = FIRST_DAY + timedelta(days=rng.randrange(DAYS - length))
                q["date_from"] = start.isoformat()
                q["date_to"] = (start + timedelta(days=length - 1)).isoformat()
        q["page"] = 1 if rng.random() < 0.8 else rng.randrange(2, 6)
        q["per_page"] = 50
        out.append((shape + (" (deep)" if q["page"] > 1 else ""), "/api/events?" + urlencode(q)))
    return out


def _repeated_filters(mix: list[tuple[str, str]], warmup: int) -> float:
    """The share of queries after ``warmup`` whose filter, paging aside, came earlier in ``mix``."""
    seen: set[str] = set()
    repeats = 0
    for i, (_, url) in enumerate(mix):
        repeats += i >= warmup and _filter_of(url) in seen
        seen.add(_filter_of(url))
    return repeats / max(1, len(mix) - warmup)


def _filter_of(url: str) -> str:
    return re.sub(r"&?(page|per_page)=\d+", "", url)


def unique_filters(mix: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``mix`` without the queries whose filter came before: no count can come from the store's cache."""
    seen: set[str] = set()
    out = []
    for shape, url in mix:
        if _filter_of(url) not in seen:
            out.append((shape, url))
            seen.add(_filter_of(url))
    return out


def other_queries(kind: str, n: int, articles: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(f"{seed}-{kind}")
    top = list(COUNTRY_WEIGHTS)[:10]
    out = []
    for _ in range(n):
        if kind == "articles?q":
            words = rng.sample(TOPICS, rng.choice([1, 1, 2]))
            url = "/api/articles?" + urlencode({"q": " ".join(words)})
        elif kind == "articles/{id}":
            url = f"/api/articles/bench{rng.randrange(articles):06d}"
        elif kind == "dyad timeline":
            s, t = rng.sample(top, 2) if rng.random() < 0.8 else ("USA", "CHN")
            url = f"/api/dyads/{s}/{t}/timeline?interval=month"
        elif kind == "claims":
            q: dict[str, Any] = {"page": rng.randrange(1, 4)}
            if rng.random() < 0.5:
                q["relation"] = rng.choice(list(RELATIONS))
            url = "/api/claims?" + urlencode(q)
        elif kind == "page /events":
            url = "/events?source=USA" + (f"&page={rng.randrange(2, 6)}" if rng.random() < 0.2 else "")
        elif kind == "page /articles/{id}":
            url = f"/articles/bench{rng.randrange(articles):06d}"
        else:
            raise ValueError(kind)
        out.append((kind, url))
    return out


OTHER_KINDS = (
    "articles?q", "articles/{id}", "dyad timeline", "claims", "page /events", "page /articles/{id}",
)  # fmt: skip


# --- the server and the clients ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# The deployment docs/store-api.md recommends: one process per core, no per-request log line.
DEFAULT_SERVER = "{eventcoder} serve --db {db} --port {port} --workers {cores} --no-access-log"


def start_server(db: Path, log: Path, template: str = DEFAULT_SERVER) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _free_port()
    exe = Path(sys.executable).with_name("eventcoder")
    cmd = shlex.split(template.format(eventcoder=exe, python=sys.executable, db=db, port=port,
                                      cores=os.cpu_count() or 1))  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(base + "/api/stats", timeout=5).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"server did not answer /api/stats within 120 s; see {log}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (server workers), from /proc."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for proc in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def _machine_cpu() -> list[int]:
    """The machine's CPU time counters (all cores): user, nice, system, idle, iowait, irq, softirq, steal."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def _machine_share(before: list[int], after: list[int]) -> dict[str, float]:
    """Busy, idle and steal (taken by the hypervisor) shares of all cores' time between two readings."""
    d = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(d) or 1
    return {"busy": round((d[0] + d[1] + d[2] + d[5] + d[6]) / total, 3),
            "idle": round((d[3] + d[4]) / total, 3), "steal": round(d[7] / total, 3)}  # fmt: skip


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]


def summarise(latencies: list[float], statuses: list[Any], seconds: float) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)
    errors = [s for s in statuses if s != 200]
    return {
        "requests": len(ms), "errors": len(errors), "error_kinds": sorted({str(s) for s in errors}),
        "seconds": round(seconds, 2), "rps": round(len(ms) / seconds, 1),
        "p50_ms": round(_percentile(ms, 0.50), 1), "p90_ms": round(_percentile(ms, 0.90), 1),
        "p99_ms": round(_percentile(ms, 0.99), 1), "max_ms": round(ms[-1], 1),
        "mean_ms": round(sum(ms) / len(ms), 1),
    }  # fmt: skip


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client on one connection: GET, read the status and the body.

    Much lighter than httpx (whose pool costs several ms of CPU per request at 50 connections), so the
    client takes less of the CPU it shares with the server.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
            head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
            if "content-length" in headers:
                await self.reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding") == "chunked":
                while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    await self.reader.readexactly(size + 2)
                await self.reader.readuntil(b"\r\n")
            else:
                await self.reader.read()
                self.close()
            if headers.get("connection", "").lower() == "close":
                self.close()
            return status
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _drive(get: Any, urls: list[str], clients: int) -> tuple[list[float], list[Any]]:
    """Send ``urls`` with ``clients`` concurrent workers, each sending its next request when answered.

    ``get(worker, url)`` returns the status code; an exception counts as an error named by its type.
    """
    latencies: list[float] = [0.0] * len(urls)
    statuses: list[Any] = [None] * len(urls)
    todo = iter(enumerate(urls))

    async def worker(w: int) -> None:
        for i, url in todo:
            start = time.perf_counter()
            try:
                statuses[i] = await get(w, url)
            except Exception as exc:  # no response: connection, protocol or timeout error
                statuses[i] = type(exc).__name__
            latencies[i] = time.perf_counter() - start

    await asyncio.gather(*(worker(w) for w in range(clients)))
    return latencies, statuses


async def measure(base: str, pid: int, queries: list[tuple[str, str]], clients: int, warmup: int,
                  by_shape: bool = False, kind: str = "raw") -> dict[str, Any]:  # fmt: skip
    import httpx

    urls = [u for _, u in queries]
    host, port = base.removeprefix("http://").split(":")
    conns = [RawConnection(host, int(port)) for _ in range(clients)]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def get(w: int, url: str) -> int:
            if kind == "raw":
                return await asyncio.wait_for(conns[w].get(url), 120)
            return (await client.get(url)).status_code

        await _drive(get, urls[:warmup] or urls[: min(len(urls), clients)], clients)
        server_cpu, client_cpu, machine = _cpu_seconds(pid), time.process_time(), _machine_cpu()
        start = time.perf_counter()
        latencies, statuses = await _drive(get, urls, clients)
        seconds = time.perf_counter() - start
        server_cpu, client_cpu = _cpu_seconds(pid) - server_cpu, time.process_time() - client_cpu
        machine_share = _machine_share(machine, _machine_cpu())
    for c in conns:
        c.close()
    result = summarise(latencies, statuses, seconds)
    result["cpu"] = {"server_s": round(server_cpu, 1), "client_s": round(client_cpu, 1),
                     "server_cores": round(server_cpu / seconds, 2),
                     "client_cores": round(client_cpu / seconds, 2), "machine": machine_share}  # fmt: skip
    errors = [(u, s) for (_, u), s in zip(queries, statuses, strict=True) if s != 200]
    result["error_examples"] = [f"{s} {u}" for u, s in errors[:5]]
    if by_shape:
        shapes: dict[str, list[float]] = {}
        for (shape, _), latency in zip(queries, latencies, strict=True):
            shapes.setdefault(shape, []).append(latency * 1000)
        result["by_shape"] = {
            k: {"requests": len(v), "p50_ms": round(_percentile(sorted(v), 0.5), 1),
                "p99_ms": round(_percentile(sorted(v), 0.99), 1), "mean_ms": round(sum(v) / len(v), 1)}
            for k, v in sorted(shapes.items())
        }  # fmt: skip
    return result


# --- main -------------------------------------------------------------------------------------------------


def _row(name: str, clients: int, r: dict[str, Any]) -> str:
    return (f"{name:32} {clients:4} {r['requests']:6} {r['errors']:5} {r['rps']:8.1f} {r['p50_ms']:8.1f} "
            f"{r['p90_ms']:8.1f} {r['p99_ms']:8.1f} {r['max_ms']:8.1f}  {r['cpu']['server_cores']:4.2f}"
            f"/{r['cpu']['client_cores']:4.2f}  {r['cpu']['machine']['idle']:5.0%}/"
            f"{r['cpu']['machine']['steal']:4.0%}")  # fmt: skip


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000, help="events in the synthetic store")
    ap.add_argument("--clients", type=int, default=50, help="concurrent clients")
    ap.add_argument("--requests", type=int, default=5000, help="measured filtered event queries")
    ap.add_argument(
        "--unique-filters",
        action="store_true",
        help="no two event queries with the same filter (no count is served from a cache)",
    )
    ap.add_argument("--warmup", type=int, default=500, help="warm-up requests before each measured run")
    ap.add_argument("--other-requests", type=int, default=500, help="requests per other endpoint")
    ap.add_argument("--serial", type=int, default=300, help="event queries measured with one client")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw",
                    help="raw: a minimal asyncio HTTP/1.1 client, one connection per client (default, "
                    "light); httpx: one httpx.AsyncClient with a pool of --clients connections")  # fmt: skip
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--db", type=Path, default=None, help="store to use or create (default: cached in "
                    "bench/results/)")  # fmt: skip
    ap.add_argument("--out", type=Path, default=RESULTS / "api.json")
    ap.add_argument("--server", default=DEFAULT_SERVER,
                    help="command that starts the server, with {eventcoder}, {python}, {db}, {port} "
                    f"and {{cores}} filled in (default: {DEFAULT_SERVER!r})")  # fmt: skip
    args = ap.parse_args()

    params = store_params(args.events, args.seed)
    db = args.db or RESULTS / f"api-bench-{params['events']}-{args.seed}.db"
    info = ensure_store(db, params)
    load_before = _load()
    print(f"store {db} ({info['bytes'] / 1e6:.0f} MB, {info['rows']['events']:,} events, "
          f"{'generated' if info['generated'] else 'reused'}); load average {load_before}",
          flush=True)  # fmt: skip
    print(
        f"{os.cpu_count()} cores; python {platform.python_version()}; sqlite {sqlite3.sqlite_version}. "
        "The client runs on the same machine and competes with the server for CPU.",
        flush=True,
    )

    log = RESULTS / "api-bench-server.log"
    proc, base = start_server(db, log, args.server)
    runs: dict[str, Any] = {}
    header = (f"{'run':32} {'conc':>4} {'reqs':>6} {'errs':>5} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
              f"{'p99 ms':>8} {'max ms':>8}  cpu srv/cli  idle/steal")  # fmt: skip
    try:
        print(header)
        print("-" * len(header))
        mix = event_queries(args.warmup + args.requests, args.seed)
        if args.unique_filters:  # draw until there are enough queries whose filters all differ
            mix = unique_filters(event_queries(20 * (args.warmup + args.requests), args.seed))
            mix = mix[: args.warmup + args.requests]
        r = asyncio.run(
            measure(base, proc.pid, mix[args.warmup :], args.clients, args.warmup, True, args.client)
        )
        runs["events"] = {
            "clients": args.clients,
            **r,
            "repeated_filters": _repeated_filters(mix, args.warmup),
        }
        print(_row("/api/events filtered", args.clients, r), flush=True)
        if args.serial:
            serial = event_queries(args.serial + 20, args.seed + 1)
            r = asyncio.run(measure(base, proc.pid, serial[20:], 1, 20, True, args.client))
            runs["events_1_client"] = {"clients": 1, **r}
            print(_row("/api/events filtered", 1, r), flush=True)
        articles = params["articles"]
        for kind in OTHER_KINDS if args.other_requests else ():
            n = args.other_requests
            qs = other_queries(kind, n + min(50, n), articles, args.seed)
            warm = min(50, n)
            r = asyncio.run(measure(base, proc.pid, qs[warm:], args.clients, warm, False, args.client))
            runs[kind] = {"clients": args.clients, **r}
            print(_row(kind, args.clients, r), flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    main_run = runs["events"]
    met = main_run["errors"] == 0 and main_run["p99_ms"] < TARGET_P99_MS
    print()
    print("slowest shapes of /api/events under load (p99 ms):",
          ", ".join(f"{k} {v['p99_ms']:.0f}" for k, v in
                    sorted(main_run["by_shape"].items(), key=lambda kv: -kv[1]["p99_ms"])[:5]))  # fmt: skip
    print(
        f"of the measured event queries, {main_run['repeated_filters']:.0%} repeat the filter of an earlier "
        "query (another page, or the same filter again): their counts can come from the store's count cache"
    )
    if "events_1_client" in runs:
        one = runs["events_1_client"]
        print(f"one client (service time, no queueing): p50 {one['p50_ms']:.1f} ms, "
              f"p99 {one['p99_ms']:.1f} ms, {one['rps']:.0f} req/s")  # fmt: skip
    errors = sum(r["errors"] for r in runs.values())
    print(f"errors (non-200 or no response): {errors}"
          + "".join(f"\n  {k}: {r['error_examples']}" for k, r in runs.items() if r["errors"]))  # fmt: skip
    print(
        f"target p99 < {TARGET_P99_MS:.0f} ms for filtered event queries at {args.clients} clients: "
        f"{'MET' if met else 'NOT MET'} (p99 {main_run['p99_ms']:.1f} ms, {main_run['errors']} errors)"
    )
    print(f"cpu srv/cli = cores used by the server / by the benchmark client during the run "
          f"({os.cpu_count()} cores in all); idle/steal = share of all cores' time idle / taken by the "
          f"hypervisor; load average before {load_before}, after {_load()}")  # fmt: skip

    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "params": {"events": params["events"], "articles": articles, "clients": args.clients,
                   "requests": args.requests, "warmup": args.warmup, "other_requests": args.other_requests,
                   "serial": args.serial, "seed": args.seed, "per_page": 50,
                   "event_shapes": EVENT_SHAPES},
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
                    "load_before": load_before, "load_after": _load(),
                    "note": "client and server share the machine; the client's CPU use competes with the "
                            "server's"},
        "store": {"path": str(db), **{k: v for k, v in info.items() if k != "params"}},
        "client": args.client,
        "server": args.server,
        "server_note": "{cores} is the number of cores; uvicorn uses uvloop and httptools (installed)",
        "target": {"p99_ms": TARGET_P99_MS, "met": met},
        "runs": runs,
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
