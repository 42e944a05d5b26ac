"""``make fuzz``: 10,000 malformed and hostile inputs against intake's API and forms.

    python -m tests.fuzz [--examples 10000]

Runs tests/fuzz on SQLite and PostgreSQL (at 127.0.0.1:5432, as ``make test``), prints the answers per
target, database and status code, and exits non-zero on any violation.
"""

from __future__ import annotations

import argparse
import os
import sys

import pytest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="inputs in total (default 10,000)")
    args = parser.parse_args(argv)
    os.environ["INFOHUS_FUZZ_EXAMPLES"] = str(args.examples)
    return int(pytest.main(["tests/fuzz", "-q", "-p", "no:cacheprovider", "--timeout=0", "-W",
                            "ignore::hypothesis.errors.HypothesisDeprecationWarning"]))


if __name__ == "__main__":
    sys.exit(main())
