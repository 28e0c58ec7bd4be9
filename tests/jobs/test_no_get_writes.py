"""No GET of a public page writes to the database: what pages used to do as they were read
(release care-fund income) is a scheduled job now."""

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from market.fund.tasks import release_income
from market.ledger import service as ledger
from models import OrderEvent, db, utcnow
from tests.factories import paid_offline, ship


@pytest.fixture
def writes(app):
    """Every INSERT, UPDATE or DELETE sent to the database while the test runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_a_crawl_of_the_public_pages_writes_nothing_and_the_job_releases_the_income(
        app, client, make, writes):
    home = make.home()
    rice = make.listing(home, "produce", stock=5)
    tour = make.listing(home, "tour")
    make.session(tour)
    order = paid_offline("s:crawl", (rice.id, {"quantity": "1"}))
    ship(order)
    # Fulfilled long enough ago that its care share is due to move from pending to available.
    db.session.execute(update(OrderEvent).where(OrderEvent.order_id == order.id).values(
        created_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    pending = ledger.home_balances(home.id).get("care_fund:pending", 0)
    assert pending > 0
    writes.clear()
    pages = ["/", "/browse", "/kind/produce", f"/homes/{home.slug}", f"/listings/{rice.slug}",
             f"/listings/{tour.slug}", "/search?q=rice", "/fund/", f"/fund/{home.slug}",
             f"/fund/{home.slug}/entries.json", "/healthz"]
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert writes == []
    assert ledger.home_balances(home.id).get("care_fund:pending", 0) == pending  # pages only read
    db.session.commit()  # the test's read ends
    release_income()  # the 10-minute schedule's task (immediate in tests)
    balances = ledger.home_balances(home.id)
    assert balances.get("care_fund:pending", 0) == 0 and balances["care_fund:available"] == pending
