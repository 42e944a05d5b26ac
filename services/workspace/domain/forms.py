"""The workspace's forms: what a person submitted becomes an API body, or Danish problems keyed by the
field they belong beside. Pure: no I/O; the clock is passed in."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError

from contracts.concern import local_wall_clock_to_instant
from services.workspace.domain.labels import (
    CDE_DIMENSIONS,
    CLOSE_REASONS,
    ORIENTATION_OUTCOMES,
    SCREENING_REGISTERS,
    TRIAGE_OUTCOMES,
)

POLICE_BASES = {
    "RPL115_2": "Retsplejelovens § 115, stk. 2 (kriminalitetsforebyggende samarbejde, ikke efterforskning)",
    "GDPR_VITAL_INTEREST": "Vitale interesser i akut fare (databeskyttelsesforordningen art. 6, stk. 1, litra d)",
    "DBL8_2_3_NECESSARY_FOR_AUTHORITY": "Databeskyttelseslovens § 8, stk. 2, nr. 3 (nødvendigt for politiets opgave)",
    "OTHER_REVIEWED": "Anden hjemmel, juridisk vurderet",
}
DISCLOSURE_CHANNELS = {"PHONE": "Telefon", "SECURE_EMAIL": "Sikker mail", "MEETING_ORAL": "Mundtligt på møde",
                       "LETTER": "Brev", "SYSTEM_SHARE": "Deling i fagsystem"}
RECEIPT_METHODS = {"telefon": "Telefon", "brev": "Brev", "digital post": "Digital Post",
                   "e-mail sendt manuelt": "E-mail sendt manuelt", "personligt": "Personligt"}
MIN_NECESSITY = 30
CLOCK_SKEW = timedelta(minutes=5)

Form = Mapping[str, Sequence[str]]


@dataclass
class Parsed:
    """A body for the API, or the problems that stop it (field id -> Danish message)."""

    body: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def first(form: Form, name: str) -> str:
    values = form.get(name) or []
    return values[0].strip() if values else ""


def lines(form: Form, name: str) -> list[str]:
    return [line.strip() for line in first(form, name).splitlines() if line.strip()]


def chosen(form: Form, name: str, allowed: Mapping[str, str]) -> list[str]:
    return [value for value in form.get(name, []) if value in allowed]


def _choice(form: Form, name: str, allowed: Mapping[str, str], out: Parsed, field_id: str, missing: str) -> str:
    value = first(form, name)
    if value not in allowed:
        out.problems[field_id] = missing
    return value


def _yes_no(form: Form, name: str, out: Parsed, field_id: str, missing: str) -> bool:
    value = _choice(form, name, {"true": "", "false": ""}, out, field_id, missing)
    return value == "true"


def parse_triage(form: Form) -> Parsed:
    out = Parsed()
    out.body["outcome"] = _choice(form, "outcome", TRIAGE_OUTCOMES, out, "triage-outcome", "Vælg et udfald.")
    return out


def local_moment(day: str, clock: str, *, now: datetime, after: datetime | None = None) -> datetime | str:
    """A date and time a person entered, as an instant; or the Danish problem. It lies after ``after`` and
    not in the future (a few minutes of clock skew allowed)."""
    try:
        moment = local_wall_clock_to_instant(datetime.combine(date.fromisoformat(day), _time(clock)))
    except (ValueError, ValidationError):
        return "Angiv en gyldig dato og et klokkeslæt, fx 6.12.2026 og 14:30."
    if moment > now + CLOCK_SKEW:
        return "Tidspunktet ligger i fremtiden."
    if after is not None and moment < after:
        return "Tidspunktet ligger før underretningen blev modtaget."
    return moment


def _time(text: str) -> time:
    """``14:30`` or ``14.30``; Unicode digits and other forms are not times."""
    if len(text) != 5 or text[2] not in ":." or not (text[:2] + text[3:]).isascii():
        raise ValueError("not a time")
    return time.fromisoformat(text[:2] + ":" + text[3:])


def parse_action(form: Form, *, now: datetime) -> Parsed:
    action = first(form, "action")
    out = Parsed(body={"action": action})
    parser = _ACTION_PARSERS.get(action)
    if parser is None:
        out.problems["action-form"] = "Ukendt handling."
        return out
    parser(form, out, now)
    return out


def _complete_screening(form: Form, out: Parsed, _now: datetime) -> None:
    sources = chosen(form, "sources_consulted", SCREENING_REGISTERS)
    if not sources:
        out.problems["screening-sources"] = "Vælg mindst ét register, der er tjekket."
    out.body["sources_consulted"] = sources
    out.body["analysis_needed"] = _yes_no(form, "analysis_needed", out, "screening-analysis",
                                          "Vælg om der er brug for et analysemøde.")


def _record_analysis(form: Form, out: Parsed, now: datetime) -> None:
    moment = local_moment(first(form, "meeting_date"), first(form, "meeting_time"), now=now)
    if isinstance(moment, str):
        out.problems["analysis-date"] = moment
    else:
        out.body["meeting_at"] = moment.isoformat()
    participants = lines(form, "participants")
    if not participants:
        out.problems["analysis-participants"] = "Skriv hvem der deltog, én pr. linje."
    out.body["participants"] = participants
    dimensions = chosen(form, "dimensions_assessed", CDE_DIMENSIONS)
    if not dimensions:
        out.problems["analysis-dimensions"] = "Vælg de dimensioner, mødet vurderede."
    out.body["dimensions_assessed"] = dimensions


def _issue_assessment(form: Form, out: Parsed, _now: datetime) -> None:
    out.body["at_risk"] = _yes_no(form, "at_risk", out, "assessment-at-risk", "Vælg ja eller nej.")
    out.body["summary_ref"] = first(form, "summary_ref") or None


def _issue_recommendations(form: Form, out: Parsed, _now: datetime) -> None:
    measure, authority = first(form, "measure"), first(form, "responsible_authority")
    if not measure:
        out.problems["recommendation-measure"] = "Skriv den anbefalede indsats."
    if not authority:
        out.problems["recommendation-authority"] = "Skriv hvilken myndighed der er ansvarlig."
    out.body["recommendations"] = [{"measure": measure, "responsible_authority": authority,
                                    "proposed_legal_basis": first(form, "proposed_legal_basis") or None}]


def _hand_over(form: Form, out: Parsed, _now: datetime) -> None:
    authorities = lines(form, "to_authorities")
    if not authorities:
        out.problems["handover-authorities"] = "Skriv mindst én modtagende myndighed."
    out.body["to_authorities"] = authorities


def _start_follow_up(form: Form, out: Parsed, now: datetime) -> None:
    try:
        due = date.fromisoformat(first(form, "follow_up_due"))
    except ValueError:
        out.problems["followup-due"] = "Angiv en gyldig dato."
        return
    if due < now.date():
        out.problems["followup-due"] = "Datoen for opfølgning ligger i fortiden."
    out.body["follow_up_due"] = due.isoformat()


def _record_follow_up(form: Form, out: Parsed, _now: datetime) -> None:
    out.body["note_ref"] = first(form, "note_ref") or None


def _close(form: Form, out: Parsed, _now: datetime) -> None:
    out.body["reason"] = _choice(form, "reason", CLOSE_REASONS, out, "close-reason", "Vælg en begrundelse.")


def _put_on_hold(form: Form, out: Parsed, _now: datetime) -> None:
    reason = first(form, "hold_reason")
    if not reason:
        out.problems["hold-reason"] = "Skriv hvorfor sagen sættes i bero."
    out.body["hold_reason"] = reason


def _add_note(form: Form, out: Parsed, _now: datetime) -> None:
    note = first(form, "note")
    if not note:
        out.problems["note-text"] = "Skriv noten."
    elif len(note) > 2000:
        out.problems["note-text"] = "Noten må højst være 2.000 tegn."
    out.body["note"] = note


def _nothing(_form: Form, _out: Parsed, _now: datetime) -> None:
    return None


_ACTION_PARSERS = {
    "START_SCREENING": _nothing, "COMPLETE_SCREENING": _complete_screening, "RECORD_ANALYSIS": _record_analysis,
    "ISSUE_ASSESSMENT": _issue_assessment, "ISSUE_RECOMMENDATIONS": _issue_recommendations,
    "HAND_OVER": _hand_over, "START_FOLLOW_UP": _start_follow_up, "RECORD_FOLLOW_UP": _record_follow_up,
    "CLOSE": _close, "PUT_ON_HOLD": _put_on_hold, "RESUME": _nothing, "ADD_NOTE": _add_note,
}


def parse_police_decision(form: Form) -> Parsed:
    out = Parsed()
    out.body["approved"] = _yes_no(form, "approved", out, "police-approved", "Vælg om oplysningerne videregives.")
    out.body["legal_basis"] = _choice(form, "legal_basis", POLICE_BASES, out, "police-basis", "Vælg en hjemmel.")
    necessity = first(form, "necessity_assessment")
    if len(necessity) < MIN_NECESSITY:
        out.problems["police-necessity"] = f"Skriv en nødvendighedsvurdering på mindst {MIN_NECESSITY} tegn."
    out.body["necessity_assessment"] = necessity
    out.body["channel"] = _choice(form, "channel", DISCLOSURE_CHANNELS, out, "police-channel", "Vælg hvordan.")
    return out


def parse_forwarding(form: Form) -> Parsed:
    out = Parsed()
    municipality = first(form, "recipient_municipality")
    if not municipality:
        out.problems["forward-municipality"] = "Skriv den kommune, sagen videresendes til."
    out.body["recipient_municipality"] = municipality
    out.body["channel"] = _choice(form, "channel", DISCLOSURE_CHANNELS, out, "forward-channel", "Vælg hvordan.")
    return out


def parse_assessment(form: Form) -> Parsed:
    out = Parsed()
    out.body["acute_measures_needed"] = _yes_no(form, "acute_measures_needed", out, "assessment-acute",
                                                "Vælg om der er behov for akutte foranstaltninger.")
    note = first(form, "note")
    if len(note) > 2000:
        out.problems["assessment-note"] = "Noten må højst være 2.000 tegn."
    out.body["note"] = note or None
    return out


def parse_receipt(form: Form, *, reporter_email: str | None, received_at: datetime, now: datetime) -> Parsed:
    """Infohus sends the receipt when the professional reporter gave a work e-mail; otherwise the
    caseworker records how and when it went."""
    out = Parsed()
    if first(form, "send") == "mail" and reporter_email:
        out.body["send_to"] = reporter_email
        return out
    out.body["method"] = _choice(form, "method", RECEIPT_METHODS, out, "receipt-method", "Vælg hvordan.")
    moment = local_moment(first(form, "sent_date"), first(form, "sent_time"), now=now, after=received_at)
    if isinstance(moment, str):
        out.problems["receipt-date"] = moment
    else:
        out.body["sent_at"] = moment.isoformat()
    return out


def parse_orientation(form: Form) -> Parsed:
    out = Parsed()
    outcome = _choice(form, "outcome", ORIENTATION_OUTCOMES, out, "orientation-outcome", "Vælg et udfald.")
    out.body["outcome"] = outcome
    reason = first(form, "withheld_reason")
    if outcome == "WITHHELD_SAERLIGE_FORHOLD" and not reason:
        out.problems["orientation-reason"] = "Skriv hvorfor orienteringen undlades."
    out.body["withheld_reason"] = reason or None
    return out


def refusal_da(status: int, code: str, detail: object) -> str:
    """A service's refusal in Danish: its own Danish half where it gives one ("felt: dansk / english"),
    else by what it says or its code."""
    text = str(detail or "")
    if (danish_half := _danish_half(text)) is not None:
        return danish_half
    for fragment, danish in _KNOWN_REFUSALS:
        if fragment in text:
            return danish
    return _BY_CODE.get(code) or _BY_STATUS.get(status, "Handlingen kunne ikke gennemføres. Prøv igen.")


def _danish_half(text: str) -> str | None:
    first_half, separator, _english = text.partition(" / ")
    if not separator or not any(letter in first_half.lower() for letter in "æøå"):
        return None
    sentence = first_half.split(": ", 1)[1] if re.match(r"^[a-z_]+: ", first_half) else first_half
    return sentence[:1].upper() + sentence[1:]


_KNOWN_REFUSALS = [
    ("two different people", "De to underskrifter skal komme fra to forskellige personer."),
    ("only the municipal and the police tovholder", "Kun kommunens og politiets tovholder kan visitere."),
    ("already", "Det er allerede registreret."),
    ("after it was held", "Et analysemøde registreres, efter det er holdt – tidspunktet ligger i fremtiden."),
    ("cannot be closed as", "Sagen kan ikke lukkes med den begrundelse i sin nuværende tilstand."),
]
_BY_CODE = {
    "TransitionNotAllowed": "Handlingen passer ikke til sagens tilstand. Sagen er måske ændret af en anden – "
                            "genindlæs siden.",
    "ConcurrentModification": "Sagen er ændret af en anden i mellemtiden. Genindlæs siden og prøv igen.",
    "NotPermitted": "Din rolle giver ikke adgang til denne handling.",
    "InvalidCommand": "Oplysningerne blev afvist. Tjek felterne og prøv igen.",
    "NotFound": "Sagen eller opgaven findes ikke.",
}
_BY_STATUS = {403: _BY_CODE["NotPermitted"], 404: _BY_CODE["NotFound"], 409: _BY_CODE["TransitionNotAllowed"],
              422: _BY_CODE["InvalidCommand"]}
