"""The named hooks by which news travels back up the money path.

The money path runs one way (orders → payments → ledger → fund). When something happens
lower down that a domain above must act on, the lower domain *sends* one of these signals and
the interested domain *connects* a receiver at start-up (see `create_app`). Receivers run
synchronously, inside the sender's database transaction, so the order change and its ledger
entry commit together or not at all. A receiver must not commit.

- `order_paid`      sender: the `Order` that has just become paid (its `Payment` is recorded).
- `refund_settled`  sender: the `Refund` whose money has actually gone back to the buyer.
- `order_fulfilled` sender: the `Order` that has just been fulfilled (care-fund income may
                    later be released from pending to available).
"""

from blinker import Namespace

_hooks = Namespace()

order_paid = _hooks.signal("order-paid")
refund_settled = _hooks.signal("refund-settled")
order_fulfilled = _hooks.signal("order-fulfilled")
