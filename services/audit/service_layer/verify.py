"""Verification of the stored log (Q11 and ``infohus audit verify``): chain, tree and checkpoints.

The chain is checked as ``chain.verify_chain`` does (gap-free seq_no, each prev_hash the previous
record_hash), and each row on its own as ``domain/chain_match.py`` says: from hash version 2 the record
hash covers every stored column (the chain row, the hashed JSON, the query columns and the subject keys,
the latter as one text the database builds), so plain verification finds a change in any of them; rows
of version 1 have their query columns and dates compared with their content. ``deep`` additionally
re-canonicalises every content and derives the query columns and subject rows from it again (slow; it
would find a sealing that stored columns other than its content says).

Erased records (payload removed after ``retention_until``) keep their chain row: version 2 rows are
still checked in full (their ``retention_until`` is hashed), version 1 rows for linkage only; a payload
missing before ``retention_until`` is a break.

Then the Merkle tree of all record hashes is compared with every stored checkpoint: its signature
(Ed25519), its root at its size, and its head. A checkpoint that no longer matches means the log was
rewritten or truncated below it, even where the chain itself is consistent. (With no checkpoint stored
the tree is not built: there is nothing to compare it with.)

Speed: the rows of a batch (``domain/chain_match.py``) are checked while the next batch is being read;
the walk over links and seq_nos then needs no hashing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.audit.adapters.columns import query_columns, subject_keys
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.chain import BreakReason
from services.audit.domain.chain_match import (
    COLUMNS_DIFFER,
    CONTENT,
    HASH,
    PREV,
    SEQ,
    match_rows,
    row_problems,
)
from services.audit.domain.checkpoint import Checkpoint, verify_checkpoint
from services.audit.domain.hashing import GENESIS_PREV_HASH, canonical_json, is_sha256_hex
from services.audit.domain.merkle_cache import MerkleCache
from services.audit.service_layer.verify_parallel import Parallelism, verify_in_parallel

BATCH = 20_000
NOT_CANONICAL = "CONTENT_NOT_CANONICAL"

UowFactory = Callable[[], AuditUnitOfWork]


@dataclass(frozen=True)
class Break:
    seq_no: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Gap:
    first_missing: int
    last_missing: int


@dataclass(frozen=True)
class CheckpointCheck:
    tree_size: int
    issued_at: str
    signature_ok: bool | None
    root_ok: bool
    head_ok: bool
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.signature_ok is not False and self.root_ok and self.head_ok


@dataclass
class VerifyReport:
    from_seq_no: int
    to_seq_no: int | None
    checked: int = 0
    erased: int = 0
    breaks: list[Break] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    head_seq_no: int | None = None
    head_record_hash: str = GENESIS_PREV_HASH
    checkpoints: list[CheckpointCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks and not self.gaps and all(c.ok for c in self.checkpoints)

    @property
    def first_broken_seq_no(self) -> int | None:
        candidates = [b.seq_no for b in self.breaks] + [g.first_missing for g in self.gaps]
        return min(candidates) if candidates else None

    @property
    def first_failing_checkpoint(self) -> CheckpointCheck | None:
        return next((c for c in self.checkpoints if not c.ok), None)

    def as_dict(self) -> dict[str, Any]:
        failing = self.first_failing_checkpoint
        good_below = max((c.tree_size for c in self.checkpoints if c.ok
                          and (failing is None or c.tree_size < failing.tree_size)), default=0)
        return {
            "ok": self.ok, "from_seq_no": self.from_seq_no, "to_seq_no": self.to_seq_no,
            "checked": self.checked, "erased": self.erased, "head_seq_no": self.head_seq_no,
            "head_record_hash": self.head_record_hash, "first_broken_seq_no": self.first_broken_seq_no,
            "breaks": [{"seq_no": b.seq_no, "reasons": list(b.reasons)} for b in self.breaks[:100]],
            "gaps": [{"first_missing": g.first_missing, "last_missing": g.last_missing} for g in self.gaps[:100]],
            "checkpoints": [c.__dict__ for c in self.checkpoints],
            # A failing checkpoint over a consistent chain: the rewrite lies in this seq_no range.
            "rewritten_between": None if failing is None else [good_below + 1, failing.tree_size],
            "warnings": self.warnings,
        }


async def verify_log(uow_factory: UowFactory, *, public_key: Ed25519PublicKey | None, today: date,
                     from_seq_no: int = 1, to_seq_no: int | None = None, deep: bool = False,
                     on_progress: Callable[[int], Awaitable[None] | None] | None = None,
                     parallelism: Parallelism | None = None) -> VerifyReport:
    """``parallelism``: check a large range in worker processes first (``verify_parallel``); a log that
    is not clean there is then checked here the careful way, so the report is the same either way."""
    report = VerifyReport(from_seq_no, to_seq_no)
    async with uow_factory() as uow:
        stored = await uow.checkpoints.all()
        head = await uow.log.head()
        start_prev = GENESIS_PREV_HASH
        if from_seq_no > 1:
            before = await uow.log.log_row(from_seq_no - 1)
            if before is None:
                report.warnings.append(f"record {from_seq_no - 1} before the range is missing")
            else:
                start_prev = str(before["record_hash"])
    if head is None:
        report.warnings.append("the log is empty")
    last = head[0] if head else 0
    upper = last if to_seq_no is None else min(to_seq_no, last)
    whole_log = from_seq_no == 1 and (to_seq_no is None or to_seq_no >= last)
    keep_tree = whole_log and bool(stored)
    outcome = None
    if parallelism is not None and not deep and parallelism.applies_to(upper - from_seq_no + 1):
        outcome = await verify_in_parallel(parallelism, first_seq_no=from_seq_no, last_seq_no=upper,
                                           start_prev=start_prev, today=today.isoformat(), keep_tree=keep_tree,
                                           on_progress=on_progress)
    if outcome is not None:
        report.checked, report.erased, tree = outcome.checked, outcome.erased, outcome.tree
        report.head_seq_no, report.head_record_hash = upper, outcome.head_record_hash
    else:
        tree = await _verify_serially(uow_factory, report, start_prev=start_prev, upper=upper, deep=deep,
                                      today=today, keep_tree=keep_tree, on_progress=on_progress)
    if whole_log:
        report.checkpoints = [check_checkpoint(c, tree or MerkleCache(), public_key) for c in stored]
        if not stored:
            report.warnings.append("no signed checkpoint stored: truncation at the head cannot be ruled out")
        if public_key is None and stored:
            report.warnings.append("no public key given: checkpoint signatures not checked")
    return report


async def _verify_serially(uow_factory: UowFactory, report: VerifyReport, *, start_prev: str, upper: int,
                           deep: bool, today: date, keep_tree: bool,
                           on_progress: Callable[[int], Awaitable[None] | None] | None) -> MerkleCache | None:
    leaves: list[bytes] | None = [] if keep_tree else None
    walker = _Walker(report, start_prev, report.from_seq_no, today)

    async def read(after: int) -> Sequence[Sequence[Any]]:
        if after >= upper:
            return []
        async with uow_factory() as uow:
            rows = await uow.log.chain_rows_fast(after_seq_no=after, up_to_seq_no=upper, limit=BATCH)
            if deep and rows:
                await _deep_check(uow, rows, report)
        return rows

    async def matched(rows: Sequence[Sequence[Any]]) -> bytes:
        return match_rows(rows)

    rows = await read(report.from_seq_no - 1)
    while rows:
        matching = asyncio.ensure_future(matched(rows))
        following = await read(rows[-1][0])  # the hashing runs while the read waits for the database
        walker.visit_batch(rows, leaves, await matching)
        rows = following
        if on_progress is not None:
            result = on_progress(report.checked)
            if result is not None:
                await result
    walker.finish(upper)
    return None if leaves is None else MerkleCache(leaves)


def check_checkpoint(checkpoint: Checkpoint, tree: MerkleCache, public_key: Ed25519PublicKey | None
                     ) -> CheckpointCheck:
    signature_ok = None if public_key is None else verify_checkpoint(checkpoint, public_key)
    if checkpoint.tree_size > tree.size:
        return CheckpointCheck(checkpoint.tree_size, checkpoint.model_dump(mode="json")["issued_at"],
                               signature_ok, False, False,
                               f"the log has {tree.size} records, fewer than the checkpoint's {checkpoint.tree_size}")
    root_ok = tree.root(checkpoint.tree_size).hex() == checkpoint.root_hash
    head_ok = checkpoint.head_seq_no == checkpoint.tree_size
    if checkpoint.tree_size:
        head_ok = head_ok and tree.leaf_hash_at(checkpoint.tree_size - 1) == _leaf_hash_of(checkpoint.head_record_hash)
    problem = None
    if signature_ok is False:
        problem = "signature does not verify"
    elif not root_ok:
        problem = "the tree root at this size differs from the signed root"
    elif not head_ok:
        problem = "the head record differs from the signed head"
    return CheckpointCheck(checkpoint.tree_size, checkpoint.model_dump(mode="json")["issued_at"],
                           signature_ok, root_ok, head_ok, problem)


def _leaf_hash_of(record_hash: str) -> bytes:
    from services.audit.domain.merkle import leaf_hash

    return leaf_hash(bytes.fromhex(record_hash))


class _Walker:
    """The chain check over batches of raw rows; a tight loop, since it runs once per record."""

    def __init__(self, report: VerifyReport, expected_prev: str, expected_seq: int, today: date) -> None:
        self.report = report
        self.expected_prev = expected_prev
        self.expected_seq = expected_seq
        self.today = today.isoformat()

    def visit_batch(self, rows: Sequence[Sequence[Any]], leaves: list[bytes] | None,
                    matched: bytes | None = None) -> None:
        """``matched``: ``match_rows(rows)``, computed here when not given."""
        fromhex = bytes.fromhex
        collected: list[bytes] = [] if leaves is None else leaves
        matched = match_rows(rows) if matched is None else matched
        expected_seq, expected_prev, fast = self.expected_seq, self.expected_prev, 0
        for row, hash_ok in zip(rows, matched, strict=True):
            seq_no, prev_hash, record_hash = row[0], row[1], row[2]
            # The common case: the hash matched, so only the position and the link are left to check;
            # anything unusual goes the careful way below.
            if hash_ok and seq_no == expected_seq and prev_hash == expected_prev:
                if leaves is not None:
                    collected.append(fromhex(record_hash))
                expected_seq, expected_prev, fast = seq_no + 1, record_hash, fast + 1
                continue
            self.report.checked += fast
            fast = 0
            self.expected_seq, self.expected_prev = expected_seq, expected_prev
            self._visit(row, collected)
            expected_seq, expected_prev = self.expected_seq, self.expected_prev
        self.report.checked += fast
        if expected_seq != self.expected_seq or fast:
            self.report.head_seq_no, self.report.head_record_hash = expected_seq - 1, expected_prev
        self.expected_seq, self.expected_prev = expected_seq, expected_prev

    def _advance(self, seq_no: int, record_hash: str) -> None:
        self.report.checked += 1
        self.expected_seq, self.expected_prev = seq_no + 1, record_hash
        self.report.head_seq_no, self.report.head_record_hash = seq_no, record_hash

    def _visit(self, row: Sequence[Any], leaves: list[bytes] | None) -> None:
        seq_no, prev_hash, record_hash = row[SEQ], row[PREV], row[HASH]
        report = self.report
        if seq_no < self.expected_seq:
            report.breaks.append(Break(seq_no, (BreakReason.SEQ_NOT_INCREASING.value,)))
            return
        reasons: list[str] = []
        if seq_no > self.expected_seq:
            report.gaps.append(Gap(self.expected_seq, seq_no - 1))
        elif prev_hash != self.expected_prev:
            reasons.append(BreakReason.LINK_MISMATCH.value)
        reasons += row_problems(row, self.today)
        if row[CONTENT] is None:
            report.erased += 1
        if reasons:
            report.breaks.append(Break(seq_no, tuple(reasons)))
        if leaves is not None:
            malformed = not (isinstance(record_hash, str) and is_sha256_hex(record_hash))
            # a malformed hash gives a leaf that matches nothing
            leaves.append(hashlib.sha256(str(record_hash).encode()).digest() if malformed
                          else bytes.fromhex(record_hash))
        self._advance(seq_no, record_hash)

    def finish(self, upper: int) -> None:
        if self.expected_seq <= upper:
            self.report.gaps.append(Gap(self.expected_seq, upper))
        merged: dict[int, tuple[str, ...]] = {}
        for item in sorted(self.report.breaks, key=lambda b: b.seq_no):  # --deep adds its own findings
            merged[item.seq_no] = tuple(dict.fromkeys((*merged.get(item.seq_no, ()), *item.reasons)))
        self.report.breaks = [Break(seq_no, reasons) for seq_no, reasons in merged.items()]


async def _deep_check(uow: AuditUnitOfWork, rows: Sequence[Sequence[Any]], report: VerifyReport) -> None:
    seq_nos = [r[0] for r in rows if r[3] is not None]
    payloads = await uow.log.payload_rows(seq_nos)
    subjects = await uow.log.subject_rows(seq_nos)
    for row in rows:
        seq_no, content = row[SEQ], row[CONTENT]
        if content is None:
            continue
        reasons = []
        if isinstance(content, bytes):
            content = content.decode("utf-8")
        try:
            parsed = json.loads(content)
            if canonical_json(parsed).decode("utf-8") != content:
                reasons.append(NOT_CANONICAL)
            payload = {k: v for k, v in parsed.items() if k not in ("seq_no", "prev_hash")}
            expected = query_columns(payload)
            stored = payloads.get(seq_no, {})
            if any(_norm(stored.get(k)) != _norm(v) for k, v in expected.items()):
                reasons.append(COLUMNS_DIFFER)
            if sorted(subjects.get(seq_no, [])) != subject_keys(payload):
                reasons.append(COLUMNS_DIFFER)
        except (ValueError, KeyError, TypeError):
            reasons.append(BreakReason.MALFORMED.value)
        if reasons:
            report.breaks.append(Break(seq_no, tuple(dict.fromkeys(reasons))))


def _norm(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int) else str(value)
