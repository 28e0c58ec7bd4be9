"""The payment provider interface: `start`, `confirm`, `refund` (and `abandon`).

A provider takes an order to payment (`start`), records that the money arrived (`confirm`) and
gives money back (`refund`). It never changes an order itself: it records what happened through
`market.payments.service` (`apply_record_payment`, `apply_settle_refund`, `apply_fail_refund`),
which sends the hooks the orders and ledger domains listen to. `confirm`, `refund` and `abandon`
run inside the caller's transaction and never call a remote service there: what must be sent
(a Stripe refund, the expiry of a Checkout Session) is queued with `market.jobs.outbox` and
sent after the commit. This module imports no provider: `market.payments.register_providers()`
(called by create_app) registers the built-in ones by name in `PROVIDERS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from flask import Flask

    from models import Order, Payment, Refund


class ProviderError(Exception):
    """The provider refused or could not be reached; str(error) is a translated message."""


class NotAvailable(ProviderError):
    """The provider will not take this payment at all (not only now): pay another way."""


@dataclass
class StartResult:
    """What the buyer sees next: instructions to show, or a page to go to."""

    instructions: list[str] = field(default_factory=list)
    redirect_url: str | None = None
    reference: str | None = None  # a code the buyer quotes when paying
    pay_offline: bool = False  # online payment is not available: show how to pay the home directly
    can_start: bool = False  # the buyer may ask to pay online now (a button that POSTs)


class PaymentProvider:
    """Base class. Subclasses set `name` and implement `start`, `confirm` and `refund`."""

    name: str = ""

    def is_enabled(self, app: Flask) -> bool:
        return True

    def label(self) -> str:
        return self.name

    def hold_for(self, app: Flask) -> int:
        """Minutes an unpaid order with this provider keeps its reservation."""
        return app.config["HOLD_MINUTES"]

    def start(self, order: Order) -> StartResult:
        """What the buyer does to pay `order` (may commit, never inside the caller's work)."""
        raise NotImplementedError

    def peek(self, order: Order) -> StartResult:
        """What the order page shows before the buyer asks to pay: read only (a GET never
        writes, and never waits for an outside service). By default, a button that starts it."""
        return StartResult(reference=order.reference, can_start=True)

    def confirm(self, order: Order, **details) -> Payment:
        """Record that the money for `order` arrived and send `payment_confirmed`. Must not
        commit. Raises `market.payments.service.PaymentError` for details that do not fit."""
        raise NotImplementedError

    def refund(self, refund: Refund) -> None:
        """Ask for `refund.amount_fen` back. The Refund is already stored (status pending) with
        its idempotency key. Settle now with `apply_settle_refund`, fail with
        `apply_fail_refund`, or queue the request for after the commit. Must not commit."""
        raise NotImplementedError

    def abandon(self, payment: Payment) -> None:
        """An unpaid attempt of a cancelled order: make sure it can no longer be paid. Must not
        commit. Nothing to do for providers whose payments staff record by hand."""


PROVIDERS: dict[str, PaymentProvider] = {}


def register(provider: PaymentProvider) -> PaymentProvider:
    PROVIDERS[provider.name] = provider
    return provider


def get_provider(name: str) -> PaymentProvider:
    """The provider called `name`; KeyError when unknown."""
    return PROVIDERS[name]


def enabled_providers(app: Flask) -> list[str]:
    """Names of the providers a buyer may choose, the default (`offline`) first."""
    names = [name for name, provider in PROVIDERS.items() if provider.is_enabled(app)]
    return sorted(names, key=lambda name: (name != "offline", name))
