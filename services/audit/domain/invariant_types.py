"""Shared types of the invariant checks: a violation, and what the caller knows beyond the record."""

from __future__ import annotations

from dataclasses import dataclass

from rules.codes import DisclosureKind
from services.audit.domain.record import DisclosureDraft

# The §D1 example units of Center for Børn og Forebyggelse. Which units count as a "social authority"
# for § 115 a is a municipal decision [GAP]; pass the municipality's list in InvariantContext.
DEFAULT_SOCIAL_AUTHORITY_UNITS = frozenset({"CBF_TK", "CBF_STRAXEN"})
MIN_REPORTER_MARKER_LENGTH = 4


@dataclass(frozen=True)
class InvariantViolation:
    """One broken rule. ``code`` is "I3".."I10" for the §D3 invariants, "D1" for a §D1 field rule and
    "D2" for a §D2 code-list rule; ``field`` names the record field at fault."""

    code: str
    field: str
    message_da: str
    message_en: str


@dataclass(frozen=True)
class InvariantContext:
    """Facts the record itself does not carry.

    ``reporter_anonymous``: the concern behind the record came from an ANONYMOUS reporter (I10).
    ``reporter_markers``: identifiers the caller holds that could re-identify that reporter, e.g. the
    intake submission id, a session id or a client IP seen at the edge. I10 refuses a record in which
    any of them appears (case-insensitive), whatever the field.
    ``police_authorities``: the authority codes that are police. ``None`` means the naming convention
    of §D1: a code containing "POLITI" (e.g. KBHV_POLITI_INFOHUS, RIGSPOLITIET).
    ``social_authority_units``: discloser units that are a social authority for § 115 a (I4).
    """

    reporter_anonymous: bool = False
    reporter_markers: frozenset[str] = frozenset()
    police_authorities: frozenset[str] | None = None
    social_authority_units: frozenset[str] = DEFAULT_SOCIAL_AUTHORITY_UNITS

    def __post_init__(self) -> None:
        if any(len(marker.strip()) < MIN_REPORTER_MARKER_LENGTH for marker in self.reporter_markers):
            raise ValueError(f"reporter markers shorter than {MIN_REPORTER_MARKER_LENGTH} characters "
                             "would match ordinary text")

    def is_police(self, authority: str) -> bool:
        if self.police_authorities is not None:
            return authority in self.police_authorities
        return "POLITI" in authority.upper()

    def is_social_authority_unit(self, unit: str) -> bool:
        return unit in self.social_authority_units


def violation(code: str, field: str, *, da: str, en: str) -> InvariantViolation:
    return InvariantViolation(code=code, field=field, message_da=da, message_en=en)


def moves_data(draft: DisclosureDraft) -> bool:
    """False for DECISION_REJECTED: nothing left, so the lawfulness rules for a disclosure do not apply.

    A rejected proposal is logged because it evidences the necessity assessment; it must be loggable
    precisely when the proposal would have been unlawful.
    """
    return draft.kind is not DisclosureKind.DECISION_REJECTED


MIN_NECESSITY_LENGTH = 30


def has_necessity_assessment(draft: DisclosureDraft) -> bool:
    text = draft.necessity_assessment
    return text is not None and len(text.strip()) >= MIN_NECESSITY_LENGTH
