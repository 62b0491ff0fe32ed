"""RFC 6962 Merkle trees: the head of a log's first N leaves, streamed, and its proofs.

Hashes are those of RFC 6962 §2.1 (RFC 9162 §2.1): a leaf is SHA-256(0x00 || data), a node
SHA-256(0x01 || left || right), the empty tree SHA-256 of nothing, and a tree of n > 1 leaves
splits at the largest power of two below n. Proofs are lists of subtree roots; which subtrees
they are is plain arithmetic (the *_ranges functions), so one pass over the leaves, in constant
memory, computes a head or a proof however long the log is.
"""

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()

# A subtree of the tree: leaves [start, end).
Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node from its children's."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class Tree:
    """A tree grown a leaf at a time, holding only the roots of its perfect subtrees."""

    def __init__(self) -> None:
        self.size = 0
        # (height, root) of each perfect subtree, largest first: at most one per bit of size.
        self._stack: list[tuple[int, bytes]] = []

    def append_hash(self, hashed: bytes) -> None:
        """Add a leaf given its leaf_hash."""
        height, root = 0, hashed
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            height, root = height + 1, node_hash(left, root)
        self._stack.append((height, root))
        self.size += 1

    def append(self, data: bytes) -> None:
        """Add a leaf given its data."""
        self.append_hash(leaf_hash(data))

    def root(self) -> bytes:
        """The tree head of the leaves so far."""
        if not self._stack:
            return EMPTY_ROOT
        # The perfect subtrees of size's binary digits, folded from the right, are RFC 6962's
        # split at the largest power of two below the size, applied all the way down.
        root = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root


def root(leaves: Iterable[bytes]) -> bytes:
    """The tree head of these leaves' data."""
    tree = Tree()
    for data in leaves:
        tree.append(data)
    return tree.root()


def _split(size: int) -> int:
    """The largest power of two smaller than size (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose roots prove leaf `index` in a tree of `size`, leaf end first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    return path[::-1]


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The subtrees whose roots prove a tree of old_size a prefix of one of new_size."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"a tree of {old_size} cannot be a prefix of one of {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[Range] = []
    start, end, m, whole = 0, new_size, old_size, True
    # RFC 6962 §2.1.2 SUBPROOF, unrolled: `whole` is its b, true while the old tree's head is
    # the subtree at hand, which the verifier already holds.
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append((start, end))
    return proof[::-1]


def range_roots(ranges: Sequence[Range], leaves: Iterable[bytes]) -> list[bytes]:
    """The roots of these disjoint subtrees, from one pass over the leaves' data in order."""
    order = sorted(range(len(ranges)), key=lambda n: ranges[n][0])
    roots: list[bytes] = [b""] * len(ranges)
    pending = iter(order)
    current = next(pending, None)
    tree = Tree()
    for index, data in enumerate(leaves):
        if current is None:
            break
        start, end = ranges[current]
        if index < start:
            continue
        tree.append(data)
        if index == end - 1:
            roots[current] = tree.root()
            tree = Tree()
            current = next(pending, None)
    if current is not None:
        raise ValueError("the leaves end before the subtrees asked for")
    return roots


def inclusion_proof(index: int, size: int, leaves: Iterable[bytes]) -> list[bytes]:
    """RFC 6962 PATH(index, D[size]): the audit path of one leaf, from the leaves' data."""
    return range_roots(inclusion_ranges(index, size), leaves)


def consistency_proof(old_size: int, new_size: int, leaves: Iterable[bytes]) -> list[bytes]:
    """RFC 6962 PROOF(old_size, D[new_size]), from the leaves' data."""
    return range_roots(consistency_ranges(old_size, new_size), leaves)


def verify_inclusion(
    index: int, size: int, hashed: bytes, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """Whether the proof shows the leaf (by its leaf_hash) at index in the tree of this head.

    RFC 9162 §2.1.3.2.
    """
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, hashed
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
    return sn == 0 and r == root_hash


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether the proof shows the tree of old_root a prefix of the tree of new_root.

    RFC 9162 §2.1.4.2, with its edge cases: every tree extends the empty one, and a tree
    extends itself with an empty proof.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not proof
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
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
    return fr == old_root and sr == new_root and sn == 0
