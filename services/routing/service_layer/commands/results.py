"""What the commands return: typed results (pydantic), the response schemas of the case API's writes."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from rules.age import AgeBand
from services.routing.domain.case import CaseState
from services.routing.service_layer.read_side.views import TaskView


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class TriageResult(_Result):
    state: CaseState
    triage_complete: bool
    version: int
    awaiting: list[str]


class ActionResult(_Result):
    state: CaseState
    version: int


class AgeCorrectionResult(_Result):
    person: str
    from_band: AgeBand
    to_band: AgeBand
    underretning_id: UUID | None
    received_at: AwareDatetime | None
    assessment_due_at: AwareDatetime | None
    deadline_events: list[str]


class AssessmentResult(_Result):
    state: str
    assessed_at: AwareDatetime | None
    late: bool
    deadline_events: list[str]


class ReceiptResult(_Result):
    task: TaskView
    deadline_events: list[str]


class OrientationResult(_Result):
    task: TaskView


class DisclosureDecisionResult(_Result):
    task: TaskView
    disclosure_record_id: UUID
    kind: str


class ForwardingResult(_Result):
    task: TaskView
    disclosure_record_id: UUID
    legal_basis: str
