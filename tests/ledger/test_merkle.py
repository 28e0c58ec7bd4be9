"""The Merkle log against the RFC 6962 reference vectors (transparency-dev/merkle's test data,
originally google/certificate-transparency), plus round trips over many tree sizes."""

import hashlib

import pytest

from market.ledger import merkle

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
ROOTS = [  # index n-1: the root of the first n leaves
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# (leaf number, 1-based as in the reference data; tree size; audit path)
INCLUSION = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (1, 1, []),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def hexes(hashes):
    return [h.hex() for h in hashes]


def unhex(hashes):
    return [bytes.fromhex(h) for h in hashes]


@pytest.fixture(scope="module")
def tree():
    return merkle.MerkleTree([merkle.leaf_hash(data) for data in LEAVES])


def reference_root(leaves):
    """RFC 6962 2.1 written out literally, to check the cached implementation against."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


def test_hashes_have_the_rfc_prefixes():
    assert merkle.leaf_hash(b"").hex() == ROOTS[0]
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert merkle.node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert merkle.EMPTY_ROOT.hex() == EMPTY


def test_roots_for_every_size_match_the_reference(tree):
    assert tree.root(0).hex() == EMPTY
    for n in range(1, 9):
        assert tree.root(n).hex() == ROOTS[n - 1], n
        assert merkle.root_of(tree.levels[0][:n]).hex() == ROOTS[n - 1]
    assert tree.root().hex().startswith("5dc9da79")


def test_compact_range_grows_through_the_reference_roots():
    rng = merkle.CompactRange()
    for n, data in enumerate(LEAVES, start=1):
        rng.append(merkle.leaf_hash(data))
        assert rng.root().hex() == ROOTS[n - 1]
        again = merkle.CompactRange.from_hex(rng.size, rng.to_hex())
        assert again.root() == rng.root()


@pytest.mark.parametrize("leaf, size, path", INCLUSION)
def test_inclusion_proofs_match_and_verify(tree, leaf, size, path):
    assert hexes(tree.inclusion_proof(leaf - 1, size)) == path
    root = bytes.fromhex(ROOTS[size - 1])
    leaf_hash = merkle.leaf_hash(LEAVES[leaf - 1])
    assert merkle.verify_inclusion(leaf - 1, size, leaf_hash, unhex(path), root)


@pytest.mark.parametrize("leaf, size, path", [v for v in INCLUSION if v[2]])
def test_corrupted_inclusion_proofs_fail(leaf, size, path):
    root = bytes.fromhex(ROOTS[size - 1])
    leaf_hash = merkle.leaf_hash(LEAVES[leaf - 1])
    proof = unhex(path)
    index = leaf - 1
    probes = [
        (index - 1, size, leaf_hash, proof, root), (index + 1, size, leaf_hash, proof, root),
        (index ^ 2, size, leaf_hash, proof, root), (index, size * 2, leaf_hash, proof, root),
        (index, size // 2, leaf_hash, proof, root), (index, size, merkle.leaf_hash(b"wrong"), proof, root),
        (index, size, leaf_hash, proof, bytes.fromhex(EMPTY)), (index, size, leaf_hash, proof, SOME_HASH),
        (index, size, leaf_hash, proof + [root], root), (index, size, leaf_hash, [root] + proof, root),
        (index, size, leaf_hash, proof[:-1], root), (index, size, leaf_hash, proof + [b""], root),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, leaf_hash, flipped, root))
    for probe in probes:
        assert not merkle.verify_inclusion(*probe), probe[:2]


@pytest.mark.parametrize("old, new, path", CONSISTENCY)
def test_consistency_proofs_match_and_verify(tree, old, new, path):
    assert hexes(tree.consistency_proof(old, new)) == path
    old_root, new_root = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
    assert merkle.verify_consistency(old, new, old_root, new_root, unhex(path))


@pytest.mark.parametrize("old, new, path", [v for v in CONSISTENCY if v[2]])
def test_corrupted_consistency_proofs_fail(old, new, path):
    r1, r2 = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
    proof = unhex(path)
    probes = [
        (old - 1, new, r1, r2, proof), (old + 1, new, r1, r2, proof), (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof), (old, new // 2, r1, r2, proof),
        (old, new, SOME_HASH, r2, proof), (old, new, r1, SOME_HASH, proof), (old, new, r2, r1, proof),
        (old, new, r1, r2, []), (old, new, r1, r2, proof + [r1]), (old, new, r1, r2, [r2] + proof),
        (old, new, r1, r2, [proof[0]] + proof), (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for probe in probes:
        assert not merkle.verify_consistency(*probe), probe[:2]


def test_trivial_consistency_cases():
    empty = bytes.fromhex(EMPTY)
    assert merkle.verify_consistency(0, 0, empty, empty, [])
    assert merkle.verify_consistency(0, 5, empty, SOME_HASH, [])
    assert merkle.verify_consistency(3, 3, SOME_HASH, SOME_HASH, [])
    assert not merkle.verify_consistency(3, 3, SOME_HASH, empty, [])
    assert not merkle.verify_consistency(3, 3, SOME_HASH, SOME_HASH, [empty])
    assert not merkle.verify_consistency(2, 1, SOME_HASH, SOME_HASH, [])
    assert not merkle.verify_consistency(1, 2, SOME_HASH, empty, [])


def test_every_proof_round_trips_in_ragged_trees():
    leaves = [merkle.leaf_hash(bytes([i, i * 7 % 256])) for i in range(70)]
    tree = merkle.MerkleTree(leaves)
    for size in range(1, 71):
        root = tree.root(size)
        assert root == reference_root(leaves[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
            if index + 1 < size:
                assert not merkle.verify_inclusion(index + 1, size, leaves[index], proof, root)
        for old in range(0, size + 1):
            proof = tree.consistency_proof(old, size)
            assert merkle.verify_consistency(old, size, tree.root(old), root, proof), (old, size)
            if 0 < old < size:
                assert not merkle.verify_consistency(old, size, tree.root(old), leaves[0], proof)


def test_appending_many_leaves_is_cheap():
    # 100k leaves: every perfect subtree is hashed once; root and proofs are O(log n).
    tree = merkle.MerkleTree()
    rng = merkle.CompactRange()
    for i in range(100_000):
        leaf = merkle.leaf_hash(i.to_bytes(4, "big"))
        tree.append(leaf)
        rng.append(leaf)
    assert tree.root() == rng.root()
    proof = tree.inclusion_proof(54_321)
    assert len(proof) == 17
    assert merkle.verify_inclusion(54_321, 100_000, tree.levels[0][54_321], proof, tree.root())
    assert merkle.verify_consistency(65_536, 100_000, tree.root(65_536), tree.root(),
                                     tree.consistency_proof(65_536))
