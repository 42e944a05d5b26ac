"""The facts routing keeps about each concern (no story, no names), and the persons' CPR HMACs the
inbox's CPR search finds by index."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.concern import ReporterCategory
from rules.age import AgeBand
from rules.vocabulary import Jurisdiction
from services.routing.adapters.instants import aware_at, str_or_none, utc, uuid_or_none
from services.routing.adapters.orm import concern_facts, person_cpr
from services.routing.domain.duplicates import Fingerprint, can_match
from services.routing.domain.facts import ConcernFacts, PersonRecord


class ConcernFactsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, facts: ConcernFacts) -> None:
        await self._session.execute(concern_facts.insert(), _row(facts))
        await self._save_cpr_hmacs(facts)

    async def save(self, facts: ConcernFacts) -> None:
        row = _row(facts)
        del row["concern_id"]
        await self._session.execute(
            update(concern_facts).where(concern_facts.c.concern_id == str(facts.concern_id)).values(**row))
        await self._save_cpr_hmacs(facts)

    async def get(self, concern_id: UUID) -> ConcernFacts | None:
        row = (await self._session.execute(
            select(concern_facts).where(concern_facts.c.concern_id == str(concern_id)))).mappings().first()
        return None if row is None else _facts(row)

    async def near_duplicate_candidates(self, print_: Fingerprint, window: timedelta) -> list[ConcernFacts]:
        """Originals (not themselves duplicates) within the window with the same description hash, a reporter
        key in common and a key in common with the first subject: only rows that can match are read (the same
        text from many reporters, as in a campaign or a load test, made each decision read them all)."""
        if not can_match(print_):
            return []
        rows = (await self._session.execute(
            select(concern_facts).where(
                concern_facts.c.description_hash == print_.description_hash,
                concern_facts.c.duplicate_of.is_(None),
                concern_facts.c.received_at >= utc(print_.received_at - window),
                concern_facts.c.received_at <= utc(print_.received_at + window),
                # keys are hex digests, stored as JSON lists: a substring match needs no escaping
                or_(*(concern_facts.c.reporter_keys.contains(key) for key in sorted(print_.reporter_keys))),
                or_(*(concern_facts.c.subject_keys.contains(key) for key in sorted(print_.subject_keys[0]))))
            .order_by(concern_facts.c.received_at))).mappings().all()
        return [_facts(row) for row in rows]

    async def _save_cpr_hmacs(self, facts: ConcernFacts) -> None:
        """The persons' CPR HMACs as rows the inbox's CPR search finds by index (replaced as a whole)."""
        await self._session.execute(delete(person_cpr).where(person_cpr.c.concern_id == str(facts.concern_id)))
        rows = [dict(person_id=p.person_id, concern_id=str(facts.concern_id), cpr_hmac=p.cpr_hmac)
                for p in facts.persons if p.cpr_hmac]
        if rows:
            await self._session.execute(person_cpr.insert(), rows)


def _row(facts: ConcernFacts) -> dict[str, Any]:
    fp = facts.fingerprint
    return dict(
        concern_id=str(facts.concern_id), reference=facts.reference, received_at=utc(facts.received_at),
        effective_received_at=utc(facts.effective_received_at),
        reporter_category=facts.reporter_category.value, reporter_contactable=facts.reporter_contactable,
        acute=facts.acute, content_hash=facts.content_hash, data_categories=json.dumps(list(facts.data_categories)),
        persons=json.dumps([{"path": p.path, "person_id": p.person_id, "age_band": p.age_band.value,
                             "minor_possible": p.minor_possible, "jurisdiction": p.jurisdiction.value,
                             "cpr_hmac": p.cpr_hmac, "municipality": p.municipality,
                             "age_conflict": p.age_conflict, "cpr_unusable": p.cpr_unusable}
                            for p in facts.persons]),
        config_version=facts.config_version, duplicate_of=str_or_none(facts.duplicate_of),
        description_hash=fp.description_hash, reporter_keys=json.dumps(sorted(fp.reporter_keys)),
        subject_keys=json.dumps([sorted(keys) for keys in fp.subject_keys]))


def _facts(row: Any) -> ConcernFacts:
    received_at = aware_at(row["received_at"])
    persons = [PersonRecord(path=p["path"], person_id=p["person_id"], age_band=AgeBand(p["age_band"]),
                            minor_possible=p["minor_possible"], jurisdiction=Jurisdiction(p["jurisdiction"]),
                            cpr_hmac=p["cpr_hmac"], municipality=p["municipality"],
                            age_conflict=p.get("age_conflict"), cpr_unusable=p.get("cpr_unusable"))
               for p in json.loads(row["persons"])]
    fingerprint = Fingerprint(received_at=received_at, reporter_keys=frozenset(json.loads(row["reporter_keys"])),
                              subject_keys=tuple(frozenset(k) for k in json.loads(row["subject_keys"])),
                              description_hash=row["description_hash"])
    return ConcernFacts(
        concern_id=UUID(row["concern_id"]), reference=row["reference"], received_at=received_at,
        effective_received_at=aware_at(row["effective_received_at"]),
        reporter_category=ReporterCategory(row["reporter_category"]),
        reporter_contactable=bool(row["reporter_contactable"]), content_hash=row["content_hash"],
        data_categories=tuple(json.loads(row["data_categories"])), persons=persons,
        config_version=row["config_version"], fingerprint=fingerprint,
        duplicate_of=uuid_or_none(row["duplicate_of"]), acute=bool(row["acute"]))
