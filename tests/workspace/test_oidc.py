"""The workspace in production's sign-in mode, against a real OpenID Connect provider that the test starts
(panva/oidc-provider): a mail's link, the provider's login and consent, back to that page; routing and
intake accept the session's access token, so the pages show what those services serve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.devstack.broker import LocalBroker
from devtools.devstack.mailbox import LocalMailbox
from infohus.kit.auth import AuthMode, AuthSettings
from infohus.kit.settings import Environment
from tests.auth.oidc_server import (
    API_AUDIENCE,
    APP_BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    OidcServer,
    running_provider,
)
from tests.auth.test_oidc_browser import at_callback
from tests.conftest import Databases
from tests.workspace.conftest import running_workspace
from tests.workspace.test_flow import STORY, concern, link_path, mail_to

pytestmark = pytest.mark.slow
MAPPING = {"infohus-tovholder-kommune": "tovholder_municipal", "infohus-revisor": "auditor"}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcServer]:
    with running_provider(tmp_path_factory.mktemp("oidc") / "provider.log") as server:
        yield server


def bearer_settings(provider: OidcServer, **browser: Any) -> AuthSettings:
    """What routing and intake run with in production: access tokens checked against the provider."""
    return AuthSettings(environment=Environment.TEST, mode=AuthMode.OIDC, oidc_issuer=provider.issuer,
                        oidc_audience=API_AUDIENCE, oidc_jwks_url=provider.jwks_url, roles_claim="roles",
                        role_mapping=MAPPING, session_secret="test-secret-" + "x" * 32, **browser)


def browser_settings(provider: OidcServer) -> AuthSettings:
    """The workspace's: the browser sign-in (authorization code with PKCE) besides."""
    return bearer_settings(provider, oidc_browser_login=True, oidc_client_id=CLIENT_ID,
                           oidc_client_secret=CLIENT_SECRET, oidc_redirect_url=REDIRECT_URI,
                           oidc_scopes="openid profile email", cookie_secure=True)


async def test_a_tovholder_signs_in_through_the_identity_provider_and_works_the_case(
        provider: OidcServer, databases: Databases, kafka: LocalBroker, unique: str, tmp_path: Path,
        mailbox: LocalMailbox) -> None:
    async with running_workspace(databases, kafka, unique, tmp_path, mailbox,
                                 services_auth=bearer_settings(provider),
                                 workspace_auth=browser_settings(provider)) as (ws, app):
        async with ws.system.http() as api:
            assert (await api.post("/api/v1/concerns", json=concern())).status_code == 201
        case_path = link_path(mail_to(await ws.mailbox.wait_for(2, timeout=30), "tk@"))
        # A browser: the workspace at its public address (the provider's redirect URI), the provider itself.
        async with httpx.AsyncClient(mounts={APP_BASE: httpx.ASGITransport(app=app)}, base_url=APP_BASE,
                                     timeout=30) as browser:
            first = await browser.get(case_path)
            assert first.status_code == 303 and first.headers["location"].startswith("/auth/login?next=")
            back = await browser.get(await at_callback(browser, "kommune-1", next_path=case_path))
            assert back.status_code == 303 and back.headers["location"] == case_path
            page = await browser.get(case_path)
            assert page.status_code == 200, page.text
            assert STORY in page.text and "Ali Testesen" in page.text  # intake accepted the access token
            assert "kommunens tovholder" in page.text  # the role mapped from the provider's claim
            inbox = await browser.get("/sager")
            assert inbox.status_code == 200 and "Sager" in inbox.text
            assert (await browser.get("/underretninger")).status_code == 403
