"""tools/verify_export.py, the stdlib-only script outsiders run on a ledger export: it accepts
real exports written by the app (complete, and one home's partial export with audit paths) and
refuses every kind of tampering with exit status 1.

The script runs as an outsider would run it: a separate Python process with no site-packages
(`-I -S`), so it cannot lean on the market's code or on any installed package.
"""

import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from market import hooks
from market.ledger.export import entries_as_json
from market.ledger.fund_entries import post_donation
from models import Order, OrderLine, Payment, Refund, db, utcnow

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"


@pytest.fixture(autouse=True)
def _no_search_sync(app):
    app.config["SEARCH_SYNC"] = False  # the search index is not what this file tests


def _paid_order(make, home, listing, amounts=(6000, 1800)) -> Order:
    n = make._next()
    order = Order(reference=f"V{n:05d}", idempotency_token=f"verify-{n}", home_id=home.id, status="paid",
                  total_fen=sum(amounts), contact_name="Buyer", contact_phone="13800000000", paid_at=utcnow())
    for amount in amounts:
        order.lines.append(OrderLine(
            home_id=home.id, listing_id=listing.id, kind=listing.kind, title=listing.title_zh, quantity=1,
            unit_price_fen=amount, amount_fen=amount, care_share_bps=2000, incentive_bps=500,
            platform_fee_bps=500))
    db.session.add(order)
    db.session.flush()
    hooks.order_paid.send(order)  # the ledger posts the sale entry through its receiver
    db.session.commit()
    return order


def _settled_refund(order: Order, fen: int) -> None:
    payment = Payment(order_id=order.id, provider="offline", amount_fen=order.total_fen, status="succeeded")
    db.session.add(payment)
    db.session.flush()
    line = order.lines[0]
    refund = Refund(payment_id=payment.id, order_id=order.id, idempotency_key=f"verify-refund-{order.id}",
                    status="succeeded", amount_fen=fen, lines_json=json.dumps({str(line.id): fen}),
                    settled_at=utcnow())
    db.session.add(refund)
    db.session.flush()
    hooks.refund_settled.send(refund)
    db.session.commit()


@pytest.fixture
def books(make, client):
    """Seven entries over two homes: five sales, a refund, a donation with a Chinese memo.
    Returns the complete export and the second home's partial export (as /fund serves it)."""
    first, second = make.home(), make.home()
    tea = make.listing(first, "produce", title_zh="绿茶")
    paper = make.listing(second, "craft", title_zh="宣纸")
    orders = [_paid_order(make, first, tea) for _ in range(4)]
    _paid_order(make, second, paper, amounts=(12345,))
    _settled_refund(orders[1], 1234)
    post_donation(home_id=second.id, amount_fen=999, donation_id=1, memo="捐赠 · 匿名")
    db.session.commit()
    complete = entries_as_json()
    response = client.get(f"/fund/{second.slug}/entries.json")
    assert response.status_code == 200
    partial = json.loads(response.get_data(as_text=True))
    assert complete["complete"] and [e["seq"] for e in complete["entries"]] == list(range(1, 8))
    assert not partial["complete"] and [e["seq"] for e in partial["entries"]] == [5, 7]
    return complete, partial


def run_tool(tmp_path: Path, export, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "export.json"
    if isinstance(export, str):
        path.write_text(export, encoding="utf-8")
    else:
        path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([sys.executable, "-I", "-S", str(TOOL), *args, str(path)],
                          capture_output=True, text=True, timeout=60)


def refused(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


def rehash(entry: dict) -> None:
    """What a forger would do after changing a leaf: write its new hash beside it."""
    data = json.dumps(entry["leaf"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    entry["leaf_hash"] = hashlib.sha256(b"\x00" + data.encode("utf-8")).hexdigest()


def test_real_exports_pass(books, tmp_path):
    complete, partial = books
    root = complete["tree_head"]["root"]
    assert partial["tree_head"]["root"] == root
    result = run_tool(tmp_path, complete)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: complete export, 7 entries")
    assert f"size 7, root {root}" in result.stdout
    result = run_tool(tmp_path, partial)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: partial export, 2 entries")
    assert f"size 7, root {root}" in result.stdout
    result = run_tool(tmp_path, partial, "--root", root.upper())
    assert result.returncode == 0, result.stderr


def test_an_empty_log_exports_and_verifies(app, tmp_path):
    result = run_tool(tmp_path, entries_as_json())
    assert result.returncode == 0, result.stderr
    assert f"size 0, root {hashlib.sha256(b'').hexdigest()}" in result.stdout


def _one_fen_more(export):
    export["entries"][2]["leaf"]["postings"][0]["amount"] += 1


def _one_fen_moved(export):  # still balanced, so only the hash can tell
    postings = export["entries"][2]["leaf"]["postings"]
    postings[0]["amount"] += 1
    postings[1]["amount"] -= 1


def _one_fen_moved_and_rehashed(export):  # the leaf and its hash agree: only the root can tell
    _one_fen_moved(export)
    rehash(export["entries"][2])


def _unbalanced_and_rehashed(export):
    _one_fen_more(export)
    rehash(export["entries"][2])


def _memo(export):
    export["entries"][5]["leaf"]["memo"] = "Refund of nothing"


def _memo_rehashed(export):
    _memo(export)
    rehash(export["entries"][5])


def _deleted(export):
    del export["entries"][3]


def _deleted_last(export):  # the head shrunk to match, so only the recorded root can tell
    export["entries"].pop()
    export["tree_head"]["size"] -= 1


def _wrong_root(export):
    root = export["tree_head"]["root"]
    export["tree_head"]["root"] = ("0" if root[0] != "0" else "1") + root[1:]


def _seq_renumbered(export):
    export["entries"][1]["seq"] = 9


def cases(*pairs):
    return [pytest.param(tamper, words, id=tamper.__name__.strip("_")) for tamper, words in pairs]


@pytest.mark.parametrize("tamper, words", cases(
    (_one_fen_more, ["entry 3: contents do not match its hash", "entry 3 does not balance", "sum to 1"]),
    (_one_fen_moved, ["entry 3: contents do not match its hash"]),
    (_one_fen_moved_and_rehashed, ["does not match the tree head's root"]),
    (_unbalanced_and_rehashed, ["entry 3 does not balance"]),
    (_memo, ["entry 6: contents do not match its hash"]),
    (_memo_rehashed, ["does not match the tree head's root"]),
    (_deleted, ["without seq 4"]),
    (_deleted_last, ["does not match the tree head's root"]),
    (_wrong_root, ["does not match the tree head's root"]),
    (_seq_renumbered, ["entry 9: its leaf says seq 2"]),
))
def test_a_tampered_complete_export_is_refused(books, tmp_path, tamper, words):
    export = copy.deepcopy(books[0])
    tamper(export)
    refused(run_tool(tmp_path, export), *words)


def _path_hash_changed(export):
    path = export["entries"][0]["inclusion_proof"]
    path[0] = ("0" if path[0][0] != "0" else "1") + path[0][1:]


def _path_shortened(export):
    export["entries"][0]["inclusion_proof"].pop()


def _path_missing(export):
    del export["entries"][1]["inclusion_proof"]


def _leaf_forged_and_rehashed(export):  # a consistent leaf and hash, but not the one in the log
    export["entries"][1]["leaf"]["postings"][0]["amount"] += 100
    export["entries"][1]["leaf"]["postings"][1]["amount"] -= 100
    rehash(export["entries"][1])


def _called_complete(export):  # the partial export passed off as the whole log
    export["complete"] = True


@pytest.mark.parametrize("tamper, words", cases(
    (_path_hash_changed, ["entry 5: its inclusion proof does not lead to the tree head's root"]),
    (_path_shortened, ["entry 5: its inclusion proof does not lead"]),
    (_path_missing, ["entry 7: a partial export needs its inclusion_proof"]),
    (_leaf_forged_and_rehashed, ["entry 7: its inclusion proof does not lead"]),
    (_wrong_root, ["entry 5: its inclusion proof does not lead", "entry 7: its inclusion proof"]),
    (_called_complete, ["without seq 1, 2, 3, 4, 6"]),
))
def test_a_tampered_partial_export_is_refused(books, tmp_path, tamper, words):
    export = copy.deepcopy(books[1])
    tamper(export)
    refused(run_tool(tmp_path, export), *words)


def test_a_root_other_than_the_one_trusted_is_refused(books, tmp_path):
    complete, _partial = books
    other = hashlib.sha256(b"a head saved elsewhere").hexdigest()
    refused(run_tool(tmp_path, complete, "--root", other), "is not the root you gave")


@pytest.mark.parametrize("text, words", [
    pytest.param("{not json", ["cannot read"], id="not-json"),
    pytest.param(json.dumps({"format": "something-else/2"}), ["unknown format"], id="other-format"),
    pytest.param(json.dumps({"format": "mutual-aid-ledger/1", "entries": []}), ["no tree head"],
                 id="no-head"),
])
def test_what_is_not_an_export_is_refused(app, tmp_path, text, words):
    refused(run_tool(tmp_path, text), *words)


def test_the_tools_merkle_code_agrees_with_the_ledgers():
    """Every tree size up to 70 and every leaf in it: the script's root and audit-path check agree
    with market/ledger/merkle.py, which the app's proofs come from."""
    import importlib.util

    from market.ledger import merkle

    spec = importlib.util.spec_from_file_location("verify_export", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    leaves = [merkle.leaf_hash(str(n).encode()) for n in range(70)]
    tree = merkle.MerkleTree(leaves)
    for size in range(71):
        root = tree.root(size)
        assert tool.tree_root(leaves[:size]) == root
        for index in range(size):
            path = tree.inclusion_proof(index, size)
            assert tool.root_from_path(index, size, leaves[index], path) == root
            assert tool.root_from_path(index, size, leaves[index], path + [root]) is None
            if path:
                assert tool.root_from_path(index, size, leaves[index], path[:-1]) != root
