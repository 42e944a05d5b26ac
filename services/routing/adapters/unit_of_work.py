"""Routing's unit of work: one repository per aggregate, the staff's lists, and the requested notifications."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.unit_of_work import SqlUnitOfWork
from services.routing.adapters.cases import CaseRepository
from services.routing.adapters.clocks import ClockRepository
from services.routing.adapters.concern_facts import ConcernFactsRepository
from services.routing.adapters.decisions import DecisionRepository
from services.routing.adapters.person_links import PersonLinkRepository
from services.routing.adapters.requested_notifications import RequestedNotifications
from services.routing.adapters.tasks import TaskRepository
from services.routing.adapters.underretninger import UnderretningRepository
from services.routing.adapters.worklists import Worklists


class RoutingUnitOfWork(SqlUnitOfWork):
    decisions: DecisionRepository
    facts: ConcernFactsRepository
    cases: CaseRepository
    underretninger: UnderretningRepository
    tasks: TaskRepository
    clocks: ClockRepository
    worklists: Worklists
    person_links: PersonLinkRepository
    requested_notifications: RequestedNotifications

    def _open_repositories(self, session: AsyncSession) -> None:
        self.decisions = DecisionRepository(session)
        self.facts = ConcernFactsRepository(session)
        self.cases = CaseRepository(session)
        self.underretninger = UnderretningRepository(session)
        self.tasks = TaskRepository(session)
        self.clocks = ClockRepository(session)
        self.worklists = Worklists(session, self.tasks)
        self.person_links = PersonLinkRepository(session)
        self.requested_notifications = RequestedNotifications(session)
