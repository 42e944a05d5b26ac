"""Reminders and escalations from routing's DeadlineReached events, consumed from the broker."""

from __future__ import annotations

from collections.abc import Callable

from contracts.events import DeadlineKind, Priority
from devtools.devstack.mailbox import LocalMailbox
from tests.notify.conftest import OOH, TK, UND, NotifyUnderTest, deadline_event, to, wrap
from tests.waiting import eventually


async def test_triage_75_overdue_and_assessment_at_risk_out_of_hours_each_mail_once(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=mailbox.smtp_port).start()
    warning = wrap(deadline_event(DeadlineKind.TRIAGE_75, reference="IH-2026-007575"))
    overdue = wrap(deadline_event(DeadlineKind.TRIAGE_BREACHED, reference="IH-2026-007576"))
    at_risk = wrap(deadline_event(DeadlineKind.ASSESSMENT_AT_RISK, out_of_hours=True, priority=Priority.P0,
                                  reference="IH-2026-002424"))
    for envelope in (warning, overdue, at_risk, warning, wrap(at_risk.payload)):  # redelivered, and emitted twice
        await notify.publish(envelope)

    mails = await mailbox.wait_for(3, timeout=20)
    await eventually(lambda: _sent(notify, 3))
    await eventually(notify.consumed)  # the redelivered and re-emitted events too
    await eventually(notify.settled)  # and nothing is left that could be a fourth mail
    assert len(mailbox.messages()) == 3
    tk = {str(m["Subject"]): m for m in to(mails, TK)}
    (reminder,) = [m for s, m in tk.items() if "75 %" in s]
    assert "IH-2026-007575" in str(reminder["Subject"]) and "[P1]" in str(reminder["Subject"])
    assert "AKUT" not in str(reminder["Subject"])
    (late,) = [m for s, m in tk.items() if "overskredet" in s]
    assert "IH-2026-007576" in str(late["Subject"])
    (escalation,) = to(mails, OOH)  # outside opening hours: the on-call mailbox, not Underretninger@
    subject = str(escalation["Subject"])
    assert "IH-2026-002424" in subject and "AKUT" in subject and "24-timersfristen" in subject
    body = escalation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Vurdering inden 24 timer" in body and "24.11.2026 kl. 10:30" in body
    assert to(mails, UND) == []


async def _sent(notify: NotifyUnderTest, n: int) -> bool:
    return len(await notify.outbox("NotificationSent")) >= n
