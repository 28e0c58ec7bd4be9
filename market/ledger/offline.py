"""Offline sales as they really flow: the buyer paid the home (cash, a transfer to the village
account), so the home holds the money, not the platform.

An offline sale is booked as one entry whose home part and platform part each balance:

    home:      Dr home_cash  total          (the money is in the home's hands)
               Cr care_fund:pending, elder_incentive, home_operations   (the home's shares)
               Cr fees_payable  fee         (the home owes the platform its fee)
    platform:  Dr fees_receivable  fee      (the platform is owed the fee)
               Cr fee_revenue  fee

A refund of an offline sale is the mirror: the shares come back as for any refund, the cash
goes out of `home_cash` (the home hands it back) and the fee comes off the receivable/payable
pair. The monthly settlement (`post_month_settlement`, `market/fund/month_settlements.py`)
clears a month's pair against what the platform owes the home from online sales that month.

Which sales were offline: an order paid through the `offline` provider (its succeeded payment);
a refund follows how its order's sale was booked (a `home_cash` posting in the sale entry).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from market.ledger import accounts as codes
from market.ledger.service import LedgerError, account, lock_ledger, post
from market.ledger.sums import month_sql
from models import db
from models.ledger import Account, JournalEntry, Posting
from models.payments import Payment

SALE_KINDS = ("sale", "refund")
ELDERS_OWED = "elders"  # month figures: the elders' own incentive accounts together


def is_offline_order(order) -> bool:
    """The order was paid to the home directly (offline provider)."""
    return db.session.scalar(select(Payment.id).where(
        Payment.order_id == order.id, Payment.provider == "offline", Payment.status == "succeeded",
    ).limit(1)) is not None


def sale_was_offline(order_id: int) -> bool:
    """The order's sale entry was booked as an offline sale (the home holds the money)."""
    return db.session.scalar(
        select(Posting.id).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(JournalEntry.order_id == order_id, JournalEntry.kind == "sale",
               Account.code == codes.HOME_CASH).limit(1)
    ) is not None


def fee_pair(home_id: int, fee: int, commodity: str, line_id, sign: int) -> list:
    """The fee as the home's payable and the platform's receivable (sign -1: a sale, +1: a
    refund giving the fee back)."""
    if fee == 0:
        return []
    return [
        (account(home_id, codes.FEES_PAYABLE, commodity), sign * fee, line_id, codes.SHARE_FEE),
        (account(None, codes.FEES_RECEIVABLE, commodity), -sign * fee, line_id, codes.SHARE_FEE),
    ]


def cash_posting(home_id: int, amount: int, commodity: str) -> tuple:
    """The clearing side of an offline sale (+) or refund (-): the home's own cash."""
    return (account(home_id, codes.HOME_CASH, commodity), amount, None, codes.SHARE_TOTAL)


# ---- the monthly settlement between a home and the platform --------------------------------

def _month_sum(home_id: int, month: str, code_list, *, online_only: bool, commodity: str) -> dict[str, int]:
    """{code: credit balance moved in `month`} of the home's accounts by sale and refund
    entries (of online sales only: entries with a payments_clearing posting)."""
    entry_month = month_sql(JournalEntry.occurred_at)
    which = Account.code.in_(code_list)
    if ELDERS_OWED in code_list:
        which = which | Account.code.startswith(codes.ELDER_PREFIX, autoescape=True)
    query = (
        select(Account.code, func.coalesce(func.sum(Posting.amount), 0))
        .select_from(Posting)
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Account.home_id == home_id, Account.commodity == commodity, which,
               JournalEntry.kind.in_(SALE_KINDS), entry_month == month)
        .group_by(Account.code)
    )
    if online_only:
        clearing = (
            select(Posting.id).join(Account, Account.id == Posting.account_id)
            .where(Posting.entry_id == JournalEntry.id, Account.code == codes.PAYMENTS_CLEARING)
        )
        query = query.where(exists(clearing))
    result: dict[str, int] = {}
    for code, total in db.session.execute(query):
        # The elders' own incentive accounts count together (ELDERS_OWED).
        key = ELDERS_OWED if codes.is_elder_code(code) else code
        result[key] = result.get(key, 0) - int(total)
    return result


def month_figures(home_id: int, month: str, commodity: str = "CNY") -> dict[str, int]:
    """What a month's settlement clears: `fees` the home owes for offline sales of the month (net
    of fees given back on offline refunds; may be negative), `operations` and `incentive` the
    platform owes the home from online sales of the month (net of refunds; never below zero),
    and `net` = fees - operations - incentive: above zero the home pays the platform, below zero
    the platform pays the home. `incentive` is `pooled` (lines naming no elder) plus `elders`
    (the elders' own accounts, summed)."""
    fees = _month_sum(home_id, month, (codes.FEES_PAYABLE,), online_only=False,
                      commodity=commodity).get(codes.FEES_PAYABLE, 0)
    online = _month_sum(home_id, month, (codes.HOME_OPERATIONS, codes.ELDER_INCENTIVE, ELDERS_OWED),
                        online_only=True, commodity=commodity)
    operations = max(0, online.get(codes.HOME_OPERATIONS, 0))
    pooled = max(0, online.get(codes.ELDER_INCENTIVE, 0))
    elders = max(0, online.get(ELDERS_OWED, 0))
    return {"fees": fees, "operations": operations, "incentive": pooled + elders, "pooled": pooled,
            "elders": elders, "net": fees - operations - pooled - elders}


def month_settlement_postings(home_id: int, fees: int, operations: int, incentive: int,
                              commodity: str = "CNY", elders: int = 0) -> list:
    """One balanced set of postings for a settlement (plain arithmetic, property-tested):
    the fee pair is cleared, what the platform owed from online sales is marked paid out, and
    the difference moves between the home's cash and the platform's clearing account.

    `incentive` is the pooled incentive (settled as the operations share). `elders` is the
    elders' own incentive the platform hands over: only the money moves (a cash/clearing pair
    tagged share "incentive"); the elders' accounts stay as they are until the home pays each
    elder (a signed-off payout, market/fund/elder_pay.py), so nobody's claim is lost on the way."""
    net = fees - operations - incentive
    rows = [
        (account(home_id, codes.FEES_PAYABLE, commodity), fees),
        (account(None, codes.FEES_RECEIVABLE, commodity), -fees),
        (account(home_id, codes.HOME_OPERATIONS, commodity), operations),
        (account(home_id, codes.ELDER_INCENTIVE, commodity), incentive),
        (account(home_id, codes.SETTLEMENTS_PAID, commodity), -(operations + incentive)),
        # net > 0: the home hands over cash, the platform receives it; net < 0: the reverse.
        (account(home_id, codes.HOME_CASH, commodity), -net),
        (account(None, codes.PAYMENTS_CLEARING, commodity), net),
    ]
    rows = [row for row in rows if row[1] != 0]
    if elders:
        rows += [(account(home_id, codes.HOME_CASH, commodity), elders, None, codes.SHARE_INCENTIVE),
                 (account(None, codes.PAYMENTS_CLEARING, commodity), -elders, None, codes.SHARE_INCENTIVE)]
    return rows


def post_month_settlement(*, home_id: int, month: str, settlement_id: int, fees: int, operations: int,
                          incentive: int, memo: str, occurred_at: datetime | None = None,
                          commodity: str = "CNY", elders: int = 0) -> JournalEntry | None:
    """The settlement of `month` between a home and the platform, once per home and month
    (key `month_settlement:<home>:<YYYY-MM>`). Never commits."""
    if operations < 0 or incentive < 0 or elders < 0:
        raise LedgerError(_("What the platform owes the home cannot be below zero."))
    lock_ledger()
    rows = month_settlement_postings(home_id, fees, operations, incentive, commodity, elders)
    if not rows:
        raise LedgerError(_("There is nothing to settle for this month."))
    return post(
        kind="settlement", idempotency_key=f"month_settlement:{home_id}:{month}", memo=memo,
        home_id=home_id, commodity=commodity, occurred_at=occurred_at, source_type="month_settlement",
        source_id=settlement_id, category="month", postings=rows,
    )
