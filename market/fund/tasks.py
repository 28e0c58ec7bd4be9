"""The care fund's scheduled work: income that can no longer be refunded becomes available."""

from market.jobs.queue import app_context, home_crontab, huey


@huey.periodic_task(home_crontab(minute="*/10"), name="fund.release_income")
def release_income() -> None:
    from market.fund.service import release_due_income

    with app_context():
        release_due_income()
