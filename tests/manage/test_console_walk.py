"""The console's Done-when (#18), as the demo staff of Qiantun on a 360px phone (Chromium):
log in → today page → publish a tour with photos and 8 weekly sessions in one flow → move a
booked session (the buyer's order shows it, a mail waits in the outbox) → a walk-in order for a
produce item → mark attendance → print the attendee list.

axe-core runs on every console page visited (0 serious/critical) and no page may be wider than
the phone. Taps from the today page are counted per task and checked against the issue's target
(each daily action ≤ 2 taps); the counts are printed. Screenshots go to $BROWSER_SCREENSHOTS.
Marked `browser`: runs once, on the PostgreSQL run.
"""

import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from market.demo import data as demo
from market.orders.timeline import MOVED
from models import Home, Listing, Order, OutboxJob, TourSession, db, utcnow
from tests.site.test_browser import browser, live_server, phone_page, shots  # noqa: F401
from tests.site.test_buyer_walk import Walk
from tests.site.test_buyer_walk import _axe_source as axe_source

pytestmark = pytest.mark.browser


def _png(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(out, "PNG")
    return out.getvalue()


def _book(listing: Listing, tour_session: TourSession, owner: str, email: str | None) -> Order:
    """A buyer's paid order for 2 seats, through the cart and checkout."""
    from market.orders.cart import add_to_cart, review_cart
    from market.orders.checkout import Contact, checkout
    from market.orders.tokens import new_form_token
    from tests.factories import pay_offline

    add_to_cart(owner, listing.id, quantity="2", session_id=str(tour_session.id))
    [order] = checkout(owner, Contact(name="赵先生", phone="13900139000", email=email), new_form_token(),
                       review_cart(owner).total_fen)
    return pay_offline(order)


def _setup():
    """A booked session next week, and a session that began half an hour ago with a booking."""
    home = db.session.scalar(select(Home).where(Home.slug == "qiantun"))
    tour = db.session.scalar(select(Listing).where(Listing.home_id == home.id, Listing.kind == "tour",
                                                   Listing.status == "published").order_by(Listing.id))
    coming = TourSession(listing_id=tour.id, starts_at=utcnow() + timedelta(days=3, hours=2), capacity=10,
                         duration_minutes=90, meeting_point_zh="村口", meeting_point_en="Village gate")
    started = TourSession(listing_id=tour.id, starts_at=utcnow() + timedelta(minutes=5), capacity=10,
                          duration_minutes=90, meeting_point_zh="村口", meeting_point_en="Village gate")
    db.session.add_all([coming, started])
    db.session.commit()
    moved = _book(tour, coming, "s:walk-moved", "zhao@example.com")
    attending = _book(tour, started, "s:walk-attends", None)
    started.starts_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    return home, coming, moved, attending


def _click(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_console_walk_at_360px(browser, live_server, shots):  # noqa: F811
    home, coming, moved, attending = _setup()
    page = phone_page(browser, bypass_csp=True)
    walk = Walk(page, shots, "console", axe_source())
    taps: dict[str, int] = {}
    page.goto(f"{live_server}/lang/en")

    # Log in as the demo staff: the today page comes first.
    page.goto(f"{live_server}/login")
    email = next(row[1] for row in demo.ACCOUNTS if row[3] == "qiantun" and row[4] == "staff")
    page.fill("#identifier", email)
    page.fill("#password", demo.PASSWORD)
    _click(page, page.locator("main form button[type=submit]").first)
    assert page.url.endswith("/manage/qiantun/orders/today"), page.url
    walk.check("today")
    today = page.url

    # Publish a tour with 3 photos and 8 weekly sessions: one form, its preview, "Publish".
    _click(page, page.get_by_role("link", name="Publish or change a listing"))
    walk.check("listings")
    _click(page, page.locator("main a[href$='/publish/tour']"))
    walk.check("publish-form")
    page.fill("#title_zh", "老手艺：编竹篮")
    page.fill("#title_en", "Old crafts: weaving a bamboo basket")
    page.fill("#description_zh", "跟着老人编一个小竹篮，带回家。")
    page.fill("#price", "58")
    page.set_input_files("#photo", [{"name": f"basket-{n}.png", "mimeType": "image/png", "buffer": _png(c)}
                                    for n, c in enumerate(((180, 120, 40), (60, 140, 60), (40, 80, 160)))])
    page.fill("#cover", "2")
    first = (utcnow() + timedelta(days=9)).date()
    page.fill("#day", first.isoformat())
    page.fill("#start", "09:00")
    page.fill("#weeks", "8")
    _click(page, page.get_by_role("button", name="Preview"))
    assert "/preview" in page.url
    walk.check("preview")
    _click(page, page.locator(".preview-bar button[value=published]"))
    walk.check("published")
    taps["publish a tour (from today)"] = 4  # listings, Tour, Preview, Publish (and the one form)
    listing = db.session.scalar(
        select(Listing).where(Listing.title_en == "Old crafts: weaving a bamboo basket"))
    assert listing.status == "published" and len(listing.photos) == 3 and len(listing.sessions) == 8

    # Move the booked session from the today page: its "Move or change" button, the form.
    page.goto(today)
    _click(page, page.locator(f"a[href$='/sessions/{coming.id}/edit']"))
    walk.check("session-edit")
    page.fill("#start", "15:30")
    page.check("#buyers_told")
    _click(page, page.locator("main form button[type=submit]").first)
    taps["move a booked session"] = 2
    db.session.expire_all()
    order = db.session.get(Order, moved.id)
    assert any(event.reason.startswith(MOVED) for event in order.events)
    mails = [json.loads(job.args_json) for job in db.session.scalars(select(OutboxJob))
             if job.task.endswith("send_job")]
    assert any(args[0] == "zhao@example.com" and moved.reference in args[1] for args in mails)
    page.goto(f"{live_server}/manage/qiantun/orders/{moved.reference}")
    assert "The session was moved from" in page.content()
    walk.check("moved-order")

    # A walk-in buyer takes a bag of produce, paying in cash.
    page.goto(today)
    _click(page, page.get_by_role("link", name="Walk-in order").last)
    walk.check("walk-in")
    produce = db.session.scalar(select(Listing).where(Listing.home_id == home.id, Listing.kind == "produce",
                                                      Listing.status == "published", Listing.stock > 2)
                                .order_by(Listing.id))
    page.select_option("#choice", f"g:{produce.id}")
    page.fill("#quantity", "1")
    page.fill("#name", "王大爷")
    page.fill("#phone", "13700137000")
    _click(page, page.get_by_role("button", name="Take the order"))
    assert page.url.endswith("/receipt")
    walk.check("receipt")
    assert "Received by" in page.content()
    taps["walk-in order"] = 2

    # Mark the attendee of the session that has begun: one tap on the today page.
    page.goto(today)
    _click(page, page.locator(f"form[action*='/{attending.reference}/lines/'] button"))
    walk.check("attended")
    taps["mark attendance"] = 1
    db.session.expire_all()
    assert all(line.fulfilled_at for line in db.session.get(Order, attending.id).lines)

    # Print the attendee list: the today page itself, printed (buttons and forms left out).
    page.emulate_media(media="print")
    assert page.locator(".attendance table").first.is_visible()
    assert not page.locator("button").first.is_visible()
    page.screenshot(path=str(shots / "walk-console-print-attendees.png"), full_page=True)
    page.emulate_media(media="screen")
    taps["print the attendee list"] = 1

    # Block a night of a room from the room calendar (no booking on it: it is blocked at once).
    page.goto(today)
    _click(page, page.get_by_role("link", name="Room calendars").first)
    walk.check("rooms")
    _click(page, page.locator("main a.button").first)
    walk.check("room-calendar")
    blocked = page.locator("table.staff-calendar td.blocked").count()  # the demo blocks one too
    _click(page, page.locator("table.staff-calendar td.free a").last)
    walk.check("room-night")
    _click(page, page.get_by_role("button", name="Block this night"))
    assert page.locator("table.staff-calendar td.blocked").count() == blocked + 1
    walk.check("night-blocked")
    taps["block a room's night"] = 4

    print("\nTaps from the today page per task:", json.dumps(taps, ensure_ascii=False))
    page.context.close()
    daily = ("move a booked session", "walk-in order", "mark attendance", "print the attendee list")
    assert all(taps[task] <= 2 for task in daily), taps
    assert walk.problems == [], "\n".join(walk.problems)
