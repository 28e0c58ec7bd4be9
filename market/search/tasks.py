"""Search's scheduled work: queued index updates every minute (Huey's finest schedule), and a
fresh index built beside the live one every night at 00:10, home time."""

from market.jobs.queue import app_context, home_crontab, huey


@huey.periodic_task(home_crontab(minute="*"), name="search.apply_queue")
def apply_queue() -> None:
    from market.search import indexing

    with app_context():
        if indexing.queued_count():
            indexing.update_listings()


@huey.periodic_task(home_crontab(minute="10", hour="0"), name="search.reindex")
def nightly_reindex() -> int:
    from market.search import indexing

    with app_context():
        return indexing.reindex()
