"""Orders' scheduled work: unpaid holds that have ended are released every minute."""

from market.jobs.queue import app_context, home_crontab, huey


@huey.periodic_task(home_crontab(minute="*"), name="orders.expire_holds")
def expire_holds() -> int:
    from market.orders.lifecycle import expire_due

    with app_context():
        return expire_due()
