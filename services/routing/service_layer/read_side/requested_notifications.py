"""What routing asked to be mailed, for notify's delivery watchdog: references and codes; a § 138 receipt
request also carries the reporter's work address, so reading one is logged."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from infohus.kit.auth import CaseKind, Principal, ReadAccessLogger, ReadPurpose
from services.routing.adapters.requested_notifications import Page
from services.routing.adapters.unit_of_work import RoutingUnitOfWork


def _addressed(page: Page) -> list[UUID]:
    """The underretninger whose requests on the page carry a recipient address."""
    return [UUID(str(item["notification"]["underretning_id"])) for item in page.items
            if item["notification"].get("recipient_address") and item["notification"].get("underretning_id")]


async def requested_notifications(uow: RoutingUnitOfWork, start: datetime, end: datetime, *, cursor: str | None,
                                  limit: int, reader: Principal, read_log: ReadAccessLogger) -> Page:
    """The requests made in [start, end), oldest first; each recipient address read is logged.
    :class:`~services.routing.adapters.keyset.InvalidCursor` for a cursor this list did not hand out."""
    async with uow:
        page = await uow.requested_notifications.between(start, end, cursor=cursor, limit=limit)
        if addressed := _addressed(page):
            await read_log.record_many(uow.session, reader, case_kind=CaseKind.UNDERRETNING, case_ids=addressed,
                                       purpose=ReadPurpose.FOLLOW_UP, fields=["recipient_address"])
            await uow.commit()
    return page
