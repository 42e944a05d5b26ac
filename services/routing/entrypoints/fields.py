"""The case API's shared request parameters and body fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from infohus.kit.auth import ReadPurpose


def _claimable(purpose: ReadPurpose | None) -> ReadPurpose | None:
    if purpose is ReadPurpose.SUBJECT_ACCESS:  # the export's own purpose: a reader never claims it
        raise ValueError("subject_access is the purpose of a subject-access export only")
    return purpose


Purpose = Annotated[ReadPurpose | None, AfterValidator(_claimable),
                    Query(description="Why the case is read (the read-access log); by default derived from the "
                                      "case's state; not subject_access")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Limit = Annotated[int, Query(ge=1, le=100, description="Rows per page")]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the previous page (opaque)")]
PersonPath = Annotated[str, StringConstraints(pattern=r"^(subjects|children_at_risk)\[\d{1,2}\]$")]


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
