"""What every page handler needs: the signed-in user's token for the owning services, the form, and the
answer to a refused command (the page again, with the refusal beside the form)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from infohus.kit.auth import downstream_token
from services.workspace.adapters.services import ApiError, AuditApi, IntakeApi, RoutingApi, SignInRequired
from services.workspace.domain.forms import Form, Parsed, refusal_da


async def token_of(request: Request) -> str:
    """The signed-in user's credential, forwarded to the owning services (which check it themselves)."""
    token = await downstream_token(request)
    if token is None:
        raise SignInRequired(401)
    return token


def routing(request: Request) -> RoutingApi:
    api: RoutingApi = request.app.state.routing
    return api


def audit(request: Request) -> AuditApi:
    api: AuditApi = request.app.state.audit
    return api


def intake(request: Request) -> IntakeApi:
    api: IntakeApi = request.app.state.intake
    return api


async def form_of(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    values: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(name, []).append(value)
    return values


def flat(form: Form, prefix: dict[str, str]) -> dict[str, str]:
    """Submitted values keyed by field id, to put back into the form after a refusal."""
    return {field_id: (form.get(name) or [""])[0] for name, field_id in prefix.items()}


Redisplay = Callable[[dict[str, str], dict[str, str], int], Awaitable[Response]]


async def submit(request: Request, parsed: Parsed, command: str, *, form_key: str, values: dict[str, str],
                 redisplay: Redisplay, done: str) -> Response:
    """Send a parsed form to routing's ``command`` path as the signed-in user; on success go to ``done``
    (303), else show the page again with the problems beside the form."""
    if not parsed.ok:
        return await redisplay(parsed.problems, values, 422)
    try:
        await routing(request).command(await token_of(request), command, parsed.body)
    except ApiError as error:
        status = error.status if error.status in (403, 404, 409, 422) else 422
        return await redisplay({f"{form_key}-form": refusal_da(error.status, error.code, error.detail)},
                               values, status)
    return RedirectResponse(done, status_code=303)
