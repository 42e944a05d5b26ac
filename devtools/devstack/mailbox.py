"""A local SMTP mailbox for development and tests.

``LocalMailbox`` runs, inside the caller's event loop, an aiosmtpd SMTP server that stores every
accepted mail as an ``.eml`` file (exactly the bytes received) in a folder, plus a read-only web page
("Lokal postkasse") served by uvicorn that lists the mails and shows each one raw.

Files: ``<UTC time, ns>Z-<uuid>.eml``, sortable by arrival, and next to each a ``<same stem>.json`` with
the SMTP envelope (MAIL FROM, RCPT TO) and the receive time. Both are written to a hidden temporary
file first and then renamed, so readers never see half a mail.

Fault injection for tests: set ``mailbox.fault = (451, "4.3.0 Try again later")`` (or any 4xx/5xx) and
DATA is answered with that reply and nothing is stored; set it back to ``None`` to accept again.

Logging: only counts and file names, never addresses or content. aiosmtpd's own ``mail.log`` logger
logs addresses at INFO, so it is set to WARNING unless the application configured it explicitly.

Run standalone with ``python -m devtools.devstack.mailbox [--folder data/mailbox]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import email
import hmac
import ipaddress
import json
import logging
import os
import signal
import socket
import ssl
import sys
import time
import uuid
import warnings
import weakref
from collections.abc import Iterator, Mapping
from email import policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from infohus.kit import pages
from infohus.kit.aio import cancel_within, finish_within
from services.notify.adapters.mail_folder import (
    FILE_TIME_FORMAT,
    MAIL_FILE_NAME,
    StoredMail,
    mail_files,
    read_mail_summaries,
    read_summary,
    time_from_file_name,
)

__all__ = [
    "LocalMailbox",
    "MailFolderTail",
    "StoredMail",
    "main",
    "make_self_signed_cert",
    "make_server_tls_context",
    "read_mail_summaries",
]

log = logging.getLogger(__name__)

Fault = tuple[int, str]

# --------------------------------------------------------------------------------------------------
# Storage (the folder's format: services.notify.adapters.mail_folder)
# --------------------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a hidden temporary file in the same folder and a rename."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class MailFolderTail:
    """The mails stored in a folder since the last look, each file read once (a watcher that looks every
    second would otherwise parse every mail again each time)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self._folder = Path(folder)
        self._read: set[str] = set()

    def new_summaries(self) -> list[StoredMail]:
        """Summaries of the mails not returned before, in arrival order."""
        fresh = [path for path in mail_files(self._folder) if path.name not in self._read]
        self._read.update(path.name for path in fresh)
        return [s for s in map(read_summary, fresh) if s is not None]


# --------------------------------------------------------------------------------------------------
# TLS helpers
# --------------------------------------------------------------------------------------------------


def make_self_signed_cert(
    tmpdir: str | os.PathLike[str], hostname: str = "localhost", days: int = 30
) -> tuple[Path, Path]:
    """Write a self-signed certificate for ``hostname``, 127.0.0.1 and ::1 and its key (PEM).

    Returns ``(certfile, keyfile)``. For local STARTTLS tests only.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tmpdir)
    folder.mkdir(parents=True, exist_ok=True)
    certfile, keyfile = folder / "mailbox-cert.pem", folder / "mailbox-key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_pem)
    return certfile, keyfile


def make_server_tls_context(
    certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str]
) -> ssl.SSLContext:
    """A server-side TLS context suitable for aiosmtpd's STARTTLS (no client certificates)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context


# --------------------------------------------------------------------------------------------------
# SMTP handler
# --------------------------------------------------------------------------------------------------


def _check_fault(fault: object) -> Fault | None:
    if fault is None:
        return None
    if (
        not isinstance(fault, tuple)
        or len(fault) != 2
        or not isinstance(fault[0], int)
        or isinstance(fault[0], bool)
        or not 400 <= fault[0] <= 599
        or not isinstance(fault[1], str)
        or any(c in fault[1] for c in "\r\n")
    ):
        raise ValueError(f"fault must be None or (4xx/5xx code, one-line text), got {fault!r}")
    return fault[0], fault[1]


class _Handler:
    def __init__(self, mailbox: LocalMailbox) -> None:
        self._mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        fault = self._mailbox.fault
        if fault is not None:
            code, text = fault
            log.info("mailbox: injected fault %d, mail not stored", code)
            return f"{code} {text}"
        content = envelope.original_content
        if content is None:
            content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", errors="surrogateescape")
        assert isinstance(content, bytes)
        name = await self._mailbox._store(
            content, str(envelope.mail_from or ""), [str(r) for r in envelope.rcpt_tos]
        )
        log.info("mailbox: stored %s", name)
        return f"250 2.0.0 Ok: stored as {name}"


class _Authenticator:
    """aiosmtpd authenticator for AUTH PLAIN/LOGIN against a fixed user table."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = {u.encode("utf-8"): p.encode("utf-8") for u, p in users.items()}

    def __call__(
        self, server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = bytes(auth_data.login), bytes(auth_data.password)
        expected = self._users.get(login)
        # Compare anyway when the user is unknown, so timing does not reveal valid user names.
        ok = hmac.compare_digest(password, expected if expected is not None else b"\0" * 32)
        if ok and expected is not None:
            return AuthResult(success=True, auth_data=login.decode("utf-8", errors="replace"))
        return AuthResult(success=False, handled=False)


# --------------------------------------------------------------------------------------------------
# Web page
# --------------------------------------------------------------------------------------------------

_PAGE = """{% extends "pages/layout.html" %}
{% import "pages/tables.html" as tables %}
{% block head %}<meta http-equiv="refresh" content="5">{% endblock %}
{% block main %}
<h1>Lokal postkasse</h1>
<p>{{ count }} i <code>{{ folder }}</code>, nyeste først. Siden opdateres hvert 5. sekund.
  <a href="api/messages">JSON</a></p>
{% if mails %}
{% call tables.table(['Modtaget', 'Fra (afsender)', 'Til (modtagere)', 'Emne', 'Message-ID',
                      {'text': 'Rå e-mail', 'hidden': true}]) %}
  {% for m in mails %}
  <tr><td class="infohus-nowrap">{{ m.received_at | local }}</td><td>{{ m.mail_from or '(tom)' }}</td>
      <td>{{ m.rcpt_tos | join(', ') }}</td><td>{{ m.subject or '(intet emne)' }}</td>
      <td><code>{{ m.message_id or '' }}</code></td>
      <td class="infohus-nowrap"><a href="messages/{{ m.file }}">Vis rå e-mail</a></td></tr>
  {% endfor %}
{% endcall %}
{% else %}
<p>Ingen e-mails endnu.</p>
{% endif %}
{% endblock %}
"""
_templates = pages.page_templates(strings={"mailbox.html": _PAGE})
# The design system as the services serve it (installed by `make install`); the page works without it.
_DESIGN_SYSTEM = Path(__file__).resolve().parents[2] / "services" / "workspace" / "web" / "node_modules"


def _render_page(request: Request, folder: Path, mails: list[StoredMail]) -> Response:
    count = f"{len(mails)} e-mail" if len(mails) == 1 else f"{len(mails)} e-mails"
    layout = pages.Layout(service_name="Lokal postkasse", portal_name="Infohus – kun til udvikling",
                          assets=pages.Assets.served_by(request.app),
                          footer=("Mails, som tjenesterne har sendt, gemt som .eml-filer. Kun til udvikling.",))
    context = {"title": "Lokal postkasse", "count": count, "folder": str(folder), "mails": list(reversed(mails))}
    return pages.render(_templates, request, "mailbox.html", context, layout)


class FaultIn(BaseModel):
    code: int
    text: str


def _build_app(folder: Path, mailbox: LocalMailbox | None = None) -> FastAPI:
    app = FastAPI(title="Lokal postkasse", docs_url=None, redoc_url=None, openapi_url=None)
    pages.mount_shared_assets(app, _DESIGN_SYSTEM)

    if mailbox is not None:
        # Fault injection for `make chaos`, from another process: make the server answer 4xx or 5xx.
        @app.put("/api/fault")
        def set_fault(fault: FaultIn) -> dict[str, Any]:
            mailbox.fault = (fault.code, fault.text)
            return {"fault": [fault.code, fault.text]}

        @app.delete("/api/fault")
        def clear_fault() -> dict[str, Any]:
            mailbox.fault = None
            return {"fault": None}

    # Plain ``def`` endpoints: FastAPI runs them in a worker thread, so file I/O never blocks the loop.
    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        return _render_page(request, folder, read_mail_summaries(folder))

    @app.get("/api/messages")
    def api_messages() -> list[dict[str, Any]]:
        return [m.to_json() for m in read_mail_summaries(folder)]

    @app.get("/messages/{file}")
    def raw_message(file: str) -> Response:
        if not MAIL_FILE_NAME.fullmatch(file):
            raise HTTPException(status_code=404, detail="Ukendt e-mail")
        try:
            data = (folder / file).read_bytes()
        except FileNotFoundError:
            raise HTTPException(status_code=404, detail="Ukendt e-mail") from None
        return Response(
            content=data,
            media_type="text/plain; charset=utf-8",
            headers={"X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"},
        )

    return app


class _EmbeddedServer(uvicorn.Server):
    """uvicorn server that leaves signal handling to the host application."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the protocol is
    # named, and without it every multi-line SMTP reply (EHLO) stalls ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


# --------------------------------------------------------------------------------------------------
# LocalMailbox
# --------------------------------------------------------------------------------------------------


class LocalMailbox:
    """SMTP server + web page storing mails as ``.eml`` files in ``folder``. See the module docstring.

    ``smtp_port=0`` / ``web_port=0`` bind free ports (read them from ``smtp_port`` / ``web_url`` after
    ``start()``). ``tls_context`` offers STARTTLS; ``require_starttls`` refuses everything but
    EHLO/NOOP/QUIT/STARTTLS before it. ``auth_users`` turns on AUTH PLAIN/LOGIN and makes it mandatory;
    AUTH is offered only over TLS when a ``tls_context`` is given (``auth_require_tls`` overrides).
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        smtp_port: int = 0,
        web_port: int = 0,
        host: str = "127.0.0.1",
        *,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        auth_users: Mapping[str, str] | None = None,
        auth_require_tls: bool | None = None,
        hostname: str = "localhost",
        data_size_limit: int = 32 * 1024 * 1024,
    ) -> None:
        if require_starttls and tls_context is None:
            raise ValueError("require_starttls needs a tls_context")
        if auth_require_tls and tls_context is None:
            raise ValueError("auth_require_tls needs a tls_context")
        self.folder = Path(folder)
        self.host = host
        self.tls_context = tls_context
        self.require_starttls = require_starttls
        self.auth_users = dict(auth_users) if auth_users is not None else None
        self.auth_require_tls = tls_context is not None if auth_require_tls is None else auth_require_tls
        self.hostname = hostname
        self.data_size_limit = data_size_limit
        self._requested_smtp_port = smtp_port
        self._requested_web_port = web_port
        self._fault: Fault | None = None
        self._smtp_server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        self._web: _EmbeddedServer | None = None
        self._web_task: asyncio.Task[None] | None = None
        self._smtp_port: int | None = None
        self._web_port: int | None = None
        self._last_ns = 0
        self._stored = asyncio.Condition()  # bound lazily to the running loop on first use
        self.stored_count = 0

    # -- properties -------------------------------------------------------------------------------

    @property
    def fault(self) -> Fault | None:
        """None (accept mail) or ``(code, text)``, a 4xx/5xx reply to give DATA instead of storing."""
        return self._fault

    @fault.setter
    def fault(self, value: Fault | None) -> None:
        self._fault = _check_fault(value)

    @property
    def smtp_port(self) -> int:
        if self._smtp_port is None:
            raise RuntimeError("mailbox is not started")
        return self._smtp_port

    @property
    def web_port(self) -> int:
        if self._web_port is None:
            raise RuntimeError("mailbox is not started")
        return self._web_port

    @property
    def web_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.web_port}/"

    @property
    def is_running(self) -> bool:
        return self._smtp_server is not None

    # -- lifecycle ----------------------------------------------------------------------------------

    def _smtp_factory(self) -> SMTP:
        kwargs: dict[str, Any] = {
            "hostname": self.hostname,
            "data_size_limit": self.data_size_limit,
            "tls_context": self.tls_context,
            "require_starttls": self.require_starttls,
            "auth_require_tls": self.auth_require_tls,
            "timeout": 60,
            "loop": asyncio.get_running_loop(),
        }
        if self.auth_users is not None:
            kwargs["authenticator"] = _Authenticator(self.auth_users)
            kwargs["auth_required"] = True
        with warnings.catch_warnings():
            # AUTH without TLS was asked for explicitly (auth_require_tls=False); this is a local mailbox.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            session = SMTP(_Handler(self), **kwargs)
        self._sessions.add(session)
        return session

    async def start(self) -> LocalMailbox:
        if self._smtp_server is not None:
            raise RuntimeError("mailbox is already running")
        mail_logger = logging.getLogger("mail.log")
        if mail_logger.level == logging.NOTSET:
            mail_logger.setLevel(logging.WARNING)  # aiosmtpd logs addresses at INFO
        self.folder.mkdir(parents=True, exist_ok=True)
        self._stored = asyncio.Condition()
        loop = asyncio.get_running_loop()

        smtp_sock = _bind(self.host, self._requested_smtp_port)
        web_sock = None
        try:
            web_sock = _bind(self.host, self._requested_web_port)
            self._smtp_server = await loop.create_server(self._smtp_factory, sock=smtp_sock)
            self._smtp_port = smtp_sock.getsockname()[1]

            config = uvicorn.Config(
                _build_app(self.folder, self),
                log_config=None,  # leave the application's logging configuration alone
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=2,
            )
            self._web = _EmbeddedServer(config)
            self._web_port = web_sock.getsockname()[1]
            self._web_task = asyncio.create_task(self._web.serve(sockets=[web_sock]))
            deadline = time.monotonic() + 10
            while not self._web.started:
                if self._web_task.done():
                    self._web_task.result()  # raises the start-up error, if any
                    raise RuntimeError("web server stopped during start-up")
                if time.monotonic() > deadline:
                    raise TimeoutError("web server did not start within 10 s")
                await asyncio.sleep(0.01)
        except BaseException:
            await self.stop()
            smtp_sock.close()
            if web_sock is not None:
                web_sock.close()
            raise
        log.info("mailbox: listening (SMTP port %d, web port %d)", self._smtp_port, self._web_port)
        return self

    async def stop(self) -> None:
        server, self._smtp_server = self._smtp_server, None
        if server is not None:
            server.close()
            for session in list(self._sessions):
                transport = session.transport
                if transport is not None:
                    transport.close()
            await finish_within(server.wait_closed(), 5, "mailbox: closing the SMTP server")
        web, task = self._web, self._web_task
        self._web, self._web_task = None, None
        if web is not None and task is not None:
            web.should_exit = True
            if not await finish_within(asyncio.shield(task), 10, "mailbox: stopping the web server"):
                web.force_exit = True
                await cancel_within([task])
        self._smtp_port = self._web_port = None

    async def __aenter__(self) -> LocalMailbox:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- storage ------------------------------------------------------------------------------------

    def _next_file_name(self) -> str:
        now = time.time_ns()
        self._last_ns = now if now > self._last_ns else self._last_ns + 1  # strictly increasing
        seconds, nanos = divmod(self._last_ns, 1_000_000_000)
        stamp = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime(FILE_TIME_FORMAT)
        return f"{stamp}.{nanos:09d}Z-{uuid.uuid4().hex}.eml"

    async def _store(self, content: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        name = self._next_file_name()
        path = self.folder / name
        envelope = {
            "received_at": time_from_file_name(name).isoformat(),
            "mail_from": mail_from,
            "rcpt_tos": rcpt_tos,
        }

        def write() -> None:
            # Envelope first: an .eml that is visible always has its envelope next to it.
            _atomic_write(path.with_suffix(".json"), json.dumps(envelope, ensure_ascii=False).encode())
            _atomic_write(path, content)

        await asyncio.to_thread(write)
        self.stored_count += 1
        async with self._stored:
            self._stored.notify_all()
        return name

    # -- reading (for tests) ------------------------------------------------------------------------

    def files(self) -> list[Path]:
        """Paths of the stored ``.eml`` files, in arrival order."""
        return mail_files(self.folder)

    def summaries(self) -> list[StoredMail]:
        return read_mail_summaries(self.folder)

    def raw_messages(self) -> list[bytes]:
        out = []
        for path in self.files():
            with contextlib.suppress(FileNotFoundError):
                out.append(path.read_bytes())
        return out

    def messages(self) -> list[EmailMessage]:
        """The stored mails, parsed with the modern email policy, in arrival order."""
        return [email.message_from_bytes(raw, policy=policy.default) for raw in self.raw_messages()]

    def clear(self) -> int:
        """Delete all stored mails (and their envelopes). Returns how many mails were deleted."""
        files = self.files()
        for path in files:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
        return len(files)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least ``count`` mails are stored in the folder; return all of them.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = len(self.files())
            if found >= count:
                return self.messages()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"expected {count} mail(s) in {self.folder}, found {found}")
            # Woken by our own SMTP server; the short cap also notices files written by others.
            with contextlib.suppress(TimeoutError):
                async with self._stored:
                    await asyncio.wait_for(self._stored.wait(), min(remaining, 0.2))


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with LocalMailbox(
            args.folder, smtp_port=args.smtp_port, web_port=args.web_port, host=args.host
        ) as mailbox:
            print(f"SMTP: {mailbox.host}:{mailbox.smtp_port}", flush=True)
            print(f"Web:  {mailbox.web_url}", flush=True)
            print(f"Folder: {mailbox.folder.resolve()}", flush=True)
            await stop.wait()
            print("stopping mailbox", flush=True)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.devstack.mailbox",
        description="Run a local SMTP mailbox with a web page until SIGINT/SIGTERM.",
    )
    parser.add_argument("--folder", default="data/mailbox", help="where .eml files are stored")
    parser.add_argument("--smtp-port", type=int, default=1025, help="SMTP port (0: any free port)")
    parser.add_argument("--web-port", type=int, default=8025, help="web page port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_serve(args))
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
