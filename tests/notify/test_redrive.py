"""Re-driving dead letters after ops fixed the fault: over HTTP (administrators only) and from the CLI,
against the real SMTP server. Exactly one mail after the fix; never a second one for a SENT notification."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from contracts.events import Destination
from devtools.auth_testing import FakeIdentityProvider, authorization_cases
from infohus.kit import migrations
from infohus.kit.auth import Role
from services.notify.domain.delivery import State
from services.notify.entrypoints import cli
from services.notify.entrypoints.http import create_app
from services.notify.service_layer.redrive import redrive
from tests.notify.conftest import (
    ADMIN_USER,
    OPS,
    TK,
    NotifyUnderTest,
    RecipientFaultMailbox,
    http_client,
    notification,
    signed_in,
    to,
    wrap,
)
from tests.waiting import eventually

REFUSED = (550, "5.1.1 Mailbox unavailable")


async def dead_lettered(notify: NotifyUnderTest, relay: RecipientFaultMailbox, *,
                        destination: Destination = Destination.INFOHUS_TK) -> Any:
    """A notification the relay refused with a 5xx (and the ops alert about it, delivered)."""
    request = wrap(notification(destination))
    await notify.deliver_directly(request)
    dead = await eventually(lambda: notify.state_is(request.payload.notification_id, State.DEAD_LETTERED))
    assert "550" in dead.last_error
    return dead


async def cli_redrive(notify: NotifyUnderTest, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    out = io.StringIO()
    code = await cli.run_async(parser.parse_args(["redrive", *argv]), notify.settings, out)
    return code, out.getvalue()


async def test_after_the_fix_a_redrive_sends_exactly_one_mail(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest],
        notify_db: dict[str, str | None], idp: FakeIdentityProvider) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port, database=notify_db).start(broker=False)
    relay.recipient_faults[TK.casefold()] = REFUSED
    dead = await dead_lettered(notify, relay)
    (alert,) = to(await relay.wait_for(1), OPS)
    assert dead.reference in str(alert["Subject"])
    relay.recipient_faults.clear()  # ops fix the mailbox

    async with http_client(notify, idp) as client:
        response = await client.post(f"/api/v1/deliveries/{dead.notification_id}/redrive",
                                     headers=signed_in(idp, Role.ADMINISTRATOR, ADMIN_USER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "REDRIVEN" and body["reference"] == dead.reference and "550" in body["reason"]
    assert TK not in response.text

    sent = await eventually(lambda: notify.state_is(dead.notification_id, State.SENT))
    assert sent.attempts == 1 and sent.message_id == dead.message_id  # a fresh budget, the same Message-ID
    assert sent.redrive_count == 1 and sent.redriven_by == ADMIN_USER
    assert await notify.container.worker.run_once() is False  # nothing left to send
    mails = relay.messages()
    (mail,) = to(mails, TK)
    assert mail["Message-ID"] == dead.message_id and len(mails) == 2  # the mail and the one alert

    statuses = [(s["status"], s["detail"], s["attempt"]) for s in await notify.outbox("DeliveryStatusChanged")
                if s["notification_id"] == str(dead.notification_id)]
    assert [s[0] for s in statuses] == ["QUEUED", "DEAD_LETTERED", "QUEUED", "SENT"]
    assert statuses[2] == ("QUEUED", "sendes igen efter fejlrettelse", 0)
    assert len(await notify.outbox("NotificationSent")) == 2  # the mail and the alert
    async with notify.container.unit_of_work() as uow:
        (record,) = await uow.deliveries.redrives(dead.notification_id)
    assert (record.redriven_by, record.via, record.previous_attempts) == (ADMIN_USER, "HTTP", 1)
    assert record.previous_error is not None and "550" in record.previous_error


async def test_a_redrive_of_a_sent_notification_is_refused_and_sends_nothing(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest],
        notify_db: dict[str, str | None], idp: FakeIdentityProvider) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port, database=notify_db).start(broker=False)
    request = wrap(notification(Destination.INFOHUS_TK))
    await notify.deliver_directly(request)
    sent = await eventually(lambda: notify.state_is(request.payload.notification_id, State.SENT))

    async with http_client(notify, idp) as client:
        response = await client.post(f"/api/v1/deliveries/{sent.notification_id}/redrive",
                                     headers=signed_in(idp, Role.ADMINISTRATOR))
    assert response.status_code == 409, response.text
    assert response.json()["outcome"] == "ALREADY_SENT"
    assert "allerede modtaget" in response.json()["message_da"] and "second mail" in response.json()["message_en"]
    code, output = await cli_redrive(notify, "--notification-id", str(sent.notification_id))
    assert code == 1 and "ALREADY_SENT" in output and "0 of 1 re-driven" in output

    assert await notify.container.worker.run_once() is False
    after = await notify.delivery(sent.notification_id)
    assert after == sent  # not a column changed
    assert len(relay.files()) == 1
    statuses = [s["status"] for s in await notify.outbox("DeliveryStatusChanged")]
    assert statuses == ["QUEUED", "SENT"]


async def test_a_dry_run_lists_what_would_be_sent_and_changes_nothing(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest],
        notify_db: dict[str, str | None], idp: FakeIdentityProvider) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port, database=notify_db, mailbox_ooh=None).start(broker=False)
    relay.recipient_faults[TK.casefold()] = REFUSED
    dead = await dead_lettered(notify, relay)
    unmailable = wrap(notification(Destination.OOH_ESCALATION))  # no mailbox configured: dead-lettered at once
    await notify.deliver_directly(unmailable)
    await relay.wait_for(2)  # both ops alerts
    await eventually(lambda: _all_settled(notify))
    relay.recipient_faults.clear()
    before = await notify.all_deliveries()
    events_before = len(await notify.outbox("DeliveryStatusChanged"))

    code, output = await cli_redrive(notify, "--all", "--dry-run", "--json")
    results = {r["notification_id"]: r for r in json.loads(output)}
    assert code == 1  # one of them cannot be re-driven
    assert results[str(dead.notification_id)]["outcome"] == "WOULD_REDRIVE"
    assert results[str(dead.notification_id)]["reference"] == dead.reference
    assert results[str(dead.notification_id)]["destination"] == "INFOHUS_TK"
    assert "550" in results[str(dead.notification_id)]["reason"]
    assert results[str(unmailable.payload.notification_id)]["outcome"] == "NO_MAILBOX"
    assert TK not in output and OPS not in output and "recipient" not in output

    code, text = await cli_redrive(notify, "--since", (dead.dead_lettered_at - timedelta(seconds=1)).isoformat(),
                                   "--dry-run")
    assert f"WOULD_REDRIVE     {dead.notification_id} {dead.reference} INFOHUS_TK" in text
    assert "(dry run, nothing changed)" in text
    async with http_client(notify, idp) as client:
        response = await client.post(f"/api/v1/deliveries/{dead.notification_id}/redrive",
                                     params={"dry_run": "true"}, headers=signed_in(idp, Role.ADMINISTRATOR))
    assert response.status_code == 200 and response.json()["outcome"] == "WOULD_REDRIVE"

    assert await notify.container.worker.run_once() is False
    assert sorted(await notify.all_deliveries(), key=str) == sorted(before, key=str)
    assert len(await notify.outbox("DeliveryStatusChanged")) == events_before
    assert to(relay.messages(), TK) == []
    async with notify.container.unit_of_work() as uow:
        assert await uow.deliveries.redrives(dead.notification_id) == []


async def test_the_cli_redrives_everything_dead_lettered_since_a_time(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port).start(broker=False)
    relay.recipient_faults[TK.casefold()] = REFUSED
    first = await dead_lettered(notify, relay)
    second = await dead_lettered(notify, relay)
    await relay.wait_for(2)
    relay.recipient_faults.clear()

    since = min(first.dead_lettered_at, second.dead_lettered_at)
    code, output = await cli_redrive(notify, "--since", since.isoformat(), "--by", "ops-42")
    assert code == 0 and "2 of 2 re-driven" in output
    for dead in (first, second):
        sent = await eventually(lambda d=dead: notify.state_is(d.notification_id, State.SENT))
        assert sent.redriven_by == "ops-42" and sent.message_id == dead.message_id
    assert await notify.container.worker.run_once() is False
    assert sorted(m["Message-ID"] for m in to(relay.messages(), TK)) == sorted([first.message_id, second.message_id])

    code, output = await cli_redrive(notify, "--all")
    assert code == 2 and "no dead-lettered deliveries" in output


async def test_a_redrive_that_fails_again_dead_letters_again_with_a_new_alert(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest], idp: FakeIdentityProvider) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port).start(broker=False)
    relay.recipient_faults[TK.casefold()] = REFUSED
    dead = await dead_lettered(notify, relay)
    await relay.wait_for(1)
    async with http_client(notify, idp) as client:  # the fix did not work
        admin = signed_in(idp, Role.ADMINISTRATOR)
        path = f"/api/v1/deliveries/{dead.notification_id}/redrive"
        assert (await client.post(path, headers=admin)).status_code == 200
        again = await eventually(lambda: _redriven_and_dead(notify, dead.notification_id))
        assert again.attempts == 1
        assert len(to(await relay.wait_for(2), OPS)) == 2  # ops hear of the second failure too
        relay.recipient_faults.clear()
        assert (await client.post(path, headers=admin)).status_code == 200
    sent = await eventually(lambda: notify.state_is(dead.notification_id, State.SENT))
    assert sent.redrive_count == 2
    assert await notify.container.worker.run_once() is False
    assert len(to(relay.messages(), TK)) == 1
    events = await notify.outbox("NotificationDeadLettered")
    assert [e["notification_id"] for e in events] == [str(dead.notification_id)] * 2


async def _redriven_and_dead(notify: NotifyUnderTest, notification_id: UUID) -> Any:
    found = await notify.delivery(notification_id)
    return found if found and found.redrive_count == 1 and found.state == State.DEAD_LETTERED else None


async def test_the_overdue_clock_restarts_at_a_redrive(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    clock = [datetime(2026, 11, 24, 8, 0, tzinfo=UTC)]
    notify = make_notify(smtp_port=relay.smtp_port, now=lambda: clock[0], watchdog_deliver_within_s=900)
    await notify.container.runtime.migrate()  # driven by hand: no worker, no watchdog task
    relay.recipient_faults[TK.casefold()] = REFUSED
    request = wrap(notification(Destination.INFOHUS_TK))
    await notify.deliver_directly(request)
    assert await notify.container.worker.run_once() is True
    assert await notify.state_is(request.payload.notification_id, State.DEAD_LETTERED)

    clock[0] += timedelta(days=1)
    result = await redrive(notify.container.unit_of_work, request.payload.notification_id, by="ops-1", via="CLI",
                           settings=notify.settings, now=clock[0])
    assert result.ok
    assert (await notify.container.watchdog.run_once()).overdue == 0  # recorded a day ago, re-driven just now
    clock[0] += timedelta(seconds=901)
    assert (await notify.container.watchdog.run_once()).overdue == 1


async def test_the_list_shows_counts_per_state_and_no_addresses(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest], idp: FakeIdentityProvider) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port).start(broker=False)
    relay.recipient_faults[TK.casefold()] = REFUSED
    dead = await dead_lettered(notify, relay)
    ok = wrap(notification(Destination.UNDERRETNING))
    await notify.deliver_directly(ok)
    await eventually(lambda: notify.state_is(ok.payload.notification_id, State.SENT))
    await relay.wait_for(2)
    await eventually(lambda: _all_settled(notify))

    async with http_client(notify, idp) as client:
        admin = signed_in(idp, Role.ADMINISTRATOR)
        listed = await client.get("/api/v1/deliveries", params={"state": "DEAD_LETTERED"}, headers=admin)
        everything = await client.get("/api/v1/deliveries", headers=admin)
        wrong = await client.get("/api/v1/deliveries", params={"state": "LOST"}, headers=admin)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [i["notification_id"] for i in body["items"]] == [str(dead.notification_id)]
    assert body["counts"] == {"PENDING": 0, "SENDING": 0, "SENT": 2, "DEAD_LETTERED": 1, "UNCERTAIN": 0}
    assert body["total"] == 3 and len(everything.json()["items"]) == 3  # the mail, the alert, the dead letter
    assert "@ishoj.dk\"" not in everything.text and TK not in everything.text and OPS not in everything.text
    assert wrong.status_code == 422


async def _all_settled(notify: NotifyUnderTest) -> bool:
    return all(d.state in (State.SENT, State.DEAD_LETTERED) for d in await notify.all_deliveries())


# --- who may -------------------------------------------------------------------------------------------


async def test_only_an_administrator_may_list_or_redrive(
        make_notify: Callable[..., NotifyUnderTest], idp: FakeIdentityProvider) -> None:
    notify = make_notify(smtp_port=1)
    await notify.container.runtime.migrate()
    app = create_app(notify.container, manage_runtime=False, auth=idp.settings(), jwks_fetcher=idp.fetch)
    cases = [c for c in authorization_cases(app) if c.path.startswith("/api/v1/deliveries")]
    assert {(c.method, c.rule.path) for c in cases} == {
        ("GET", "/api/v1/deliveries"), ("POST", "/api/v1/deliveries/{notification_id}/redrive")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://notify.test") as client:
        for case in cases:
            response = await client.request(case.method, case.path, headers=signed_in(idp, case.role))
            case.check(response.status_code)
            expected = {None: 401, Role.ADMINISTRATOR: 404 if case.method == "POST" else 200}.get(case.role, 403)
            assert response.status_code == expected, case.id
        unknown = await client.post(f"/api/v1/deliveries/{uuid4()}/redrive", headers=signed_in(idp, Role.ADMINISTRATOR))
    assert unknown.json()["outcome"] == "NOT_FOUND"


def test_infohus_notify_redrive_is_a_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from infohus.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path}/notify.db"
    migrations.upgrade("notify", url, None)
    monkeypatch.setenv("INFOHUS_ENVIRONMENT", "test")
    monkeypatch.setenv("INFOHUS_NOTIFY_DATABASE_URL", url)
    assert main(["notify", "redrive", "--all", "--dry-run"]) == 2
    assert "no dead-lettered deliveries selected" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["notify", "redrive", "--since", "2026-11-24T08:00:00"])  # a time without its offset is refused
    assert "offset" in capsys.readouterr().err
