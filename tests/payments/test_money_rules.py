"""Property tests for the money rules of this domain: a lost dispute's amount split over what is
left of each line (largest remainder), and the amount checks made before calling Stripe."""

from hypothesis import given
from hypothesis import strategies as st

from market.payments.service import rescale
from market.payments.stripe_amounts import MAXIMUM, MINIMUM, refusal

lines = st.dictionaries(st.text("0123456789", min_size=1, max_size=4), st.integers(1, 10**7),
                        min_size=1, max_size=12)


@given(lines, st.data())
def test_a_split_never_creates_or_loses_a_fen_nor_takes_more_than_a_line_has(left, data):
    amount = data.draw(st.integers(1, sum(left.values())))
    shares = rescale(left, amount)
    assert set(shares) == set(left)
    assert sum(shares.values()) == amount
    assert all(0 <= shares[k] <= left[k] for k in left)


@given(st.integers(1, 10**9), st.integers(1, 150))
def test_an_order_goes_to_stripe_only_within_its_limits(total, count):
    per_line = [("line", 1, total // count + (1 if i < total % count else 0)) for i in range(count)]
    why = refusal("CNY", "CNY", total, per_line, {"CNY"})
    fits = MINIMUM["CNY"] <= total <= MAXIMUM and count <= 100
    assert (why is None) == fits
