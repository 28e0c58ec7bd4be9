"""Proofs that prove: the leaf hash recomputed from the entry's content, inclusion proofs at any
past size, consistency proofs that name the signed heads, and the page that checks a saved head."""

import json

import pytest

from market.ledger import merkle
from tests.factories import posted_sale
from tests.ledger.test_verify import tamper

pytestmark = pytest.mark.usefixtures("no_search_sync")


def test_a_changed_entry_fails_its_proof_on_the_page_and_in_json(make, client, english):
    for _ in range(3):
        posted_sale(make)
    assert "The inclusion proof checks out." in client.get("/ledger/entries/2").get_data(as_text=True)
    tamper("UPDATE ledger_entries SET memo = 'changed' WHERE seq = 2", "ledger_entries")
    data = client.get("/ledger/entries/2?format=json").get_json()
    assert not data["content_matches_hash"] and data["leaf_hash_recomputed"] != data["leaf_hash"]
    proof = client.get("/ledger/entries/2/proof").get_json()
    assert proof["verified"] is False and proof["leaf_hash"] == data["leaf_hash_recomputed"]
    page = client.get("/ledger/entries/2").get_data(as_text=True)
    assert "changed after posting" in page and "The inclusion proof fails." in page
    assert client.get("/ledger/entries/1/proof").get_json()["verified"] is True


def test_inclusion_proof_against_any_past_size(make, client):
    for _ in range(5):
        posted_sale(make)
    heads = {h["size"]: h for h in client.get("/ledger/heads?format=json").get_json()["heads"]}
    for size in (2, 3, 5):
        proof = client.get(f"/ledger/entries/2/proof?size={size}").get_json()
        assert proof["tree_size"] == size and proof["root"] == heads[size]["root"]
        assert proof["signed_head"]["signature"] == heads[size]["signature"]
        assert merkle.verify_inclusion(1, size, bytes.fromhex(proof["leaf_hash"]),
                                       [bytes.fromhex(h) for h in proof["audit_path"]],
                                       bytes.fromhex(heads[size]["root"]))
    assert client.get("/ledger/entries/3/proof?size=2").status_code == 400
    assert client.get("/ledger/entries/3/proof?size=99").status_code == 400
    assert client.get("/ledger/entries/3/proof?size=x").status_code == 400


def test_consistency_names_the_signed_heads(make, client):
    for _ in range(4):
        posted_sale(make)
    data = client.get("/ledger/consistency?first=2&second=4").get_json()
    assert data["first_head"]["size"] == 2 and data["second_head"]["size"] == 4
    assert data["first_head"]["root"] == data["root_first"] and data["second_head"]["signature"]


def test_check_a_saved_head_page(make, client, english):
    posted_sale(make)
    saved = client.get("/ledger/tree-head").get_json()
    posted_sale(make)
    page = client.get("/ledger/check", query_string={"head": json.dumps(saved)}).get_data(as_text=True)
    assert "extends the head you saved" in page and "carries our valid signature" in page
    forged = dict(saved, root="00" * 32)
    page = client.get("/ledger/check", query_string={"head": json.dumps(forged)}).get_data(as_text=True)
    assert "does NOT extend" in page and "no valid signature" in page
    page = client.get("/ledger/check", query_string={"head": "not json"})
    assert page.status_code == 200 and "That is not a tree head" in page.get_data(as_text=True)
    assert client.get("/ledger/check").status_code == 200


def test_the_streamed_export_of_every_home_carries_each_lines_kind_amount_and_rates(make, client):
    from market.ledger.export import entries_as_json

    orders = [posted_sale(make) for _ in range(2)]
    streamed = json.loads(client.get("/ledger/export.json").get_data(as_text=True))
    built = entries_as_json()
    streamed.pop("generated_at"), built.pop("generated_at")
    assert streamed == built and streamed["complete"] and streamed["tree_head"]["signature"]
    line = orders[0].lines[0]
    facts = streamed["entries"][0]["lines"][str(line.id)]
    assert facts == {"kind": line.kind, "amount_fen": line.amount_fen, "care_share_bps": line.care_share_bps,
                     "incentive_bps": line.incentive_bps, "platform_fee_bps": line.platform_fee_bps}


def test_printed_statement_and_receipt_carry_the_signed_head_and_a_qr_code(make, client, english):
    from market import clock
    from models import Home, db

    order = posted_sale(make)
    home = db.session.get(Home, order.lines[0].home_id)
    head = client.get("/ledger/tree-head").get_json()
    today = clock.local_today()
    page = client.get(f"/fund/{home.slug}/statement/{today.year}-{today.month}").get_data(as_text=True)
    assert head["root"] in page and "<svg" in page and "/ledger/heads" in page
    url = f"/fund/{home.slug}/statement/{today.year - 1}-{today.month}"
    last_year = client.get(url).get_data(as_text=True)
    assert "No signed tree head was issued" in last_year
    from market.ledger.public import order_paper_trail

    trail = order_paper_trail(order.id)
    assert trail["seq"] == 1 and trail["short"].startswith(f"#1 {head['root'][:16]}")
