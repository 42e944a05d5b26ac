"""The owning services' APIs, called as the signed-in user (their token), so the service that owns the
data decides who may read it and writes the read-access log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, TypeAdapter

from services.workspace.adapters.views import (
    CaseDisclosure,
    CaseList,
    CaseView,
    ConcernMatch,
    ConcernView,
    DisclosureDraft,
    TaskSummary,
    UnderretningList,
    UnderretningView,
)

M = TypeVar("M", bound=BaseModel)
Params = Mapping[str, str | int | bool | Sequence[str]]


class ApiError(Exception):
    """A refusal from a service: its status, its code and its message (which carries no personal data)."""

    def __init__(self, status: int, code: str = "", detail: Any = None) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.detail = detail


class SignInRequired(ApiError):
    """The user's token was refused (expired or revoked): sign in again."""


class ServiceUnavailable(Exception):
    """The service could not be reached or answered 5xx."""


class ServiceClient:
    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")

    async def get(self, path: str, token: str, params: Params | None = None) -> Any:
        return await self._send("GET", path, token, params=params)

    async def post(self, path: str, token: str, body: Mapping[str, Any]) -> Any:
        return await self._send("POST", path, token, json=body)

    async def _send(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, self._base + path,
                                                  headers={"authorization": f"Bearer {token}"}, **kwargs)
        except httpx.HTTPError as error:
            raise ServiceUnavailable(type(error).__name__) from error
        if response.status_code >= 500:
            raise ServiceUnavailable(str(response.status_code))
        body = _json(response)
        if response.status_code == 401:
            raise SignInRequired(401)
        if response.status_code >= 400:
            raise ApiError(response.status_code, str(body.get("code", "")) if isinstance(body, dict) else "",
                           body.get("detail") if isinstance(body, dict) else None)
        return body


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class RoutingApi:
    def __init__(self, client: ServiceClient) -> None:
        self.http = client

    async def cases(self, token: str, params: Params) -> CaseList:
        return CaseList.model_validate(await self.http.get("/api/v1/cases", token, params))

    async def case(self, token: str, case_id: UUID) -> CaseView:
        return CaseView.model_validate(await self.http.get(f"/api/v1/cases/{case_id}", token))

    async def tasks(self, token: str) -> list[TaskSummary]:
        return TypeAdapter(list[TaskSummary]).validate_python(await self.http.get("/api/v1/cases/tasks", token))

    async def underretninger(self, token: str, params: Params) -> UnderretningList:
        return UnderretningList.model_validate(await self.http.get("/api/v1/underretninger", token, params))

    async def underretning(self, token: str, underretning_id: UUID) -> UnderretningView:
        return UnderretningView.model_validate(
            await self.http.get(f"/api/v1/cases/underretninger/{underretning_id}", token))

    async def disclosure_draft(self, token: str, case_id: UUID) -> DisclosureDraft:
        return DisclosureDraft.model_validate(await self.http.get(f"/api/v1/cases/{case_id}/disclosure-draft", token))

    async def command(self, token: str, path: str, body: Mapping[str, Any]) -> Any:
        return await self.http.post(path, token, body)


class AuditApi:
    def __init__(self, client: ServiceClient) -> None:
        self.http = client

    async def case_disclosures(self, token: str, case_id: UUID) -> list[CaseDisclosure]:
        found = await self.http.get(f"/api/v1/disclosures/by-case/{case_id}", token)
        return TypeAdapter(list[CaseDisclosure]).validate_python(found)

    async def record(self, token: str, record: Mapping[str, Any]) -> Any:
        return await self.http.post("/api/v1/disclosures", token, record)


class IntakeApi:
    def __init__(self, client: ServiceClient) -> None:
        self.http = client

    async def concern(self, token: str, concern_id: UUID, *, person: str | None = None) -> ConcernView:
        params = {"person": person} if person else None
        return ConcernView.model_validate(await self.http.get(f"/api/v1/concerns/{concern_id}", token, params))

    async def search(self, token: str, text: str) -> list[ConcernMatch]:
        found = await self.http.get("/api/v1/concerns", token, {"q": text, "limit": 50})
        return TypeAdapter(list[ConcernMatch]).validate_python(found)
