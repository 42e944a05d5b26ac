from __future__ import annotations

from typing import Any

import pytest

from rules.decision_table import decide
from rules.messages import render_reporter_messages
from rules.vocabulary import DuplicateKind, MessageId
from tests.routing.builders import ADULT, CONFIG, HOTLINE_FRIDAY, MINOR, OPEN_TUESDAY, at, concern, person


def render(instant: str, *, contactable: bool | None = None, **kwargs: Any) -> dict[MessageId, str]:
    the_concern = concern(**kwargs)
    decision = decide(the_concern, at(instant), CONFIG)
    messages = render_reporter_messages(
        decision,
        reference="IH-2026-00042",
        received_at=at(instant),
        config=CONFIG,
        contactable=the_concern.reporter.contactable if contactable is None else contactable,
    )
    return {message.id: message.text for message in messages}


def test_acknowledgement_names_local_time_and_reference() -> None:
    texts = render("2026-07-01T08:05:00Z")  # 10:05 summer time
    assert texts[MessageId.M_ACK] == (
        "Tak for din henvendelse. Ishøj Kommune modtog den 01.07.2026 kl. 10:05. "
        "Dit referencenummer er IH-2026-00042."
    )


def test_closed_message_names_the_next_opening_and_the_hotline() -> None:
    texts = render(HOTLINE_FRIDAY)
    assert texts[MessageId.M_CLOSED_NEXT] == (
        "Din henvendelse er modtaget uden for Infohus Ishøjs åbningstid "
        "og bliver behandlet fra mandag den 09.03.2026 kl. 08:00."
    )
    assert "41 74 90 90 (åben dagligt kl. 8-22)" in texts[MessageId.M_HOTLINE]


def test_professional_is_promised_receipt_and_orientation() -> None:
    texts = render(OPEN_TUESDAY, reporter="PROF_PUBLIC", subjects=[person(MINOR)])
    assert "Du modtager en kvittering senest 11.03.2026" in texts[MessageId.M_UND_PROF]
    assert "§ 138, stk. 2" in texts[MessageId.M_UND_PROF]


def test_professional_without_contact_data_is_not_promised_a_receipt() -> None:
    texts = render(OPEN_TUESDAY, reporter="PROF_PUBLIC_NO_CONTACT", subjects=[person(MINOR)])
    assert "kvittering senest" not in texts[MessageId.M_UND_PROF]
    assert "43 57 75 78" in texts[MessageId.M_UND_PROF]


@pytest.mark.parametrize(("reporter", "receipt"), [("CITIZEN", True), ("CITIZEN_NO_CONTACT", False)])
def test_citizen_receipt_sentence_only_when_contactable(reporter: str, receipt: bool) -> None:
    text = render(OPEN_TUESDAY, reporter=reporter, subjects=[person(MINOR)])[MessageId.M_UND_CITIZEN]
    assert ("Du modtager en kvittering senest 11.03.2026." in text) is receipt
    assert "StraXen, tlf. 43 57 75 78" in text
    assert "  " not in text
    assert text.endswith("hvad kommunen foretager sig.")


def test_contact_numbers_come_from_config() -> None:
    contacts = CONFIG.contacts.model_copy(update={"tk_phone": "11 22 33 44", "police_emergency": "999"})
    config = CONFIG.model_copy(update={"contacts": contacts})
    decision = decide(concern(), at(OPEN_TUESDAY), config)
    messages = render_reporter_messages(
        decision, reference="R", received_at=at(OPEN_TUESDAY), config=config, contactable=True
    )
    texts = {message.id: message.text for message in messages}
    assert "tlf. 11 22 33 44" in texts[MessageId.M_OPEN]
    assert texts[MessageId.M_112_LINE] == "Ved akut fare skal du altid ringe 999."


def test_acute_answer_starts_with_112() -> None:
    texts = render(HOTLINE_FRIDAY, acuteness="ACUTE", crime=True)
    assert next(iter(texts)) is MessageId.M_112_FIRST
    assert texts[MessageId.M_112_FIRST].startswith("Er nogen i akut fare, så ring 112 nu.")


def test_exact_duplicate_gets_the_original_reference() -> None:
    decision = decide(
        concern(subjects=[person(ADULT)]), at(OPEN_TUESDAY), CONFIG, duplicate=DuplicateKind.EXACT
    )
    original_received_at = at("2026-03-03T09:00:00+01:00")
    [ack, line] = render_reporter_messages(
        decision, reference="IH-ORIGINAL", received_at=original_received_at, config=CONFIG, contactable=True
    )
    assert ack.id is MessageId.M_ACK
    assert "IH-ORIGINAL" in ack.text
    assert "03.03.2026 kl. 09:00" in ack.text
    assert line.id is MessageId.M_112_LINE


def test_every_message_is_filled_in() -> None:
    texts = render(
        HOTLINE_FRIDAY,
        reporter="ANONYMOUS_PROFESSIONAL",
        subjects=[person({}, municipality="Brøndby")],
        crime=True,
    )
    assert set(texts) >= {MessageId.M_AGE_UNKNOWN, MessageId.M_PROF_ANON_WARNING, MessageId.M_JURISDICTION}
    assert all("{" not in text and "}" not in text for text in texts.values())
