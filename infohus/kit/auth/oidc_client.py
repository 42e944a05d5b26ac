"""The OpenID Connect relying party behind the browser sign-in, built on Authlib.

Discovery (``{issuer}/.well-known/openid-configuration``, issuer checked exactly), the authorization URL
with ``state``, ``nonce`` and PKCE S256, the code exchange and refresh (Authlib's ``AsyncOAuth2Client``),
and the ID token check (joserfc signature against the provider's JWKS with the allowed asymmetric
algorithms only; Authlib's ``CodeIDToken`` claims: ``iss``, ``aud`` = client id, ``azp``, ``exp``/``iat``,
``nonce``, ``at_hash``).
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from typing import Any

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oidc.core import CodeIDToken
from joserfc import jwt as jose_jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from infohus.kit.auth.errors import AuthenticationError, IdentityProviderUnavailable
from infohus.kit.auth.sessions import Clock
from infohus.kit.auth.settings import ASYMMETRIC_ALGORITHMS, AuthSettings

with warnings.catch_warnings():
    # Authlib 1.9 prefers httpx2 and warns when it falls back to httpx, which the rest of Infohus uses.
    warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

log = logging.getLogger(__name__)

_METADATA_TTL_S = 3600.0
_JWKS_MIN_REFRESH_S = 30.0


class OidcBrowserClient:
    """One identity provider and one client registration (``OIDC_CLIENT_ID``)."""

    def __init__(self, settings: AuthSettings, *, clock: Clock = time.time,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not (settings.oidc_issuer and settings.oidc_client_id):
            raise ValueError("the browser sign-in needs INFOHUS_AUTH_OIDC_ISSUER and _OIDC_CLIENT_ID")
        self.settings = settings
        self.issuer: str = settings.oidc_issuer
        self.client_id: str = settings.oidc_client_id
        self.algorithms = [a for a in settings.oidc_algorithms if a in ASYMMETRIC_ALGORITHMS]
        self.clock = clock
        self._transport = transport
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = float("-inf")
        self._jwks: KeySet | None = None
        self._jwks_at = float("-inf")
        self._lock = asyncio.Lock()

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self.settings.oidc_http_timeout_s, follow_redirects=False,
                                 transport=self._transport)

    def _oauth(self, redirect_uri: str | None = None) -> AsyncOAuth2Client:
        secret = self.settings.oidc_client_secret
        return AsyncOAuth2Client(
            client_id=self.client_id, client_secret=secret.get_secret_value() if secret else None,
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            scope=self.settings.oidc_scopes, redirect_uri=redirect_uri, code_challenge_method="S256",
            timeout=self.settings.oidc_http_timeout_s, transport=self._transport)

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._http() as client:
                response = await client.get(url, headers={"accept": "application/json"})
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("identity provider request failed (%s)", type(error).__name__)
            raise IdentityProviderUnavailable("identity provider unavailable") from error
        if not isinstance(document, dict):
            raise IdentityProviderUnavailable("identity provider answered with something else than an object")
        return document

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (cached for an hour)."""
        if self._metadata is not None and time.monotonic() - self._metadata_at < _METADATA_TTL_S:
            return self._metadata
        async with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata_at >= _METADATA_TTL_S:
                document = await self._get_json(self.settings.discovery_url)
                if document.get("issuer") != self.issuer:
                    raise IdentityProviderUnavailable("the discovery document names another issuer")
                for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(document.get(endpoint), str):
                        raise IdentityProviderUnavailable(f"the discovery document has no {endpoint}")
                self._metadata, self._metadata_at = document, time.monotonic()
        return self._metadata

    async def _key_set(self, *, force: bool) -> KeySet:
        now = time.monotonic()
        if self._jwks is not None and not (force and now - self._jwks_at >= _JWKS_MIN_REFRESH_S):
            return self._jwks
        document = await self._get_json((await self.metadata())["jwks_uri"])
        try:
            self._jwks = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as error:
            raise IdentityProviderUnavailable("the provider's JWKS is unusable") from error
        self._jwks_at = now
        return self._jwks

    async def authorization_url(self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        async with self._oauth(redirect_uri) as oauth:
            url, _ = oauth.create_authorization_url(endpoint, state=state, nonce=nonce,
                                                    code_verifier=code_verifier)
        return str(url)

    async def exchange(self, *, code: str, redirect_uri: str, code_verifier: str) -> dict[str, Any]:
        """The token response for an authorization code (AuthenticationError when the provider refuses)."""
        endpoint = (await self.metadata())["token_endpoint"]
        async with self._oauth(redirect_uri) as oauth:
            return await self._token_call(oauth.fetch_token(endpoint, grant_type="authorization_code", code=code,
                                                            code_verifier=code_verifier))

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        endpoint = (await self.metadata())["token_endpoint"]
        async with self._oauth() as oauth:
            return await self._token_call(oauth.refresh_token(endpoint, refresh_token=refresh_token))

    @staticmethod
    async def _token_call(call: Any) -> dict[str, Any]:
        try:
            token = await call
        except OAuthError as error:
            raise AuthenticationError(f"the provider refused the grant ({error.error})") from error
        except httpx.HTTPError as error:
            raise IdentityProviderUnavailable("identity provider unavailable") from error
        if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
            raise AuthenticationError("the token response has no access token")
        return dict(token)

    async def id_token_claims(self, token: dict[str, Any], *, nonce: str) -> dict[str, Any]:
        """The claims of the token response's ID token, after every check OpenID Connect asks for."""
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise AuthenticationError("the token response has no ID token")
        try:
            try:
                decoded = jose_jwt.decode(id_token, await self._key_set(force=False), algorithms=self.algorithms)
            except InvalidKeyIdError:
                decoded = jose_jwt.decode(id_token, await self._key_set(force=True), algorithms=self.algorithms)
            claims = CodeIDToken(
                decoded.claims, decoded.header,
                {"iss": {"essential": True, "value": self.issuer}, "aud": {"essential": True, "value": self.client_id},
                 "exp": {"essential": True}},
                {"nonce": nonce, "client_id": self.client_id, "access_token": token.get("access_token")})
            claims.validate(now=int(self.clock()), leeway=self.settings.oidc_leeway_s)
        except JoseError as error:
            raise AuthenticationError(f"invalid ID token ({error.error})") from error
        if claims.get("iss") != self.issuer:
            raise AuthenticationError("wrong issuer")
        return dict(claims)

    async def end_session_url(self, *, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """The provider's logout URL (RP-initiated logout), or None when it offers none."""
        endpoint = (await self.metadata()).get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        params = [("client_id", self.client_id), ("post_logout_redirect_uri", post_logout_redirect_uri)]
        if id_token:
            params.append(("id_token_hint", id_token))
        return str(add_params_to_uri(endpoint, params))


def token_expires_at(token: dict[str, Any], now: float) -> float | None:
    """When a token response's access token expires (``expires_in`` from ``now``), if it says."""
    expires_in = token.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        return None
    return now + float(expires_in)
