"""`flask payments …`: reconcile with Stripe, resend refunds, replay waiting events."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from market.payments import stripe_provider
from models import WebhookEvent, db

payments_cli = AppGroup("payments", help="Payments: reconciliation with Stripe.")


def _need_stripe() -> None:
    if not stripe_provider.is_configured(current_app):
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
    problems = reconcile(start)
    for line in problems:
        click.echo(line)
    click.echo(f"{len(problems)} difference(s) since {since}.")
    if problems:
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
    _need_stripe()
    refs = db.session.scalars(select(WebhookEvent.object_ref).distinct().where(
        WebhookEvent.provider == "stripe", WebhookEvent.processed_at.is_(None),
        WebhookEvent.object_ref.is_not(None))).all()
    done = sum(stripe_provider.replay_deferred(ref) for ref in refs)
    db.session.commit()
    click.echo(f"{done} event(s) applied.")
