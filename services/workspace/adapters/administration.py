"""Notify's deliveries (and their re-drive) and routing's rules in force, for the administration pages,
called as the signed-in administrator (the services check ``NOTIFICATION_REDRIVE`` / ``CONFIG_MANAGE``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from pydantic import AwareDatetime, BaseModel

from services.workspace.adapters.services import ApiError, ServiceClient, ServiceUnavailable, SignInRequired


class DeliveryRow(BaseModel):
    """A delivery as notify shows it to operations: references, codes, times and the failure; no address."""

    notification_id: UUID
    reference: str | None = None
    destination: str
    purpose: str
    state: str
    attempts: int
    reason: str | None = None
    created_at: AwareDatetime | None = None
    dead_lettered_at: AwareDatetime | None = None
    next_attempt_at: AwareDatetime | None = None
    redrive_count: int = 0


class DeliveryList(BaseModel):
    counts: dict[str, int]
    total: int
    items: list[DeliveryRow]


class RedriveAnswer(BaseModel):
    notification_id: UUID
    outcome: str
    message_da: str
    reference: str | None = None


class RulesInForce(BaseModel):
    version: str
    municipality_name: str
    infohus_name: str
    loaded_at: AwareDatetime
    first_decision_at: AwareDatetime | None = None


class NotifyApi:
    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self.http = ServiceClient(client, base_url)

    async def deliveries(self, token: str, state: str, limit: int) -> DeliveryList:
        found = await self.http.get("/api/v1/deliveries", token, {"state": state, "limit": limit})
        return DeliveryList.model_validate(found)

    async def redrive(self, token: str, notification_id: UUID) -> RedriveAnswer:
        """Notify's answer, a refusal (404, 409) included: it says why in Danish."""
        try:
            response = await self._client.post(f"{self._base}/api/v1/deliveries/{notification_id}/redrive",
                                               headers={"authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise ServiceUnavailable(type(error).__name__) from error
        if response.status_code >= 500:
            raise ServiceUnavailable(str(response.status_code))
        if response.status_code == 401:
            raise SignInRequired(401)
        body: Any = _json(response)
        if response.status_code in (200, 404, 409) and isinstance(body, dict) and "outcome" in body:
            return RedriveAnswer.model_validate(body)
        raise ApiError(response.status_code)


class RulesApi:
    def __init__(self, client: ServiceClient) -> None:
        self.http = client

    async def rules(self, token: str) -> RulesInForce:
        return RulesInForce.model_validate(await self.http.get("/api/v1/config/rules", token))


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
