"""Danish words for the codes the services return, and times as staff read them.

Pure: no I/O. Codes stay codes in the APIs; only the pages translate them. An unknown code is shown as
itself, so a new code is visible rather than hidden.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from infohus.kit.display import local as local  # the kit's, as every page shows times

LOCAL_TIME_ZONE = ZoneInfo("Europe/Copenhagen")

CASE_STATES = {
    "RECEIVED": "Modtaget – afventer visitation",
    "IN_SCOPE": "Visiteret – inden for infohusets område",
    "OUT_OF_SCOPE": "Visiteret – uden for infohusets område",
    "POLICE_ONLY": "Visiteret – håndteres alene af politiet",
    "SCREENING": "Screening",
    "ANALYSIS": "Analyse",
    "ASSESSMENT": "Helhedsvurdering",
    "RECOMMENDATION": "Anbefaling",
    "HANDED_OVER": "Overdraget",
    "FOLLOW_UP": "Opfølgning",
    "ON_HOLD": "Sat i bero",
    "CLOSED": "Lukket",
}

TRIAGE_OUTCOMES = {
    "IN_SCOPE": "Inden for infohusets område",
    "OUT_OF_SCOPE": "Uden for infohusets område",
    "POLICE_ONLY": "Håndteres alene af politiet",
}

CLOSE_REASONS = {
    "OUT_OF_SCOPE": "Uden for infohusets område",
    "POLICE_ONLY": "Håndteres alene af politiet",
    "HANDED_OVER": "Overdraget til anden myndighed",
    "NO_FURTHER_CONCERN": "Ingen yderligere bekymring",
    "MOVED": "Personen er flyttet",
    "DUPLICATE": "Dublet",
    "WITHDRAWN_NOT_APPLICABLE": "Trukket tilbage / ikke relevant",
}

PRIORITIES = {"P0": "P0 – akut", "P1": "P1 – hastende", "P2": "P2 – almindelig"}

AGE_BANDS = {"MINOR": "Under 18 år", "MINOR_NEAR_18": "Under 18 år (fylder snart 18)",
             "ADULT": "18 år eller derover", "UNKNOWN": "Alder ukendt"}

# Why routing changed a classification by itself (on the timeline).
CORRECTION_REASONS = {"MINOR_POSSIBLE": "personen kan være under 18 år"}

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

FLAGS = {
    "ACUTE": "Akut",
    "URGENT": "Hastende",
    "CRIME_SUSPICION": "Mistanke om kriminalitet",
    "DISCLOSURE_PROPOSED_TASK": "Videregivelse til politiet skal vurderes",
    "OOH_CHANNEL_NOT_CONFIGURED": "Ingen vagtkanal uden for åbningstid",
    "ASSESSMENT_DEADLINE_AT_RISK": "24-timersfristen er i fare",
    "ADULT_TRANSITION": "Fylder snart 18",
    "AGE_UNVERIFIED": "Alder ikke kendt",
    "AGE_CONFLICT": "Modstridende aldersoplysninger",
    "CPR_UNUSABLE": "CPR-nummer kan ikke bruges",
    "SELF_REFERRAL_SEL_12B": "Henvender sig selv (serviceloven § 12 b)",
    "ANONYMOUS_PROFESSIONAL": "Anonym fagperson",
    "JURISDICTION_OTHER": "Bor i en anden kommune",
    "DUPLICATE_EXACT": "Dublet",
    "DUPLICATE_NEAR": "Næsten-dublet",
    "SUPPLEMENT_TO_ORIGINAL": "Supplement til tidligere henvendelse",
}

TASK_KINDS = {
    "DISCLOSURE_PROPOSED": "Beslut om oplysninger skal videregives til politiet",
    "JURISDICTION_REVIEW": "Videresend til rette kommune",
    "RECEIPT_CONFIRMATION": "Kvittering til underretter (barnets lov § 138, stk. 1)",
    "PROFESSIONAL_ORIENTATION": "Orientering af fagperson (barnets lov § 138, stk. 2)",
}

UNDERRETNING_STATES = {
    "REGISTERED": "Modtaget – afventer vurdering",
    "ASSESSED": "Vurderet",
    "FORWARDED": "Videresendt",
    "CLOSED": "Lukket",
}

LEGAL_TYPES = {
    "BL_133": "Underretning fra fagperson (barnets lov § 133)",
    "BL_BEK1602": "Underretning fra fagperson (bekendtgørelse nr. 1602)",
    "BL_135": "Underretning fra borger (barnets lov § 135)",
    "CHILD_SELF_CONTACT": "Barnet har selv henvendt sig",
    "UNDETERMINED": "Ikke afklaret",
}

ORIENTATION_OUTCOMES = {
    "UNDERSOEGELSE": "Der er iværksat en børnefaglig undersøgelse",
    "AFDAEKNING": "Der er iværksat en afdækning",
    "INDSATS": "Der er iværksat en indsats",
    "NONE": "Der er ikke iværksat noget",
    "WITHHELD_SAERLIGE_FORHOLD": "Orienteringen undlades på grund af særlige forhold",
}

REPORTER_CATEGORIES = {
    "PROF_PUBLIC": "Fagperson i det offentlige (barnets lov § 133)",
    "PROF_BEK1602": "Fagperson omfattet af bekendtgørelse nr. 1602",
    "CITIZEN": "Borger",
    "SELF": "Personen selv",
    "PARTNER_AUTHORITY": "Samarbejdsmyndighed",
    "ANONYMOUS": "Anonym",
}

CHANNELS = {"WEB": "Webformular", "PHONE": "Telefon", "PARTNER": "Samarbejdsmyndighed", "EMAIL": "E-mail",
            "LETTER": "Brev", "IN_PERSON": "Personligt fremmøde"}

ACUTENESS = {"ACUTE": "Akut – fare for liv eller sikkerhed", "URGENT": "Hastende – inden for dage",
             "ROUTINE": "Ikke akut"}

CLOCK_KINDS = {
    "TRIAGE": "Visitation i infohuset",
    "ASSESSMENT": "Vurdering inden 24 timer (barnets lov § 136, stk. 2)",
    "RECEIPT_CONFIRMATION": "Kvittering inden 6 hverdage (barnets lov § 138, stk. 1)",
}

DEADLINE_EVENTS = {
    "TRIAGE_75": "Advarsel: 75 % af fristen er gået",
    "TRIAGE_BREACHED": "Fristen er overskredet",
    "ASSESSMENT_AT_RISK": "Fristen er i fare",
    "ASSESSMENT_BREACHED": "Fristen er overskredet",
    "RECEIPT_BREACHED": "Fristen er overskredet",
}

TIMELINE_ACTIONS = {
    "OPENED": "Sagen er oprettet",
    "TRIAGE_SIGNED": "Visitation underskrevet",
    "TRIAGE_COMPLETED": "Visitationen er afsluttet",
    "SCREENING_STARTED": "Screening påbegyndt",
    "SCREENING_COMPLETED": "Screening afsluttet",
    "ANALYSIS_MEETING_HELD": "Analysemøde holdt",
    "ASSESSMENT_ISSUED": "Helhedsvurdering afgivet",
    "RECOMMENDATIONS_ISSUED": "Anbefalinger afgivet",
    "HANDED_OVER": "Overdraget",
    "FOLLOW_UP_STARTED": "Opfølgning påbegyndt",
    "FOLLOW_UP_RECORDED": "Opfølgning noteret",
    "CLOSED": "Sagen er lukket",
    "PUT_ON_HOLD": "Sat i bero",
    "RESUMED": "Genoptaget",
    "NOTE_ADDED": "Intern note",
    "CONCERN_JOINED": "Ny henvendelse om samme person knyttet til sagen",
    "PERSON_LINKED": "Henvendelse knyttet til sagen som samme person",
    "PERSON_UNLINKED": "Henvendelse fjernet fra sagen (ikke samme person)",
    "JOINED_CASE": "Knyttet til en anden sag om samme person",
    "UNLINKED_FROM_CASE": "Fjernet fra en anden sag (ikke samme person)",
    "AGE_CORRECTED": "Alderen er rettet",
    "RECLASSIFIED": "Markeringerne er ændret efter en rettelse",
    "PRIORITY_RAISED": "Prioriteten er hævet",
    "TRIAGE_DUE_MOVED": "Visitationsfristen er rykket frem",
    "UNDERRETNING_REGISTERED": "Underretning oprettet",
    "UNDERRETNING_KEPT": "Underretningen består",
}

DELIVERY_STATES = {"QUEUED": "Sat i kø", "SENT": "Sendt (modtaget af mailserveren)",
                   "RETRYING": "Fejlede – prøves igen", "DEAD_LETTERED": "Kunne ikke leveres",
                   "OVERDUE": "Ikke leveret i tide (driften er alarmeret)", "UNCERTAIN": "Uvis – kontrolleres"}

DESTINATIONS = {"INFOHUS_TK": "Infohus (tk@)", "UNDERRETNING": "Underretninger@", "OOH_ESCALATION": "Vagten",
                "JURISDICTION_REVIEW": "Rette kommune", "OPS_ALERT": "Drift", "REPORTER": "Underretter"}

# The nine dimensions of CDE's assessment tool (docs/legal.md §A4): risk/threat, then well-being.
CDE_DIMENSIONS = {
    "CONVICTIONS_RHETORIC": "Bekymrende overbevisninger og retorik",
    "PERSONALITY": "Personlighedsfaktorer",
    "VIOLENCE_READINESS": "Villighed til at bruge vold",
    "MENTAL_VULNERABILITY": "Mental sårbarhed",
    "CRIMINAL_HISTORY": "Kriminel historik",
    "FAMILY": "Familie",
    "SOCIALISATION_RELATIONS": "Bekymrende socialisering og relationer",
    "NETWORK_SPARE_TIME": "Netværk og fritid",
    "EDUCATION_EMPLOYMENT": "Uddannelse og beskæftigelse",
}

SCREENING_REGISTERS = {
    "POLICE_REGISTERS": "Politiets registre",
    "SOCIAL_CASES": "Kommunens socialsager (børn og unge)",
    "ADULT_SOCIAL": "Kommunens voksensager",
    "SCHOOL": "Skole og uddannelse",
    "JOBCENTER": "Jobcenter",
    "KRIMINALFORSORGEN": "Kriminalforsorgen",
    "PSYCHIATRY": "Psykiatrien",
}

PARTNER_AUTHORITIES = {"POLICE": "Politiet", "MUNICIPALITY": "En anden kommune", "REGION": "Regionen",
                       "KRIMINALFORSORGEN": "Kriminalforsorgen"}

AWAITING = {"tovholder_municipal": "afventer kommunens tovholder", "tovholder_police": "afventer politiets tovholder"}


def label(table: dict[str, str], code: object) -> str:
    text = str(code) if code is not None else ""
    return table.get(text, text)


def deadline(moment: datetime | None) -> str:
    """A deadline; one that falls at midnight is the end of the day before (a statutory day deadline)."""
    if moment is None:
        return ""
    at = moment.astimezone(LOCAL_TIME_ZONE)
    if (at.hour, at.minute) == (0, 0):
        day = at - timedelta(days=1)
        return f"{day.day}.{day.month}.{day.year} (dagens udgang)"
    return local(moment)


def time_left(due: datetime | None, now: datetime) -> tuple[str, bool]:
    """("2 t 15 min", False), or ("overskredet med 1 d 3 t", True)."""
    if due is None:
        return "", False
    remaining = due - now
    overdue = remaining < timedelta(0)
    text = _duration(abs(remaining))
    return (f"overskredet med {text}", True) if overdue else (text, False)


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} t"
    if hours:
        return f"{hours} t {minutes} min"
    return f"{minutes} min"

# The disclosure log's codes (docs/legal.md §D2) in plain Danish.
LEGAL_BASES_DISCLOSURE = {
    "RPL115_2": "Retsplejelovens § 115, stk. 2 – til politiet eller en anden deltager i SSP/PSP/KSP-samarbejdet",
    "RPL115_3": "Retsplejelovens § 115, stk. 3 – udveksling med en selvejende institution i samarbejdet",
    "RPL115A_FAMILY": "Retsplejelovens § 115 a – til forældre eller andre nærtstående (personen er fyldt 18)",
    "BL132_MELLEMKOMMUNAL": "Barnets lov § 132 – til barnets bopælskommune",
    "FVL7_2_VIDERESENDELSE": "Forvaltningslovens § 7, stk. 2 – videresendelse til rette myndighed",
    "PETL4_ON_REQUEST": "PET-lovens § 4 – på anmodning fra PET",
    "DBL8_2_1_CONSENT": "Databeskyttelseslovens § 8, stk. 2, nr. 1 – samtykke",
    "DBL8_2_2_OVERRIDING_INTEREST": "Databeskyttelseslovens § 8, stk. 2, nr. 2 – afgørende hensyn",
    "DBL8_2_3_NECESSARY_FOR_AUTHORITY": "Databeskyttelseslovens § 8, stk. 2, nr. 3 – nødvendigt for "
                                        "myndighedens opgave",
    "GDPR_VITAL_INTEREST": "Vitale interesser ved akut fare (databeskyttelsesforordningen art. 6, stk. 1, litra d)",
    "INTERNAL_SAME_CONTROLLER": "Intern overførsel i kommunen (forvaltningslovens § 32)",
    "OTHER_REVIEWED": "Anden hjemmel, juridisk vurderet (notér hjemmel og godkendelse)",
}
LEGAL_BASES_RECEIPT = {
    "RPL115_1_1_SSP": "Retsplejelovens § 115, stk. 1, nr. 1 – fra politiet i SSP-samarbejdet",
    "RPL115_1_2_PSP": "Retsplejelovens § 115, stk. 1, nr. 2 – fra politiet i PSP-samarbejdet",
    "RPL115_1_3A_KSP": "Retsplejelovens § 115, stk. 1, nr. 3, litra a – KSP: løsladte fra kriminalforsorgen",
    "RPL115_1_3B_KSP": "Retsplejelovens § 115, stk. 1, nr. 3, litra b – KSP: løsladte under 18 år",
    "RPL115_1_3C_KSP": "Retsplejelovens § 115, stk. 1, nr. 3, litra c – KSP: radikaliserede løsladt fra varetægt",
    "RPL115_5_GANG": "Retsplejelovens § 115, stk. 5 – oplysninger om bandetilknytning (SSP)",
    "BL133_UNDERRETNING": "Barnets lov § 133 – underretning fra en offentlig ansat",
    "BL135_UNDERRETNING": "Barnets lov § 135 – underretning fra en borger",
    "OTHER_REVIEWED": "Anden hjemmel, juridisk vurderet (notér hjemmel og godkendelse)",
}
COOPERATION_FORMS = {"NONE": "Ingen (ikke § 115)", "SSP": "SSP – kriminalitetsforebyggende samarbejde",
                     "PSP": "PSP – politi, socialområdet og psykiatrien", "KSP_A": "KSP, litra a",
                     "KSP_B": "KSP, litra b", "KSP_C": "KSP, litra c (radikalisering)"}
PURPOSES = {
    "INFOHUS_TRIAGE": "Visitation i infohuset", "INFOHUS_SCREENING": "Screening i infohuset",
    "INFOHUS_ANALYSIS": "Analysemøde i infohuset",
    "INFOHUS_RECOMMENDATION_HANDOVER": "Anbefaling og overdragelse til den myndighed, der handler",
    "CHILD_WELFARE_ASSESSMENT": "Børnefaglig vurdering", "ACUTE_DANGER_AVERSION": "Afværge akut fare",
    "REFERRAL_TO_COMPETENT_AUTHORITY": "Henvisning til rette myndighed",
    "FAMILY_INVOLVEMENT_115A": "Inddragelse af familien (§ 115 a)", "PET_REQUEST": "Anmodning fra PET",
    "CRIMINAL_REPORT": "Anmeldelse eller efterforskning af en forbrydelse",
}
DATA_CATEGORIES = {
    "IDENTITY": "Identitet (navn)", "CPR": "CPR-nummer", "CONTACT": "Kontaktoplysninger",
    "CONCERN_NARRATIVE": "Bekymringens beskrivelse", "OBSERVED_SIGNS": "Observerede tegn",
    "SOCIAL_CIRCUMSTANCES": "Sociale forhold", "FAMILY": "Familieforhold", "SCHOOL_WORK": "Skole og arbejde",
    "ONLINE_ACTIVITY": "Aktivitet på nettet", "EXISTING_MEASURES": "Eksisterende foranstaltninger",
    "HEALTH": "Helbred (følsom)", "RELIGION": "Religion (følsom)", "POLITICAL_OPINION": "Politisk holdning (følsom)",
    "ETHNICITY": "Etnisk oprindelse (følsom)", "SEX_LIFE": "Seksuelle forhold (følsom)",
    "CRIMINAL_OFFENCES": "Strafbare forhold", "GANG_AFFILIATION": "Bandetilknytning",
    "FAMILY_MEMBER_CONVICTION_81A": "Familiemedlem dømt efter straffelovens § 81 a",
}
DISCLOSURE_KINDS = {"DISCLOSURE": "Videregivelse", "RECEIPT": "Modtagelse", "INTERNAL_TRANSFER": "Intern overførsel",
                    "DECISION_REJECTED": "Afvist videregivelse", "CORRECTION": "Rettelse"}
OTHER_RECIPIENTS = {"PET": "Politiets Efterretningstjeneste (PET)", "PARENT": "Forældre",
                    "RELATIVE": "Andre nærtstående", "OTHER_MUNICIPALITY": "En anden kommune (skriv hvilken)"}
