"""The owning services' subject-access endpoints (``POST /api/v1/subject-access``), called as the signed-in
administrator: each checks ``SUBJECT_ACCESS`` and logs the export itself."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from contracts.subject_access import (
    AuditPart,
    IntakePart,
    MailsRequest,
    NotifyPart,
    RoutingPart,
    SubjectAccessRequest,
)
from services.workspace.adapters.services import ServiceClient

PATH = "/api/v1/subject-access"


@dataclass(frozen=True)
class SubjectAccessApi:
    intake_http: ServiceClient
    routing_http: ServiceClient
    audit_http: ServiceClient
    notify_http: ServiceClient

    @classmethod
    def of(cls, app: FastAPI) -> SubjectAccessApi:
        """Over the clients the workspace already holds for each service."""
        state = app.state
        return cls(state.intake.http, state.routing.http, state.audit.http, state.notify.http)

    async def audit(self, token: str, request: SubjectAccessRequest) -> AuditPart:
        return AuditPart.model_validate(await self.audit_http.post(PATH, token, request.model_dump(mode="json")))

    async def intake(self, token: str, request: SubjectAccessRequest) -> IntakePart:
        return IntakePart.model_validate(await self.intake_http.post(PATH, token, request.model_dump(mode="json")))

    async def routing(self, token: str, request: SubjectAccessRequest) -> RoutingPart:
        return RoutingPart.model_validate(await self.routing_http.post(PATH, token, request.model_dump(mode="json")))

    async def notify(self, token: str, request: MailsRequest) -> NotifyPart:
        return NotifyPart.model_validate(await self.notify_http.post(PATH, token, request.model_dump(mode="json")))
