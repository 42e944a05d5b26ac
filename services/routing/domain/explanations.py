"""The routing decision explained in Danish for the staff workspace: one sentence per rule of
docs/legal.md §C.2 (why it fired and what it did), and the time contexts in words.

Texts a user reads live here only, so the workspace and any later report say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.decision import Decision
from rules.vocabulary import TimeContext

RULE_TEXT: dict[str, str] = {
    "R0a": "Henvendelsen er en nøjagtig gentagelse af en indsendt henvendelse, så der er ikke oprettet noget nyt; "
           "den oprindelige henvendelses reference gælder.",
    "R0b": "Henvendelsen ligner en tidligere henvendelse fra samme underretter om samme person, så den er knyttet "
           "til den oprindelige som supplement, og dens modtagere har fået besked; der er ikke startet nye frister.",
    "R1": "Alle nye henvendelser vurderes i Infohus, så der er oprettet en infohus-sag, og Infohus' tovholdere "
          "(TK-postkassen) har fået besked.",
    "R2": "Personen kan være under 18 år, så der er oprettet en underretning til StraXen (barnets lov § 133/135).",
    "R3": "Henvendelsen nævner børn, der kan være i risiko, så der er oprettet en underretning til StraXen for hvert "
          "barn (barnets lov § 133/135).",
    "R4": "Henvendelsen er akut, så sagen har prioritet P0, og der er oprettet en opgave om eventuel videregivelse "
          "til politiet, som tovholderen beslutter; uden for åbningstid er vagtberedskabet også varslet.",
    "R5": "Der er mistanke om en kriminel handling, så sagen er markeret, politiets tovholder skal med i "
          "visitationen, og sagen har mindst prioritet P1.",
    "R6": "Henvendelsen haster inden for få dage, så sagen har mindst prioritet P1.",
    "R7": "Henvendelsen kom i Infohus' åbningstid, så underretteren fik besked om, at Infohus behandler den.",
    "R8": "Henvendelsen kom uden for åbningstid, mens den nationale hotline har åbent, så underretteren fik næste "
          "åbningstid og hotlinens nummer; udløber en 24-timersfrist før næste åbning, er vagtberedskabet varslet.",
    "R9": "Henvendelsen kom, mens alt var lukket, så underretteren fik næste åbningstid; udløber en 24-timersfrist "
          "før næste åbning, er vagtberedskabet varslet.",
    "R10": "En person bor i en anden kommune, så der er oprettet en opgave om at videresende henvendelsen til rette "
           "kommune; fristerne løber alligevel.",
    "R11": "Underretteren er anonym, men oplyser at være fagperson, så der er ingen frist for kvittering eller "
           "orientering, og underretteren er gjort opmærksom på sin skærpede underretningspligt.",
    "R12": "En voksen har selv henvendt sig, så sagen er markeret til rådgivning efter serviceloven § 12 b.",
}

TIME_CONTEXT_TEXT: dict[TimeContext, str] = {
    TimeContext.OFFICE_OPEN: "kontortid",
    TimeContext.HOTLINE_ONLY: "kun hotline",
    TimeContext.ALL_CLOSED: "lukket",
}


@dataclass(frozen=True)
class FiredRule:
    rule: str
    text: str  # "R2: Personen kan være under 18 år, ..."


def rule_text(rule: str) -> str:
    """The rule's Danish sentence, prefixed with its id (an unknown id is named, never hidden)."""
    return f"{rule}: {RULE_TEXT.get(rule, 'Reglen er ikke beskrevet.')}"


def explain(decision: Decision) -> list[FiredRule]:
    """The rules that fired, in the order they were evaluated, each with its sentence."""
    return [FiredRule(rule, rule_text(rule)) for rule in decision.rules_fired]
