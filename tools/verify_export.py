#!/usr/bin/env python3
"""Check a Mutual Aid+ Market ledger export without the market's code.

    python3 tools/verify_export.py export.json
    python3 tools/verify_export.py --root <hex from /ledger/tree-head> export.json
    curl -s https://<site>/fund/<home>/entries.json | python3 tools/verify_export.py -
    python3 tools/verify_export.py --public-key <the log's key> https://<site>/ledger/export.json

Standard library only (Python 3.8 or later). The export (format `mutual-aid-ledger/1`, written by
market/ledger/export.py) carries the tree head and, for each journal entry, its canonical `leaf`
object and `leaf_hash`. This script:

1. recomputes every leaf hash, SHA-256(0x00 || canonical JSON of `leaf`) as in RFC 6962, where
   the canonical JSON has its keys sorted, separators (",", ":"), UTF-8 and non-ASCII kept as is,
   and compares it with the entry's `leaf_hash`;
2. checks that every entry balances: its postings (integer fen, debit positive) sum to zero
   (an `audit` entry, a change of a care share, fee or supervisor, has none: it moves no money);
3. for a complete export (every entry of the log): checks that the entries are seq 1 .. size of
   the tree head, none missing, and recomputes the Merkle root (node = SHA-256(0x01 || l || r));
4. for a partial export (one home, a date range): checks each entry's audit path
   (`inclusion_proof`) up to the tree head's root, as in RFC 9162 section 2.1.3.2.

5. with --public-key (the log's Ed25519 key, as published on every fund page): checks the tree
   head's signature. This one step needs the `cryptography` package (Python has no Ed25519);
   everything else is the standard library.

It prints "OK: ..." with the tree size and root and exits 0, or names every problem found on
standard error and exits 1. Compare the printed root with the site's /ledger/tree-head, or with a
head saved earlier through /ledger/consistency (the log only grows).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

FORMAT = "mutual-aid-ledger/1"
MAX_SHOWN = 20
NOTE_KINDS = ("audit",)  # entries that move no money: the audit log of settings, no postings


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(leaf: dict) -> bytes:
    data = json.dumps(leaf, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256(b"\x00" + data.encode("utf-8"))


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def tree_root(leaves: list) -> bytes:
    """RFC 6962 Merkle tree hash of the leaf hashes, in one pass (a stack of perfect subtrees)."""
    stack: list = []
    for size, node in enumerate(leaves):
        while size & 1:
            node = node_hash(stack.pop(), node)
            size >>= 1
        stack.append(node)
    if not stack:
        return sha256(b"")
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def root_from_path(index: int, size: int, leaf: bytes, path: list):
    """The root an audit path leads to (RFC 9162 2.1.3.2), or None when it cannot be valid."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None  # a path longer than the tree is high
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def _hex32(value, what: str, problems: list):
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32:
        problems.append(f"{what} is not a 64-digit hex SHA-256 hash: {value!r}")
        return None
    return raw


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_entry(position: int, entry, problems: list):
    """The entry's recomputed leaf hash, or None when the entry is unusable."""
    if not isinstance(entry, dict) or not isinstance(entry.get("leaf"), dict):
        problems.append(f"entries[{position}]: no `leaf` object")
        return None
    seq, leaf = entry.get("seq"), entry["leaf"]
    name = f"entry {seq}" if _is_int(seq) else f"entries[{position}]"
    if not _is_int(seq):
        problems.append(f"{name}: `seq` missing or not an integer")
        return None
    if leaf.get("seq") != seq:
        problems.append(f"{name}: its leaf says seq {leaf.get('seq')!r}")
    if entry.get("leaf_index") != seq - 1:
        problems.append(f"{name}: leaf_index {entry.get('leaf_index')!r}, expected {seq - 1}")
    computed = leaf_hash(leaf)
    stated = _hex32(entry.get("leaf_hash"), f"{name}: leaf_hash", problems)
    if stated is not None and stated != computed:
        problems.append(f"{name}: contents do not match its hash (stated {stated.hex()}, "
                     f"recomputed {computed.hex()})")
    postings = leaf.get("postings")
    if leaf.get("kind") in NOTE_KINDS:
        # The audit log's entries (who changed a care share, a fee, a supervisor) move no money.
        if postings != []:
            problems.append(f"{name}: an audit entry with postings")
    elif not isinstance(postings, list) or not postings:
        problems.append(f"{name}: no postings")
    elif not all(isinstance(p, dict) and _is_int(p.get("amount")) for p in postings):
        problems.append(f"{name}: a posting amount is not an integer count of minor units")
    else:
        total = sum(p["amount"] for p in postings)
        if total:
            problems.append(f"{name} does not balance: its postings sum to {total}, not 0")
    return computed


def head_message(head: dict) -> bytes:
    """The text the log signs (market/ledger/signing.py)."""
    return (f"mutual-aid-ledger/head/1\nlog {head.get('log_id')}\nsize {head.get('size')}\n"
            f"root {head.get('root')}\ntime {head.get('timestamp')}\n").encode()


def check_head_signature(head: dict, public_hex: str, problems: list) -> None:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        problems.append("checking the signature needs the `cryptography` package (pip install cryptography)")
        return
    try:
        key = bytes.fromhex(public_hex.strip())
        if head.get("log_id") != hashlib.sha256(key).hexdigest():
            problems.append("the tree head names another log than the key you gave")
            return
        Ed25519PublicKey.from_public_bytes(key).verify(bytes.fromhex(head.get("signature") or ""),
                                                       head_message(head))
    except (InvalidSignature, ValueError):
        problems.append("the tree head's signature does not check with the key you gave")


def verify(export, expected_root: str | None = None, public_key: str | None = None) -> tuple[list, str]:
    """(problems, summary): no problems means the export is sound; summary is the OK line."""
    problems = []
    if not isinstance(export, dict):
        problems.append("not a ledger export: the top level is not a JSON object")
        return problems, ""
    if export.get("format") != FORMAT:
        problems.append(f"unknown format {export.get('format')!r}; this script reads {FORMAT!r}")
        return problems, ""
    head = export.get("tree_head")
    entries = export.get("entries")
    if not isinstance(head, dict) or not _is_int(head.get("size")) or head["size"] < 0:
        problems.append("no tree head with a size")
        return problems, ""
    if not isinstance(entries, list):
        problems.append("no list of entries")
        return problems, ""
    size = head["size"]
    root = _hex32(head.get("root"), "the tree head's root", problems)
    if root is None:
        return problems, ""
    if expected_root is not None:
        expected = _hex32(expected_root.strip().lower(), "--root", problems)
        if expected is not None and expected != root:
            problems.append(f"the export's tree head root {root.hex()} is not the root you gave "
                         f"({expected.hex()})")
    if public_key is not None:
        check_head_signature(head, public_key, problems)
    complete = export.get("complete")
    if not isinstance(complete, bool):
        problems.append("`complete` is neither true nor false")
        return problems, ""

    leaves, seqs = [], []
    for position, entry in enumerate(entries):
        computed = check_entry(position, entry, problems)
        if computed is None:
            continue
        seq = entry["seq"]
        seqs.append(seq)
        leaves.append(computed)
        if complete:
            continue
        path = entry.get("inclusion_proof")
        if not isinstance(path, list):
            problems.append(f"entry {seq}: a partial export needs its inclusion_proof")
            continue
        siblings = [_hex32(h, f"entry {seq}: inclusion_proof[{i}]", problems) for i, h in enumerate(path)]
        if None in siblings:
            continue
        if root_from_path(seq - 1, size, computed, siblings) != root:
            problems.append(f"entry {seq}: its inclusion proof does not lead to the tree head's root "
                         f"(size {size})")

    if any(seqs[i] >= seqs[i + 1] for i in range(len(seqs) - 1)):
        problems.append("entries are not in increasing seq order, or a seq appears twice")
    if complete:
        wanted = set(range(1, size + 1))
        missing = sorted(wanted - set(seqs))
        extra = sorted(set(seqs) - wanted)
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
            problems.append(f"complete export without seq {shown} ({len(missing)} of {size} missing)")
        if extra:
            problems.append(f"seq beyond the tree head (size {size}): {', '.join(map(str, extra[:10]))}")
        if len(leaves) == len(entries) and tree_root(leaves) != root:
            problems.append(f"the root recomputed from the {len(leaves)} leaves, {tree_root(leaves).hex()}, "
                         f"does not match the tree head's root {root.hex()}")
        summary = (f"OK: complete export, {len(leaves)} entries, each hash recomputed and balanced; "
                   f"Merkle root recomputed from the leaves equals the tree head: size {size}, "
                   f"root {root.hex()}")
    else:
        summary = (f"OK: partial export, {len(leaves)} entries, each hash recomputed and balanced and "
                   f"proven included in the tree head: size {size}, root {root.hex()}")
    return problems, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Check a Mutual Aid+ Market ledger export (mutual-aid-ledger/1): leaf hashes, "
                    "balances, and the Merkle root (complete export) or inclusion proofs (partial).")
    parser.add_argument("export", help="the export's JSON file, - for standard input, or an http(s) URL")
    parser.add_argument("--public-key", metavar="HEX",
                        help="the log's Ed25519 public key: the tree head's signature must check with it")
    parser.add_argument("--root", metavar="HEX",
                        help="a root you trust (e.g. from /ledger/tree-head); "
                             "the export's tree head must equal it")
    args = parser.parse_args(argv)
    try:
        if args.export == "-":
            export = json.load(sys.stdin)
        elif args.export.startswith(("http://", "https://")):
            import urllib.request

            with urllib.request.urlopen(args.export, timeout=120) as response:
                export = json.load(response)
        else:
            with open(args.export, encoding="utf-8") as handle:
                export = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"FAILED: cannot read {args.export}: {error}", file=sys.stderr)
        return 1
    problems, summary = verify(export, args.root, args.public_key)
    if problems:
        for message in problems[:MAX_SHOWN]:
            print(f"FAILED: {message}", file=sys.stderr)
        if len(problems) > MAX_SHOWN:
            print(f"FAILED: … and {len(problems) - MAX_SHOWN} more problems", file=sys.stderr)
        return 1
    print(summary + (" (signature checked)" if args.public_key else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
