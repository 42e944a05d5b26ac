"""Every intake route has an access rule, checked against every role and a caller who is not signed in.

The expectations come from the kit's one matrix (``infohus/kit/auth/roles.py``): a new route without a
``require(...)`` fails here, and so does a route that lets in a role the matrix does not.
"""

from __future__ import annotations

import pytest

from devtools.auth_testing import authorization_cases, csrf_credentials
from infohus.kit.auth import Permission, Role, route_rules
from services.intake.entrypoints.http import API_PATH, PUBLIC_PATHS
from tests.intake.conftest import IntakeUnderTest

PUBLIC_WEB = {("GET", "/"), ("GET", "/henvendelse"), ("POST", "/henvendelse"), ("POST", API_PATH)}
STAFF_WEB = {("GET", "/personale"), ("GET", "/personale/henvendelse"), ("POST", "/personale/henvendelse"),
             ("GET", "/personale/telefon"), ("POST", "/personale/telefon")}
PARTNER_WEB = {("GET", "/samarbejdspartner"), ("GET", "/samarbejdspartner/henvendelse"),
               ("POST", "/samarbejdspartner/henvendelse")}


async def test_every_route_against_every_role_and_anonymous(sqlite_intake: IntakeUnderTest) -> None:
    cases = authorization_cases(sqlite_intake.app, public=PUBLIC_PATHS)
    assert {case.method for case in cases} >= {"GET", "POST"}
    assert {(c.method, c.rule.path) for c in cases} >= PUBLIC_WEB | STAFF_WEB | PARTNER_WEB
    assert all(c.role is None or isinstance(c.role, Role) for c in cases)
    cookies, headers = csrf_credentials(sqlite_intake.app)
    async with sqlite_intake.client() as client:
        client.cookies.update(cookies)
        for case in cases:
            response = await client.request(case.method, case.path,
                                            headers=headers | sqlite_intake.headers_for(case.role))
            case.check(response.status_code)


def test_the_rules_are_the_ones_intended(sqlite_intake: IntakeUnderTest) -> None:
    rules = {(method, rule.path): rule for rule in route_rules(sqlite_intake.app, PUBLIC_PATHS)
             for method in rule.methods}
    for route in PUBLIC_WEB:
        assert rules[route].rules == (frozenset({Permission.PUBLIC}),), route
    for route in STAFF_WEB:
        assert rules[route].rules == (frozenset({Permission.CONCERN_CREATE_PHONE}),), route
        assert rules[route].allowed_roles == {Role.INTAKE}, route
    for route in PARTNER_WEB:
        assert rules[route].rules == (frozenset({Permission.CONCERN_CREATE_PARTNER}),), route
        assert rules[route].allowed_roles == {Role.PARTNER}, route
    assert not any(path.startswith("/personale/udviklingslogin") or path == "/personale/log-ud"
                   for _, path in rules)


def test_a_route_without_a_rule_fails_the_table(sqlite_intake: IntakeUnderTest) -> None:
    app = sqlite_intake.app

    @app.get("/personale/ny-side")
    async def new_page() -> dict[str, str]:
        return {}

    with pytest.raises(AssertionError, match="/personale/ny-side"):
        authorization_cases(app, public=PUBLIC_PATHS)

