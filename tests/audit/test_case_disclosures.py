"""The disclosures about an infohus case, for the tovholdere: listed with basis, purpose and recipient,
refused to roles that do not work infohus cases, and each read written to audit's read-access log."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from infohus.kit.auth import Role
from tests.audit.test_http_disclosures import body, record

CASE = UUID(int=200)


async def test_a_tovholder_lists_the_disclosures_of_a_case_and_the_read_is_logged(
        client, credentials, audit_sqlite) -> None:
    assert (await record(client, credentials, body())).status_code == 201
    headers = credentials.of(Role.TOVHOLDER_POLICE, user="politi-pia")
    listed = await client.get(f"/api/v1/disclosures/by-case/{CASE}", headers=headers)
    assert listed.status_code == 200
    [row] = listed.json()
    assert row["kind"] == "DISCLOSURE" and row["legal_basis"] == body()["legal_basis"]
    assert sorted(row["data_categories"]) == sorted(body()["data_categories"])
    assert (await client.get(f"/api/v1/disclosures/by-case/{UUID(int=201)}", headers=headers)).json() == []
    table = audit_sqlite.read_log.table
    async with audit_sqlite.runtime.sessions() as session:
        rows = (await session.execute(select(table.c.user_id, table.c.case_id))).all()
    assert (("politi-pia", str(CASE)) in rows) and len(rows) == 2


async def test_only_the_tovholdere_list_a_cases_disclosures(client, credentials) -> None:
    for role, status in ((Role.STRAXEN, 403), (Role.AUDITOR, 403), (Role.ADMINISTRATOR, 403),
                         (Role.TOVHOLDER_MUNICIPAL, 200)):
        response = await client.get(f"/api/v1/disclosures/by-case/{CASE}", headers=credentials.of(role))
        assert response.status_code == status, role
    assert (await client.get(f"/api/v1/disclosures/by-case/{CASE}")).status_code == 401
