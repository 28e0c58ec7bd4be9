#!/usr/bin/env python3
"""Witness a Mutual Aid+ Market care-fund log, without the market's code.

    python3 tools/witness.py keygen --key witness.key        # once: prints your public key
    python3 tools/witness.py --site https://<site> --state witness-state.json [--key witness.key --post]

Anyone can run it (a township office, a donor, a journalist), e.g. daily from cron. Python 3.8+,
the standard library and the `cryptography` package only. Each run:

1. fetches the site's latest signed tree head (/ledger/tree-head) and checks its Ed25519
   signature with the log's public key (pinned in the state file on the first run, or given with
   --log-key);
2. if a head was saved before, checks that the new head extends it: same root at the same size,
   or a consistency proof (/ledger/consistency, RFC 9162 2.1.4.2) from the saved head to the new;
3. saves the new head in the state file, and with --key co-signs it (Ed25519 over
   "mutual-aid-ledger/cosign/1\\n" + the head's signed text); with --post it sends the
   co-signature to POST /ledger/witness (your key must first be registered by the site's admin).

When the new head does not extend the saved one, the log was rewritten: the script prints an
ALARM, keeps the saved head, writes both heads next to the state file as evidence (both are
signed by the log, so the operator cannot disown them) and exits 2. Other failures exit 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

COSIGN_PREFIX = b"mutual-aid-ledger/cosign/1\n"


class Alarm(Exception):
    """The log does not extend a head it signed before."""


def head_message(head: dict) -> bytes:
    return (f"mutual-aid-ledger/head/1\nlog {head['log_id']}\nsize {head['size']}\n"
            f"root {head['root']}\ntime {head['timestamp']}\n").encode()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list) -> bool:
    """RFC 9162 2.1.4.2."""
    if old_size < 0 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof or any(len(p) != 32 for p in proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
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


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def check_signature(public_hex: str, head: dict) -> None:
    if head.get("log_id") != hashlib.sha256(bytes.fromhex(public_hex)).hexdigest():
        raise ValueError("the head names another log (its log id is not the hash of the log's key)")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(head.get("signature") or ""), head_message(head))
    except (InvalidSignature, ValueError) as error:
        raise ValueError(f"the head of size {head.get('size')} is not signed by the log's key") from error


def check_extends(site: str, saved: dict, head: dict) -> None:
    """Raise Alarm unless `head` extends `saved`."""
    if head["size"] < saved["size"]:
        raise Alarm(f"the log shrank from {saved['size']} to {head['size']} entries")
    if head["size"] == saved["size"]:
        if head["root"] != saved["root"]:
            raise Alarm(f"two different roots signed for {head['size']} entries")
        return
    proof = get_json(f"{site}/ledger/consistency?first={saved['size']}&second={head['size']}")
    path = [bytes.fromhex(h) for h in proof.get("consistency_path", [])]
    if not verify_consistency(saved["size"], head["size"], bytes.fromhex(saved["root"]),
                              bytes.fromhex(head["root"]), path):
        raise Alarm(f"the head of size {head['size']} does not extend the saved head of size {saved['size']}")


def load_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def keygen(path: Path) -> int:
    if path.exists():
        print(f"{path} exists; its public key: {public_hex(load_key(path))}")
        return 0
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    print(f"Wrote {path}. Your public key (give it to the site's admin): {public_hex(key)}")
    return 0


def witness(site: str, state_path: Path, key_path: Path | None, post: bool, log_key: str | None) -> int:
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    head = get_json(f"{site}/ledger/tree-head")
    pinned = log_key or state.get("log_public_key") or head.get("public_key")
    if head.get("public_key") and head["public_key"] != pinned:
        print("WARNING: the site now shows another public key than the one pinned", file=sys.stderr)
    check_signature(pinned, head)
    saved = state.get("head")
    if saved:
        try:
            check_extends(site, saved, head)
        except Alarm as alarm:
            evidence = state_path.with_name(state_path.stem + f"-evidence-{head['size']}.json")
            evidence.write_text(json.dumps({"saved": saved, "new": head, "problem": str(alarm)}, indent=1))
            print(f"ALARM: {alarm}. The log was rewritten; both signed heads are in {evidence}",
                  file=sys.stderr)
            return 2
    state.update(log_public_key=pinned, head={k: head[k] for k in ("log_id", "size", "root", "timestamp",
                                                                   "signature")})
    state_path.write_text(json.dumps(state, indent=1))
    print(f"OK: head of size {head['size']} root {head['root']} is signed by the log"
          + (f" and extends the saved head of size {saved['size']}" if saved else " (first run: saved)"))
    if key_path is None:
        return 0
    cosignature = load_key(key_path).sign(COSIGN_PREFIX + head_message(head)).hex()
    body = {"public_key": public_hex(load_key(key_path)), "size": head["size"], "root": head["root"],
            "signature": cosignature}
    print(f"co-signature: {cosignature}")
    if post:
        request = urllib.request.Request(f"{site}/ledger/witness", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                print(f"posted: {response.status} {response.read().decode()}")
        except urllib.error.HTTPError as error:
            print(f"the site refused the co-signature: {error.code} {error.read().decode()}", file=sys.stderr)
            return 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="witness", choices=("witness", "keygen"))
    parser.add_argument("--site", help="the market's address, e.g. https://market.example")
    parser.add_argument("--state", type=Path, default=Path("witness-state.json"),
                        help="where the saved head lives")
    parser.add_argument("--key", type=Path, help="your Ed25519 private key (PEM); co-sign with it")
    parser.add_argument("--post", action="store_true", help="send the co-signature to the site")
    parser.add_argument("--log-key", help="the log's public key (hex) as published; else pinned on first run")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        if args.key is None:
            parser.error("keygen needs --key FILE")
        return keygen(args.key)
    if not args.site:
        parser.error("--site is required")
    try:
        return witness(args.site.rstrip("/"), args.state, args.key, args.post, args.log_key)
    except (ValueError, KeyError, OSError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
