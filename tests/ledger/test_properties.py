"""Property tests of the ledger (hypothesis).

Pure allocation properties need no database. The sequence test drives the real ledger through
the hooks with random sales, partial refunds, releases, donations, disbursements and duplicate
events, and compares it after every step with a small reference model.
"""

from datetime import UTC, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from market import hooks
from market.ledger import accounts as codes
from market.ledger import fund_entries, service, sums
from market.ledger.allocation import AllocationError, split_line, split_refund
from market.ledger.canonical import encode, leaf_bytes, leaf_object
from market.ledger.entries import release_due
from market.ledger.service import LedgerError
from market.ledger.verify import verify_ledger
from models import OrderEvent, db, utcnow
from models.ledger import JournalEntry
from tests.factories import order_rows, refund_rows

pytestmark = pytest.mark.usefixtures("no_search_sync")

SHARES = ("care", "incentive", "fee", "operations")


@st.composite
def rates(draw):
    care = draw(st.integers(0, 10_000))
    incentive = draw(st.integers(0, 10_000 - care))
    fee = draw(st.integers(0, 10_000 - care - incentive))
    return care, incentive, fee


amounts = st.integers(0, 10_000_000)


@settings(max_examples=300, deadline=None)
@given(amounts, rates())
def test_split_line_conserves_and_is_within_a_fen(amount, bps):
    care, incentive, fee = bps
    shares = split_line(amount, care, incentive, fee)
    assert sum(shares.values()) == amount
    exact = {
        "care": Fraction(amount * care, 10_000),
        "incentive": Fraction(amount * incentive, 10_000),
        "fee": Fraction(amount * fee, 10_000),
        "operations": Fraction(amount * (10_000 - care - incentive - fee), 10_000),
    }
    for key in SHARES:
        assert shares[key] >= 0
        assert abs(shares[key] - exact[key]) < 1


def test_split_line_ties_go_to_the_care_fund_first():
    assert split_line(1, 2500, 2500, 2500) == {"care": 1, "incentive": 0, "fee": 0, "operations": 0}
    assert split_line(3, 5000, 0, 0) == {"care": 2, "incentive": 0, "fee": 0, "operations": 1}
    assert split_line(2, 2500, 2500, 2500) == {"care": 1, "incentive": 1, "fee": 0, "operations": 0}


def test_split_line_refuses_bad_rates():
    for bad in ((6000, 5000, 0), (-1, 0, 0), (10_001, 0, 0)):
        with pytest.raises(AllocationError):
            split_line(100, *bad)
    with pytest.raises(AllocationError):
        split_line(-1, 100, 0, 0)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 1_000_000), rates(), st.lists(st.integers(1, 10_000), min_size=1, max_size=8))
def test_refunds_take_back_in_proportion_and_never_more(amount, bps, weights):
    shares = split_line(amount, *bps)
    # Split the whole line into refunds of random sizes; the last takes what is left.
    total_weight = sum(weights)
    cuts = sorted({amount * sum(weights[: i + 1]) // total_weight for i in range(len(weights))})
    refunded = dict.fromkeys(SHARES, 0)
    done = 0
    for cut in cuts:
        if cut <= done:
            continue
        back = split_refund(shares, refunded, cut - done)
        assert sum(back.values()) == cut - done
        done = cut
        for key in SHARES:
            assert back[key] >= 0
            refunded[key] += back[key]
            assert refunded[key] <= shares[key]
            assert abs(refunded[key] - Fraction(shares[key] * done, amount)) < 1
    assert done == amount and refunded == shares
    with pytest.raises(AllocationError):
        split_refund(shares, refunded, 1)


# ---- the canonical bytes verify hashes are the reference encoding ---------------------------

maybe_text = st.none() | st.text()
maybe_int = st.none() | st.integers(-(2**70), 2**70)
posting_st = st.tuples(st.text(), st.integers(-(2**40), 2**40), maybe_int, maybe_text)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**40), st.text(), st.text(), maybe_text, maybe_int, st.text(max_size=3), maybe_int,
       maybe_int, maybe_text, maybe_int, maybe_text, st.lists(posting_st, max_size=6), st.datetimes())
def test_leaf_bytes_equal_the_encoded_leaf_object(seq, kind, key, memo, home, commodity, order, refund,
                                                  source_type, source_id, category, postings, moment):
    fields = dict(seq=seq, kind=kind, key=key, memo=memo, home_id=home, commodity=commodity,
                  occurred_at=moment.isoformat(sep=" "), created_at=moment.replace(tzinfo=UTC),
                  order_id=order, refund_id=refund, source_type=source_type, source_id=source_id,
                  category=category, postings=postings)
    assert leaf_bytes(**fields) == encode(leaf_object(**fields))


# ---- random sequences through the real ledger ------------------------------------------------

line_st = st.tuples(
    st.integers(1, 500_000),
    st.sampled_from([0, 1000, 2000, 3333, 5000]),
    st.sampled_from([0, 500, 777]),
    st.sampled_from([0, 500, 1250]),
    st.sampled_from(["produce", "craft", "tour", "homestay"]),
)
op_st = st.one_of(
    st.tuples(st.just("sale"), st.lists(line_st, min_size=1, max_size=3)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(0, 2), st.floats(0.01, 1.0)),
    st.tuples(st.just("release"), st.integers(0, 50)),
    st.tuples(st.just("donation"), st.integers(1, 200_000)),
    st.tuples(st.just("disbursement"), st.integers(1, 300_000)),
    st.tuples(st.just("duplicate"), st.integers(0, 50)),
)


class Model:
    """The reference: what each account should hold, replayed from the operations."""

    def __init__(self):
        self.home = dict.fromkeys(codes.HOME_CODES, 0)
        self.platform = dict.fromkeys(codes.PLATFORM_CODES, 0)
        self.lines = {}  # line id -> {"shares", "refunded", "pending", "amount"}


def platform_snapshot():
    return service.platform_balances()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(op_st, min_size=1, max_size=10))
def test_random_sequences_match_a_reference_model(make, ops):
    home = make.home()
    listing = make.listing(home)
    model = Model()
    base = platform_snapshot()
    orders = []
    for op in ops:
        kind = op[0]
        if kind == "sale":
            lines = [(a, c, i, f, k) for a, c, i, f, k in op[1]]
            order = order_rows(make, home=home, lines=lines, listing=listing)
            hooks.order_paid.send(order)
            db.session.commit()
            orders.append(order)
            model.platform[codes.PAYMENTS_CLEARING] += order.total_fen
            for line in order.lines:
                shares = split_line(
                    line.amount_fen, line.care_share_bps, line.incentive_bps, line.platform_fee_bps
                )
                model.lines[line.id] = {
                    "shares": shares,
                    "refunded": dict.fromkeys(SHARES, 0),
                    "pending": shares["care"],
                    "amount": line.amount_fen,
                }
                model.home[codes.CARE_PENDING] += shares["care"]
                model.home[codes.ELDER_INCENTIVE] += shares["incentive"]
                model.home[codes.HOME_OPERATIONS] += shares["operations"]
                model.platform[codes.FEE_REVENUE] += shares["fee"]
        elif kind == "refund" and orders:
            order = orders[op[1] % len(orders)]
            line = order.lines[op[2] % len(order.lines)]
            state = model.lines[line.id]
            left = state["amount"] - sum(state["refunded"].values())
            if left == 0:
                continue
            amount = max(1, min(left, round(left * op[3])))
            refund = refund_rows(order, {line.id: amount})
            hooks.refund_settled.send(refund)
            db.session.commit()
            entry = db.session.scalar(select(JournalEntry).where(JournalEntry.refund_id == refund.id))
            back = dict.fromkeys(SHARES, 0)
            for posting in entry.postings:
                if posting.order_line_id == line.id:
                    back[posting.share] += posting.amount
            assert sum(back.values()) == amount
            taken = sum(state["refunded"].values()) + amount
            for key in SHARES:
                state["refunded"][key] += back[key]
                assert 0 <= state["refunded"][key] <= state["shares"][key]
                exact = Fraction(state["shares"][key] * taken, state["amount"])
                assert abs(state["refunded"][key] - exact) < 1
            model.platform[codes.PAYMENTS_CLEARING] -= amount
            model.home[codes.ELDER_INCENTIVE] -= back["incentive"]
            model.home[codes.HOME_OPERATIONS] -= back["operations"]
            model.platform[codes.FEE_REVENUE] -= back["fee"]
            care = back["care"]
            from_pending = min(care, state["pending"])
            state["pending"] -= from_pending
            model.home[codes.CARE_PENDING] -= from_pending
            from_available = min(care - from_pending, model.home[codes.CARE_AVAILABLE])
            model.home[codes.CARE_AVAILABLE] -= from_available
            model.platform[codes.PROCESSING_COSTS] += care - from_pending - from_available
        elif kind == "release" and orders:
            order = orders[op[1] % len(orders)]
            if not any(e.to_status == "fulfilled" for e in order.events):
                db.session.add(
                    OrderEvent(
                        order_id=order.id,
                        from_status="paid",
                        to_status="fulfilled",
                        created_at=utcnow() - timedelta(days=30),
                    )
                )
                order.status = "fulfilled"
                db.session.commit()
            release_due(home_id=home.id)
            db.session.commit()
            for line in order.lines:
                state = model.lines[line.id]
                model.home[codes.CARE_AVAILABLE] += state["pending"]
                model.home[codes.CARE_PENDING] -= state["pending"]
                state["pending"] = 0
        elif kind == "donation":
            fund_entries.post_donation(home_id=home.id, amount_fen=op[1], donation_id=make._next(), memo="")
            db.session.commit()
            model.home[codes.CARE_AVAILABLE] += op[1]
            model.platform[codes.PAYMENTS_CLEARING] += op[1]
        elif kind == "disbursement":
            if op[1] > model.home[codes.CARE_AVAILABLE]:
                with pytest.raises(LedgerError):
                    fund_entries.post_disbursement(
                        home_id=home.id,
                        amount_fen=op[1],
                        disbursement_id=make._next(),
                        category="meals",
                        memo="",
                    )
                db.session.rollback()
            else:
                fund_entries.post_disbursement(
                    home_id=home.id, amount_fen=op[1], disbursement_id=make._next(), category="meals", memo=""
                )
                db.session.commit()
                model.home[codes.CARE_AVAILABLE] -= op[1]
                model.home[codes.CARE_SPENT] += op[1]
        elif kind == "duplicate" and orders:
            before = db.session.scalar(select(db.func.count(JournalEntry.id)))
            hooks.order_paid.send(orders[op[1] % len(orders)])
            db.session.commit()
            assert db.session.scalar(select(db.func.count(JournalEntry.id))) == before

        balances = service.home_balances(home.id)
        assert balances == model.home
        assert balances[codes.CARE_AVAILABLE] >= 0 and balances[codes.CARE_PENDING] >= 0
        now = platform_snapshot()
        assert {k: now[k] - base[k] for k in now} == model.platform
        # The care-fund summary post() keeps equals its recomputation from the postings.
        assert sums.stored() == sums.recomputed()
    # Every entry sums to zero, no fen created or lost, hashes and heads check out.
    report = verify_ledger(crosscheck=False)  # donations and spending with invented record ids
    assert report.ok, [str(p) for p in report.problems]
