"""Impact's scheduled work: the homes' roll-up rows brought to the new month (market/impact/rollup.py)."""

from market.jobs.queue import app_context, home_crontab, huey


@huey.periodic_task(home_crontab(minute="*/10"), name="impact.refresh_rollups")
def refresh_rollups() -> None:
    """Rows of an earlier month (after the month rolls over) or of a new home."""
    from market.impact.rollup import refresh

    with app_context():
        refresh()


@huey.periodic_task(home_crontab(minute="20", hour="3"), name="impact.refresh_all_rollups")
def refresh_all_rollups() -> None:
    """Every row, nightly: also mends one a write crossed the month's end with."""
    from market.impact.rollup import refresh

    with app_context():
        refresh(every_row=True)
