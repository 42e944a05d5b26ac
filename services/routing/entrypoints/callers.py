"""Who calls the case API: every route states its rule with the kit's ``require(...)``
(``infohus.kit.auth``), and the one permission matrix (``infohus.kit.auth.roles.MATRIX``) decides who
passes; the signed-in ``Principal`` is mapped here to the domain's ``Actor`` (user id and the role the rule
admitted), and the domain consults the same matrix for its finer checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException

from infohus.kit.auth import Permission as P
from infohus.kit.auth import Principal, ReadAccessLogger, Role, require, roles_for
from services.routing.domain.actors import Actor
from services.routing.service_layer.read_side.read_log import ReadLog


def actor_of(principal: Principal, *permissions: P) -> Actor:
    """The domain's actor for a signed-in principal: the user, in the first of their roles (in the kit's
    order) that holds one of ``permissions`` (``require`` has already checked that one does)."""
    admitted = roles_for(*permissions)
    for role in Role:
        if role in principal.roles and role in admitted:
            return Actor(user_id=principal.user_id, role=role, municipalities=principal.municipalities)
    raise HTTPException(403, "Din rolle giver ikke adgang til dette / your role does not give access to this")


def acting(*permissions: P) -> Any:
    """``require(*permissions)`` and the caller as the domain's :class:`Actor`."""
    # The rule as a default (not inside Annotated): annotations are strings here and could not see it.
    async def actor(principal: Principal = require(*permissions)) -> Actor:  # noqa: B008
        return actor_of(principal, *permissions)

    return Depends(actor)


@dataclass(frozen=True)
class Reader:
    """A caller reading personal data: the domain's actor, and the principal the read-access log names."""

    actor: Actor
    principal: Principal

    def read_log(self, logger: ReadAccessLogger) -> ReadLog:
        return ReadLog(logger, self.principal)


def reading(*permissions: P) -> Any:
    """``require(*permissions)`` and the caller as a :class:`Reader`."""
    async def reader(principal: Principal = require(*permissions)) -> Reader:  # noqa: B008
        return Reader(actor_of(principal, *permissions), principal)

    return Depends(reader)


CaseReader = Annotated[Reader, reading(P.CASE_READ)]
Triager = Annotated[Actor, acting(P.CASE_TRIAGE_MUNICIPAL, P.CASE_TRIAGE_POLICE)]
CaseMover = Annotated[Actor, acting(P.CASE_TRANSITION)]
CaseMoverReader = Annotated[Reader, reading(P.CASE_TRANSITION)]
UnderretningReader = Annotated[Reader, reading(P.UNDERRETNING_READ)]
UnderretningAssessor = Annotated[Actor, acting(P.UNDERRETNING_ASSESS)]
DisclosureDecider = Annotated[Actor, acting(P.CASE_DISCLOSURE_DECIDE)]
Forwarder = Annotated[Actor, acting(P.CASE_FORWARD)]
TaskHandler = Annotated[Reader, reading(P.CASE_DISCLOSURE_DECIDE, P.CASE_FORWARD, P.UNDERRETNING_ASSESS)]
"""Open tasks: each kind needs its permission (``domain.tasks.TASK_PERMISSION``); the domain filters."""
