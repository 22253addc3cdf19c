"""The web explorer: server-rendered pages over the same queries as the API, each with a JSON twin.

No front-end build and no scripts: highlighting and the timeline chart (inline SVG) are rendered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from eventcoder import queries
from eventcoder.queries import EventFilter, QueryError

_TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
QUAD_NAMES = {
    "1": "verbal cooperation",
    "2": "material cooperation",
    "3": "verbal conflict",
    "4": "material conflict",
}
QUAD_COLOURS = {"1": "#6baed6", "2": "#2171b5", "3": "#fd8d3c", "4": "#d94801"}


@dataclass(frozen=True, slots=True)
class Mark:
    start: int
    end: int
    kind: str  # actor, trigger, quote, cue
    ref: str  # event or attribution id
    title: str


def _mark(span: list[int], kind: str, ref: str, title: str) -> Mark:
    return Mark(int(span[0]), int(span[1]), kind, ref, title)


def marks_for(record: dict[str, Any]) -> list[Mark]:
    """What to highlight in an article: event actors and triggers, quotes and their cues and speakers."""
    out: list[Mark] = []
    for e in record.get("events", ()):
        label = f"{e['id']} {e['cameo']} {e['cameo_label']} ({e['status']})"
        out.append(_mark(e["trigger"]["span"], "trigger", e["id"], label))
        for role in ("source", "target"):
            actor = e.get(role)
            if actor:
                out.append(_mark(actor["span"], "actor", e["id"], f"{actor['code']} ({role} of {e['id']})"))
    for a in record.get("attributions", ()):
        content, cue, speaker = a.get("content"), a.get("cue"), a.get("speaker")
        if content:
            out.append(_mark(content["span"], "quote", a["id"], f"{a['id']} {content.get('form', '')} quote"))
        if cue:
            out.append(_mark(cue["span"], "cue", a["id"], f"{a['id']} cue"))
        if speaker and speaker.get("span"):
            out.append(
                _mark(speaker["span"], "actor", a["id"], f"speaker of {a['id']}: {speaker.get('code') or ''}")
            )
    return [m for m in out if 0 <= m.start < m.end]


def highlight(text: str, marks: list[Mark]) -> Markup:
    """The text as HTML with each stretch wrapped in the marks covering it (overlaps nest by splitting)."""
    cuts = sorted({0, len(text), *(m.start for m in marks), *(min(m.end, len(text)) for m in marks)})
    anchored: set[str] = set()
    parts: list[str] = []
    for start, end in pairwise(cuts):
        covering = [m for m in marks if m.start <= start and m.end >= end]
        chunk = escape(text[start:end])
        if not covering:
            parts.append(chunk)
            continue
        classes = " ".join(sorted({m.kind for m in covering}))
        refs = " ".join(sorted({m.ref for m in covering}))
        title = "; ".join(dict.fromkeys(m.title for m in covering))
        ids = ""
        for m in covering:
            anchor = f"{m.kind}-{m.ref}"
            if m.kind in ("trigger", "quote") and anchor not in anchored:
                anchored.add(anchor)
                ids = f' id="{escape(anchor)}"'
                break
        parts.append(
            f'<mark class="{classes}" data-refs="{escape(refs)}" title="{escape(title)}"{ids}>{chunk}</mark>'
        )
    return Markup("".join(parts))


def timeline_svg(periods: list[dict[str, Any]], width: int = 760, height: int = 240) -> Markup:
    """Stacked bars of events per QuadClass for each period, and a line of summed Goldstein."""
    if not periods:
        return Markup('<p class="empty">No dated events for this dyad.</p>')
    pad_l, pad_b, pad_t = 40, 40, 10
    plot_w, plot_h = width - pad_l - 40, height - pad_b - pad_t
    top = max(p["events"] for p in periods) or 1
    g_abs = max(abs(p["goldstein"] or 0) for p in periods) or 1
    step = plot_w / len(periods)
    bar = max(step * 0.7, 1)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="dyad timeline">']
    base = pad_t + plot_h
    out.append(f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + plot_w}" y2="{base}" stroke="#888"/>')
    out.append(f'<text x="4" y="{pad_t + 10}" font-size="11">{top}</text>')
    points = []
    for i, p in enumerate(periods):
        x = pad_l + i * step + (step - bar) / 2
        y: float = pad_t + plot_h
        for q in ("1", "2", "3", "4"):
            n = p["quad_class"][q] or 0
            h = plot_h * n / top
            if n:
                y -= h
                out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                           f'fill="{QUAD_COLOURS[q]}"><title>{escape(p["period"])}: {n} '
                           f'{QUAD_NAMES[q]}</title></rect>')  # fmt: skip
        g = p["goldstein"] or 0
        points.append(f"{x + bar / 2:.1f},{pad_t + plot_h / 2 - (plot_h / 2) * g / g_abs:.1f}")
        if len(periods) <= 24 or i % max(len(periods) // 12, 1) == 0:
            ty = height - pad_b + 14
            out.append(f'<text x="{x:.1f}" y="{ty}" font-size="10" transform="rotate(30 {x:.1f},{ty})">'
                       f"{escape(p['period'])}</text>")  # fmt: skip
    out.append(f'<polyline fill="none" stroke="#333" stroke-width="1.5" points="{" ".join(points)}">'
               "<title>summed Goldstein (centre line = 0)</title></polyline>")  # fmt: skip
    out.append("</svg>")
    return Markup("".join(out))


def _render(request: Request, name: str, **context: Any) -> HTMLResponse:
    return _TEMPLATES.TemplateResponse(request, name, context)


def _error_page(request: Request, exc: QueryError, json_url: str) -> HTMLResponse:
    response = _render(request, "error.html", message=str(exc), json_url=json_url)
    response.status_code = 422
    return response


def add_pages(app: FastAPI, st: Any) -> None:
    """Register the HTML pages on ``app``; ``st`` is the api.Store."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: str | None = None, page: int = 1) -> HTMLResponse:
        params = {k: v for k, v in {"q": q, "page": page}.items() if v}
        json_url = "/api/articles?" + urlencode(params)
        try:
            result = queries.list_articles(st.reader(), q or None, max(page, 1), 20)
        except QueryError as exc:
            return _error_page(request, exc, json_url)
        return _render(request, "search.html", result=result, q=q or "", json_url=json_url,
                       stats=queries.stats(st.reader()))  # fmt: skip

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: str) -> HTMLResponse:
        record = queries.get_article(st.reader(), article_id)
        if record is None:
            raise HTTPException(404, f"no article {article_id!r}")
        attributions = {a["id"]: a for a in record.get("attributions", ())}
        return _render(request, "article.html", a=record, body=highlight(record["text"], marks_for(record)),
                       attributions=attributions, json_url=f"/api/articles/{article_id}")  # fmt: skip

    @app.get("/events", response_class=HTMLResponse, include_in_schema=False)
    def events_page(request: Request, page: int = 1) -> HTMLResponse:
        names = ("source", "target", "cameo", "plover", "status", "date_from", "date_to", "article_id")
        given = {k: request.query_params.get(k) or None for k in names}
        f = EventFilter(**given)
        params = {k: v for k, v in given.items() if v}
        json_url = "/api/events?" + urlencode({**params, "page": page})
        try:
            result = queries.list_events(st.reader(), f, max(page, 1), 50)
        except QueryError as exc:
            return _error_page(request, exc, json_url)
        return _render(request, "events.html", result=result, params=params, statuses=queries.STATUSES,
                       json_url=json_url, query=urlencode(params))  # fmt: skip

    @app.get("/dyads", response_class=HTMLResponse, include_in_schema=False)
    def dyad_page(
        request: Request, source: str = "", target: str = "", interval: str = "month"
    ) -> HTMLResponse:
        result = None
        json_url = "/api/events"
        if source and target:
            json_url = f"/api/dyads/{source}/{target}/timeline?interval={interval}"
            try:
                result = queries.timeline(st.reader(), source, target, interval)
            except QueryError as exc:
                return _error_page(request, exc, json_url)
        chart = timeline_svg(result["periods"]) if result else None
        return _render(request, "dyads.html", result=result, chart=chart, source=source, target=target,
                       interval=interval, intervals=queries.INTERVALS, json_url=json_url,
                       quad_names=QUAD_NAMES, quad_colours=QUAD_COLOURS)  # fmt: skip

    @app.get("/claims", response_class=HTMLResponse, include_in_schema=False)
    def claims_page(request: Request, relation: str = "", page: int = 1) -> HTMLResponse:
        json_url = "/api/claims?" + urlencode(
            {k: v for k, v in {"relation": relation, "page": page}.items() if v}
        )
        try:
            result = queries.list_claims(st.reader(), relation or None, None, max(page, 1), 50)
        except QueryError as exc:
            return _error_page(request, exc, json_url)
        return _render(request, "claims.html", result=result, relation=relation, relations=queries.RELATIONS,
                       json_url=json_url)  # fmt: skip
