"""Split a sale line into its shares, and a refund into the same proportions.

All integer fen. `split_line` uses the largest-remainder method: every share gets the floor
of its exact amount, then the fen left over go one each to the shares with the largest
fractional remainders; ties go in the order care fund, elder incentive, platform fee, home
operations (the care fund first). The shares always sum to the line amount and each is within
one fen of its exact value.

`split_refund` takes back a refund from the shares of a line so that, cumulatively, what has
been taken back from each share stays within about a fen of the same proportion of what the
share received, never exceeds what the share received, and the refund that brings the line to
fully refunded takes back exactly what is left of every share.
"""

from fractions import Fraction

from market.ledger.accounts import SHARE_CARE, SHARE_FEE, SHARE_INCENTIVE, SHARE_OPERATIONS, SHARES

BPS = 10_000


class AllocationError(ValueError):
    pass


def _largest_remainder(total: int, exact: dict[str, Fraction], caps: dict[str, int] | None = None,
                       floors: dict[str, int] | None = None) -> dict[str, int]:
    """Integer amounts summing to `total`, each near `exact[k]`, within [floors[k], caps[k]]."""
    caps = caps or {}
    floors = floors or {}
    result = {}
    for key, value in exact.items():
        amount = value.numerator // value.denominator
        amount = max(amount, floors.get(key, 0))
        if key in caps:
            amount = min(amount, caps[key])
        result[key] = amount
    order = list(exact)  # priority on ties: the order given (care fund first)

    def room_up(key):
        return key not in caps or result[key] < caps[key]

    def room_down(key):
        return result[key] > floors.get(key, 0)

    left = total - sum(result.values())
    while left > 0:
        candidates = [k for k in order if room_up(k)]
        if not candidates:
            raise AllocationError("nothing left to allocate to")
        # Largest shortfall (exact - given) first; ties by priority order.
        key = max(candidates, key=lambda k: (exact[k] - result[k], -order.index(k)))
        result[key] += 1
        left -= 1
    while left < 0:
        candidates = [k for k in order if room_down(k)]
        if not candidates:
            raise AllocationError("nothing left to take back from")
        # Largest excess (given - exact) first; ties: the care fund gives back last.
        key = max(candidates, key=lambda k: (result[k] - exact[k], order.index(k)))
        result[key] -= 1
        left += 1
    return result


def rates_fit(care_bps, incentive_bps=0, fee_bps=0) -> bool:
    """True when each rate is whole basis points, none negative, and together at most 100%."""
    rates = (care_bps, incentive_bps, fee_bps)
    return (all(isinstance(bps, int) and not isinstance(bps, bool) and bps >= 0 for bps in rates)
            and sum(rates) <= BPS)


def split_line(amount_fen: int, care_bps: int, incentive_bps: int = 0, fee_bps: int = 0) -> dict[str, int]:
    """{"care": …, "incentive": …, "fee": …, "operations": …} summing to `amount_fen`."""
    if not isinstance(amount_fen, int) or amount_fen < 0:
        raise AllocationError("amount must be a non-negative integer number of fen")
    if not rates_fit(care_bps, incentive_bps, fee_bps):
        raise AllocationError("rates must be whole basis points, none negative, adding up to at most 10000")
    rest_bps = BPS - care_bps - incentive_bps - fee_bps
    exact = {
        SHARE_CARE: Fraction(amount_fen * care_bps, BPS),
        SHARE_INCENTIVE: Fraction(amount_fen * incentive_bps, BPS),
        SHARE_FEE: Fraction(amount_fen * fee_bps, BPS),
        SHARE_OPERATIONS: Fraction(amount_fen * rest_bps, BPS),
    }
    return _largest_remainder(amount_fen, exact)


def split_refund(shares: dict[str, int], refunded: dict[str, int], amount_fen: int) -> dict[str, int]:
    """How much of each share a refund of `amount_fen` takes back.

    `shares`: what each share received for the line (from `split_line`); `refunded`: what
    earlier refunds already took back from each share. Raises AllocationError when the refund
    is more than what is left of the line.
    """
    total = sum(shares.values())
    taken = sum(refunded.get(k, 0) for k in shares)
    if amount_fen <= 0:
        raise AllocationError("a refund must be a positive amount")
    if taken + amount_fen > total:
        raise AllocationError("refund is more than what is left of the line")
    cumulative = taken + amount_fen
    # Target: cumulative refunds in proportion to what each share received.
    exact = {k: Fraction(shares[k] * cumulative, total) for k in SHARES if k in shares}
    target = _largest_remainder(
        cumulative,
        exact,
        caps={k: shares[k] for k in exact},
        floors={k: refunded.get(k, 0) for k in exact},
    )
    return {k: target[k] - refunded.get(k, 0) for k in exact}


def scale_to(amounts: dict, total: int) -> dict:
    """`amounts` ({key: fen}, in priority order) scaled down to `total` by largest remainder: each
    result is within one fen of its exact proportion, never above its amount, and they sum to
    `total`. An offline payment accepted for less than the order's total scales its lines so."""
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise AllocationError("total must be a non-negative integer number of fen")
    whole = sum(amounts.values())
    if any(not isinstance(v, int) or v < 0 for v in amounts.values()) or total > whole:
        raise AllocationError("amounts must be non-negative fen adding up to at least the total")
    if whole == 0:
        return dict(amounts)
    exact = {k: Fraction(v * total, whole) for k, v in amounts.items()}
    return _largest_remainder(total, exact, caps=dict(amounts))
