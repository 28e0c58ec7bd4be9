"""Journal entries for money into and out of a home's care fund, posted by the fund's and the
time bank's use cases, each through `service.post()`.

- Donation (`donation:<id>`): 100% to the available care fund.
- Extra on an offline payment (`order:<id>:extra`, kind "donation", source_type
  "payment_difference"): the buyer paid the home more than the order's total and the home
  recorded why; the extra goes wholly to the available care fund, like a gift. (Less than the
  total needs no entry of its own: the order's lines are scaled down first and the sale entry
  splits what arrived, see market/payments/offline.py.)
- Grant (`grant:<id>`), disbursement (`disbursement:<id>`), a time-bank recognition's cost and
  a settlement paid out to the home, a payout to an elder (`elder_payout:<id>`); a
  reversal (`reversal:<seq>`) takes back a mistaken entry.

None of these commits: they run in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from market.ledger import accounts as codes
from market.ledger.entries import release_due
from market.ledger.service import LedgerError, account, balance, lock_ledger, post
from models import Home, db
from models.ledger import JournalEntry


def _positive_amount(amount_fen) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise LedgerError(_("The amount must be a positive number of fen."))
    return amount_fen


def _home_exists(home_id) -> None:
    if not isinstance(home_id, int) or db.session.get(Home, home_id) is None:
        raise LedgerError(_("No such home."))


def post_donation(*, home_id: int, amount_fen: int, donation_id: int, memo: str,
                  occurred_at: datetime | None = None, commodity: str = "CNY") -> JournalEntry | None:
    """A donation received through the payment providers: 100% to the available care fund."""
    amount = _positive_amount(amount_fen)
    _home_exists(home_id)
    return post(
        kind="donation", idempotency_key=f"donation:{donation_id}", memo=memo, home_id=home_id,
        commodity=commodity, occurred_at=occurred_at, source_type="donation", source_id=donation_id,
        category="donation",
        postings=[(account(None, codes.PAYMENTS_CLEARING, commodity), amount),
                  (account(home_id, codes.CARE_AVAILABLE, commodity), -amount)],
    )


def post_order_extra(*, home_id: int, amount_fen: int, order_id: int, difference_id: int, memo: str,
                     occurred_at: datetime | None = None, commodity: str = "CNY") -> JournalEntry | None:
    """What a buyer paid beyond an offline order's total: a gift to the available care fund, in
    the home's own cash like the rest of an offline payment (market/ledger/offline.py)."""
    amount = _positive_amount(amount_fen)
    _home_exists(home_id)
    return post(
        kind="donation", idempotency_key=f"order:{order_id}:extra", memo=memo, home_id=home_id,
        commodity=commodity, occurred_at=occurred_at, order_id=order_id,
        source_type="payment_difference", source_id=difference_id, category="extra_payment",
        postings=[(account(home_id, codes.HOME_CASH, commodity), amount),
                  (account(home_id, codes.CARE_AVAILABLE, commodity), -amount)],
    )


def post_grant(*, home_id: int, amount_fen: int, grant_id: int, source: str, memo: str,
               occurred_at: datetime | None = None, commodity: str = "CNY") -> JournalEntry | None:
    """A subsidy or grant paid to the home from outside: into the available care fund."""
    amount = _positive_amount(amount_fen)
    _home_exists(home_id)
    if not source or len(source) > 30:
        raise LedgerError(_("Choose where the funding came from."))
    return post(
        kind="grant", idempotency_key=f"grant:{grant_id}", memo=memo, home_id=home_id,
        commodity=commodity, occurred_at=occurred_at, source_type="grant", source_id=grant_id,
        category=source,
        postings=[(account(None, codes.EXTERNAL_INCOME, commodity), amount),
                  (account(home_id, codes.CARE_AVAILABLE, commodity), -amount)],
    )


def post_disbursement(*, home_id: int, amount_fen: int, disbursement_id: int, category: str, memo: str,
                      occurred_at: datetime | None = None, commodity: str = "CNY") -> JournalEntry | None:
    """Spending from the available care fund (moves it to care_fund:spent).

    Raises LedgerError when the amount is above the available care fund. Releases pending
    income that is due first, so the check sees everything the home may spend.
    """
    amount = _positive_amount(amount_fen)
    _home_exists(home_id)
    if not category or len(category) > 30:
        raise LedgerError(_("Choose a spending category."))
    lock_ledger()  # the balance read and the posting happen under one lock
    release_due(home_id=home_id)
    available = account(home_id, codes.CARE_AVAILABLE, commodity)
    if amount > balance(available):
        raise LedgerError(_("The amount is more than the care fund has available."))
    return post(
        kind="disbursement", idempotency_key=f"disbursement:{disbursement_id}", memo=memo,
        home_id=home_id, commodity=commodity, occurred_at=occurred_at, source_type="disbursement",
        source_id=disbursement_id, category=category,
        postings=[(available, amount), (account(home_id, codes.CARE_SPENT, commodity), -amount)],
    )


def post_recognition(*, home_id: int, amount_fen: int, award_id: int, budget_left_fen: int, memo: str,
                     occurred_at: datetime | None = None, commodity: str = "CNY") -> JournalEntry | None:
    """The cost of a time-bank recognition handed over, paid from the available care fund
    (category "recognitions") within what its approved budget has left (`budget_left_fen`, read
    by the caller under the ledger lock). Money only: never in an entry with TIME."""
    amount = _positive_amount(amount_fen)
    _home_exists(home_id)
    lock_ledger()
    if amount > budget_left_fen:
        raise LedgerError(_("The amount is more than the budget has left."))
    release_due(home_id=home_id)
    available = account(home_id, codes.CARE_AVAILABLE, commodity)
    if amount > balance(available):
        raise LedgerError(_("The amount is more than the care fund has available."))
    return post(
        kind="disbursement", idempotency_key=f"timebank:recognition:{award_id}", memo=memo,
        home_id=home_id, commodity=commodity, occurred_at=occurred_at, source_type="timebank_recognition",
        source_id=award_id, category="recognitions",
        postings=[(available, amount), (account(home_id, codes.CARE_SPENT, commodity), -amount)],
    )


def post_settlement(*, home_id: int, amount_fen: int, settlement_id: int, account_code: str, memo: str,
                    occurred_at: datetime | None = None, commodity: str = "CNY") -> JournalEntry | None:
    """Money the platform paid out to a home, from its operations or elder incentive account."""
    amount = _positive_amount(amount_fen)
    _home_exists(home_id)
    if account_code not in codes.SETTLEABLE:
        raise LedgerError(_("Settlements pay out the home's operations or elder incentive account."))
    lock_ledger()
    source = account(home_id, account_code, commodity)
    if amount > balance(source):
        raise LedgerError(_("The amount is more than the account holds."))
    return post(
        kind="settlement", idempotency_key=f"settlement:{settlement_id}", memo=memo, home_id=home_id,
        commodity=commodity, occurred_at=occurred_at, source_type="settlement", source_id=settlement_id,
        category=account_code,
        postings=[(source, amount), (account(home_id, codes.SETTLEMENTS_PAID, commodity), -amount)],
    )


def post_elder_payout(*, home_id: int, elder_id: int, amount_fen: int, payout_id: int, memo: str,
                      occurred_at: datetime | None = None, commodity: str = "CNY") -> JournalEntry | None:
    """Money the home handed to one elder from their incentive (`elder_payout:<id>`): the elder's
    own account goes down and so does the home's cash, because the home pays the elder from the
    money it holds (the monthly settlement brought it the elders' share of online sales). Refused
    above what the elder's account holds. Never commits."""
    amount = _positive_amount(amount_fen)
    _home_exists(home_id)
    lock_ledger()
    source = account(home_id, codes.elder_code(elder_id), commodity)
    if amount > balance(source):
        raise LedgerError(_("The amount is more than the elder is owed."))
    return post(
        kind="payout", idempotency_key=f"elder_payout:{payout_id}", memo=memo, home_id=home_id,
        commodity=commodity, occurred_at=occurred_at, source_type="elder_payout", source_id=payout_id,
        category="elder",
        postings=[(source, amount), (account(home_id, codes.HOME_CASH, commodity), -amount)],
    )


def post_reversal(original: JournalEntry, *, correction_id: int, memo: str) -> JournalEntry | None:
    """Take back a mistaken entry: the same postings with the opposite sign, as an entry of the
    same kind and category (so income by source and spending by category net out), pointing at
    the correction (source_type "correction"). One reversal per entry ever (its key names the
    entry). Refused when a home account would go below zero, e.g. a grant whose money the home
    has already spent. Never commits."""
    if original.kind not in ("donation", "grant", "disbursement", "settlement"):
        raise LedgerError(_("Only donations, subsidies and grants, spending and settlements can be "
                            "corrected."))
    if original.source_type == "correction":
        raise LedgerError(_("A correction cannot itself be corrected; ask for a new entry instead."))
    key = f"reversal:{original.seq}"
    lock_ledger()
    if db.session.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == key)):
        raise LedgerError(_("This entry has already been corrected."))
    if original.home_id is not None:
        release_due(home_id=original.home_id)
    postings = []
    for p in original.postings:
        acct = p.account
        if acct.home_id is not None and codes.is_credit_normal(acct.code) and balance(acct) + p.amount < 0:
            raise LedgerError(_("The home no longer has this money in the account: it cannot be taken back."))
        postings.append((acct, -p.amount, p.order_line_id, p.share))
    return post(
        kind=original.kind, idempotency_key=key, memo=memo, home_id=original.home_id,
        commodity=original.commodity, order_id=original.order_id, source_type="correction",
        source_id=correction_id, category=original.category, postings=postings,
    )
