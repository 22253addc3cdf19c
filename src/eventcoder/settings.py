"""Settings: packaged defaults plus user overrides."""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from eventcoder.errors import EventcoderError


@dataclass(frozen=True, slots=True)
class Settings:
    models: tuple[str, ...]
    max_article_bytes: int
    dictionaries: tuple[str, ...]
    batch_size: int


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise EventcoderError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    out = dict(values)
    for key in ("models", "dictionaries"):
        if key in out and isinstance(out[key], str):
            out[key] = tuple(x for x in out[key].split(",") if x)
        elif key in out:
            out[key] = tuple(out[key])
    for key in ("max_article_bytes", "batch_size"):
        if key in out:
            out[key] = int(out[key])
    return out


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Defaults from ``data/default.toml``, then a config file, env vars, then ``overrides``."""
    text = resources.files("eventcoder").joinpath("data/default.toml").read_text("utf-8")
    settings = Settings(**_coerce(tomllib.loads(text)))
    if config is not None:
        settings = replace(settings, **_coerce(tomllib.loads(config.read_text("utf-8"))))
    env = {
        f.name: os.environ[f"EVENTCODER_{f.name.upper()}"]
        for f in fields(Settings)
        if f"EVENTCODER_{f.name.upper()}" in os.environ
    }
    settings = replace(settings, **_coerce(env))
    given = {k: v for k, v in overrides.items() if v is not None}
    return replace(settings, **_coerce(given))


def coder_fingerprint(settings: Settings) -> str:
    """Version plus a hash of every dictionary and setting that shapes the output.

    The store keeps it per article, so re-ingesting an unchanged article with an unchanged coder can be
    skipped, while a change of dictionaries makes it code again.
    """
    from eventcoder import __version__

    digest = hashlib.sha256(repr((settings.models, settings.batch_size)).encode())
    data = resources.files("eventcoder").joinpath("data")
    packaged = sorted(_walk(data), key=lambda p: p[0])
    for name, blob in packaged:
        digest.update(name.encode() + b"\0" + blob)
    for extra in settings.dictionaries:
        path = Path(extra)
        digest.update(str(path).encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<missing>"))
    return f"{__version__}+{digest.hexdigest()[:12]}"


def _walk(node: Any, prefix: str = "") -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for child in node.iterdir():
        name = f"{prefix}{child.name}"
        if child.is_dir():
            out += _walk(child, name + "/")
        elif child.is_file():
            out.append((name, child.read_bytes()))
    return out
