"""Every route of the demo service × every role × not signed in, with the expectation derived from the
matrix; and a route without a rule fails the check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from devtools.auth_testing import (
    AuthCase,
    FakeIdentityProvider,
    authorization_cases,
    csrf_credentials,
    dev_headers_for,
)
from infohus.kit.auth import (
    INFRASTRUCTURE_PATHS,
    Permission,
    Principal,
    Role,
    assert_every_route_has_a_rule,
    require,
    route_rules,
)
from tests.auth.conftest import development_settings
from tests.auth.demo import demo_app

IDP = FakeIdentityProvider()
OIDC_APP = demo_app(IDP.settings(), jwks_fetcher=IDP.fetch)
OIDC_CASES = authorization_cases(OIDC_APP)
DEV_SETTINGS = development_settings()
DEV_APP = demo_app(DEV_SETTINGS)
DEV_CASES = [c for c in authorization_cases(DEV_APP) if not c.rule.path.startswith("/auth/")]


def client_for(app: FastAPI, **options: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, **options),  # type: ignore[arg-type]
                             base_url="https://testserver")


async def _table_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that also carries a valid CSRF token, so form routes are judged by their access rule."""
    async with client_for(app) as client:
        cookies, headers = csrf_credentials(app)
        client.cookies.update(cookies)
        client.headers.update(headers)
        yield client


@pytest.fixture(scope="module")
async def oidc_client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _table_client(OIDC_APP):
        yield client


@pytest.fixture(scope="module")
async def dev_client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _table_client(DEV_APP):
        yield client


def test_the_table_covers_every_permission_every_role_and_anonymous() -> None:
    stated = {p for case in OIDC_CASES for rule in case.rule.rules for p in rule}
    assert stated == set(Permission)
    assert {case.role for case in OIDC_CASES} == {None, *Role}
    assert len(OIDC_CASES) == 23 * (len(Role) + 1)


@pytest.mark.parametrize("case", OIDC_CASES, ids=lambda c: c.id)
async def test_oidc_route_table(case: AuthCase, oidc_client: httpx.AsyncClient) -> None:
    response = await oidc_client.request(case.method, case.path, headers=IDP.headers_for(case.role))
    case.check(response.status_code)
    if case.expected_refusal is None:
        assert response.status_code == 200, response.text
    if case.expected_refusal == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("case", DEV_CASES, ids=lambda c: c.id)
async def test_development_route_table(case: AuthCase, dev_client: httpx.AsyncClient) -> None:
    headers = dev_headers_for(DEV_SETTINGS, case.role)
    response = await dev_client.request(case.method, case.path, headers=headers)
    case.check(response.status_code)
    if case.expected_refusal is None:
        assert response.status_code == 200, response.text


def test_expectations_follow_the_matrix_for_combined_rules() -> None:
    """Router rule CASE_READ and endpoint rule CASE_TRIAGE_POLICE: only the police tovholder."""
    rule = next(r for r in route_rules(OIDC_APP) if r.path.startswith("/api/v1/police/"))
    assert rule.allowed_roles == {Role.TOVHOLDER_POLICE}
    assert rule.expected_refusal(None) == 401
    assert rule.expected_refusal(Role.TOVHOLDER_MUNICIPAL) == 403
    any_of = next(r for r in route_rules(OIDC_APP) if r.path.endswith("/by-reference/{reference}"))
    assert any_of.allowed_roles == {Role.TOVHOLDER_MUNICIPAL, Role.TOVHOLDER_POLICE, Role.STRAXEN}


@pytest.mark.parametrize(("role", "kinds"), [(Role.TOVHOLDER_POLICE, ["infohus_case"]),
                                             (Role.STRAXEN, ["underretning"])])
async def test_need_to_know_filters_records(role: Role, kinds: list[str],
                                            oidc_client: httpx.AsyncClient) -> None:
    response = await oidc_client.get("/api/v1/cases/by-reference/R-1", headers=IDP.headers_for(role))
    assert [case["kind"] for case in response.json()] == kinds


def test_the_whole_demo_app_passes_the_rule_check() -> None:
    assert_every_route_has_a_rule(OIDC_APP)
    assert_every_route_has_a_rule(DEV_APP)


def test_a_new_endpoint_without_a_rule_fails() -> None:
    app = demo_app(IDP.settings(), jwks_fetcher=IDP.fetch)

    @app.get("/api/v1/cases/{case_id}/narrative")
    async def leak(case_id: str) -> dict[str, str]:
        return {"narrative": "…"}

    with pytest.raises(AssertionError, match=r"GET /api/v1/cases/\{case_id\}/narrative"):
        assert_every_route_has_a_rule(app)
    with pytest.raises(AssertionError):
        authorization_cases(app)
    assert_every_route_has_a_rule(app, public={"/api/v1/cases/{case_id}/narrative"})


def test_other_dependencies_do_not_count_as_a_rule() -> None:
    app = FastAPI()

    async def something() -> None:
        return None

    router = APIRouter(dependencies=[Depends(something)])

    @router.get("/x")
    async def x(_: Annotated[None, Depends(something)]) -> None:
        return None

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=".", check_dir=False), name="static")
    with pytest.raises(AssertionError) as raised:
        assert_every_route_has_a_rule(app)
    assert "/x" in str(raised.value) and "/static" in str(raised.value)
    assert "/openapi.json" not in str(raised.value)
    assert "/openapi.json" in INFRASTRUCTURE_PATHS


def test_a_rule_on_the_router_counts() -> None:
    app = FastAPI()
    router = APIRouter(dependencies=[require(Permission.AUDIT_READ)])

    @router.get("/y")
    async def y() -> None:
        return None

    app.include_router(router)
    rules = assert_every_route_has_a_rule(app)
    assert next(r for r in rules if r.path == "/y").allowed_roles == {Role.AUDITOR}


async def test_require_without_install_fails_closed() -> None:
    app = FastAPI()

    @app.get("/z")
    async def z(_: Annotated[Principal, require(Permission.CASE_READ)]) -> None:
        return None

    async with client_for(app, raise_app_exceptions=False) as client:
        assert (await client.get("/z")).status_code == 500


def test_require_refuses_meaningless_rules() -> None:
    with pytest.raises(ValueError):
        require()
    with pytest.raises(ValueError):
        require(Permission.PUBLIC, Permission.CASE_READ)
