"""`flask payments …`: reconcile with Stripe, resend refunds, replay waiting events."""

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
