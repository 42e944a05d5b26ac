"""Destinations map to addresses in configuration, never in code; unsafe production settings are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.notify.settings import DEFAULT_MUNICIPALITY_CONFIG, NotifySettings

NOTIFY = Path(__file__).resolve().parents[2] / "services" / "notify"
PG = "postgresql+asyncpg://notify@db/notify"


def test_ishoj_mailboxes_come_from_the_municipality_file() -> None:
    mailboxes = NotifySettings(environment="test").mailboxes()
    assert mailboxes["UNDERRETNING"] == "Underretninger@ishoj.dk"
    assert mailboxes["INFOHUS_TK"] == "tk@ishoj.dk"
    assert mailboxes["OPS_ALERT"] is None  # no default: ops is set per installation


def test_another_municipality_file_gives_other_addresses(tmp_path: Path) -> None:
    config = tmp_path / "greve.toml"
    config.write_text('ooh_escalation_channel = "vagt@greve.dk"\n[contacts]\n'
                      'underretning_mailbox = "boern@greve.dk"\ninfohus_mailbox = "infohus@greve.dk"\n')
    mailboxes = NotifySettings(environment="test", municipality_config=str(config)).mailboxes()
    assert mailboxes == {"UNDERRETNING": "boern@greve.dk", "INFOHUS_TK": "infohus@greve.dk",
                         "OOH_ESCALATION": "vagt@greve.dk", "OPS_ALERT": None}


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOHUS_NOTIFY_MAILBOX_INFOHUS_TK", "tk-test@ishoj.dk")
    monkeypatch.setenv("INFOHUS_NOTIFY_MAILBOX_OOH", "vagt@ishoj.dk")
    monkeypatch.setenv("INFOHUS_NOTIFY_MAILBOX_OPS", "drift@ishoj.dk")
    mailboxes = NotifySettings(environment="test").mailboxes()
    assert mailboxes == {"UNDERRETNING": "Underretninger@ishoj.dk", "INFOHUS_TK": "tk-test@ishoj.dk",
                         "OOH_ESCALATION": "vagt@ishoj.dk", "OPS_ALERT": "drift@ishoj.dk"}


def test_no_destination_address_is_written_in_notifys_code() -> None:
    addresses = [a for a in NotifySettings(environment="test").mailboxes().values() if a]
    assert addresses
    for source in NOTIFY.rglob("*.py"):
        text = source.read_text(encoding="utf-8").casefold()
        for address in addresses:
            assert address.casefold() not in text, f"{address} is written in {source}"
    assert DEFAULT_MUNICIPALITY_CONFIG.is_file()


def test_a_municipality_file_named_explicitly_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        NotifySettings(environment="test", municipality_config=str(tmp_path / "missing.toml")).mailboxes()


def test_production_needs_starttls_required_verified_certificates_and_an_ops_mailbox() -> None:
    ok = NotifySettings(environment="production", database_url=PG, mailbox_ops="drift@ishoj.dk")
    assert ok.smtp_starttls == "required"
    for unsafe, message in (({"smtp_starttls": "opportunistic"}, "STARTTLS"),
                            ({"smtp_starttls": "off"}, "STARTTLS"),
                            ({"smtp_validate_certs": False}, "VALIDATE_CERTS"),
                            ({"acceptance_folder": "/tmp/mail"}, "ACCEPTANCE_FOLDER"),
                            ({"mailbox_ops": None}, "MAILBOX_OPS")):
        values = {"environment": "production", "database_url": PG, "mailbox_ops": "drift@ishoj.dk", **unsafe}
        with pytest.raises(ValidationError, match=message):
            NotifySettings(**values)


def test_inconsistent_timing_and_half_credentials_are_refused() -> None:
    with pytest.raises(ValidationError, match="LEASE"):
        NotifySettings(environment="test", smtp_send_deadline_s=60, delivery_lease_s=30)
    with pytest.raises(ValidationError, match="USERNAME"):
        NotifySettings(environment="test", smtp_username="infohus")


def test_in_production_the_watchdog_needs_a_service_identity_at_routing() -> None:
    from pydantic import ValidationError

    from services.notify.settings import NotifySettings
    base = {"environment": "production", "database_url": "postgresql+asyncpg://db/notify",
            "mailbox_infohus_tk": "tk@ishoj.dk", "mailbox_underretning": "u@ishoj.dk",
            "routing_url": "http://infohus-routing:8001"}
    try:
        NotifySettings(**base)
    except ValidationError as error:
        assert "service identity at routing" in str(error)
    else:
        raise AssertionError("production settings without the watchdog's identity were accepted")
