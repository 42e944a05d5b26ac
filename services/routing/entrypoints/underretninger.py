"""Underretninger for StraXen: the list (/api/v1/underretninger) and one underretning (reads, each logged),
and the 24-hour assessment (a command)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.routing.bootstrap import RoutingContainer
from services.routing.entrypoints.callers import UnderretningAssessor, UnderretningReader
from services.routing.entrypoints.fields import Body, Cursor, Limit, LongText, Purpose
from services.routing.service_layer.commands.results import AssessmentResult
from services.routing.service_layer.commands.underretninger import assess_underretning
from services.routing.service_layer.read_side.underretning_view import underretning_view
from services.routing.service_layer.read_side.views import UnderretningList, UnderretningView
from services.routing.service_layer.read_side.worklists import underretning_list


class AssessmentBody(Body):
    acute_measures_needed: bool
    note: LongText | None = None


def underretning_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter()

    @router.get("/api/v1/cases/underretninger/{underretning_id}", tags=["cases"])
    async def underretning(underretning_id: UUID, reader: UnderretningReader,
                           purpose: Purpose = None) -> UnderretningView:
        """An underretning for StraXen; logged as read."""
        return await underretning_view(container.unit_of_work(), underretning_id, reader.actor,
                                       reader.read_log(container.read_log), purpose=purpose)

    @router.post("/api/v1/cases/underretninger/{underretning_id}/assessment", tags=["cases"])
    async def assess(underretning_id: UUID, body: AssessmentBody, actor: UnderretningAssessor) -> AssessmentResult:
        """Barnets lov § 136, stk. 2: record StraXen's assessment (stops the 24-hour clock)."""
        return await assess_underretning(container.unit_of_work(), underretning_id, actor,
                                         acute_measures_needed=body.acute_measures_needed, now=container.clock(),
                                         deps=container.deps, note=body.note)

    @router.get("/api/v1/underretninger", tags=["underretninger"])
    async def underretninger(reader: UnderretningReader, include_closed: bool = False, limit: Limit = 50,
                             cursor: Cursor = None) -> UnderretningList:
        """StraXen's list: not yet assessed by the 24-hour deadline, then the rest by the receipt date; every
        underretning listed is logged as read."""
        return await underretning_list(
            container.unit_of_work(), reader.actor, reader.read_log(container.read_log),
            include_closed=include_closed, limit=limit, cursor=cursor, now=container.clock(),
            config=container.deps.config)

    return router
