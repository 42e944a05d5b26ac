from __future__ import annotations

import tomllib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from infohus.kit.retention.settings import AccessLogRetention
from infohus.kit.settings import ServiceSettings
from services.audit.domain.checkpoint import load_private_key, load_public_key
from services.audit.domain.derived import CooperationRegister
from services.audit.domain.invariant_types import DEFAULT_SOCIAL_AUTHORITY_UNITS, InvariantContext

WEB_DIR = Path(__file__).resolve().parent / "web"
# The municipality's rules file (routing reads the same): audit takes its register of cooperation participants.
DEFAULT_MUNICIPALITY_CONFIG = Path(__file__).resolve().parents[2] / "config" / "municipalities" / "ishoj.toml"
TEMPLATES_DIR = Path(__file__).resolve().parent / "entrypoints" / "templates"
# The same development default as routing's INFOHUS_ROUTING_CPR_HMAC_KEY: both must hold the same key.
DEVELOPMENT_HMAC_KEY = "development-only-cpr-hmac-key"


class AuditSettings(ServiceSettings, AccessLogRetention):
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
    # The municipality's rules file (INFOHUS_ROUTING_MUNICIPALITY_CONFIG's): its `cooperation_participants`
    # register is what audit derives a recipient's participation in a cooperation form from (F1, Q5).
    municipality_config: Path = DEFAULT_MUNICIPALITY_CONFIG
    # Worker processes of `infohus audit verify` for a large log (0: two per CPU; 1: no workers).
    verify_workers: int = Field(default=0, ge=0)
    # The key routing hashes CPR numbers with (INFOHUS_ROUTING_CPR_HMAC_KEY): an auditor's search by CPR
    # number finds the records only when both services hold the same secret.
    cpr_hmac_key: SecretStr = SecretStr(DEVELOPMENT_HMAC_KEY)
    # The auditor pages' header and footer.
    municipality_name: str = "Ishøj Kommune"
    infohus_name: str = "Infohus Ishøj"
    # Det Fælles Designsystem, installed by `npm ci --prefix services/audit/web`.
    web_assets_dir: Path = WEB_DIR / "node_modules"

    def production_problems(self) -> list[str]:
        problems = []
        if self.checkpoint_signing_key is None:
            problems.append("INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY must be set in production")
        if self.cpr_hmac_key.get_secret_value() == DEVELOPMENT_HMAC_KEY:
            problems.append("INFOHUS_AUDIT_CPR_HMAC_KEY must be set to a secret in production "
                            "(the same as INFOHUS_ROUTING_CPR_HMAC_KEY)")
        return problems

    def private_key(self) -> Ed25519PrivateKey | None:
        if self.checkpoint_signing_key is None:
            return None
        return load_private_key(self.checkpoint_signing_key.get_secret_value())

    def public_key(self) -> Ed25519PublicKey | None:
        if self.checkpoint_public_key:
            return load_public_key(self.checkpoint_public_key)
        private = self.private_key()
        return None if private is None else private.public_key()

    def cooperation_register(self) -> CooperationRegister | None:
        """The register of cooperation participants, or None when the rules file has none (then a
        recipient's participation is the caller's declaration, and the record says so)."""
        with self.municipality_config.open("rb") as file:
            participants = tomllib.load(file).get("cooperation_participants", [])
        if not participants:
            return None
        return CooperationRegister({str(p["code"]): frozenset(str(f) for f in p["forms"]) for p in participants})

    def invariant_context(self) -> InvariantContext:
        return InvariantContext(
            police_authorities=frozenset(self.police_authorities) if self.police_authorities else None,
            social_authority_units=frozenset(self.social_authority_units))


Settings = AuditSettings
