"""Danish words for the disclosure log's codes (docs/legal.md §D2), and times as auditors read them.

Pure: no I/O. The log, the API and the CSV export keep the codes; only the auditor pages translate them.
An unknown code is shown as itself, so a new code is visible rather than hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from infohus.kit.display import day as day  # the kit's, as every page shows them
from infohus.kit.display import local as local

LEGAL_BASES = {
    "RPL115_1_1_SSP": "Retsplejelovens § 115, stk. 1, nr. 1 (politiet videregiver i SSP-samarbejdet)",
    "RPL115_1_2_PSP": "Retsplejelovens § 115, stk. 1, nr. 2 (politiet videregiver i PSP-samarbejdet)",
    "RPL115_1_3A_KSP": "Retsplejelovens § 115, stk. 1, nr. 3, litra a (politiet videregiver i KSP-samarbejdet)",
    "RPL115_1_3B_KSP": "Retsplejelovens § 115, stk. 1, nr. 3, litra b (politiet videregiver i KSP-samarbejdet)",
    "RPL115_1_3C_KSP": "Retsplejelovens § 115, stk. 1, nr. 3, litra c (politiet videregiver i KSP-samarbejdet)",
    "RPL115_2": "Retsplejelovens § 115, stk. 2 (videregivelse til politi/samarbejdsparter)",
    "RPL115_3": "Retsplejelovens § 115, stk. 3 (udveksling med selvejende institutioner)",
    "RPL115_5_GANG": "Retsplejelovens § 115, stk. 5 (politiets oplysninger om bandetilknytning)",
    "RPL115A_FAMILY": "Retsplejelovens § 115 a (videregivelse til familie om en person over 18 år)",
    "BL133_UNDERRETNING": "Barnets lov § 133 (fagpersoners underretningspligt)",
    "BL135_UNDERRETNING": "Barnets lov § 135 (borgeres underretningspligt)",
    "BL132_MELLEMKOMMUNAL": "Barnets lov § 132 (videresendelse til barnets bopælskommune)",
    "FVL7_2_VIDERESENDELSE": "Forvaltningslovens § 7, stk. 2 (videresendelse til rette myndighed)",
    "PETL4_ON_REQUEST": "PET-lovens § 4 (på anmodning fra PET)",
    "DBL8_2_1_CONSENT": "Databeskyttelseslovens § 8, stk. 2, nr. 1 (samtykke)",
    "DBL8_2_2_OVERRIDING_INTEREST": "Databeskyttelseslovens § 8, stk. 2, nr. 2 (væsentlig hensyn til private "
                                    "eller offentlige interesser)",
    "DBL8_2_3_NECESSARY_FOR_AUTHORITY": "Databeskyttelseslovens § 8, stk. 2, nr. 3 (nødvendigt for "
                                        "myndighedens opgave)",
    "GDPR_VITAL_INTEREST": "Databeskyttelsesforordningen art. 6, stk. 1, litra d / art. 9, stk. 2, litra c "
                           "(vitale interesser, akut fare)",
    "INTERNAL_SAME_CONTROLLER": "Intern deling hos samme dataansvarlige (forvaltningslovens § 32)",
    "OTHER_REVIEWED": "Anden hjemmel, godkendt af jurist",
}

PURPOSES = {
    "INFOHUS_TRIAGE": "Visitation i infohuset",
    "INFOHUS_SCREENING": "Screening i infohuset",
    "INFOHUS_ANALYSIS": "Analyse i infohuset",
    "INFOHUS_RECOMMENDATION_HANDOVER": "Anbefaling og overdragelse",
    "CHILD_WELFARE_ASSESSMENT": "Børnefaglig vurdering (underretning)",
    "ACUTE_DANGER_AVERSION": "Afværgelse af akut fare",
    "REFERRAL_TO_COMPETENT_AUTHORITY": "Videresendelse til rette myndighed",
    "FAMILY_INVOLVEMENT_115A": "Inddragelse af familien (§ 115 a)",
    "PET_REQUEST": "Anmodning fra PET",
    "CRIMINAL_REPORT": "Anmeldelse / efterforskning",
    "SUBJECT_ACCESS": "Indsigt for den registrerede",
    "ERROR_CORRECTION": "Rettelse af fejl",
}

KINDS = {
    "DISCLOSURE": "Videregivelse",
    "RECEIPT": "Modtagelse",
    "INTERNAL_TRANSFER": "Intern overførsel",
    "DECISION_REJECTED": "Afvist forslag",
    "CORRECTION": "Rettelse",
    "RECIPIENT_ERROR_NOTICE": "Fejlmeddelelse til modtager",
    "ERASURE_NOTICE": "Sletningsmeddelelse",
    "SUBJECT_ACCESS_SERVED": "Indsigt givet",
}

# Authorities (discloser, recipient, counterpart, source); "OTHER_MUNICIPALITY:<kode>" and
# "SELVEJENDE_INST:<id>" are read by ``authority``.
AUTHORITIES = {
    "ISHOEJ_KOMMUNE": "Ishøj Kommune",
    "KBHV_POLITI_INFOHUS": "Københavns Vestegns Politi (infohus)",
    "KBHV_POLITI": "Københavns Vestegns Politi",
    "KRIMINALFORSORGEN": "Kriminalforsorgen",
    "REGION_PSYKIATRI": "Region Hovedstadens Psykiatri",
    "PET": "Politiets Efterretningstjeneste (PET)",
    "PARENT": "Forælder",
    "RELATIVE": "Pårørende",
}
AUTHORITY_PREFIXES = {"OTHER_MUNICIPALITY": "Anden kommune", "SELVEJENDE_INST": "Selvejende institution"}

UNITS = {
    "CBF_TK": "Tryghed og Kriminalitetsforebyggelse (TK)",
    "CBF_STRAXEN": "StraXen (børne- og ungeområdet)",
    "INFOHUS_INTAKE": "Infohusets modtagelse",
}

COOPERATION_FORMS = {
    "SSP": "SSP (skole, socialforvaltning, politi)",
    "PSP": "PSP (psykiatri, socialforvaltning, politi)",
    "KSP_A": "KSP (kriminalforsorg, socialforvaltning, politi), litra a",
    "KSP_B": "KSP (kriminalforsorg, socialforvaltning, politi), litra b",
    "KSP_C": "KSP (kriminalforsorg, socialforvaltning, politi), litra c",
    "NONE": "Intet samarbejde",
}

DATA_CATEGORIES = {
    "IDENTITY": "Identitet",
    "CPR": "CPR-nummer",
    "CONTACT": "Kontaktoplysninger",
    "CONCERN_NARRATIVE": "Beskrivelse af bekymringen",
    "OBSERVED_SIGNS": "Observerede tegn",
    "SOCIAL_CIRCUMSTANCES": "Sociale forhold",
    "FAMILY": "Familie",
    "SCHOOL_WORK": "Skole og arbejde",
    "ONLINE_ACTIVITY": "Aktivitet på nettet",
    "EXISTING_MEASURES": "Eksisterende indsatser",
    "HEALTH": "Helbred",
    "RELIGION": "Religion",
    "POLITICAL_OPINION": "Politisk overbevisning",
    "ETHNICITY": "Etnisk oprindelse",
    "SEX_LIFE": "Seksuelle forhold",
    "CRIMINAL_OFFENCES": "Strafbare forhold",
    "GANG_AFFILIATION": "Bandetilknytning",
    "FAMILY_MEMBER_CONVICTION_81A": "Familiemedlems dom efter straffelovens § 81 a",
}

CHANNELS = {
    "SECURE_EMAIL": "Sikker mail",
    "MEETING_ORAL": "Mundtligt på møde",
    "PHONE": "Telefon",
    "SYSTEM_SHARE": "Deling i systemet",
    "LETTER": "Brev",
}

DELIVERY_STATUSES = {"ATTEMPTED": "Forsøgt", "DELIVERED": "Leveret", "FAILED": "Mislykket"}

SUBJECT_INFORMATION_STATUSES = {
    "INFORMED": "Underrettet",
    "DEFERRED_DBL22_2_4": "Udsat (databeskyttelseslovens § 22, stk. 2, nr. 4)",
    "NOT_REQUIRED": "Ikke påkrævet",
    "PENDING": "Afventer",
}

SOURCES_OF_DATA = {
    "OWN_COLLECTION": "Egen indsamling",
    "REPORTER": "Underretteren",
    "RECEIVED_UNDER_RPL115": "Modtaget efter § 115",
    "OTHER_AUTHORITY": "Anden myndighed",
}

TRIAGE_OUTCOMES = {
    "IN_SCOPE": "Inden for infohusets område",
    "OUT_OF_SCOPE": "Uden for infohusets område",
    "POLICE_ONLY": "Håndteres alene af politiet",
}

UNDERRETNING_STATES = {"REGISTERED": "Modtaget", "ASSESSED": "Vurderet", "FORWARDED": "Videresendt",
                       "CLOSED": "Lukket"}

LEGAL_TYPES = {
    "BL_133": "Fagperson (barnets lov § 133)",
    "BL_BEK1602": "Fagperson (bekendtgørelse nr. 1602)",
    "BL_135": "Borger (barnets lov § 135)",
    "CHILD_SELF_CONTACT": "Barnet har selv henvendt sig",
    "UNDETERMINED": "Ikke afklaret",
}

STAFF_ROLES = {"executed": "Udførte", "decided": "Besluttede"}
QUERY_SOURCES = {"log": "Loggen", "mail-gateway": "Mail-gatewayen"}

ROLES = {
    "intake": "modtagelse",
    "tovholder_municipal": "kommunens tovholder",
    "tovholder_police": "politiets tovholder",
    "straxen": "StraXen",
    "auditor": "revisor",
    "administrator": "administrator",
    "partner": "samarbejdsmyndighed",
    "system": "systemet",
}

# Which code list a result column's values come from.
COLUMN_CODES: Mapping[str, Mapping[str, str]] = {
    "kind": KINDS, "legal_basis": LEGAL_BASES, "onward_legal_basis": LEGAL_BASES,
    "source_legal_basis": LEGAL_BASES, "purpose": PURPOSES, "cooperation_form": COOPERATION_FORMS,
    "channel": CHANNELS, "delivery_status": DELIVERY_STATUSES, "discloser_unit": UNITS, "recipient_unit": UNITS,
    "subject_information_status": SUBJECT_INFORMATION_STATUSES, "triage_outcome": TRIAGE_OUTCOMES,
    "state": UNDERRETNING_STATES, "legal_type": LEGAL_TYPES, "role": STAFF_ROLES, "source": QUERY_SOURCES,
    "source_of_data": SOURCES_OF_DATA,
}
AUTHORITY_COLUMNS = frozenset({"discloser_authority", "recipient_authority", "counterpart", "source_authority",
                               "original_recipient"})
LIST_COLUMNS = {"data_categories": DATA_CATEGORIES}
# Instants the log stores as UTC text ("2026-03-02T10:00:00.000000Z").
INSTANT_COLUMNS = frozenset({
    "occurred_at", "recorded_at", "source_occurred_at", "corrected_at", "at", "due_at", "done_at", "closed_at",
    "triage_completed_at",
})


def label(table: Mapping[str, str], code: object) -> str:
    text = "" if code is None else str(code)
    return table.get(text, text)


def authority(code: object) -> str:
    text = "" if code is None else str(code)
    prefix, _, rest = text.partition(":")
    if rest and prefix in AUTHORITY_PREFIXES:
        return f"{AUTHORITY_PREFIXES[prefix]} ({rest})"
    return AUTHORITIES.get(text, text)


def cell(column: str, value: object) -> str:
    """One result value as an auditor reads it: codes in words, times local to the minute, yes/no."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if column in INSTANT_COLUMNS:
        return local(value if isinstance(value, datetime | str) else str(value))
    if column in ("retention_until", "review_at"):
        return day(value if isinstance(value, date | str) else str(value))
    if column in AUTHORITY_COLUMNS:
        return authority(value)
    if column in LIST_COLUMNS:
        return ", ".join(label(LIST_COLUMNS[column], c) for c in str(value).split(",") if c)
    if column in COLUMN_CODES:
        return label(COLUMN_CODES[column], value)
    if column == "fact_provenance":
        return provenance(str(value))
    return str(value)


PROVENANCE_FACTS_DA = {"recipient_is_cooperation_participant": "Deltager i samarbejdet",
                       "reporter_anonymous": "Anonym anmelder", "subject_age_at_occurrence": "Alder"}
PROVENANCE_DA = {"derived": "kontrolleret af Infohus", "declared": "kun oplyst"}


def provenance(text: str) -> str:
    """``fact=derived,...`` as "Alder: kontrolleret af Infohus; ...": which facts Infohus checked itself."""
    parts = (item.partition("=") for item in text.split(",") if item)
    return "; ".join(f"{PROVENANCE_FACTS_DA.get(k, k)}: {PROVENANCE_DA.get(v, v)}" for k, _, v in parts)
