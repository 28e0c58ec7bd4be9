"""Search's scheduled work: queued index updates every 30 s (Huey's finest schedule is a minute,
so the minute's run also schedules one half a minute later), and a fresh index built beside the
live one every night at 00:10, home time. Search pages only read the index: a listing that sold
out or came back shows so in search results within half a minute."""

from market.jobs.queue import app_context, home_crontab, huey

HALF_MINUTE = 30


def _apply() -> int:
    from market.search import indexing
    from models import db

    with app_context():
        queued = indexing.queued_count()
        db.session.rollback()  # the index update reads and writes in sessions of its own
        if queued:
            indexing.update_listings()
        return queued


@huey.task(name="search.apply_queue_again")
def apply_queue_again() -> int:
    return _apply()


@huey.periodic_task(home_crontab(minute="*"), name="search.apply_queue")
def apply_queue() -> int:
    """Apply the queue now and again in 30 s. Returns how many queued rows there were."""
    queued = _apply()
    apply_queue_again.schedule(delay=HALF_MINUTE)
    return queued


@huey.periodic_task(home_crontab(minute="10", hour="0"), name="search.reindex")
def nightly_reindex() -> int:
    from market.search import indexing

    with app_context():
        return indexing.reindex()
