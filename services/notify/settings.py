"""Notify's settings (``INFOHUS_NOTIFY_*``).

Where each destination is mailed is configuration, never code: the municipality's file
(``[contacts] underretning_mailbox`` / ``infohus_mailbox`` and an optional top-level
``ooh_escalation_channel`` that is an e-mail address) gives the defaults, and the
``INFOHUS_NOTIFY_MAILBOX_*`` variables override them. The ops mailbox has no default.
A reporter's receipt (destination REPORTER) goes to the address in its request, never to a mailbox
configured here; the municipality's name and StraXen's phone it gives come from the same file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import EmailStr, Field, PrivateAttr, SecretStr, TypeAdapter, ValidationError, model_validator
from pydantic_settings import SettingsConfigDict

from infohus.kit.settings import Environment, ServiceSettings

DEFAULT_MUNICIPALITY_CONFIG = Path(__file__).resolve().parents[2] / "config" / "municipalities" / "ishoj.toml"
DEFAULT_MUNICIPALITY = "Ishøj Kommune"
DEFAULT_STRAXEN_PHONE = "43 57 75 78"

_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_NOTIFY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/notify.db"
    http_port: int = 8002

    # --- SMTP relay -------------------------------------------------------------------------------
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_starttls: Literal["required", "opportunistic", "off"] = "required"
    smtp_validate_certs: bool = True
    smtp_ca_file: Path | None = None  # extra CA bundle for the relay's certificate (an internal CA)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=30.0, gt=0)  # each SMTP command
    smtp_send_deadline_s: float = Field(default=120.0, gt=0)  # one whole SMTP session
    # Connections are kept open and reused for the next mails (at most one per worker slot); a relay that
    # closed an idle one is reconnected to transparently. Relays may limit the mails per session, so a
    # connection is closed after that many; one idle this long is closed too.
    smtp_reuse_connections: bool = True
    smtp_max_messages_per_connection: int = Field(default=100, ge=1)
    smtp_idle_timeout_s: float = Field(default=30.0, gt=0)

    # --- delivery: retries, leases, and a crash between send and commit ---------------------------
    retry_max_attempts: int = Field(default=12, ge=1)
    retry_initial_backoff_s: float = Field(default=5.0, gt=0)
    retry_max_backoff_s: float = Field(default=600.0, gt=0)
    delivery_lease_s: float = Field(default=300.0, gt=0)  # a claimed send; must outlast smtp_send_deadline_s
    worker_poll_interval_s: float = Field(default=1.0, gt=0)
    worker_concurrency: int = Field(default=4, ge=1)  # SMTP sessions at once
    worker_batch_size: int = Field(default=64, ge=1)  # deliveries claimed in one transaction when many are due
    # An attempt interrupted after DATA began (crash, lost connection) may or may not have been accepted.
    # "resend": send again with the same Message-ID and alert ops (at least once: a lost statutory mail is
    # worse than a duplicate); "hold": mark it UNCERTAIN and alert ops, who decide (at most once).
    uncertain_policy: Literal["resend", "hold"] = "resend"
    # Development and tests only: the folder where the local mailbox stores .eml files, so an interrupted
    # attempt can be checked against what the server really stored (exactly once on the local stack).
    acceptance_folder: Path | None = None

    # --- watchdog ---------------------------------------------------------------------------------
    watchdog_interval_s: float = Field(default=60.0, gt=0)
    watchdog_deliver_within_s: float = Field(default=900.0, gt=0)  # undelivered after this: alert, drive again
    watchdog_missing_after_s: float = Field(default=120.0, gt=0)  # requested by routing, unseen by notify
    watchdog_lookback_s: float = Field(default=7 * 24 * 3600.0, gt=0)

    # --- retention ----------------------------------------------------------------------------------
    # [P] A sent mail's delivery row (references, a reporter's address for a § 138 receipt) is deleted this
    # many days after it was sent; never before the watchdog stops looking for it (it would be sent again).
    delivery_retention_days: float = Field(default=30.0, gt=0)
    routing_url: str | None = None  # routing's HTTP API, for the expected-notifications check
    # How the watchdog signs in to routing as the service principal service_notify
    # (adapters/routing_credentials.py): OAuth client credentials in production, or a fixed token;
    # with neither, development mode signs a development service token itself.
    routing_token_url: str | None = None
    routing_client_id: str | None = None
    routing_client_secret: SecretStr | None = None
    routing_token_scope: str | None = None
    routing_token: SecretStr | None = None

    # --- addresses --------------------------------------------------------------------------------
    municipality_config: str | None = None
    mail_from: EmailStr = "infohus-noreply@ishoj.dk"
    mailbox_underretning: EmailStr | None = None
    mailbox_infohus_tk: EmailStr | None = None
    mailbox_ooh: EmailStr | None = None
    mailbox_ops: EmailStr | None = None
    # The staff workspace: links in mails open its page of the underretning or the case.
    workspace_url: str = "https://infohus.ishoj.dk"

    # --- the § 138 receipt to a reporter: who sends it (the municipality's file gives the defaults) ----
    receipt_municipality_name: str | None = None  # default: ``municipality_name``, else "Ishøj Kommune"
    receipt_unit: str = "StraXen, Center for Børn og Forebyggelse"
    receipt_phone: str | None = None  # default: ``[contacts] straxen_phone``, else "43 57 75 78"

    _file_mailboxes: dict[str, str] | None = PrivateAttr(default=None)
    _file_sender: dict[str, str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> NotifySettings:
        if self.delivery_lease_s <= self.smtp_send_deadline_s:
            raise ValueError("INFOHUS_NOTIFY_DELIVERY_LEASE_S must be longer than INFOHUS_NOTIFY_SMTP_SEND_DEADLINE_S")
        if self.retry_max_backoff_s < self.retry_initial_backoff_s:
            raise ValueError("INFOHUS_NOTIFY_RETRY_MAX_BACKOFF_S must be at least RETRY_INITIAL_BACKOFF_S")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("INFOHUS_NOTIFY_SMTP_USERNAME and _SMTP_PASSWORD are set together or not at all")
        if self.delivery_retention_days * 86400 < self.watchdog_lookback_s:
            raise ValueError("INFOHUS_NOTIFY_DELIVERY_RETENTION_DAYS must be at least "
                             "INFOHUS_NOTIFY_WATCHDOG_LOOKBACK_S (a delivery deleted while the watchdog still "
                             "looks for it would be mailed again)")
        client = (self.routing_token_url, self.routing_client_id, self.routing_client_secret)
        if any(v is not None for v in client) and not all(v is not None for v in client):
            raise ValueError("INFOHUS_NOTIFY_ROUTING_TOKEN_URL, _ROUTING_CLIENT_ID and _ROUTING_CLIENT_SECRET are set "
                             "together or not at all")
        return self

    def production_problems(self) -> list[str]:
        problems = []
        if self.smtp_starttls != "required":
            problems.append("INFOHUS_NOTIFY_SMTP_STARTTLS must be 'required' in production")
        if not self.smtp_validate_certs:
            problems.append("INFOHUS_NOTIFY_SMTP_VALIDATE_CERTS must be true in production")
        if self.acceptance_folder is not None:
            problems.append("INFOHUS_NOTIFY_ACCEPTANCE_FOLDER is for the local mailbox only, not production")
        mailboxes = self.mailboxes()
        for destination, variable in (("UNDERRETNING", "MAILBOX_UNDERRETNING"), ("INFOHUS_TK", "MAILBOX_INFOHUS_TK")):
            if not mailboxes[destination]:
                problems.append(f"INFOHUS_NOTIFY_{variable} or the municipality file must give an address")
        if not mailboxes["OPS_ALERT"]:
            problems.append("INFOHUS_NOTIFY_MAILBOX_OPS must be set in production: alerts go there")
        if self.routing_token_url and not self.routing_token_url.startswith("https://"):
            problems.append("INFOHUS_NOTIFY_ROUTING_TOKEN_URL must use https in production")
        if self.routing_url and self.routing_token_url is None and self.routing_token is None:
            problems.append("the delivery watchdog needs a service identity at routing in production: set "
                            "INFOHUS_NOTIFY_ROUTING_TOKEN_URL, _ROUTING_CLIENT_ID and _ROUTING_CLIENT_SECRET")
        return problems

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    def mailboxes(self) -> dict[str, str | None]:
        """Destination → address: the environment first, then the municipality's file."""
        from_file = self._municipality_mailboxes()
        return {"UNDERRETNING": self.mailbox_underretning or from_file.get("UNDERRETNING"),
                "INFOHUS_TK": self.mailbox_infohus_tk or from_file.get("INFOHUS_TK"),
                "OOH_ESCALATION": self.mailbox_ooh or from_file.get("OOH_ESCALATION"),
                "OPS_ALERT": self.mailbox_ops}

    def receipt_sender(self) -> ReceiptSender:
        """Who the reporter's receipt names: the environment first, then the municipality's file."""
        if self._file_sender is None:
            self._file_sender = read_receipt_sender(self._municipality_path())
        return ReceiptSender(
            municipality=self.receipt_municipality_name or self._file_sender.get("municipality", DEFAULT_MUNICIPALITY),
            unit=self.receipt_unit, phone=self.receipt_phone or self._file_sender.get("phone", DEFAULT_STRAXEN_PHONE))

    def _municipality_path(self) -> Path:
        return Path(self.municipality_config) if self.municipality_config else DEFAULT_MUNICIPALITY_CONFIG

    def _municipality_mailboxes(self) -> dict[str, str]:
        if self._file_mailboxes is None:
            self._file_mailboxes = read_municipality_mailboxes(self._municipality_path(),
                                                               required=self.municipality_config is not None)
        return self._file_mailboxes


@dataclass(frozen=True)
class ReceiptSender:
    municipality: str
    unit: str
    phone: str


def read_receipt_sender(path: Path) -> dict[str, str]:
    """The municipality's name and StraXen's phone from its routing file (none when the file is missing)."""
    try:
        with path.open("rb") as file:
            raw: dict[str, Any] = tomllib.load(file)
    except FileNotFoundError:
        return {}
    found = {"municipality": raw.get("municipality_name"), "phone": raw.get("contacts", {}).get("straxen_phone")}
    return {key: value.strip() for key, value in found.items() if isinstance(value, str) and value.strip()}


def read_municipality_mailboxes(path: Path, *, required: bool) -> dict[str, str]:
    """The mailbox addresses in a municipality's routing file (a missing default file gives none)."""
    try:
        with path.open("rb") as file:
            raw: dict[str, Any] = tomllib.load(file)
    except FileNotFoundError:
        if required:
            raise ValueError(f"municipality config {path} does not exist") from None
        return {}
    contacts = raw.get("contacts", {})
    found = {"UNDERRETNING": contacts.get("underretning_mailbox"), "INFOHUS_TK": contacts.get("infohus_mailbox"),
             "OOH_ESCALATION": raw.get("ooh_escalation_channel")}
    out = {}
    for destination, value in found.items():
        if not isinstance(value, str):
            continue
        try:
            out[destination] = _EMAIL.validate_python(value)
        except ValidationError:
            if destination != "OOH_ESCALATION":  # the on-call channel may be a phone number, not a mailbox
                raise ValueError(f"{path}: the {destination} mailbox is not an e-mail address") from None
    return out


Settings = NotifySettings
