"""Signed tree heads: every head is signed with the log's Ed25519 key, listed at /ledger/heads,
and checkable with nothing but the public key; witnesses co-sign heads at POST /ledger/witness."""

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select

from market import clock, create_app
from market.ledger import log, signing
from market.ledger.cli import ledger_cli
from models import Home, db
from models.ledger import Cosignature, TreeHead
from tests.factories import posted_sale

pytestmark = pytest.mark.usefixtures("no_search_sync")


def signed_bytes(head: dict) -> bytes:
    """The signed text, rebuilt from the published JSON alone (as tools/witness.py does)."""
    return (f"mutual-aid-ledger/head/1\nlog {head['log_id']}\nsize {head['size']}\n"
            f"root {head['root']}\ntime {head['timestamp']}\n").encode()


def test_every_head_is_signed_and_checks_with_the_public_key(make, client):
    for _ in range(3):
        posted_sale(make)
    latest = client.get("/ledger/tree-head").get_json()
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(latest["public_key"]))
    listed = client.get("/ledger/heads?format=json").get_json()
    assert [h["size"] for h in listed["heads"]] == [3, 2, 1]
    assert listed["public_key"] == latest["public_key"]
    for head in listed["heads"]:
        public.verify(bytes.fromhex(head["signature"]), signed_bytes(head))  # raises if forged
    assert latest["size"] == 3 and latest["signature"] == listed["heads"][0]["signature"]
    # A head with one changed field no longer verifies.
    forged = dict(latest, size=4)
    assert not signing.verify(latest["public_key"], signed_bytes(forged), latest["signature"])
    # The log id names the key.
    assert latest["log_id"] == signing.log_id_of(latest["public_key"])


def test_heads_page_is_paged_and_the_key_is_on_fund_pages(make, client, english):
    order = posted_sale(make)
    for _ in range(2):
        posted_sale(make)
    from market.ledger import views

    views.HEADS_PER_PAGE, saved = 2, views.HEADS_PER_PAGE
    try:
        first = client.get("/ledger/heads?format=json").get_json()
        assert [h["size"] for h in first["heads"]] == [3, 2] and first["next_before"]
        second = client.get(f"/ledger/heads?format=json&before={first['next_before']}").get_json()
        assert [h["size"] for h in second["heads"]] == [1] and second["next_before"] is None
    finally:
        views.HEADS_PER_PAGE = saved
    page = client.get("/ledger/heads").get_data(as_text=True)
    key = signing.public_key_hex()
    assert key in page and log.latest_head().signature in page
    home_page = client.get(f"/fund/{db.session.get(Home, order.lines[0].home_id).slug}")
    assert home_page.status_code == 200 and key in home_page.get_data(as_text=True)


def test_heads_from_before_signing_stay_and_ledger_head_signs_one(make, app):
    posted_sale(make)
    # What the database holds after the upgrade: heads recorded without a signature.
    old = log.latest_head()
    db.session.add(TreeHead(size=old.size, root=old.root, frontier=old.frontier, created_at=clock.now()))
    db.session.commit()
    assert log.latest_head().signature is None
    result = app.test_cli_runner().invoke(ledger_cli, ["head"])
    assert result.exit_code == 0, result.output
    head = log.latest_head()
    assert head.signature and head.size == old.size and head.root == old.root
    assert signing.head_signed_by_us(head)
    unsigned = select(func.count()).select_from(TreeHead).where(TreeHead.signature.is_(None))
    assert db.session.scalar(unsigned) == 1


def test_keygen_never_replaces_a_key_and_production_needs_one(app, tmp_path):
    path = tmp_path / "keys" / "ledger.key"
    app.config["LEDGER_SIGNING_KEY_FILE"] = str(path)
    runner = app.test_cli_runner()
    result = runner.invoke(ledger_cli, ["keygen"])
    assert result.exit_code == 0 and path.exists() and (path.stat().st_mode & 0o777) == 0o600
    before = path.read_bytes()
    assert runner.invoke(ledger_cli, ["keygen"]).exit_code == 1
    assert runner.invoke(ledger_cli, ["keygen", "--if-missing"]).exit_code == 0
    assert path.read_bytes() == before
    settings = {"ENV_NAME": "production", "SECRET_KEY": "a-real-secret", "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": "sqlite://", "LEDGER_SIGNING_KEY_FILE": str(tmp_path / "none")}
    with pytest.raises(RuntimeError, match="ledger signing key"):
        create_app(settings)
    settings["LEDGER_SIGNING_KEY_FILE"] = str(path)
    assert create_app(settings)


# ---- witnesses ------------------------------------------------------------------------------

def witness_key():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    return key, public


def cosign(key, public, head: dict) -> dict:
    signature = key.sign(b"mutual-aid-ledger/cosign/1\n" + signed_bytes(head)).hex()
    return {"public_key": public, "size": head["size"], "root": head["root"], "signature": signature}


def test_witness_cosignatures_are_checked_registered_and_rate_limited(make, app, client, monkeypatch):
    posted_sale(make)
    key, public = witness_key()
    head = client.get("/ledger/tree-head").get_json()
    body = cosign(key, public, head)
    assert client.post("/ledger/witness", json=body).status_code == 403  # not registered
    result = app.test_cli_runner().invoke(ledger_cli, ["witness-add", "Township office", public])
    assert result.exit_code == 0, result.output
    assert client.post("/ledger/witness", json=dict(body, signature="00" * 64)).status_code == 400
    assert client.post("/ledger/witness", json=dict(body, root="ab" * 32)).status_code == 404
    assert client.post("/ledger/witness", data="nonsense").status_code == 400
    assert client.post("/ledger/witness", json=body).status_code == 201
    assert client.post("/ledger/witness", json=body).get_json()["duplicate"]
    shown = client.get("/ledger/heads?format=json").get_json()["heads"][0]
    assert [c["witness"] for c in shown["cosignatures"]] == ["Township office"]
    posted_sale(make)
    newer = cosign(key, public, client.get("/ledger/tree-head").get_json())
    assert client.post("/ledger/witness", json=newer).status_code == 429  # too soon
    later = clock.now() + timedelta(seconds=app.config["LEDGER_WITNESS_MIN_SECONDS"] + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.post("/ledger/witness", json=newer).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Cosignature)) == 2
    assert not log.witnessed_conflicts()
    assert json.dumps(shown)


def test_heads_page_tells_the_time_in_beijing_not_iso(make, client, monkeypatch):
    from datetime import UTC, datetime

    from market import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    posted_sale(make)  # its head is signed at 07:30 on 2 March, Beijing time
    page = client.get("/ledger/heads").get_data(as_text=True)
    assert "2026年3月2日" in page and "07:30" in page
    assert 'datetime="2026-03-01T23:30' in page and ">2026-03-01T23:30" not in page
