"""Who a concern form is for: the public, intake staff or a partner authority. One template and one
handler (``web.handle_concern_form``) serve all three; the mode says what differs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FormMode:
    href: str
    """The form's address: where it posts, the service's home link, and "send another" on the receipt."""
    title: str
    receipt_title: str
    solution_name: str | None = None
    """The header's service name; None for the public default."""
    categories: list[tuple[str, str, str]] = field(default_factory=list)
    """The reporter categories offered (none on the partner form: it is always PARTNER_AUTHORITY)."""
    staff: bool = False
    """Intake staff register a concern that came another way: channel and time received are chosen."""
    partner: bool = False
    """A partner authority reports itself: channel PARTNER, received now, reporter PARTNER_AUTHORITY."""
    sign_in_title: str = ""
    """The signed-in forms' refusal pages (``web.refusal_page``): the 401 page's title, who the form is for,
    and the role the 403 page says it needs."""
    who_for: str = ""
    role_needed: str = ""
