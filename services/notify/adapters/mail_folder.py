"""The mail-folder format: how the local mailbox stores accepted mails, read without the mailbox.

One ``<UTC time, ns>Z-<uuid>.eml`` per accepted mail (the exact bytes received), sortable by arrival,
and next to it a ``<same stem>.json`` with the SMTP envelope (MAIL FROM, RCPT TO) and the receive time.
The development mailbox (``devtools.devstack.mailbox``) writes the folder; notify's
``MailFolderAcceptance`` reads it. Notify owns the reading side so the production package never imports
development tooling.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

MAIL_FILE_NAME = re.compile(r"\d{8}T\d{6}\.\d{9}Z-[0-9a-f]{32}\.eml")
FILE_TIME_FORMAT = "%Y%m%dT%H%M%S"


@dataclass(frozen=True)
class StoredMail:
    """Summary of one stored mail, as listed on the web page and in ``/api/messages``."""

    file: str
    received_at: dt.datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str | None
    message_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "received_at": self.received_at.isoformat(),
            "mail_from": self.mail_from,
            "rcpt_tos": list(self.rcpt_tos),
            "subject": self.subject,
            "message_id": self.message_id,
        }


def time_from_file_name(name: str) -> dt.datetime:
    stamp, _, _ = name.partition("Z-")
    seconds, _, nanos = stamp.partition(".")
    base = dt.datetime.strptime(seconds, FILE_TIME_FORMAT).replace(tzinfo=dt.UTC)
    return base + dt.timedelta(microseconds=int(nanos) // 1000)


def mail_files(folder: Path) -> list[Path]:
    """Stored mails in arrival order (the file names sort by receive time)."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if MAIL_FILE_NAME.fullmatch(entry.name))
    except FileNotFoundError:
        return []
    return [folder / name for name in names]


def _header(msg: EmailMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header must not break the listing
        return None
    return None if value is None else str(value)


def read_summary(path: Path) -> StoredMail | None:
    """The summary of one stored mail (None when it was deleted meanwhile)."""
    try:
        with path.open("rb") as fh:
            headers = BytesHeaderParser(policy=policy.default).parse(fh)
    except FileNotFoundError:  # deleted meanwhile
        return None
    received_at = time_from_file_name(path.name)
    mail_from = ""
    rcpt_tos: tuple[str, ...] = ()
    try:
        envelope = json.loads(path.with_suffix(".json").read_text("utf-8"))
        received_at = dt.datetime.fromisoformat(envelope["received_at"])
        mail_from = str(envelope["mail_from"])
        rcpt_tos = tuple(str(r) for r in envelope["rcpt_tos"])
    except (OSError, ValueError, KeyError, TypeError):
        # An .eml dropped into the folder by hand: fall back to the headers.
        mail_from = _header(headers, "From") or ""
        rcpt_tos = tuple(filter(None, (_header(headers, "To"),)))
    return StoredMail(
        file=path.name,
        received_at=received_at,
        mail_from=mail_from,
        rcpt_tos=rcpt_tos,
        subject=_header(headers, "Subject"),
        message_id=_header(headers, "Message-ID"),
    )


def read_mail_summaries(folder: str | os.PathLike[str]) -> list[StoredMail]:
    """Summaries of the mails stored in ``folder``, in arrival order."""
    return [s for s in map(read_summary, mail_files(Path(folder))) if s is not None]
