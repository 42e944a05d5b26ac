"""Code lists of the § 115 disclosure log (docs/legal.md §D2) and the flags derived from them.

``contracts.events.DisclosureRecorded`` takes its field types from here; the values are the wire format.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = [
    "CRIMINAL_DATA_CATEGORIES",
    "GANG_DATA_CATEGORIES",
    "ORAL_CHANNELS",
    "RPL115_BASES",
    "RPL115_POLICE_ONLY_BASES",
    "SECTION_115_BASES",
    "SPECIAL_DATA_CATEGORIES",
    "CooperationForm",
    "DataCategory",
    "DisclosureChannel",
    "DisclosureDeliveryStatus",
    "DisclosureKind",
    "LegalBasis",
    "OnwardCondition",
    "Purpose",
    "SourceOfData",
    "SubjectInformationStatus",
    "contains_cpr",
    "contains_criminal_data",
    "contains_gang_info",
    "contains_special_categories",
    "is_rpl115",
    "is_section_115",
    "requires_necessity_assessment",
]


class DisclosureKind(StrEnum):
    DISCLOSURE = "DISCLOSURE"
    RECEIPT = "RECEIPT"
    INTERNAL_TRANSFER = "INTERNAL_TRANSFER"
    DECISION_REJECTED = "DECISION_REJECTED"
    CORRECTION = "CORRECTION"
    RECIPIENT_ERROR_NOTICE = "RECIPIENT_ERROR_NOTICE"
    ERASURE_NOTICE = "ERASURE_NOTICE"
    SUBJECT_ACCESS_SERVED = "SUBJECT_ACCESS_SERVED"


class LegalBasis(StrEnum):
    # Police → authority under § 115, stk. 1; appear in the municipality's log as RECEIPT.
    RPL115_1_1_SSP = "RPL115_1_1_SSP"
    RPL115_1_2_PSP = "RPL115_1_2_PSP"
    RPL115_1_3A_KSP = "RPL115_1_3A_KSP"
    RPL115_1_3B_KSP = "RPL115_1_3B_KSP"
    RPL115_1_3C_KSP = "RPL115_1_3C_KSP"
    RPL115_2 = "RPL115_2"
    RPL115_3 = "RPL115_3"
    RPL115_5_GANG = "RPL115_5_GANG"
    RPL115A_FAMILY = "RPL115A_FAMILY"
    BL133_UNDERRETNING = "BL133_UNDERRETNING"
    BL135_UNDERRETNING = "BL135_UNDERRETNING"
    BL132_MELLEMKOMMUNAL = "BL132_MELLEMKOMMUNAL"
    FVL7_2_VIDERESENDELSE = "FVL7_2_VIDERESENDELSE"
    PETL4_ON_REQUEST = "PETL4_ON_REQUEST"
    DBL8_2_1_CONSENT = "DBL8_2_1_CONSENT"
    DBL8_2_2_OVERRIDING_INTEREST = "DBL8_2_2_OVERRIDING_INTEREST"
    DBL8_2_3_NECESSARY_FOR_AUTHORITY = "DBL8_2_3_NECESSARY_FOR_AUTHORITY"
    GDPR_VITAL_INTEREST = "GDPR_VITAL_INTEREST"
    INTERNAL_SAME_CONTROLLER = "INTERNAL_SAME_CONTROLLER"
    OTHER_REVIEWED = "OTHER_REVIEWED"


class Purpose(StrEnum):
    INFOHUS_TRIAGE = "INFOHUS_TRIAGE"
    INFOHUS_SCREENING = "INFOHUS_SCREENING"
    INFOHUS_ANALYSIS = "INFOHUS_ANALYSIS"
    INFOHUS_RECOMMENDATION_HANDOVER = "INFOHUS_RECOMMENDATION_HANDOVER"
    CHILD_WELFARE_ASSESSMENT = "CHILD_WELFARE_ASSESSMENT"
    ACUTE_DANGER_AVERSION = "ACUTE_DANGER_AVERSION"
    REFERRAL_TO_COMPETENT_AUTHORITY = "REFERRAL_TO_COMPETENT_AUTHORITY"
    FAMILY_INVOLVEMENT_115A = "FAMILY_INVOLVEMENT_115A"
    PET_REQUEST = "PET_REQUEST"
    CRIMINAL_REPORT = "CRIMINAL_REPORT"
    SUBJECT_ACCESS = "SUBJECT_ACCESS"
    ERROR_CORRECTION = "ERROR_CORRECTION"


class DataCategory(StrEnum):
    IDENTITY = "IDENTITY"
    CPR = "CPR"
    CONTACT = "CONTACT"
    CONCERN_NARRATIVE = "CONCERN_NARRATIVE"
    OBSERVED_SIGNS = "OBSERVED_SIGNS"
    SOCIAL_CIRCUMSTANCES = "SOCIAL_CIRCUMSTANCES"
    FAMILY = "FAMILY"
    SCHOOL_WORK = "SCHOOL_WORK"
    ONLINE_ACTIVITY = "ONLINE_ACTIVITY"
    EXISTING_MEASURES = "EXISTING_MEASURES"
    HEALTH = "HEALTH"
    RELIGION = "RELIGION"
    POLITICAL_OPINION = "POLITICAL_OPINION"
    ETHNICITY = "ETHNICITY"
    SEX_LIFE = "SEX_LIFE"
    CRIMINAL_OFFENCES = "CRIMINAL_OFFENCES"
    GANG_AFFILIATION = "GANG_AFFILIATION"
    FAMILY_MEMBER_CONVICTION_81A = "FAMILY_MEMBER_CONVICTION_81A"


class DisclosureChannel(StrEnum):
    SECURE_EMAIL = "SECURE_EMAIL"
    MEETING_ORAL = "MEETING_ORAL"
    PHONE = "PHONE"
    SYSTEM_SHARE = "SYSTEM_SHARE"
    LETTER = "LETTER"


class SourceOfData(StrEnum):
    OWN_COLLECTION = "OWN_COLLECTION"
    REPORTER = "REPORTER"
    RECEIVED_UNDER_RPL115 = "RECEIVED_UNDER_RPL115"
    OTHER_AUTHORITY = "OTHER_AUTHORITY"


class OnwardCondition(StrEnum):
    CONFIDENTIALITY = "CONFIDENTIALITY"
    NO_ONWARD_DISCLOSURE_WITHOUT_BASIS = "NO_ONWARD_DISCLOSURE_WITHOUT_BASIS"
    NO_INVESTIGATION_USE = "NO_INVESTIGATION_USE"
    STK5_CONFIDENTIALITY = "STK5_CONFIDENTIALITY"


class SubjectInformationStatus(StrEnum):
    INFORMED = "INFORMED"
    DEFERRED_DBL22_2_4 = "DEFERRED_DBL22_2_4"
    NOT_REQUIRED = "NOT_REQUIRED"
    PENDING = "PENDING"


class DisclosureDeliveryStatus(StrEnum):
    """Whether the disclosed data reached the recipient (not notify's mail delivery status)."""

    ATTEMPTED = "ATTEMPTED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class CooperationForm(StrEnum):
    SSP = "SSP"
    PSP = "PSP"
    KSP_A = "KSP_A"
    KSP_B = "KSP_B"
    KSP_C = "KSP_C"
    NONE = "NONE"


# "RPL115_*" in §D3 means the § 115 bases proper; RPL115A_FAMILY (§ 115 a) is a different rule.
RPL115_BASES = frozenset(basis for basis in LegalBasis if basis.value.startswith("RPL115_"))
SECTION_115_BASES = RPL115_BASES | {LegalBasis.RPL115A_FAMILY}
# § 115, stk. 1 and stk. 5 start with "Politiet kan": only the police disclose under them.
RPL115_POLICE_ONLY_BASES = frozenset(
    basis for basis in RPL115_BASES if basis.value.startswith("RPL115_1_")
) | {LegalBasis.RPL115_5_GANG}
_DBL8_BASES = frozenset(basis for basis in LegalBasis if basis.value.startswith("DBL8_"))

# GDPR art. 9 / DBL § 7.
SPECIAL_DATA_CATEGORIES = frozenset({
    DataCategory.HEALTH, DataCategory.RELIGION, DataCategory.POLITICAL_OPINION,
    DataCategory.ETHNICITY, DataCategory.SEX_LIFE,
})
# GDPR art. 10 / DBL § 8. A family member's conviction under STRFL § 81 a is data on a criminal offence
# about that family member, so it counts here as well as under gang information.
CRIMINAL_DATA_CATEGORIES = frozenset({
    DataCategory.CRIMINAL_OFFENCES, DataCategory.FAMILY_MEMBER_CONVICTION_81A,
})
# RPL § 115, stk. 5.
GANG_DATA_CATEGORIES = frozenset({DataCategory.GANG_AFFILIATION, DataCategory.FAMILY_MEMBER_CONVICTION_81A})

ORAL_CHANNELS = frozenset({DisclosureChannel.MEETING_ORAL, DisclosureChannel.PHONE})


def contains_special_categories(categories: Iterable[DataCategory]) -> bool:
    return not SPECIAL_DATA_CATEGORIES.isdisjoint(categories)


def contains_criminal_data(categories: Iterable[DataCategory]) -> bool:
    return not CRIMINAL_DATA_CATEGORIES.isdisjoint(categories)


def contains_cpr(categories: Iterable[DataCategory]) -> bool:
    return DataCategory.CPR in set(categories)


def contains_gang_info(categories: Iterable[DataCategory]) -> bool:
    return not GANG_DATA_CATEGORIES.isdisjoint(categories)


def is_rpl115(basis: LegalBasis) -> bool:
    """True for the § 115 bases proper (``RPL115_*``), not for § 115 a."""
    return basis in RPL115_BASES


def is_section_115(basis: LegalBasis) -> bool:
    """True for § 115 and § 115 a: the bases that need a decision maker and a decision time."""
    return basis in SECTION_115_BASES


def requires_necessity_assessment(basis: LegalBasis) -> bool:
    """§D1: a necessity assessment is required for § 115, § 115 a and DBL § 8."""
    return basis in SECTION_115_BASES or basis in _DBL8_BASES
