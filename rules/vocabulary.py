"""Codes shared by the routing rules, the decision and the municipality configuration (§C)."""

from __future__ import annotations

from enum import StrEnum


class DuplicateKind(StrEnum):
    NEW = "NEW"
    EXACT = "EXACT"  # same submission_id
    NEAR = "NEAR"  # same reporter, subject and description within the near-duplicate window


class TimeContext(StrEnum):
    OFFICE_OPEN = "OFFICE_OPEN"
    HOTLINE_ONLY = "HOTLINE_ONLY"
    ALL_CLOSED = "ALL_CLOSED"


class Jurisdiction(StrEnum):
    HOME = "HOME"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class UnderretningLegalType(StrEnum):
    BL_133 = "BL_133"
    BL_BEK1602 = "BL_BEK1602"
    BL_135 = "BL_135"
    CHILD_SELF_CONTACT = "CHILD_SELF_CONTACT"
    UNDETERMINED = "UNDETERMINED"


class MessageId(StrEnum):
    """Reporter message blocks of §C.3, declared in display order (§C.4 rows, M_112_FIRST first)."""

    M_112_FIRST = "M_112_FIRST"
    M_ACK = "M_ACK"
    M_UND_PROF = "M_UND_PROF"
    M_UND_CITIZEN = "M_UND_CITIZEN"
    M_UND_SELF = "M_UND_SELF"
    """A child asking for help for themself: StraXen is told too, so they can help (not "you are no party")."""
    M_AGE_UNKNOWN = "M_AGE_UNKNOWN"
    M_PROF_ANON_WARNING = "M_PROF_ANON_WARNING"
    M_POLICE_114 = "M_POLICE_114"
    M_OPEN = "M_OPEN"
    M_CLOSED_NEXT = "M_CLOSED_NEXT"
    M_HOTLINE = "M_HOTLINE"
    M_12B = "M_12B"
    M_JURISDICTION = "M_JURISDICTION"
    M_112_LINE = "M_112_LINE"


class Flag(StrEnum):
    """Flags on the decision, declared in the order they are listed."""

    ACUTE = "ACUTE"
    URGENT = "URGENT"
    CRIME_SUSPICION = "CRIME_SUSPICION"
    DISCLOSURE_PROPOSED_TASK = "DISCLOSURE_PROPOSED_TASK"
    OOH_CHANNEL_NOT_CONFIGURED = "OOH_CHANNEL_NOT_CONFIGURED"
    ASSESSMENT_DEADLINE_AT_RISK = "ASSESSMENT_DEADLINE_AT_RISK"
    ADULT_TRANSITION = "ADULT_TRANSITION"
    AGE_UNVERIFIED = "AGE_UNVERIFIED"
    AGE_CONFLICT = "AGE_CONFLICT"
    CPR_UNUSABLE = "CPR_UNUSABLE"
    SELF_REFERRAL_SEL_12B = "SELF_REFERRAL_SEL_12B"
    ANONYMOUS_PROFESSIONAL = "ANONYMOUS_PROFESSIONAL"
    JURISDICTION_OTHER = "JURISDICTION_OTHER"
    DUPLICATE_EXACT = "DUPLICATE_EXACT"
    DUPLICATE_NEAR = "DUPLICATE_NEAR"
    SUPPLEMENT_TO_ORIGINAL = "SUPPLEMENT_TO_ORIGINAL"
