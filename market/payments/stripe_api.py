"""Talking to Stripe: the configured client and what every Stripe call shares.

All HTTP goes through `stripe.StripeClient`, at the one API version this code is written for
(`API_VERSION`); tests plug a fake in with config `STRIPE_HTTP_CLIENT` (see tests/stripe_fake.py),
which checks every request against that version's schema, so nothing reaches the network.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import stripe
from flask import current_app
from flask_babel import gettext as _

from market.payments.providers import NotAvailable, ProviderError

log = logging.getLogger(__name__)

# The Stripe API version every request is sent at and every webhook event must be rendered at.
# stripe-python is pinned (pyproject.toml) to the major release that ships this version; its
# typed request params are the schema the test fake checks requests against. Changing it means
# reading Stripe's changelog for every call in market/payments/ and creating a new webhook
# endpoint at the new version (docs/payments.md).
API_VERSION = "2026-10-28.endive"

METHOD_LABELS = {"card": "card", "alipay": "Alipay", "wechat_pay": "WeChat Pay"}


def is_configured(app) -> bool:
    return bool(app.config.get("STRIPE_SECRET_KEY")) and bool(app.config.get("STRIPE_WEBHOOK_SECRET"))


def payment_methods(app) -> list[str]:
    raw = app.config.get("STRIPE_PAYMENT_METHODS") or "card"
    return [m.strip() for m in raw.split(",") if m.strip()]


def client(app=None) -> stripe.StripeClient:
    """The app's StripeClient (one per app; config STRIPE_HTTP_CLIENT replaces the transport)."""
    app = app or current_app._get_current_object()
    cached = app.extensions.get("stripe_client")
    if cached is None:
        http_client = app.config.get("STRIPE_HTTP_CLIENT")
        if http_client is None:
            http_client = stripe.new_default_http_client(timeout=app.config["STRIPE_TIMEOUT"])
        base = app.config.get("STRIPE_API_BASE")
        cached = stripe.StripeClient(
            app.config["STRIPE_SECRET_KEY"],
            base_addresses={"api": base} if base else None,
            http_client=http_client,
            max_network_retries=app.config["STRIPE_MAX_NETWORK_RETRIES"],
            stripe_version=API_VERSION,
        )
        app.extensions["stripe_client"] = cached
    return cached


def session_key(order_id: int, attempt: int) -> str:
    """The deterministic idempotency key of one Checkout attempt of one order."""
    return f"market-checkout-{order_id}-{attempt}"


def unreachable() -> ProviderError:
    return ProviderError(_("The online payment service did not answer. Your order is kept and "
                           "nothing was charged; please try again in a minute."))


def not_available() -> NotAvailable:
    """What the buyer reads when Stripe refused an order for good (or the checks before it did)."""
    return NotAvailable(_("Online payment is not available for this order. Please pay the home "
                           "directly, or contact the home."))


# How Stripe's errors are told apart (`error_kind`):
UNANSWERED = "unanswered"  # no answer, or not executed (timeout, 429, 409): the same key again
FAILED = "failed"  # Stripe's 5xx, stored under the key and replayed to it: a new key next time
REFUSED = "refused"  # a permanent refusal (invalid parameter, method not activated, amount,
#                      currency, keys): never sent again for this order; an admin is told once

RETRY_FIRST = timedelta(seconds=5)
RETRY_MOST = timedelta(minutes=2)


def error_kind(exc: stripe.StripeError) -> str:
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return UNANSWERED
    if isinstance(exc, stripe.IdempotencyError):
        return FAILED
    status = exc.http_status or 0
    if status in (409, 429):
        return UNANSWERED
    if status >= 500 or isinstance(exc, stripe.APIError):
        return FAILED
    return REFUSED


def retry_delay(failures: int) -> timedelta:
    """The wait before the next try after `failures` transient failures of one order: 5 s,
    doubling, at most 2 minutes (Stripe asks for exponential back-off)."""
    return min(RETRY_FIRST * 2 ** max(failures - 1, 0), RETRY_MOST)


def describe(exc: stripe.StripeError) -> str:
    """One line for the admin: the HTTP status, Stripe's code and parameter, its message."""
    error = exc.error
    code = getattr(error, "code", None) or ""
    param = getattr(error, "param", None) or ""
    message = getattr(error, "message", None) or exc.user_message or str(exc)
    return f"{exc.http_status or '-'} {code} {param}: {message}".replace("  ", " ")[:400]


def checkout_options(app, currency: str, lines: list[tuple[str, int, int]]) -> dict:
    """Checkout Session parameters common to orders and donations: `lines` are
    (name, quantity, unit amount in minor units)."""
    methods = payment_methods(app)
    params = {
        "mode": "payment",
        "line_items": [{"quantity": quantity, "price_data": {
            "currency": currency.lower(), "unit_amount": unit, "product_data": {"name": name[:250]}}}
            for name, quantity, unit in lines],
        "currency": currency.lower(),
        # Since 2026-09-30.endive Checkout takes no `payment_method_types`: the methods offered are
        # those activated in the Dashboard, filtered to this list.
        "allowed_payment_method_types": methods,
    }
    if "wechat_pay" in methods:
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    return params


class Refused(ProviderError):
    """Stripe would refuse this order for good (found before calling it); str is for the admin."""


class Deferred(Exception):  # noqa: N818 - a control-flow signal, not an error
    """An event refers to a payment not confirmed yet; keep it and replay it later."""

    def __init__(self, message: str, object_ref: str | None):
        super().__init__(message)
        self.object_ref = object_ref


class Ignored(Exception):  # noqa: N818
    """An event cannot apply to anything of ours; store it with a note and answer 200."""


def order_line_items(order) -> list[tuple[str, int, int]]:
    """(name, quantity, unit amount) of one order for a Checkout Session, single or whole-cart:
    each line (one item of its amount when a discount broke the unit price), then the order's
    shipping as its own item. Raises Refused when they do not add up to the order's total."""
    items = []
    for line in order.lines:
        if line.amount_fen <= 0:
            continue
        if line.unit_price_fen * line.quantity == line.amount_fen:
            items.append((line.title, line.quantity, line.unit_price_fen))
        else:
            items.append((f"{line.title} × {line.quantity}", 1, line.amount_fen))
    if order.shipping_fen:
        english = not (order.locale or "").startswith("zh")
        items.append(("Shipping" if english else "运费", 1, order.shipping_fen))
    if sum(line.amount_fen for line in order.lines) + (order.shipping_fen or 0) != order.total_fen \
            or order.total_fen <= 0:
        raise Refused(f"order {order.id}: the lines and shipping do not add up to the total "
                      f"{order.total_fen}")
    return items
