"""Why a request was not let in. Messages say what failed, never what the token or password was."""

from __future__ import annotations


class AuthenticationError(Exception):
    """Credentials were presented but are not valid (answered with 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IdentityProviderUnavailable(AuthenticationError):
    """The JWKS could not be fetched and no keys are cached (answered with 503)."""
