"""The routing decision table of docs/legal.md §C.2, as one pure function.

``decide`` is deterministic in (concern, received_at, config): it reads no clock, no files and no
database. Intake uses it to answer the reporter at once; routing stores the decision and acts on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TypeVar

from contracts.concern import PROFESSIONAL_CATEGORIES, Acuteness, ConcernIn, ReporterCategory
from contracts.events import Destination, Priority
from rules.age import AgeBand
from rules.calendar import OfficeCalendar
from rules.config import MunicipalityConfig
from rules.decision import Decision, PlannedUnderretning
from rules.facts import Facts, PersonFacts, derive_facts
from rules.inputs import DecisionInput, RulesInput
from rules.vocabulary import (
    DuplicateKind,
    Flag,
    Jurisdiction,
    MessageId,
    TimeContext,
    UnderretningLegalType,
)

ASSESSMENT_DEADLINE = timedelta(hours=24)  # barnets lov § 136, stk. 2 (elapsed hours, no holiday exception)
RECEIPT_CONFIRMATION_HVERDAGE = 6  # barnets lov § 138, stk. 1
_PRIORITY_P1_RULES = frozenset({"R2", "R3", "R5", "R6"})


@dataclass(frozen=True)
class Fired:
    """What one rule contributes; the decision is the union of all fired rules."""

    rule: str
    destinations: tuple[Destination, ...] = ()
    underretninger: tuple[PlannedUnderretning, ...] = ()
    flags: tuple[Flag, ...] = ()
    messages: tuple[MessageId, ...] = ()


Rule = Callable[[Facts, Sequence[Fired]], Fired | None]


def decide(
    concern: ConcernIn | RulesInput,
    received_at: datetime,
    config: MunicipalityConfig,
    *,
    duplicate: DuplicateKind = DuplicateKind.NEW,
) -> Decision:
    facts = derive_facts(concern, received_at, config)
    fired: list[Fired] = []
    for rule in RULES:
        outcome = rule(facts, fired)
        if outcome is not None:
            fired.append(outcome)
    decision = _assemble(facts, fired)
    return decision if duplicate is DuplicateKind.NEW else _as_duplicate(decision, facts, duplicate)


def replay(stored: DecisionInput, config: MunicipalityConfig) -> Decision:
    """The decision for a stored input (``infohus explain --decision``)."""
    return decide(stored.concern, stored.received_at, config, duplicate=stored.duplicate)


# --- §C.2 rules R1-R12 (R0 is applied to the assembled decision, see _as_duplicate) --------------


def r1_infohus_always(facts: Facts, _: Sequence[Fired]) -> Fired:
    messages = (MessageId.M_ACK,) if facts.acute else (MessageId.M_ACK, MessageId.M_112_LINE)
    return Fired("R1", destinations=(Destination.INFOHUS_TK,), messages=messages)


def r2_underretning_for_minor_subjects(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    minors = [subject for subject in facts.subjects if subject.age.minor_possible]
    if not minors:
        return None
    age_unknown = any(subject.age.band is AgeBand.UNKNOWN for subject in facts.subjects)
    extra = (MessageId.M_AGE_UNKNOWN,) if age_unknown else ()
    return _underretning_rule("R2", facts, minors, extra)


def r3_underretning_for_children_at_risk(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    # Broader than §C.2's "adult subject" condition: a child named at risk gets its own underretning
    # whatever the subject's age, since the §§ 133/135 duties concern each child.
    children = [child for child in facts.children if child.age.minor_possible]
    return _underretning_rule("R3", facts, children) if children else None


def r4_acute(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    if not facts.acute:
        return None
    flags = (Flag.ACUTE, Flag.DISCLOSURE_PROPOSED_TASK)
    if facts.time_context is TimeContext.OFFICE_OPEN:
        return Fired("R4", flags=flags, messages=(MessageId.M_112_FIRST,))
    return Fired(
        "R4",
        destinations=(Destination.OOH_ESCALATION,),
        flags=flags + _ooh_channel_flags(facts),
        messages=(MessageId.M_112_FIRST,),
    )


def r5_crime_suspicion(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    if not facts.concern.crime_suspicion:
        return None
    messages = () if facts.acute else (MessageId.M_POLICE_114,)  # M_112_FIRST already covers acute cases
    return Fired("R5", flags=(Flag.CRIME_SUSPICION,), messages=messages)


def r6_urgent(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    return Fired("R6", flags=(Flag.URGENT,)) if facts.concern.acuteness is Acuteness.URGENT else None


def r7_office_open(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    if facts.time_context is not TimeContext.OFFICE_OPEN:
        return None
    return Fired("R7", messages=(MessageId.M_OPEN,))


def r8_hotline_only(facts: Facts, earlier: Sequence[Fired]) -> Fired | None:
    if facts.time_context is not TimeContext.HOTLINE_ONLY:
        return None
    return _office_closed_rule("R8", facts, earlier, (MessageId.M_CLOSED_NEXT, MessageId.M_HOTLINE))


def r9_all_closed(facts: Facts, earlier: Sequence[Fired]) -> Fired | None:
    if facts.time_context is not TimeContext.ALL_CLOSED:
        return None
    return _office_closed_rule("R9", facts, earlier, (MessageId.M_CLOSED_NEXT,))


def r10_other_municipality(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    if not any(person.jurisdiction is Jurisdiction.OTHER for person in facts.persons):
        return None
    return Fired(
        "R10",
        destinations=(Destination.JURISDICTION_REVIEW,),
        flags=(Flag.JURISDICTION_OTHER,),
        messages=(MessageId.M_JURISDICTION,),
    )


def r11_anonymous_professional(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    reporter = facts.concern.reporter
    if reporter.category is not ReporterCategory.ANONYMOUS or not reporter.claims_professional:
        return None
    return Fired("R11", flags=(Flag.ANONYMOUS_PROFESSIONAL,), messages=(MessageId.M_PROF_ANON_WARNING,))


def r12_adult_self_referral(facts: Facts, _: Sequence[Fired]) -> Fired | None:
    # A self-reporter is subjects[0].
    if facts.concern.reporter.category is not ReporterCategory.SELF:
        return None
    if facts.subjects[0].age.band is not AgeBand.ADULT:
        return None
    return Fired("R12", flags=(Flag.SELF_REFERRAL_SEL_12B,), messages=(MessageId.M_12B,))


RULES: tuple[Rule, ...] = (
    r1_infohus_always,
    r2_underretning_for_minor_subjects,
    r3_underretning_for_children_at_risk,
    r4_acute,
    r5_crime_suspicion,
    r6_urgent,
    r7_office_open,
    r8_hotline_only,
    r9_all_closed,
    r10_other_municipality,
    r11_anonymous_professional,
    r12_adult_self_referral,
)


# --- helpers shared by rules ---------------------------------------------------------------------


def _underretning_rule(
    rule: str, facts: Facts, children: Sequence[PersonFacts], extra_messages: tuple[MessageId, ...] = ()
) -> Fired:
    professional = facts.concern.reporter.category in PROFESSIONAL_CATEGORIES
    about_themself = facts.concern.reporter.category is ReporterCategory.SELF and any(
        child.path == "subjects[0]" for child in children)  # a child asking for help for themself
    message = MessageId.M_UND_PROF if professional else (
        MessageId.M_UND_SELF if about_themself else MessageId.M_UND_CITIZEN)
    return Fired(
        rule,
        destinations=(Destination.UNDERRETNING,),
        underretninger=tuple(_plan_underretning(facts, child) for child in children),
        messages=(message, *extra_messages),
    )


def _plan_underretning(facts: Facts, child: PersonFacts) -> PlannedUnderretning:
    reporter = facts.concern.reporter
    calendar = facts.calendar
    receipt_due = (
        calendar.nth_hverdag_after(facts.receipt_date, RECEIPT_CONFIRMATION_HVERDAGE)
        if reporter.contactable
        else None
    )
    return PlannedUnderretning(
        legal_type=_legal_type(reporter.category, child),
        subject=child.path,
        assessment_due_at=calendar.local(facts.received_at + ASSESSMENT_DEADLINE),
        receipt_confirmation_due_date=receipt_due,
        professional_orientation_required=reporter.category in PROFESSIONAL_CATEGORIES
        and reporter.contactable,
    )


def _legal_type(category: ReporterCategory, child: PersonFacts) -> UnderretningLegalType:
    return underretning_legal_type(category, child.path, child.age.band)


def underretning_legal_type(category: ReporterCategory, path: str, band: AgeBand) -> UnderretningLegalType:
    """R2's legal type for the underretning about the person at ``path`` ("subjects[0]", ...)."""
    if category in (ReporterCategory.PROF_PUBLIC, ReporterCategory.PARTNER_AUTHORITY):  # public employees
        return UnderretningLegalType.BL_133
    if category is ReporterCategory.PROF_BEK1602:
        return UnderretningLegalType.BL_BEK1602
    if category is ReporterCategory.SELF and path == "subjects[0]":
        return UnderretningLegalType.CHILD_SELF_CONTACT
    if band is AgeBand.UNKNOWN:
        return UnderretningLegalType.UNDETERMINED
    return UnderretningLegalType.BL_135


def _office_closed_rule(
    rule: str, facts: Facts, earlier: Sequence[Fired], messages: tuple[MessageId, ...]
) -> Fired:
    """R8/R9: tell the reporter when the office opens; escalate if a 24-hour clock runs out before that."""
    planned = [underretning for fired in earlier for underretning in fired.underretninger]
    if not any(underretning.assessment_due_at < facts.next_office_opening for underretning in planned):
        return Fired(rule, messages=messages)
    return Fired(
        rule,
        destinations=(Destination.OOH_ESCALATION,),
        flags=(Flag.ASSESSMENT_DEADLINE_AT_RISK, *_ooh_channel_flags(facts)),
        messages=messages,
    )


def _ooh_channel_flags(facts: Facts) -> tuple[Flag, ...]:
    return (Flag.OOH_CHANNEL_NOT_CONFIGURED,) if facts.config.ooh_escalation_channel is None else ()


# --- assembling the decision ----------------------------------------------------------------------


def _assemble(facts: Facts, fired: Sequence[Fired]) -> Decision:
    rules_fired = tuple(outcome.rule for outcome in fired)
    priority = _priority(rules_fired)
    return Decision(
        priority=priority,
        age_bands=tuple(subject.age.band for subject in facts.subjects),
        minor_possible=any(person.age.minor_possible for person in facts.persons),
        time_context=facts.time_context,
        next_office_opening=facts.calendar.local(facts.next_office_opening),
        destinations=_in_declared_order(Destination, (d for outcome in fired for d in outcome.destinations)),
        underretninger=tuple(u for outcome in fired for u in outcome.underretninger),
        infohus_triage_due=facts.calendar.local(_triage_due(facts, priority)),
        flags=_in_declared_order(
            Flag, (*_age_flags(facts), *(f for outcome in fired for f in outcome.flags))
        ),
        rules_fired=rules_fired,
        reporter_messages=_in_declared_order(MessageId, (m for outcome in fired for m in outcome.messages)),
        config_version=facts.config.version,
    )


def _priority(rules_fired: Iterable[str]) -> Priority:
    fired = set(rules_fired)
    if "R4" in fired:
        return Priority.P0
    return Priority.P1 if fired & _PRIORITY_P1_RULES else Priority.P2


def _triage_due(facts: Facts, priority: Priority) -> datetime:
    return triage_due_at(facts.received_at, priority, facts.config, facts.calendar)


def triage_due_at(
    received_at: datetime, priority: Priority, config: MunicipalityConfig, calendar: OfficeCalendar | None = None
) -> datetime:
    """The infohus triage SLA (§C.2) for a concern received at ``received_at`` (UTC result)."""
    calendar = calendar or OfficeCalendar(config)
    sla = config.triage_sla
    if priority is Priority.P0:
        if calendar.time_context(received_at) is TimeContext.OFFICE_OPEN:
            return received_at.astimezone(UTC) + timedelta(minutes=sla.p0_minutes_if_office_open)
        return calendar.next_office_opening(received_at)
    office_days = (
        sla.p1_office_days_after_receipt if priority is Priority.P1 else sla.p2_office_days_after_receipt
    )
    return calendar.office_closing_after(calendar.local_date(received_at), office_days)


def _age_flags(facts: Facts) -> tuple[Flag, ...]:
    ages = [person.age for person in facts.persons]
    candidates = (
        (Flag.ADULT_TRANSITION, any(age.band is AgeBand.MINOR_NEAR_18 for age in ages)),
        (Flag.AGE_UNVERIFIED, any(age.band is AgeBand.UNKNOWN for age in ages)),
        (Flag.AGE_CONFLICT, any(age.age_conflict for age in ages)),
        (Flag.CPR_UNUSABLE, any(age.cpr_unusable for age in ages)),
    )
    return tuple(flag for flag, applies in candidates if applies)


E = TypeVar("E", bound=Enum)


def _in_declared_order(enum: type[E], members: Iterable[E]) -> tuple[E, ...]:
    """Deduplicated, in the enum's declaration order (which is the display order)."""
    present = set(members)
    return tuple(member for member in enum if member in present)


# --- R0: duplicates --------------------------------------------------------------------------------


def _as_duplicate(decision: Decision, facts: Facts, duplicate: DuplicateKind) -> Decision:
    """R0a/R0b: nothing new is created and no clock starts; the original concern's routing stands.

    Priority, age bands, time context and triage due are what this submission would get, kept for
    information only: the original concern's priority and clocks stand. For NEAR, routing sends a
    SUPPLEMENT notification to the destinations stored with the original decision, and if the near
    duplicate was received earlier than the original, routing moves the clocks to the earlier time.
    """
    flags: tuple[Flag, ...]
    if duplicate is DuplicateKind.EXACT:
        rule, flags = "R0a", (Flag.DUPLICATE_EXACT,)
    else:
        rule, flags = "R0b", (Flag.DUPLICATE_NEAR, Flag.SUPPLEMENT_TO_ORIGINAL)
    # The 112 line is shown on every answer ("always"), duplicates included.
    safety = MessageId.M_112_FIRST if facts.acute else MessageId.M_112_LINE
    return decision.model_copy(
        update={
            "destinations": (),
            "underretninger": (),
            "flags": flags,
            "rules_fired": (rule,),
            "reporter_messages": _in_declared_order(MessageId, (MessageId.M_ACK, safety)),
        }
    )
