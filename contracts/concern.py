"""The concern as submitted to intake: the request body of ``POST /api/v1/concerns``.

This model is shared by intake (validation), routing (the decision function) and the
``infohus explain`` command, so there is exactly one definition of what a concern is.

Validation errors raised by the rules here are ``PydanticCustomError``s whose context carries a
Danish message (``da``) and the offending field names (``fields``), so intake can tell a person,
in Danish and English and without echoing what was typed, exactly what to fix.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError


class Channel(StrEnum):
    WEB = "WEB"
    PHONE = "PHONE"
    PARTNER = "PARTNER"
    EMAIL = "EMAIL"
    """An e-mail to the municipality, registered by intake staff."""
    LETTER = "LETTER"
    IN_PERSON = "IN_PERSON"
    """Someone came to the office and told staff in person."""


class ReporterCategory(StrEnum):
    PROF_PUBLIC = "PROF_PUBLIC"
    PROF_BEK1602 = "PROF_BEK1602"
    CITIZEN = "CITIZEN"
    SELF = "SELF"
    PARTNER_AUTHORITY = "PARTNER_AUTHORITY"
    ANONYMOUS = "ANONYMOUS"


class Acuteness(StrEnum):
    ACUTE = "ACUTE"
    URGENT = "URGENT"
    ROUTINE = "ROUTINE"


class PartnerAuthority(StrEnum):
    """Which authority a PARTNER_AUTHORITY reporter reports for (docs/legal.md §B1): the source of the data
    in the disclosure log's RECEIPT record."""

    POLICE = "POLICE"
    MUNICIPALITY = "MUNICIPALITY"
    """Another municipality."""
    REGION = "REGION"
    KRIMINALFORSORGEN = "KRIMINALFORSORGEN"


class PartnerCooperationForm(StrEnum):
    """The § 115 cooperation (retsplejeloven § 115, stk. 1 nr. 1-3) a partner authority shares the data in."""

    SSP = "SSP"
    PSP = "PSP"
    KSP_A = "KSP_A"
    KSP_B = "KSP_B"
    KSP_C = "KSP_C"


# Reporters with a personal duty to notify and a right to orientation (barnets lov §§ 133, 138, stk. 2): public
# employees, BEK 1602 professionals, and the employees of a partner authority (police, another municipality,
# the region, Kriminalforsorgen), who are public employees under § 133 whichever channel they report through.
PROFESSIONAL_CATEGORIES = frozenset({ReporterCategory.PROF_PUBLIC, ReporterCategory.PROF_BEK1602,
                                     ReporterCategory.PARTNER_AUTHORITY})

# Channels whose entries are typed in after the fact: the person entering them states when the
# municipality received the concern (the time of the call, of the e-mail or letter, of the visit, the time
# the partner received it).
ENTERED_CHANNELS = frozenset({Channel.PHONE, Channel.PARTNER, Channel.EMAIL, Channel.LETTER, Channel.IN_PERSON})

# Local time of every Danish municipality. A ``received_at`` without a UTC offset is read in it.
LOCAL_TIME_ZONE = ZoneInfo("Europe/Copenhagen")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,20}$")]
CprNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}-?[0-9]{4}$")]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
_CPR_LIKE = re.compile(r"(?<!\d)\d{6}[-\s]?\d{4}(?!\d)")  # exactly audit's I9 pattern


def rule_error(code: str, english: str, danish: str, *fields: str) -> PydanticCustomError:
    """A validation error of one of our rules: its code, both languages and the fields to fix."""
    return PydanticCustomError(code, english, {"da": danish, "fields": ",".join(fields)})


_IDENTITY_FIELDS = ("name", "role", "workplace", "phone", "email")
_PARTNER_FIELDS = ("authority", "cooperation_form", "necessity_assessment")

# What each category must give (docs/legal.md §B1, Reporter). Contact data are optional for
# everybody: without them the reporter just gets no receipt or orientation.
_REQUIRED_IDENTITY: dict[ReporterCategory, tuple[str, ...]] = {
    ReporterCategory.PROF_PUBLIC: ("name", "workplace"),
    ReporterCategory.PROF_BEK1602: ("name", "workplace"),
    ReporterCategory.PARTNER_AUTHORITY: ("workplace",),
}
NecessityText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=30, max_length=2000)]


class Reporter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: ReporterCategory
    claims_professional: bool = False
    name: ShortText | None = None
    role: ShortText | None = None
    workplace: ShortText | None = None
    phone: Phone | None = None
    email: Email | None = None
    authority: PartnerAuthority | None = Field(
        default=None, description="PARTNER_AUTHORITY only (required there): the authority reported for.")
    cooperation_form: PartnerCooperationForm | None = Field(
        default=None, description="PARTNER_AUTHORITY only: the § 115 cooperation the authority shares the data "
                                  "in (retsplejeloven § 115, stk. 1-2); with necessity_assessment.")
    necessity_assessment: NecessityText | None = Field(
        default=None, description="PARTNER_AUTHORITY only, with cooperation_form: why sharing is necessary "
                                  "(30-2,000 characters, no CPR numbers); recorded in the disclosure log.")

    @model_validator(mode="after")
    def _identity_fits_category(self) -> Reporter:
        self._partner_fields_fit()
        given = [field for field in _IDENTITY_FIELDS if getattr(self, field) is not None]
        if self.category is ReporterCategory.ANONYMOUS:
            if given:
                raise rule_error(
                    "anonymous_with_identity",
                    "An anonymous reporter gives no name, role, workplace, phone or e-mail: "
                    "leave these fields out, or choose another category.",
                    "Når du er anonym, skal du ikke oplyse navn, stilling, arbejdssted, telefon eller e-mail. "
                    "Slet dem, eller vælg at oplyse, hvem du er.",
                    *given)
            return self
        if missing := [field for field in _REQUIRED_IDENTITY.get(self.category, ()) if field not in given]:
            if self.category is ReporterCategory.PARTNER_AUTHORITY:
                raise rule_error("identity_required", "A partner authority gives its name (workplace).",
                                 "Oplys navnet på den myndighed, du henvender dig fra (arbejdssted).", *missing)
            raise rule_error(
                "identity_required",
                "A professional reporter gives name and workplace (the duty to notify is personal).",
                "Som fagperson skal du oplyse dit navn og dit arbejdssted, fordi underretningspligten er personlig.",
                *missing)
        # A person asking for help for themself (SELF) may stay anonymous: serviceloven § 12 b counselling is
        # offered anonymously too (docs/legal.md §C.2 R12), so nothing is required of them.
        if self.category is ReporterCategory.CITIZEN and not (self.name or self.phone or self.email):
            raise rule_error(
                "identity_required",
                "Give a name, phone number or e-mail address, or choose to be anonymous (category ANONYMOUS).",
                "Oplys dit navn, telefonnummer eller din e-mail – eller vælg at være anonym.",
                "name", "phone", "email")
        return self

    def _partner_fields_fit(self) -> None:
        partner = [field for field in _PARTNER_FIELDS if getattr(self, field) is not None]
        if self.category is not ReporterCategory.PARTNER_AUTHORITY:
            if partner:
                raise rule_error(
                    "partner_fields_not_allowed",
                    "authority, cooperation_form and necessity_assessment are for a partner authority only "
                    "(category PARTNER_AUTHORITY).",
                    "Myndighed, samarbejdsform og nødvendighedsvurdering oplyses kun af en samarbejdsmyndighed.",
                    *partner)
            return
        if self.authority is None:
            raise rule_error(
                "authority_required",
                "A partner authority says which authority it is (authority: POLICE, MUNICIPALITY, REGION or "
                "KRIMINALFORSORGEN).",
                "Vælg, hvilken myndighed henvendelsen kommer fra (politi, anden kommune, region eller "
                "kriminalforsorg).",
                "authority")
        if (self.cooperation_form is None) != (self.necessity_assessment is None):
            missing = "necessity_assessment" if self.necessity_assessment is None else "cooperation_form"
            raise rule_error(
                "section_115_incomplete",
                "Sharing under retsplejeloven § 115 names both the cooperation form and the necessity assessment.",
                "Deling efter retsplejelovens § 115 kræver både samarbejdsformen og nødvendighedsvurderingen.",
                missing)
        if self.necessity_assessment is not None and _CPR_LIKE.search(self.necessity_assessment):
            raise rule_error(
                "cpr_in_necessity_assessment",
                "The necessity assessment goes into the disclosure log: write no CPR number in it.",
                "Nødvendighedsvurderingen gemmes i loggen over videregivelser. Skriv ikke CPR-numre i den.",
                "necessity_assessment")

    @property
    def contactable(self) -> bool:
        return self.category is not ReporterCategory.ANONYMOUS and bool(self.phone or self.email)

    @property
    def anonymous(self) -> bool:
        """ANONYMOUS, or a person asking for help for themself (SELF) who gives no name, phone or e-mail."""
        if self.category is ReporterCategory.ANONYMOUS:
            return True
        return self.category is ReporterCategory.SELF and not (self.name or self.phone or self.email)


class Person(BaseModel):
    """A subject of the concern, or a child at risk named in it."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    cpr: CprNumber | None = None
    date_of_birth: Annotated[date, Field(ge=date(1890, 1, 1))] | None = None
    stated_age: Annotated[int, Field(ge=0, le=130)] | None = None
    municipality: ShortText | None = None
    address: ShortText | None = None
    school_or_workplace: ShortText | None = None

    @field_validator("cpr")
    @classmethod
    def _normalise_cpr(cls, value: str | None) -> str | None:
        return None if value is None else value.replace("-", "")


class WarningSign(StrEnum):
    """The individual and social warning signs ("opmærksomhedspunkter") of Ishøj Kommune's preparedness
    plan against radicalisation and extremism (April 2024), in the plan's order. "Ikke en tjekliste,
    men alene et hjælperedskab": a reporter may tick any or none."""

    IND_VIOLENCE_READINESS = "IND_VIOLENCE_READINESS"
    IND_CONFLICT_TRAVEL = "IND_CONFLICT_TRAVEL"
    IND_EXTREMIST_MATERIAL = "IND_EXTREMIST_MATERIAL"
    IND_THREATS_PRESSURE = "IND_THREATS_PRESSURE"
    IND_HATEFUL_EVENTS = "IND_HATEFUL_EVENTS"
    IND_SPREADS_VIOLENT_MESSAGES = "IND_SPREADS_VIOLENT_MESSAGES"
    IND_FIXATION = "IND_FIXATION"
    IND_CONTEMPT_INTOLERANCE = "IND_CONTEMPT_INTOLERANCE"
    IND_PREACHING = "IND_PREACHING"
    IND_EXTREMIST_SYMBOLS = "IND_EXTREMIST_SYMBOLS"
    SOC_WEAPONS_ACCESS = "SOC_WEAPONS_ACCESS"
    SOC_EXTREMIST_NETWORK = "SOC_EXTREMIST_NETWORK"
    SOC_ISOLATION = "SOC_ISOLATION"
    SOC_DISENGAGEMENT = "SOC_DISENGAGEMENT"
    SOC_DYSFUNCTIONAL_FAMILY = "SOC_DYSFUNCTIONAL_FAMILY"

    @property
    def individual(self) -> bool:
        return self.value.startswith("IND_")


# The plan's own wording for each sign (code -> Danish text), as shown on the forms.
WARNING_SIGN_CODES: dict[str, str] = {
    WarningSign.IND_VIOLENCE_READINESS: "Udviser voldsparathed, fx ved at være involveret i voldshandlinger eller "
                                        "voldelige sammenstød",
    WarningSign.IND_CONFLICT_TRAVEL: "Viser interesse for at rejse til udlandet og deltage i konflikter eller "
                                     "træningsaktiviteter, hvor ekstreme grupper er involveret",
    WarningSign.IND_EXTREMIST_MATERIAL: "Opsøger hjemmesider, litteratur eller film med ekstremistiske eller "
                                        "voldslegitimerende budskaber",
    WarningSign.IND_THREATS_PRESSURE: "Truer, chikanerer eller udøver socialt pres over for andre",
    WarningSign.IND_HATEFUL_EVENTS: "Er involveret i begivenheder med hadefulde eller voldslegitimerende budskaber",
    WarningSign.IND_SPREADS_VIOLENT_MESSAGES: "Udbreder voldslegitimerende budskaber, fx via sociale medier",
    WarningSign.IND_FIXATION: "Viser stor optagethed af en bestemt sag eller person",
    WarningSign.IND_CONTEMPT_INTOLERANCE: "Udtrykker foragt for og intolerance over for andres holdninger",
    WarningSign.IND_PREACHING: "Har en prædikende og moraliserende adfærd",
    WarningSign.IND_EXTREMIST_SYMBOLS: "Udviser tilknytning til ekstreme budskaber gennem sin påklædning, sit "
                                       "udseende eller brug af totalitære symboler",
    WarningSign.SOC_WEAPONS_ACCESS: "Færdes i miljøer med let adgang til våben",
    WarningSign.SOC_EXTREMIST_NETWORK: "Har social omgang med personer eller grupper, som har ekstreme holdninger",
    WarningSign.SOC_ISOLATION: "Isolerer sig og tager afstand fra familie og hidtidige venskaber",
    WarningSign.SOC_DISENGAGEMENT: "Afbryder uddannelse, opsiger job og anden tilknytning til det omgivende "
                                   "samfund",
    WarningSign.SOC_DYSFUNCTIONAL_FAMILY: "Familien er dysfunktionel",
}


def local_wall_clock_to_instant(moment: datetime) -> datetime:
    """A local (Europe/Copenhagen) wall-clock time as an aware instant.

    Refuses a time that does not exist (skipped when summer time starts) or that exists twice (when it
    ends): only an explicit UTC offset can say which moment was meant.
    """
    if moment.tzinfo is not None:
        raise ValueError("expected a wall-clock time without an offset")
    first = moment.replace(tzinfo=LOCAL_TIME_ZONE, fold=0)
    second = moment.replace(tzinfo=LOCAL_TIME_ZONE, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    round_trip = first.astimezone(UTC).astimezone(LOCAL_TIME_ZONE).replace(tzinfo=None)
    if round_trip != moment:
        raise rule_error(
            "local_time_nonexistent",
            "This local time does not exist: the clocks skip it when summer time starts. "
            "Check the time, or give it with an explicit UTC offset, e.g. +02:00.",
            "Klokkeslættet findes ikke i dansk tid, fordi uret stilles frem til sommertid. "
            "Tjek tidspunktet, eller angiv det med UTC-forskydning, fx +02:00.")
    raise rule_error(
        "local_time_ambiguous",
        "This local time happens twice when summer time ends. Give it with an explicit UTC offset: "
        "+02:00 for the first time, +01:00 for the second.",
        "Klokkeslættet forekommer to gange, fordi uret stilles tilbage fra sommertid. Angiv det med "
        "UTC-forskydning: +02:00 for første gang og +01:00 for anden gang.")


class ConcernIn(BaseModel):
    """What a reporter submits. Everything routing needs is here; nothing is derived yet."""

    model_config = ConfigDict(extra="forbid")

    submission_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=64,
                                                    pattern=r"^[A-Za-z0-9_.:-]+$")]
    channel: Channel
    reporter: Reporter
    subjects: Annotated[list[Person], Field(min_length=1, max_length=20)]
    children_at_risk: Annotated[list[Person], Field(max_length=20)] = []
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    warning_signs: Annotated[list[WarningSign], Field(max_length=2 * len(WarningSign))] = []
    acuteness: Acuteness = Acuteness.ROUTINE
    crime_suspicion: bool = False
    received_at: datetime | None = Field(
        default=None,
        description="Staff-entered channels only (PHONE, PARTNER, EMAIL, LETTER, IN_PERSON; required there): "
                    "when the municipality received the concern. "
                    "With a UTC offset, or as Danish local time; a local time that a change to or from summer "
                    "time makes non-existent or ambiguous is refused.")

    @field_validator("warning_signs")
    @classmethod
    def _each_sign_once(cls, signs: list[WarningSign]) -> list[WarningSign]:
        return list(dict.fromkeys(signs))

    @field_validator("received_at")
    @classmethod
    def _local_time_is_unambiguous(cls, value: datetime | None) -> datetime | None:
        if value is None or value.utcoffset() is not None:
            return value
        return local_wall_clock_to_instant(value)

    @model_validator(mode="after")
    def _received_at_fits_channel(self) -> ConcernIn:
        if self.channel is Channel.WEB and self.received_at is not None:
            raise rule_error(
                "received_at_not_allowed",
                "received_at is set by the system for web submissions: leave it out.",
                "Tidspunktet for modtagelsen sættes af systemet ved henvendelser via nettet. Udelad det.",
                "received_at")
        if self.channel is Channel.PARTNER and self.reporter.category is not ReporterCategory.PARTNER_AUTHORITY:
            raise rule_error(
                "partner_channel_category",
                "The partner channel is for partner authorities: reporter category PARTNER_AUTHORITY.",
                "Samarbejdskanalen er for samarbejdsmyndigheder: vælg kategorien samarbejdsmyndighed.",
                "reporter.category")
        if self.channel in ENTERED_CHANNELS and self.received_at is None:
            raise rule_error(
                "received_at_required",
                f"A {self.channel.value} entry states when the municipality received it (received_at, e.g. "
                "2026-11-22T14:05:00+01:00).",
                "Angiv, hvornår kommunen modtog henvendelsen (fx tidspunktet for opkaldet).",
                "received_at")
        return self

    @property
    def has_children_at_risk(self) -> bool:
        return bool(self.children_at_risk)
