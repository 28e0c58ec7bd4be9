"""An append-only Merkle log exactly as in RFC 6962 (Certificate Transparency), section 2.1.

- leaf hash   ``SHA-256(0x00 || data)``
- node hash   ``SHA-256(0x01 || left || right)``
- the root of n > 1 leaves splits at k, the largest power of two smaller than n; the root of no
  leaves is ``SHA-256("")``.
- inclusion proofs (audit paths, RFC 6962 2.1.1) and consistency proofs (2.1.2), with the
  verification algorithms of RFC 9162 2.1.3.2 and 2.1.4.2.

Pure Python, stdlib only; hashes are 32-byte `bytes` (hex only at the edges).

`CompactRange` keeps the roots of the perfect subtrees of a growing log (at most log2(n) of
them), so the root after appending m leaves costs O(m + log n). `MerkleTree` also caches every
perfect aligned subtree, so any root, audit path or consistency proof up to its size costs
O(log n) hash operations.
"""

import hashlib

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: list[bytes]) -> bytes:
    """MTH of the given leaf hashes (a plain reference implementation)."""
    rng = CompactRange()
    for h in leaf_hashes:
        rng.append(h)
    return rng.root()


class CompactRange:
    """The perfect-subtree roots of leaves [0, size), largest first (the "frontier")."""

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None):
        self.size = size
        self.hashes = list(hashes or [])
        if len(self.hashes) != bin(size).count("1"):
            raise ValueError("a compact range of size n has one hash per set bit of n")

    def append(self, leaf: bytes) -> None:
        self.hashes.append(leaf)
        size = self.size
        # Merge equal-sized subtrees: one merge per trailing 1-bit of the old size.
        while size & 1:
            right = self.hashes.pop()
            left = self.hashes.pop()
            self.hashes.append(node_hash(left, right))
            size >>= 1
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            result = node_hash(h, result)
        return result

    def copy(self) -> "CompactRange":
        return CompactRange(self.size, self.hashes)

    def to_hex(self) -> list[str]:
        return [h.hex() for h in self.hashes]

    @classmethod
    def from_hex(cls, size: int, hashes: list[str]) -> "CompactRange":
        return cls(size, [bytes.fromhex(h) for h in hashes])


class MerkleTree:
    """All leaves plus the hash of every perfect, aligned subtree (levels[h][i] covers
    leaves [i*2^h, (i+1)*2^h)). Appending is amortised O(1) hash operations."""

    def __init__(self, leaf_hashes: list[bytes] | None = None):
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes or []:
            self.append(h)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        level = 0
        while len(self.levels[level]) % 2 == 0:
            row = self.levels[level]
            parent = node_hash(row[-2], row[-1])
            level += 1
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(parent)

    def _hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end)."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            return self.levels[level][start >> level]
        k = _split(n)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if size < 0 or size > self.size:
            raise ValueError("tree size out of range")
        return self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) of RFC 6962 2.1.1."""
        size = self.size if size is None else size
        if size > self.size or not 0 <= index < size:
            raise ValueError("leaf index out of range")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index - start < k:
                path.append(self._hash(start + k, end))
                end = start + k
            else:
                path.append(self._hash(start, start + k))
                start += k
        path.reverse()  # the audit path lists siblings from the leaf upwards
        return path

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[new_size]) of RFC 6962 2.1.2."""
        new_size = self.size if new_size is None else new_size
        if new_size > self.size or not 0 <= old_size <= new_size:
            raise ValueError("tree sizes out of range")
        if old_size == 0 or old_size == new_size:
            return []
        proof: list[bytes] = []
        self._subproof(old_size, 0, new_size, True, proof)
        return proof

    def _subproof(self, m: int, start: int, end: int, complete: bool, out: list[bytes]) -> None:
        n = end - start
        if m == n:
            if not complete:
                out.append(self._hash(start, end))
            return
        k = _split(n)
        if m <= k:
            self._subproof(m, start, start + k, complete, out)
            out.append(self._hash(start + k, end))
        else:
            self._subproof(m - k, start + k, end, False, out)
            out.append(self._hash(start, start + k))


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes | None:
    """The root an audit path leads to (RFC 9162 2.1.3.2), or None if it cannot be valid."""
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    result = leaf
    for p in proof:
        if len(p) != 32 or sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(p, result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return result


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    if len(leaf) != 32 or len(root) != 32:
        return False
    return root_from_inclusion_proof(index, size, leaf, proof) == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: list[bytes]) -> bool:
    """RFC 9162 2.1.4.2."""
    if old_size < 0 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof  # the empty tree is consistent with every tree
    if not proof or any(len(p) != 32 for p in proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: its root is in the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
