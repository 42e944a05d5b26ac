"""A case's current classification: priority, age bands and flags as they stand after every correction.

The decision is a snapshot of the moment the concern arrived; the case and the concern's facts are kept
up to date (an age corrected, the priority raised). Every mail routing asks for after that, and every page,
shows the classification built here, never the decision's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contracts.concern import ReporterCategory
from contracts.events import Priority
from rules.age import AgeBand
from rules.decision import Decision
from rules.vocabulary import Flag
from services.routing.domain.case import InfohusCase
from services.routing.domain.facts import ConcernFacts


@dataclass(frozen=True)
class Classification:
    priority: Priority
    age_bands: tuple[str, ...]  # one per subject, in order
    flags: tuple[str, ...]
    triage_due_at: datetime

    @property
    def acute(self) -> bool:
        return Flag.ACUTE.value in self.flags

    @classmethod
    def of_decision(cls, decision: Decision) -> Classification:
        """The classification as decided, for what is opened in the same transaction as the decision."""
        return cls(priority=Priority(decision.priority), age_bands=tuple(str(b) for b in decision.age_bands),
                   flags=tuple(str(f) for f in decision.flags), triage_due_at=decision.infohus_triage_due)

    def with_flags(self, *extra: Flag) -> Classification:
        return Classification(self.priority, self.age_bands, in_flag_order([*self.flags, *extra]),
                              self.triage_due_at)


def current(case: InfohusCase, facts: ConcernFacts) -> Classification:
    """The case's classification now: its priority, flags and triage deadline, and the concern's age bands."""
    return Classification(priority=case.priority, age_bands=subject_bands(facts), flags=tuple(case.flags),
                          triage_due_at=case.triage_due_at)


def subject_bands(facts: ConcernFacts) -> tuple[str, ...]:
    return tuple(p.age_band.value for p in facts.persons if p.path.startswith("subjects["))


def in_flag_order(flags: Iterable[str]) -> tuple[str, ...]:
    """Deduplicated, in the order the flags are declared (the display order); unknown codes last."""
    present = set(flags)
    known = [f.value for f in Flag if f.value in present]
    return (*known, *sorted(present - set(known)))


def flags_after_age_correction(flags: Iterable[str], facts: ConcernFacts) -> tuple[str, ...]:
    """The flags that follow from the persons' ages (as the decision table derives them), recomputed from the
    facts after a correction; every other flag stays as it was.

    A conflict or an unusable CPR number is known per person only for facts written since it was recorded
    (None before): such a flag then stays while a person of unknown record remains.
    """
    had = set(flags)
    persons = facts.persons

    def recorded(attribute: str, flag: Flag) -> bool:
        values = [getattr(p, attribute) for p in persons]
        return any(v is True for v in values) or (flag.value in had and any(v is None for v in values))

    subjects = [p for p in persons if p.path.startswith("subjects[")]
    derived = {
        Flag.ADULT_TRANSITION: any(p.age_band is AgeBand.MINOR_NEAR_18 for p in persons),
        Flag.AGE_UNVERIFIED: any(p.age_band is AgeBand.UNKNOWN for p in persons),
        Flag.AGE_CONFLICT: recorded("age_conflict", Flag.AGE_CONFLICT),
        Flag.CPR_UNUSABLE: recorded("cpr_unusable", Flag.CPR_UNUSABLE),
        # R12: an adult who refers themself (the self-reporter is subjects[0]).
        Flag.SELF_REFERRAL_SEL_12B: (facts.reporter_category is ReporterCategory.SELF and bool(subjects)
                                     and subjects[0].age_band is AgeBand.ADULT),
    }
    kept = [f for f in had if f not in {flag.value for flag in derived}]
    return in_flag_order([*kept, *(flag.value for flag, applies in derived.items() if applies)])
