"""Case, underretning and mail facts that audit keeps next to the log for the auditor queries Q9, Q12
and Q17 (docs/legal.md §D4). They are projections of routing's and notify's events, not part of
the append-only log and not hashed: references, codes, states and instants only, never narrative.

Every fold here is order-independent, so the facts converge whatever order the events arrive in
(a case closed before its CaseOpened arrived, an older underretning update after a newer one).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from infohus.kit.redact import mask_mail_addresses
from rules.age import AgeBand
from rules.calendar import COPENHAGEN

# Everything but ADULT means a minor is possible.
ADULT_BAND = AgeBand.ADULT
# routing's case lifecycle (services/routing/domain/case.py).
TRIAGE_COMPLETED = "TRIAGE_COMPLETED"
CLOSED_STATE = "CLOSED"
OUT_OF_SCOPE = "OUT_OF_SCOPE"
SENT = "SENT"
DEAD_LETTERED = "DEAD_LETTERED"
MAX_REASON = 200


def minor_possible(age_bands: list[str], subject_index: int) -> bool:
    """Whether the case's subject may be a minor. ``CaseOpened.age_bands`` has one band per subject of
    the concern, in order; should the index be out of range, any non-adult band of the concern counts."""
    if 0 <= subject_index < len(age_bands):
        return age_bands[subject_index] != ADULT_BAND
    return any(band != ADULT_BAND for band in age_bands)


def end_of_danish_day(day: date) -> datetime:
    """The instant (UTC) the Danish calendar day ``day`` ends: "later than the end of the due date"."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=COPENHAGEN).astimezone(UTC)


def recipient_domain(address: str) -> str | None:
    """The domain of a mail address, lower-cased; the address itself is not kept."""
    _, at, domain = address.strip().rstrip(">").rpartition("@")
    return domain.strip().lower() or None if at else None


def is_internal_domain(domain: str, internal: tuple[str, ...]) -> bool:
    domain = domain.lower()
    return any(domain == d or domain.endswith("." + d) for d in (i.lower() for i in internal))


def scrub_reason(reason: str) -> str:
    """A dead-letter reason without mail addresses (an SMTP reply may quote one), bounded in length."""
    return mask_mail_addresses(reason, "<adresse>")[:MAX_REASON]
