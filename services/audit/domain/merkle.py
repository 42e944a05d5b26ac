"""RFC 6962 / RFC 9162 Merkle tree over the log's record hashes.

``leaves`` are leaf *data* (for the log: the 32 raw bytes of each ``record_hash``, see
``chain.merkle_leaves``); they are hashed here as ``SHA-256(0x00 || leaf)``, interior nodes as
``SHA-256(0x01 || left || right)``. The empty tree's root is ``SHA-256("")``.

Root and proofs cost O(n) hashes each (no O(n²) recursion), which is a few seconds for 10⁶ leaves.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    return _root([leaf_hash(leaf) for leaf in leaves])


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of all ``leaves`` (RFC 6962 §2.1.1), leaf side first."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} is outside a tree of {len(leaves)} leaves")
    hashes = [leaf_hash(leaf) for leaf in leaves]
    return _audit_path(hashes, index, 0, len(hashes))


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the tree of the first ``old_size`` leaves is a prefix of the tree of all ``leaves``.

    RFC 6962 §2.1.2. Empty when ``old_size`` is 0 or equals the new size: there is nothing to prove.
    """
    new_size = len(leaves)
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is outside 0..{new_size}")
    if old_size in (0, new_size):
        return []
    hashes = [leaf_hash(leaf) for leaf in leaves]
    return _subproof(hashes, old_size, 0, new_size, old_is_whole_subtree=True)


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` place ``leaf`` at ``index`` in the tree with ``root``?"""
    if not 0 <= index < tree_size or not _all_hashes(*proof, root):
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree ``old_root`` of ``old_size`` leaves a prefix of ``new_root``?"""
    if not 0 <= old_size <= new_size or not _all_hashes(*proof, old_root, new_root):
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not proof:
        return False
    path = [old_root, *proof] if _is_power_of_two(old_size) else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


def _root(hashes: list[bytes]) -> bytes:
    """Pair level by level, carrying an odd last node up unchanged: the same tree as RFC 6962's
    largest-power-of-two split, built without recursion."""
    if not hashes:
        return EMPTY_ROOT
    level = hashes
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def _audit_path(hashes: list[bytes], index: int, start: int, end: int) -> list[bytes]:
    # Each level hashes the sibling subtree once, so the whole path costs n/2 + n/4 + ... hashes.
    if end - start == 1:
        return []
    middle = start + _split(end - start)
    if index < middle:
        return [*_audit_path(hashes, index, start, middle), _root(hashes[middle:end])]
    return [*_audit_path(hashes, index, middle, end), _root(hashes[start:middle])]


def _subproof(
    hashes: list[bytes], old_size: int, start: int, end: int, *, old_is_whole_subtree: bool
) -> list[bytes]:
    size = end - start
    if old_size == size:
        return [] if old_is_whole_subtree else [_root(hashes[start:end])]
    k = _split(size)
    if old_size <= k:
        return [*_subproof(hashes, old_size, start, start + k, old_is_whole_subtree=old_is_whole_subtree),
                _root(hashes[start + k:end])]
    return [*_subproof(hashes, old_size - k, start + k, end, old_is_whole_subtree=False),
            _root(hashes[start:start + k])]


def _is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def _all_hashes(*values: bytes) -> bool:
    return all(isinstance(value, bytes) and len(value) == HASH_SIZE for value in values)
