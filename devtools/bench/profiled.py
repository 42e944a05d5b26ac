"""``python -m devtools.bench.profiled OUT.prof serve routing``: ``infohus`` under cProfile.

The profile is written when the process stops, on SIGTERM too: uvicorn shuts down gracefully and then
raises the signal again, which here ends the process through ``SystemExit`` instead of killing it before
the profile is written (what plain ``python -m cProfile`` would do).

The profiler's clock is the process's CPU time, not the wall clock: on a loaded machine a wall-clock
profile charges the time a process waits for a core to whatever it was doing (``socket.send`` above all).
"""

from __future__ import annotations

import cProfile
import signal
import sys
import time
from types import FrameType

from infohus.cli import main


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def run(output: str, argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _exit)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        return main(argv)
    finally:
        profiler.disable()
        profiler.dump_stats(output)


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1], sys.argv[2:]))
