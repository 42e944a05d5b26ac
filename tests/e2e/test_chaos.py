"""`make chaos` in short form: faults under load, then nothing lost and nothing doubled."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def can_restart_postgres() -> bool:
    """Only when asked: the machine's PostgreSQL serves the other tests running beside this one."""
    wanted = os.environ.get("INFOHUS_CHAOS_RESTART_POSTGRES", "0") == "1"
    root = os.geteuid() == 0
    return wanted and root and shutil.which("pg_ctlcluster") is not None and Path("/etc/postgresql").is_dir()


def test_short_chaos_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "devtools.chaos", "--seconds-per-fault", "3", "--rate", "4",
               "--settle-seconds", "150", "--data-dir", str(tmp_path)]
    if not can_restart_postgres():
        command.append("--no-postgres-restart")
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    report = result.stdout[-4000:]
    assert result.returncode == 0, report + result.stderr[-4000:]
    assert "All checks passed." in report
    assert "broker replaced by an empty one" in report
    assert "SMTP answers 554" in report
