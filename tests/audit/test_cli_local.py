"""``infohus audit verify`` as the README writes it, after ``make run``: no INFOHUS_ENVIRONMENT, the local
stack's database and its development key; the service commands refuse unsafe settings with a message."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from devtools.devstack.supervisor import service_environment
from services.audit.bootstrap import bootstrap
from services.audit.development import PUBLIC_KEY_FILE
from services.audit.domain.checkpoint import load_private_key
from services.audit.service_layer.tree import LogTree, issue_checkpoint
from tests.audit.builders import out_of_band, seed
from tests.audit.conftest import audit_settings
from tests.conftest import Databases


def infohus(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFOHUS_")}
    return subprocess.run([sys.executable, "-m", "infohus.cli", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_local_stack_signs_with_a_development_key_it_keeps(tmp_path: Path) -> None:
    first = service_environment("audit", tmp_path, "127.0.0.1:1")
    again = service_environment("audit", tmp_path, "127.0.0.1:1")
    key = first["INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY"]
    assert key == again["INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY"]
    assert float(first["INFOHUS_AUDIT_CHECKPOINT_INTERVAL_S"]) > 0
    public = load_private_key(key).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert (tmp_path / PUBLIC_KEY_FILE).read_bytes() == public
    assert "INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY" not in service_environment("routing", tmp_path, "127.0.0.1:1")


async def test_verify_runs_without_settings_on_the_local_stack_and_checks_its_signatures(
        tmp_path: Path, unique: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    key = service_environment("audit", data, "127.0.0.1:1")["INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY"]
    local = Databases("sqlite", {"audit": f"sqlite+aiosqlite:///{data}/audit.db"}, {"audit": None})
    audit = bootstrap(audit_settings(local, unique, checkpoint_signing_key=key))
    await audit.runtime.migrate()
    try:
        await seed(audit, 3)
        await issue_checkpoint(LogTree(audit.unit_of_work), audit.unit_of_work, audit.settings.private_key(),
                               now=datetime.now(UTC))
        ok = infohus(tmp_path, "audit", "verify")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "signatures checked with the local stack's development key" in ok.stdout
        assert "OK: head seq_no 3" in ok.stdout and "Traceback" not in ok.stderr
        await out_of_band(audit, "UPDATE disclosure_payloads SET decided_by = 'someone else' WHERE seq_no = 2")
        broken = infohus(tmp_path, "audit", "verify")
        assert broken.returncode == 1 and "BROKEN: first broken seq_no 2" in broken.stdout
    finally:
        await audit.runtime.engine.dispose()


def test_a_service_command_with_production_defaults_is_refused_with_a_message(tmp_path: Path) -> None:
    refused = infohus(tmp_path, "audit", "checkpoint")
    assert refused.returncode == 2
    assert "settings are refused" in refused.stderr and "INFOHUS_ENVIRONMENT=development" in refused.stderr
    assert "Traceback" not in refused.stderr
