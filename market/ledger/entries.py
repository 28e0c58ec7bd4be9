"""Every kind of journal entry the market posts, each through `service.post()`.

- Sale (`order:<id>:paid`): debit payments_clearing the order's total; credit, per line,
  the care fund (pending), elder incentive, home operations and the platform fee; the order's
  shipping (one fee per order) all to home operations (share "shipping": no care share, no
  incentive, no fee). An order
  paid to the home offline debits the home's cash instead and adds the fee's
  receivable/payable pair (offline.py); its refunds credit the home's cash.
- Refund (`refund:<id>`): per line in `refund.lines_json`, take back from each share in the
  same proportions (allocation.split_refund), credit payments_clearing the refunded total;
  key 0 (`SHIPPING_LINE`) takes shipping back from home operations.
  The care share comes back from what is still pending for the line, then from the
  available care fund; if the home has already spent it, the platform absorbs the rest
  (processing_costs), so the care fund never goes negative.
- Release (`order:<id>:release`): what is still pending for an order's lines moves to the
  available care fund (see release.py for when).
- Money into and out of the care fund (donations, grants, spending, settlements, reversals):
  fund_entries.py.

None of these commits: they run in the caller's transaction (hook receivers, fund use cases).
"""

from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from market import clock
from market.ledger import accounts as codes
from market.ledger.allocation import AllocationError, split_line, split_refund
from market.ledger.offline import cash_posting, fee_pair, is_offline_order, sale_was_offline
from market.ledger.release import due_orders
from market.ledger.service import LedgerError, account, balance, lock_ledger, post
from models import Order, OrderLine, db
from models.ledger import Account, JournalEntry, Posting
from models.orders import SHIPPING_LINE


def line_shares(line: OrderLine) -> dict[str, int]:
    """What each share received for a line (the receipt shows this split)."""
    return split_line(
        line.amount_fen, line.care_share_bps, line.incentive_bps or 0, line.platform_fee_bps or 0
    )


def _share_postings(line: OrderLine, shares: dict[str, int], commodity: str, sign: int) -> list:
    rows = []
    for share, amount in shares.items():
        if amount == 0:
            continue
        code = codes.share_code(share, line.elder_id)  # an elder's incentive: their own account
        owner = None if share in codes.PLATFORM_SHARES else line.home_id
        rows.append((account(owner, code, commodity), sign * amount, line.id, share))
    return rows


def _entry_home(lines) -> int | None:
    homes = {line.home_id for line in lines}
    return homes.pop() if len(homes) == 1 else None


def shipping_posting(home_id: int, amount: int, commodity: str) -> tuple:
    """An order's shipping to the home's operations (credit −, a refund taking it back +): the
    home pays the carrier, so no care share, no incentive and no platform fee (it earns nothing)."""
    return (account(home_id, codes.HOME_OPERATIONS, commodity), amount, None, codes.SHARE_SHIPPING)


def post_order_paid(order) -> JournalEntry | None:
    key = f"order:{order.id}:paid"  # post() refuses a key already taken
    commodity = order.currency or "CNY"
    lines = [line for line in order.lines if line.amount_fen > 0]
    shipping = order.shipping_fen or 0
    if not lines and not shipping:
        return None
    if shipping and order.home_id is None:
        raise LedgerError(_("An order's shipping belongs to one home."))
    offline = is_offline_order(order)  # the home holds the money (offline.py)
    postings = []
    for line in lines:
        shares = line_shares(line)
        postings += _share_postings(line, shares, commodity, -1)
        if offline:
            postings += fee_pair(line.home_id, shares[codes.SHARE_FEE], commodity, line.id, -1)
    if shipping:
        postings.append(shipping_posting(order.home_id, -shipping, commodity))
    total = sum(line.amount_fen for line in lines) + shipping
    entry_home = _entry_home(lines) if lines else order.home_id
    if shipping and entry_home != order.home_id:
        raise LedgerError(_("An order paid to a home holds that home's lines only."))
    if offline:
        home_id = entry_home
        if home_id is None:
            raise LedgerError(_("An order paid to a home holds that home's lines only."))
        postings.insert(0, cash_posting(home_id, total, commodity))
    else:
        postings.insert(0, (account(None, codes.PAYMENTS_CLEARING, commodity), total, None,
                            codes.SHARE_TOTAL))
    return post(
        kind="sale",
        idempotency_key=key,
        memo=f"Order {order.reference} paid",
        home_id=entry_home,
        commodity=commodity,
        occurred_at=order.paid_at,
        order_id=order.id,
        postings=postings,
    )


def _line_share_sums(line_ids, kinds: tuple[str, ...]) -> dict[tuple[int, str], int]:
    """Sum of posted amounts per (line, share) over entries of the given kinds."""
    if not line_ids:
        return {}
    rows = db.session.execute(
        select(Posting.order_line_id, Posting.share, func.sum(Posting.amount))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.order_line_id.in_(line_ids), JournalEntry.kind.in_(kinds))
        .group_by(Posting.order_line_id, Posting.share)
    ).all()
    return {(line_id, share): int(total) for line_id, share, total in rows}


def pending_by_line(line_ids) -> dict[int, int]:
    """Care-fund income still pending per line (positive fen)."""
    if not line_ids:
        return {}
    rows = db.session.execute(
        select(Posting.order_line_id, func.sum(Posting.amount))
        .join(Account, Account.id == Posting.account_id)
        .where(Posting.order_line_id.in_(line_ids), Account.code == codes.CARE_PENDING)
        .group_by(Posting.order_line_id)
    ).all()
    return {line_id: -int(total) for line_id, total in rows}


def _shipping_left(order_id: int, shipping_fen: int) -> int:
    """The order's shipping not yet taken back by refund entries."""
    back = db.session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(JournalEntry.order_id == order_id, JournalEntry.kind == "refund",
               Posting.share == codes.SHARE_SHIPPING))
    return (shipping_fen or 0) - int(back or 0)


def _parse_refund_lines(refund) -> dict[int, int]:
    try:
        raw = json.loads(refund.lines_json or "{}")
        amounts = {int(k): v for k, v in raw.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise LedgerError(_("The refund's split over order lines is unreadable.")) from exc
    for amount in amounts.values():
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise LedgerError(_("Refund amounts must be whole, non-negative fen."))
    return {k: v for k, v in amounts.items() if v}


def post_refund(refund) -> JournalEntry | None:
    key = f"refund:{refund.id}"
    if db.session.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == key)):
        return None
    amounts = _parse_refund_lines(refund)
    if not amounts:
        raise LedgerError(_("A refund must name the order lines it refunds."))
    if sum(amounts.values()) != refund.amount_fen:
        raise LedgerError(_("The refund's lines do not add up to its amount."))
    shipping = amounts.pop(SHIPPING_LINE, 0)
    lines = {
        line.id: line
        for line in db.session.scalars(
            select(OrderLine).where(OrderLine.id.in_(amounts), OrderLine.order_id == refund.order_id)
        )
    }
    if set(lines) != set(amounts):
        raise LedgerError(_("The refund names a line that is not part of its order."))
    lock_ledger()
    commodity = refund.currency or "CNY"
    offline = sale_was_offline(refund.order_id)
    order = db.session.get(Order, refund.order_id)
    home_id = _entry_home(lines.values()) if lines else order.home_id
    if shipping and (home_id != order.home_id or shipping > _shipping_left(order.id, order.shipping_fen)):
        raise LedgerError(_("The refund is more than what is left of the shipping."))
    taken = _line_share_sums(list(lines), ("refund",))
    pending = pending_by_line(list(lines))
    available_left: dict[int, int] = {}
    postings = []
    for line_id in sorted(amounts):
        line = lines[line_id]
        shares = line_shares(line)
        refunded = {s: taken.get((line_id, s), 0) for s in codes.SHARES}
        try:
            back = split_refund(shares, refunded, amounts[line_id])
        except AllocationError as exc:
            raise LedgerError(_("The refund is more than what is left of the line.")) from exc
        for share, amount in back.items():
            if amount == 0:
                continue
            if share != codes.SHARE_CARE:
                owner = None if share in codes.PLATFORM_SHARES else line.home_id
                postings.append(
                    (account(owner, codes.share_code(share, line.elder_id), commodity), amount, line_id,
                     share)
                )
                if offline and share == codes.SHARE_FEE:
                    postings += fee_pair(line.home_id, amount, commodity, line_id, +1)
                continue
            # Care fund: from pending first, then available, then the platform absorbs it.
            from_pending = min(amount, pending.get(line_id, 0))
            if from_pending:
                postings.append(
                    (account(line.home_id, codes.CARE_PENDING, commodity), from_pending, line_id, share)
                )
                pending[line_id] -= from_pending
            rest = amount - from_pending
            if rest:
                avail = account(line.home_id, codes.CARE_AVAILABLE, commodity)
                if line.home_id not in available_left:
                    available_left[line.home_id] = balance(avail)
                from_available = min(rest, max(available_left[line.home_id], 0))
                if from_available:
                    postings.append((avail, from_available, line_id, share))
                    available_left[line.home_id] -= from_available
                absorbed = rest - from_available
                if absorbed:
                    postings.append(
                        (account(None, codes.PROCESSING_COSTS, commodity), absorbed, line_id, share)
                    )
    if shipping:
        postings.append(shipping_posting(home_id, shipping, commodity))
    if offline:  # the home hands the cash back
        postings.insert(0, cash_posting(home_id, -refund.amount_fen, commodity))
    else:
        postings.insert(0, (account(None, codes.PAYMENTS_CLEARING, commodity), -refund.amount_fen, None,
                            codes.SHARE_TOTAL))
    return post(
        kind="refund",
        idempotency_key=key,
        memo=f"Refund {refund.id} of order {refund.order_id}",
        home_id=home_id,
        commodity=commodity,
        occurred_at=refund.settled_at,
        order_id=refund.order_id,
        refund_id=refund.id,
        postings=postings,
    )


def post_release(order, occurred_at=None) -> JournalEntry | None:
    """Move what is still pending for the order's lines to the available care fund."""
    key = f"order:{order.id}:release"
    if db.session.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == key)):
        return None
    lock_ledger()
    lines = {line.id: line for line in order.lines}
    pending = pending_by_line(list(lines))
    commodity = order.currency or "CNY"
    postings = []
    for line_id, amount in sorted(pending.items()):
        if amount <= 0:
            continue
        home_id = lines[line_id].home_id
        postings.append((account(home_id, codes.CARE_PENDING, commodity), amount, line_id, codes.SHARE_CARE))
        postings.append(
            (account(home_id, codes.CARE_AVAILABLE, commodity), -amount, line_id, codes.SHARE_CARE)
        )
    if not postings:
        return None
    return post(
        kind="release",
        idempotency_key=key,
        memo=f"Order {order.reference}: care fund released",
        home_id=_entry_home([lines[i] for i in pending]),
        commodity=commodity,
        occurred_at=occurred_at,
        order_id=order.id,
        postings=postings,
    )


def release_due(now: datetime | None = None, home_id: int | None = None) -> int:
    """Post release entries for every order now due (optionally one home's); returns how many."""
    count = 0
    for order, when in due_orders(now or clock.now(), home_id):
        if post_release(order, occurred_at=when) is not None:
            count += 1
    return count
