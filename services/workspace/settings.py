"""The staff workspace's settings (``INFOHUS_WORKSPACE_*``).

The workspace owns no domain data: it renders pages from the owning services' APIs, called with the
signed-in user's token, so authorization and read logging stay where the data lives.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from infohus.kit.auth import AuthSettings
from infohus.kit.municipality import DEFAULT_CONFIG_PATH, load_municipality_config
from infohus.kit.settings import Environment, TelemetrySettings, TrustedProxies

WEB_DIR = Path(__file__).resolve().parent / "web"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


class WorkspaceSettings(TrustedProxies):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_WORKSPACE_", extra="ignore")

    environment: Environment = Field(
        default=Environment.PRODUCTION,
        validation_alias=AliasChoices("INFOHUS_ENVIRONMENT", "environment"),
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8004
    http_keep_alive_s: int = Field(default=75, gt=0)
    # The owning services' APIs (cluster-internal addresses in production).
    routing_url: str = "http://127.0.0.1:8001"
    intake_url: str = "http://127.0.0.1:8000"
    audit_url: str = "http://127.0.0.1:8003"
    notify_url: str = "http://127.0.0.1:8002"
    api_timeout_s: float = Field(default=10.0, gt=0)
    # The municipality's rules file: the workspace reads the names in its register of cooperation participants.
    municipality_config: Path = DEFAULT_CONFIG_PATH
    municipality_name: str = "Ishøj Kommune"
    infohus_name: str = "Infohus Ishøj"
    # Where signed-in sessions live so that every replica shares them and sign-out ends them everywhere
    # (PostgreSQL in production). None: in this process's memory (one replica, ``make run``).
    session_database_url: str | None = None
    # Ended sessions (signed out, idle or too old) sign nobody in; this often they are deleted with their tokens.
    session_purge_interval_s: float = Field(default=300.0, gt=0)
    page_size: int = Field(default=50, ge=1, le=100)
    web_assets_dir: Path = WEB_DIR / "node_modules"
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    # Sign-in, roles, CSRF and security headers (infohus.kit.auth, docs/auth.md); None: INFOHUS_AUTH_*.
    auth: AuthSettings | None = None

    def auth_settings(self) -> AuthSettings:
        return self.auth if self.auth is not None else AuthSettings()

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> WorkspaceSettings:
        if self.environment is Environment.PRODUCTION:
            urls = (self.routing_url, self.intake_url, self.audit_url, self.notify_url)
            plain = [url for url in urls if not url.startswith(("https://", "http://"))]
            if plain:
                raise ValueError("unsafe production settings: service URLs must be http(s) URLs")
            self._refuse_unshared_sessions()
        return self

    def _refuse_unshared_sessions(self) -> None:
        """Production runs several replicas: sessions in one process's memory or in a SQLite file of one
        pod would sign users out on a rollout and leave a signed-out session alive on the other pods."""
        if self.session_database_url is None:
            raise ValueError("unsafe production settings: INFOHUS_WORKSPACE_SESSION_DATABASE_URL must name the "
                             "database the replicas share their sessions in")
        try:
            backend = make_url(self.session_database_url).get_backend_name()
        except ArgumentError:
            raise ValueError("unsafe production settings: INFOHUS_WORKSPACE_SESSION_DATABASE_URL is not a "
                             "database URL") from None
        if backend == "sqlite":
            raise ValueError("unsafe production settings: INFOHUS_WORKSPACE_SESSION_DATABASE_URL must not be "
                             "SQLite (a file of one pod, which the other replicas do not share)")


def participant_names(path: Path) -> dict[str, str]:
    """Code -> name of the municipality's cooperation participants (empty when the file names none)."""
    return {p.code: p.name for p in load_municipality_config(path).cooperation_participants}


Settings = WorkspaceSettings
