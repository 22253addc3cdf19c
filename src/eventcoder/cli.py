"""The command-line interface: thin wrappers over the library."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from eventcoder import __version__
from eventcoder.errors import EventcoderError

app = typer.Typer(help="eventcoder: news articles in, who-did-what-to-whom events out.", no_args_is_help=True)
dict_app = typer.Typer(help="Check, count and grow the dictionaries.", no_args_is_help=True)
app.add_typer(dict_app, name="dict")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file (TOML).")]
DictOpt = Annotated[list[str] | None, typer.Option("--dict", help="Extra dictionary file (repeatable).")]


def _settings(config: Path | None, dicts: list[str] | None) -> Any:
    from eventcoder.settings import load_settings

    s = load_settings(config)
    if dicts:
        s = load_settings(config, dictionaries=(*s.dictionaries, *dicts))
    return s


def _echo_skipped(stats: Any) -> None:
    """Input records that are not articles (WARC requests, non-HTML responses, ...): counted, not lost."""
    if stats.skipped:
        reasons = ", ".join(f"{n:,} {why}" for why, n in sorted(stats.skipped.items()))
        typer.echo(f"non-article input records skipped: {stats.total_skipped:,} ({reasons})", err=True)


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"eventcoder: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def code(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, globs or - for standard input.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Output JSONL (default: stdout).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    table: Annotated[bool, typer.Option("--table", help="Print events as a readable table.")] = False,
    no_text: Annotated[bool, typer.Option("--no-text", help="Leave article text out of the output.")] = False,
    config: ConfigOpt = None,
    dicts: DictOpt = None,
) -> None:
    """Code articles (.txt, .html, .jsonl, folders, globs, -) into JSON Lines of events."""
    from eventcoder.runner import Counts, code_items
    from eventcoder.stages.ingest import ReadStats, read_inputs

    settings = _settings(config, dicts)
    counts = Counts()
    stats = ReadStats()
    errors_path = out.with_name(out.stem + ".errors.jsonl") if out else None
    sink = out.open("wb") if out else sys.stdout.buffer
    err_sink = errors_path.open("wb") if errors_path else None
    rows: list[dict[str, Any]] = []
    try:
        items = read_inputs(inputs, settings.max_article_bytes, stats)
        for result in code_items(items, settings, workers, include_text=not no_text):
            counts.read += 1
            if isinstance(result, dict):
                counts.coded += 1
                counts.events += len(result["events"])
                if table:
                    rows.append(result)
                else:
                    sink.write(orjson.dumps(result) + b"\n")
            else:
                counts.failed += 1
                typer.echo(f"error: {result.item}: {result.reason}", err=True)
                if err_sink:
                    err_sink.write(orjson.dumps(result.to_json()) + b"\n")
    except EventcoderError as exc:
        _fail(str(exc))
    finally:
        if out:
            sink.close()
        if err_sink:
            err_sink.close()
    if table:
        from eventcoder.report import print_table

        print_table(rows)
    typer.echo(counts.summary(), err=True)
    _echo_skipped(stats)
    if counts.read == 0:
        _fail("no input items found")
    raise typer.Exit(1 if counts.failed else 0)


DbOpt = Annotated[Path, typer.Option("--db", help="SQLite event store (created if missing).")]


@app.command()
def ingest(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, globs or - for standard input.")],
    db: DbOpt = Path("events.db"),
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    recode: Annotated[bool, typer.Option("--recode", help="Code again articles already stored.")] = False,
    no_dedup: Annotated[bool, typer.Option("--no-dedup", help="Skip re-clustering events.")] = False,
    config: ConfigOpt = None,
    dicts: DictOpt = None,
) -> None:
    """Code articles and store them (articles, events, attributions, claims) in a SQLite store.

    Re-ingesting an article (same id, URL or text) updates it; an interrupted run can simply be run again.
    """
    from eventcoder import store
    from eventcoder.stages.ingest import ReadStats, read_inputs
    from eventcoder.storing import dedup_store
    from eventcoder.storing import ingest as ingest_items

    settings = _settings(config, dicts)
    stats = ReadStats()
    errors_path = db.with_name(db.stem + ".errors.jsonl")
    with errors_path.open("wb") as err_sink:

        def on_error(err: Any) -> None:
            typer.echo(f"error: {err.item}: {err.reason}", err=True)
            err_sink.write(orjson.dumps(err.to_json()) + b"\n")

        try:
            conn = store.connect(db)
            items = read_inputs(inputs, settings.max_article_bytes, stats)
            counts = ingest_items(conn, items, settings, workers, recode, on_error)
            clustered = None if no_dedup else dedup_store(conn)
            conn.close()
        except EventcoderError as exc:
            _fail(str(exc))
    if not counts.failed:
        errors_path.unlink()
    typer.echo(counts.summary(), err=True)
    _echo_skipped(stats)
    if clustered:
        typer.echo(_clusters_summary(clustered), err=True)
    if counts.read == 0:
        _fail("no input items found")
    raise typer.Exit(1 if counts.failed else 0)


@app.command()
def load(
    sources: Annotated[list[Path], typer.Argument(help="Coded JSONL files or batch output folders.")],
    db: DbOpt = Path("events.db"),
    no_dedup: Annotated[bool, typer.Option("--no-dedup", help="Skip re-clustering events.")] = False,
) -> None:
    """Store records already coded (by `code` or `batch`, text included) without coding them again."""
    from eventcoder import store
    from eventcoder.storing import dedup_store, load_records

    def on_error(err: Any) -> None:
        typer.echo(f"error: {err.item}: {err.reason}", err=True)

    try:
        conn = store.connect(db)
        put, refused = load_records(conn, sources, on_error)
        clustered = None if no_dedup else dedup_store(conn)
    except (EventcoderError, OSError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(f"records stored: {put.inserted} new, {put.updated} updated, {put.unchanged} unchanged, "
               f"{put.merged} duplicates merged; refused: {refused}", err=True)  # fmt: skip
    if clustered:
        typer.echo(_clusters_summary(clustered), err=True)
    raise typer.Exit(1 if refused else 0)


def _clusters_summary(c: dict[str, int]) -> str:
    return (f"event mentions: {c['mentions']:,} in {c['clusters']:,} clusters "
            f"({c['merged_clusters']:,} reported more than once)")  # fmt: skip


@app.command()
def dedup(
    db: DbOpt = Path("events.db"),
    max_days: Annotated[int, typer.Option("--max-days", min=0, help="Widest date gap within a cluster.")] = 2,
    threshold: Annotated[float, typer.Option("--threshold", help="Similarity needed to join (0-1).")] = 0.6,
) -> None:
    """Cluster stored event mentions across articles into real-world events (replaces earlier clusters)."""
    from eventcoder import store
    from eventcoder.storing import dedup_store

    try:
        conn = store.connect(db)
        typer.echo(_clusters_summary(dedup_store(conn, max_days, threshold)), err=True)
    except EventcoderError as exc:
        _fail(str(exc))


@app.command()
def serve(
    db: DbOpt = Path("events.db"),
    host: Annotated[str, typer.Option("--host", help="Listen address (default loopback).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Server processes.")] = 1,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log requests.")] = True,
    config: ConfigOpt = None,
    dicts: DictOpt = None,
) -> None:
    """Serve the HTTP API (/api, docs at /docs) and the web explorer (/) over a store."""
    import os

    from eventcoder.api import create_app, serve_app, serve_processes

    try:
        settings = _settings(config, dicts)
        api = create_app(db, settings)  # also creates or migrates the store, once, before any worker starts
    except EventcoderError as exc:
        _fail(str(exc))
    if workers == 1:
        try:
            serve_app(api, host, port, access_log)
        except EventcoderError as exc:
            _fail(str(exc))
        return
    os.environ["EVENTCODER_SERVE_DB"] = str(db.resolve())
    os.environ["EVENTCODER_DICTIONARIES"] = ",".join(settings.dictionaries)
    if config is not None:
        os.environ["EVENTCODER_SERVE_CONFIG"] = str(config.resolve())
    try:
        serve_processes(host, port, workers, access_log)
    except EventcoderError as exc:
        _fail(str(exc))


@app.command()
def export(
    db: DbOpt = Path("events.db"),
    fmt: Annotated[str, typer.Option("--format", help="gdelt, plover, parquet or jsonl.")] = "jsonl",
    out: Annotated[Path, typer.Option("-o", "--out", help="Output file (a directory for parquet).")] = Path(
        "events.out"
    ),
    include_all: Annotated[
        bool, typer.Option("--all", help="gdelt: keep negated, hypothetical and future events too.")
    ] = False,
) -> None:
    """Export a store as GDELT 2.0 event rows, PLOVER JSON Lines, Parquet files or article JSON Lines."""
    from eventcoder import store
    from eventcoder.exports import export as export_store

    try:
        conn = store.connect(db, readonly=True)
        counts = export_store(conn, fmt, out, include_all=include_all)
    except EventcoderError as exc:
        _fail(str(exc))
    typer.echo(f"wrote {out}: " + ", ".join(f"{n:,} {kind}" for kind, n in counts.items()), err=True)


@app.command()
def batch(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, globs (WARC, JSONL.gz, ...).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder: shards, checkpoints, manifest.")],
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes or Dask workers.")] = 1,
    shard_size: Annotated[int, typer.Option("--shard-size", min=1, help="Articles per shard.")] = 1000,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Dask scheduler address, or 'local' for a LocalCluster.")
    ] = None,
    no_text: Annotated[bool, typer.Option("--no-text", help="Leave text out of the records.")] = False,
    config: ConfigOpt = None,
    dicts: DictOpt = None,
) -> None:
    """Code a corpus into sharded JSONL + Parquet with a manifest; run it again to resume after a kill."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from eventcoder.batch import estimate_items, run_batch

    settings = _settings(config, dicts)
    columns = [TextColumn("coding"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]} articles/s"), TimeRemainingColumn()]  # fmt: skip
    started = time.monotonic()
    try:
        with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
            task = bar.add_task("coding", total=estimate_items(inputs), rate="-")
            coded_here = [0]

            def advance(n: int, _total: int | None) -> None:
                coded_here[0] += n
                rate = coded_here[0] / max(time.monotonic() - started, 1e-9)
                bar.update(task, advance=n, rate=f"{rate:,.1f}")

            counts = run_batch(inputs, out, settings, workers, shard_size, dask, not no_text, advance)
    except KeyboardInterrupt:
        _fail("interrupted; run the same command again to resume", 130)
    except EventcoderError as exc:
        _fail(str(exc))
    typer.echo(counts.summary(), err=True)
    typer.echo(f"manifest: {out / 'manifest.json'}; dead letters: {out / 'shards'}/*.errors.jsonl", err=True)
    if counts.read == 0:
        _fail("no input items found")
    raise typer.Exit(1 if counts.failed else 0)


@dict_app.command("check")
def dict_check(files: Annotated[list[Path], typer.Argument(help="Dictionary JSONL files.")]) -> None:
    """Validate dictionary files; errors name file and line."""
    from eventcoder.dictionaries import check_files

    problems = check_files(files)
    for p in problems:
        typer.echo(p, err=True)
    typer.echo(f"{len(files)} file(s) checked, {len(problems)} problem(s)")
    raise typer.Exit(1 if problems else 0)


@dict_app.command("stats")
def dict_stats(config: ConfigOpt = None, dicts: DictOpt = None) -> None:
    """Count patterns, actors, people and agents in the loaded dictionaries."""
    from eventcoder.dictionaries import load_dictionaries, stats

    try:
        d = load_dictionaries(_settings(config, dicts).dictionaries)
    except EventcoderError as exc:
        _fail(str(exc))
    for key, value in stats(d).items():
        typer.echo(f"{key:22} {value:>7,}")


@dict_app.command("gaps")
def dict_gaps(
    inputs: Annotated[list[str], typer.Argument(help="Corpus: files, folders, globs.")],
    top: Annotated[int, typer.Option("--top", help="How many of each to list.")] = 40,
    limit: Annotated[int, typer.Option("--limit", help="Code at most this many articles (0 = all).")] = 0,
    config: ConfigOpt = None,
    dicts: DictOpt = None,
) -> None:
    """Most frequent predicates that coded nothing, and actor mentions that resolved to nothing."""
    from eventcoder.gaps import find_gaps

    report = find_gaps(inputs, _settings(config, dicts), limit or None)
    typer.echo(f"# {report.articles} articles, {report.events} events")
    typer.echo("# uncoded predicates (lemma, count)")
    for word, n in report.predicates.most_common(top):
        typer.echo(f"{n:7,}  {word}")
    typer.echo("# unresolved actor mentions (text, count)")
    for word, n in report.actors.most_common(top):
        typer.echo(f"{n:7,}  {word}")


@app.command("eval")
def eval_cmd(
    gold: Annotated[Path, typer.Argument(help="Gold JSONL (events, polnear or dedup-pairs shape).")],
    output: Annotated[Path, typer.Argument(help="eventcoder output JSONL for the same texts.")],
    task: Annotated[str, typer.Option("--task", help="events, attribution or dedup.")] = "events",
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Score output against gold: events (class, dyad, triple), attribution (speaker, cue, content), dedup."""
    from eventcoder.attribution_eval import evaluate_attributions, format_attribution_scores
    from eventcoder.dedup_eval import evaluate_dedup, format_dedup_scores
    from eventcoder.eval import evaluate_events, format_scores

    tasks: dict[str, tuple[Any, Any]] = {
        "events": (evaluate_events, format_scores),
        "attribution": (evaluate_attributions, format_attribution_scores),
        "dedup": (evaluate_dedup, format_dedup_scores),
    }
    if task not in tasks:
        _fail(f"--task must be one of {', '.join(tasks)}, not {task!r}")
    evaluate, fmt = tasks[task]
    try:
        scores = evaluate(gold, output)
    except (OSError, ValueError, KeyError) as exc:
        _fail(f"cannot score {output} against {gold}: {exc}")
    typer.echo(orjson.dumps(scores, option=orjson.OPT_INDENT_2).decode() if as_json else fmt(scores))


def main() -> None:
    app()
