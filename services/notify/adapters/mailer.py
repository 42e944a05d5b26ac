"""SMTP with aiosmtplib, and the Jinja2 rendering of notification mails.

The SMTP conversation is driven step by step (connect, STARTTLS, AUTH, MAIL, RCPT, DATA) so a
failure says where it happened, AUTH is never sent in clear, and the caller can record
"DATA begins" before the message goes over the wire (``before_data``). Connections are kept and
reused for the next mail (``SMTP_REUSE_CONNECTIONS``).
"""

from __future__ import annotations

import asyncio
import binascii
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from opentelemetry import trace

from services.notify.domain.content import MailContent, age_band_label, flag_label
from services.notify.domain.delivery import SendFailure, Stage
from services.notify.domain.mail import Mail
from services.notify.settings import NotifySettings

tracer = trace.get_tracer("infohus.notify.smtp")
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parents[1] / "templates"),
                        autoescape=select_autoescape(["html", "html.j2"]), keep_trailing_newline=True,
                        undefined=StrictUndefined)
LOCAL = ZoneInfo("Europe/Copenhagen")
UTF8_QP = Charset("utf-8")
UTF8_QP.header_encoding = QP
SMTP_COMPAT32 = compat32.clone(linesep="\r\n")

BeforeData = Callable[[], Awaitable[None]]


class Mailer(Protocol):
    async def send(self, mail: Mail, *, before_data: BeforeData | None = None) -> str:
        """Send one mail; return the server's reply to DATA. Raises ``SendFailure``."""
        ...


def render(content: MailContent) -> tuple[str, str]:
    """(plain text, HTML), Danish. The context is the content and our own labels; nothing else."""
    context = {
        "c": content,
        "deadlines": [{"label": d.label, "when": when(d.due_at, d.due_date)} for d in content.deadlines],
        "age_bands": ", ".join(age_band_label(b) for b in content.age_bands) or "–",
        "flags": ", ".join(flag_label(f) for f in content.flags),
    }
    name = "receipt" if content.template == "receipt" else "notification"
    return (TEMPLATES.get_template(f"{name}.txt.j2").render(context),
            TEMPLATES.get_template(f"{name}.html.j2").render(context))


def when(due_at: datetime | None, due_date: date | None) -> str:
    if isinstance(due_at, datetime):
        return due_at.astimezone(LOCAL).strftime("%d.%m.%Y kl. %H:%M")
    if isinstance(due_date, date):
        return due_date.strftime("%d.%m.%Y")
    return "–"


def message_bytes(mail: Mail) -> bytes:
    """The mail as sent: multipart/alternative (plain text, HTML), UTF-8, quoted-printable, RFC 2047 headers.

    Built with the compat32 classes, about four times cheaper than ``EmailMessage`` with the default policy
    (which parses every header it is given); CR or LF in a header value is refused (no header injection).
    """
    message = MIMEMultipart("alternative")
    headers = (("From", mail.sender), ("To", mail.recipient), ("Subject", mail.subject),
               ("Message-ID", mail.message_id), ("Date", formatdate(localtime=False, usegmt=True)), *mail.headers)
    for name, value in headers:
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} contains a line break")
        message[name] = value if value.isascii() else Header(value, UTF8_QP, header_name=name).encode()
    for body, subtype in ((mail.text, "plain"), (mail.html, "html")):
        part = MIMENonMultipart("text", subtype, charset="utf-8")
        del part["MIME-Version"]
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(binascii.b2a_qp(body.encode("utf-8")).decode("ascii"))  # C, unlike email.quoprimime
        message.attach(part)
    return message.as_bytes(policy=SMTP_COMPAT32)


@dataclass(eq=False)
class _Session:
    """An open SMTP connection (after EHLO, STARTTLS and AUTH), between mails."""

    client: aiosmtplib.SMTP
    mails: int = 0
    idle_since: float = 0.0


class _StaleSession(Exception):
    """A kept connection the relay had closed meanwhile; nothing of this mail was sent on it."""


class SmtpMailer:
    """Sends over a few kept connections: a mail reuses an idle session (no connect, TLS or AUTH), and
    a session goes back to the idle list only after a clean 250 to DATA. Any failure, and anything that
    interrupts a send, closes the session, so an unknown protocol state is never reused."""

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings
        self._idle: list[_Session] = []  # most recently used last
        self._closing: set[asyncio.Task[None]] = set()

    async def send(self, mail: Mail, *, before_data: BeforeData | None = None) -> str:
        s = self._settings
        with tracer.start_as_current_span("smtp send", attributes={"server.port": s.smtp_port}) as span:
            try:
                session = await self._idle_session()
                if session is not None:
                    try:
                        reply = await self._transaction(session, mail, before_data, reused=True)
                    except _StaleSession:
                        span.add_event("kept connection was closed by the relay; reconnecting")
                        session = None
                if session is None:
                    session = await self._open()
                    reply = await self._transaction(session, mail, before_data, reused=False)
            except SendFailure as failure:
                span.set_attribute("infohus.smtp.failure", failure.describe())
                raise
            span.set_attribute("smtp.response.code", reply.code)
            span.set_attribute("infohus.smtp.session_mails", session.mails)
            return f"{reply.code} {reply.message}"

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for session in idle:
            await _close(session.client)

    async def _idle_session(self) -> _Session | None:
        now = time.monotonic()
        while self._idle:
            session = self._idle.pop()
            if session.client.is_connected and now - session.idle_since < self._settings.smtp_idle_timeout_s:
                return session
            await _close(session.client)
        return None

    async def _open(self) -> _Session:
        s = self._settings
        client = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, start_tls=False,
                                 validate_certs=s.smtp_validate_certs,
                                 cert_bundle=str(s.smtp_ca_file) if s.smtp_ca_file else None,
                                 timeout=s.smtp_timeout_s)
        stage = Stage.CONNECT
        try:
            await client.connect()
            stage = Stage.TLS
            await self._start_tls(client)
            stage = Stage.AUTH
            if s.smtp_username is not None and s.smtp_password is not None:
                if client.get_transport_info("sslcontext") is None:
                    raise SendFailure(Stage.AUTH, note="AUTH uden TLS er afvist")
                await client.login(s.smtp_username, s.smtp_password.get_secret_value())
        except BaseException as error:
            await _close(client)
            if isinstance(error, aiosmtplib.SMTPResponseException):
                raise SendFailure(stage, error.code) from None
            if isinstance(error, aiosmtplib.SMTPException | OSError | TimeoutError):
                stage = Stage.TIMEOUT if isinstance(error, TimeoutError) else stage
                raise SendFailure(stage, None, note=type(error).__name__) from None
            raise
        return _Session(client)

    async def _transaction(self, session: _Session, mail: Mail, before_data: BeforeData | None, *,
                           reused: bool) -> aiosmtplib.SMTPResponse:
        """MAIL, RCPT, ``before_data``, DATA on an open session; the session is kept only after a 250."""
        client = session.client
        stage = Stage.MAIL
        reply: aiosmtplib.SMTPResponse | None = None
        try:
            await client.mail(mail.sender)
            stage = Stage.RCPT
            await client.rcpt(mail.recipient)
            if before_data is not None:
                await before_data()
            stage = Stage.DATA
            reply = await client.data(message_bytes(mail))
        except aiosmtplib.SMTPResponseException as error:
            if reused and stage is Stage.MAIL and error.code == 421:  # the relay is closing the kept connection
                raise _StaleSession from None
            raise SendFailure(stage, error.code) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            if reused and stage is Stage.MAIL and not isinstance(error, TimeoutError):
                raise _StaleSession from None  # closed while idle: nothing was sent
            # No reply code. In DATA, the message may have reached the server: ambiguous.
            stage = Stage.TIMEOUT if isinstance(error, TimeoutError) and stage is not Stage.DATA else stage
            raise SendFailure(stage, None, ambiguous=stage is Stage.DATA, note=type(error).__name__) from None
        finally:
            if reply is None:
                await _close(client)
        session.mails += 1
        self._keep(session)
        return reply

    def _keep(self, session: _Session) -> None:
        s = self._settings
        if (s.smtp_reuse_connections and session.mails < s.smtp_max_messages_per_connection
                and len(self._idle) < s.worker_concurrency and session.client.is_connected):
            session.idle_since = time.monotonic()
            self._idle.append(session)
        else:  # QUIT off the send path, so the caller records the 250 at once
            task = asyncio.get_running_loop().create_task(_close(session.client))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _start_tls(self, client: aiosmtplib.SMTP) -> None:
        mode = self._settings.smtp_starttls
        if mode == "off":
            return
        await client.ehlo()
        if client.supports_extension("starttls"):
            await client.starttls()
        elif mode == "required":  # never fall back to clear text: a relay without STARTTLS may be an attacker
            raise SendFailure(Stage.TLS, note="serveren tilbyder ikke STARTTLS")


async def _close(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit(timeout=2)
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()
