"""OpenID Connect bearer tokens: the identity provider's JWKS (cached) and JWT validation.

A token is accepted only when all of these hold:

- its ``alg`` is on the configured allow-list, which holds asymmetric algorithms only (never ``none``,
  never an HS* algorithm, so a public key can never be used as a shared secret);
- the key named by ``kid`` is in the JWKS, is a public signing key of the type and curve the algorithm
  needs (RSA keys of at least 2048 bits), and, when the JWK names an ``alg``, it is the token's;
- the signature verifies; ``iss`` and ``aud`` are the configured ones; ``exp`` is present and not past
  and ``nbf``/``iat`` not in the future, each with a small leeway; the user id claim is present.

Roles come from a configurable claim (a dotted path reaches into objects, e.g. ``realm_access.roles``),
mapped to :class:`~infohus.kit.auth.roles.Role` through ``role_mapping``; unknown values are ignored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from infohus.kit.auth.errors import AuthenticationError, IdentityProviderUnavailable
from infohus.kit.auth.principal import Principal
from infohus.kit.auth.roles import Role
from infohus.kit.auth.settings import ASYMMETRIC_ALGORITHMS, AuthSettings

log = logging.getLogger(__name__)

JwksFetcher = Callable[[str], Awaitable[dict[str, Any]]]
"""Fetches the JWKS document at a URL; injectable so tests serve keys in-process."""

MAX_TOKEN_BYTES = 16_384
_EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
_JWK_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
_RETRY_WITHOUT_KEYS_S = 5.0
"""With no keys held, a failed fetch is retried at most this often (requests meanwhile get 503)."""


def httpx_fetcher(timeout_s: float = 5.0, *,
                  transport: httpx.AsyncBaseTransport | None = None) -> JwksFetcher:
    """Fetches the JWKS over HTTP(S) without following redirects."""

    async def fetch(url: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False,
                                     transport=transport) as client:
            response = await client.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        if not isinstance(document, dict):
            raise ValueError("the JWKS is not a JSON object")
        return document

    return fetch


class JwksCache:
    """The identity provider's signing keys, fetched at most once per ``min_refresh_s`` and kept for
    ``ttl_s``. An unknown ``kid`` triggers one early refresh (key rotation); a failed fetch keeps the
    keys already held."""

    def __init__(self, url: str, *, fetcher: JwksFetcher | None = None, ttl_s: float = 300.0,
                 min_refresh_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._fetch = fetcher or httpx_fetcher()
        self._ttl_s = ttl_s
        self._min_refresh_s = min_refresh_s
        self._clock = clock
        self._keys: list[dict[str, Any]] | None = None
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def signing_key(self, kid: str | None, alg: str) -> Any:
        """The public key to verify a token signed with ``alg`` under ``kid``."""
        keys = await self._current(force=False)
        jwk = _select(keys, kid, alg)
        if jwk is None and self._clock() - self._attempted_at >= self._min_refresh_s:
            keys = await self._current(force=True)
            jwk = _select(keys, kid, alg)
        if jwk is None:
            raise AuthenticationError("no matching signing key")
        return _public_key(jwk, alg)

    async def _current(self, *, force: bool) -> list[dict[str, Any]]:
        if self._keys is not None and not force and self._clock() - self._fetched_at < self._ttl_s:
            return self._keys
        async with self._lock:
            now = self._clock()
            fresh = self._keys is not None and now - self._fetched_at < self._ttl_s
            recently_tried = now - self._attempted_at < self._min_refresh_s
            if self._keys is not None and ((fresh and not force) or recently_tried):
                return self._keys
            retry_after_s = min(self._min_refresh_s, _RETRY_WITHOUT_KEYS_S)
            if self._keys is None and now - self._attempted_at < retry_after_s:
                raise IdentityProviderUnavailable("identity provider keys unavailable")
            self._attempted_at = now
            try:
                self.fetches += 1
                document = await self._fetch(self.url)
                keys = document.get("keys")
                if not isinstance(keys, list):
                    raise ValueError("the JWKS has no 'keys' list")
                self._keys = [k for k in keys if isinstance(k, dict)]
                self._fetched_at = now
            except Exception as error:
                if self._keys is None:
                    log.warning("JWKS unavailable (%s)", type(error).__name__)
                    raise IdentityProviderUnavailable("identity provider keys unavailable") from error
                log.warning("JWKS refresh failed (%s); keeping the keys held", type(error).__name__)
            return self._keys


def _select(keys: list[dict[str, Any]], kid: str | None, alg: str) -> dict[str, Any] | None:
    candidates = [k for k in keys if k.get("use", "sig") == "sig" and k.get("alg", alg) == alg
                  and (kid is None or k.get("kid") == kid)]
    if kid is None and len(candidates) != 1:
        return None  # without a kid only an unambiguous key will do
    return candidates[0] if candidates else None


def _public_key(jwk: dict[str, Any], alg: str) -> Any:
    if any(member in jwk for member in _PRIVATE_MEMBERS):
        raise AuthenticationError("the JWKS offers private or symmetric key material")
    expected_kty = "OKP" if alg == "EdDSA" else {"R": "RSA", "P": "RSA", "E": "EC"}[alg[0]]
    if jwk.get("kty") != expected_kty:
        raise AuthenticationError("key type does not match the algorithm")
    if alg in _JWK_CURVES and jwk.get("crv") != _JWK_CURVES[alg]:
        raise AuthenticationError("key curve does not match the algorithm")
    try:
        key = jwt.PyJWK({**jwk, "alg": alg}).key
    except jwt.PyJWTError as error:
        raise AuthenticationError("unusable signing key") from error
    if alg[0] in "RP":
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
            raise AuthenticationError("RSA keys must be public and at least 2048 bits")
    elif alg in _EC_CURVES:
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != _EC_CURVES[alg]:
            raise AuthenticationError("key curve does not match the algorithm")
    elif not isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise AuthenticationError("key type does not match the algorithm")
    return key


class OidcVerifier:
    """Validates bearer tokens of the configured identity provider and turns them into a Principal."""

    def __init__(self, settings: AuthSettings, *, fetcher: JwksFetcher | None = None,
                 jwks: JwksCache | None = None) -> None:
        if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url):
            raise ValueError("OIDC needs an issuer, an audience and a JWKS URL")
        self.settings = settings
        self.issuer: str = settings.oidc_issuer
        self.audience: str = settings.oidc_audience
        self.algorithms = [a for a in settings.oidc_algorithms if a in ASYMMETRIC_ALGORITHMS]
        self.jwks = jwks or JwksCache(settings.oidc_jwks_url,
                                      fetcher=fetcher or httpx_fetcher(settings.oidc_http_timeout_s),
                                      ttl_s=settings.oidc_jwks_cache_s,
                                      min_refresh_s=settings.oidc_jwks_min_refresh_s)

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or :class:`AuthenticationError` saying which check failed."""
        if len(token) > MAX_TOKEN_BYTES:
            raise AuthenticationError("token too large")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthenticationError("malformed token") from error
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise AuthenticationError("algorithm not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationError("malformed key id")
        key = await self.jwks.signing_key(kid, alg)
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=[alg], audience=self.audience, issuer=self.issuer,
                leeway=self.settings.oidc_leeway_s,
                options={"require": ["exp", "iss", "aud", self.settings.user_id_claim],
                         "verify_signature": True, "verify_exp": True, "verify_nbf": True,
                         "verify_iat": True, "verify_aud": True, "verify_iss": True})
        except jwt.ExpiredSignatureError as error:
            raise AuthenticationError("token expired") from error
        except jwt.ImmatureSignatureError as error:
            raise AuthenticationError("token not yet valid") from error
        except jwt.InvalidIssuerError as error:
            raise AuthenticationError("wrong issuer") from error
        except jwt.InvalidAudienceError as error:
            raise AuthenticationError("wrong audience") from error
        except jwt.InvalidSignatureError as error:
            raise AuthenticationError("bad signature") from error
        except jwt.MissingRequiredClaimError as error:
            raise AuthenticationError(f"missing claim {error.claim}") from error
        except jwt.PyJWTError as error:
            raise AuthenticationError("invalid token") from error
        if claims.get("iss") != self.issuer:  # exact match, whatever the library's version does
            raise AuthenticationError("wrong issuer")
        return claims

    def principal(self, claims: dict[str, Any]) -> Principal:
        return principal_from_claims(self.settings, claims)

    def roles(self, claims: dict[str, Any]) -> frozenset[Role]:
        return roles_from_claims(self.settings, claims)

    async def authenticate(self, token: str) -> Principal:
        return self.principal(await self.verify(token))


def principal_from_claims(settings: AuthSettings, claims: dict[str, Any]) -> Principal:
    """The principal named by verified claims: ``USER_ID_CLAIM``, ``NAME_CLAIM`` and the mapped roles."""
    user_id = claims.get(settings.user_id_claim)
    if not isinstance(user_id, str) or not user_id:
        raise AuthenticationError("missing user id")
    name = claims.get(settings.name_claim) or claims.get("preferred_username") or user_id
    return Principal(user_id=user_id, roles=roles_from_claims(settings, claims), display_name=str(name),
                     method="oidc", municipalities=municipalities_from_claims(settings, claims))


def municipalities_from_claims(settings: AuthSettings, claims: dict[str, Any]) -> frozenset[str]:
    """``MUNICIPALITY_CLAIM`` (a string or a list of strings); ``DEFAULT_MUNICIPALITIES`` when absent."""
    value = _claim(claims, settings.municipality_claim)
    if value is None:
        return settings.fallback_municipalities
    if isinstance(value, str):
        values = value.replace(",", " ").split()
    elif isinstance(value, list):
        values = [v.strip() for v in value if isinstance(v, str)]
    else:
        values = []
    return frozenset(v for v in values if v)


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def roles_from_claims(settings: AuthSettings, claims: dict[str, Any]) -> frozenset[Role]:
    """``ROLES_CLAIM`` (a dotted path reaches into objects) mapped through ``ROLE_MAPPING``; unknown values
    are ignored."""
    value: Any = claims
    for part in settings.roles_claim.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        values = value.replace(",", " ").split()
    elif isinstance(value, list):
        values = [v for v in value if isinstance(v, str)]
    else:
        values = []
    return frozenset(role for v in values if (role := settings.map_role(v)) is not None)
