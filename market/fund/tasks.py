"""The care fund's scheduled work: income that can no longer be refunded becomes available."""

from market.jobs.queue import app_context, home_crontab, huey


@huey.periodic_task(home_crontab(minute="*/10"), name="fund.release_income")
def release_income() -> None:
    from market.fund.service import release_due_income

    with app_context():
        release_due_income()


@huey.periodic_task(home_crontab(minute="*/10"), name="fund.note_platform_fee")
def note_platform_fee() -> None:
    """A changed PLATFORM_FEE_BPS goes into the public audit log (market/ledger/audit.py)."""
    from market.ledger.audit import note_current_platform_fee

    with app_context():
        note_current_platform_fee()
