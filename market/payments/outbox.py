"""Calls to a payment service that wait until the use case that decided them has committed.

Nothing talks to Stripe inside a database transaction: a network wait there would hold row locks
(or SQLite's write lock) for seconds, and a rollback after the call would forget what Stripe did.
While a use case works it queues such calls with `later`; a rollback of its transaction drops
them; after its commit it runs them with `run`. Each queued function checks the database again
and keeps its own short transactions around the network call.

The queue lives in memory, so whatever must survive a crash is also in the database: a pending
Refund with no provider reference is sent by `flask payments resend-refunds`, and missing fees and
waiting events are filled in by `flask payments reconcile`.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from models import db

log = logging.getLogger(__name__)
KEY = "market.payments.later"


def later(call, *args) -> None:
    """Queue `call(*args)` for after the commit of the current transaction."""
    db.session.info.setdefault(KEY, []).append((call, args))


def run() -> None:
    """Run what the last commit queued, each call followed by what it queued in turn."""
    run_calls(take())


def take() -> list:
    """Take what the last commit queued, to run elsewhere (`run_calls`), e.g. after a response."""
    return db.session().info.pop(KEY, [])


def run_calls(calls: list) -> None:
    for call, args in calls:
        try:
            call(*args)
        except Exception:  # noqa: BLE001 - the use case has committed; what failed is retried later
            db.session.rollback()
            log.exception("after-commit call %s%r failed", getattr(call, "__name__", call), args)
        run()


def after_response(response, app) -> None:
    """Run what the request's last commit queued once `response` has been sent (a webhook must
    answer quickly and never wait on a call to Stripe), in an application context of its own."""
    calls = take()
    if not calls:
        return

    def send():
        with app.app_context():
            run_calls(calls)

    response.call_on_close(send)


@event.listens_for(Session, "after_soft_rollback")
def _drop(session, previous_transaction):
    # Only the outermost rollback: a savepoint rolled back inside a use case that goes on to
    # commit keeps the calls queued before it (each call checks the database again anyway).
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(KEY, None)
