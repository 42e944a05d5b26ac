"""The § 138 receipt to a reporter: mailed to the address in the request (never a configured mailbox), in
Danish, content-free (no names, no link, no priority), through the one delivery path; and mail links open
the staff workspace's page of the underretning or the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from uuid import uuid4

from contracts.events import Destination, NotificationPurpose, NotificationRequested
from devtools.devstack.mailbox import LocalMailbox
from services.notify.domain.content import ORIENTATION_TO_FOLLOW, case_link
from services.notify.domain.delivery import Origin, State
from services.notify.service_layer.recording import request_delivery
from services.notify.settings import NotifySettings
from tests.notify.conftest import (
    OPS,
    TK,
    UND,
    NotifyUnderTest,
    RecipientFaultMailbox,
    notification,
    to,
    wrap,
)
from tests.notify.test_watchdog import expected_from, routing_stand_in
from tests.waiting import eventually

REPORTER = "birgitte.haugaard@skole.example.org"
RECEIVED = datetime(2026, 3, 3, 9, 5, tzinfo=UTC)  # 10:05 in Copenhagen


def receipt(*, address: str = REPORTER, orientation: bool = True, reference: str = "IH-2026-7K3M-Q9PX",
            ) -> NotificationRequested:
    return NotificationRequested(
        notification_id=uuid4(), concern_id=uuid4(), reference=reference, destination=Destination.REPORTER,
        purpose=NotificationPurpose.RECEIPT_CONFIRMATION, priority="P0", acute=False, age_bands=[],
        flags=[ORIENTATION_TO_FOLLOW] if orientation else [], infohus_case_id=uuid4(), underretning_id=uuid4(),
        recipient_address=address, received_at=RECEIVED)


def text_of(message: EmailMessage) -> str:
    return "\n".join(str(part.get_content()) for part in message.walk() if not part.is_multipart())


async def test_the_receipt_is_mailed_to_the_reporter_address_in_danish_and_without_content(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest],
        notify_db: dict[str, str | None]) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port, database=notify_db).start(broker=False)
    request = receipt()
    await notify.deliver_directly(wrap(request))
    await notify.deliver_directly(wrap(request))  # asked twice: mailed once
    await eventually(lambda: notify.state_is(request.notification_id, State.SENT))

    [mail] = relay.messages()
    assert str(mail["To"]) == REPORTER and not to(relay.messages(), UND) and not to(relay.messages(), TK)
    assert str(mail["Subject"]) == "Kvittering for din underretning · IH-2026-7K3M-Q9PX"
    body = text_of(mail)
    assert "Ishøj Kommune (StraXen, Center for Børn og Forebyggelse)" in body
    assert "03.03.2026 kl. 10:05" in body and "IH-2026-7K3M-Q9PX" in body and "43 57 75 78" in body
    assert "børnefaglig undersøgelse" in body and "§ 138, stk. 2" in body
    assert "http" not in body and "P0" not in body and "AKUT" not in body  # no link, no assessment
    assert mail["X-Infohus-Priority"] is None and mail["X-Infohus-Trace-Id"] is None
    [sent] = await notify.outbox("NotificationSent")
    assert sent["destination"] == "REPORTER" and sent["recipient"] == REPORTER
    statuses = [(s["purpose"], s["status"]) for s in await notify.outbox("DeliveryStatusChanged")]
    assert statuses == [("RECEIPT_CONFIRMATION", "QUEUED"), ("RECEIPT_CONFIRMATION", "SENT")]


async def test_a_refused_receipt_is_dead_lettered_and_ops_are_told_without_the_address(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port).start(broker=False)
    relay.recipient_faults[REPORTER.casefold()] = (550, "5.1.1 user unknown")
    request = receipt()
    await notify.deliver_directly(wrap(request))
    await eventually(lambda: notify.state_is(request.notification_id, State.DEAD_LETTERED))
    [alert] = await eventually(lambda: _mails_to(relay, OPS))
    assert "IH-2026-7K3M-Q9PX" in str(alert["Subject"])
    assert REPORTER.casefold() not in alert.as_string().casefold()
    [dead] = await notify.outbox("NotificationDeadLettered")
    assert dead["purpose"] == "RECEIPT_CONFIRMATION" and REPORTER not in dead["reason"]


async def _mails_to(relay: LocalMailbox, address: str) -> list[EmailMessage]:
    return to(relay.messages(), address)


async def test_the_watchdog_sends_a_lost_receipt_to_the_reporter(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    lost = receipt()
    stand_in = routing_stand_in([(datetime.now(UTC) - timedelta(minutes=10), lost)])
    notify = await make_notify(smtp_port=mailbox.smtp_port, expected=expected_from(stand_in),
                               watchdog_missing_after_s=60).start(broker=False)
    assert (await notify.container.watchdog.run_once()).missing == 1
    found = await eventually(lambda: notify.state_is(lost.notification_id, State.SENT))
    assert found.origin == "WATCHDOG" and found.recipient == REPORTER
    assert str((await eventually(lambda: _mails_to(mailbox, REPORTER)))[0]["Subject"]).startswith("Kvittering")


def test_sender_and_phone_come_from_configuration_and_orientation_only_when_relevant() -> None:
    from_file = " ".join(request_delivery(receipt(), NotifySettings(), origin=Origin.REQUEST).content.paragraphs)
    assert "Ishøj Kommune (StraXen" in from_file and "43 57 75 78" in from_file  # config/municipalities/ishoj.toml
    settings = NotifySettings(receipt_municipality_name="Testby Kommune", receipt_phone="11 22 33 44")
    content = request_delivery(receipt(orientation=False), settings, origin=Origin.REQUEST).content
    text = " ".join(content.paragraphs)
    assert "Testby Kommune (StraXen" in text and "11 22 33 44" in text and "Ishøj" not in text
    assert "§ 138, stk. 2" not in text and content.link == ""


def test_links_open_the_workspace_page_of_the_underretning_or_the_case() -> None:
    und, case = uuid4(), uuid4()
    base = "https://infohus.ishoj.dk/"
    assert case_link(base, destination="UNDERRETNING", underretning_id=und, infohus_case_id=case,
                     reference="IH-1") == f"https://infohus.ishoj.dk/underretninger/{und}"
    assert case_link(base, destination="INFOHUS_TK", underretning_id=und, infohus_case_id=case,
                     reference="IH-1") == f"https://infohus.ishoj.dk/sager/{case}"
    assert case_link(base, destination="UNDERRETNING", underretning_id=None, infohus_case_id=None,
                     reference="IH 1/2") == "https://infohus.ishoj.dk/sager?reference=IH%201%2F2"


async def test_the_underretning_mail_links_to_the_underretning_and_the_tk_mail_to_the_case(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=mailbox.smtp_port).start(broker=False)
    tk = notification(Destination.INFOHUS_TK, reference="IH-2026-005050")
    und = notification(Destination.UNDERRETNING, concern_id=tk.concern_id, reference="IH-2026-005050"
                       ).model_copy(update={"underretning_id": uuid4(), "infohus_case_id": tk.infohus_case_id})
    for request in (tk, und):
        await notify.deliver_directly(wrap(request))
    [to_und] = await eventually(lambda: _mails_to(mailbox, UND))
    [to_tk] = await eventually(lambda: _mails_to(mailbox, TK))
    assert f"https://infohus.test/underretninger/{und.underretning_id}" in text_of(to_und)
    assert f"https://infohus.test/sager/{tk.infohus_case_id}" in text_of(to_tk)
    assert "/sager/" not in text_of(to_und)
