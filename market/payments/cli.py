"""`flask payments …`: reconcile with Stripe, check the webhook endpoint, resend refunds, replay
waiting events."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from market.payments import stripe_api

payments_cli = AppGroup("payments", help="Payments: reconciliation with Stripe.")


def _need_stripe() -> None:
    if not stripe_api.is_configured(current_app):
        raise click.ClickException("Stripe is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET).")


@payments_cli.command("reconcile")
@click.option("--since", required=True, help="Start date, YYYY-MM-DD (UTC).")
def reconcile_command(since: str) -> None:
    """List Stripe's charges and refunds since DATE and report any that differ from ours."""
    from market.payments.reconcile import reconcile

    _need_stripe()
    try:
        start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--since") from None
    report = reconcile(start)
    for line in report.problems:
        click.echo(line)
    click.echo(f"{report.replayed} waiting event(s) applied, {report.fees_filled} processing fee(s) "
               "recorded.")
    click.echo(f"{len(report.problems)} difference(s) since {since}.")
    if report.problems:
        raise SystemExit(1)


@payments_cli.command("resend-refunds")
def resend_refunds_command() -> None:
    """Send again (same idempotency keys) Stripe refunds that never got an answer."""
    from market.payments.reconcile import resend_refunds

    _need_stripe()
    click.echo(f"{resend_refunds()} refund(s) sent.")


@payments_cli.command("replay-deferred")
def replay_deferred_command() -> None:
    """Apply stored Stripe events that were waiting for a payment now confirmed."""
    from market.payments.stripe_events import replay_all_deferred

    _need_stripe()
    click.echo(f"{replay_all_deferred()} event(s) applied.")


@payments_cli.command("check-webhook")
@click.option("--url", default=None, help="The endpoint's URL (default: every enabled endpoint).")
def check_webhook_command(url: str | None) -> None:
    """Check that Stripe's webhook endpoint is at our API version and sends every event we need."""
    from market.payments.reconcile import check_webhook_endpoints
    from market.payments.stripe_api import API_VERSION

    _need_stripe()
    problems = check_webhook_endpoints(url)
    for line in problems:
        click.echo(line)
    if problems:
        raise SystemExit(1)
    click.echo(f"The webhook endpoint is at {API_VERSION} and sends every event the market reads.")
