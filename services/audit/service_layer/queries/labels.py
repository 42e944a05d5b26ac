"""The Danish column headings and findings of the auditor queries' results."""

from __future__ import annotations

# Column headings on the auditor page (the API and CSV keep the field names of §D1); the values' code
# lists are in ``domain/labels.py``.
LABELS_DA: dict[str, str] = {
    "seq_no": "Løbenr.", "record_id": "Post-id", "kind": "Art", "occurred_at": "Tidspunkt",
    "recorded_at": "Registreret", "discloser_authority": "Afgivende myndighed",
    "discloser_unit": "Afgivende enhed", "recipient_authority": "Modtager", "recipient_unit": "Modtagende enhed",
    "legal_basis": "Hjemmel", "cooperation_form": "Samarbejdsform", "purpose": "Formål",
    "data_categories": "Kategorier", "channel": "Kanal", "delivery_status": "Levering",
    "executed_by": "Udført af", "decided_by": "Besluttet af", "direction": "Retning", "counterpart": "Modpart",
    "count": "Antal", "necessity_assessment": "Nødvendighedsvurdering",
    "not_for_investigation": "Ikke til efterforskning",
    "recipient_is_cooperation_participant": "Deltager i samarbejdet",
    "subject_age_at_occurrence": "Alder", "contains_special_categories": "Følsomme oplysninger",
    "contains_criminal_data": "Strafbare forhold", "contains_gang_info": "Bandeoplysninger",
    "onward_legal_basis": "Hjemmel for videregivelsen", "source_record_id": "Kildepost",
    "source_seq_no": "Kildens løbenr.", "source_legal_basis": "Kildens hjemmel", "source_authority": "Kilde",
    "source_occurred_at": "Modtaget", "source_missing": "Kildepost mangler",
    "recording_lag_s": "Forsinkelse (sek.)", "lag_hours": "Forsinkelse (timer)",
    "oral_over_2_office_days": "Mundtlig, over 2 arbejdsdage", "finding": "Fund", "transport_ref": "Transportreference",
    "original_seq_no": "Rettet løbenr.", "original_record_id": "Rettet post", "original_recipient": "Modtager",
    "correction_seq_no": "Rettelsens løbenr.", "correction_record_id": "Rettelse", "corrected_at": "Rettet",
    "recipient_notified": "Modtager underrettet", "notice_record_id": "Fejlmeddelelse",
    "subject_information_status": "Underretning af den registrerede", "month": "Måned", "employee": "Medarbejder",
    "role": "Rolle", "month_median": "Månedens median", "outlier": "Afviger", "retention_until": "Opbevares til",
    "finding_da": "Fund (forklaring)", "reference": "Sagsreference", "infohus_case_id": "Sag",
    "underretning_id": "Underretning", "legal_type": "Type", "state": "Tilstand", "at": "Tidspunkt",
    "due_at": "Frist", "done_at": "Udført", "age_days": "Alder (dage)", "closed_at": "Lukket",
    "triage_outcome": "Triageudfald", "triage_completed_at": "Triage afsluttet", "source": "Kilde",
    "concern_id": "Henvendelse", "recipient": "Modtager", "reason": "Årsag", "review_at": "Revurderes",
    "fact_provenance": "Kontrolleret / oplyst",
}

FINDINGS_DA: dict[str, str] = {
    "MISSING_UNDERRETNING": "Mulig mindreårig uden underretning",
    "ASSESSED_LATE": "Vurderet efter 24-timers-fristen",
    "NOT_ASSESSED_PAST_DUE": "Ikke vurderet, fristen er overskredet",
    "RECEIPT_CONFIRMED_LATE": "Kvitteret efter fristen",
    "RECEIPT_NOT_CONFIRMED_PAST_DUE": "Ikke kvitteret, fristen er overskredet",
    "PROFESSIONAL_NOT_ORIENTED": "Fagperson endnu ikke orienteret",
    "EXTERNAL_MAIL_WITHOUT_RECORD": "Ekstern mail uden post i loggen",
    "DELIVERY_DEAD_LETTERED": "Mail opgivet af gatewayen",
    "RECORD_DELIVERY_FAILED": "Post med mislykket levering",
    "SECURE_EMAIL_WITHOUT_TRANSPORT_REF": "Sikker mail uden transportreference",
    "AFTER_CLOSE": "Efter sagens lukning",
    "AFTER_OUT_OF_SCOPE": "Efter triageudfaldet OUT_OF_SCOPE",
    "REVIEW_OVERDUE": "Revurdering overskredet",
    "NO_REVIEW_DATE": "Udsat uden revurderingsdato",
    "PENDING_OVER_1_MONTH": "PENDING i mere end 1 måned",
}
