"""A demo service built only from the kit: one route per permission, a need-to-know list endpoint and a
router whose rule combines with the endpoint's. The tests check every route against every role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form

from infohus.kit.auth import (
    AuthSettings,
    CaseKind,
    Permission,
    Principal,
    install_auth,
    require,
)
from infohus.kit.auth.oidc import JwksFetcher
from infohus.kit.security_headers import verify_csrf

P = Permission
CASES: list[dict[str, Any]] = [
    {"id": "c-1", "kind": CaseKind.INFOHUS_CASE, "narrative": "Bekymring om en voksen"},
    {"id": "u-1", "kind": CaseKind.UNDERRETNING, "narrative": "Bekymring om et barn"},
]


def who(principal: Principal) -> dict[str, Any]:
    return {"user_id": principal.user_id, "roles": sorted(principal.roles)}


def demo_app(settings: AuthSettings, *, jwks_fetcher: JwksFetcher | None = None, **install_options: Any) -> FastAPI:
    app = FastAPI()
    install_auth(app, settings, jwks_fetcher=jwks_fetcher, **({"service": "routing"} | install_options))

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/concerns")
    async def web_form(principal: Annotated[Principal, require(P.PUBLIC)]) -> dict[str, Any]:
        return {"authenticated": principal.authenticated}

    @app.post("/web/concern-form", dependencies=[require(P.PUBLIC), Depends(verify_csrf)])
    async def html_form(text: Annotated[str, Form()] = "") -> dict[str, Any]:
        return {"received": len(text)}

    @app.post("/api/v1/concerns/phone")
    async def phone(principal: Annotated[Principal, require(P.CONCERN_CREATE_PHONE)]) -> dict[str, Any]:
        return who(principal)

    @app.post("/api/v1/concerns/partner")
    async def partner(principal: Annotated[Principal, require(P.CONCERN_CREATE_PARTNER)]) -> dict[str, Any]:
        return who(principal)

    @app.get("/api/v1/cases/{case_id}", dependencies=[require(P.CASE_READ)])
    async def read_case(case_id: str) -> dict[str, str]:
        return {"id": case_id}

    @app.post("/api/v1/cases/{case_id}/transitions", dependencies=[require(P.CASE_TRANSITION)])
    async def transition(case_id: str) -> dict[str, str]:
        return {"id": case_id}

    @app.post("/api/v1/cases/{case_id}/triage/municipal", dependencies=[require(P.CASE_TRIAGE_MUNICIPAL)])
    async def triage_municipal(case_id: str) -> dict[str, str]:
        return {"id": case_id}

    @app.get("/api/v1/underretninger/{underretning_id}", dependencies=[require(P.UNDERRETNING_READ)])
    async def read_underretning(underretning_id: str) -> dict[str, str]:
        return {"id": underretning_id}

    @app.post("/api/v1/underretninger/{underretning_id}/assessment",
              dependencies=[require(P.UNDERRETNING_ASSESS)])
    async def assess(underretning_id: str) -> dict[str, str]:
        return {"id": underretning_id}

    @app.post("/api/v1/disclosures", dependencies=[require(P.DISCLOSURE_RECORD)])
    async def record_disclosure() -> dict[str, str]:
        return {"status": "recorded"}

    @app.get("/api/v1/disclosures", dependencies=[require(P.AUDIT_READ)])
    async def disclosure_log() -> list[str]:
        return []

    @app.post("/api/v1/audit/verify", dependencies=[require(P.AUDIT_VERIFY)])
    async def verify() -> dict[str, bool]:
        return {"intact": True}

    @app.put("/api/v1/config", dependencies=[require(P.CONFIG_MANAGE)])
    async def config() -> dict[str, str]:
        return {"status": "saved"}

    @app.post("/api/v1/deliveries/{notification_id}/redrive", dependencies=[require(P.NOTIFICATION_REDRIVE)])
    async def redrive(notification_id: str) -> dict[str, str]:
        return {"id": notification_id}

    @app.post("/api/v1/tasks/{task_id}/disclosure-decision", dependencies=[require(P.CASE_DISCLOSURE_DECIDE)])
    async def disclosure_decision(task_id: str) -> dict[str, str]:
        return {"id": task_id}

    @app.post("/api/v1/tasks/{task_id}/forwarding", dependencies=[require(P.CASE_FORWARD)])
    async def forwarding(task_id: str) -> dict[str, str]:
        return {"id": task_id}

    @app.get("/api/v1/notifications/requested", dependencies=[require(P.NOTIFICATIONS_REQUESTED_READ)])
    async def notifications_requested() -> list[str]:
        return []

    @app.post("/api/v1/subject-access", dependencies=[require(P.SUBJECT_ACCESS)])
    async def subject_access() -> dict[str, str]:
        return {"status": "exported"}
    @app.get("/api/v1/retention/plan", dependencies=[require(P.RETENTION_MANAGE)])
    async def retention_plan() -> dict[str, str]:
        return {"service": "demo"}

    @app.get("/api/v1/read-log", dependencies=[require(P.READ_LOG_READ)])
    async def read_log() -> list[str]:
        return []

    @app.get("/api/v1/cases/by-reference/{reference}")
    async def by_reference(
            reference: str, principal: Annotated[Principal, require(P.CASE_READ, P.UNDERRETNING_READ)],
    ) -> list[dict[str, Any]]:
        """Serves both kinds; need-to-know decides record by record."""
        return [case for case in CASES if principal.can_read(case["kind"])]

    police = APIRouter(prefix="/api/v1/police", dependencies=[require(P.CASE_READ)])

    @police.post("/cases/{case_id}/triage")
    async def triage_police(case_id: str,
                            _: Annotated[Principal, require(P.CASE_TRIAGE_POLICE)]) -> dict[str, str]:
        return {"id": case_id}

    app.include_router(police)
    return app
