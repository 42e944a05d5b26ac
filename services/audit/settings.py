from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from infohus.kit.settings import ServiceSettings
from services.audit.domain.checkpoint import load_private_key, load_public_key
from services.audit.domain.invariant_types import DEFAULT_SOCIAL_AUTHORITY_UNITS, InvariantContext


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_AUDIT_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/audit.db"
    http_port: int = 8003
    # Ed25519 private key (PEM, or base64 of PEM/DER/raw seed). From the environment or a secret store,
    # never from the repository.
    checkpoint_signing_key: SecretStr | None = None
    # Where only verification happens (an auditor's machine), the public key is enough.
    checkpoint_public_key: str | None = None
    # Sign a checkpoint this often when the log has grown (0: only on demand).
    checkpoint_interval_s: float = 3600.0
    # Authorities that are police (I4/I5, § 115 stk. 1 and 5); empty: names containing "POLITI".
    police_authorities: list[str] = []
    # Discloser units that are a social authority for § 115 a (I4): a municipal decision.
    social_authority_units: list[str] = sorted(DEFAULT_SOCIAL_AUTHORITY_UNITS)
    # [P] The municipality's own mail domains (subdomains included): Q12 reconciles mails sent anywhere
    # else with the disclosure log. JSON list in the environment, e.g. '["ishoj.dk"]'.
    internal_mail_domains: list[str] = ["ishoj.dk"]
    # Worker processes of `infohus audit verify` for a large log (0: two per CPU; 1: no workers).
    verify_workers: int = Field(default=0, ge=0)

    def production_problems(self) -> list[str]:
        if self.checkpoint_signing_key is None:
            return ["INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY must be set in production"]
        return []

    def private_key(self) -> Ed25519PrivateKey | None:
        if self.checkpoint_signing_key is None:
            return None
        return load_private_key(self.checkpoint_signing_key.get_secret_value())

    def public_key(self) -> Ed25519PublicKey | None:
        if self.checkpoint_public_key:
            return load_public_key(self.checkpoint_public_key)
        private = self.private_key()
        return None if private is None else private.public_key()

    def invariant_context(self) -> InvariantContext:
        return InvariantContext(
            police_authorities=frozenset(self.police_authorities) if self.police_authorities else None,
            social_authority_units=frozenset(self.social_authority_units))


Settings = AuditSettings
