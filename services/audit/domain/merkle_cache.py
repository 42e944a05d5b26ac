"""An append-only RFC 6962 Merkle tree that keeps every complete subtree, for fast roots and proofs.

``merkle.py`` recomputes the tree from the leaves for every call, which costs O(n) hashes: seconds for
10⁶ records. This cache keeps, for each height ``h``, the hashes of the complete, aligned subtrees of
``2**h`` leaves (the "perfect" nodes), packed into one ``bytearray`` per level (32 bytes each; about
64 MB for 10⁶ leaves). A perfect node never changes once its last leaf is in, so appending costs O(1)
amortised, and a root or an inclusion or consistency proof for any tree size up to ``size`` costs
O(log² n) hashes at most.

Every subtree in RFC 6962's recursion ``MTH(D[start:end])`` starts at a multiple of the largest power
of two not above its size, so its left part is always a perfect node, and only the right edge needs
hashing. The results equal ``merkle.merkle_root``, ``merkle.inclusion_proof`` and
``merkle.consistency_proof`` exactly (tested against them, the RFC 6962 vectors and pymerkle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from services.audit.domain.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash

__all__ = ["MerkleCache"]


class MerkleCache:
    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        self.extend(leaves)

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add the leaf *data* (for the log: the 32 raw bytes of a record_hash)."""
        self._levels[0] += leaf_hash(leaf)
        self._size += 1
        height = 0
        # While the newest node at this height completes a pair, its parent becomes complete.
        while (len(self._levels[height]) // HASH_SIZE) % 2 == 0:
            level = self._levels[height]
            left, right = level[-2 * HASH_SIZE:-HASH_SIZE], level[-HASH_SIZE:]
            if height + 1 == len(self._levels):
                self._levels.append(bytearray())
            self._levels[height + 1] += node_hash(bytes(left), bytes(right))
            height += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add many leaves at once: the same nodes as appending them one by one, level by level, with
        far fewer Python steps (the RFC 6962 prefixes of ``merkle.leaf_hash``/``node_hash`` inlined)."""
        sha256 = hashlib.sha256
        added = b"".join(sha256(b"\x00" + leaf).digest() for leaf in leaves)
        if not added:
            return
        self._levels[0] += added
        self._size += len(added) // HASH_SIZE
        height = 0
        while True:
            level = self._levels[height]
            complete_parents = len(level) // (2 * HASH_SIZE)
            if height + 1 == len(self._levels):
                if complete_parents == 0:
                    return
                self._levels.append(bytearray())
            parents = self._levels[height + 1]
            known = len(parents) // HASH_SIZE
            if known == complete_parents:  # no new node here, so none above either
                return
            parents += b"".join(sha256(b"\x01" + level[2 * HASH_SIZE * i:2 * HASH_SIZE * (i + 1)]).digest()
                                for i in range(known, complete_parents))
            height += 1

    def perfect_levels(self) -> list[bytes]:
        """The perfect nodes, level by level from the leaves (32 bytes each): what ``from_segments`` joins."""
        return [bytes(level) for level in self._levels]

    @classmethod
    def from_segments(cls, segments: Sequence[Sequence[bytes]], height: int) -> MerkleCache:
        """The cache of consecutive segments of ``2**height`` leaves each (the last may be shorter), each
        given as its own ``perfect_levels()``; equal to the cache built from all their leaves.

        A segment starts at a multiple of ``2**height``, so its perfect nodes up to that height are the
        whole tree's nodes at the same places: the levels up to ``height`` are the segments' levels end to
        end, and only the levels above are hashed here."""
        width = 1 << height
        for number, segment in enumerate(segments[:-1]):
            if not segment or len(segment[0]) != width * HASH_SIZE:
                raise ValueError(f"segment {number} is not a complete segment of {width} leaves")
        sha256 = hashlib.sha256
        cache = cls()
        cache._levels = []
        level_number = 0
        while True:
            if level_number <= height:
                level = bytearray(b"".join(s[level_number] for s in segments if level_number < len(s)))
            else:
                below = cache._levels[-1]
                level = bytearray(b"".join(
                    sha256(b"\x01" + below[offset:offset + 2 * HASH_SIZE]).digest()
                    for offset in range(0, len(below) - 2 * HASH_SIZE + 1, 2 * HASH_SIZE)))
            cache._levels.append(level)
            if len(level) < 2 * HASH_SIZE:
                break
            level_number += 1
        cache._size = len(cache._levels[0]) // HASH_SIZE
        return cache

    def leaf_hash_at(self, index: int) -> bytes:
        self._check_index(index, self._size)
        return self._node(0, index)

    def root(self, tree_size: int | None = None) -> bytes:
        size = self._size if tree_size is None else tree_size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """RFC 6962 §2.1.1 audit path of leaf ``index`` in the tree of the first ``tree_size`` leaves."""
        size = self._size if tree_size is None else tree_size
        self._check_size(size)
        self._check_index(index, size)
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            middle = start + _split(end - start)
            if index < middle:
                path.append(self._subtree(middle, end))
                end = middle
            else:
                path.append(self._subtree(start, middle))
                start = middle
        path.reverse()  # leaf side first
        return path

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 6962 §2.1.2 proof that the tree of ``old_size`` leaves is a prefix of ``new_size``'s."""
        size = self._size if new_size is None else new_size
        self._check_size(size)
        if not 0 <= old_size <= size:
            raise ValueError(f"old size {old_size} is outside 0..{size}")
        if old_size in (0, size):
            return []
        proof: list[bytes] = []
        start, end, m, whole = 0, size, old_size, True
        while True:
            n = end - start
            if m == n:
                if not whole:
                    proof.append(self._subtree(start, end))
                break
            k = _split(n)
            if m <= k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                start, m, whole = start + k, m - k, False
        proof.reverse()
        return proof

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range of RFC 6962's recursion (``start`` aligned as described above)."""
        n = end - start
        if n & (n - 1) == 0:
            height = n.bit_length() - 1
            return self._node(height, start >> height)
        k = _split(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def _node(self, height: int, index: int) -> bytes:
        offset = index * HASH_SIZE
        return bytes(self._levels[height][offset:offset + HASH_SIZE])

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self._size:
            raise ValueError(f"tree size {size} is outside 0..{self._size}")

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside a tree of {size} leaves")


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)
