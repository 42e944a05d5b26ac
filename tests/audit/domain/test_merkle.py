"""The Merkle tree against the Certificate Transparency reference vectors, pymerkle and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from services.audit.domain.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)

# RFC 6962 reference leaves and roots for sizes 0..8, as published with the Certificate Transparency
# reference implementation (and transparency-dev/merkle).
CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
CT_ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
CT_CONSISTENCY = [
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]

leaf_lists = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70)


def flip(value: bytes, position: int = 0) -> bytes:
    changed = bytearray(value)
    changed[position % len(changed)] ^= 0x01
    return bytes(changed)


def pymerkle_tree(leaves: list[bytes]) -> InmemoryTree:
    tree = InmemoryTree(algorithm="sha256")  # security on: the RFC 6962 0x00/0x01 prefixes
    for leaf in leaves:
        tree.append_entry(leaf)
    return tree


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_reference(size: int) -> None:
    assert merkle_root(CT_LEAVES[:size]) == CT_ROOTS[size]


def test_the_empty_tree_and_the_prefixes_are_rfc_6962s() -> None:
    assert CT_ROOTS[0] == EMPTY_ROOT
    assert leaf_hash(b"") == CT_ROOTS[1]


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_inclusion_proofs_match_the_reference(index: int, size: int, proof: list[str]) -> None:
    assert [node.hex() for node in inclusion_proof(CT_LEAVES[:size], index)] == proof
    assert verify_inclusion(CT_LEAVES[index], index, size, [bytes.fromhex(h) for h in proof], CT_ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_reference(old: int, new: int, proof: list[str]) -> None:
    assert [node.hex() for node in consistency_proof(CT_LEAVES[:new], old)] == proof
    assert verify_consistency(old, new, CT_ROOTS[old], CT_ROOTS[new], [bytes.fromhex(h) for h in proof])


@settings(max_examples=40, deadline=None)
@given(leaf_lists)
def test_roots_and_audit_paths_agree_with_pymerkle(leaves: list[bytes]) -> None:
    tree = pymerkle_tree(leaves)
    for size in range(len(leaves) + 1):
        assert merkle_root(leaves[:size]) == tree.get_root(size)
    for index in range(len(leaves)):
        # pymerkle's path starts with the leaf's own hash, then the same siblings as RFC 6962's.
        assert inclusion_proof(leaves, index) == tree.prove_inclusion(index + 1).path[1:]


@settings(max_examples=60, deadline=None)
@given(leaf_lists)
def test_every_inclusion_proof_verifies(leaves: list[bytes]) -> None:
    root, size = merkle_root(leaves), len(leaves)
    for index, leaf in enumerate(leaves):
        assert verify_inclusion(leaf, index, size, inclusion_proof(leaves, index), root)


@settings(max_examples=60, deadline=None)
@given(leaf_lists)
def test_every_consistency_proof_verifies(leaves: list[bytes]) -> None:
    new_root, new_size = merkle_root(leaves), len(leaves)
    for old_size in range(new_size + 1):
        proof = consistency_proof(leaves, old_size)
        assert verify_consistency(old_size, new_size, merkle_root(leaves[:old_size]), new_root, proof)


@settings(max_examples=60, deadline=None)
@given(leaf_lists, st.data())
def test_a_flipped_byte_fails_inclusion(leaves: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    position = data.draw(st.integers(0, 31))
    root, size = merkle_root(leaves), len(leaves)
    proof = inclusion_proof(leaves, index)
    assert not verify_inclusion(flip(leaves[index], position), index, size, proof, root)
    assert not verify_inclusion(leaves[index], index, size, proof, flip(root, position))
    for node in range(len(proof)):
        mangled = [*proof[:node], flip(proof[node], position), *proof[node + 1:]]
        assert not verify_inclusion(leaves[index], index, size, mangled, root)
    if size > 1:
        assert not verify_inclusion(leaves[index], index, size, proof[:-1], root)
        assert not verify_inclusion(leaves[index], index, size, [*proof, root], root)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=2, max_size=70, unique=True), st.data())
def test_a_flipped_byte_fails_consistency(leaves: list[bytes], data: st.DataObject) -> None:
    new_size = len(leaves)
    old_size = data.draw(st.integers(1, new_size - 1))
    position = data.draw(st.integers(0, 31))
    old_root, new_root = merkle_root(leaves[:old_size]), merkle_root(leaves)
    proof = consistency_proof(leaves, old_size)
    assert not verify_consistency(old_size, new_size, flip(old_root, position), new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, flip(new_root, position), proof)
    for node in range(len(proof)):
        mangled = [*proof[:node], flip(proof[node], position), *proof[node + 1:]]
        assert not verify_consistency(old_size, new_size, old_root, new_root, mangled)
    assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])


def test_every_proof_of_every_tree_up_to_64_leaves_verifies() -> None:
    # Hypothesis favours small trees; this covers every shape up to 64 leaves, and pymerkle agrees.
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(64)]
    tree = pymerkle_tree(leaves)
    for size in range(1, len(leaves) + 1):
        tree_leaves, root = leaves[:size], merkle_root(leaves[:size])
        assert root == tree.get_root(size)
        for index in range(size):
            proof = inclusion_proof(tree_leaves, index)
            assert proof == tree.prove_inclusion(index + 1, size).path[1:]
            assert verify_inclusion(tree_leaves[index], index, size, proof, root)
        for old_size in range(size + 1):
            old_root = merkle_root(leaves[:old_size])
            proof = consistency_proof(tree_leaves, old_size)
            assert verify_consistency(old_size, size, old_root, root, proof)


def test_a_rewritten_history_has_no_consistency_proof() -> None:
    leaves = [bytes([i]) * 32 for i in range(10)]
    rewritten = [*leaves[:3], bytes(32), *leaves[4:]]
    proof = consistency_proof(rewritten, 6)
    assert not verify_consistency(6, 10, merkle_root(leaves[:6]), merkle_root(rewritten), proof)


def test_degenerate_consistency() -> None:
    root = merkle_root(CT_LEAVES)
    assert consistency_proof(CT_LEAVES, 8) == [] and consistency_proof(CT_LEAVES, 0) == []
    assert verify_consistency(8, 8, root, root, [])
    assert not verify_consistency(8, 8, root, root, [root])
    assert not verify_consistency(7, 8, CT_ROOTS[7], root, [])
    assert verify_consistency(0, 8, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 8, CT_ROOTS[1], root, [])
    assert not verify_consistency(8, 6, root, CT_ROOTS[6], [])


def test_bad_arguments() -> None:
    proof = inclusion_proof(CT_LEAVES, 5)
    assert not verify_inclusion(CT_LEAVES[5], 8, 8, proof, CT_ROOTS[8])
    assert not verify_inclusion(CT_LEAVES[5], -1, 8, proof, CT_ROOTS[8])
    assert not verify_inclusion(CT_LEAVES[5], 5, 8, proof, CT_ROOTS[8][:31])
    assert not verify_inclusion(CT_LEAVES[5], 5, 8, [proof[0][:31], *proof[1:]], CT_ROOTS[8])
    with pytest.raises(ValueError):
        inclusion_proof(CT_LEAVES, 8)
    with pytest.raises(ValueError):
        consistency_proof(CT_LEAVES, 9)


def test_a_million_leaves_in_seconds() -> None:
    leaves = [i.to_bytes(32, "big") for i in range(1_000_000)]
    root = merkle_root(leaves)
    index, old_size = 765_432, 654_321
    assert verify_inclusion(leaves[index], index, len(leaves), inclusion_proof(leaves, index), root)
    old_root = merkle_root(leaves[:old_size])
    assert verify_consistency(old_size, len(leaves), old_root, root, consistency_proof(leaves, old_size))
