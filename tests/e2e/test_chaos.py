"""`make chaos` in short form: faults under load, recovered by the system's own means and checked before
anything is redelivered; then redelivery, as a fault of its own; nothing lost and nothing doubled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.timeout(600)  # the whole system in processes, started, faulted and restarted: minutes on a busy machine
def test_short_chaos_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "devtools.chaos", "--seconds-per-fault", "3", "--rate", "2",
               "--settle-seconds", "150", "--data-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=580, check=False)
    report = result.stdout[-6000:]
    assert result.returncode == 0, report + result.stderr[-4000:]
    assert "All checks passed." in report
    lines = report.splitlines()
    broker = next(i for i, line in enumerate(lines) if "broker replaced by an empty one" in line)
    checked = next(i for i, line in enumerate(lines) if line.startswith("Phase 1 checked before any redelivery"))
    redelivered = next(i for i, line in enumerate(lines) if "every event published again" in line)
    assert broker < checked < redelivered  # the broker's loss was made good before anything was redelivered
    assert "each decided once, both mails exactly once, audit complete" in lines[checked]
    assert "converged in" in lines[broker + 1]
    assert "SMTP answers 554" in report and "Catch-up rate:" in report
