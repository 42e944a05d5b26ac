"""LocalMailbox: SMTP in, .eml files out, web page and JSON listing, faults, STARTTLS and AUTH."""

import json
import logging
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from devtools.devstack.mailbox import LocalMailbox, MailFolderTail, make_self_signed_cert, make_server_tls_context

FILE_RE = re.compile(r"\d{8}T\d{6}\.\d{9}Z-[0-9a-f]{32}\.eml")


def make_mail(subject: str, to: str = "postkasse@kommune.example") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "infohus@kommune.example"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="infohus.example")
    msg.set_content("Der er en ny sag i Infohus.\n")
    return msg


@pytest.fixture
async def mailbox(tmp_path: Path) -> AsyncIterator[LocalMailbox]:
    async with LocalMailbox(tmp_path / "mails") as mb:
        yield mb


async def send(mb: LocalMailbox, msg: EmailMessage, **kwargs: object) -> None:
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=mb.smtp_port, timeout=10, **kwargs)  # type: ignore[arg-type]


async def test_mail_is_stored_as_eml_and_listed(mailbox: LocalMailbox) -> None:
    msg = make_mail("Ny sag: æøå <b>fed</b>")
    await send(
        mailbox, msg, sender="bounce@infohus.example", recipients=["a@kommune.example", "b@kommune.example"]
    )

    files = sorted(p.name for p in mailbox.folder.iterdir())
    emls = [f for f in files if f.endswith(".eml")]
    assert len(emls) == 1 and FILE_RE.fullmatch(emls[0])
    assert [f for f in files if f.endswith(".tmp") or f.startswith(".")] == []
    envelope = json.loads((mailbox.folder / emls[0]).with_suffix(".json").read_text())
    assert envelope["mail_from"] == "bounce@infohus.example"
    assert envelope["rcpt_tos"] == ["a@kommune.example", "b@kommune.example"]

    [stored] = await mailbox.wait_for(1, timeout=5)
    assert stored["Subject"] == "Ny sag: æøå <b>fed</b>"
    assert stored["Message-ID"] == msg["Message-ID"]
    assert "ny sag i Infohus" in stored.get_content()
    [raw] = mailbox.raw_messages()
    assert raw == (mailbox.folder / emls[0]).read_bytes()
    assert msg["Message-ID"].encode() in raw

    async with httpx.AsyncClient(base_url=mailbox.web_url, timeout=10) as client:
        api = await client.get("/api/messages")
        assert api.status_code == 200
        assert api.json() == [
            {
                "file": emls[0],
                "received_at": envelope["received_at"],
                "mail_from": "bounce@infohus.example",
                "rcpt_tos": ["a@kommune.example", "b@kommune.example"],
                "subject": "Ny sag: æøå <b>fed</b>",
                "message_id": msg["Message-ID"],
            }
        ]

        page = await client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Lokal postkasse" in page.text
        assert 'lang="da"' in page.text
        assert "Ny sag: æøå &lt;b&gt;fed&lt;/b&gt;" in page.text  # escaped, not markup
        assert "<b>fed</b>" not in page.text
        assert "a@kommune.example, b@kommune.example" in page.text
        assert f'href="messages/{emls[0]}"' in page.text

        raw_view = await client.get(f"/messages/{emls[0]}")
        assert raw_view.status_code == 200
        assert raw_view.headers["content-type"].startswith("text/plain")
        assert raw_view.headers["x-content-type-options"] == "nosniff"
        assert raw_view.content == raw

        assert (await client.get("/messages/..%2F..%2Fetc%2Fpasswd")).status_code == 404
        unknown = "20000101T000000.000000000Z-" + "0" * 32 + ".eml"
        assert (await client.get(f"/messages/{unknown}")).status_code == 404
        assert (await client.get(f"/messages/{emls[0][:-4]}.json")).status_code == 404


async def test_empty_mailbox_page(mailbox: LocalMailbox) -> None:
    async with httpx.AsyncClient(base_url=mailbox.web_url, timeout=10) as client:
        page = await client.get("/")
        assert "Ingen e-mails endnu" in page.text
        assert (await client.get("/api/messages")).json() == []


async def test_mails_are_kept_in_arrival_order(mailbox: LocalMailbox) -> None:
    for i in range(5):
        await send(mailbox, make_mail(f"Besked {i}"))
    messages = await mailbox.wait_for(5, timeout=5)
    assert [m["Subject"] for m in messages] == [f"Besked {i}" for i in range(5)]
    assert [s.subject for s in mailbox.summaries()] == [f"Besked {i}" for i in range(5)]
    assert mailbox.clear() == 5
    assert mailbox.messages() == []


async def test_a_tail_returns_each_mail_once_in_arrival_order(mailbox: LocalMailbox) -> None:
    tail = MailFolderTail(mailbox.folder)
    assert tail.new_summaries() == []
    for i in range(3):
        await send(mailbox, make_mail(f"Besked {i}", to=f"modtager{i}@kommune.example"))
    await mailbox.wait_for(3, timeout=5)
    first = tail.new_summaries()
    assert [(m.subject, m.rcpt_tos) for m in first] == [
        (f"Besked {i}", (f"modtager{i}@kommune.example",)) for i in range(3)]
    await send(mailbox, make_mail("Besked 3"))
    await mailbox.wait_for(4, timeout=5)
    assert [m.subject for m in tail.new_summaries()] == ["Besked 3"]
    assert tail.new_summaries() == []


async def test_wait_for_times_out(mailbox: LocalMailbox) -> None:
    with pytest.raises(TimeoutError, match="expected 1"):
        await mailbox.wait_for(1, timeout=0.3)


async def test_fault_rejects_then_recovers(mailbox: LocalMailbox) -> None:
    mailbox.fault = (451, "4.3.0 Try again later")
    with pytest.raises(aiosmtplib.SMTPResponseException) as info:
        await send(mailbox, make_mail("Forsøg 1"))
    assert info.value.code == 451
    assert list(mailbox.folder.iterdir()) == []

    mailbox.fault = (550, "5.7.1 Rejected")
    with pytest.raises(aiosmtplib.SMTPResponseException) as info:
        await send(mailbox, make_mail("Forsøg 2"))
    assert info.value.code == 550
    assert "Rejected" in info.value.message
    assert list(mailbox.folder.iterdir()) == []

    mailbox.fault = None
    await send(mailbox, make_mail("Forsøg 3"))
    assert [m["Subject"] for m in mailbox.messages()] == ["Forsøg 3"]


@pytest.mark.parametrize("bad", [(250, "OK"), (451, "line\r\nbreak"), ("451", "x"), (451,)])
def test_fault_is_validated(tmp_path: Path, bad: object) -> None:
    mb = LocalMailbox(tmp_path)
    with pytest.raises(ValueError):
        mb.fault = bad  # type: ignore[assignment]
    assert mb.fault is None


async def test_starttls_and_auth(tmp_path: Path) -> None:
    certfile, keyfile = make_self_signed_cert(tmp_path / "tls")
    assert (keyfile.stat().st_mode & 0o077) == 0
    context = make_server_tls_context(certfile, keyfile)
    async with LocalMailbox(
        tmp_path / "mails", tls_context=context, require_starttls=True, auth_users={"notify": "hemmelig"}
    ) as mb:
        # Plain text is refused before STARTTLS.
        with pytest.raises(aiosmtplib.SMTPResponseException) as info:
            await send(mb, make_mail("Uden TLS"), start_tls=False)
        assert info.value.code == 530

        # TLS but no AUTH is refused.
        with pytest.raises(aiosmtplib.SMTPResponseException) as info:
            await send(mb, make_mail("Uden login"), start_tls=True, validate_certs=False)
        assert info.value.code == 530

        # Wrong password.
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as auth_info:
            await send(
                mb,
                make_mail("Forkert kode"),
                start_tls=True,
                validate_certs=False,
                username="notify",
                password="forkert",
            )
        assert auth_info.value.code == 535
        assert mb.messages() == []

        # The real thing, with the self-signed certificate verified against itself.
        await send(
            mb,
            make_mail("Med TLS og login"),
            start_tls=True,
            validate_certs=True,
            cert_bundle=str(certfile),
            username="notify",
            password="hemmelig",
        )
        [stored] = await mb.wait_for(1, timeout=5)
        assert stored["Subject"] == "Med TLS og login"


async def test_auth_without_tls_when_allowed(tmp_path: Path) -> None:
    async with LocalMailbox(tmp_path, auth_users={"notify": "hemmelig"}) as mb:
        with pytest.raises(aiosmtplib.SMTPResponseException) as info:
            await send(mb, make_mail("Uden login"))
        assert info.value.code == 530
        await send(mb, make_mail("Med login"), username="notify", password="hemmelig")
        assert [m["Subject"] for m in mb.messages()] == ["Med login"]


async def test_stop_frees_ports_and_restart_keeps_mail(tmp_path: Path) -> None:
    mb = LocalMailbox(tmp_path)
    await mb.start()
    smtp_port = mb.smtp_port
    await send(mb, make_mail("Før genstart"))
    await mb.stop()
    assert not mb.is_running
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await aiosmtplib.send(make_mail("x"), hostname="127.0.0.1", port=smtp_port, timeout=2)
    async with LocalMailbox(tmp_path, smtp_port=smtp_port) as again:
        assert again.smtp_port == smtp_port
        await send(again, make_mail("Efter genstart"))
        assert [m["Subject"] for m in again.messages()] == ["Før genstart", "Efter genstart"]


async def test_logs_carry_no_mail_content(mailbox: LocalMailbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    mailbox.fault = (451, "4.3.0 Try again later")
    with pytest.raises(aiosmtplib.SMTPResponseException):
        await send(mailbox, make_mail("Hemmeligt emne", to="borger@kommune.example"))
    mailbox.fault = None
    await send(mailbox, make_mail("Hemmeligt emne", to="borger@kommune.example"))
    [path] = mailbox.files()
    assert path.name in caplog.text  # the file name may be logged ...
    for secret in ("Hemmeligt", "borger@", "infohus@kommune", "ny sag"):  # ... but nothing from the mail
        assert secret not in caplog.text


async def test_fault_can_be_switched_over_http(tmp_path: Path) -> None:
    box = LocalMailbox(tmp_path / "mail")
    await box.start()
    try:
        async with httpx.AsyncClient(base_url=box.web_url) as web:
            assert (await web.put("/api/fault", json={"code": 451, "text": "4.3.0 Try again later"})).status_code == 200
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "x"
            message.set_content("hej")
            with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
                await aiosmtplib.send(message, hostname="127.0.0.1", port=box.smtp_port)
            assert refused.value.code == 451
            assert (await web.delete("/api/fault")).status_code == 200
            await aiosmtplib.send(message, hostname="127.0.0.1", port=box.smtp_port)
        assert len(box.files()) == 1
    finally:
        await box.stop()
