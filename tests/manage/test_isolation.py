"""Every console and admin route keeps homes apart and roles in their place.

The routes are read from app.url_map, so a route added later is covered without editing
this file: staff of another home get 404, a supervisor's POST gets 403, anonymous visitors
are sent to log in, and ids of another home's rows are 404 even inside one's own home.
"""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market import create_app
from market.ledger.fund_entries import post_grant
from models import (
    Correction,
    Disbursement,
    Donation,
    Elder,
    ElderPayout,
    Grant,
    Home,
    Listing,
    Membership,
    Order,
    OrderLine,
    Photo,
    Room,
    Service,
    ServiceRequest,
    TimeAllocation,
    TimeDispute,
    TimePerson,
    TourSession,
    User,
    db,
    utcnow,
)
from tests.conftest import PASSWORD, csrf_from, login

_SKIP = {"HEAD", "OPTIONS"}


def _collect_rules():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    manage, admin = [], []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - _SKIP):
            if rule.rule.startswith("/manage/<home_slug>"):
                manage.append((rule.endpoint, rule.rule, method))
            elif rule.rule.startswith("/admin"):
                admin.append((rule.endpoint, rule.rule, method))
    return sorted(manage), sorted(admin)


MANAGE_RULES, ADMIN_RULES = _collect_rules()
ALL_RULES = [("manage", *r) for r in MANAGE_RULES] + [("admin", *r) for r in ADMIN_RULES]
ID_ARGS = ("listing_id", "session_id", "room_id", "photo_id", "elder_id", "disbursement_id",
           "donation_id", "reference", "line_id", "correction_id", "grant_id", "person_id", "request_id",
           "service_id", "dispute_id", "allocation_id", "payout_id")
CROSS_ID_RULES = [r for r in MANAGE_RULES if any(f"{arg}>" in r[1] for arg in ID_ARGS)]

# Routes under /manage/<home_slug> whose role rules differ from the console's default ON PURPOSE
# (the care fund's four-eyes workflow, issue 6). Everything not named here follows the default:
# staff read and write, supervisors read only, everyone else 404. Isolation between homes and
# the log-in redirect hold for every route without exception.
SUPERVISOR_MAY_POST = {
    "fund_manage.decide",  # a supervisor approves or rejects proposed spending
    "fund_manage.new_grant",  # supervisors record village and government grants
    "fund_manage.propose",  # supervisors may propose spending too (another one approves)
    "fund_manage.confirm_donation",
    "fund_manage.cancel_donation",
    "fund_manage.new_correction",  # any member proposes a correction (someone else decides)
    "fund_manage.decide_correction",
    "fund_manage.withdraw_correction",  # the proposer, supervisor or staff, withdraws it
    "fund_manage.confirm_grant",  # a second supervisor confirms a grant against its document
    "timebank_manage.dispute",  # the village committee may question a confirmed service (issue 19)
    "timebank_manage.decide",  # a supervisor decides a dispute (four eyes)
    "timebank_manage.decide_allocation",  # a supervisor approves hours from the reserve (four eyes)
    "notify_staff.save",  # every member chooses their own mail (issue 18)
    "fund_manage.reject_grant",  # a second person rejects a grant, as one confirms it (issue 16)
    "fund_manage.withdraw_disbursement",  # the proposer, supervisor or staff, withdraws it
    "impact_moderation.committee_decide",  # the home's committee hides or restores a review (issue 20)
    "timebank_manage.propose_budget",  # any member proposes a recognition budget (issue 19)...
    "timebank_manage.decide_budget",  # ...and a supervisor who did not propose it decides
    "fund_elders.new_payout",  # any member records a payout to an elder (issue 16)...
    "fund_elders.decide_payout",  # ...and a second person signs it off
    "fund_elders.withdraw_payout",  # the recorder, supervisor or staff, withdraws it
}
# The administrator decides proposals no supervisor of the home may (a lone supervisor's own).
ADMIN_MAY_ENTER = {"fund_manage.index", "fund_manage.new_grant", "fund_manage.new_settlement",
                   "fund_manage.disbursement", "fund_manage.decide", "fund_manage.correction",
                   "fund_manage.decide_correction", "fund_manage.grant", "fund_manage.confirm_grant",
                   "fund_manage.grant_document", "fund_manage.reject_grant", "fund_months.index",
                   "fund_months.settle", "fund_elders.index", "fund_elders.sheet", "fund_elders.payout",
                   "fund_elders.decide_payout"}
ADMIN_ONLY = {"fund_manage.new_settlement", "fund_months.settle"}  # members of the home get 403
SUPERVISOR_ONLY = {"fund_manage.new_grant", "impact_moderation.committee_list"}  # staff get 403
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def _ids(rule):
    return f"{rule[-1]} {rule[-2]}"


def test_the_rule_lists_are_not_empty():
    assert len(MANAGE_RULES) >= 20 and len(ADMIN_RULES) >= 5
    assert any(method == "POST" for _e, _r, method in MANAGE_RULES)
    assert len(CROSS_ID_RULES) >= 10


def test_exceptions_name_real_routes():
    endpoints = {endpoint for endpoint, _r, _m in MANAGE_RULES}
    for name in SUPERVISOR_MAY_POST | ADMIN_MAY_ENTER | ADMIN_ONLY | SUPERVISOR_ONLY:
        assert name in endpoints, f"stale exception: {name}"
    assert not any(name.startswith("manage.") for name in SUPERVISOR_MAY_POST | ADMIN_MAY_ENTER)


class World:
    """Two homes with one of everything, and people in every role (built with one commit)."""

    def __init__(self):
        self.a = self._home("home-a")
        self.b = self._home("home-b")
        self.staff_a, self.staff_b = self.a.staff, self.b.staff
        self.supervisor_a = self._user("supervisor-a", home=self.a.home, role="supervisor")
        self.customer = self._user("customer")
        self.admin = self._user("admin", is_admin=True)
        db.session.commit()
        for rows in (self.a, self.b):  # the donation form's fields carry the donation's id
            PAYLOAD[f"d{rows.donation.id}-amount"] = "1"
            rows.membership = db.session.scalar(
                select(Membership).where(Membership.home_id == rows.home.id, Membership.role == "staff")
            )
            receipts = Path(current_app.config.get("RECEIPT_ROOT")
                            or Path(current_app.config["INSTANCE_DIR"]) / "receipts")
            receipts.mkdir(parents=True, exist_ok=True)
            (receipts / rows.disbursement.receipt_path).write_bytes(b"%PDF-1.4 receipt")
            (receipts / rows.grant.document_path).write_bytes(b"%PDF-1.4 notice")

    @staticmethod
    def _add(row):
        db.session.add(row)
        db.session.flush()
        return row

    def _user(self, name, home=None, role=None, **fields):
        email = f"{name.replace('-', '')}@example.com"  # (hyphens are dropped from identifiers)
        user = self._add(User(name=name, email=email, password_hash=FAST_HASH, **fields))
        if home is not None:
            self._add(Membership(user_id=user.id, home_id=home.id, role=role))
        return user

    def _home(self, slug):
        class Rows:
            pass

        add = self._add
        rows = Rows()
        rows.home = add(Home(slug=slug, name_zh=f"{slug}幸福院", name_en=slug, province_zh="河北省",
                             province_en="Hebei", county_zh="肥乡区", county_en="Feixiang",
                             village_zh="前屯村", village_en="Qiantun", care_share_bps=2000))
        rows.staff = self._user(f"staff-{slug}", home=rows.home, role="staff")
        rows.elder = add(Elder(home_id=rows.home.id, display_name_zh="王奶奶", display_name_en="Grandma Wang",
                               role="storyteller", consent_public=True, incentive_bps=500))
        rows.tour = add(Listing(home_id=rows.home.id, kind="tour", slug=f"{slug}-tour", status="published",
                                title_zh="讲故事", price_fen=5000))
        rows.session = add(TourSession(listing_id=rows.tour.id, starts_at=utcnow() + timedelta(days=7),
                                       capacity=10))
        rows.homestay = add(Listing(home_id=rows.home.id, kind="homestay", slug=f"{slug}-stay",
                                    status="published", title_zh="农家小院", price_fen=18800))
        rows.room = add(Room(listing_id=rows.homestay.id, name_zh="东厢房", nightly_price_fen=18800,
                             max_guests=2))
        rows.photo = add(Photo(home_id=rows.home.id, listing_id=rows.tour.id, path=f"{slug}.jpg",
                               thumb_path=f"{slug}_t.jpg", width=10, height=10))
        rows.order = add(Order(reference=f"R{slug[-1].upper()}1234", idempotency_token=f"tok-{slug}",
                               home_id=rows.home.id, total_fen=5000, contact_name="张三",
                               contact_phone="13800138000"))
        rows.line = add(OrderLine(order_id=rows.order.id, home_id=rows.home.id, listing_id=rows.tour.id,
                                  kind="tour", title="讲故事", session_id=rows.session.id, quantity=1,
                                  unit_price_fen=5000, amount_fen=5000, care_share_bps=2000))
        rows.disbursement = add(Disbursement(home_id=rows.home.id, category="meals", amount_fen=100,
                                             payee="村食堂", spent_on=date(2026, 1, 5),
                                             proposed_by_id=rows.staff.id, receipt_path=f"{slug}.pdf",
                                             receipt_content_type="application/pdf"))
        rows.donation = add(Donation(reference=f"D{slug[-1].upper()}1234", home_id=rows.home.id,
                                     amount_fen=1000))
        rows.grant_entry = post_grant(home_id=rows.home.id, amount_fen=100, grant_id=rows.home.id,
                                      source="township", memo="seed")
        rows.grant = add(Grant(home_id=rows.home.id, source="township", source_name="镇政府", amount_fen=100,
                               received_on=date(2026, 1, 5), recorded_by_id=rows.staff.id,
                               document_path=f"{slug}-grant.pdf", document_content_type="application/pdf"))
        rows.correction = add(Correction(home_id=rows.home.id, entry_id=rows.grant_entry.id, reason="twice",
                                         proposed_by_id=rows.staff.id))
        rows.payout = add(ElderPayout(home_id=rows.home.id, elder_id=rows.elder.id, amount_fen=100,
                                      method="cash", paid_by="李", paid_on=date(2026, 1, 5),
                                      recorded_by_id=rows.staff.id))
        # The time bank (issue 19): a person, a request, a logged service, a dispute, an allocation.
        home_id = rows.home.id
        rows.tb_elder = add(TimePerson(home_id=home_id, name="王奶奶", village="前屯村", is_volunteer=False))
        helper = add(TimePerson(home_id=home_id, name="小李", village="前屯村", skills="visits"))
        rows.tb_request = add(ServiceRequest(home_id=home_id, elder_id=rows.tb_elder.id, skill="visits",
                                             what="聊天", wanted_at=utcnow() + timedelta(days=1)))
        rows.tb_service = add(Service(home_id=home_id, volunteer_id=helper.id, receiver_id=rows.tb_elder.id,
                                      skill="visits", started_at=utcnow() - timedelta(hours=3),
                                      ended_at=utcnow() - timedelta(hours=2), minutes=60,
                                      logged_by_id=rows.staff.id))
        rows.tb_dispute = add(TimeDispute(home_id=home_id, service_id=rows.tb_service.id, reason="x",
                                          opened_by_id=rows.staff.id))
        rows.tb_allocation = add(TimeAllocation(home_id=home_id, to_person_id=rows.tb_elder.id, minutes=30,
                                                reason="x", proposed_by_id=rows.staff.id))
        return rows

    def url(self, rule: str, endpoint: str, slug_of=None, ids_of=None):
        """Fill a rule's arguments: the home in the URL from slug_of, row ids from ids_of."""
        slug_of = slug_of or self.a
        ids_of = ids_of or slug_of
        listing = ids_of.homestay if "room" in endpoint else ids_of.tour
        values = {
            "home_slug": slug_of.home.slug, "kind": "tour", "listing_id": listing.id,
            "session_id": ids_of.session.id, "room_id": ids_of.room.id, "photo_id": ids_of.photo.id,
            "elder_id": ids_of.elder.id, "home_id": slug_of.home.id,
            "membership_id": slug_of.membership.id, "disbursement_id": ids_of.disbursement.id,
            "donation_id": ids_of.donation.id, "reference": ids_of.order.reference,
            "line_id": ids_of.line.id, "correction_id": ids_of.correction.id, "grant_id": ids_of.grant.id,
            "job_id": 1,  # /admin/jobs: refused before any lookup
            "person_id": ids_of.tb_elder.id, "request_id": ids_of.tb_request.id,
            "service_id": ids_of.tb_service.id, "dispute_id": ids_of.tb_dispute.id,
            "allocation_id": ids_of.tb_allocation.id, "payout_id": ids_of.payout.id,
            "day": (date.today() + timedelta(days=5)).isoformat(),  # a room's night (room calendar)
            # No such rows: roles and homes are still checked; each feature's own tests cross ids.
            "refund_id": 999_999, "budget_id": 999_999, "recognition_id": 999_999,
        }
        url = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>",
                     lambda match: str(values[match.group(1)]), rule)
        assert "<" not in url, url
        return url


@pytest.fixture
def world(app):
    return World()


# Data that would change something if a guard let it through.
PAYLOAD = {
    "status": "archived", "title_zh": "改了", "price": "1", "stock": "0", "capacity": "1",
    "duration_minutes": "30", "day": "2031-01-01", "start": "10:00", "name_zh": "改了",
    "max_guests": "1", "display_name_zh": "改了", "role": "staff", "incentive": "0",
    "identifier": "nobody@example.com", "slug": "changed", "care_share": "1", "approve": "y",
    "amount": "1", "action": "block", "confirmed": "yes", "reason": "x",
}


def snapshot():
    db.session.rollback()
    return {
        table.name: sorted(map(repr, db.session.execute(table.select()).all()))
        for table in db.metadata.sorted_tables
    }


def _request(client, method, url, token_page="/"):
    if method == "GET":
        return client.get(url)
    data = dict(PAYLOAD, csrf_token=csrf_from(client, token_page))
    return client.post(url, data=data)


def _as(user):
    """A fresh browser logged in as this user."""
    client = current_app.test_client()
    login(client, user)
    return client


def _unchanged_after(client, method, url, expected: int, who: str, token_page="/"):
    before = snapshot() if method != "GET" else None
    response = _request(client, method, url, token_page)
    assert response.status_code == expected, f"{who}: {method} {url} -> {response.status_code}"
    if before is not None:
        assert snapshot() == before, f"{who}: {method} {url} changed data"
    return response


@pytest.mark.parametrize("rule", MANAGE_RULES, ids=_ids)
def test_console_route_keeps_homes_and_roles_apart(client, world, rule):
    endpoint, path, method = rule
    url = world.url(path, endpoint)

    # Anonymous: sent to log in, nothing changed.
    response = _unchanged_after(client, method, url, 302, "anonymous", token_page="/login")
    assert "/login" in response.headers["Location"]

    # Staff of another home, a customer, and an admin who is not a member: 404.
    outsiders = [("staff of another home", world.staff_b), ("customer", world.customer)]
    if endpoint not in ADMIN_MAY_ENTER:
        outsiders.append(("admin who is not a member", world.admin))
    for who, user in outsiders:
        _unchanged_after(_as(user), method, url, 404, who)

    # Supervisor of this home: reads, never writes (except the fund's agreed exceptions).
    client = _as(world.supervisor_a)
    if not (method == "POST" and endpoint in SUPERVISOR_MAY_POST):
        readable = method == "GET" and endpoint not in ADMIN_ONLY
        _unchanged_after(client, method, url, 200 if readable else 403, "supervisor")

    # Staff of this home, with ids of another home's rows in the URL: 404, nothing changed.
    client = _as(world.staff_a)
    if rule in CROSS_ID_RULES:
        foreign = world.url(path, endpoint, slug_of=world.a, ids_of=world.b)
        _unchanged_after(client, method, foreign, 404, "staff with another home's id")

    # ...and the page itself opens for them, so the 404s above are the guard's doing.
    if method == "GET":
        expected = 403 if endpoint in ADMIN_ONLY | SUPERVISOR_ONLY else 200
        assert client.get(url).status_code == expected


@pytest.mark.parametrize("rule", ADMIN_RULES, ids=_ids)
def test_admin_route_is_for_admins_only(client, world, rule):
    endpoint, path, method = rule
    url = world.url(path, endpoint)
    response = _unchanged_after(client, method, url, 302, "anonymous", token_page="/login")
    assert "/login" in response.headers["Location"]
    for who, user in (("staff", world.staff_b), ("supervisor", world.supervisor_a),
                      ("customer", world.customer)):
        _unchanged_after(_as(user), method, url, 403, who)
    if method == "GET":
        assert _as(world.admin).get(url).status_code in (200, 302)


def test_console_index_needs_login(client):
    response = client.get("/manage/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_home_and_listing_are_404_for_staff(client, world):
    login(client, world.staff_a)
    assert client.get("/manage/no-such-home/").status_code == 404
    assert client.get("/manage/home-a/listings/999999").status_code == 404
    assert client.get("/manage/home-a/listings/new/spaceship").status_code == 404
