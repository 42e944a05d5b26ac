"""Legal holds (docs/legal.md §A3 (iv)): an administrator sets one on a case, a concern or a person, with a
reason, and lifts it with a reason; while it is in force nothing about the concerns it covers is deleted, in
any service. The hold table is the record of who held what and why; the log line names the hold's id and
kind only. Whenever the holds change (and at every retention run, which also catches a new concern about a
held person) routing tells the others which concerns became held or free (``ConcernRetentionChanged``)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.cpr import cpr_hmac, normalise_cpr
from contracts.envelope import Envelope, new_uuid7
from contracts.events import ConcernRetentionChanged, RetentionChange
from services.routing.adapters.retention import RetentionQueries
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.errors import InvalidCommand, NotFound, TransitionNotAllowed
from services.routing.domain.retention import HoldScope, checked_reason

log = logging.getLogger(__name__)
PRODUCER = "routing"


async def announce(uow: RoutingUnitOfWork, concern_id: str, change: RetentionChange, at: datetime) -> None:
    event = ConcernRetentionChanged(concern_id=UUID(concern_id), change=change, at=at)
    await uow.outbox.add(Envelope.wrap(event, producer=PRODUCER, correlation_id=UUID(concern_id)))


async def reconcile_holds(uow: RoutingUnitOfWork, now: datetime) -> tuple[int, int]:
    """Tell the others about every concern that became held or free since routing last told them; returns
    (newly held, freed). The caller commits."""
    queries = RetentionQueries(uow.session)
    held, told = await queries.held_concern_ids(), await queries.told_held()
    for concern_id in sorted(held - told):
        await queries.tell(concern_id, held=True)
        await announce(uow, concern_id, RetentionChange.HELD, now)
    for concern_id in sorted(told - held):
        await queries.tell(concern_id, held=False)
        await announce(uow, concern_id, RetentionChange.HOLD_LIFTED, now)
    return len(held - told), len(told - held)


async def _target(queries: RetentionQueries, scope: HoldScope, text: str, hmac_key: bytes) -> str:
    """What the hold stores for ``text``: a case id, a concern id, or the keyed HMAC of a CPR number."""
    value = text.strip()
    if scope is HoldScope.PERSON:
        cpr = normalise_cpr(value)
        if cpr is None:
            raise InvalidCommand("a person is held by CPR number (10 digits)")
        return cpr_hmac(hmac_key, cpr)
    if scope is HoldScope.CASE:
        if await queries.concern_of_case(_uuid_text(value)) is None:
            raise NotFound("no infohus case with this id (it may have been erased)")
        return _uuid_text(value)
    concern_id = await queries.concern_by_id_or_reference(value)
    if concern_id is None:
        raise NotFound("no concern with this id or reference (it may have been erased)")
    return concern_id


def _uuid_text(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise InvalidCommand("a case is held by its id (a UUID)") from None


async def set_hold(uow: RoutingUnitOfWork, *, scope: HoldScope, target: str, reason: str, by: str, now: datetime,
                   hmac_key: bytes) -> dict[str, Any]:
    async with uow:
        queries = RetentionQueries(uow.session)
        hold_id = str(new_uuid7())
        await queries.add_hold({"hold_id": hold_id, "scope": scope.value,
                                "target": await _target(queries, scope, target, hmac_key),
                                "reason": checked_reason(reason), "set_by": by, "set_at": now})
        held, _ = await reconcile_holds(uow, now)
        views = await hold_views(queries, [hold_id])
        await uow.commit()
    log.info("legal hold %s set on a %s; %d concerns newly held", hold_id, scope.value, held)
    return views[0]


async def lift_hold(uow: RoutingUnitOfWork, hold_id: UUID, *, reason: str, by: str, now: datetime) -> dict[str, Any]:
    async with uow:
        queries = RetentionQueries(uow.session)
        if await queries.hold(str(hold_id)) is None:
            raise NotFound("no legal hold with this id")
        if not await queries.lift_hold(str(hold_id), by=by, at=now, reason=checked_reason(reason)):
            raise TransitionNotAllowed("this legal hold was lifted already")
        _, freed = await reconcile_holds(uow, now)
        views = await hold_views(queries, [str(hold_id)])
        await uow.commit()
    log.info("legal hold %s lifted; %d concerns no longer held", hold_id, freed)
    return views[0]


async def hold_views(queries: RetentionQueries, only: list[str] | None = None) -> list[dict[str, Any]]:
    """The holds as administrators see them: a held person's CPR number (and its HMAC) is never shown."""
    holds = [h for h in await queries.holds() if only is None or h["hold_id"] in only]
    views = []
    for hold in holds:
        scope = HoldScope(hold["scope"])
        concern = (hold["target"] if scope is HoldScope.CONCERN else
                   await queries.concern_of_case(hold["target"]) if scope is HoldScope.CASE else None)
        references = await queries.references([concern]) if concern else {}
        covered = (len(await queries.concerns_of_person(hold["target"])) if scope is HoldScope.PERSON
                   else int(concern is not None))
        views.append({"hold_id": hold["hold_id"], "scope": scope.value,
                      "target": None if scope is HoldScope.PERSON else hold["target"],
                      "reference": references.get(concern) if concern else None, "concerns_covered": covered,
                      "reason": hold["reason"], "set_by": hold["set_by"], "set_at": hold["set_at"],
                      "lifted_by": hold["lifted_by"], "lifted_at": hold["lifted_at"],
                      "lift_reason": hold["lift_reason"], "in_force": hold["lifted_at"] is None})
    return views
