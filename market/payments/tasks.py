"""Payments' scheduled work, daily at 03:30 home time when Stripe is configured: refunds that never
reached Stripe are sent again, and the last two days are reconciled (differences are logged)."""

import logging
from datetime import timedelta

from flask import current_app

from market.jobs.queue import app_context, home_crontab, huey

log = logging.getLogger(__name__)


@huey.periodic_task(home_crontab(minute="30", hour="3"), name="payments.daily")
def daily_stripe_check() -> None:
    from market import clock
    from market.payments import stripe_api
    from market.payments.reconcile import reconcile, resend_refunds

    with app_context():
        if not stripe_api.is_configured(current_app):
            return
        resend_refunds()
        report = reconcile(clock.now() - timedelta(days=2))
        for line in report.problems:
            log.warning("reconcile: %s", line)
