"""The four services wired for a test, in this process, on the real broker, databases and SMTP server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devtools.devstack.mailbox import LocalMailbox
from services.audit.bootstrap import AuditContainer
from services.audit.bootstrap import bootstrap as boot_audit
from services.audit.settings import AuditSettings
from services.intake.bootstrap import IntakeContainer
from services.intake.bootstrap import bootstrap as boot_intake
from services.intake.entrypoints.http import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.notify.bootstrap import NotifyContainer
from services.notify.bootstrap import bootstrap as boot_notify
from services.notify.settings import NotifySettings
from services.routing.bootstrap import RoutingContainer
from services.routing.bootstrap import bootstrap as boot_routing
from services.routing.settings import RoutingSettings
from tests.conftest import Databases, common_settings


@dataclass
class InfohusSystem:
    intake: IntakeContainer
    routing: RoutingContainer
    notify: NotifyContainer
    audit: AuditContainer

    @property
    def runtimes(self) -> list[Any]:
        return [self.intake.runtime, self.routing.runtime, self.notify.runtime, self.audit.runtime]

    async def start(self) -> None:
        for runtime in self.runtimes:  # one at a time: Alembic's context is process-global
            await runtime.migrate()
        for runtime in self.runtimes:
            await runtime.start()
        await asyncio.wait_for(asyncio.gather(*(r.broker_connected.wait() for r in self.runtimes)), 60)

    async def stop(self) -> None:
        await asyncio.gather(*(r.stop() for r in self.runtimes), return_exceptions=True)

    def http(self) -> httpx.AsyncClient:
        app = intake_app(self.intake, manage_runtime=False)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test")


def build_system(databases: Databases, bootstrap_servers: str, prefix: str, mailbox: LocalMailbox,
                 municipality_config: Path | None = None, intake_overrides: dict[str, Any] | None = None,
                 **notify_overrides: Any) -> InfohusSystem:
    """``municipality_config``: the rules of intake, routing and notify (None: Ishøj's own file);
    ``intake_overrides``: intake's settings beyond the common ones."""
    common = common_settings(bootstrap_servers, prefix)
    rules = {"municipality_config": str(municipality_config)} if municipality_config is not None else {}
    notify_settings = NotifySettings(**common, **rules, **databases.for_service("notify"), smtp_host="127.0.0.1",
                                     smtp_port=mailbox.smtp_port, smtp_starttls="off",
                                     mailbox_ooh="vagt@ishoj.dk", mailbox_ops="drift@ishoj.dk",
                                     **notify_overrides)
    return InfohusSystem(
        intake=boot_intake(IntakeSettings(**{**common, **rules, **databases.for_service("intake"),
                                             **(intake_overrides or {})})),
        routing=boot_routing(RoutingSettings(**common, **rules, **databases.for_service("routing"))),
        notify=boot_notify(notify_settings),
        audit=boot_audit(AuditSettings(**common, **databases.for_service("audit"))),
    )
