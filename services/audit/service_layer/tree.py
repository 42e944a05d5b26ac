"""The Merkle tree over the stored record hashes, signed checkpoints, and inclusion/consistency proofs.

Each process keeps one ``MerkleCache`` and brings it up to date from ``disclosure_log`` before use
(only the records added since), so a proof costs O(log² n) hashes whatever the log's size, and
several replicas agree because they read the same rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.exc import IntegrityError

from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.checkpoint import Checkpoint, sign_checkpoint
from services.audit.domain.merkle_cache import MerkleCache

SYNC_BATCH = 50_000
HASH_BYTES = 32


class LogTree:
    def __init__(self, uow_factory: Callable[[], AuditUnitOfWork]) -> None:
        self._uow_factory = uow_factory
        self._cache = MerkleCache()
        self._hashes = bytearray()  # the raw record_hash of seq_no n at [32 (n - 1), 32 n): "which leaf is this"
        self._lock = asyncio.Lock()

    @property
    def size(self) -> int:
        return self._cache.size

    @property
    def cache(self) -> MerkleCache:
        return self._cache

    async def sync(self) -> MerkleCache:
        async with self._lock:
            while True:
                async with self._uow_factory() as uow:
                    rows = await uow.log.leaf_hashes(after_seq_no=self._cache.size, limit=SYNC_BATCH)
                expected = self._cache.size + 1
                if rows and (rows[0][0] != expected or rows[-1][0] != expected + len(rows) - 1):
                    raise RuntimeError(f"disclosure_log has a gap after seq_no {expected - 1}")
                leaves = [bytes.fromhex(record_hash) for _seq_no, record_hash in rows]
                self._cache.extend(leaves)
                self._hashes += b"".join(leaves)
                if len(rows) < SYNC_BATCH:
                    return self._cache

    def record_hash(self, seq_no: int) -> str:
        if not 1 <= seq_no <= self.size:
            raise IndexError(f"seq_no {seq_no} is not in the tree")
        return self._hashes[HASH_BYTES * (seq_no - 1):HASH_BYTES * seq_no].hex()


@dataclass(frozen=True)
class InclusionProof:
    seq_no: int
    leaf_index: int
    tree_size: int
    record_hash: str
    root_hash: str
    audit_path: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def inclusion(tree: LogTree, seq_no: int, tree_size: int | None = None) -> InclusionProof:
    # A proof against a size the cache already holds (e.g. a signed checkpoint's) needs no database.
    cache = tree.cache if tree_size is not None and tree_size <= tree.size else await tree.sync()
    size = cache.size if tree_size is None else tree_size
    if not 1 <= seq_no <= size <= cache.size:
        raise ValueError(f"seq_no {seq_no} is not in a tree of size {size} (log size {cache.size})")
    path = cache.inclusion_proof(seq_no - 1, size)
    return InclusionProof(seq_no, seq_no - 1, size, tree.record_hash(seq_no), cache.root(size).hex(),
                          [p.hex() for p in path])


async def consistency(tree: LogTree, old_size: int, new_size: int | None = None) -> dict[str, Any]:
    cache = await tree.sync()
    size = cache.size if new_size is None else new_size
    if not 0 <= old_size <= size <= cache.size:
        raise ValueError(f"sizes {old_size}..{size} are outside the log (size {cache.size})")
    return {"old_size": old_size, "new_size": size, "old_root": cache.root(old_size).hex(),
            "new_root": cache.root(size).hex(),
            "proof": [p.hex() for p in cache.consistency_proof(old_size, size)]}


async def issue_checkpoint(tree: LogTree, uow_factory: Callable[[], AuditUnitOfWork],
                           private_key: Ed25519PrivateKey, *, now: datetime) -> Checkpoint:
    """Sign the root over every record now in the log and store it (once per tree size)."""
    cache = await tree.sync()
    size = cache.size
    checkpoint = sign_checkpoint(
        tree_size=size, root_hash=cache.root(size), head_seq_no=size,
        head_record_hash=tree.record_hash(size) if size else "0" * 64, issued_at=now, private_key=private_key)
    async with uow_factory() as uow:
        existing = await uow.checkpoints.at(size)
        if existing is not None:
            return existing
        try:
            await uow.checkpoints.add(checkpoint)
            await uow.commit()
        except IntegrityError:  # another replica signed this size first
            async with uow_factory() as again:
                found = await again.checkpoints.at(size)
            if found is None:
                raise
            return found
    return checkpoint
