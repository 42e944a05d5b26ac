"""Q11, the log's integrity (the hash chain recomputed over a range of sequence numbers by the verifier),
and the integrity status the auditor index shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.audit.adapters.orm import auditor_query_log
from services.audit.service_layer.queries.catalogue import QueryError, QuerySpec, UowFactory
from services.audit.service_layer.queries.filters import Filters
from services.audit.service_layer.queries.paging import QueryResult

Verifier = Callable[[Filters], Any]


async def q11_integrity(spec: QuerySpec, filters: Filters, verifier: Verifier | None) -> QueryResult:
    if verifier is None:
        raise QueryError("Q11 needs the verifier")
    report = await verifier(filters)
    rows = [{"seq_no": b.seq_no, "finding": ",".join(b.reasons)} for b in report.breaks]
    rows += [{"seq_no": g.first_missing, "finding": f"GAP {g.first_missing}-{g.last_missing}"} for g in report.gaps]
    rows.sort(key=lambda r: r["seq_no"])
    page = rows[filters.offset:filters.offset + filters.limit]
    return QueryResult(spec.id, spec.title_da, ["seq_no", "finding"], page, len(rows), filters.limit,
                       filters.offset, True, None,
                       {"checked": report.checked, "erased": report.erased,
                        "first_broken_seq_no": report.first_broken_seq_no, "head_seq_no": report.head_seq_no})


@dataclass(frozen=True)
class IntegrityStatus:
    """What the auditor index shows about the log's integrity, from what audit stores: the log's size, the
    last signed checkpoint and the last integrity check run as Q11 (the CLI's ``verify`` stores none)."""

    log_size: int
    checkpoint_at: datetime | None = None
    checkpoint_tree_size: int | None = None
    verified_at: str | None = None
    verified_findings: int | None = None
    verified_range: str | None = None


async def integrity_status(uow_factory: UowFactory) -> IntegrityStatus:
    async with uow_factory() as uow:
        size = await uow.log.count()
        checkpoint = await uow.checkpoints.latest()
        last_check = (await uow.session.execute(
            select(auditor_query_log.c.at, auditor_query_log.c.parameters, auditor_query_log.c.result_rows)
            .where(auditor_query_log.c.query == "Q11").order_by(auditor_query_log.c.at.desc()).limit(1))).first()
    status = IntegrityStatus(size, checkpoint.issued_at if checkpoint else None,
                             checkpoint.tree_size if checkpoint else None)
    if last_check is None:
        return status
    parameters = json.loads(last_check.parameters)
    first, last = parameters.get("from_seq_no"), parameters.get("to_seq_no")
    scope = f"{first or 1}–{last}" if last else (f"{first} og frem" if first else None)
    return IntegrityStatus(status.log_size, status.checkpoint_at, status.checkpoint_tree_size,
                           last_check.at, last_check.result_rows, scope)
