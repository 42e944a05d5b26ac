"""The municipality's rules file (TOML), read at the edge for routing, intake and the workspace.

Each process parses and validates a file's content once: every later call with the same content returns
the same ``MunicipalityConfig``; a changed file is parsed anew.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rules.config import ConfigError, MunicipalityConfig, parse_municipality_config

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[2] / "config" / "municipalities" / "ishoj.toml"


def load_municipality_config(path: str | Path | None = None) -> MunicipalityConfig:
    """The configuration at ``path`` (default: Ishøj's); ``ConfigError`` if it cannot be read or is invalid."""
    config_path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"cannot read municipality config {config_path}: {error.strerror or error}"
        ) from error
    return _parsed(text, str(config_path))


@lru_cache(maxsize=8)
def _parsed(text: str, source: str) -> MunicipalityConfig:
    return parse_municipality_config(text, source=source)
