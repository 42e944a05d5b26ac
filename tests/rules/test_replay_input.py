"""A decision's stored input (``rules.inputs``) decides exactly as the concern did, after a round trip through
JSON, for generated concerns and instants, and keeps no CPR number; the rules' fingerprint changes with the
deciding code and with any configuration value, label or not."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import rules
from contracts.concern import ConcernIn
from rules.config import MunicipalityConfig
from rules.decision_table import decide, replay
from rules.fingerprint import DECIDING_MODULES, RulesVersion, canonical_config, code_fingerprint
from rules.inputs import DecisionInput, RulesInput
from rules.vocabulary import DuplicateKind
from tests.routing.builders import CONFIG
from tests.rules.test_properties import concerns, received_ats


@given(concerns(), received_ats, st.sampled_from(list(DuplicateKind)))
def test_the_stored_input_decides_as_the_concern_did(concern: ConcernIn, received_at: datetime,
                                                     duplicate: DuplicateKind) -> None:
    stored = DecisionInput(concern=RulesInput.of(concern), received_at=received_at, duplicate=duplicate)
    text = stored.model_dump_json()
    assert replay(DecisionInput.model_validate_json(text), CONFIG) == decide(
        concern, received_at, CONFIG, duplicate=duplicate)
    for person in [*concern.subjects, *concern.children_at_risk]:
        assert person.cpr is None or person.cpr not in text


def test_the_configuration_round_trips_through_its_canonical_json() -> None:
    text = canonical_config(CONFIG)
    assert MunicipalityConfig.model_validate_json(text) == CONFIG
    assert canonical_config(MunicipalityConfig.model_validate_json(text)) == text


def test_the_fingerprint_follows_code_and_every_configuration_value() -> None:
    sources = {name: f"# {name}\n".encode() for name in DECIDING_MODULES}
    code = code_fingerprint(sources)
    assert code_fingerprint(dict(reversed(list(sources.items())))) == code  # order of reading is irrelevant
    assert code_fingerprint({**sources, "age": b"# age changed\n"}) != code
    version = RulesVersion.of(CONFIG, code)
    assert version.label == CONFIG.version and len(version.fingerprint) == 64
    assert RulesVersion.of(CONFIG, code) == version
    unlabelled = RulesVersion.of(CONFIG.model_copy(update={"near_duplicate_window_hours": 1}), code)
    relabelled = RulesVersion.of(CONFIG.model_copy(update={"version": "other"}), code)
    new_code = RulesVersion.of(CONFIG, code_fingerprint({**sources, "age": b"#\n"}))
    assert unlabelled.label == version.label
    assert len({version.fingerprint, unlabelled.fingerprint, relabelled.fingerprint, new_code.fingerprint}) == 4
    assert new_code.config_fingerprint == version.config_fingerprint


def test_every_module_the_decision_runs_is_fingerprinted() -> None:
    """``decide`` and every ``rules`` module it imports, transitively, are in ``DECIDING_MODULES``."""
    rules_dir = Path(rules.__file__).parent
    found, pending = set(), ["decision_table"]
    while pending:
        name = pending.pop()
        found.add(name)
        for node in ast.walk(ast.parse((rules_dir / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rules."):
                module = node.module.removeprefix("rules.")
                if module not in found:
                    pending.append(module)
    assert found <= set(DECIDING_MODULES)
    assert {"age", "calendar", "config", "facts", "inputs"} <= found
