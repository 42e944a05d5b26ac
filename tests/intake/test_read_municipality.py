"""Intake's read endpoints serve the installation's municipality (183, Ishøj) only: a reader of another
municipality gets 404 (or an empty search), and nothing is logged (both databases)."""

from __future__ import annotations

from typing import Any

import httpx

from services.intake.adapters.orm import read_access_log
from tests.intake.conftest import IntakeUnderTest
from tests.intake.test_read import API, family_body, submit


def tovholder(intake: IntakeUnderTest, municipality: Any) -> dict[str, str]:
    token = intake.idp.token(roles=["tovholder_municipal"], subject="tove", claims={"municipality": municipality})
    return {"authorization": f"Bearer {token}"}


async def status_and_body(intake: IntakeUnderTest, path: str, headers: dict[str, str],
                          **params: str) -> tuple[int, Any]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake.app), base_url="https://intake.test") as c:
        response = await c.get(path, params=params, headers=headers)
    return response.status_code, response.json()


async def test_a_reader_of_another_municipality_sees_nothing_and_nothing_is_logged(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, family_body())
    hvidovre = tovholder(intake, "167")
    assert (await status_and_body(intake, f"{API}/{stored['concern_id']}", hvidovre))[0] == 404
    assert (await status_and_body(intake, f"{API}/by-reference/{stored['reference']}", hvidovre))[0] == 404
    assert await status_and_body(intake, API, hvidovre, q="Ali Hassan") == (200, [])
    assert await intake.rows(read_access_log) == []

    for ishoj in (tovholder(intake, "183"), tovholder(intake, ["167", "183"])):
        assert (await status_and_body(intake, f"{API}/{stored['concern_id']}", ishoj))[0] == 200
        status, found = await status_and_body(intake, API, ishoj, q="Ali Hassan")
        assert status == 200 and [m["concern_id"] for m in found] == [stored["concern_id"]]
    assert len(await intake.rows(read_access_log)) == 4
