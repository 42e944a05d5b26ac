"""What ``infohus audit verify`` needs, and nothing else: where the log is and which key checks the signatures.

Verification only reads, so the service's production checks (a signing key, the CPR key, PostgreSQL, the
broker's safety) do not apply to it: an auditor verifies with the public key alone, from any machine.
``INFOHUS_ENVIRONMENT`` makes no difference here.

The local stack (``make run``) signs with a development key whose public key it leaves in
``data/audit-checkpoint-public-key.pem``; where the log is that SQLite database and no key is configured,
verification uses it (production refuses SQLite, so it never applies there).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from infohus.kit.settings import KafkaSettings
from services.audit.development import PUBLIC_KEY_FILE
from services.audit.domain.checkpoint import load_private_key, load_public_key

LOCAL_DATABASE_URL = "sqlite+aiosqlite:///data/audit.db"
LOCAL_PUBLIC_KEY = Path("data") / PUBLIC_KEY_FILE


class VerifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_AUDIT_", extra="ignore")

    database_url: str = LOCAL_DATABASE_URL
    db_schema: str | None = None
    checkpoint_public_key: str | None = None
    checkpoint_signing_key: SecretStr | None = None
    verify_workers: int = Field(default=0, ge=0)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)

    def public_key(self) -> Ed25519PublicKey | None:
        if self.checkpoint_public_key:
            return load_public_key(self.checkpoint_public_key)
        if self.checkpoint_signing_key is not None:
            return load_private_key(self.checkpoint_signing_key.get_secret_value()).public_key()
        local = self.local_public_key_file()
        return None if local is None else load_public_key(local.read_text())

    def local_public_key_file(self) -> Path | None:
        """The local stack's public key, when the log is the local stack's SQLite database and no key is set."""
        if self.checkpoint_public_key or self.checkpoint_signing_key is not None:
            return None
        local = self.database_url == LOCAL_DATABASE_URL or self.database_url.endswith("/data/audit.db")
        return LOCAL_PUBLIC_KEY if local and self.database_url.startswith("sqlite") and LOCAL_PUBLIC_KEY.is_file() \
            else None
