"""Item 4: routing applies the decision to every ConcernSubmitted and opens what it says, in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.routing.adapters.orm import clocks, concern_facts, decisions, tasks
from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

OPEN_TUESDAY = "2026-03-03T10:00:00+01:00"


async def _rows(routing: RoutingHarness, table: Any) -> list[dict[str, Any]]:
    async with routing.container.unit_of_work() as uow:
        return [dict(r) for r in (await uow.session.execute(select(table))).mappings()]


async def test_minor_opens_case_underretning_clocks_tasks_mails_and_transfers(routing: RoutingHarness) -> None:
    body = concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR, name="Mads", cpr="0505121234")])
    concern_id = await routing.submit(body, OPEN_TUESDAY)

    assert len(await routing.case_ids(concern_id)) == 1
    [underretning] = await routing.underretninger(concern_id)
    assert underretning["legal_type"] == "BL_133"
    assert {(r["kind"]) for r in await _rows(routing, clocks)} == {"TRIAGE", "ASSESSMENT", "RECEIPT_CONFIRMATION"}
    assert sorted(r["kind"] for r in await _rows(routing, tasks)) == ["PROFESSIONAL_ORIENTATION",
                                                                       "RECEIPT_CONFIRMATION"]
    [opened] = await routing.events("CaseOpened")
    assert opened["underretning_ids"] == [underretning["underretning_id"]]
    mails = await routing.events("NotificationRequested")
    assert sorted(m["destination"] for m in mails) == ["INFOHUS_TK", "UNDERRETNING"]
    transfers = await routing.events("DisclosureRecorded")
    assert sorted(t["recipient_unit"] for t in transfers) == ["CBF_STRAXEN", "CBF_TK"]
    assert {t["kind"] for t in transfers} == {"INTERNAL_TRANSFER"}
    assert [t["legal_basis"] for t in transfers if t["recipient_unit"] == "CBF_STRAXEN"] == ["BL133_UNDERRETNING"]
    # One decision stored, with the configuration version.
    [decision] = await _rows(routing, decisions)
    assert decision["config_version"] == "ishoj-2026.1"


async def test_several_subjects_are_grouped_one_case_each_and_one_underretning_per_minor(
        routing: RoutingHarness) -> None:
    body = concern_body(subjects=[person(ADULT), person(MINOR)], children=[person(MINOR)])
    concern_id = await routing.submit(body, OPEN_TUESDAY)
    async with routing.container.unit_of_work() as uow:
        cases = await uow.cases.rows_for_concern(concern_id)
    assert [c["subject_index"] for c in cases] == [0, 1]
    assert len({c["group_id"] for c in cases}) == 1
    underretninger = await routing.underretninger(concern_id)
    assert sorted(u["subject"] for u in underretninger) == ["children_at_risk[0]", "subjects[1]"]
    by_subject = {u["subject"]: u["case_id"] for u in underretninger}
    assert by_subject["subjects[1]"] == cases[1]["case_id"]
    assert len(await routing.events("CaseOpened")) == 2


async def test_redelivery_of_the_same_concern_changes_nothing(routing: RoutingHarness) -> None:
    body = concern_body(subjects=[person(MINOR)])
    concern_id = await routing.submit(body, OPEN_TUESDAY)
    before = await routing.events()
    from contracts.concern import ConcernIn
    from contracts.envelope import Envelope
    from contracts.events import ConcernSubmitted

    event = ConcernSubmitted(concern_id=concern_id, reference="ISH-again", received_at=routing.now,
                             concern=ConcernIn.model_validate(body))
    await routing.container.on_concern_submitted(Envelope.wrap(event, producer="intake", correlation_id=concern_id))
    # nothing decided again; only intake hears once more that routing holds it (intake's reconciliation)
    assert len(await routing.events()) == len(before) + 1
    assert [e["concern_id"] for e in await routing.events("ConcernRouted")] == [str(concern_id)] * 2
    assert len(await routing.case_ids(concern_id)) == 1


async def test_no_plaintext_cpr_or_description_is_stored(routing: RoutingHarness) -> None:
    body = concern_body(subjects=[person(MINOR, name="Mads Nielsen", cpr="050512-1234")])
    body["description"] = "Han taler om vold og har fået nye venner."
    await routing.submit(body, OPEN_TUESDAY)
    stored = repr(await _rows(routing, concern_facts)) + repr(await _rows(routing, tasks))
    stored += repr(await _rows(routing, decisions)) + repr(await routing.events())
    for secret in ("0505121234", "050512-1234", "Mads Nielsen", "taler om vold"):
        assert secret not in stored
