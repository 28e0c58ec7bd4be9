"""Signed tree heads (as Certificate Transparency's STHs) and witness co-signatures.

The log's Ed25519 private key lives in a file outside the database (setting
LEDGER_SIGNING_KEY_FILE; `flask ledger keygen` writes it). Outside production a missing key is
created on first use in the instance folder; production refuses to start without one.

What is signed is plain text, so a verifier needs only a few lines (tools/witness.py)::

    mutual-aid-ledger/head/1
    log <log id: SHA-256 of the raw 32-byte public key, hex>
    size <number of entries>
    root <Merkle root, hex>
    time <UTC, ISO 8601 with microseconds and Z>

A witness co-signs ``mutual-aid-ledger/cosign/1\\n`` followed by those same bytes. Keys and
signatures are hex: a public key is its 32 raw bytes, a signature its 64.
"""

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from market.ledger.canonical import canonical_time

HEAD_PREFIX = "mutual-aid-ledger/head/1"
COSIGN_PREFIX = b"mutual-aid-ledger/cosign/1\n"

_keys: dict[str, Ed25519PrivateKey] = {}


class SigningKeyMissing(RuntimeError):
    """Production without LEDGER_SIGNING_KEY_FILE pointing at a key."""


def key_path(app=None) -> Path:
    app = app or current_app
    configured = app.config.get("LEDGER_SIGNING_KEY_FILE")
    return Path(configured) if configured else Path(app.config["INSTANCE_DIR"]) / "ledger-signing.key"


def generate(path: Path) -> Ed25519PrivateKey:
    """Write a new private key (PEM, PKCS#8) readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def private_key(app=None) -> Ed25519PrivateKey:
    app = app or current_app
    path = key_path(app)
    cache_key = str(path)
    if cache_key in _keys:
        return _keys[cache_key]
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyMissing(f"{path} does not hold an Ed25519 private key")
    elif app.config.get("ENV_NAME") == "production":
        raise SigningKeyMissing(
            f"no ledger signing key at {path}: run `flask ledger keygen` or set LEDGER_SIGNING_KEY_FILE"
        )
    else:
        try:
            key = generate(path)
        except FileExistsError:  # another process made it first
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    _keys[cache_key] = key
    return key


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_hex(app=None) -> str:
    return raw_public(private_key(app).public_key()).hex()


def log_id_of(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()


def log_id(app=None) -> str:
    return log_id_of(public_key_hex(app))


def head_message(log: str, size: int, root: str, time) -> bytes:
    return f"{HEAD_PREFIX}\nlog {log}\nsize {size}\nroot {root}\ntime {canonical_time(time)}\n".encode()


def message_of(head) -> bytes:
    """The signed bytes of a TreeHead row (its own log id: a head stays checkable after a
    key change)."""
    return head_message(head.log_id or "", head.size, head.root, head.created_at)


def sign(message: bytes, app=None) -> str:
    return private_key(app).sign(message).hex()


def sign_head(head) -> None:
    """Give a new TreeHead row its log id and signature (before it is flushed)."""
    head.log_id = log_id()
    head.signature = sign(message_of(head))


def verify(public_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), message
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def head_signed_by_us(head, app=None) -> bool:
    return (
        head.signature is not None
        and head.log_id == log_id(app)
        and verify(public_key_hex(app), message_of(head), head.signature)
    )


def cosign_message(head_bytes: bytes) -> bytes:
    return COSIGN_PREFIX + head_bytes


def short_form(head) -> str:
    """What fits on a printed slip: size, the root's first 16 hex digits, the date."""
    return f"#{head.size} {head.root[:16]} {canonical_time(head.created_at)[:10]}"
