"""``infohus explain``: print the routing decision for a concern, without touching a database or broker; or
replay a decision routing stored (``--decision``, ``explain_stored``).

infohus explain --received-at 2026-11-22T14:05:00+01:00 concern.json
infohus explain --decision ISH-2026-000123 [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from contracts.concern import ConcernIn
from infohus.kit.municipality import load_municipality_config
from rules.config import ConfigError
from rules.decision_table import decide
from rules.vocabulary import DuplicateKind

EXIT_INVALID_INPUT = 2


class _InputError(Exception):
    pass


class _ArgumentParser(argparse.ArgumentParser):
    """Reports usage errors as an exception instead of exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise _InputError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="infohus explain",
        description="Print the routing decision (docs/legal.md §C) for a concern as JSON; or, with --decision, "
        "replay a decision stored in routing's database under the configuration it was made under and say "
        "what would differ under today's.",
    )
    parser.add_argument(
        "--decision",
        metavar="REFERENCE_OR_ID",
        help="replay this stored decision (its concern's reference, the concern id or the decision id), "
        "reading routing's database with routing's settings (INFOHUS_ROUTING_*)",
    )
    parser.add_argument("--json", action="store_true", help="with --decision: print the replay report as JSON")
    parser.add_argument(
        "--received-at",
        type=_aware_datetime,
        help="when the municipality received the concern, ISO 8601 with UTC offset",
    )
    parser.add_argument(
        "--duplicate",
        choices=[kind.value for kind in DuplicateKind],
        default=DuplicateKind.NEW.value,
        help="treat the concern as new (default) or as an exact/near duplicate",
    )
    parser.add_argument("--config", help="municipality config TOML (default: Ishøj; with --decision: routing's)")
    parser.add_argument("concern", nargs="?",
                        help="path to the concern JSON (the intake request body), or - for stdin")
    return parser


def _aware_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date-time") from error
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset; write e.g. 2026-11-22T14:05:00+01:00")
    return moment


def _read_concern(source: str) -> ConcernIn:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _InputError(f"cannot read {source}: {error}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _InputError(f"{source} is not valid JSON: {error}") from error
    try:
        return ConcernIn.model_validate(document)
    except ValidationError as error:
        problems = "\n".join(
            f"  {'.'.join(str(part) for part in problem['loc']) or '(top level)'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
        raise _InputError(f"{source} is not a valid concern:\n{problems}") from error


def explain_main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.decision is not None:
            if args.concern is not None or args.received_at is not None:
                raise _InputError("infohus explain: --decision takes no concern and no --received-at")
            # Imported here: the plain explain needs no database driver, settings or service wiring.
            from services.routing.entrypoints.explain_stored import explain_stored

            return explain_stored(args.decision, args.config, as_json=args.json)
        if args.concern is None or args.received_at is None:
            raise _InputError("infohus explain: give --received-at and a concern, or --decision")
        concern = _read_concern(args.concern)
        config = load_municipality_config(args.config)
    except (_InputError, ConfigError) as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID_INPUT
    except SystemExit as exit_request:  # --help
        return exit_request.code if isinstance(exit_request.code, int) else 0
    decision = decide(concern, args.received_at, config, duplicate=DuplicateKind(args.duplicate))
    print(json.dumps(decision.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(explain_main(sys.argv[1:]))
