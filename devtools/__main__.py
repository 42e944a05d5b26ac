"""``python -m devtools dev``: the whole system on this machine (``make run``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from infohus.cli import quiet_loggers_that_quote_parameters


def dev(args: argparse.Namespace) -> int:
    from devtools.devstack.supervisor import run_local

    return asyncio.run(run_local(args.data_dir))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_loggers_that_quote_parameters()
    parser = argparse.ArgumentParser(prog="python -m devtools", description="Infohus development tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_dev = sub.add_parser("dev", help="run the whole system locally (make run)")
    p_dev.add_argument("--data-dir", default="data")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return dev(args)


if __name__ == "__main__":
    raise SystemExit(main())
