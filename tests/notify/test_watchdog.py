"""The delivery watchdog: a request the broker lost is sent, and a late delivery raises an alert and is driven again."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Form, Header, Query
from fastapi.responses import JSONResponse

from contracts.events import Destination, NotificationRequested
from devtools.devstack.mailbox import LocalMailbox
from infohus.kit.auth.settings import AuthMode, AuthSettings
from infohus.kit.settings import Environment
from services.notify.adapters.expected import RoutingExpectedNotifications
from services.notify.adapters.repository import DeliveryRepository
from services.notify.adapters.routing_credentials import (
    ClientCredentials,
    DevelopmentServiceToken,
    ServiceTokenUnavailable,
    StaticToken,
    TokenSource,
    routing_token_source,
)
from services.notify.domain.delivery import State
from services.notify.service_layer.watchdog import WatchdogRound
from services.notify.settings import NotifySettings
from tests.notify.conftest import OPS, TK, UND, NotifyUnderTest, notification, to, wrap
from tests.waiting import eventually

SERVICE_TOKEN = "notify-service-token"
"""The bearer token routing's stand-in admits (routing admits only notify's service identity)."""


def routing_stand_in(requested: list[tuple[datetime, NotificationRequested]],
                     asked: list[tuple[datetime, datetime]] | None = None,
                     failures: list[int] | None = None, token: str = SERVICE_TOKEN) -> FastAPI:
    """Routing's side of the expected-notifications contract (services/notify/adapters/expected.py),
    one item per page so the client has to follow the cursor, to a caller bearing ``token`` only. Each window
    a first page was asked for is appended to ``asked``; while ``failures`` holds a status code, the next
    request gets it."""
    app = FastAPI()

    @app.get("/api/v1/notifications/requested")
    def requested_between(start: Annotated[datetime, Query(alias="from")], end: Annotated[datetime, Query(alias="to")],
                          authorization: Annotated[str | None, Header()] = None, cursor: int = 0) -> Any:
        if authorization != f"Bearer {token}":
            return JSONResponse(status_code=401, content={})
        if failures:
            return JSONResponse(status_code=failures.pop(0), content={})
        if asked is not None and cursor == 0:
            asked.append((start, end))
        items = [{"requested_at": at.isoformat(), "notification": n.model_dump(mode="json")}
                 for at, n in requested if start <= at < end]
        return {"items": items[cursor:cursor + 1], "next_cursor": str(cursor + 1) if cursor + 1 < len(items) else None}

    return app


SERVICE_CREDENTIALS = StaticToken(SERVICE_TOKEN)


def expected_from(stand_in: FastAPI, token: TokenSource | None = SERVICE_CREDENTIALS) -> RoutingExpectedNotifications:
    return RoutingExpectedNotifications("http://routing.test", token=token, client=lambda: httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stand_in), base_url="http://routing.test"))


def token_endpoint(issued: list[str], *, expires_in: int = 300) -> FastAPI:
    """An identity provider's token endpoint for notify's client (client credentials, client_secret_basic)."""
    app = FastAPI()

    @app.post("/token")
    def token(grant_type: Annotated[str, Form()], authorization: Annotated[str, Header()]) -> Any:
        basic = "Basic " + base64.b64encode(b"infohus-notify:hemmelig").decode()
        if grant_type != "client_credentials" or authorization != basic:
            return JSONResponse(status_code=401, content={"error": "invalid_client"})
        issued.append(f"cc-token-{len(issued) + 1}")
        return {"access_token": issued[-1], "token_type": "Bearer", "expires_in": expires_in}

    return app


async def test_the_watchdog_signs_in_to_routing_with_client_credentials_and_keeps_the_token() -> None:
    now = datetime.now(UTC)
    requested = [(now - timedelta(minutes=10, seconds=i), notification(Destination.INFOHUS_TK)) for i in range(3)]
    issued: list[str] = []
    idp = token_endpoint(issued)
    credentials = ClientCredentials("http://idp.test/token", "infohus-notify", "hemmelig",
                                    client=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=idp)))
    expected = expected_from(routing_stand_in(requested, token="cc-token-1"), token=credentials)
    pages = [page async for page in expected.pages_between(now - timedelta(hours=1), now)]
    assert len(pages) == 3 and issued == ["cc-token-1"]  # one token for the whole round, cached

    wrong = ClientCredentials("http://idp.test/token", "infohus-notify", "forkert",
                              client=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=idp)))
    with pytest.raises(ServiceTokenUnavailable, match="401"):
        await wrong()


async def test_without_its_service_token_the_watchdog_is_refused_and_sends_nothing() -> None:
    now = datetime.now(UTC)
    stand_in = routing_stand_in([(now - timedelta(minutes=10), notification(Destination.INFOHUS_TK))])
    with pytest.raises(httpx.HTTPStatusError, match="401"):
        _ = [page async for page in expected_from(stand_in, token=None).pages_between(now - timedelta(hours=1), now)]


def rounds_from_now_on(notify: NotifyUnderTest, monkeypatch: pytest.MonkeyPatch) -> list[WatchdogRound]:
    """Each round the running watchdog completes from now on, appended as it ends."""
    rounds: list[WatchdogRound] = []
    run_once = notify.container.watchdog.run_once

    async def counted() -> WatchdogRound:
        rounds.append(await run_once())
        return rounds[-1]

    monkeypatch.setattr(notify.container.watchdog, "run_once", counted)
    return rounds


async def more_rounds(rounds: list[WatchdogRound], notify: NotifyUnderTest) -> None:
    """Two whole rounds more (three ends: the first may be of a round already under way), and whatever
    they queued sent."""
    ended = len(rounds)
    await eventually(lambda: len(rounds) >= ended + 3)
    await eventually(notify.settled)


async def test_the_watchdog_sends_a_request_the_broker_lost_once_and_alerts(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest], monkeypatch: pytest.MonkeyPatch) -> None:
    tk = notification(Destination.INFOHUS_TK, reference="IH-2026-004040")
    lost = notification(Destination.UNDERRETNING, concern_id=tk.concern_id, reference="IH-2026-004040")
    too_recent = notification(Destination.UNDERRETNING, reference="IH-2026-004041")  # may still be in transit
    now = datetime.now(UTC)
    stand_in = routing_stand_in([(now - timedelta(minutes=10), tk), (now - timedelta(minutes=10), lost),
                                 (now + timedelta(minutes=5), too_recent)])
    expected = expected_from(stand_in)
    notify = await make_notify(smtp_port=mailbox.smtp_port, expected=expected, watchdog_interval_s=0.2,
                               watchdog_missing_after_s=60).start(broker=False)
    rounds = rounds_from_now_on(notify, monkeypatch)
    await notify.deliver_directly(wrap(tk))  # the one the broker did deliver

    found = await eventually(lambda: notify.state_is(lost.notification_id, State.SENT))
    assert found.origin == "WATCHDOG"
    await more_rounds(rounds, notify)  # nothing more may happen
    mails = mailbox.messages()
    assert len(to(mails, TK)) == 1 and len(to(mails, UND)) == 1 and len(to(mails, OPS)) == 1
    (alert,) = to(mails, OPS)
    assert "manglede" in str(alert["Subject"]) and "IH-2026-004040" in str(alert["Subject"])
    assert await notify.delivery(too_recent.notification_id) is None
    round_ = await notify.container.watchdog.run_once()
    assert round_.missing == 0


async def test_a_late_delivery_raises_one_alert_and_is_driven_again_at_once(
        tmp_path: Path, make_notify: Callable[..., NotifyUnderTest], monkeypatch: pytest.MonkeyPatch) -> None:
    box = LocalMailbox(tmp_path / "mail")
    await box.start()
    port = box.smtp_port
    await box.stop()  # the relay is down
    # After a failure the next attempt would come 20-40 s later: only the watchdog can bring it sooner.
    notify = await make_notify(smtp_port=port, retry_initial_backoff_s=40.0, retry_max_backoff_s=40.0,
                               watchdog_deliver_within_s=1.5, watchdog_interval_s=0.3).start(broker=False)
    rounds = rounds_from_now_on(notify, monkeypatch)
    request = wrap(notification(Destination.INFOHUS_TK, reference="IH-2026-001500"))
    await notify.deliver_directly(request)
    failed = await eventually(lambda: _failed_once(notify, request.payload.notification_id))
    assert failed.next_attempt_at > datetime.now(UTC) + timedelta(seconds=15)

    back = LocalMailbox(tmp_path / "mail", smtp_port=port)
    await back.start()
    try:
        sent = await eventually(lambda: notify.state_is(request.payload.notification_id, State.SENT), within=10)
        assert sent.overdue_alerted_at is not None and sent.attempts == 2
        mails = await back.wait_for(2, timeout=10)
        await more_rounds(rounds, notify)  # no second alert, no second mail
        assert len(to(back.messages(), TK)) == 1
        (alert,) = to(back.messages(), OPS)
        assert "forsinket" in str(alert["Subject"]) and "IH-2026-001500" in str(alert["Subject"])
        assert "CONNECT" in alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        overdue = [s for s in await notify.outbox("DeliveryStatusChanged") if s["status"] == "OVERDUE"]
        assert len(overdue) == 1 and len(mails) == 2
    finally:
        await back.stop()


async def _failed_once(notify: NotifyUnderTest, notification_id: Any) -> Any:
    found = await notify.delivery(notification_id)
    return found if found and found.state == State.PENDING and found.attempts == 1 else None


async def test_a_request_stored_by_the_consumer_while_the_watchdog_looks_does_not_fail_the_round(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest], monkeypatch: pytest.MonkeyPatch) -> None:
    raced = notification(Destination.INFOHUS_TK, reference="IH-2026-004050")
    lost = notification(Destination.UNDERRETNING, reference="IH-2026-004051")
    now = datetime.now(UTC)
    stand_in = routing_stand_in([(now - timedelta(minutes=10), raced), (now - timedelta(minutes=10), lost)])
    expected = expected_from(stand_in)
    notify = await make_notify(smtp_port=mailbox.smtp_port, expected=expected, watchdog_interval_s=3600,
                               watchdog_missing_after_s=60).start(broker=False)
    await notify.deliver_directly(wrap(raced))
    # As if the consumer committed ``raced`` just after the watchdog's two looks found nothing.
    existing_ids, get = DeliveryRepository.existing_ids, DeliveryRepository.get

    async def not_yet_seen(self: DeliveryRepository, ids: Any) -> set[Any]:
        return await existing_ids(self, ids) - {raced.notification_id}

    async def not_yet_there(self: DeliveryRepository, notification_id: Any) -> Any:
        return None if notification_id == raced.notification_id else await get(self, notification_id)

    monkeypatch.setattr(DeliveryRepository, "existing_ids", not_yet_seen)
    monkeypatch.setattr(DeliveryRepository, "get", not_yet_there)
    round_ = await notify.container.watchdog.run_once()
    monkeypatch.undo()

    assert round_.missing == 1  # ``lost``, found in the same round; ``raced`` was skipped, not an error
    found = await eventually(lambda: notify.state_is(lost.notification_id, State.SENT))
    assert found.origin == "WATCHDOG"
    assert (await notify.delivery(raced.notification_id)).origin != "WATCHDOG"
    await eventually(lambda: notify.state_is(raced.notification_id, State.SENT))
    assert len(to(mailbox.messages(), TK)) == 1


async def test_each_round_asks_routing_only_for_what_it_requested_since_the_last_round(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    clock = [datetime.now(UTC)]
    start = clock[0]
    requested: list[tuple[datetime, NotificationRequested]] = []
    asked: list[tuple[datetime, datetime]] = []
    notify = await make_notify(smtp_port=mailbox.smtp_port, expected=expected_from(routing_stand_in(requested, asked)),
                               now=lambda: clock[0], watchdog_interval_s=3600, watchdog_missing_after_s=60,
                               watchdog_lookback_s=7 * 24 * 3600).start(broker=False)
    assert (await notify.container.watchdog.run_once()).missing == 0
    # Committed by routing only now, though stamped before the end of the window just checked.
    late = notification(Destination.INFOHUS_TK, reference="IH-2026-004060")
    requested.append((start - timedelta(seconds=70), late))
    clock[0] = start + timedelta(seconds=30)

    assert (await notify.container.watchdog.run_once()).missing == 1
    assert asked == [(start - timedelta(days=7), start - timedelta(seconds=60)),
                     (start - timedelta(seconds=120), start - timedelta(seconds=30))]
    found = await eventually(lambda: notify.state_is(late.notification_id, State.SENT))
    assert found.origin == "WATCHDOG"


async def test_after_a_failed_round_the_next_looks_again_from_the_last_complete_one(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    clock = [datetime.now(UTC)]
    start = clock[0]
    lost = notification(Destination.UNDERRETNING, reference="IH-2026-004070")
    asked: list[tuple[datetime, datetime]] = []
    failures = [503]
    stand_in = routing_stand_in([(start - timedelta(hours=30), lost)], asked, failures)
    notify = await make_notify(smtp_port=mailbox.smtp_port, expected=expected_from(stand_in), now=lambda: clock[0],
                               watchdog_interval_s=3600, watchdog_missing_after_s=60).start(broker=False)
    with pytest.raises(httpx.HTTPStatusError):
        await notify.container.watchdog.run_once()
    clock[0] = start + timedelta(seconds=30)

    assert (await notify.container.watchdog.run_once()).missing == 1
    assert asked == [(start + timedelta(seconds=30) - timedelta(days=7), start - timedelta(seconds=30))]


async def test_the_watchdog_reads_every_page_routing_has_one_page_at_a_time() -> None:
    now = datetime.now(UTC)
    requested = [(now - timedelta(minutes=10, seconds=i), notification(Destination.INFOHUS_TK)) for i in range(150)]
    expected = expected_from(routing_stand_in(requested))
    pages = [page async for page in expected.pages_between(now - timedelta(hours=1), now)]
    assert len(pages) == 150 and all(len(page) == 1 for page in pages)  # no cap: a lost request past it stays lost
    assert {p[0].notification.notification_id for p in pages} == {n.notification_id for _, n in requested}


def test_where_the_watchdogs_token_comes_from() -> None:
    oidc = AuthSettings(environment=Environment.TEST, mode=AuthMode.OIDC)
    development = AuthSettings(environment=Environment.DEVELOPMENT, mode=AuthMode.DEVELOPMENT)
    client = {"routing_token_url": "https://idp.test/token", "routing_client_id": "infohus-notify",
              "routing_client_secret": "hemmelig"}
    assert isinstance(routing_token_source(NotifySettings(environment="test", **client), oidc), ClientCredentials)
    assert isinstance(routing_token_source(NotifySettings(environment="test", routing_token="t"), oidc), StaticToken)
    assert isinstance(routing_token_source(NotifySettings(environment="test"), development), DevelopmentServiceToken)
    assert routing_token_source(NotifySettings(environment="test", routing_url="http://r"), oidc) is None
    with pytest.raises(ValueError, match="together"):
        NotifySettings(environment="test", routing_client_id="infohus-notify")
