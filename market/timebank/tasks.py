"""The time bank's scheduled work: reminders by mail, every hour (at :05 on the homes' clock)."""

from market.jobs.queue import app_context, home_crontab, huey


@huey.periodic_task(home_crontab(minute="5"), name="timebank.remind")
def remind() -> None:
    from market.timebank.reminders import send_reminders

    with app_context():
        send_reminders()
