"""Rules you can replay, on SQLite and PostgreSQL, through routing's handler path: every decision records the
fingerprint of the rules code and configuration that made it (beside the configuration's label), and every
configuration that decided something is stored once; ``infohus explain --decision`` replays a decision made
before a configuration change under its own configuration, confirms the replay equals what was stored, and
says what differs under today's; retention erases decisions but never a configuration."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, update

from infohus.kit.municipality import DEFAULT_CONFIG_PATH
from infohus.kit.rules_version import rules_code_fingerprint
from rules.config import parse_municipality_config
from rules.fingerprint import RulesVersion, canonical_config
from services.routing.adapters.orm import decisions, rules_configs
from services.routing.entrypoints import explain_stored
from services.routing.entrypoints.explain import explain_main
from tests.routing.builders import ADULT, MINOR, OPEN_TUESDAY, concern_body, person
from tests.routing.conftest import RoutingHarness
from tests.routing.service.test_legal_holds import MUNICIPAL, close

TODAY_TEXT = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
# A later configuration: a new label, P1 triage within 3 office days instead of 1, and the spelling "Ishoj"
# no longer names the home municipality (a concern giving it now goes to jurisdiction review).
LATER_TEXT = (TODAY_TEXT.replace('version = "ishoj-2026.1"', 'version = "ishoj-2026.2"')
              .replace("p1_office_days_after_receipt = 1", "p1_office_days_after_receipt = 3")
              .replace('home_municipality_names = ["Ishøj", "Ishoj", "Ishoej"]',
                       'home_municipality_names = ["Ishøj", "Ishoej"]'))
LONG_AGO = "2015-03-03T10:00:00+01:00"


def minor_in_ishoj() -> dict[str, Any]:
    return concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR, municipality="Ishoj")])


async def decision_row(routing: RoutingHarness, concern_id: UUID) -> dict[str, Any]:
    async with routing.container.unit_of_work() as uow:
        row = (await uow.session.execute(select(decisions).where(decisions.c.concern_id == str(concern_id)))
               ).mappings().one()
    return dict(row)


async def stored_configs(routing: RoutingHarness) -> dict[str, tuple[str, str]]:
    async with routing.container.unit_of_work() as uow:
        rows = (await uow.session.execute(select(rules_configs))).mappings().all()
    return {row["config_fingerprint"]: (row["config_version"], row["config"]) for row in rows}


def use_routing_database(routing: RoutingHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = routing.container.settings
    monkeypatch.setenv("INFOHUS_ROUTING_DATABASE_URL", settings.database_url)
    if settings.db_schema:
        monkeypatch.setenv("INFOHUS_ROUTING_DB_SCHEMA", settings.db_schema)


async def explain(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(explain_main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_every_decision_records_the_rules_that_made_it(routing: RoutingHarness) -> None:
    today = routing.container.config
    first = await routing.submit(minor_in_ishoj(), OPEN_TUESDAY)
    row = await decision_row(routing, first)
    version = RulesVersion.of(today, rules_code_fingerprint())
    assert (row["config_version"], row["rules_fingerprint"]) == ("ishoj-2026.1", version.fingerprint)
    assert (row["code_fingerprint"], row["config_fingerprint"]) == (rules_code_fingerprint(),
                                                                    version.config_fingerprint)
    assert len(row["rules_fingerprint"]) == 64 and row["rules_fingerprint"] != row["config_fingerprint"]
    # The stored input is what the rules read, never the concern's text or names.
    assert "Bekymring" not in row["rules_input"] and "2012-05-05" in row["rules_input"]
    assert await stored_configs(routing) == {version.config_fingerprint: ("ishoj-2026.1", canonical_config(today))}

    await routing.submit(concern_body(subjects=[person(ADULT)]), OPEN_TUESDAY)  # same rules: stored once
    assert len(await stored_configs(routing)) == 1

    # A changed value changes the fingerprint even when nobody changed the label.
    routing.container.config = today.model_copy(update={"transition_window_days": 60})
    unlabelled = await decision_row(routing, await routing.submit(minor_in_ishoj(), OPEN_TUESDAY))
    assert unlabelled["config_version"] == "ishoj-2026.1"
    assert unlabelled["rules_fingerprint"] != row["rules_fingerprint"]
    assert unlabelled["code_fingerprint"] == row["code_fingerprint"]

    routing.container.config = parse_municipality_config(LATER_TEXT, source="later.toml")
    later = await decision_row(routing, await routing.submit(minor_in_ishoj(), OPEN_TUESDAY))
    assert later["config_version"] == "ishoj-2026.2"
    assert len({row["rules_fingerprint"], unlabelled["rules_fingerprint"], later["rules_fingerprint"]}) == 3
    configs = await stored_configs(routing)
    assert sorted(label for label, _ in configs.values()) == ["ishoj-2026.1", "ishoj-2026.1", "ishoj-2026.2"]
    assert row["config_fingerprint"] in configs  # the earlier versions are kept

    # The case's decision explanation names the fingerprint of the rules that made it.
    [case_id] = await routing.case_ids(first)
    async with routing.client(*MUNICIPAL) as client:
        response = await client.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    explained = response.json()["decision"]
    assert (explained["config_version"], explained["rules_fingerprint"]) == ("ishoj-2026.1",
                                                                           row["rules_fingerprint"])


async def test_explain_replays_a_decision_made_before_a_configuration_change(
        routing: RoutingHarness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    use_routing_database(routing, monkeypatch)
    before = await routing.submit(minor_in_ishoj(), OPEN_TUESDAY, reference="ISH-2026-000101")
    later_path = tmp_path / "later.toml"
    later_path.write_text(LATER_TEXT, encoding="utf-8")
    monkeypatch.setenv("INFOHUS_ROUTING_MUNICIPALITY_CONFIG", str(later_path))
    routing.container.config = parse_municipality_config(LATER_TEXT, source=str(later_path))
    after = await routing.submit(minor_in_ishoj(), OPEN_TUESDAY, reference="ISH-2026-000102")

    code, out, err = await explain(capsys, "--decision", "ish-2026-000101")
    assert (code, err) == (0, "")
    assert "configuration ishoj-2026.1" in out and "configuration ishoj-2026.2" in out
    assert "The rules code is unchanged since this decision." in out
    assert "Replayed under the configuration it was made under: equals the stored decision." in out
    assert "Under today's configuration it would differ:" in out
    assert "  destinations: [INFOHUS_TK, UNDERRETNING] -> [INFOHUS_TK, UNDERRETNING, JURISDICTION_REVIEW] " \
           "(+JURISDICTION_REVIEW)" in out
    assert "  config_version: ishoj-2026.1 -> ishoj-2026.2" in out
    assert "2012-05-05" not in out  # the stored input is not printed
    # The read is logged against the concern's case, as the operating-system account that ran it.
    [case_id] = await routing.case_ids(before)
    async with routing.container.unit_of_work() as uow:
        reads = await routing.container.read_log.query(uow.session, case_id=case_id)
    assert [(r.user_id, r.purpose.value, r.roles) for r in reads] == [
        (explain_stored.shell_user().user_id, "rules_replay", ())]

    code, out, _ = await explain(capsys, "--decision", str(before), "--json")
    report = json.loads(out)
    assert code == 0 and report["reference"] == "ISH-2026-000101"
    assert (report["replay_equals_stored"], report["code_changed"], report["config_changed"]) == (True, False, True)
    assert report["made_under"]["rules_fingerprint"] == (await decision_row(routing, before))["rules_fingerprint"]
    changed = {d["field"]: (d["then"], d["now"]) for d in report["today_differences"]}
    assert set(changed) == {"destinations", "infohus_triage_due", "flags", "rules_fired", "reporter_messages",
                            "config_version"}
    assert changed["infohus_triage_due"] == ("2026-03-04T15:00:00+01:00", "2026-03-06T13:00:00+01:00")
    assert changed["flags"][1] == [*changed["flags"][0], "JURISDICTION_OTHER"]
    assert changed["rules_fired"][1][-1] == "R10" and "R10" not in changed["rules_fired"][0]
    assert report["stored"]["priority"] == "P1"

    # A decision made under today's configuration: nothing would differ.
    code, out, _ = await explain(capsys, "--decision", str(after), "--json")
    report = json.loads(out)
    assert (code, report["config_changed"], report["today_differences"]) == (0, False, [])

    # When the rules code changed since, the report says so: only the configuration is replayed exactly.
    monkeypatch.setattr(explain_stored, "rules_version", lambda config: RulesVersion.of(config, "0" * 64))
    code, out, _ = await explain(capsys, "--decision", "ISH-2026-000101")
    assert code == 0 and "The rules code has changed since this decision" in out
    assert "Only the configuration is replayed exactly" in out

    # A stored decision that no longer comes out the same is reported as such (exit 1), field by field.
    async with routing.container.unit_of_work() as uow:
        stored = json.loads((await decision_row(routing, before))["decision"])
        await uow.session.execute(update(decisions).where(decisions.c.concern_id == str(before)).values(
            decision=json.dumps({**stored, "priority": "P0"})))
        await uow.commit()
    code, out, _ = await explain(capsys, "--decision", "ISH-2026-000101")
    assert code == 1 and "DIFFERS from the stored decision" in out and "  priority: P0 -> P1" in out

    code, _, err = await explain(capsys, "--decision", "ISH-0000-000000")
    assert code == 3 and "no decision" in err


async def test_a_decision_made_before_fingerprints_is_named_not_replayed(
        routing: RoutingHarness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    use_routing_database(routing, monkeypatch)
    concern_id = await routing.submit(minor_in_ishoj(), OPEN_TUESDAY)
    async with routing.container.unit_of_work() as uow:  # as a row written before migration 0009 looks
        await uow.session.execute(update(decisions).where(decisions.c.concern_id == str(concern_id)).values(
            rules_fingerprint=None, code_fingerprint=None, config_fingerprint=None, rules_input=None))
        await uow.commit()
    code, out, _ = await explain(capsys, "--decision", str(concern_id))
    assert code == 3 and "Cannot replay: the decision was made before routing recorded" in out
    assert "rules unknown (decided before the rules were fingerprinted)" in out


async def test_retention_erases_decisions_but_keeps_every_configuration(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(LONG_AGO)
    old = await routing.submit(concern_body(subjects=[person(ADULT)]), LONG_AGO)
    first = (await decision_row(routing, old))["config_fingerprint"]
    await close(routing, old, "MOVED")
    routing.container.config = parse_municipality_config(LATER_TEXT, source="later.toml")
    routing.now = datetime.fromisoformat(OPEN_TUESDAY)
    kept = await routing.submit(concern_body(subjects=[person(ADULT)]), OPEN_TUESDAY)
    second = (await decision_row(routing, kept))["config_fingerprint"]

    done = await routing.container.retention.run(routing.now)
    assert done.items["concerns"] == [str(old)]
    async with routing.container.unit_of_work() as uow:
        left = (await uow.session.execute(select(decisions.c.concern_id))).scalars().all()
    assert left == [str(kept)]
    # The configuration no remaining decision references is kept too: it decided something once.
    assert set(await stored_configs(routing)) == {first, second}
