"""The rules' version at the edge: reads the deciding modules' source (``rules.fingerprint.DECIDING_MODULES``)
once per process and fingerprints it with a municipality's configuration."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import rules
from rules.config import MunicipalityConfig
from rules.fingerprint import DECIDING_MODULES, RulesVersion, code_fingerprint

RULES_DIR = Path(rules.__file__).resolve().parent


@lru_cache(maxsize=1)
def rules_code_fingerprint() -> str:
    """The fingerprint of the running rules code (``rules/<module>.py`` for every deciding module)."""
    return code_fingerprint({name: (RULES_DIR / f"{name}.py").read_bytes() for name in DECIDING_MODULES})


def rules_version(config: MunicipalityConfig) -> RulesVersion:
    return RulesVersion.of(config, rules_code_fingerprint())
