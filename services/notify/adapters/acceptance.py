"""Did the relay accept a mail whose attempt was interrupted after DATA began?

SMTP has no way to ask a relay "did you accept Message-ID X?". An ``AcceptanceCheck`` answers from
another source when one exists, and says ``None`` (unknown) otherwise:

- ``MailFolderAcceptance``: the local mailbox (development, tests) stores every accepted mail as an
  ``.eml`` file, so the answer is exact.
- ``UnknownAcceptance``: a production relay. Other sources could implement this port: the relay's
  message-trace API (e.g. Exchange Online ``Get-MessageTrace -MessageId``), an IMAP search in a
  journal mailbox that gets a BCC of every mail, or DSN success reports (RFC 3461, ``ENVID``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from services.notify.adapters.mail_folder import read_mail_summaries


class AcceptanceCheck(Protocol):
    async def was_accepted(self, *, message_id: str, recipient: str) -> bool | None:
        """True: accepted; False: certainly not accepted; None: cannot tell."""
        ...


class UnknownAcceptance:
    async def was_accepted(self, *, message_id: str, recipient: str) -> bool | None:
        return None


class MailFolderAcceptance:
    """The local mailbox's folder (:mod:`services.notify.adapters.mail_folder`): one ``.eml`` per accepted mail."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def was_accepted(self, *, message_id: str, recipient: str) -> bool | None:
        return await asyncio.to_thread(self._scan, message_id, recipient)

    def _scan(self, message_id: str, recipient: str) -> bool | None:
        if not self._folder.is_dir():
            return None
        wanted = recipient.casefold()
        return any(m.message_id == message_id and wanted in (r.casefold() for r in m.rcpt_tos)
                   for m in read_mail_summaries(self._folder))
