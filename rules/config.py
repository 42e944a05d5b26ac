"""A municipality's routing configuration: every [P] value of docs/legal.md §B1/§C.

There are deliberately no defaults for policy values: the configuration file states them all,
and ``version`` is recorded on every decision so a decision can be traced to the values used.
The file is read at the edge (``infohus.kit.municipality``); ``parse_municipality_config`` checks its text.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from rules.age import Feb29Policy
from rules.vocabulary import MessageId

NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
MonthDay = Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{2}$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @classmethod
    def of(cls, day: date) -> Weekday:
        return list(cls)[day.weekday()]


class DailyHours(_Frozen):
    """A half-open interval [opens, closes) of local wall-clock time on one day."""

    opens: time
    closes: time

    @model_validator(mode="after")
    def _opens_before_closes(self) -> DailyHours:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening hours are local wall-clock times without an offset")
        if self.opens >= self.closes:
            raise ValueError(f"opens ({self.opens}) must be before closes ({self.closes})")
        return self


class TriageSla(_Frozen):
    """Infohus triage deadline per priority (§C.2, 'Infohus triage SLA')."""

    p0_minutes_if_office_open: Annotated[int, Field(gt=0)]
    p1_office_days_after_receipt: Annotated[int, Field(gt=0)]
    p2_office_days_after_receipt: Annotated[int, Field(gt=0)]
    warning_fraction: Annotated[float, Field(gt=0, lt=1)]


class ContactLines(_Frozen):
    straxen_phone: NonEmptyText
    tk_phone: NonEmptyText
    hotline_phone: NonEmptyText
    police_non_emergency: NonEmptyText
    police_emergency: NonEmptyText
    underretning_mailbox: NonEmptyText
    infohus_mailbox: NonEmptyText


# Placeholders the message renderer fills in; a template may use any of them.
MESSAGE_PLACEHOLDERS = frozenset(
    {
        "municipality",
        "infohus_name",
        "reference",
        "received_at",
        "next_opening",
        "next_opening_weekday",
        "receipt_date",
        "receipt_notice",
        "tk_phone",
        "straxen_phone",
        "hotline_phone",
        "hotline_hours",
        "police_non_emergency",
        "police_emergency",
    }
)

_REQUIRED_PLACEHOLDERS: dict[MessageId, frozenset[str]] = {
    MessageId.M_ACK: frozenset({"reference", "received_at"}),
    MessageId.M_CLOSED_NEXT: frozenset({"next_opening"}),
    MessageId.M_UND_PROF: frozenset({"receipt_date"}),
    MessageId.M_UND_CITIZEN: frozenset({"receipt_notice"}),
}


def template_placeholders(template: str) -> set[str]:
    """The named placeholders of a str.format template; positional or indexed ones are refused."""
    names: set[str] = set()
    for _literal, field_name, _spec, _conversion in string.Formatter().parse(template):
        if field_name is None:
            continue
        if not field_name.isidentifier():
            raise ValueError(f"placeholder {{{field_name}}} must be a plain name")
        names.add(field_name)
    return names


def _check_template(label: str, template: str, required: frozenset[str] = frozenset()) -> None:
    try:
        used = template_placeholders(template)
    except ValueError as error:
        raise ValueError(f"{label}: {error}") from error
    if unknown := used - MESSAGE_PLACEHOLDERS:
        raise ValueError(f"{label}: unknown placeholder(s) {sorted(unknown)}")
    if missing := required - used:
        raise ValueError(f"{label}: missing placeholder(s) {sorted(missing)}")


class ReporterTexts(_Frozen):
    """Danish texts of the reporter message blocks (§C.3), as str.format templates."""

    blocks: dict[MessageId, NonEmptyText]
    # The optional receipt sentence of M_UND_CITIZEN, inserted at its {receipt_notice}.
    receipt_notice: NonEmptyText
    # M_UND_PROF for a professional who left no phone or e-mail: no receipt or orientation can be promised.
    und_prof_without_contact: NonEmptyText

    @model_validator(mode="after")
    def _templates_are_complete(self) -> ReporterTexts:
        if missing := [message.value for message in MessageId if message not in self.blocks]:
            raise ValueError(f"missing message text(s): {missing}")
        for message, template in self.blocks.items():
            _check_template(message.value, template, _REQUIRED_PLACEHOLDERS.get(message, frozenset()))
        _check_template("receipt_notice", self.receipt_notice, frozenset({"receipt_date"}))
        _check_template("und_prof_without_contact", self.und_prof_without_contact)
        return self


class CooperationParticipant(_Frozen):
    """An authority or institution that takes part in the municipality's § 115 cooperation (SSP, PSP, KSP):
    retsplejeloven § 115, stk. 2-3 lets information be exchanged with it inside that cooperation only."""

    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_:]{1,63}$")]
    name: NonEmptyText
    forms: Annotated[tuple[Literal["SSP", "PSP", "KSP_A", "KSP_B", "KSP_C"], ...], Field(min_length=1)]
    police: bool = False


class MunicipalityConfig(_Frozen):
    version: NonEmptyText
    # The official municipality code (Ishøj: 183); every case and underretning routing opens carries it.
    municipality_code: Annotated[str, Field(pattern=r"^[0-9]{3}$")]
    municipality_name: NonEmptyText
    infohus_name: NonEmptyText
    # Names of the municipality of residence that mean "ours" for jurisdiction (compared case-insensitively).
    home_municipality_names: Annotated[tuple[NonEmptyText, ...], Field(min_length=1)]
    timezone: NonEmptyText
    office_hours: dict[Weekday, DailyHours]
    extra_office_closed_days: tuple[MonthDay, ...]
    office_closed_day_after_ascension: bool
    # Office days exclude the public holidays; false for an office staffed every day of the year.
    office_closed_on_public_holidays: bool = True
    # § 138 "hverdage": do days the office closes although they are no public holiday (5/6, 24/12, 31/12)
    # still count? True gives the earliest, protective deadline.
    legal_hverdag_counts_office_closed_days: bool
    hotline_hours: DailyHours
    transition_window_days: Annotated[int, Field(ge=0, le=366)]
    near_duplicate_window_hours: Annotated[int, Field(gt=0)]
    feb29_policy: Feb29Policy
    triage_sla: TriageSla
    # None means no on-call channel exists; escalations are then only recorded (channel=NONE).
    ooh_escalation_channel: NonEmptyText | None = None
    # Barnets lov § 138, stk. 2 sets no deadline for telling a professional reporter what was started;
    # this [P] value makes it a tracked task with a due date. Not yet in the TOML file: it defaults here.
    professional_orientation_due_days: Annotated[int, Field(gt=0)] = 30
    contacts: ContactLines
    messages: ReporterTexts
    # The register of cooperation participants (who may receive information under § 115, stk. 2-3).
    cooperation_participants: tuple[CooperationParticipant, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("office_hours")
    @classmethod
    def _some_office_day(cls, value: dict[Weekday, DailyHours]) -> dict[Weekday, DailyHours]:
        if not value:
            raise ValueError("at least one weekday needs office hours")
        return value

    @field_validator("extra_office_closed_days")
    @classmethod
    def _real_month_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for month_day in value:
            try:
                date(2000, *_month_day(month_day))  # a leap year, so 02-29 is accepted
            except ValueError as error:
                raise ValueError(f"{month_day!r} is not a month-day (MM-DD)") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def closed_month_days(self) -> frozenset[tuple[int, int]]:
        return frozenset(_month_day(text) for text in self.extra_office_closed_days)

    def is_home_municipality(self, name: str) -> bool:
        wanted = normalise_municipality_name(name)
        return any(normalise_municipality_name(home) == wanted for home in self.home_municipality_names)


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def normalise_municipality_name(name: str) -> str:
    """'  Ishøj  Kommune ' and 'ishøj' compare equal."""
    words = name.casefold().split()
    if len(words) > 1 and words[-1] == "kommune":
        words = words[:-1]
    return " ".join(words)


class ConfigError(ValueError):
    """The configuration file is missing, not TOML, or has invalid values."""


def parse_municipality_config(text: str, *, source: str) -> MunicipalityConfig:
    """The configuration in ``text`` (TOML); ``source`` names where it came from in the error messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"municipality config {source} is not valid TOML: {error}") from error
    return municipality_config_from_dict(raw, source=source)


def municipality_config_from_dict(raw: Mapping[str, Any], *, source: str) -> MunicipalityConfig:
    try:
        return MunicipalityConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"invalid municipality config {source}:\n{_describe(error)}") from error


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False):
        location = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"  {location}: {problem['msg']}")
    return "\n".join(lines)
