"""``infohus explain --decision <reference or id>``: replay a decision stored in routing's database (read with
routing's settings, ``INFOHUS_ROUTING_*``) under the configuration it was made under, check that the replay
equals what was stored, and say what would differ under today's configuration (``--config``, else routing's).

Prints decisions, references and fingerprints, never the rules' stored input (birth dates) or any text; the
read is logged (purpose ``rules_replay``, user ``shell:<account>``) against the cases of the concern.
Exit codes: 0 the replay equals the stored decision; 1 it differs; 3 the decision is unknown or cannot be
replayed (made before routing recorded its input).
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys

from pydantic import ValidationError

from infohus.kit.auth import Principal
from infohus.kit.municipality import load_municipality_config
from infohus.kit.rules_version import rules_version
from rules.config import ConfigError
from services.routing.bootstrap import bootstrap
from services.routing.domain.replay import ReplayReport
from services.routing.service_layer.read_side.read_log import ReadLog
from services.routing.service_layer.read_side.replay import replay_decision
from services.routing.settings import RoutingSettings

EXIT_DIFFERS = 1
EXIT_INVALID_INPUT = 2
EXIT_CANNOT_REPLAY = 3


async def _replay(key: str, config_path: str | None) -> ReplayReport | None:
    container = bootstrap(RoutingSettings())
    try:
        today_config = container.config if config_path is None else load_municipality_config(config_path)
        return await replay_decision(container.unit_of_work(), key, today_config=today_config,
                                     today=rules_version(today_config),
                                     read_log=ReadLog(container.read_log, shell_user()))
    finally:
        await container.runtime.engine.dispose()


def shell_user() -> Principal:
    """Who replays: the operating-system account running the command (the read-access log's user)."""
    try:
        account = getpass.getuser()
    except OSError:  # a container's user without a passwd entry
        account = f"uid-{os.getuid()}"
    return Principal(user_id=f"shell:{account}", roles=frozenset(), display_name=account, method="shell")


def explain_stored(key: str, config_path: str | None, *, as_json: bool) -> int:
    try:
        report = asyncio.run(_replay(key, config_path))
    except ValidationError as error:
        problems = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in error.errors())
        print(f"infohus explain: routing's settings are refused: {problems}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID_INPUT
    if report is None:
        print(f"infohus explain: routing has no decision {key!r} (a decision id, concern id or reference)",
              file=sys.stderr)
        return EXIT_CANNOT_REPLAY
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else report.describe())
    if not report.replayed:
        return EXIT_CANNOT_REPLAY
    return 0 if report.replay_equals_stored else EXIT_DIFFERS
