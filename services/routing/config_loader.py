"""Read and validate a municipality's routing configuration (TOML)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from rules.config import MunicipalityConfig

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[2] / "config" / "municipalities" / "ishoj.toml"


class ConfigError(ValueError):
    """The configuration file is missing, not TOML, or has invalid values."""


def load_municipality_config(path: str | Path | None = None) -> MunicipalityConfig:
    config_path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        with config_path.open("rb") as file:
            raw = tomllib.load(file)
    except OSError as error:
        raise ConfigError(
            f"cannot read municipality config {config_path}: {error.strerror or error}"
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"municipality config {config_path} is not valid TOML: {error}") from error
    try:
        return MunicipalityConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"invalid municipality config {config_path}:\n{_describe(error)}") from error


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False):
        location = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"  {location}: {problem['msg']}")
    return "\n".join(lines)
