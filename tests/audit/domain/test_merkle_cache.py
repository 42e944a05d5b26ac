"""The incremental Merkle tree against the RFC 6962 vectors, pymerkle and the recomputing functions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.audit.domain.merkle import (
    consistency_proof,
    inclusion_proof,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from services.audit.domain.merkle_cache import MerkleCache
from tests.audit.domain.test_merkle import CT_CONSISTENCY, CT_INCLUSION, CT_LEAVES, CT_ROOTS, pymerkle_tree


def test_the_rfc_6962_reference_roots_and_proofs() -> None:
    tree = MerkleCache(CT_LEAVES)
    assert [tree.root(size) for size in range(9)] == CT_ROOTS
    for index, size, path in CT_INCLUSION:
        assert tree.inclusion_proof(index, size) == [bytes.fromhex(h) for h in path]
    for old, new, proof in CT_CONSISTENCY:
        assert tree.consistency_proof(old, new) == [bytes.fromhex(h) for h in proof]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40))
def test_every_size_agrees_with_pymerkle_and_with_recomputing(leaves: list[bytes]) -> None:
    tree, reference = MerkleCache(), pymerkle_tree(leaves)
    for leaf in leaves:  # grown one leaf at a time, as the log is
        tree.append(leaf)
    for size in range(len(leaves) + 1):
        assert tree.root(size) == merkle_root(leaves[:size]) == (reference.get_root(size) if size else tree.root(0))
        for index in range(size):
            path = tree.inclusion_proof(index, size)
            assert path == inclusion_proof(leaves[:size], index)
            assert verify_inclusion(leaves[index], index, size, path, tree.root(size))
        for old in range(size + 1):
            proof = tree.consistency_proof(old, size)
            assert proof == consistency_proof(leaves[:size], old)
            assert verify_consistency(old, size, tree.root(old), tree.root(size), proof)
    assert [tree.inclusion_proof(i) for i in range(len(leaves))] == \
        [reference.prove_inclusion(i + 1).path[1:] for i in range(len(leaves))]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=0, max_size=40), st.integers(0, 40))
def test_built_at_once_then_grown_equals_grown_leaf_by_leaf(leaves: list[bytes], split: int) -> None:
    at_once = MerkleCache(leaves[:split])
    at_once.extend(leaves[split:])
    one_by_one = MerkleCache()
    for leaf in leaves:
        one_by_one.append(leaf)
    assert [at_once.root(n) for n in range(len(leaves) + 1)] == [one_by_one.root(n) for n in range(len(leaves) + 1)]
    assert at_once.perfect_levels() == one_by_one.perfect_levels()
    assert at_once.size == one_by_one.size == len(leaves)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=0, max_size=70), st.integers(0, 4))
def test_joined_from_aligned_segments_equals_built_from_all_leaves(leaves: list[bytes], height: int) -> None:
    width = 1 << height
    segments = [MerkleCache(leaves[start:start + width]).perfect_levels() for start in range(0, len(leaves), width)]
    joined, whole = MerkleCache.from_segments(segments, height), MerkleCache(leaves)
    assert joined.perfect_levels() == whole.perfect_levels()
    assert joined.size == len(leaves)
    assert [joined.root(n) for n in range(len(leaves) + 1)] == [whole.root(n) for n in range(len(leaves) + 1)]
    if leaves:
        joined.append(b"\x07" * 32)  # and it grows on as any cache does
        whole.append(b"\x07" * 32)
        assert joined.root() == whole.root()


def test_only_the_last_segment_may_be_short() -> None:
    leaves = [bytes([n]) * 32 for n in range(6)]
    short_first = [MerkleCache(leaves[:3]).perfect_levels(), MerkleCache(leaves[3:]).perfect_levels()]
    with pytest.raises(ValueError, match="segment 0"):
        MerkleCache.from_segments(short_first, 2)
