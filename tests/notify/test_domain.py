"""Notify's pure rules: what a mail says, who gets a reminder, and what follows a failed attempt."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from contracts.events import DeadlineKind, Destination, NotificationPurpose, Priority
from services.notify.adapters.mailer import render
from services.notify.domain.content import (
    AlertKind,
    alert_content,
    content_for_deadline,
    content_for_request,
    deadline_mails,
    subject_line,
)
from services.notify.domain.delivery import GiveUp, Retry, RetryPolicy, SendFailure, Stage
from tests.notify.conftest import deadline_event, notification


def test_subject_holds_reference_priority_and_akut_only_when_acute() -> None:
    acute = notification(acute=True, priority=Priority.P0, reference="IH-2026-000123")
    routine = notification(acute=False, priority=Priority.P2, reference="IH-2026-000124")
    acute_subject = subject_line(content_for_request(acute, link="https://x/1"))
    routine_subject = subject_line(content_for_request(routine, link="https://x/2"))
    assert "IH-2026-000123" in acute_subject and "P0" in acute_subject and "AKUT" in acute_subject
    assert "IH-2026-000124" in routine_subject and "P2" in routine_subject and "AKUT" not in routine_subject


def test_body_in_danish_holds_reference_priority_deadlines_age_band_flags_and_link() -> None:
    n = notification(acute=True, priority=Priority.P0, reference="IH-2026-000777")
    text, html = render(content_for_request(n, link="https://infohus.test/sager/abc"))
    for body in (text, html):
        assert "IH-2026-000777" in body
        assert "P0" in body and "AKUT" in body
        assert "Triage i Infohus senest: 24.11.2026 kl. 15:00" in body  # 14:00 UTC is 15:00 in Copenhagen
        assert "Under 18 år" in body  # the age band, in Danish
        assert "Akut" in body  # the flag, in Danish
        assert "https://infohus.test/sager/abc" in body
        assert "ingen personoplysninger" in body


def test_html_escapes_what_it_shows() -> None:
    n = notification(reference="IH<script>")
    _, html = render(content_for_request(n, link="https://x/?a=1&b=2"))
    assert "<script>" not in html and "IH&lt;script&gt;" in html
    assert "a=1&amp;b=2" in html


def test_alert_names_the_notification_and_the_reason_but_is_reference_only() -> None:
    original = content_for_request(notification(reference="IH-2026-000999", acute=True), link="https://x/c")
    alert = alert_content(AlertKind.DEAD_LETTERED, about=original, reference="IH-2026-000999",
                          destination="INFOHUS_TK", notification_id="n-1", detail="permanent: SMTP 550 ved RCPT",
                          link="https://x/c")
    text, _ = render(alert)
    assert "Driftsalarm" in subject_line(alert) and "IH-2026-000999" in subject_line(alert)
    assert "SMTP 550 ved RCPT" in text and "Infohus (TK)" in text and "n-1" in text


@pytest.mark.parametrize(("kind", "out_of_hours", "expected"), [
    (DeadlineKind.TRIAGE_75, False, [(Destination.INFOHUS_TK, NotificationPurpose.DEADLINE_WARNING)]),
    (DeadlineKind.TRIAGE_75, True, [(Destination.INFOHUS_TK, NotificationPurpose.DEADLINE_WARNING)]),
    (DeadlineKind.TRIAGE_BREACHED, False, [(Destination.INFOHUS_TK, NotificationPurpose.DEADLINE_WARNING)]),
    (DeadlineKind.ASSESSMENT_AT_RISK, True, [(Destination.OOH_ESCALATION, NotificationPurpose.OOH_ESCALATION)]),
    (DeadlineKind.ASSESSMENT_AT_RISK, False, [(Destination.UNDERRETNING, NotificationPurpose.DEADLINE_WARNING)]),
    (DeadlineKind.ASSESSMENT_BREACHED, True, [(Destination.UNDERRETNING, NotificationPurpose.DEADLINE_WARNING),
                                              (Destination.OOH_ESCALATION, NotificationPurpose.OOH_ESCALATION)]),
    (DeadlineKind.RECEIPT_BREACHED, False, [(Destination.UNDERRETNING, NotificationPurpose.DEADLINE_WARNING)]),
])
def test_who_is_told_about_a_deadline(kind: DeadlineKind, out_of_hours: bool,
                                      expected: list[tuple[Destination, NotificationPurpose]]) -> None:
    mails = deadline_mails(deadline_event(kind, out_of_hours=out_of_hours))
    assert [(m.destination, m.purpose) for m in mails] == expected


def test_every_deadline_kind_is_mailed_somewhere() -> None:
    for kind in DeadlineKind:
        assert deadline_mails(deadline_event(kind)), kind


def test_reminder_subject_and_body() -> None:
    event = deadline_event(DeadlineKind.TRIAGE_75, priority=Priority.P0, reference="IH-2026-000555")
    (mail,) = deadline_mails(event)
    content = content_for_deadline(event, mail, link="https://x/s")
    subject = subject_line(content)
    assert "75 %" in subject and "IH-2026-000555" in subject and "P0" in subject and "AKUT" in subject
    text, _ = render(content)
    assert "Triage i Infohus senest: 24.11.2026 kl. 10:30" in text


# --- the delivery policy ---------------------------------------------------------------------------

POLICY = RetryPolicy(max_attempts=5, initial_backoff_s=1.0, max_backoff_s=8.0)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999])
def test_backoff_is_exponential_jittered_and_capped(draw: float) -> None:
    delays = [POLICY.delay(attempt, lambda: draw) for attempt in range(1, 8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_jitter_spreads_retries() -> None:
    draws = itertools.cycle([0.0, 0.3, 0.7, 0.99])
    assert len({POLICY.delay(3, lambda: next(draws)) for _ in range(4)}) == 4


@pytest.mark.parametrize("failure", [
    SendFailure(Stage.CONNECT), SendFailure(Stage.TIMEOUT), SendFailure(Stage.DATA, 451),
    SendFailure(Stage.RCPT, 450), SendFailure(Stage.MAIL, 421), SendFailure(Stage.TLS),
    SendFailure(Stage.AUTH, 535),  # a wrong password is our configuration, not this mail: retry, alert via watchdog
])
def test_connection_errors_4xx_and_configuration_faults_are_retried(failure: SendFailure) -> None:
    decision = POLICY.after_failure(failure, attempts=1, now=NOW, rand=lambda: 0.5)
    assert isinstance(decision, Retry) and NOW < decision.at <= NOW + timedelta(seconds=1)


@pytest.mark.parametrize("failure", [SendFailure(Stage.RCPT, 550), SendFailure(Stage.DATA, 554),
                                     SendFailure(Stage.MAIL, 553)])
def test_5xx_about_the_mail_gives_up_at_once(failure: SendFailure) -> None:
    decision = POLICY.after_failure(failure, attempts=1, now=NOW, rand=lambda: 0.5)
    assert isinstance(decision, GiveUp) and str(failure.code) in decision.reason


def test_retries_run_out() -> None:
    decision = POLICY.after_failure(SendFailure(Stage.DATA, 451), attempts=5, now=NOW, rand=lambda: 0.5)
    assert isinstance(decision, GiveUp) and "exhausted" in decision.reason


def test_an_alert_retries_even_a_5xx_until_its_attempts_run_out() -> None:
    failure = SendFailure(Stage.DATA, 554)
    assert isinstance(POLICY.after_failure(failure, attempts=1, now=NOW, rand=lambda: 0.5, retry_permanent=True), Retry)
    assert isinstance(POLICY.after_failure(failure, attempts=5, now=NOW, rand=lambda: 0.5, retry_permanent=True),
                      GiveUp)
