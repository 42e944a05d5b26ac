"""Danish words for the administration pages: delivery states, roles' duties and permissions."""

from __future__ import annotations

from infohus.kit.auth import Permission, Role

STATES_DA = {"DEAD_LETTERED": "Kunne ikke leveres", "UNCERTAIN": "Uvis – kontrolleres",
             "PENDING": "Fejlede – prøves igen", "SENDING": "Sendes nu", "SENT": "Sendt"}

PURPOSES_DA = {"NEW_CASE": "Ny sag", "SUPPLEMENT": "Supplerende oplysninger", "DEADLINE_WARNING": "Frist nærmer sig",
               "OOH_ESCALATION": "Henvendelse uden for åbningstid", "ALERT": "Alarm til driften",
               "RECEIPT_CONFIRMATION": "Kvittering til underretter (§ 138)"}

ROLE_DUTIES_DA: dict[Role, str] = {
    Role.INTAKE: "Modtager henvendelser over telefonen.",
    Role.TOVHOLDER_MUNICIPAL: "Kommunens tovholder for infohuset.",
    Role.TOVHOLDER_POLICE: "Politiets tovholder for infohuset.",
    Role.STRAXEN: "Sagsbehandler i StraXen: modtager og vurderer underretninger.",
    Role.AUDITOR: "Reviderer videregivelser og adgang til personoplysninger.",
    Role.ADMINISTRATOR: "Driver systemet: opsætning og mails, der ikke blev leveret. Ser ingen sager, men kan "
                        "udtrække en persons oplysninger til indsigt (logges med begrundelse).",
    Role.PARTNER: "Samarbejdsmyndighed (politi, anden kommune, region, kriminalforsorg): indsender sine egne "
                  "henvendelser via samarbejdskanalen og ser ingen sager.",
    Role.SERVICE_NOTIFY: "Notify-tjenestens overvågning af leverancer (en tjeneste, ikke en person).",
}

PERMISSIONS_DA: dict[Permission, str] = {
    Permission.PUBLIC: "Offentlige sider",
    Permission.CONCERN_CREATE_PHONE: "Registrere en henvendelse taget over telefonen",
    Permission.CONCERN_CREATE_PARTNER: "Indsende en henvendelse som samarbejdsmyndighed",
    Permission.CASE_READ: "Læse infohussager",
    Permission.CASE_TRANSITION: "Flytte en infohussag videre (screening, analyse, lukning)",
    Permission.CASE_TRIAGE_MUNICIPAL: "Visitere for kommunen",
    Permission.CASE_TRIAGE_POLICE: "Visitere for politiet",
    Permission.UNDERRETNING_READ: "Læse underretninger",
    Permission.UNDERRETNING_ASSESS: "Vurdere underretninger og kvittere",
    Permission.DISCLOSURE_RECORD: "Registrere videregivelser",
    Permission.AUDIT_READ: "Læse videregivelsesloggen",
    Permission.AUDIT_VERIFY: "Kontrollere revisionssporets integritet",
    Permission.CONFIG_MANAGE: "Se og administrere opsætningen",
    Permission.READ_LOG_READ: "Læse loggen over adgang til personoplysninger",
    Permission.NOTIFICATION_REDRIVE: "Se mails, der ikke blev leveret, og sende dem igen",
    Permission.CASE_DISCLOSURE_DECIDE: "Afgøre en foreslået videregivelse til politiet",
    Permission.CASE_FORWARD: "Sende en infohussag videre til rette kommune",
    Permission.NOTIFICATIONS_REQUESTED_READ: "Liste bestilte mails (tjenesten notify, internt)",
    Permission.SUBJECT_ACCESS: "Udtrække alt om en person til indsigt (artikel 15), med begrundelse",
    Permission.RETENTION_MANAGE: "Sætte og ophæve sletteforbud og se, hvad næste sletning fjerner",
}
