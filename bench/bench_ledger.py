"""The ledger at 100,000 order-paid entries: posting and verification rates.

For each database (SQLite file; PostgreSQL on a fresh schema of postgresql:///test, dropped
after, unless BENCH_PG=0): create N paid orders of one line each (bulk rows; orders are not
what is measured). The first POSTED orders' sale entries go through the real hook path
(`hooks.order_paid` → `post_order_paid` → `post()`), committing every BATCH orders (a tree
head is recorded with each commit): that is the posting rate. The rest are written in bulk
with exactly the rows post() writes (same split, canonical bytes, leaf hashes, seq), because
post() through the ORM would take far too long for 100,000 entries on a shared machine; then
`verify_ledger()` (what `flask ledger verify` runs) checks all N, which proves the bulk rows
are equivalent. Set LEDGER_BENCH_N / LEDGER_BENCH_POSTED for a quicker or longer run.

Beside verify's entries/s it reports what signed heads cost per head: signing one (Ed25519 over
the head's text, what every commit that posted now adds) and a witness's check of one
(tools/witness.py: the head's signature plus a consistency proof from the previous head), in µs.

Target: verification at least 20,000 entries/s.
"""

import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta

N = int(os.environ.get("LEDGER_BENCH_N", 100_000))
POSTED = int(os.environ.get("LEDGER_BENCH_POSTED", 3000))
BATCH = 500
TARGET_VERIFY = 20_000
KINDS = ("tour", "homestay", "produce", "craft")


def _app(url: str, engine_options: dict, tmp: str):
    from market import create_app

    return create_app(
        {
            "TESTING": False,
            "SERVER_NAME": "localhost",
            "INSTANCE_DIR": tmp,
            "SEARCH_SYNC": False,
            "UPLOAD_ROOT": os.path.join(tmp, "uploads"),
            "SEARCH_INDEX_DIR": os.path.join(tmp, "search"),
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        }
    )


def _orders(count: int) -> None:
    from sqlalchemy import insert

    from models import Home, Listing, Order, OrderLine, db

    home = Home(
        slug="bench-home",
        name_zh="基准幸福院",
        name_en="Bench Home",
        province_zh="河北省",
        province_en="Hebei",
        county_zh="肥乡区",
        county_en="Feixiang",
        village_zh="村",
        village_en="Village",
        care_share_bps=2000,
    )
    db.session.add(home)
    db.session.flush()
    listing = Listing(
        home_id=home.id,
        kind="produce",
        slug="bench-millet",
        status="published",
        title_zh="小米",
        title_en="Millet",
        price_fen=5000,
    )
    db.session.add(listing)
    db.session.commit()
    start = datetime.now(UTC) - timedelta(days=365)
    for first in range(1, count + 1, 5000):
        ids = range(first, min(first + 5000, count + 1))
        db.session.execute(
            insert(Order),
            [
                dict(
                    id=i,
                    reference=f"B{i:09d}",
                    idempotency_token=f"bench-{i}",
                    status="paid",
                    provider="offline",
                    total_fen=1000 + i % 9000,
                    currency="CNY",
                    contact_name="Bench Buyer",
                    contact_phone="13800000000",
                    locale="zh_Hans",
                    created_at=start + timedelta(seconds=300 * i),
                    paid_at=start + timedelta(seconds=300 * i),
                )
                for i in ids
            ],
        )
        db.session.execute(
            insert(OrderLine),
            [
                dict(
                    id=i,
                    order_id=i,
                    home_id=home.id,
                    listing_id=listing.id,
                    kind=KINDS[i % 4],
                    title="Millet",
                    quantity=1,
                    unit_price_fen=1000 + i % 9000,
                    amount_fen=1000 + i % 9000,
                    refunded_fen=0,
                    care_share_bps=2000,
                    incentive_bps=500 if i % 3 == 0 else 0,
                    platform_fee_bps=500,
                    holds_inventory=False,
                )
                for i in ids
            ],
        )
        db.session.commit()


def _post_all(count: int) -> float:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from market import hooks
    from models import Order, db

    started = time.perf_counter()
    for first in range(1, count + 1, BATCH):
        orders = db.session.scalars(
            select(Order)
            .where(Order.id >= first, Order.id < min(first + BATCH, count + 1))
            .options(selectinload(Order.lines))
            .order_by(Order.id)
        ).all()
        for order in orders:
            hooks.order_paid.send(order)
        db.session.commit()
        db.session.expunge_all()
    return time.perf_counter() - started


def _bulk_post(first: int, last: int) -> float:
    """Sale entries for orders first..last with the very rows post() would write."""
    from sqlalchemy import insert, select

    from market.ledger import accounts as codes
    from market.ledger.canonical import account_label, leaf_hash_hex, leaf_object
    from market.ledger.entries import line_shares
    from market.ledger.log import record_tree_head
    from market.ledger.service import account
    from market.ledger.sums import rebuild
    from models import Order, OrderLine, db
    from models.ledger import JournalEntry, Posting

    started = time.perf_counter()
    seq = (db.session.scalar(select(db.func.max(JournalEntry.seq))) or 0) + 1
    entry_id = (db.session.scalar(select(db.func.max(JournalEntry.id))) or 0) + 1
    home_id = db.session.scalar(select(OrderLine.home_id).limit(1))
    accts = {
        code: account(home_id, code)
        for code in (codes.CARE_PENDING, codes.ELDER_INCENTIVE, codes.HOME_OPERATIONS)
    }
    accts[codes.FEE_REVENUE] = account(None, codes.FEE_REVENUE)
    clearing = account(None, codes.PAYMENTS_CLEARING)
    db.session.commit()
    for chunk in range(first, last + 1, 5000):
        upto = min(chunk + 5000, last + 1)
        rows = db.session.execute(
            select(Order.id, Order.reference, Order.paid_at, OrderLine)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.id >= chunk, Order.id < upto)
            .order_by(Order.id)
        ).all()
        entries, postings = [], []
        for order_id, reference, paid_at, line in rows:
            shares = line_shares(line)
            rows_p = [(clearing, line.amount_fen, None, codes.SHARE_TOTAL)]
            for share, amount in shares.items():
                if amount:
                    rows_p.append((accts[codes.SHARE_ACCOUNT[share]], -amount, line.id, share))
            now = datetime.now(UTC)
            memo, key = f"Order {reference} paid", f"order:{order_id}:paid"
            obj = leaf_object(
                seq=seq,
                kind="sale",
                key=key,
                memo=memo,
                home_id=home_id,
                commodity="CNY",
                occurred_at=paid_at,
                created_at=now,
                order_id=order_id,
                refund_id=None,
                source_type=None,
                source_id=None,
                category=None,
                postings=[(account_label(a.home_id, a.code), n, ln, sh) for a, n, ln, sh in rows_p],
            )
            entries.append(
                dict(
                    id=entry_id,
                    seq=seq,
                    kind="sale",
                    idempotency_key=key,
                    memo=memo,
                    home_id=home_id,
                    commodity="CNY",
                    occurred_at=paid_at,
                    created_at=now,
                    order_id=order_id,
                    leaf_hash=leaf_hash_hex(obj),
                )
            )
            postings += [
                dict(entry_id=entry_id, account_id=a.id, amount=n, order_line_id=ln, share=sh)
                for a, n, ln, sh in rows_p
            ]
            seq += 1
            entry_id += 1
        db.session.execute(insert(JournalEntry), entries)
        db.session.execute(insert(Posting), postings)
        db.session.commit()
    record_tree_head()
    rebuild()  # the care-fund summary post() keeps, recomputed once for the bulk rows
    db.session.commit()
    return time.perf_counter() - started


def _head_costs(rounds: int = 2000) -> dict:
    """µs per head: signing it, and a witness checking it (signature + consistency proof)."""
    import importlib.util
    from pathlib import Path

    from market.ledger import log, signing
    from models.ledger import TreeHead

    spec = importlib.util.spec_from_file_location(
        "witness_tool", Path(__file__).resolve().parents[1] / "tools" / "witness.py")
    witness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(witness)
    latest = log.latest_head()
    head = TreeHead(size=latest.size, root=latest.root, created_at=latest.created_at)
    started = time.perf_counter()
    for _ in range(rounds):
        signing.sign_head(head)
    sign_us = (time.perf_counter() - started) / rounds * 1e6
    tree = log.current_tree()
    new = log.head_json(head)
    old_size = max(1, latest.size - BATCH)
    old_root = tree.root(old_size)
    proof = tree.consistency_proof(old_size, latest.size)
    public = signing.public_key_hex()
    started = time.perf_counter()
    for _ in range(rounds):
        witness.check_signature(public, new)
        assert witness.verify_consistency(old_size, latest.size, old_root, bytes.fromhex(new["root"]), proof)
    check_us = (time.perf_counter() - started) / rounds * 1e6
    return {"sign_head_us": sign_us, "witness_check_us": check_us}


def _run(label: str, url: str, engine_options: dict) -> dict:
    from models import db

    tmp = tempfile.mkdtemp(prefix="bench-ledger-")
    try:
        app = _app(url, engine_options, tmp)
        with app.app_context():
            db.create_all()
            _orders(N)
            posted = min(POSTED, N)
            posting = _post_all(posted)
            bulk = _bulk_post(posted + 1, N) if N > posted else 0.0
            from market.ledger.verify import verify_ledger

            db.session.remove()
            report = verify_ledger()
            db.session.rollback()
            ok = report.ok and report.entries == N
            print(
                f"{label:<10} post() via hooks.order_paid: {posted:,} entries in {posting:.1f} s = "
                f"{posted / posting:,.0f} entries/s; bulk rows for the other {N - posted:,}: {bulk:.1f} s",
                flush=True,
            )
            print(
                f"{label:<10} verify {report.entries:,} entries ({report.postings:,} postings, "
                f"{report.heads:,} tree heads): {report.seconds:.2f} s = {report.rate:,.0f} entries/s "
                f"{'OK' if ok else 'FAILED: ' + str(report.first_problem)}",
                flush=True,
            )
            costs = _head_costs()
            print(
                f"{label:<10} per head: sign {costs['sign_head_us']:,.0f} µs; a witness's check "
                f"(signature + consistency proof over {BATCH} entries) {costs['witness_check_us']:,.0f} µs",
                flush=True,
            )
            db.session.remove()
            db.engine.dispose()
            return costs | {
                "entries": N,
                "posted_through_post": posted,
                "post_seconds": posting,
                "post_entries_per_s": posted / posting,
                "bulk_seconds": bulk,
                "verify_entries": report.entries,
                "verify_postings": report.postings,
                "verify_tree_heads": report.heads,
                "verify_seconds": report.seconds,
                "verify_entries_per_s": report.rate,
                "verify_ok": ok,
            }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> bool:

    from bench import record
    from bench.pg import in_fresh_schema, search_path

    run = record.Run("ledger", parameters={"entries": N, "posted_through_post": min(POSTED, N),
                                           "commit_every": BATCH})
    print(
        f"Ledger: {N:,} paid orders of one line; {min(POSTED, N):,} posted through post(), commit every "
        f"{BATCH}; target verify >= {TARGET_VERIFY:,} entries/s"
    )
    figures: dict = {}
    tmp = tempfile.mkdtemp(prefix="bench-ledger-db-")
    try:
        figures["sqlite"] = _run("SQLite", f"sqlite:///{tmp}/ledger.sqlite3", {})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if os.environ.get("BENCH_PG", "1") != "0":
        figures["postgresql"] = in_fresh_schema(
            os.environ.get("BENCH_PG_URL", "postgresql:///test"),
            lambda url, schema: _run("PostgreSQL", url, search_path(schema)), prefix="bench_ledger")
    targets = []
    for name, found in figures.items():
        if "skipped" in found:
            continue
        rate = found["verify_entries_per_s"]
        targets.append(record.target(f"verify rate, {name}", f">= {TARGET_VERIFY} entries/s",
                                     rate, rate >= TARGET_VERIFY))
        targets.append(record.target(f"verify passes over every entry, {name}", "true",
                                     found["verify_ok"], found["verify_ok"]))
    run.write(figures, targets)
    return all(t["met"] for t in targets)


if __name__ == "__main__":
    main()
