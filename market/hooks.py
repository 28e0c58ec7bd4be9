"""The named hooks by which news travels back up the money path.

The money path runs one way (orders → payments → ledger → fund). When something happens
lower down that a domain above must act on, the lower domain *sends* one of these signals and
the interested domain *connects* a receiver at start-up (see `create_app`). Receivers run
synchronously, inside the sender's database transaction, so the order change and its ledger
entry commit together or not at all. A receiver must not commit.

- `payment_confirmed` sender: a `Payment` a provider has just confirmed (offline: staff marked it
                    received; stripe: a verified webhook). Orders connects: it marks the order
                    paid (or, for an expired hold, re-reserves or refunds).
- `payment_failed`  sender: a `Payment` that failed or whose checkout expired unpaid.
- `payment_disputed` sender: a `Payment` the buyer disputed with their bank; `reason` names the
                    dispute (the provider's id and reason), which orders puts on the order's flag.
- `order_paid`      sender: the `Order` that has just become paid (its `Payment` is recorded).
- `refund_settled`  sender: the `Refund` whose money has actually gone back to the buyer
                    (`refund.amount_fen` is what the provider really returned, split over lines
                    in `refund.lines_json`). Orders updates lines and status; the ledger posts
                    the reversing entry.
- `order_fulfilled` sender: the `Order` that has just been fulfilled (care-fund income may
                    later be released from pending to available).
- `donation_paid`   sender: the id of a `Donation` a provider was paid for; `amount_fen` is
                    what it received, `provider` and `provider_ref` name the payment. The fund
                    connects: it records the donation and posts it to the care fund, once.
- `donation_unpaid` sender: the id of a pending `Donation` whose online payment ended unpaid.
                    The fund connects: it cancels the pledge.
- `time_confirmed`  sender: a time-bank `Service` just confirmed (its TIME entry posted in the
                    same transaction). Impact connects: volunteer hours of the service's month.
- `time_reversed`   sender: a confirmed `Service` whose dispute was upheld (its hours taken back).
- `care_posted`     sender: the posted `JournalEntry`; `rows` are its changes to the care fund's
                    summary: (home id, month, entry kind, account code, commodity, fen). Impact
                    connects: it keeps the homes' roll-up (market/impact/rollup.py).
- `availability_changed` sender: the database session; `listing_ids` whose seats or stock
                    just ran out or came back, `room_ids` whose nights were booked or freed.
                    Search connects: it re-indexes their next free date after the commit.
"""

from blinker import Namespace

_hooks = Namespace()


class Refused(Exception):  # noqa: N818 - a receiver's answer, not a crash
    """Raised by a receiver that cannot apply the news; str(error) says why. The sender decides
    what that means (e.g. a donation paid for but cancelled meanwhile goes to a person)."""


payment_confirmed = _hooks.signal("payment-confirmed")
payment_failed = _hooks.signal("payment-failed")
payment_disputed = _hooks.signal("payment-disputed")
order_paid = _hooks.signal("order-paid")
refund_settled = _hooks.signal("refund-settled")
order_fulfilled = _hooks.signal("order-fulfilled")
donation_paid = _hooks.signal("donation-paid")
donation_unpaid = _hooks.signal("donation-unpaid")
availability_changed = _hooks.signal("availability-changed")
care_posted = _hooks.signal("care-posted")
time_confirmed = _hooks.signal("time-confirmed")
time_reversed = _hooks.signal("time-reversed")
