"""The version of the rules that made a decision: a fingerprint of the deciding code and of the
municipality's configuration, beside the configuration's human label (``MunicipalityConfig.version``).

The fingerprint changes whenever a module that decides (``DECIDING_MODULES``) or any configuration value
changes, whether or not somebody remembered to change the label. Reading the modules' source is I/O, so the
edge does it (``infohus.kit.rules_version``) and hands the bytes in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from rules.config import MunicipalityConfig

# The modules of ``rules`` that ``decide`` runs (messages and codes render or label, they do not decide).
DECIDING_MODULES = ("age", "calendar", "config", "decision", "decision_table", "facts", "fingerprint", "inputs",
                    "vocabulary")


def canonical_config(config: MunicipalityConfig) -> str:
    """The configuration as canonical JSON (sorted keys, no whitespace): what is stored and fingerprinted;
    ``MunicipalityConfig.model_validate_json`` reads it back to the same configuration."""
    return json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def config_fingerprint(canonical: str) -> str:
    """The fingerprint of a configuration's canonical JSON (``canonical_config``)."""
    return _sha256(canonical.encode())


def code_fingerprint(sources: Mapping[str, bytes]) -> str:
    """sha256 over the modules' names and source bytes, in name order."""
    return _sha256(*(part for name in sorted(sources) for part in (name.encode(), sources[name])))


@dataclass(frozen=True)
class RulesVersion:
    label: str  # the configuration's own version label, as written in its file
    code_fingerprint: str
    config_fingerprint: str
    config_json: str  # canonical_config(...)

    @property
    def fingerprint(self) -> str:
        """The one fingerprint of code and configuration together."""
        return _sha256(self.code_fingerprint.encode(), self.config_fingerprint.encode())

    @property
    def short(self) -> str:
        return self.fingerprint[:12]

    @classmethod
    def of(cls, config: MunicipalityConfig, code: str) -> RulesVersion:
        text = canonical_config(config)
        return cls(label=config.version, code_fingerprint=code, config_fingerprint=config_fingerprint(text),
                   config_json=text)
