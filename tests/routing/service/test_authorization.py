"""Every routing route × every role × no sign-in, derived from the kit's one permission matrix.

``authorization_cases`` fails first if any route states no ``require(...)`` rule, so a new endpoint
without a rule fails this suite; each case then expects 401/403 exactly where ``MATRIX`` says so.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter

from devtools.auth_testing import authorization_cases, csrf_credentials
from infohus.kit.auth import INFRASTRUCTURE_PATHS, Permission, Role, assert_every_route_has_a_rule, roles_for
from tests.routing.conftest import RoutingHarness

ROUTES = {
    ("GET", "/api/v1/cases"): (Permission.CASE_READ,),
    ("GET", "/api/v1/cases/{case_id}/disclosure-draft"): (Permission.CASE_TRANSITION,),
    ("GET", "/api/v1/config/rules"): (Permission.CONFIG_MANAGE,),
    ("GET", "/api/v1/underretninger"): (Permission.UNDERRETNING_READ,),
    ("GET", "/api/v1/cases/tasks"): (Permission.CASE_DISCLOSURE_DECIDE, Permission.CASE_FORWARD,
                                     Permission.UNDERRETNING_ASSESS),
    ("GET", "/api/v1/cases/by-reference/{reference}"): (Permission.CASE_READ,),
    ("GET", "/api/v1/cases/underretninger/{underretning_id}"): (Permission.UNDERRETNING_READ,),
    ("POST", "/api/v1/cases/underretninger/{underretning_id}/assessment"): (Permission.UNDERRETNING_ASSESS,),
    ("POST", "/api/v1/cases/tasks/{task_id}/receipt"): (Permission.UNDERRETNING_ASSESS,),
    ("POST", "/api/v1/cases/tasks/{task_id}/orientation"): (Permission.UNDERRETNING_ASSESS,),
    ("POST", "/api/v1/cases/tasks/{task_id}/disclosure-decision"): (Permission.CASE_DISCLOSURE_DECIDE,),
    ("POST", "/api/v1/cases/tasks/{task_id}/forwarding"): (Permission.CASE_FORWARD,),
    ("GET", "/api/v1/cases/{case_id}"): (Permission.CASE_READ,),
    ("POST", "/api/v1/cases/{case_id}/triage"): (Permission.CASE_TRIAGE_MUNICIPAL, Permission.CASE_TRIAGE_POLICE),
    ("POST", "/api/v1/cases/{case_id}/actions"): (Permission.CASE_TRANSITION,),
    ("POST", "/api/v1/cases/{case_id}/age-corrections"): (Permission.CASE_TRANSITION,),
    ("POST", "/api/v1/cases/{case_id}/person-links"): (Permission.CASE_TRANSITION,),
    ("POST", "/api/v1/cases/{case_id}/person-links/{concern_id}/unlink"): (Permission.CASE_TRANSITION,),
    ("GET", "/api/v1/notifications/requested"): (Permission.NOTIFICATIONS_REQUESTED_READ,),
    ("GET", "/api/v1/read-access-log"): (Permission.READ_LOG_READ,),
    ("POST", "/api/v1/subject-access"): (Permission.SUBJECT_ACCESS,),
    ("GET", "/api/v1/legal-holds"): (Permission.RETENTION_MANAGE,),
    ("POST", "/api/v1/legal-holds"): (Permission.RETENTION_MANAGE,),
    ("POST", "/api/v1/legal-holds/{hold_id}/lift"): (Permission.RETENTION_MANAGE,),
    ("GET", "/api/v1/retention/plan"): (Permission.RETENTION_MANAGE,),
}
"""What each route requires (the matrix decides who holds it); a new route must be added here too."""


async def test_every_route_refuses_exactly_whom_the_matrix_refuses(routing: RoutingHarness) -> None:
    app = routing.app()
    cases = authorization_cases(app)
    served = [c for c in cases if c.rule.path not in INFRASTRUCTURE_PATHS]  # health probes: open to all
    assert {(c.method, c.rule.path) for c in served} == set(ROUTES)
    assert len(served) == len(ROUTES) * (len(Role) + 1)  # every role and anonymous
    for case in served:  # the rule each route states is the one listed above
        wanted = ROUTES[(case.method, case.rule.path)]
        assert case.rule.allowed_roles == roles_for(*wanted), case.id
        assert case.rule.allows_anonymous == (wanted == (Permission.PUBLIC,)), case.id
    cookies, csrf = csrf_credentials(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://routing.test",
                                 cookies=cookies) as client:
        for case in cases:
            response = await client.request(case.method, case.path,
                                            headers=csrf | routing.idp.headers_for(case.role))
            case.check(response.status_code)


def test_a_route_without_a_rule_fails_the_suite(routing: RoutingHarness) -> None:
    app = routing.app()
    stray = APIRouter()

    @stray.get("/api/v1/cases/stray/{case_id}")
    async def stray_route(case_id: str) -> dict[str, str]:
        return {"case_id": case_id}

    app.include_router(stray)
    with pytest.raises(AssertionError, match="/api/v1/cases/stray"):
        assert_every_route_has_a_rule(app)
    with pytest.raises(AssertionError, match="/api/v1/cases/stray"):
        authorization_cases(app)
