"""The ``infohus`` command."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn

    from infohus.kit.settings import ServiceSettings

SERVICES = ("intake", "routing", "notify", "audit")
WEB_APPS = ("workspace",)  # served like a service, but owns no database or topics


def _service_app(name: str) -> tuple[Any, Any]:
    """(settings, app) of a service, imported lazily so one service never loads another's code."""
    container, app = importlib.import_module(f"services.{name}.entrypoints.http").build()
    return getattr(container, "settings", container), app


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings, app = _service_app(args.service)
    uvicorn.Server(server_config(settings, app)).run()
    return 0


def server_config(settings: ServiceSettings, app: Any) -> uvicorn.Config:
    import uvicorn

    # No access log: it would record client addresses, and anonymous reporters must leave none. Forwarded
    # headers only from the configured proxies (uvicorn's default would believe anyone on 127.0.0.1), and no
    # Server header naming the software.
    proxies = list(settings.trusted_proxies)
    return uvicorn.Config(app, host=settings.http_host, port=settings.http_port, access_log=False,
                          log_level="info", timeout_graceful_shutdown=10,
                          timeout_keep_alive=settings.http_keep_alive_s, server_header=False,
                          proxy_headers=bool(proxies), forwarded_allow_ips=proxies)


def migrate(args: argparse.Namespace) -> int:
    from infohus.kit import migrations

    settings_cls = _settings_class(args.service)
    settings = settings_cls()
    migrations.upgrade(args.service, settings.database_url, settings.db_schema)
    print(f"{args.service}: migrated to head")
    return 0


def _settings_class(name: str) -> Any:
    return importlib.import_module(f"services.{name}.settings").Settings


def asyncapi(args: argparse.Namespace) -> int:
    from contracts.asyncapi import write_asyncapi

    path = write_asyncapi(args.output)
    print(f"wrote {path}")
    return 0


def explain(args: argparse.Namespace, rest: list[str]) -> int:
    from services.routing.entrypoints.explain import explain_main

    return explain_main(rest)


def audit(rest: list[str]) -> int:
    from services.audit.entrypoints.cli import audit_main

    return audit_main(rest)


# Driver loggers that write SQL parameters, i.e. personal data, at DEBUG: held at WARNING even when
# someone turns the root logger up to DEBUG for troubleshooting.
PARAMETER_QUOTING_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool")


def quiet_loggers_that_quote_parameters() -> None:
    for name in PARAMETER_QUOTING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def notify(rest: list[str]) -> int:
    from services.notify.entrypoints.cli import notify_main

    return notify_main(rest)


def retention(rest: list[str]) -> int:
    from infohus.retention_cli import retention_main

    return retention_main(rest)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_loggers_that_quote_parameters()
    parser = argparse.ArgumentParser(prog="infohus", description="Infohus: concerns about radicalisation.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run one service")
    p_serve.add_argument("service", choices=SERVICES + WEB_APPS)
    p_migrate = sub.add_parser("migrate", help="migrate one service's database to the newest schema")
    p_migrate.add_argument("service", choices=SERVICES)
    p_async = sub.add_parser("asyncapi", help="write the AsyncAPI document")
    p_async.add_argument("--output", default="docs/asyncapi.json")
    sub.add_parser("explain", help="explain the routing decision for a concern (no database, no broker), or "
                              "replay a stored one with --decision (infohus explain --help)", add_help=False)
    sub.add_parser("audit", help="the disclosure log: verify, checkpoint, purge (infohus audit --help)",
                   add_help=False)
    sub.add_parser("notify", help="notify's delivery queue: redrive dead letters (infohus notify --help)",
                   add_help=False)
    sub.add_parser("retention", help="delete what a service's retention periods allow, or list it with "
                                     "--dry-run (infohus retention --help)", add_help=False)
    if argv[:1] == ["explain"]:
        return explain(argparse.Namespace(), argv[1:])
    if argv[:1] == ["audit"]:
        return audit(argv[1:])
    if argv[:1] == ["notify"]:
        return notify(argv[1:])
    if argv[:1] == ["retention"]:
        return retention(argv[1:])
    args = parser.parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "serve": serve, "migrate": migrate, "asyncapi": asyncapi}
    return commands[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
