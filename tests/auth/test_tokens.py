"""OIDC bearer tokens: what is accepted, everything that must be refused, and the JWKS cache."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from devtools.auth_testing import FakeIdentityProvider, b64url, new_private_key, public_jwk
from infohus.kit.auth import AuthenticationError, IdentityProviderUnavailable, Permission, Role
from infohus.kit.auth.oidc import JwksCache, OidcVerifier, httpx_fetcher
from infohus.kit.auth.settings import AuthSettings
from tests.auth.demo import demo_app
from tests.auth.test_route_table import client_for


def verifier(idp: FakeIdentityProvider, **settings: Any) -> OidcVerifier:
    return OidcVerifier(idp.settings(**settings), fetcher=idp.fetch)


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(payload).encode())
    return f"{head}.{body}.{b64url(signature)}"


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"


async def refused(v: OidcVerifier, token: str, reason: str | None = None) -> str:
    with pytest.raises(AuthenticationError) as raised:
        await v.verify(token)
    if reason is not None:
        assert raised.value.reason == reason
    return raised.value.reason


# --- accepted ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "PS256", "ES384", "EdDSA"])
async def test_a_valid_token_signs_in_with_its_roles(algorithm: str) -> None:
    idp = FakeIdentityProvider(algorithm=algorithm)
    token = idp.token(roles=["tovholder_police", "not-a-role"], subject="p-7")
    principal = await verifier(idp, oidc_algorithms=[algorithm]).authenticate(token)
    assert principal.user_id == "p-7"
    assert principal.roles == {Role.TOVHOLDER_POLICE}
    assert principal.display_name == "Test p-7"
    assert principal.method == "oidc"


async def test_roles_from_a_nested_claim_through_the_mapping(idp: FakeIdentityProvider) -> None:
    v = verifier(idp, roles_claim="realm_access.roles",
                 role_mapping={"infohus-tovholder-kommune": "tovholder_municipal",
                               "infohus-revisor": "auditor"})
    token = idp.token(claims={"realm_access": {"roles": ["infohus-tovholder-kommune", "tovholder_police",
                                                         "offline_access"]}})
    assert (await v.authenticate(token)).roles == {Role.TOVHOLDER_MUNICIPAL}
    string_claim = idp.token(claims={"realm_access": {"roles": "infohus-revisor infohus-tovholder-kommune"}})
    assert (await v.authenticate(string_claim)).roles == {Role.AUDITOR, Role.TOVHOLDER_MUNICIPAL}


async def test_a_partner_authority_signs_in_with_its_own_role(idp: FakeIdentityProvider) -> None:
    """The partner channel's role comes from the provider's claim like any other; never intake staff's."""
    v = verifier(idp, role_mapping={"idp-role-samarbejdspartner": "partner", "idp-role-intake": "intake"})
    principal = await v.authenticate(idp.token(roles=["idp-role-samarbejdspartner"], subject="politi-17"))
    assert principal.roles == {Role.PARTNER}
    assert principal.can(Permission.CONCERN_CREATE_PARTNER) and not principal.can(Permission.CONCERN_CREATE_PHONE)


async def test_municipalities_from_the_claim_or_the_default(idp: FakeIdentityProvider) -> None:
    v = verifier(idp, municipality_claim="org.kommune", default_municipalities=["183"])
    assert (await v.authenticate(idp.token(claims={"org": {"kommune": ["167", "183", 7]}}))).municipalities == {
        "167", "183"}
    assert (await v.authenticate(idp.token(claims={"org": {"kommune": "167"}}))).municipalities == {"167"}
    assert (await v.authenticate(idp.token())).municipalities == {"183"}  # no claim: the default
    assert (await v.authenticate(idp.token(claims={"org": {"kommune": []}}))).municipalities == frozenset()
    production_default = verifier(idp, environment="production", session_secret="s" * 40,
                                  oidc_jwks_url="https://idp.test/jwks")
    assert production_default.settings.fallback_municipalities == frozenset()


async def test_expiry_within_the_small_leeway_is_accepted(idp: FakeIdentityProvider) -> None:
    token = idp.token(now=time.time() - 310, lifetime_s=300)  # expired 10 s ago, leeway 30 s
    await verifier(idp).verify(token)
    await refused(verifier(idp, oidc_leeway_s=0), token, "token expired")


# --- refused ------------------------------------------------------------------------------------------

async def test_wrong_issuer(idp: FakeIdentityProvider) -> None:
    await refused(verifier(idp), idp.token(claims={"iss": "https://evil.example.invalid/"}), "wrong issuer")
    for near_miss in (idp.issuer[:-3], idp.issuer + "/", idp.issuer.upper()):
        await refused(verifier(idp), idp.token(claims={"iss": near_miss}), "wrong issuer")
    as_list = json.dumps(idp.claims() | {"iss": [idp.issuer]}).encode()
    token = jwt.PyJWS().encode(as_list, idp.private_key, algorithm="RS256", headers={"kid": idp.kid})
    await refused(verifier(idp), token)


async def test_wrong_audience(idp: FakeIdentityProvider) -> None:
    await refused(verifier(idp), idp.token(claims={"aud": "another-app"}), "wrong audience")
    await refused(verifier(idp), idp.token(claims={"aud": ["another-app", "third-app"]}), "wrong audience")


async def test_expired(idp: FakeIdentityProvider) -> None:
    await refused(verifier(idp), idp.token(now=time.time() - 3600, lifetime_s=300), "token expired")


async def test_not_yet_valid(idp: FakeIdentityProvider) -> None:
    await refused(verifier(idp), idp.token(claims={"nbf": int(time.time()) + 600}), "token not yet valid")


@pytest.mark.parametrize("claim", ["exp", "iss", "aud", "sub"])
async def test_missing_required_claim(idp: FakeIdentityProvider, claim: str) -> None:
    payload = idp.claims(roles=["auditor"])
    del payload[claim]
    token = jwt.encode(payload, idp.private_key, algorithm="RS256", headers={"kid": idp.kid})
    await refused(verifier(idp), token)


async def test_bad_signature_from_another_key_under_the_same_kid(idp: FakeIdentityProvider) -> None:
    forged = idp.token(key=new_private_key("RS256"), roles=["auditor"])
    await refused(verifier(idp), forged, "bad signature")


async def test_tampered_payload(idp: FakeIdentityProvider) -> None:
    head, _, signature = idp.token(roles=["intake"]).split(".")
    body = b64url(json.dumps(idp.claims(roles=["auditor"])).encode())
    await refused(verifier(idp), f"{head}.{body}.{signature}", "bad signature")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none(idp: FakeIdentityProvider, alg: str) -> None:
    token = unsigned({"alg": alg, "typ": "JWT", "kid": idp.kid}, idp.claims(roles=["auditor"]))
    await refused(verifier(idp), token, "algorithm not allowed")


async def test_hs256_with_the_public_key_as_secret(idp: FakeIdentityProvider) -> None:
    public = idp.private_key.public_key()
    secrets = [
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        json.dumps(idp.public_jwk).encode(),
    ]
    for secret in secrets:
        token = hs256({"alg": "HS256", "typ": "JWT", "kid": idp.kid}, idp.claims(roles=["auditor"]), secret)
        await refused(verifier(idp), token, "algorithm not allowed")


def test_settings_refuse_none_and_hs_algorithms(idp: FakeIdentityProvider) -> None:
    for algorithms in (["none"], ["HS256"], ["RS256", "HS512"], []):
        with pytest.raises(ValidationError):
            idp.settings(oidc_algorithms=algorithms)


async def test_hs256_stays_refused_even_if_settings_were_forced(idp: FakeIdentityProvider) -> None:
    values = dict(idp.settings()) | {"oidc_algorithms": ["RS256", "HS256", "none"]}
    forced = AuthSettings.model_construct(**values)
    v = OidcVerifier(forced, fetcher=idp.fetch)
    pem = idp.private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    token = hs256({"alg": "HS256", "kid": idp.kid}, idp.claims(roles=["auditor"]), pem)
    await refused(v, token, "algorithm not allowed")
    await refused(v, unsigned({"alg": "none", "kid": idp.kid}, idp.claims()), "algorithm not allowed")


async def test_an_algorithm_off_the_allow_list(idp: FakeIdentityProvider) -> None:
    token = idp.token(algorithm="RS512")  # the right key, but RS512 is not allowed
    await refused(verifier(idp), token, "algorithm not allowed")
    rs512 = FakeIdentityProvider(algorithm="RS512")
    await verifier(rs512, oidc_algorithms=["RS512"]).verify(rs512.token())
    await refused(verifier(rs512), rs512.token(), "algorithm not allowed")


async def test_the_key_type_must_match_the_algorithm(idp: FakeIdentityProvider) -> None:
    """An ES256 token whose kid names the RSA key is refused, with or without an alg on the JWK."""
    ec_key = new_private_key("ES256")
    token = idp.token(key=ec_key, algorithm="ES256")
    await refused(verifier(idp), token)
    idp_without_alg = FakeIdentityProvider()
    jwk = {k: v for k, v in idp_without_alg.public_jwk.items() if k != "alg"}
    idp_without_alg.extra_keys = []

    async def fetch(_url: str) -> dict[str, Any]:
        return {"keys": [jwk]}

    v = OidcVerifier(idp_without_alg.settings(), fetcher=fetch)
    token = idp_without_alg.token(key=ec_key, algorithm="ES256")
    await refused(v, token, "key type does not match the algorithm")


async def test_unknown_kid(idp: FakeIdentityProvider) -> None:
    await refused(verifier(idp), idp.token(headers={"kid": "someone-elses"}), "no matching signing key")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_weak_rsa_keys_and_private_material_in_the_jwks_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    idp = FakeIdentityProvider()
    idp.private_key = weak
    await refused(verifier(idp), idp.token(), "RSA keys must be public and at least 2048 bits")

    leaky = FakeIdentityProvider()
    private_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(leaky.private_key)) | {"kid": leaky.kid}

    async def fetch(_url: str) -> dict[str, Any]:
        return {"keys": [private_jwk]}

    v = OidcVerifier(leaky.settings(), fetcher=fetch)
    await refused(v, leaky.token(), "the JWKS offers private or symmetric key material")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 20_000])
async def test_malformed_tokens(idp: FakeIdentityProvider, token: str) -> None:
    await refused(verifier(idp), token)


# --- JWKS cache ---------------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_jwks_is_cached_and_refreshed_after_its_ttl(idp: FakeIdentityProvider) -> None:
    clock = Clock()
    jwks = JwksCache(idp.jwks_url, fetcher=idp.fetch, ttl_s=300, min_refresh_s=30, clock=clock)
    v = OidcVerifier(idp.settings(), jwks=jwks)
    for _ in range(5):
        await v.verify(idp.token())
    assert idp.fetches == 1
    clock.now += 301
    await v.verify(idp.token())
    assert idp.fetches == 2


async def test_key_rotation_refreshes_once_and_unknown_kids_cannot_hammer_the_provider(
        idp: FakeIdentityProvider) -> None:
    clock = Clock()
    jwks = JwksCache(idp.jwks_url, fetcher=idp.fetch, ttl_s=300, min_refresh_s=30, clock=clock)
    v = OidcVerifier(idp.settings(), jwks=jwks)
    await v.verify(idp.token())
    clock.now += 31
    rotated = new_private_key("RS256")
    idp.extra_keys = [public_jwk(rotated, "RS256", "rotated-1")]
    await v.verify(idp.token(key=rotated, headers={"kid": "rotated-1"}))
    assert idp.fetches == 2
    for _ in range(10):
        await refused(v, idp.token(headers={"kid": "bogus"}), "no matching signing key")
    assert idp.fetches == 2, "unknown kids must not trigger a fetch each"


async def test_provider_down_without_cached_keys_is_unavailable_then_keys_held_are_kept(
        idp: FakeIdentityProvider) -> None:
    clock = Clock()
    jwks = JwksCache(idp.jwks_url, fetcher=idp.fetch, ttl_s=300, min_refresh_s=30, clock=clock)
    v = OidcVerifier(idp.settings(), jwks=jwks)
    idp.available = False
    for _ in range(3):
        with pytest.raises(IdentityProviderUnavailable):
            await v.verify(idp.token())
    assert idp.fetches == 1, "a provider that is down is not asked again at once"
    clock.now += 31
    idp.available = True
    await v.verify(idp.token())
    idp.available = False
    clock.now += 400
    await v.verify(idp.token())  # the provider is down, the keys held still verify


async def test_httpx_fetcher_reads_the_jwks(idp: FakeIdentityProvider) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == idp.jwks_url
        return httpx.Response(200, json=idp.jwks())

    fetch = httpx_fetcher(transport=httpx.MockTransport(handler))
    v = OidcVerifier(idp.settings(), fetcher=fetch)
    assert (await v.authenticate(idp.token(roles=["auditor"]))).roles == {Role.AUDITOR}

    redirecting = httpx_fetcher(transport=httpx.MockTransport(
        lambda _r: httpx.Response(302, headers={"location": "https://evil.example.invalid/jwks"})))
    with pytest.raises(IdentityProviderUnavailable):
        await OidcVerifier(idp.settings(), fetcher=redirecting).verify(idp.token())


# --- over HTTP ----------------------------------------------------------------------------------------

async def test_refusals_over_http(idp: FakeIdentityProvider) -> None:
    app = demo_app(idp.settings(), jwks_fetcher=idp.fetch)
    async with client_for(app) as client:
        good = {"authorization": f"Bearer {idp.token(roles=['auditor'])}"}
        assert (await client.get("/api/v1/disclosures", headers=good)).status_code == 200
        expired = {"authorization": f"Bearer {idp.token(roles=['auditor'], now=time.time() - 3600)}"}
        response = await client.get("/api/v1/disclosures", headers=expired)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        basic = {"authorization": "Basic dXNlcjpwYXNz"}
        assert (await client.get("/api/v1/disclosures", headers=basic)).status_code == 401
        no_role = {"authorization": f"Bearer {idp.token(roles=[])}"}
        assert (await client.get("/api/v1/disclosures", headers=no_role)).status_code == 403
        # a public endpoint does not fail because of a bad token: the caller is simply anonymous
        response = await client.post("/api/v1/concerns", headers=expired)
        assert response.status_code == 200 and response.json() == {"authenticated": False}


async def test_provider_down_answers_503(idp: FakeIdentityProvider) -> None:
    idp.available = False
    app = demo_app(idp.settings(), jwks_fetcher=idp.fetch)
    async with client_for(app) as client:
        response = await client.get("/api/v1/disclosures",
                                    headers={"authorization": f"Bearer {idp.token(roles=['auditor'])}"})
    assert response.status_code == 503


async def test_without_oidc_configuration_everything_protected_is_refused() -> None:
    settings = AuthSettings(environment="test", mode="oidc")
    app = demo_app(settings)
    idp = FakeIdentityProvider()
    async with client_for(app) as client:
        response = await client.get("/api/v1/disclosures", headers=idp.headers_for(Role.AUDITOR))
    assert response.status_code == 401
