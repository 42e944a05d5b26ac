"""SMTP with aiosmtplib, and the Jinja2 rendering of notification mails.

The SMTP conversation is driven step by step (connect, STARTTLS, AUTH, MAIL, RCPT, DATA) so a
failure says where it happened, AUTH is never sent in clear, and the caller can record
"DATA begins" before the message goes over the wire (``before_data``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import aiosmtplib
from aiosmtplib.email import flatten_message
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
    return (TEMPLATES.get_template("notification.txt.j2").render(context),
            TEMPLATES.get_template("notification.html.j2").render(context))


def when(due_at: datetime | None, due_date: date | None) -> str:
    if isinstance(due_at, datetime):
        return due_at.astimezone(LOCAL).strftime("%d.%m.%Y kl. %H:%M")
    if isinstance(due_date, date):
        return due_date.strftime("%d.%m.%Y")
    return "–"


def to_email(mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = formatdate(localtime=False, usegmt=True)
    for name, value in mail.headers:
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class SmtpMailer:
    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings

    async def send(self, mail: Mail, *, before_data: BeforeData | None = None) -> str:
        s = self._settings
        client = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, start_tls=False,
                                 validate_certs=s.smtp_validate_certs,
                                 cert_bundle=str(s.smtp_ca_file) if s.smtp_ca_file else None,
                                 timeout=s.smtp_timeout_s)
        stage = Stage.CONNECT
        with tracer.start_as_current_span("smtp send", attributes={"server.port": s.smtp_port}) as span:
            try:
                await client.connect()
                stage = Stage.TLS
                await self._start_tls(client)
                stage = Stage.AUTH
                if s.smtp_username is not None and s.smtp_password is not None:
                    if client.get_transport_info("sslcontext") is None:
                        raise SendFailure(Stage.AUTH, note="AUTH uden TLS er afvist")
                    await client.login(s.smtp_username, s.smtp_password.get_secret_value())
                stage = Stage.MAIL
                await client.mail(mail.sender)
                stage = Stage.RCPT
                await client.rcpt(mail.recipient)
                if before_data is not None:
                    await before_data()
                stage = Stage.DATA
                reply = await client.data(flatten_message(to_email(mail), cte_type="7bit"))
            except SendFailure as failure:
                span.set_attribute("infohus.smtp.failure", failure.describe())
                raise
            except aiosmtplib.SMTPResponseException as error:
                span.set_attribute("smtp.response.code", error.code)
                raise SendFailure(stage, error.code) from None
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                # No reply code. In DATA, the message may have reached the server: ambiguous.
                stage = Stage.TIMEOUT if isinstance(error, TimeoutError) and stage is not Stage.DATA else stage
                no_reply = SendFailure(stage, None, ambiguous=stage is Stage.DATA, note=type(error).__name__)
                span.set_attribute("infohus.smtp.failure", no_reply.describe())
                raise no_reply from None
            finally:
                await _close(client)
            span.set_attribute("smtp.response.code", reply.code)
            return f"{reply.code} {reply.message}"

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
