"""SMTP against a real server on loopback: STARTTLS with a generated certificate, AUTH, and refusals
that keep a mail from ever travelling in clear text or to an unverified server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from contracts.events import Destination
from devtools.devstack.mailbox import LocalMailbox, make_self_signed_cert, make_server_tls_context
from services.notify.domain.delivery import State
from tests.notify.conftest import TK, NotifyUnderTest, to, wrap
from tests.waiting import eventually

USERS = {"infohus-relay": "korrekt-hest-batteri-klips"}


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    return make_self_signed_cert(tmp_path / "tls")


@pytest.fixture
async def tls_mailbox(tmp_path: Path, cert: tuple[Path, Path]) -> AsyncIterator[LocalMailbox]:
    """Requires STARTTLS before anything else, and AUTH (offered only over TLS) before MAIL."""
    box = LocalMailbox(tmp_path / "mail", tls_context=make_server_tls_context(*cert), require_starttls=True,
                       auth_users=USERS)
    await box.start()
    yield box
    await box.stop()


async def test_starttls_required_with_a_verified_certificate_and_auth(
        tls_mailbox: LocalMailbox, cert: tuple[Path, Path], make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=tls_mailbox.smtp_port, smtp_starttls="required", smtp_validate_certs=True,
                               smtp_ca_file=cert[0], smtp_username="infohus-relay",
                               smtp_password="korrekt-hest-batteri-klips").start(broker=False)
    request = wrap(_tk())
    await notify.deliver_directly(request)

    (mail,) = await tls_mailbox.wait_for(1, timeout=10)
    sent = await eventually(lambda: notify.state_is(request.payload.notification_id, State.SENT))
    assert mail["To"] == TK and mail["Message-ID"] == sent.message_id  # the Message-ID is recorded
    assert sent.message_id == f"<{request.payload.notification_id}@ishoj.dk>"
    assert sent.smtp_reply.startswith("250") and sent.attempts == 1
    (confirmation,) = await notify.outbox("NotificationSent")
    assert confirmation["message_id"] == sent.message_id and confirmation["recipient"] == TK


@pytest.mark.parametrize(("overrides", "stage"), [
    ({"smtp_username": "infohus-relay", "smtp_password": "forkert"}, "AUTH"),  # wrong password
    ({"smtp_username": "infohus-relay", "smtp_password": "korrekt-hest-batteri-klips"}, "TLS"),  # CA not trusted
])
async def test_no_mail_without_verified_tls_and_accepted_credentials(
        tls_mailbox: LocalMailbox, cert: tuple[Path, Path], make_notify: Callable[..., NotifyUnderTest],
        overrides: dict[str, Any], stage: str) -> None:
    trusted = {"smtp_ca_file": cert[0]} if stage != "TLS" else {}
    notify = await make_notify(smtp_port=tls_mailbox.smtp_port, smtp_starttls="required", **trusted,
                               **overrides).start(broker=False)
    request = wrap(_tk())
    await notify.deliver_directly(request)

    async def failed_twice() -> Any:
        found = await notify.delivery(request.payload.notification_id)
        return found if found and found.attempts >= 2 and found.state == State.PENDING else None

    delivery = await eventually(failed_twice)
    assert stage in delivery.last_error, delivery.last_error
    assert tls_mailbox.files() == []  # retried (a person fixes configuration), never sent


async def test_required_starttls_never_falls_back_to_clear_text(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    """A server (or a man in the middle) that offers no STARTTLS gets no mail."""
    notify = await make_notify(smtp_port=mailbox.smtp_port, smtp_starttls="required").start(broker=False)
    request = wrap(_tk())
    await notify.deliver_directly(request)
    delivery = await eventually(lambda: _attempted(notify, request.payload.notification_id, 2))
    assert delivery.last_error.startswith("TLS") and "STARTTLS" in delivery.last_error
    assert mailbox.files() == []


async def test_auth_is_never_sent_without_tls(tmp_path: Path, make_notify: Callable[..., NotifyUnderTest]) -> None:
    box = LocalMailbox(tmp_path / "plain", auth_users=USERS, auth_require_tls=False)
    await box.start()
    try:
        notify = await make_notify(smtp_port=box.smtp_port, smtp_starttls="off", smtp_username="infohus-relay",
                                   smtp_password="korrekt-hest-batteri-klips").start(broker=False)
        request = wrap(_tk())
        await notify.deliver_directly(request)
        delivery = await eventually(lambda: _attempted(notify, request.payload.notification_id, 1))
        assert "AUTH uden TLS" in delivery.last_error
        assert box.files() == []
    finally:
        await box.stop()


async def test_opportunistic_starttls_uses_tls_when_offered(
        tls_mailbox: LocalMailbox, cert: tuple[Path, Path], make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=tls_mailbox.smtp_port, smtp_starttls="opportunistic", smtp_ca_file=cert[0],
                               smtp_username="infohus-relay",
                               smtp_password="korrekt-hest-batteri-klips").start(broker=False)
    request = wrap(_tk())
    await notify.deliver_directly(request)
    assert to(await tls_mailbox.wait_for(1, timeout=10), TK)  # the server refuses everything before STARTTLS


def _tk() -> Any:
    from tests.notify.conftest import notification

    return notification(Destination.INFOHUS_TK)


async def _attempted(notify: NotifyUnderTest, notification_id: Any, attempts: int) -> Any:
    found = await notify.delivery(notification_id)
    return found if found and found.attempts >= attempts and found.last_error else None
