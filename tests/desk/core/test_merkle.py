"""The Merkle tree is RFC 6962's: heads, audit paths and consistency proofs, streamed or not."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.core.audit import merkle

# RFC 6962 §2.1, written as the RFC writes it: recursion over lists held in memory.


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def proof(m: int, leaves: list[bytes]) -> list[bytes]:
    return [] if m in (0, len(leaves)) else subproof(m, leaves, True)


def rows(n: int) -> list[bytes]:
    """Leaf data as the audit log's are: each row's 32-byte hash."""
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


SIZES = st.integers(min_value=0, max_value=70)


# The test vectors of Certificate Transparency's reference implementation (merkle_tree_test).
VECTOR_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                 "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
VECTOR_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("size", range(len(VECTOR_ROOTS)))
def test_heads_are_those_of_the_rfc_6962_test_vectors(size: int) -> None:
    leaves = [bytes.fromhex(leaf) for leaf in VECTOR_LEAVES[:size]]
    assert merkle.root(leaves).hex() == VECTOR_ROOTS[size]


@given(SIZES)
def test_the_streamed_head_is_the_rfc_head(size: int) -> None:
    leaves = rows(size)
    tree = merkle.Tree()
    for n, data in enumerate(leaves, start=1):
        tree.append(data)
        assert tree.root() == mth(leaves[:n])
    assert merkle.root(leaves) == mth(leaves)


@given(st.data())
def test_audit_paths_are_the_rfcs_and_verify(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=70))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaves = rows(size)
    head = mth(leaves)
    made = merkle.inclusion_proof(index, size, iter(leaves))
    assert made == path(index, leaves)
    hashed = merkle.leaf_hash(leaves[index])
    assert merkle.verify_inclusion(index, size, hashed, made, head)
    # Another leaf, another place, another head, or a proof cut short: each refused.
    assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"other"), made, head)
    assert not merkle.verify_inclusion(index, size, hashed, made, mth([*leaves[:-1], b"x"]))
    if size > 1:
        assert not merkle.verify_inclusion((index + 1) % size, size, hashed, made, head)
        assert not merkle.verify_inclusion(index, size, hashed, made[:-1], head)


@given(st.data())
def test_consistency_proofs_are_the_rfcs_and_verify(data: st.DataObject) -> None:
    new_size = data.draw(SIZES)
    old_size = data.draw(st.integers(min_value=0, max_value=new_size))
    leaves = rows(new_size)
    old_head, new_head = mth(leaves[:old_size]), mth(leaves)
    made = merkle.consistency_proof(old_size, new_size, iter(leaves))
    assert made == proof(old_size, leaves)
    assert merkle.verify_consistency(old_size, new_size, old_head, new_head, made)
    if old_size > 0:
        # A log whose first old_size leaves were rewritten is not consistent with the old head.
        rewritten = [b"rewritten", *leaves[1:]]
        assert not merkle.verify_consistency(old_size, new_size, old_head, mth(rewritten), made)
        assert not merkle.verify_consistency(
            old_size, new_size, mth(rewritten[:old_size]), new_head, made
        )
    if 0 < old_size < new_size:
        assert not merkle.verify_consistency(old_size, new_size, old_head, new_head, made[:-1])
        assert not merkle.verify_consistency(old_size, new_size, new_head, new_head, made)


@pytest.mark.parametrize(("index", "size"), [(-1, 3), (3, 3), (0, 0)])
def test_no_path_for_a_leaf_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_ranges(index, size)


def test_a_proof_asked_of_too_few_leaves_is_refused() -> None:
    with pytest.raises(ValueError, match="leaves end before"):
        merkle.inclusion_proof(0, 8, iter(rows(5)))
