"""Check that every article of the dedup pairs set codes the event its pair is about.

An article passes when the coded output has at least one event for it that is not negated, has modality
``asserted``, whose source code starts with the pair's ``source``, whose target code starts with its
``target``, whose ``cameo_root`` equals its ``root`` and whose resolved ``date`` equals the article's
``event_date``. A pair passes when both its articles pass; for a ``duplicate`` pair the two articles must
also have the same ``event_date``.

Usage (from the repository root):

    # 1. write the 80 articles as eventcoder input
    .venv/bin/python eval/check_dedup_pairs.py eval/dedup-pairs.jsonl \
        --write-articles /tmp/dedup-articles.jsonl
    # 2. code them
    .venv/bin/eventcoder code /tmp/dedup-articles.jsonl --no-text -o /tmp/dedup-out.jsonl
    # 3. check; prints one line per pair and a summary, exits 1 if any intended event is missing
    .venv/bin/python eval/check_dedup_pairs.py eval/dedup-pairs.jsonl /tmp/dedup-out.jsonl

Add ``-v`` to list, for a failing article, every event the coder produced for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

ARTICLE_KEYS = ("id", "date", "url", "title", "text")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def write_articles(pairs: list[dict[str, Any]], out: Path) -> None:
    rows = [orjson.dumps({k: p[side][k] for k in ARTICLE_KEYS}) for p in pairs for side in ("a", "b")]
    out.write_bytes(b"\n".join(rows) + b"\n")
    print(f"wrote {len(rows)} articles to {out}")


def code_of(actor: dict[str, Any] | None) -> str:
    return str((actor or {}).get("code") or "")


def describe(event: dict[str, Any]) -> str:
    return (
        f"{code_of(event.get('source'))}->{code_of(event.get('target')) or '-'} {event.get('cameo')} "
        f"{event.get('date')} {event.get('trigger', {}).get('text')!r}"
    )


def check_article(pair: dict[str, Any], article: dict[str, Any], coded: dict[str, Any] | None) -> str | None:
    """None when the intended event is found, otherwise the reason it is not."""
    if coded is None:
        return "article missing from coded output"
    dyad_root = [
        e
        for e in coded.get("events", [])
        if code_of(e.get("source")).startswith(pair["source"])
        and code_of(e.get("target")).startswith(pair["target"])
        and e.get("cameo_root") == pair["root"]
        and not e.get("negated")
        and e.get("modality") == "asserted"
    ]
    if not dyad_root:
        return f"no asserted {pair['source']}->{pair['target']} event with root {pair['root']}"
    if not any(e.get("date") == article["event_date"] for e in dyad_root):
        got = ", ".join(sorted({str(e.get("date")) for e in dyad_root}))
        return f"event found but dated {got}, expected {article['event_date']}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", type=Path, help="the pairs file, e.g. eval/dedup-pairs.jsonl")
    parser.add_argument("coded", type=Path, nargs="?", help="eventcoder output for the pairs' articles")
    parser.add_argument("--write-articles", type=Path, metavar="OUT", help="write the articles as input")
    parser.add_argument("-v", "--verbose", action="store_true", help="list coded events of failing articles")
    args = parser.parse_args(argv)

    pairs = read_jsonl(args.pairs)
    if args.write_articles:
        write_articles(pairs, args.write_articles)
        return 0
    if args.coded is None:
        parser.error("give a coded output file to check, or --write-articles OUT")

    coded = {str(r.get("id")): r for r in read_jsonl(args.coded)}
    passed: dict[str, list[int]] = {}
    failed_articles = 0
    for pair in pairs:
        label = pair["label"]
        problems = []
        parts = []
        for side in ("a", "b"):
            article = pair[side]
            reason = check_article(pair, article, coded.get(article["id"]))
            status = f"ok {article['event_date']}" if reason is None else f"FAIL ({reason})"
            parts.append(f"{side}: {status}")
            if reason is not None:
                failed_articles += 1
                problems.append((article["id"], coded.get(article["id"])))
        if label == "duplicate" and pair["a"]["event_date"] != pair["b"]["event_date"]:
            parts.append("FAIL (duplicate pair with different event dates)")
            problems.append(("", None))
        ok = not problems
        counts = passed.setdefault(label, [0, 0])
        counts[0] += ok
        counts[1] += 1
        dyad = f"{pair['source']}->{pair['target']}"
        head = f"{pair['pair']:<5} {label:<9} {pair['root']} {dyad:<8} {'OK  ' if ok else 'FAIL'}"
        print(head + "  " + "  ".join(parts))
        if args.verbose:
            for article_id, record in problems:
                for event in (record or {}).get("events", []):
                    print(f"        {article_id}: {describe(event)}")

    total_ok = sum(c[0] for c in passed.values())
    by_label = ", ".join(f"{label} {c[0]}/{c[1]}" for label, c in sorted(passed.items()))
    n_articles = 2 * len(pairs)
    print(
        f"\n{total_ok}/{len(pairs)} pairs verified ({by_label}); "
        f"{n_articles - failed_articles}/{n_articles} articles code the intended event"
    )
    return 0 if total_ok == len(pairs) else 1


if __name__ == "__main__":
    sys.exit(main())
