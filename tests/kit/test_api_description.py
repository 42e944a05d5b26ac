"""``/docs``, ``/redoc`` and ``/openapi.json``: served in development and test, absent in production."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData

from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.auth import install_auth
from infohus.kit.http import service_app
from infohus.kit.runtime import ServiceRuntime, ServiceTables
from infohus.kit.settings import Environment, ServiceSettings

DESCRIPTION = ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect")


def _service(environment: Environment) -> FastAPI:
    settings = ServiceSettings(environment=environment, database_url="postgresql+asyncpg://postgres@127.0.0.1:1/x")
    app = service_app("Infohus test", ServiceRuntime("test", settings, ServiceTables(MetaData())),
                      manage_runtime=False)
    idp = FakeIdentityProvider()
    production = {"oidc_jwks_url": "https://idp.test/jwks"} if environment is Environment.PRODUCTION else {}
    install_auth(app, idp.settings(environment=environment, **production), jwks_fetcher=idp.fetch)
    return app


def _plain_app_with_auth(environment: Environment) -> FastAPI:
    """An app not built by ``service_app`` (the workspace's kind): ``install_auth`` removes FastAPI's own."""
    app = FastAPI(title="Infohus other")
    idp = FakeIdentityProvider()
    production = {"oidc_jwks_url": "https://idp.test/jwks"} if environment is Environment.PRODUCTION else {}
    install_auth(app, idp.settings(environment=environment, **production), jwks_fetcher=idp.fetch)
    return app


async def _statuses(app: FastAPI) -> dict[str, int]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://svc.test") as client:
        return {path: (await client.get(path)).status_code for path in DESCRIPTION}


@pytest.mark.parametrize("build", [_service, _plain_app_with_auth])
async def test_no_api_description_in_production(build: Callable[[Environment], FastAPI]) -> None:
    assert set((await _statuses(build(Environment.PRODUCTION))).values()) == {404}


@pytest.mark.parametrize("environment", [Environment.DEVELOPMENT, Environment.TEST])
async def test_the_api_description_is_served_in_development_and_test(environment: Environment) -> None:
    statuses = await _statuses(_service(environment))
    assert statuses["/openapi.json"] == statuses["/docs"] == statuses["/redoc"] == 200
