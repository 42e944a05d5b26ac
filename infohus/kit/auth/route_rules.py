"""Every route's access rules (its ``require`` dependencies) listed, so a test can check each route against
each role, and that no route is left without a rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route, WebSocketRoute

from infohus.kit.auth.require import PERMISSIONS_ATTRIBUTE
from infohus.kit.auth.roles import Permission, Role, roles_for

INFRASTRUCTURE_PATHS: frozenset[str] = frozenset({
    "/health", "/health/live", "/health/ready", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
})
"""Routes that carry no personal data and need no rule: health probes and the API description."""


@dataclass(frozen=True)
class RouteRule:
    """One route and the rules (``require`` dependencies) it states; every rule must pass."""

    path: str
    methods: frozenset[str]
    name: str
    rules: tuple[frozenset[Permission], ...]
    listed_public: bool = False
    dependant: Dependant | None = field(default=None, repr=False, compare=False)
    """The FastAPI dependency tree of an API route (None for other routes)."""

    @property
    def is_api_route(self) -> bool:
        return self.dependant is not None

    @property
    def has_rule(self) -> bool:
        return bool(self.rules) or self.listed_public

    @property
    def allows_anonymous(self) -> bool:
        return all(Permission.PUBLIC in rule for rule in self.rules)

    @property
    def allowed_roles(self) -> frozenset[Role]:
        allowed = frozenset(Role)
        for rule in self.rules:
            allowed &= roles_for(*rule)
        return allowed

    def expected_refusal(self, role: Role | None) -> int | None:
        """401 or 403 when a caller with ``role`` (None: not signed in) must be refused, else None."""
        if role is None:
            return None if self.allows_anonymous else 401
        return None if role in self.allowed_roles else 403


def _permissions_in(dependant: Dependant) -> list[frozenset[Permission]]:
    found: list[frozenset[Permission]] = []
    seen: set[int] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        permissions = getattr(current.call, PERMISSIONS_ATTRIBUTE, None)
        if permissions is not None and id(current.call) not in seen:
            seen.add(id(current.call))
            found.append(permissions)
        stack.extend(current.dependencies)
    return found


def _route_contexts(app: FastAPI) -> list[Any]:
    """The app's routes as served, with included routers expanded (their prefix and dependencies applied).
    FastAPI >= 0.165 keeps included routers as one entry; ``iter_route_contexts`` expands them."""
    expand = getattr(fastapi_routing, "iter_route_contexts", None)
    return list(expand(app.routes)) if expand is not None else list(app.routes)


def route_rules(app: FastAPI, public: Iterable[str] = ()) -> list[RouteRule]:
    """Every route of ``app`` with its rules; paths in ``public`` or :data:`INFRASTRUCTURE_PATHS` count
    as deliberately open."""
    open_paths = INFRASTRUCTURE_PATHS | frozenset(public)
    out = []
    for context in _route_contexts(app):
        original = getattr(context, "original_route", context)
        path = getattr(context, "path", None) or ""
        dependant: Dependant | None = getattr(context, "dependant", None)
        rules: tuple[frozenset[Permission], ...] = ()
        if isinstance(original, APIRoute) and dependant is not None:
            rules = tuple(_permissions_in(dependant))
            methods = frozenset(getattr(context, "methods", None) or ())
        elif isinstance(original, Route):
            methods = frozenset(getattr(context, "methods", None) or ())
        elif isinstance(original, WebSocketRoute):
            methods = frozenset({"WEBSOCKET"})
        elif isinstance(original, Mount):
            methods = frozenset({"*"})
        else:
            methods = frozenset({"?"})
        out.append(RouteRule(path=path, methods=methods, name=getattr(context, "name", None) or "",
                             rules=rules, listed_public=path in open_paths,
                             dependant=dependant if isinstance(original, APIRoute) else None))
    return out


def assert_every_route_has_a_rule(app: FastAPI, public: Iterable[str] = ()) -> list[RouteRule]:
    """Fails with the list of routes that state no ``require(...)`` rule and are not listed as public."""
    rules = route_rules(app, public)
    missing = [r for r in rules if not r.has_rule]
    if missing:
        listing = ", ".join(f"{'/'.join(sorted(r.methods))} {r.path}" for r in missing)
        raise AssertionError(f"routes without an access rule (add require(...) or list them as public): "
                             f"{listing}")
    return rules
