"""Talking to Stripe: the configured client and what every Stripe call shares.

All HTTP goes through `stripe.StripeClient`; tests plug a fake in with config
`STRIPE_HTTP_CLIENT` (see tests/stripe_fake.py), so nothing reaches the network.
"""

from __future__ import annotations

import logging

import stripe
from flask import current_app
from flask_babel import gettext as _

from market.payments.providers import ProviderError

log = logging.getLogger(__name__)

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
        cached = stripe.StripeClient(
            app.config["STRIPE_SECRET_KEY"],
            http_client=http_client,
            max_network_retries=app.config["STRIPE_MAX_NETWORK_RETRIES"],
        )
        app.extensions["stripe_client"] = cached
    return cached


def session_key(order_id: int, attempt: int) -> str:
    """The deterministic idempotency key of one Checkout attempt of one order."""
    return f"market-checkout-{order_id}-{attempt}"


def unreachable() -> ProviderError:
    return ProviderError(_("The online payment service did not answer. Your order is kept and "
                           "nothing was charged; please try again in a minute."))


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
        "payment_method_types": methods,
    }
    if "wechat_pay" in methods:
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    return params


class Deferred(Exception):  # noqa: N818 - a control-flow signal, not an error
    """An event refers to a payment not confirmed yet; keep it and replay it later."""

    def __init__(self, message: str, object_ref: str | None):
        super().__init__(message)
        self.object_ref = object_ref


class Ignored(Exception):  # noqa: N818
    """An event cannot apply to anything of ours; store it with a note and answer 200."""
