"""The auditor queries Q1–Q18 of docs/legal.md §D4 as the auditor sees them (title, description, which
filters each needs, whether 0 rows means compliant), and what a query runs with besides its filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.derived import CooperationRegister


@dataclass(frozen=True)
class QuerySpec:
    id: str
    title_da: str
    description_da: str
    zero_is_compliant: bool = False
    needs: tuple[str, ...] = ()
    note_da: str | None = None
    # At least one of these filters (Q1: a person's key or a concern's reference).
    needs_one_of: tuple[str, ...] = ()


SPECS: tuple[QuerySpec, ...] = (
    QuerySpec("Q1", "Pr. registreret person",
              "Alle videregivelser, modtagelser og interne overførsler om en person (søgt på CPR-nummer "
              "eller henvendelsens referencenummer) i en periode: tidspunkt, modtager eller kilde, hjemmel, "
              "formål og kategorier. Medarbejderes identitet vises ikke (C-579/21).",
              needs_one_of=("subject", "reference")),
    QuerySpec("Q2", "Pr. modtager", "Alt sendt til en modtager i en periode, grupperet efter hjemmel, "
              "samarbejdsform og formål, med antal.", needs=("recipient",)),
    QuerySpec("Q3", "§ 115 uden nødvendighedsvurdering eller beslutningstager",
              "Videregivelser efter § 115 uden (tilstrækkelig) nødvendighedsvurdering eller uden angivelse "
              "af, hvem der besluttede. Skal give 0 rækker.", zero_is_compliant=True),
    QuerySpec("Q4", "Efterforskningsformål under § 115",
              "§ 115-videregivelser med formålet anmeldelse, eller uden bekræftelse af, at oplysningerne "
              "ikke bruges til efterforskning. Skal give 0 rækker.", zero_is_compliant=True),
    QuerySpec("Q5", "Modtagere uden for samarbejdet under § 115",
              "§ 115-videregivelser til modtagere, der ikke deltager i samarbejdet. Skal give 0 rækker.",
              zero_is_compliant=True),
    QuerySpec("Q6", "§ 115 a om mindreårige", "§ 115 a-videregivelser om personer under 18 år eller "
              "uden kendt alder. Skal give 0 rækker.", zero_is_compliant=True),
    QuerySpec("Q7", "Følsomme oplysninger, strafbare forhold og bandeoplysninger",
              "Videregivelser med særlige kategorier, strafbare forhold eller bandetilknytning, pr. "
              "hjemmel og modtager, til stikprøvekontrol."),
    QuerySpec("Q8", "Videregivelseskæde", "Videregivelser af oplysninger modtaget efter § 115, med "
              "kildeposten og den selvstændige hjemmel for den videre videregivelse."),
    QuerySpec("Q9", "Underretninger", "Underretningspligt (barnets lov §§ 133-138): (a) sager om en mulig "
              "mindreårig uden underretning, (b) vurdering efter 24-timers-fristen eller endnu ikke vurderet "
              "efter fristen, (c) kvittering efter fristens udløb eller endnu ikke kvitteret efter fristen, "
              "(d) fagpersoner, der endnu ikke er orienteret, med alder i dage. (a)-(c) skal give 0 rækker; "
              "videresendte underretninger tæller ikke som udestående.",
              note_da="Bygger på routings hændelser om sager og underretninger; \"mulig mindreårig\" medregner "
                      "sager, hvor alderskilderne var uenige."),
    QuerySpec("Q10", "Sen registrering", "Poster registreret mere end 24 timer efter videregivelsen, og "
              "mundtlige mødevideregivelser registreret mere end 2 arbejdsdage senere."),
    QuerySpec("Q11", "Integritet", "Genberegning af hashkæden over et interval af løbenumre: første "
              "brud og eventuelle huller.", zero_is_compliant=True),
    QuerySpec("Q12", "Fuldstændighed", "Afstemning mod mail-gatewayens log: mails til modtagere uden for "
              "kommunens egne domæner, hvis henvendelse ikke har en post i loggen (skal give 0); "
              "mislykkede leverancer (gatewayens og loggens); sikre mails uden transportreference.",
              zero_is_compliant=True),
    QuerySpec("Q13", "Rettelser og fejlmeddelelser", "Poster, der senere er rettet, og om modtageren "
              "fik en fejlmeddelelse (RECIPIENT_ERROR_NOTICE)."),
    QuerySpec("Q14", "Underretning af den registrerede", "Poster med udsat underretning (DEFERRED_*), hvis "
              "revurderingsdato (review_at) er overskredet eller mangler, og poster med status PENDING ældre "
              "end 1 måned, som ikke er rettet siden. Skal give 0 rækker.", zero_is_compliant=True),
    QuerySpec("Q15", "Pr. medarbejder", "Udførte og besluttede videregivelser pr. medarbejder pr. måned, "
              "med markering af afvigere (mere end 3 gange månedens median og mindst 10)."),
    QuerySpec("Q16", "Opbevaring", "Poster, hvis opbevaringsfrist er udløbet, men hvis indhold endnu ikke "
              "er slettet. Skal give 0 rækker efter hver sletning.", zero_is_compliant=True,
              note_da="Retlig tilbageholdelse (legal hold) er endnu ikke en del af loggen."),
    QuerySpec("Q17", "Videregivelse efter lukket sag", "Videregivelser og interne overførsler efter sagens "
              "lukning eller efter triageudfaldet OUT_OF_SCOPE, til gennemgang (fx en lovlig underretning "
              "efter et OUT_OF_SCOPE-udfald)."),
    QuerySpec("Q18", "Afviste forslag", "Antal DECISION_REJECTED pr. hjemmel: viser, at "
              "nødvendighedsvurderingerne er reelle."),
)
BY_ID = {spec.id: spec for spec in SPECS}


@dataclass(frozen=True)
class QueryContext:
    """What a query needs besides its filters: the time it runs at and the municipality's settings."""

    now: datetime
    internal_mail_domains: tuple[str, ...] = ("ishoj.dk",)
    register: CooperationRegister | None = None


class QueryError(ValueError):
    """A query asked for without what it needs (e.g. Q1 without a subject)."""


UowFactory = Callable[[], AuditUnitOfWork]
