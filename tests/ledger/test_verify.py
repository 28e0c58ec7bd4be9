"""`flask ledger verify` passes on honest books and names the first entry changed behind the ORM."""

import json
from datetime import date

import pytest
from sqlalchemy import text

from market import hooks
from market.ledger import fund_entries, log
from market.ledger.cli import ledger_cli
from market.ledger.verify import verify_ledger
from models import Disbursement, Donation, db
from tests.factories import posted_sale, refund_rows

pytestmark = pytest.mark.usefixtures("no_search_sync")


def fund_rows(make, home_id):
    """A donation received and a disbursement approved, as rows (the cross-checks want them)."""
    donation = Donation(reference=f"DV{make._next()}", home_id=home_id, amount_fen=8800, status="received")
    spending = Disbursement(home_id=home_id, category="meals", amount_fen=5000, payee="Canteen",
                            spent_on=date(2026, 11, 2), proposed_by_id=make.user().id, status="approved",
                            receipt_path="r.pdf", receipt_content_type="application/pdf")
    db.session.add_all([donation, spending])
    db.session.flush()
    return donation, spending


def books(make):
    orders = [posted_sale(make) for _ in range(3)]
    hooks.refund_settled.send(refund_rows(orders[1], {orders[1].lines[0].id: 2500}))
    home_id = orders[0].lines[0].home_id
    donation, spending = fund_rows(make, home_id)
    fund_entries.post_donation(home_id=home_id, amount_fen=8800, donation_id=donation.id, memo="Donation")
    db.session.commit()
    fund_entries.post_disbursement(
        home_id=home_id, amount_fen=5000, disbursement_id=spending.id, category="meals", memo="Rice"
    )
    db.session.commit()
    return orders


def tamper(statement: str, table: str):
    """What a DBA could do: change a row with raw SQL, bypassing the ORM (and, on PostgreSQL,
    the append-only trigger, disabled and re-enabled inside the same transaction)."""
    db.session.remove()
    with db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        conn.execute(text(statement))
        if pg:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))


def run_cli(app):
    return app.test_cli_runner().invoke(ledger_cli, ["verify"])


def test_honest_books_verify(make, app):
    books(make)
    report = verify_ledger()
    assert report.ok, [str(p) for p in report.problems]
    assert report.entries == 6 and report.heads == 6  # one head per commit that posted
    assert report.root == log.latest_head().root
    result = run_cli(app)
    assert result.exit_code == 0 and "OK: 6 entries" in result.output


def test_changed_amount_is_caught(make, app):
    books(make)
    tamper(
        "UPDATE ledger_postings SET amount = amount - 100 WHERE id = "
        "(SELECT MIN(p.id) FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id "
        "WHERE e.seq = 2)",
        "ledger_postings",
    )
    report = verify_ledger()
    assert not report.ok
    assert report.first_problem.seq == 2
    result = run_cli(app)
    assert result.exit_code == 1
    assert "entry seq 2" in result.output


def test_balanced_change_is_caught_by_the_leaf_hash(make, app):
    books(make)
    # Move 100 fen from one posting of entry 3 to another: the entry still sums to zero.
    tamper(
        "UPDATE ledger_postings SET amount = amount + CASE WHEN id = "
        "(SELECT MIN(p.id) FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id "
        "WHERE e.seq = 3) THEN -100 ELSE 100 END "
        "WHERE id IN (SELECT p.id FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id "
        "WHERE e.seq = 3 ORDER BY p.id LIMIT 2)",
        "ledger_postings",
    )
    report = verify_ledger()
    assert report.first_problem.seq == 3
    assert "leaf hash" in str(report.first_problem)


def test_changed_memo_is_caught(make, app):
    books(make)
    tamper("UPDATE ledger_entries SET memo = 'nothing to see' WHERE seq = 5", "ledger_entries")
    report = verify_ledger()
    assert report.first_problem.seq == 5
    result = run_cli(app)
    assert result.exit_code == 1 and "entry seq 5" in result.output


def test_rewritten_leaf_hash_breaks_the_tree_heads(make, app):
    books(make)
    # A careful forger recomputes the leaf hash too: the recorded roots still expose it.
    from market.ledger.canonical import entry_leaf_object, leaf_hash_hex
    from market.ledger.service import entry_by_seq

    tamper("UPDATE ledger_entries SET memo = 'forged' WHERE seq = 4", "ledger_entries")
    forged = leaf_hash_hex(entry_leaf_object(entry_by_seq(4)))
    tamper(f"UPDATE ledger_entries SET leaf_hash = '{forged}' WHERE seq = 4", "ledger_entries")
    report = verify_ledger()
    assert not report.ok
    assert report.first_problem.seq == 4
    assert "tree head" in str(report.first_problem)


def test_deleted_entry_is_caught(make, app):
    books(make)
    tamper(
        "DELETE FROM ledger_postings WHERE entry_id = (SELECT id FROM ledger_entries WHERE seq = 6)",
        "ledger_postings",
    )
    tamper("DELETE FROM ledger_entries WHERE seq = 6", "ledger_entries")
    report = verify_ledger()
    assert not report.ok
    assert any("tree head claims 6" in str(p) for p in report.problems)


@pytest.mark.parametrize("statement", ["UPDATE ledger_postings SET amount = 1", "DELETE FROM ledger_entries"])
@pytest.mark.postgres
def test_trigger_blocks_raw_changes_on_postgresql(make, statement):
    books(make)
    db.session.remove()
    with pytest.raises(Exception, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    assert verify_ledger().ok


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_care_sums SET amount = amount - 100 WHERE kind = 'donation'",
    "UPDATE ledger_care_sums SET month = '2001-01' WHERE kind = 'disbursement'",
    "DELETE FROM ledger_care_sums WHERE kind = 'refund'",
    "INSERT INTO ledger_care_sums (home_id, month, kind, sold_kind, category, code, commodity, amount, "
    "entries) SELECT home_id, month, 'grant', '', 'township', code, commodity, -100000, 1 "
    "FROM ledger_care_sums WHERE kind = 'donation'",
])
def test_changed_care_fund_summary_is_caught(make, app, statement):
    """The summary table the fund pages read is not append-only (post() upserts it): verify
    recomputes it from the postings, so a row changed, moved, deleted or added with raw SQL
    shows, while every entry itself still checks out."""
    books(make)
    assert verify_ledger().ok
    db.session.remove()
    with db.engine.begin() as conn:
        assert conn.execute(text(statement)).rowcount >= 1
    report = verify_ledger()
    assert not report.ok
    assert all(p.seq is None and "care-fund summary" in str(p) for p in report.problems)
    result = run_cli(app)
    assert result.exit_code == 1 and "care-fund summary" in result.output


# ---- the audit's tampers beyond one row: times, and the full rewrite ---------------------------

def test_swapped_times_are_caught(make, app):
    books(make)
    tamper("UPDATE ledger_entries SET created_at = (SELECT created_at FROM ledger_entries WHERE seq = 1) "
           "WHERE seq = 4", "ledger_entries")
    tamper("UPDATE ledger_entries SET created_at = (SELECT created_at FROM ledger_entries WHERE seq = 5) "
           "WHERE seq = 1", "ledger_entries")
    report = verify_ledger()
    assert report.first_problem.seq == 1
    assert any("leaf time is earlier" in str(p) for p in report.problems)


def full_rewrite(seq: int, memo: str):
    """What someone with only database access can do: change an entry, recompute its leaf hash,
    drop every tree head from that entry on and record a fresh one (the app signs it on commit)."""
    from market.ledger.canonical import entry_leaf_object, leaf_hash_hex
    from market.ledger.service import entry_by_seq

    tamper(f"UPDATE ledger_entries SET memo = '{memo}' WHERE seq = {seq}", "ledger_entries")
    forged = leaf_hash_hex(entry_leaf_object(entry_by_seq(seq)))
    tamper(f"UPDATE ledger_entries SET leaf_hash = '{forged}' WHERE seq = {seq}", "ledger_entries")
    tamper(f"DELETE FROM ledger_cosignatures WHERE head_id IN (SELECT id FROM ledger_tree_heads "
           f"WHERE size >= {seq})", "ledger_cosignatures")
    tamper(f"DELETE FROM ledger_tree_heads WHERE size >= {seq}", "ledger_tree_heads")
    db.session.remove()
    log.record_tree_head()
    db.session.commit()


def test_full_rewrite_passes_the_books_but_not_a_saved_head(make, app, tmp_path):
    books(make)
    saved = log.head_json(log.latest_head())  # what a witness or a villager kept
    full_rewrite(4, "forged")
    report = verify_ledger()
    assert report.ok, "the rewrite is consistent in itself: only an outside copy can tell"
    # Caught by the head someone saved: signed by the log, and today's log does not extend it.
    path = tmp_path / "saved-head.json"
    path.write_text(json.dumps(saved))
    result = app.test_cli_runner().invoke(ledger_cli, ["verify", "--saved-head", str(path)])
    assert result.exit_code == 1 and "ALARM" in result.output and "size 6" in result.output
    from market.ledger import signing

    message = signing.head_message(saved["log_id"], saved["size"], saved["root"], saved["timestamp"])
    assert signing.verify(signing.public_key_hex(), message, saved["signature"])  # the log can't disown it


def test_unsigned_or_forged_heads_are_caught(make, app):
    books(make)
    tamper("UPDATE ledger_tree_heads SET signature = NULL WHERE size = 3", "ledger_tree_heads")
    tamper("UPDATE ledger_tree_heads SET root = (SELECT root FROM ledger_tree_heads WHERE size = 5), "
           "signature = (SELECT signature FROM ledger_tree_heads WHERE size = 5) WHERE size = 4",
           "ledger_tree_heads")
    messages = [str(p) for p in verify_ledger().problems]
    assert any("size 3 is not signed" in m for m in messages)
    assert any("signature of the tree head of size 4 does not check" in m for m in messages)


# ---- cross-checks against the operational records ---------------------------------------------

def test_books_are_checked_against_orders_refunds_and_disbursements(make, app):
    from tests.factories import order_rows

    orders = books(make)
    assert verify_ledger().ok
    order_rows(make)  # paid, but the ledger never heard of it
    refund = refund_rows(orders[2], {orders[2].lines[0].id: 100})  # settled, never posted
    home_id = orders[0].lines[0].home_id
    _donation, spending = fund_rows(make, home_id)
    spending.status = "approved"  # approved, never posted
    fund_entries.post_grant(home_id=home_id, amount_fen=700, grant_id=999, source="township", memo="")
    db.session.commit()
    messages = [str(p) for p in verify_ledger().problems]
    assert any("paid orders without a sale entry" in m for m in messages)
    assert any(f"succeeded refunds without a refund entry: {refund.id}" in m for m in messages)
    assert any(f"approved disbursements without an entry: {spending.id}" in m for m in messages)
    assert any("naming a grant that does not exist: seq 7" in m for m in messages)
