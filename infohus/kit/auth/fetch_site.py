"""Fetch metadata: a session cookie does not sign in a request another site started.

Browsers say in ``Sec-Fetch-Site`` who started a request. When it is ``cross-site`` (a link, form, image or
script on another site), the session cookie is ignored: the request is not signed in, so an API answers
401 and a page sends the browser to sign in. A link from a mail therefore opens a page in the user's name
only after a step the user takes on our own site (signing in, or "Fortsæt" after the identity provider).
``same-origin``, ``same-site`` and ``none`` (typed, bookmarked, opened from a mail program) are let through,
and so are requests without the header (non-browser clients; old browsers rely on ``SameSite``). Bearer
tokens are unaffected: a browser never adds them by itself.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from infohus.kit.auth.signin_pages import render

SEC_FETCH_SITE = "sec-fetch-site"


def started_cross_site(request: Request) -> bool:
    return request.headers.get(SEC_FETCH_SITE, "").strip().lower() == "cross-site"


def continue_page(request: Request, target: str, *, automatic: bool) -> Response:
    """After a sign-in that ended in a cross-site navigation (back from the identity provider): a page on
    our site that goes on to ``target`` (a local path) by a same-origin navigation. ``automatic`` (meta
    refresh) only when our own site started the sign-in; otherwise the user clicks, so a link from another
    site cannot run anything in the user's name through the provider's silent sign-in."""
    return render(request, "continue.html", {"title": "Du er logget ind", "target": target, "automatic": automatic},
                  heading="Infohus")
