"""Form-encoded input of the web forms, turned into the JSON shape of ``ConcernIn``.

Inputs are named by their path in the concern with ``-`` (``reporter-name``, ``subjects-0-stated_age``),
so a validation error's location points straight at the input to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from contracts.concern import Channel, PartnerAuthority, PartnerCooperationForm, ReporterCategory
from services.intake.entrypoints.problems import FieldProblem

MAX_PERSONS = 20
# The two offsets of Danish time, for a call in the hour that exists twice when summer time ends.
OFFSETS = {"+02:00": timezone(timedelta(hours=2)), "+01:00": timezone(timedelta(hours=1))}
OFFSET_OPTIONS: list[tuple[str, str, str]] = [
    ("", "Dansk tid (vælges automatisk)", ""),
    ("+02:00", "+02:00 (sommertid)", "Første gang klokken viser tidspunktet i natten til vintertid."),
    ("+01:00", "+01:00 (vintertid)", "Anden gang klokken viser tidspunktet i natten til vintertid."),
]
PERSON_FIELDS = ("name", "cpr", "date_of_birth", "stated_age", "municipality", "address", "school_or_workplace")
REPORTER_FIELDS = ("name", "role", "workplace", "phone", "email")


class FormValues(Mapping[str, str]):
    """The submitted values (first value per name, stripped) and the lists of repeated names."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._first: dict[str, str] = {}
        self._lists: dict[str, list[str]] = {}
        for name, value in items:
            text = value.strip() if isinstance(value, str) else ""
            self._first.setdefault(name, text)
            self._lists.setdefault(name, []).append(text)

    def __getitem__(self, name: str) -> str:
        return self._first[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def text(self, name: str) -> str:
        return self._first.get(name, "")

    def all(self, name: str) -> list[str]:
        return [value for value in self._lists.get(name, []) if value]

    def count(self, name: str, default: int) -> int:
        number = whole_number(self.text(name))
        return default if number is None else min(MAX_PERSONS, number)


@dataclass
class ParsedForm:
    data: dict[str, Any]
    problems: list[FieldProblem] = field(default_factory=list)
    # Index in the concern -> index on the form, for subjects and children (empty blocks are dropped).
    index_maps: dict[str, list[int]] = field(default_factory=dict)

    def input_id(self, location: str) -> str:
        """The form input a problem location points at (``subjects.0.name`` -> ``subjects-2-name``)."""
        parts = location.split(".")
        if len(parts) >= 2 and parts[0] in self.index_maps and parts[1].isdigit():
            mapping = self.index_maps[parts[0]]
            index = int(parts[1])
            if index < len(mapping):
                parts[1] = str(mapping[index])
        return "-".join(parts)


def whole_number(text: str, max_digits: int = 6) -> int | None:
    """``text`` as a whole number if it is one written with 0-9 (at most ``max_digits`` of them), else None.

    Not ``str.isdigit()`` alone: that also holds for "²" or "①", which ``int()`` refuses, and ``int()`` of a
    very long digit string raises too.
    """
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


# ASCII digits only, here and below: ``\d`` and ``str.isdigit()`` also take "١٢" or "²".
_DANISH_DATE = re.compile(r"([0-9]{1,2})[.\-/ ]([0-9]{1,2})[.\-/ ]([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# A time of day as Danish staff write it: 14:30 or 14.30 (also 9:05, 09.05); 00:00-23:59.
_TIME = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})")

DATE_FORMAT = "date_format"
DATE_IMPOSSIBLE = "date_impossible"


def read_date(text: str) -> tuple[date | None, str | None]:
    """'24.12.2010', '24-12-2010', '24/12/2010' or '2010-12-24' as a date, else None and why:
    ``DATE_FORMAT`` (not written as a date) or ``DATE_IMPOSSIBLE`` (written as one, but it does not exist,
    e.g. 31.02.2010)."""
    if match := _DANISH_DATE.fullmatch(text):
        day, month, year = (int(group) for group in match.groups())
    elif match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(group) for group in match.groups())
    else:
        return None, DATE_FORMAT
    try:
        return date(year, month, day), None
    except ValueError:
        return None, DATE_IMPOSSIBLE


def parse_date(text: str) -> date | None:
    return read_date(text)[0]


def parse_time(text: str) -> time | None:
    """'14:30', '14.30', '9:05' as a time of day; None for anything else ('25:00', '12', '1205', 'noon')."""
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _impossible_date(input_id: str) -> FieldProblem:
    return FieldProblem(input_id, DATE_IMPOSSIBLE, "Datoen findes ikke. Tjek dag og måned.",
                        "This date does not exist: check the day and the month.")


def _person(values: FormValues, prefix: str, *, with_cpr: bool, problems: list[FieldProblem]) -> dict[str, Any]:
    person: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        if name == "cpr" and not with_cpr:
            continue
        text = values.text(f"{prefix}-{name}")
        if not text:
            continue
        if name == "stated_age":
            number = whole_number(text)
            person[name] = text if number is None else number  # not a number: the contract says what to fix
        elif name == "date_of_birth":
            parsed, why = read_date(text)
            if why == DATE_IMPOSSIBLE:
                problems.append(_impossible_date(f"{prefix}-{name}"))
                continue
            person[name] = parsed.isoformat() if parsed else text  # not a date: the contract says what to fix
        else:
            person[name] = text
    return person


def _persons(values: FormValues, kind: str, count: int, *, with_cpr: bool, keep_one: bool,
             problems: list[FieldProblem]) -> tuple[list[dict[str, Any]], list[int]]:
    persons, mapping = [], []
    for index in range(count):
        before = len(problems)
        person = _person(values, f"{kind}-{index}", with_cpr=with_cpr, problems=problems)
        if person or len(problems) > before:
            persons.append(person)
            mapping.append(index)
    if not persons and keep_one:  # "someone": a concern may be about a person the reporter cannot name
        persons.append({})
        mapping.append(0)
    return persons, mapping


def parse_concern_form(values: FormValues, *, channel: Channel | None, staff: bool,
                       partner_form: bool = False) -> ParsedForm:
    """``channel``: WEB on the public form; on the staff form the chosen one, None if none was chosen.
    ``partner_form``: a partner authority's own form, where the reporter is always PARTNER_AUTHORITY (the
    channel, PARTNER, and the time received, now, are the caller's)."""
    problems: list[FieldProblem] = []
    category = ReporterCategory.PARTNER_AUTHORITY.value if partner_form else values.text("reporter-category")
    reporter: dict[str, Any] = {"category": category} if category else {}
    if values.text("reporter-claims_professional") and not partner_form:
        reporter["claims_professional"] = True
    for name in REPORTER_FIELDS:
        if text := values.text(f"reporter-{name}"):
            reporter[name] = text
    partner = (staff or partner_form) and reporter.get("category") == ReporterCategory.PARTNER_AUTHORITY
    for name in ("authority", "cooperation_form", "necessity_assessment") if partner else ():
        if text := values.text(f"reporter-{name}"):
            reporter[name] = text
    with_cpr = staff or partner_form  # authorities and staff may give a CPR number; the public form asks none
    subjects, subject_map = _persons(values, "subjects", values.count("subject_count", 1), with_cpr=with_cpr,
                                     keep_one=True, problems=problems)
    children, child_map = _persons(values, "children_at_risk", values.count("child_count", 0),
                                   with_cpr=with_cpr, keep_one=False, problems=problems)
    data: dict[str, Any] = {
        "submission_id": values.text("submission_id"),
        "channel": (channel or Channel.PHONE).value,
        "reporter": reporter,
        "subjects": subjects,
        "children_at_risk": children,
        "description": values.text("description"),
        "warning_signs": values.all("warning_signs"),
        "acuteness": values.text("acuteness") or "ROUTINE",
        "crime_suspicion": bool(values.text("crime_suspicion")),
    }
    parsed = ParsedForm(data, problems, index_maps={"subjects": subject_map, "children_at_risk": child_map})
    if staff and channel is None:
        parsed.problems.append(FieldProblem("channel", "missing", "Vælg, hvordan henvendelsen kom ind.",
                                            "Choose how the concern arrived."))
    if staff:
        received_at, time_problems = _received_time(values)
        parsed.problems += time_problems
        if received_at is not None:
            data["received_at"] = received_at.isoformat()
    return parsed


def _received_time(values: FormValues) -> tuple[datetime | None, list[FieldProblem]]:
    day_text, time_text = values.text("received_at-date"), values.text("received_at-time")
    problems = []
    day, why = read_date(day_text) if day_text else (None, "missing")
    moment = parse_time(time_text) if time_text else None
    if why == DATE_IMPOSSIBLE:
        problems.append(_impossible_date("received_at-date"))
    elif day is None:
        problems.append(FieldProblem(
            "received_at-date", "missing" if not day_text else "date_parsing",
            "Skriv datoen for modtagelsen som dd.mm.åååå, fx 22.11.2026.",
            "Give the date the concern was received as dd.mm.yyyy."))
    if moment is None:
        problems.append(FieldProblem(
            "received_at-time", "missing" if not time_text else "time_parsing",
            "Skriv klokkeslættet som tt:mm eller tt.mm mellem 00:00 og 23:59, fx 14:05.",
            "Give the time as hh:mm or hh.mm between 00:00 and 23:59."))
    if day is None or moment is None:
        return None, problems
    wall_clock = datetime.combine(day, moment)
    offset = OFFSETS.get(values.text("received_at-offset"))
    if offset is not None:
        return wall_clock.replace(tzinfo=offset), []
    return wall_clock, []  # local wall-clock time: the contract resolves it, refusing DST gaps and overlaps


# The channels of the staff form (form value = ``Channel`` value), with what the form calls them.
STAFF_CHANNEL_LABELS: list[tuple[str, str, str]] = [
    (Channel.PHONE, "Telefon", ""),
    (Channel.EMAIL, "E-mail", ""),
    (Channel.LETTER, "Brev", ""),
    (Channel.IN_PERSON, "Personligt fremmøde", "Personen kom forbi og fortalte det."),
]
STAFF_CHANNELS = frozenset(Channel(value) for value, _, _ in STAFF_CHANNEL_LABELS)


def staff_channel(text: str) -> Channel | None:
    """The channel chosen on the staff form, None for none or one the form does not offer."""
    return Channel(text) if text in STAFF_CHANNELS else None


CATEGORY_LABELS_PUBLIC: list[tuple[str, str, str]] = [
    (ReporterCategory.CITIZEN, "Privatperson", "Fx forælder, familie, ven, nabo eller kollega."),
    (ReporterCategory.SELF, "Jeg er bekymret for mig selv",
     "Du kan få gratis og fortrolig rådgivning – også anonymt, uden navn og kontaktoplysninger."),
    (ReporterCategory.PROF_PUBLIC, "Fagperson i en offentlig myndighed",
     "Fx skole, daginstitution, jobcenter, sundhedspleje. Du har skærpet underretningspligt."),
    (ReporterCategory.PROF_BEK1602, "Fagperson med underretningspligt efter særlige regler",
     "Fx læge, friskole, efterskole eller privat tilbud, der løser opgaver for det offentlige."),
    (ReporterCategory.ANONYMOUS, "Jeg vil være anonym",
     "Vi gemmer ikke, hvem du er. Så kan vi heller ikke kontakte dig eller sende en kvittering."),
]
CATEGORY_LABELS_STAFF: list[tuple[str, str, str]] = [
    (ReporterCategory.CITIZEN, "Privatperson", "Fx forælder, familie, ven eller nabo."),
    (ReporterCategory.SELF, "Personen selv", "Henvender sig om sig selv (serviceloven § 12 b), gerne anonymt."),
    (ReporterCategory.PROF_PUBLIC, "Fagperson i en offentlig myndighed", "Skærpet underretningspligt (§ 133)."),
    (ReporterCategory.PROF_BEK1602, "Fagperson efter BEK 1602", "Fx læge, friskole eller privat tilbud."),
    (ReporterCategory.PARTNER_AUTHORITY, "Samarbejdspartner (anden myndighed)", "Fx politi eller kriminalforsorg."),
    (ReporterCategory.ANONYMOUS, "Anonym", "Ingen navn eller kontaktoplysninger registreres."),
]

# The staff form's partner authorities (form value = ``PartnerAuthority`` value).
AUTHORITY_LABELS: list[tuple[str, str, str]] = [
    (PartnerAuthority.POLICE, "Politiet", ""),
    (PartnerAuthority.MUNICIPALITY, "En anden kommune", ""),
    (PartnerAuthority.REGION, "Regionen", "Fx psykiatrien eller et hospital."),
    (PartnerAuthority.KRIMINALFORSORGEN, "Kriminalforsorgen", ""),
]

# Retsplejeloven § 115, stk. 1, nr. 1-3 (form value = ``PartnerCooperationForm`` value; "" none stated).
COOPERATION_LABELS: list[tuple[str, str, str]] = [
    ("", "Nej, eller ikke oplyst", ""),
    (PartnerCooperationForm.SSP, "SSP (skole, socialforvaltning og politi)", ""),
    (PartnerCooperationForm.PSP, "PSP (psykiatri, socialforvaltning og politi)", ""),
    (PartnerCooperationForm.KSP_A, "KSP (kriminalforsorg, socialforvaltning og politi), nr. 3 a", ""),
    (PartnerCooperationForm.KSP_B, "KSP, nr. 3 b", ""),
    (PartnerCooperationForm.KSP_C, "KSP, nr. 3 c", ""),
]

# The staff form's partner radios: template variable -> options, and their input ids.
PARTNER_OPTIONS = {"authority_options": AUTHORITY_LABELS, "cooperation_options": COOPERATION_LABELS}
PARTNER_OPTIONS_IDS = ("reporter-authority", "reporter-cooperation_form")

ACUTENESS_LABELS: list[tuple[str, str, str]] = [
    ("ROUTINE", "Det haster ikke, men jeg er bekymret", ""),
    ("URGENT", "Det haster – noget kan ske inden for få dage", "Fx en planlagt rejse eller et møde."),
    ("ACUTE", "Nogen er i fare lige nu", "Ring 112 nu. Vi kan ikke rykke ud på baggrund af denne formular."),
]
