"""Derive, don't trust: the facts of a record that Infohus can check against what it already knows.

- ``recipient_is_cooperation_participant`` (F1): from the municipality's register of cooperation
  participants (``cooperation_participants`` in the municipality's rules file). The counterpart (the
  recipient, or for a RECEIPT the discloser) takes part when the register lists it for the record's
  cooperation form; with no form (NONE) nobody takes part in one.
- ``reporter_anonymous`` (F2): from routing's ``CaseOpened`` for the concern (I10 then applies, whatever
  the caller says). Not a §D1 field: only its provenance is stored.
- ``subject_age_at_occurrence`` (F3): from the day the case's subject turns 18 (routing's ``CaseOpened``,
  from a CPR number or a date of birth), for the record's primary subject; filled in when the caller gave
  none. Known gap: an age corrected in routing after the case opened does not reach audit.

A declaration that contradicts a derived fact is refused, naming the rule, and the rules after it (and a
DECISION_REJECTED record of the refused proposal) see the derived value. Where nothing can be derived
(no register, a concern audit has no case facts for yet, an age from a stated number only) the caller's
value stands and the record says so: ``fact_provenance`` maps each of these facts to "derived" or
"declared". Whether a basis needs a decision maker is derived from the basis itself (``field_rules``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules.calendar import COPENHAGEN
from rules.codes import CooperationForm, DisclosureKind
from services.audit.domain.invariant_types import InvariantViolation, violation
from services.audit.domain.record import DisclosureDraft

DERIVED, DECLARED = "derived", "declared"
ADULT_AGE = 18


@dataclass(frozen=True)
class CooperationRegister:
    """Authority code -> the cooperation forms (SSP, PSP, KSP_A/B/C) it takes part in."""

    forms_by_authority: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def takes_part(self, authority: str, form: str) -> bool:
        return form != CooperationForm.NONE and form in self.forms_by_authority.get(authority, frozenset())


@dataclass(frozen=True)
class KnownFacts:
    """What Infohus knows about a record's circumstances; None where it knows nothing."""

    register: CooperationRegister | None = None
    reporter_anonymous: bool | None = None
    subject_person_id: str | None = None
    subject_adult_from: date | None = None


@dataclass(frozen=True)
class Reconciled:
    draft: DisclosureDraft  # derived values filled in, ``fact_provenance`` set
    reporter_anonymous: bool  # for I10
    violations: list[InvariantViolation]


def counterpart(draft: DisclosureDraft) -> str:
    """Whose participation counts: the discloser of data received, else the recipient."""
    return draft.discloser_authority if draft.kind is DisclosureKind.RECEIPT else draft.recipient_authority


def age_on(day: date, adult_from: date) -> int:
    """Completed years on ``day`` of someone who turns 18 on ``adult_from``."""
    return ADULT_AGE + day.year - adult_from.year - ((day.month, day.day) < (adult_from.month, adult_from.day))


def reconcile(draft: DisclosureDraft, *, declared_anonymous: bool | None, known: KnownFacts,
              participation_declared: bool = True) -> Reconciled:
    """Check the caller's declarations against ``known``. ``declared_anonymous`` None and
    ``participation_declared`` False: the caller left the fact out, and the derived value stands."""
    provenance: dict[str, str] = {}
    updates: dict[str, Any] = {}
    found: list[InvariantViolation] = []
    found += _participation(draft, known, provenance, updates, declared=participation_declared)
    anonymous, problems = _anonymity(declared_anonymous, known, provenance)
    found += problems
    found += _age(draft, known, provenance, updates)
    fields = {**draft.model_dump(), **updates, "fact_provenance": provenance}
    return Reconciled(DisclosureDraft.model_validate(fields), anonymous, found)


def _participation(draft: DisclosureDraft, known: KnownFacts, provenance: dict[str, str], updates: dict[str, Any],
                   *, declared: bool) -> list[InvariantViolation]:
    name = "recipient_is_cooperation_participant"
    if known.register is None:
        provenance[name] = DECLARED
        return []
    provenance[name] = DERIVED
    who, form = counterpart(draft), str(draft.cooperation_form)
    takes_part = known.register.takes_part(who, form)
    updates[name] = takes_part  # what is checked further, and kept in a DECISION_REJECTED record
    if not declared or draft.recipient_is_cooperation_participant == takes_part:
        return []
    if takes_part:
        da = f"Ifølge registret over samarbejdsdeltagere deltager {who} i {form}-samarbejdet."
        en = f"The register of cooperation participants lists {who} in {form}."
    else:
        da = f"{who} står ikke i registret over deltagere i {form}-samarbejdet og modtager derfor ikke som deltager."
        en = f"{who} is not in the register of participants in {form}, so it does not take part."
    return [violation("F1", name, da=da, en=en)]


def _anonymity(declared: bool | None, known: KnownFacts,
               provenance: dict[str, str]) -> tuple[bool, list[InvariantViolation]]:
    name = "reporter_anonymous"
    if known.reporter_anonymous is None:
        provenance[name] = DECLARED
        return bool(declared), []
    provenance[name] = DERIVED
    if declared is None or declared == known.reporter_anonymous:
        return known.reporter_anonymous, []
    said = "anonym" if known.reporter_anonymous else "ikke anonym"
    return known.reporter_anonymous, [violation(
        "F2", name,
        da=f"Ifølge henvendelsen er anmelderen {said}; posten siger det modsatte.",
        en=f"The concern's reporter was {'' if known.reporter_anonymous else 'not '}anonymous; the record "
           "says otherwise.")]


def _age(draft: DisclosureDraft, known: KnownFacts, provenance: dict[str, str],
         updates: dict[str, Any]) -> list[InvariantViolation]:
    name = "subject_age_at_occurrence"
    if known.subject_adult_from is None or known.subject_person_id != draft.subject_person_ids[0]:
        provenance[name] = DECLARED
        return []
    provenance[name] = DERIVED
    age = age_on(draft.occurred_at.astimezone(COPENHAGEN).date(), known.subject_adult_from)
    declared = draft.subject_age_at_occurrence
    updates[name] = age
    if declared is None or declared == age:
        return []
    return [violation(
        "F3", name,
        da="Alderen stemmer ikke med sagens oplysninger (CPR-nummer eller fødselsdato) på tidspunktet.",
        en="The age does not match the case's CPR number or date of birth at the time.")]
