"""Fixtures for the sign-in tests: in-process identity providers and development settings."""

from __future__ import annotations

import pytest

from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.auth import AuthMode, AuthSettings
from infohus.kit.settings import Environment


@pytest.fixture
def idp() -> FakeIdentityProvider:
    return FakeIdentityProvider(algorithm="RS256")


@pytest.fixture
def es_idp() -> FakeIdentityProvider:
    return FakeIdentityProvider(algorithm="ES256")


def development_settings(**overrides: object) -> AuthSettings:
    values: dict[str, object] = {"environment": Environment.DEVELOPMENT, "mode": AuthMode.DEVELOPMENT,
                                 "cookie_secure": False, "login_rate_per_minute": 5, "login_burst": 5}
    return AuthSettings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture
def dev_settings() -> AuthSettings:
    return development_settings()
