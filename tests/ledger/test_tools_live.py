"""tools/witness.py against a live server (werkzeug on a free port, in a thread): it checks the
signed head and the consistency proof from the head it saved, co-signs, posts the co-signature,
and raises the alarm after a full rewrite; the site's own alarm for a witnessed head."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from market.ledger import signing
from market.ledger.cli import ledger_cli
from models import db
from tests.factories import posted_sale
from tests.ledger.test_verify import full_rewrite, tamper

pytestmark = [pytest.mark.usefixtures("no_search_sync"), pytest.mark.slow]

TOOLS = Path(__file__).resolve().parents[2] / "tools"


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.port}"
    app.config["LEDGER_WITNESS_MIN_SECONDS"] = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(5)


def run_tool(name, *args):
    return subprocess.run([sys.executable, str(TOOLS / name), *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_witness_tool_against_a_live_site(make, app, live_server, tmp_path):
    for _ in range(3):
        posted_sale(make)
    key, state = tmp_path / "witness.key", tmp_path / "state.json"
    made = run_tool("witness.py", "keygen", "--key", key)
    assert made.returncode == 0, made.stderr
    public = made.stdout.strip().rsplit(" ", 1)[-1]
    refused = run_tool("witness.py", "--site", live_server, "--state", tmp_path / "other.json", "--key", key,
                       "--post")
    assert refused.returncode == 1 and "403" in refused.stderr  # the site's admin registers witness keys
    assert app.test_cli_runner().invoke(ledger_cli, ["witness-add", "Township office", public]).exit_code == 0
    db.session.commit()
    first = run_tool("witness.py", "--site", live_server, "--state", state, "--key", key, "--post")
    assert first.returncode == 0, first.stderr
    assert "first run" in first.stdout and "posted: 201" in first.stdout
    for _ in range(2):
        posted_sale(make)
    second = run_tool("witness.py", "--site", live_server, "--state", state, "--key", key, "--post")
    assert second.returncode == 0, second.stderr
    assert "extends the saved head of size 3" in second.stdout and "posted: 201" in second.stdout

    # The complete export of every home, streamed over HTTP, checks against the signed head.
    public_key = signing.public_key_hex()
    checked = run_tool("verify_export.py", "--public-key", public_key, f"{live_server}/ledger/export.json")
    assert checked.returncode == 0, checked.stderr
    assert "complete export, 5 entries" in checked.stdout and "signature checked" in checked.stdout
    wrong = run_tool("verify_export.py", "--public-key", "11" * 32, f"{live_server}/ledger/export.json")
    assert wrong.returncode == 1 and "another log" in wrong.stderr

    full_rewrite(4, "forged")  # drops the heads of size 4 and 5 with their co-signatures
    alarm = run_tool("witness.py", "--site", live_server, "--state", state)
    assert alarm.returncode == 2 and "ALARM" in alarm.stderr
    assert list(tmp_path.glob("state-evidence-*.json"))


def test_site_and_verify_cry_out_when_a_witnessed_head_is_not_extended(make, app, client, english):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from market.ledger import log, signing, witnesses
    from market.ledger.verify import verify_ledger
    from tests.ledger.test_signed_heads import cosign, witness_key

    for _ in range(3):
        posted_sale(make)
    key, public = witness_key()
    witnesses.register("Donor", public)
    head = client.get("/ledger/tree-head").get_json()
    assert client.post("/ledger/witness", json=cosign(key, public, head)).status_code == 201
    assert isinstance(key, Ed25519PrivateKey) and signing.public_key_hex()
    page = client.get("/ledger/heads").get_data(as_text=True)
    assert "Donor" in page and "rewritten" not in page
    tamper("UPDATE ledger_entries SET memo = 'forged' WHERE seq = 2", "ledger_entries")
    from market.ledger.canonical import entry_leaf_object, leaf_hash_hex
    from market.ledger.service import entry_by_seq

    forged = leaf_hash_hex(entry_leaf_object(entry_by_seq(2)))
    tamper(f"UPDATE ledger_entries SET leaf_hash = '{forged}' WHERE seq = 2", "ledger_entries")
    log._trees.clear()
    assert [h.size for h in log.witnessed_conflicts()] == [3]
    for url in ("/ledger/heads", "/ledger/entries/1"):
        assert "the public log was rewritten" in client.get(url).get_data(as_text=True)
    assert any("ALARM" in str(p) and "a witness" in str(p) for p in verify_ledger().problems)
