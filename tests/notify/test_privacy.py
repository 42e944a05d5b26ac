"""No personal data in any mail: a concern full of personal values goes through intake, routing and notify,
and every value (in the usual spellings) is searched for in the bytes sent, decoded or not. The § 138 receipt
mailed to the reporter carries the reporter's address as its recipient, and nothing else of the concern."""

from __future__ import annotations

import email
import json
import re
import uuid
from collections.abc import Iterator
from datetime import date
from email import policy
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from contracts.concern import WARNING_SIGN_CODES
from devtools.auth_testing import FakeIdentityProvider
from devtools.devstack.mailbox import LocalMailbox
from devtools.devstack.municipality import office_always_open
from services.notify.adapters.orm import deliveries, tables
from services.routing.entrypoints.http import create_app as routing_app
from tests.conftest import Databases
from tests.notify.conftest import TK, UND
from tests.system import InfohusSystem, build_system
from tests.waiting import eventually

# Fields whose values are codes, not personal data (they may legitimately show up as a label).
NOT_PERSONAL = {"channel", "category", "acuteness", "warning_signs", "crime_suspicion", "claims_professional",
                "stated_age", "municipality"}


def full_concern() -> dict[str, Any]:
    return {
        "submission_id": f"web-{uuid.uuid4().hex}",
        "channel": "WEB",
        "reporter": {"category": "PROF_PUBLIC", "name": "Birgitte Sørensen-Haugaard", "role": "Klasselærer",
                     "workplace": "Strandgårdskolen, Vejlebrovej 65", "phone": "+45 21 43 65 87",
                     "email": "birgitte.haugaard@skole.example.org"},
        "subjects": [{"name": "Mikkel Østergaard Rasmussen", "cpr": "150310-4321", "date_of_birth": "2010-03-15",
                      "stated_age": 16, "municipality": "Ishøj"}],
        "children_at_risk": [{"name": "Freja Østergaard Rasmussen", "cpr": "0207154562",
                              "date_of_birth": "2015-07-02"}],
        "description": "Mikkel har vist sin lillesøster videoer fra Telegram-kanalen Nordfront Ungdom og taler om "
                       "at tage til Gellerupparken med en kniv. Familien bor på Ishøj Strandvej 112, 2. th.",
        "warning_signs": [str(code) for code in list(WARNING_SIGN_CODES)[:2]],  # codes, not personal data
        "acuteness": "URGENT",
        "crime_suspicion": True,
    }


def personal_values(concern: dict[str, Any]) -> set[str]:
    """Every personal string of the concern, and the ways it could be written in a mail."""
    values: set[str] = set()
    for key, value in _leaves(concern):
        if key in NOT_PERSONAL or not isinstance(value, str):
            continue
        values.add(value)
        if key == "cpr":
            digits = value.replace("-", "")
            values |= {digits, f"{digits[:6]}-{digits[6:]}", digits[:6]}
        elif key == "date_of_birth":
            born = date.fromisoformat(value)
            values |= {born.strftime("%d.%m.%Y"), born.strftime("%d-%m-%Y"), born.strftime("%d%m%y")}
        elif key == "phone":
            values.add(re.sub(r"\D", "", value)[-8:])
        elif key in ("name", "workplace", "description"):
            values |= {word for word in re.findall(r"\w+", value) if len(word) >= 5 and word[0].isupper()}
            values |= {value[i:i + 24] for i in range(0, max(1, len(value) - 24), 12)}
    values.add(concern["submission_id"])
    return values


def _leaves(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item, key)
    else:
        yield key, node


def readable_forms(raw: bytes) -> list[str]:
    """The bytes as sent, and every header and part as a reader sees it (decoded from QP/base64/RFC 2047)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    forms = [raw.decode("utf-8", errors="replace")]
    forms += [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if not part.is_multipart():
            forms.append(str(part.get_content()))  # type: ignore[attr-defined]
    return forms


async def test_no_personal_value_of_the_concern_reaches_any_mail_or_notify_record(
        tmp_path: Path, kafka: Any, mailbox: LocalMailbox, unique: str) -> None:
    services = ("intake", "routing", "notify", "audit")
    databases = Databases("sqlite", {s: f"sqlite+aiosqlite:///{tmp_path}/{s}.db" for s in services},
                          dict.fromkeys(services))
    # The office-hours route, whatever the hour: out of hours the first two mails may include vagt@.
    system = build_system(databases, kafka.bootstrap_servers, unique, mailbox,
                          municipality_config=office_always_open(tmp_path))
    await system.start()
    try:
        concern = full_concern()
        async with system.http() as client:
            response = await client.post("/api/v1/concerns", json=concern)
        assert response.status_code == 201, response.text
        reference = response.json()["reference"]
        mails = await mailbox.wait_for(2, timeout=30)

        async def notify_records() -> list[str] | None:
            async with system.notify.unit_of_work() as uow:
                rows = [json.dumps(dict(r), default=str) for r in
                        (await uow.session.execute(select(deliveries))).mappings()]
                events = list((await uow.session.execute(select(tables.outbox.c.payload))).scalars())
            return rows + events if sum("NotificationSent" in e for e in events) >= 2 else None

        records = await eventually(notify_records, within=20)
        # StraXen has Infohus mail the § 138 receipt to the reporter's work address.
        address = concern["reporter"]["email"]
        task_id = await send_receipt(system, address)

        async def to_reporter() -> list[bytes]:
            return [raw for raw in mailbox.raw_messages() if address.encode() in raw.split(b"\r\n\r\n")[0]]

        [receipt_raw] = await eventually(to_reporter, within=30)
        staff_mails = [raw for raw in mailbox.raw_messages() if raw != receipt_raw]

        async def receipt_task_done() -> Any:  # notify's SENT status reached routing: the § 138 task is done
            async with system.routing.unit_of_work() as uow:
                task = await uow.tasks.get(task_id)
            return task if task is not None and task.outcome == "SENT_BY_INFOHUS" else None

        await eventually(receipt_task_done, within=30)
    finally:
        await system.stop()

    assert {str(m["To"]) for m in mails} >= {TK, UND}
    assert all(reference in str(m["Subject"]) for m in mails)
    haystacks = [form.casefold() for raw in staff_mails for form in readable_forms(raw)]
    haystacks += [record.casefold() for record in records]
    values = personal_values(concern)
    assert len(values) > 30  # the search covers the whole concern, not a token few
    leaked = sorted(v for v in values if any(v.casefold() in h for h in haystacks))
    assert leaked == [], f"personal data in mails or notify's records: {leaked}"

    # The receipt: its recipient's address, and nothing else of the concern.
    receipt = email.message_from_bytes(receipt_raw, policy=policy.default)
    assert str(receipt["To"]) == address
    assert str(receipt["Subject"]) == f"Kvittering for din underretning · {reference}"
    receipt_forms = [form.casefold() for form in readable_forms(receipt_raw)]
    # Allowed: the address and the words it is made of; "Ishøj" (in the concern's street address) names the sender.
    allowed = {v for v in values if v.casefold() in address.casefold()} | {"Ishøj"}
    assert "Mikkel" in values - allowed and "Strandgårdskolen" in values - allowed
    leaked = sorted(v for v in values - allowed if any(v.casefold() in h for h in receipt_forms))
    assert leaked == [], f"personal data in the receipt mail: {leaked}"
    assert not any("http" in form for form in receipt_forms)  # no link into Infohus


async def send_receipt(system: InfohusSystem, address: str) -> uuid.UUID:
    """StraXen's request through routing's case API, signed in through an in-process identity provider."""
    idp = FakeIdentityProvider()
    app = routing_app(system.routing, manage_runtime=False, auth=idp.settings(), jwks_fetcher=idp.fetch)
    token = idp.token(roles=["straxen"], subject="sofie")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://routing.test",
                                 headers={"authorization": f"Bearer {token}"}) as client:
        tasks = await eventually(lambda: _receipt_tasks(client), within=20)
        response = await client.post(f"/api/v1/cases/tasks/{tasks[0]['task_id']}/receipt", json={"send_to": address})
    assert response.status_code == 200, response.text
    return uuid.UUID(tasks[0]["task_id"])


async def _receipt_tasks(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    tasks = (await client.get("/api/v1/cases/tasks")).json()
    return [t for t in tasks if t["kind"] == "RECEIPT_CONFIRMATION"]


def test_the_search_finds_values_hidden_by_transfer_encodings() -> None:
    """The leak search itself: a value in a base64 body, a quoted-printable part or an encoded subject is found."""
    from email.message import EmailMessage

    concern = full_concern()
    name, cpr = concern["subjects"][0]["name"], concern["subjects"][0]["cpr"]
    message = EmailMessage()
    message["Subject"] = f"Sag om {name}"  # RFC 2047 encoded: ø is not ASCII
    message["To"] = "tk@ishoj.dk"
    message.set_content(f"CPR {cpr.replace('-', '')}", cte="base64")
    message.add_alternative(f"<p>{concern['description']}</p>", subtype="html", cte="quoted-printable")
    raw = message.as_bytes()
    assert name.encode() not in raw and concern["description"][:30].encode() not in raw  # hidden in the bytes
    haystacks = [form.casefold() for form in readable_forms(raw)]
    found = {v for v in personal_values(concern) if any(v.casefold() in h for h in haystacks)}
    assert {name, cpr.replace("-", ""), concern["description"][:24]} <= found
