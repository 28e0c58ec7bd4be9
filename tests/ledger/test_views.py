"""Public proof endpoints and the JSON export, checked with the shipped tools/verify_export.py."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from market import hooks
from market.ledger import fund_entries, merkle
from market.ledger.export import entries_as_json
from models import db
from tests.factories import posted_sale, refund_rows

pytestmark = pytest.mark.usefixtures("no_search_sync")

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"


def test_entry_page_json_and_proof(make, client):
    orders = [posted_sale(make) for _ in range(5)]
    response = client.get("/ledger/entries/3?format=json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["seq"] == 3 and data["kind"] == "sale"
    assert sum(p["amount_fen"] for p in data["postings"]) == 0
    assert "Buyer Secret" not in response.get_data(as_text=True)
    assert "13800000000" not in response.get_data(as_text=True)
    proof = client.get("/ledger/entries/3/proof").get_json()
    head = client.get("/ledger/tree-head").get_json()
    assert head["size"] == 5 and proof["tree_size"] == 5 and proof["root"] == head["root"]
    assert merkle.verify_inclusion(
        2,
        5,
        bytes.fromhex(data["leaf_hash"]),
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(head["root"]),
    )
    page = client.get("/ledger/entries/3")
    assert page.status_code == 200 and data["leaf_hash"] in page.get_data(as_text=True)
    assert "Buyer Secret" not in page.get_data(as_text=True)
    assert client.get("/ledger/entries/3.json").get_json()["leaf_hash"] == data["leaf_hash"]
    assert orders


def test_unknown_entries_and_bad_consistency_requests(make, client):
    posted_sale(make)
    assert client.get("/ledger/entries/99").status_code == 404
    assert client.get("/ledger/entries/99/proof").status_code == 404
    assert client.get("/ledger/entries/99.json").status_code == 404
    assert client.get("/ledger/consistency?first=x&second=1").status_code == 400
    assert client.get("/ledger/consistency?first=0&second=9").status_code == 400


def test_consistency_proof_endpoint(make, client):
    for _ in range(3):
        posted_sale(make)
    old = client.get("/ledger/tree-head").get_json()
    for _ in range(4):
        posted_sale(make)
    new = client.get("/ledger/tree-head").get_json()
    data = client.get(f"/ledger/consistency?first={old['size']}&second={new['size']}").get_json()
    assert merkle.verify_consistency(
        3,
        7,
        bytes.fromhex(old["root"]),
        bytes.fromhex(new["root"]),
        [bytes.fromhex(h) for h in data["consistency_path"]],
    )


def test_exports_verify_with_the_shipped_tool(make, tmp_path):
    orders = [posted_sale(make) for _ in range(4)]
    other = posted_sale(make)
    hooks.refund_settled.send(refund_rows(orders[0], {orders[0].lines[0].id: 1234}))
    fund_entries.post_donation(home_id=other.lines[0].home_id, amount_fen=999, donation_id=1,
                                 memo="捐赠 · 匿名")
    db.session.commit()
    script = TOOL

    full = entries_as_json()
    assert full["complete"] and len(full["entries"]) == 7
    partial = entries_as_json(home_id=other.lines[0].home_id)
    assert not partial["complete"] and [e["seq"] for e in partial["entries"]] == [5, 7]
    for name, export in (("full.json", full), ("home.json", partial)):
        path = tmp_path / name
        path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
        result = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert full["tree_head"]["root"] in result.stdout

    # A changed amount in the export fails the check.
    full["entries"][2]["leaf"]["postings"][0]["amount"] += 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(full, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "entry 3" in result.stderr


def test_the_entry_page_names_a_ledger_account_账户_and_fund_tables_may_break_amounts(client, make):
    """Words people read: a ledger account is 账户 (账号 is a login); amounts in table cells may
    break after the currency sign, so they are never cut at 360px."""
    from sqlalchemy import select as _select

    from models import JournalEntry
    from tests.factories import posted_sale

    order = posted_sale(make)
    seq = db.session.scalar(_select(JournalEntry.seq).where(JournalEntry.order_id == order.id))
    client.get("/lang/zh_Hans")
    main = client.get(f"/ledger/entries/{seq}").get_data(as_text=True).split('<main id="main">')[1]
    assert "账户" in main and "账号" not in main
    client.get("/lang/en")
    fund = client.get(f"/fund/{order.home.slug}").get_data(as_text=True)
    assert "CN¥<wbr>" in fund and 'class="fund-entries"' in fund
