"""Gap finding: what the dictionaries missed on a corpus (PETRARCH's null-verb / null-actor lists)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import islice

from eventcoder.pipeline import load_pipeline
from eventcoder.settings import Settings
from eventcoder.stages.ingest import read_inputs
from eventcoder.types import Article


@dataclass(slots=True)
class GapReport:
    articles: int = 0
    events: int = 0
    predicates: Counter[str] = field(default_factory=Counter)
    actors: Counter[str] = field(default_factory=Counter)


def find_gaps(inputs: list[str], settings: Settings, limit: int | None = None) -> GapReport:
    pipeline = load_pipeline(settings)
    articles = (a for a in read_inputs(inputs, settings.max_article_bytes) if isinstance(a, Article))
    report = GapReport()
    for doc in pipeline.run(list(islice(articles, limit))):
        report.articles += 1
        report.events += len(doc.events)
        report.predicates.update(doc.uncoded_predicates)
        report.actors.update(doc.unresolved)
    return report
