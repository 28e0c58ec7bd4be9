"""Dashboards: a home's staff and committee, and the admin's side-by-side view with its CSV;
sales kept by the order hooks and checked by verify."""

import csv
import io

from market.impact import dashboards, records, surveys
from market.impact.sums import recomputed_sales, stored_sales
from market.impact.verify import verify_impact
from market.ledger import fund_entries
from market.orders.cart import add_to_cart
from models import Order, db
from tests.conftest import login
from tests.factories import check_out, pay_offline, refund


def _sale(make, home, buyer, price=5000, quantity=2):
    listing = make.listing(home, "produce", price_fen=price)
    owner = f"u:{buyer.id}"
    add_to_cart(owner, listing.id, quantity=str(quantity))
    [order] = check_out(owner, user_id=buyer.id)
    pay_offline(order)
    return db.session.get(Order, order.id), listing


def test_sales_are_kept_by_the_hooks_and_net_of_refunds(app, make):
    home = make.home()
    order, listing = _sale(make, home, make.user())
    board = dashboards.staff_dashboard(home.id)
    assert board.sales[-1] == 100_00 and board.sales_by_kind == {"produce": 100_00}
    top = [(found.id, fen, quantity) for found, fen, quantity in board.top_listings]
    assert top == [(listing.id, 100_00, 2)]
    refund(order, {order.lines[0].id: 30_00})
    assert dashboards.staff_dashboard(home.id).sales[-1] == 70_00
    assert stored_sales() == recomputed_sales() and verify_impact().ok


def test_occupancy_of_sessions_and_rooms(app, make):
    home = make.home()
    tour = make.listing(home, "tour")
    make.session(tour, days=0, capacity=10, reserved=4)
    board = dashboards.staff_dashboard(home.id)
    assert board.occupancy[0].seats in (0, 10)  # a session today may be in this month or none
    month = sum(o.seats for o in board.occupancy)
    assert month == 10 and sum(o.seats_sold for o in board.occupancy) == 4


def test_staff_and_committee_dashboards(client, make):
    home, other = make.home(), make.home()
    staff, supervisor = make.member(home, "staff"), make.member(home, "supervisor")
    _sale(make, home, make.user())
    url = f"/manage/{home.slug}/impact/dashboard"
    login(client, staff)
    page = client.get(url).get_data(as_text=True)
    assert client.get(url).status_code == 200 and page.count("<svg viewBox") == 2
    assert "approvals-heading" not in page
    client.delete_cookie("session")
    login(client, supervisor)
    page = client.get(url).get_data(as_text=True)
    assert "approvals-heading" in page
    client.delete_cookie("session")
    login(client, make.member(other, "staff"))
    assert client.get(url).status_code == 404


def _compare_home(make, name, meals, stars=None):
    home = make.home(name_zh=name)
    person = records.add_resident(home.id, "老人")
    from datetime import timedelta

    from market import clock
    for n in range(meals):
        records.record_service(home.id, person.id, clock.local_today() - timedelta(days=n), "meal", None)
    return home


def test_admin_comparison_sorts_and_exports_csv_with_a_bom(client, make):
    a = _compare_home(make, "甲村幸福院", 3)
    b = _compare_home(make, "乙村幸福院", 5)
    fund_entries.post_grant(home_id=a.id, amount_fen=900_00, grant_id=1, source="township", memo="g")
    db.session.commit()
    people = [records.add_resident(b.id, f"人{n}") for n in range(3)]
    for person in people:
        surveys.record_survey(b.id, person.id, {q: 4 for q in surveys.QUESTIONS}, helped=True, user_id=None)
    rows = dashboards.comparison(sort="meals", descending=True)
    assert [r.home.id for r in rows] == [b.id, a.id]
    assert rows[0].figures["satisfaction"] == 40 and rows[1].figures["satisfaction"] is None
    assert [r.home.id for r in dashboards.comparison(sort="satisfaction")] == [b.id, a.id]  # none last
    assert [r.home.id for r in dashboards.comparison(sort="income", descending=True)][0] == a.id
    assert client.get("/admin/impact/").status_code in (302, 401)
    login(client, make.user())
    assert client.get("/admin/impact/").status_code == 403
    assert client.get("/admin/impact/homes.csv").status_code == 403
    client.delete_cookie("session")
    login(client, make.user(is_admin=True))
    page = client.get("/admin/impact/?sort=meals&order=desc").get_data(as_text=True)
    assert page.index("乙村幸福院") < page.index("甲村幸福院") and 'aria-sort="descending"' in page
    assert client.get("/admin/impact/?sort=nonsense&order=x").status_code == 200
    response = client.get("/admin/impact/homes.csv?sort=meals&order=desc")
    assert response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(table) == 3 and table[1][1] == "乙村幸福院" and table[1][4] == "5"
    assert table[2][10] == "900.00"  # a's care fund income in yuan


def test_the_comparison_agrees_with_each_homes_page(app, make):
    from market.impact import report
    from tests.impact.test_page import _home_with_history

    home = _home_with_history(make)
    [row] = [r for r in dashboards.comparison() if r.home.id == home.id]
    shown = report.home_report(home.id)
    f = row.figures
    assert f["meals"] == sum(shown.services["meal"]) + sum(shown.services["delivered"])
    assert f["attendance"] == sum(shown.attendance) and f["elders"] == shown.elders[-1]
    assert f["income"] == shown.income_total and f["available"] == shown.available
    assert f["months_covered"] == shown.months_covered
