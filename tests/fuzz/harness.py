"""Sends fuzz inputs to intake in process and checks every answer.

For every input: never a 5xx; 2xx only for really valid inputs and 4xx otherwise (``Expect``); nothing
stored for a rejected input (intake's concern and outbox row counts); and none of the input's personal
values in a log record, a span or an API answer, and none of its markup unescaped on a page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

from devtools.auth_testing import dev_headers_for
from infohus.kit.auth import Role
from infohus.kit.auth.dev_users import dev_user_for
from infohus.kit.security_headers import CSRF_FIELD, CsrfProtection
from services.intake.adapters.orm import concerns
from tests.fuzz.inputs import SID, Auth, Csrf, Expect, FuzzInput, Target
from tests.fuzz.values import personal_needles
from tests.intake.conftest import DEV_PASSWORD, IntakeUnderTest

API = "/api/v1/concerns"
PATHS = {Target.API: API, Target.PUBLIC_FORM: "/henvendelse", Target.STAFF_FORM: "/personale/henvendelse"}
OUR_LOGGERS = ("infohus", "services", "contracts", "tests")


# ---------------------------------------------------------------------------------------------------------
# What the service wrote down: log records and spans


class LogCapture(logging.Handler):
    """Every record of ours (DEBUG and up) and every third-party record at INFO and up (the level
    ``infohus serve`` logs at), as text including its arguments, extras and exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self._saved: list[tuple[logging.Logger, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.INFO and not record.name.startswith(OUR_LOGGERS):
            return
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} {record.args!r}"
        exception = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.texts.append(f"{record.levelname} {record.name}: {message} {exception} {record.__dict__!r}")

    def __enter__(self) -> LogCapture:
        root = logging.getLogger()
        self._saved = [(root, root.level)] + [(logging.getLogger(n), logging.getLogger(n).level) for n in OUR_LOGGERS]
        root.setLevel(logging.INFO)
        for name in OUR_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        root.addHandler(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        logging.getLogger().removeHandler(self)
        for logger, level in self._saved:
            logger.setLevel(level)


class SpanCapture(SpanProcessor):
    """Names, attributes, events and status of every span that ends while capturing."""

    _installed: SpanCapture | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.active = False
        self.texts: list[str] = []

    @classmethod
    def installed(cls) -> SpanCapture:
        """The one capture on the process's tracer provider (tests/conftest.py installs an SDK provider)."""
        with cls._lock:
            if cls._installed is None:
                provider = trace.get_tracer_provider()
                if not isinstance(provider, TracerProvider):
                    raise RuntimeError("the fuzzer needs the SDK tracer provider of tests/conftest.py")
                cls._installed = SpanCapture()
                provider.add_span_processor(cls._installed)
            return cls._installed

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if not self.active:
            return
        parts = [span.name, json.dumps(dict(span.attributes or {}), default=str),
                 str(span.status.description or "")]
        parts += [f"{e.name} {json.dumps(dict(e.attributes or {}), default=str)}" for e in span.events]
        self.texts.append("\n".join(parts))

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class ErrorCatcher:
    """The ASGI app, recording any exception it lets out (the client sees Starlette's 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.errors: list[BaseException] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            self.errors.append(error)
            raise


# ---------------------------------------------------------------------------------------------------------
# Counts and findings


@dataclass
class Tally:
    """Per target and database: answers by status, inputs by kind, and every violation found."""

    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def inputs(self) -> int:
        return sum(self.kinds.values())

    def report(self) -> list[str]:
        lines = [f"fuzz: {self.inputs} inputs, {len(self.violations)} violations, "
                 f"{sum(self.seconds.values()):.1f} s"]
        targets = sorted({(t, db) for t, db, _ in self.statuses})
        for target, db in targets:
            statuses = {s: n for (t, d, s), n in self.statuses.items() if (t, d) == (target, db)}
            total = sum(statuses.values())
            listed = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
            lines.append(f"  {target:<12} {db:<8} {total:>6} answers  ({listed})")
        by_kind: Counter[str] = Counter()
        for (_, kind), count in self.kinds.items():
            by_kind[kind.split(":")[0]] += count
        lines.append("  inputs by kind: " + ", ".join(f"{k}: {n}" for k, n in sorted(by_kind.items())))
        lines += [f"  VIOLATION {v}" for v in self.violations[:50]]
        return lines


TALLY = Tally()


class Violation(AssertionError):
    pass


# ---------------------------------------------------------------------------------------------------------
# The harness


def _leaks(needles: Iterable[str], texts: Iterable[str]) -> list[str]:
    haystack = "\n".join(texts).lower()
    found = []
    for needle in needles:
        lowered = needle.lower()
        if lowered.isdigit():  # a digit run (CPR, phone) counts only where it is not part of a longer number
            if re.search(rf"(?<![0-9a-f]){re.escape(lowered)}(?![0-9a-f])", haystack):
                found.append(needle)
        elif lowered in haystack:
            found.append(needle)
    return found


def _multipart(fields: list[tuple[str, str]], files: list[str]) -> tuple[bytes, str]:
    """multipart/form-data as a browser encodes it (names with quotes and line breaks percent-escaped)."""
    boundary = f"----fuzz{secrets.token_hex(16)}"

    def name(value: str) -> str:
        return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")

    parts = []
    for key, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name(key)}"\r\n\r\n'.encode()
                     + value.encode("utf-8") + b"\r\n")
    for key in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name(key)}"; filename="a.txt"\r\n'
                     f"Content-Type: text/plain\r\n\r\n".encode() + b"Zqx-file-content\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@dataclass
class Browser:
    """Cookies and the CSRF token of one browser on a form."""

    nonce: str
    token: str
    session: str | None = None


class Harness:
    """One intake under test (in process, development login), the browsers that use its forms, and the
    checks. ``backend``: "sqlite" or "postgres", for the counts."""

    def __init__(self, intake: IntakeUnderTest, backend: str, tally: Tally = TALLY) -> None:
        self.intake = intake
        self.backend = backend
        self.tally = tally
        self.app = ErrorCatcher(intake.app)
        self.protection: CsrfProtection = intake.app.state.infohus_csrf
        self.session_cookie: str = intake.app.state.infohus_auth.sessions.cookie_name
        self.browsers: dict[tuple[Target, Auth], Browser] = {}
        self.logs = LogCapture()
        self.spans = SpanCapture.installed()

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False, client=("192.0.2.10", 40000))
        return httpx.AsyncClient(transport=transport, base_url="https://intake.test", timeout=60)

    # -- browsers ------------------------------------------------------------------------------------------

    async def _sign_in(self, client: httpx.AsyncClient, role: Role) -> str:
        login = await client.get("/auth/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token, "no CSRF token on the development login page"
        answer = await client.post("/auth/login", data={"csrf_token": token.group(1), "password": DEV_PASSWORD,
                                                         "username": dev_user_for(role).username, "next": "/"})
        assert answer.status_code == 303, answer.text
        session = client.cookies.get(self.session_cookie)
        assert session, "the development login set no session cookie"
        return session

    async def browser(self, target: Target, auth: Auth) -> Browser:
        """A browser that opened the form (signed in for the staff form): its CSRF cookie and token."""
        key = (target, auth)
        if key not in self.browsers:
            async with self.client() as client:
                session = None
                if target is Target.STAFF_FORM and auth in (Auth.INTAKE, Auth.OTHER_ROLE):
                    session = await self._sign_in(client, Role.INTAKE if auth is Auth.INTAKE else Role.AUDITOR)
                nonce = secrets.token_urlsafe(32)
                client.cookies.set(self.protection.cookie_name, nonce)
                opens = target if target is not Target.STAFF_FORM or auth is Auth.INTAKE else Target.PUBLIC_FORM
                page = await client.get(PATHS[opens])  # staff who may not use the form: a token all the same
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                assert page.status_code == 200 and token, f"cannot open {target}: {page.status_code}"
                self.browsers[key] = Browser(nonce, token.group(1), session)
        return self.browsers[key]

    # -- sending -------------------------------------------------------------------------------------------

    async def _request(self, item: FuzzInput) -> tuple[httpx.Response, str]:
        body, form, submission_id = item.with_submission_id()
        headers = dict(item.headers)
        raw_headers: list[tuple[bytes, bytes]] = []  # bytes as sent (httpx would refuse non-ASCII text)
        if item.target is Target.API:
            if item.auth is Auth.INTAKE:
                headers |= dev_headers_for(self.intake.auth, Role.INTAKE)
            elif item.auth is Auth.PARTNER:
                headers |= dev_headers_for(self.intake.auth, Role.PARTNER)
            elif item.auth is Auth.OTHER_ROLE:
                headers |= dev_headers_for(self.intake.auth, Role.AUDITOR)
            elif item.auth is Auth.GARBAGE:
                raw_headers.append((b"authorization", b"Bearer garbage.\xe6\xf8\xe5\r\nX-Injected: 1"))
        else:
            browser = await self.browser(item.target, item.auth)
            cookies = [] if item.csrf is Csrf.NO_COOKIE else [f"{self.protection.cookie_name}={browser.nonce}"]
            if browser.session:
                cookies.append(f"{self.session_cookie}={browser.session}")
            if cookies:
                headers["cookie"] = "; ".join(cookies)
            token = {Csrf.VALID: browser.token, Csrf.NO_COOKIE: browser.token, Csrf.CROSS_SITE: browser.token,
                     Csrf.FORGED: browser.token[:-3] + ("AAA" if not browser.token.endswith("AAA") else "BBB"),
                     Csrf.OTHER_NONCE: self.protection.issue(secrets.token_urlsafe(32)),
                     Csrf.MISSING: None}[item.csrf]
            if item.csrf is Csrf.CROSS_SITE:
                headers["origin"] = "https://evil.example"
            if form is not None:
                fields = form + ([(CSRF_FIELD, token)] if token is not None else [])
                files = ["description"] if item.kind == "encoding:multipart-file" else []
                if item.multipart or files:
                    body, headers["content-type"] = _multipart(fields, files)
                else:
                    body = urlencode(fields).encode()
                    headers["content-type"] = "application/x-www-form-urlencoded"
            elif token is not None:
                body += b"&" + CSRF_FIELD.encode() + b"=" + quote(token).encode()
        if item.content_type is not None:
            headers["content-type"] = item.content_type
        content: bytes | AsyncIterator[bytes] = body
        if item.stream:
            async def chunks() -> AsyncIterator[bytes]:
                for start in range(0, len(body), 65536):
                    yield body[start:start + 65536]
            content = chunks()
        async with self.client() as client:
            all_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()] + raw_headers
            response = await client.post(PATHS[item.target], content=content, headers=all_headers)
        return response, submission_id

    async def _counts(self) -> tuple[int, int]:
        return await self.intake.counts()

    async def _stored(self, submission_id: str) -> dict[str, Any] | None:
        async with self.intake.container.runtime.sessions() as session:
            row = (await session.execute(select(concerns).where(concerns.c.submission_id == submission_id))
                   ).mappings().first()
        return dict(row) if row is not None else None

    # -- checking ------------------------------------------------------------------------------------------

    async def run(self, item: FuzzInput) -> None:
        """Sends ``item`` (twice if it asks) and records every violation of the checks."""
        started = time.perf_counter()
        try:
            problems = await self._run(item)
        finally:
            self.tally.seconds[self.backend] = self.tally.seconds.get(self.backend, 0.0) + time.perf_counter() - started
        self.tally.kinds[(item.target.value, item.kind)] += 1
        for problem in problems:
            summary = item.body[:300] if item.form is None else repr(item.form)[:300]
            self.tally.violations.append(f"[{item.target.value}/{self.backend}] {item.kind}: {problem}; "
                                         f"input: {summary!r}")

    async def _run(self, item: FuzzInput) -> list[str]:
        problems: list[str] = []
        before = await self._counts()
        self.app.errors.clear()
        log_start, span_start = len(self.logs.texts), len(self.spans.texts)
        self.spans.active = True
        try:
            response, submission_id = await self._request(item)
            self.tally.statuses[(item.target.value, self.backend, response.status_code)] += 1
            after = await self._counts()
            problems += await self._outcome(item, response, submission_id, before, after)
            if item.repeat and response.is_success:
                again = await self._resend(item, submission_id)
                self.tally.statuses[(item.target.value, self.backend, again.status_code)] += 1
                problems += self._repeat(item, response, again, after, await self._counts())
        finally:
            self.spans.active = False
        for error in self.app.errors:
            where = error.__traceback__
            while where is not None and where.tb_next is not None:
                where = where.tb_next
            line = f" at {where.tb_frame.f_code.co_filename.rsplit('/', 3)[-1]}:{where.tb_lineno}" if where else ""
            problems.append(f"the app raised {type(error).__name__}: {str(error)[:160]}{line}")
        texts = self.logs.texts[log_start:] + self.spans.texts[span_start:]
        if leaks := _leaks(self._needles(item), texts):
            problems.append(f"personal values in logs or spans: {leaks}")
        return problems

    def _needles(self, item: FuzzInput) -> list[str]:
        return [needle for value in item.personal for needle in personal_needles(value)]

    async def _resend(self, item: FuzzInput, submission_id: str) -> httpx.Response:
        """The same input with the same submission id (a double click, a reload)."""
        fixed = FuzzInput(**{**item.__dict__, "body": item.body.replace(SID.encode(), submission_id.encode()),
                             "form": None if item.form is None else [
                                 (k, v.replace(SID, submission_id)) for k, v in item.form],
                             "repeat": False})
        response, _ = await self._request(fixed)
        return response

    def _reference(self, item: FuzzInput, response: httpx.Response) -> str | None:
        """The receipt's reference, if the answer is a receipt."""
        if item.target is Target.API:
            if response.status_code in (200, 201):
                try:
                    return str(response.json()["reference"])
                except (ValueError, KeyError, TypeError):
                    return None
            return None
        match = re.search(r'id="reference">([^<]+)<', response.text)
        return match.group(1).strip() if match else None

    async def _outcome(self, item: FuzzInput, response: httpx.Response, submission_id: str,
                       before: tuple[int, int], after: tuple[int, int]) -> list[str]:
        status = response.status_code
        problems = []
        if status >= 500:
            problems.append(f"status {status}")
        reference = self._reference(item, response)
        stored = (after[0] - before[0], after[1] - before[1])
        expect = item.expect
        if expect is Expect.CONSISTENT:
            expect = Expect.ACCEPT if response.is_success and reference else (
                Expect.NOOP if response.is_success else Expect.REJECT)
        if expect is Expect.ACCEPT:
            wanted = 201 if item.target is Target.API else 200
            if status != wanted or reference is None:
                problems.append(f"a valid input was answered {status} without a receipt: {response.text[:300]!r}")
            elif stored != (1, 1):
                problems.append(f"accepted, but stored {stored} (concerns, outbox) instead of (1, 1)")
            else:
                problems += await self._stored_as_sent(item, submission_id)
        elif expect is Expect.NOOP:
            if not response.is_success or reference is not None:
                problems.append(f"expected the form again (2xx), got {status}")
            if stored != (0, 0):
                problems.append(f"stored {stored} (concerns, outbox) without a submission")
        else:
            if not 400 <= status < 500:
                problems.append(f"an invalid input was answered {status}, not 4xx")
            if stored != (0, 0):
                problems.append(f"a rejected input left {stored} (concerns, outbox) rows behind")
        problems += self._answer_is_clean(item, response)
        return problems

    async def _stored_as_sent(self, item: FuzzInput, submission_id: str) -> list[str]:
        """Free text (injection strings included) is stored exactly as sent; ignored values are not stored."""
        row = await self._stored(submission_id)
        if row is None:
            return [f"accepted, but no row with submission id {submission_id}"]
        body = json.loads(row["body"])
        problems = []
        for path, sent in item.stored_text.items():
            value: Any = body
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if not isinstance(value, str) or value.strip() != sent.strip():
                problems.append(f"{path} was stored altered")
        if leaks := _leaks(item.never_stored, [row["body"]]):
            problems.append(f"values the target must ignore were stored: {leaks}")
        return problems

    def _repeat(self, item: FuzzInput, first: httpx.Response, again: httpx.Response, before: tuple[int, int],
                after: tuple[int, int]) -> list[str]:
        problems = []
        wanted = 200
        if again.status_code != wanted or self._reference(item, again) != self._reference(item, first):
            problems.append(f"sent twice: the second answer was {again.status_code}, not the same receipt")
        if after != before:
            problems.append("sent twice: the second one stored rows")
        problems += self._answer_is_clean(item, again)
        return problems

    def _answer_is_clean(self, item: FuzzInput, response: httpx.Response) -> list[str]:
        """API answers never echo personal values; pages show markup only escaped; no header carries either."""
        problems = []
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        texts = [headers] + ([response.text] if item.target is Target.API else [])
        if leaks := _leaks(self._needles(item), texts):
            problems.append(f"personal values in the answer: {leaks}")
        if item.target is not Target.API and (raw := [m for m in item.markup if m in response.text]):
            problems.append(f"markup shown unescaped on the page: {raw}")
        return problems


def run_in(loop: asyncio.AbstractEventLoop, harness: Harness, item: FuzzInput) -> None:
    """From Hypothesis's thread: one input, on the loop the intake runs on."""
    asyncio.run_coroutine_threadsafe(harness.run(item), loop).result(timeout=600)
