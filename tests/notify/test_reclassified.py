"""A mail not yet sent, brought up to a correction routing made since it was asked for (content.reclassified)."""

from __future__ import annotations

from services.notify.domain.content import MailContent, reclassified


def mail(**fields: object) -> MailContent:
    base: dict[str, object] = {"title": "Supplerende oplysninger", "reference": "IH-2026-AAAA-BBBB",
                               "priority": "P2", "acute": False, "age_bands": ["ADULT"], "link": "https://x/sager/1",
                               "flags": ["AGE_UNVERIFIED", "DUPLICATE_NEAR", "SUPPLEMENT_TO_ORIGINAL"]}
    return MailContent.model_validate({**base, **fields})


def test_the_case_s_classification_replaces_the_old_and_the_mail_keeps_what_it_says_of_itself() -> None:
    now = reclassified(mail(), priority="P1", age_bands=["MINOR"], flags=["CRIME_SUSPICION"])
    assert (now.priority, now.age_bands) == ("P1", ["MINOR"])
    assert now.flags == ["CRIME_SUSPICION", "DUPLICATE_NEAR", "SUPPLEMENT_TO_ORIGINAL"]


def test_another_case_of_the_concern_changes_only_the_concern_s_age_bands() -> None:
    now = reclassified(mail(), priority=None, age_bands=["MINOR"], flags=None)
    assert (now.priority, now.age_bands, now.flags) == ("P2", ["MINOR"], mail().flags)


def test_a_receipt_says_nothing_of_the_classification_and_an_alert_only_the_priority() -> None:
    receipt = mail(template="receipt", age_bands=[], flags=[])
    assert reclassified(receipt, priority="P1", age_bands=["MINOR"], flags=["ACUTE"]) == receipt
    alert = reclassified(mail(template="alert", age_bands=[], flags=[]), priority="P1", age_bands=["MINOR"],
                         flags=["ACUTE"])
    assert (alert.priority, alert.age_bands, alert.flags) == ("P1", [], [])
