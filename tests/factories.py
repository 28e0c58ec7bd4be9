"""Shared builders for the tests: rows for homes, listings and users, and orders in each state.

- `Factory` (the `make` fixture of conftest.py) writes homes, elders, listings, tour sessions,
  rooms, users and memberships as rows, without services, so that a test of one service does not
  depend on another.
- The order builders go the way a buyer and a home's staff go, through the real services: the
  cart and checkout reserve the seats, nights and stock; the offline provider or the (fake)
  Stripe records the payment; cancelling, expiring, refunding and shipping go through the
  order's lifecycle. What they build is what the application itself would have made.
  Builders named for a state make a new order (`buy`, `paid_offline`, `paid_by_stripe`, …);
  verbs act on an order already made (`pay_offline`, `mark_paid`, `cancel`, `expire`, `ship`,
  `refund`, …).
- The ledger and fund tests write orders and refunds as rows instead (`order_rows`,
  `refund_rows`, `posted_sale`) and post them through the ledger's hooks: what they check must
  not depend on the orders service.

Every function of market/ the builders call is imported in the block below and only there, so
that a module moving in market/ changes these lines and nothing else.
"""

import io
import json
import re
from datetime import date, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market import hooks
from market.clock import local_today
from market.orders import fulfilment
from market.orders.cart import add_to_cart, review_cart
from market.orders.checkout import Contact, checkout
from market.orders.lifecycle import apply_expire, cancel_order, mark_paid_offline
from market.orders.tokens import new_form_token
from market.payments.service import apply_record_payment, apply_request_refund
from models import (
    Elder,
    Home,
    Listing,
    Membership,
    Order,
    OrderLine,
    Payment,
    Refund,
    Room,
    TourSession,
    User,
    db,
    utcnow,
)
from tests.payments.stripe_fixtures import post_event, session_of, start
from tests.stripe_fake import event

PASSWORD = "correct horse 42"

CONTACT = Contact(name="李明", phone="13812345678", email="li@example.com",
                  province="北京市", city="北京市", district="朝阳区", street="幸福路1号")


# ---- rows -----------------------------------------------------------------------------------

class Factory:
    """Builds rows directly (no services), so tests of one service do not depend on another."""

    def __init__(self):
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def home(self, **fields) -> Home:
        n = self._next()
        values = dict(
            slug=f"home-{n}", name_zh=f"测试村幸福院{n}", name_en=f"Test Village Home {n}",
            province_zh="河北省", province_en="Hebei", county_zh="肥乡区", county_en="Feixiang",
            village_zh=f"测试村{n}", village_en=f"Test Village {n}", story_zh="故事", story_en="Story",
            care_share_bps=2000,
        )
        values.update(fields)
        home = Home(**values)
        db.session.add(home)
        db.session.commit()
        return home

    def elder(self, home: Home, **fields) -> Elder:
        values = dict(home_id=home.id, display_name_zh="王奶奶", display_name_en="Grandma Wang",
                      role="storyteller", consent_public=True, incentive_bps=500)
        values.update(fields)
        elder = Elder(**values)
        db.session.add(elder)
        db.session.commit()
        return elder

    def listing(self, home: Home, kind: str = "produce", **fields) -> Listing:
        n = self._next()
        values = dict(
            home_id=home.id, kind=kind, slug=f"listing-{n}", status="published",
            title_zh=f"商品{n}", title_en=f"Item {n}", description_zh="描述", description_en="About",
            price_fen=5000,
        )
        if kind in ("produce", "craft"):
            values.update(stock=10, unit_zh="斤", unit_en="jin")
        values.update(fields)
        listing = Listing(**values)
        db.session.add(listing)
        db.session.commit()
        return listing

    def session(self, listing: Listing, days: int = 7, **fields) -> TourSession:
        values = dict(listing_id=listing.id, starts_at=utcnow() + timedelta(days=days),
                      capacity=10, meeting_point_zh="村口大槐树", meeting_point_en="The old tree")
        values.update(fields)
        tour_session = TourSession(**values)
        db.session.add(tour_session)
        db.session.commit()
        return tour_session

    def room(self, listing: Listing, **fields) -> Room:
        values = dict(listing_id=listing.id, name_zh="东厢房", name_en="East room",
                      nightly_price_fen=18800, max_guests=2)
        values.update(fields)
        room = Room(**values)
        db.session.add(room)
        db.session.commit()
        return room

    def user(self, email: str | None = None, **fields) -> User:
        n = self._next()
        values = dict(name=f"User {n}", email=email or f"user{n}@example.com",
                      password_hash=generate_password_hash(PASSWORD))
        values.update(fields)
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        return user

    def member(self, home: Home, role: str = "staff", **fields) -> User:
        user = self.user(**fields)
        db.session.add(Membership(user_id=user.id, home_id=home.id, role=role))
        db.session.commit()
        return user


# ---- orders waiting for payment (pending_payment), through the cart and checkout --------------

def stay_dates(days_ahead: int = 10, nights: int = 2):
    """(check-in, check-out) `days_ahead` days from the home's today."""
    start_day = local_today(utcnow()) + timedelta(days=days_ahead)
    return start_day, start_day + timedelta(days=nights)


def check_out(owner: str, **options) -> list[Order]:
    """Check out `owner`'s cart at the total it shows: one order per home (options: user_id, …)."""
    total = review_cart(owner).total_fen
    return checkout(owner, CONTACT, new_form_token(), total, **options)


def buy(owner: str, **item) -> list[Order]:
    """Put one item in `owner`'s cart and check out at the shown total."""
    add_to_cart(owner, **item)
    return check_out(owner)


def order_of(owner: str, *items) -> Order:
    """One order of one home holding `items`, each (listing id, the fields of add_to_cart)."""
    for listing_id, fields in items:
        add_to_cart(owner, listing_id, **fields)
    [order] = check_out(owner)
    return order


def stripe_order(tour_session: TourSession, seats: int = 2, owner: str | None = None,
                 email: str | None = "buyer@example.com") -> Order:
    """A pending order for `seats` seats of `tour_session`, to be paid by Stripe."""
    owner = owner or f"s:{new_form_token()}"
    add_to_cart(owner, tour_session.listing_id, quantity=str(seats), session_id=str(tour_session.id))
    db.session.commit()
    review = review_cart(owner)
    contact = Contact(name="Ann Buyer", phone="13800138000", email=email)
    placed = checkout(owner, contact, new_form_token(), review.total_fen, provider_name="stripe",
                      locale="en")
    return placed[0]


# ---- paid -----------------------------------------------------------------------------------

def pay_offline(order: Order) -> Order:
    """The offline provider records the whole amount, in cash: the order is paid."""
    apply_record_payment(order, "offline", order.total_fen, order.currency, "cash")
    db.session.commit()
    assert order.status == "paid"
    return order


def mark_paid(order: Order, staff: User, method: str = "cash") -> Order:
    """Home staff mark the order paid (the whole amount received, offline), as the console does."""
    mark_paid_offline(order, actor=staff, method=method, amount_text=f"{order.total_fen / 100:.2f}")
    return db.session.get(Order, order.id)


def paid_offline(owner: str, *items) -> Order:
    """An order of `items` (see `order_of`), paid offline."""
    return pay_offline(order_of(owner, *items))


def paid_stay(make: Factory, home: Home, days_ahead: int, nights: int) -> Order:
    """A paid stay of `nights` nights in a new room of `home`, from `days_ahead` days on."""
    stay = make.listing(home, "homestay")
    room = make.room(stay)
    check_in, leave = stay_dates(days_ahead=days_ahead, nights=nights)
    item = {"room_id": room.id, "check_in": check_in.isoformat(), "check_out": leave.isoformat(),
            "guests": "1"}
    return paid_offline(f"s:stay{days_ahead}", (stay.id, item))


def paid_at_stripe(fake, tour_session: TourSession, seats: int = 2) -> tuple[Order, dict]:
    """A Stripe order its buyer has paid at Stripe, and the checkout.session.completed event
    that has not been delivered yet: (the order, still pending_payment; the event)."""
    order = stripe_order(tour_session, seats)
    start(order)
    return order, event("checkout.session.completed", fake.pay(session_of(order).provider_ref))


def paid_by_stripe(client, fake, tour_session: TourSession, seats: int = 2) -> Order:
    """A Stripe order paid: the Checkout Session paid at the fake Stripe, its webhook delivered."""
    order = stripe_order(tour_session, seats)
    result = start(order)
    assert result.redirect_url, result.instructions
    payment = session_of(order)
    response = post_event(client, event("checkout.session.completed", fake.pay(payment.provider_ref)))
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "paid"
    return db.session.get(Order, order.id)


# ---- later states: expired, cancelled, shipped (fulfilled), refunded ------------------------

def end_hold(order: Order) -> Order:
    """The order's hold ended a minute ago, unpaid; the next sweep (or page) expires it."""
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    return order


def expire(order: Order) -> Order:
    """Expire an unpaid order now (its hold released)."""
    apply_expire(order)
    db.session.commit()
    return order


def cancel(order: Order, reason: str = "plans changed", **options) -> Order:
    """Cancel through the lifecycle (options: actor, by_staff), refunding a paid order in full."""
    return cancel_order(order, reason=reason, **options)


def ship(order: Order, carrier: str = "EMS", tracking_number: str = "E1", staff: User | None = None):
    """Ship the order's goods lines; an order with nothing else owed is fulfilled."""
    return fulfilment.ship(order, staff, carrier, tracking_number)


def refund(order: Order, amounts: dict[int, int], reason: str = "refund") -> Refund:
    """Refund fen per line id through the order's provider (offline: settled at once)."""
    made = apply_request_refund(order, amounts, reason)
    db.session.commit()
    return made


# ---- through the pages: the buyer's cart and checkout, the staff console ---------------------
# (post_form is conftest's, imported inside each helper: conftest imports this module.)

CHECKOUT_FORM = {"contact_name": "李明", "contact_phone": "13812345678", "contact_email": "li@example.com",
                 "provider": "offline", "ship_province": "北京市", "ship_city": "北京",
                 "ship_district": "朝阳区", "ship_street": "幸福路1号"}


def add_on_page(client, listing: Listing, **data):
    """The listing's add-to-cart form, sent."""
    from tests.conftest import post_form

    return post_form(client, "/cart/add", {"listing_id": listing.id, **data}, form_url="/orders")


def check_out_on_page(client, **fields):
    """The checkout form, sent as shown (CHECKOUT_FORM's contact): (the response, its token)."""
    from tests.conftest import post_form

    page = client.get("/checkout").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([0-9a-f]+)"', page).group(1)
    total = re.search(r'name="expected_total"[^>]*value="(\d+)"', page).group(1)
    return post_form(client, "/checkout", {**CHECKOUT_FORM, "token": token, "expected_total": total,
                                           **fields}, form_url="/checkout"), token


def guest_tour_order(client, make: Factory) -> Order:
    """A guest's pending order of one seat, placed through the pages (the order is the guest's)."""
    tour = make.listing(make.home(), "tour")
    tour_session = make.session(tour)
    add_on_page(client, tour, session_id=tour_session.id, quantity="1")
    check_out_on_page(client)
    return db.session.scalar(select(Order))


def staff_url(order: Order, action: str = "") -> str:
    """The order's page in its home's console, or one of its actions ("/mark-paid", "/refund")."""
    return f"/manage/{order.home.slug}/orders/{order.reference}{action}"


def mark_paid_on_page(client, order: Order, amount: str, method: str = "cash"):
    """The console's mark-paid form, sent by the logged-in staff member."""
    from tests.conftest import post_form

    return post_form(client, staff_url(order, "/mark-paid"), {"method": method, "amount": amount},
                     form_url=staff_url(order))


# ---- rows for the ledger and the fund (no orders service) -----------------------------------

def order_rows(make: Factory, home: Home | None = None, lines=((6000, 2000, 500, 500, "produce"),),
               status: str = "paid", listing: Listing | None = None, elder: Elder | None = None,
               contact_name: str = "Buyer Secret") -> Order:
    """An order written as rows, one line per (amount, care bps, incentive bps, fee bps, kind);
    flushed, not committed, not posted."""
    home = home or make.home()
    listing = listing or make.listing(home)
    n = make._next()
    order = Order(
        reference=f"R{n:05d}",
        idempotency_token=f"tok-{n}",
        home_id=home.id,  # checkout makes one order per home
        status=status,
        total_fen=sum(line[0] for line in lines),
        contact_name=contact_name,
        contact_phone="13800000000",
        paid_at=utcnow(),
    )
    for amount, care, incentive, fee, kind in lines:
        order.lines.append(
            OrderLine(
                home_id=home.id,
                listing_id=listing.id,
                kind=kind,
                title="Millet",
                quantity=1,
                unit_price_fen=amount,
                amount_fen=amount,
                care_share_bps=care,
                incentive_bps=incentive,
                platform_fee_bps=fee,
                elder_id=elder.id if elder else None,
            )
        )
    db.session.add(order)
    db.session.flush()
    return order


def posted_sale(make: Factory, **kwargs) -> Order:
    """An order written as rows (see `order_rows`), its payment told to the ledger, committed."""
    order = order_rows(make, **kwargs)
    hooks.order_paid.send(order)
    db.session.commit()
    return order


def refund_rows(order: Order, amounts: dict[int, int], settle=True) -> Refund:
    """A settled offline payment and refund of fen per line id, written as rows; flushed, not
    committed, not told to the ledger."""
    payment = Payment(order_id=order.id, provider="offline", amount_fen=order.total_fen, status="succeeded")
    db.session.add(payment)
    db.session.flush()
    refund = Refund(
        payment_id=payment.id,
        order_id=order.id,
        idempotency_key=f"rf-{order.id}-{len(amounts)}-{sum(amounts.values())}-{utcnow().timestamp()}",
        status="succeeded",
        amount_fen=sum(amounts.values()),
        lines_json=json.dumps({str(k): v for k, v in amounts.items()}),
        settled_at=utcnow(),
    )
    db.session.add(refund)
    db.session.flush()
    return refund


# ---- subsidies and grants: recorded with a document, confirmed by a second person ----------

GRANT_PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def grant_document():
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(GRANT_PDF), filename="notice.pdf", content_type="application/pdf")


def confirmed_grant(home: Home, recorder: User, confirmer: User, fen: int, **fields):
    """A grant recorded with its document by one person and confirmed by another."""
    from market.fund import grants

    values = dict(source="township", source_name="Township office", amount_fen=fen,
                  received_on=date(2026, 11, 2), document=grant_document())
    values.update(fields)
    grant = grants.record_grant(home.id, recorder, **values)
    return grants.confirm_grant(home.id, grant.id, confirmer)
