"""Mail for a home's staff and committee (market/notify/): one test per kind of event, each
person's choices respected, mail only through the outbox, once per event and person, in the
person's language, and never to people of another home."""

import json

import pytest
from sqlalchemy import select

from market.fund import corrections, donations
from market.notify import service
from market.orders import lifecycle
from models import NotificationSetting, OutboxJob, db
from tests.conftest import login, post_form
from tests.factories import add_to_cart, buy, check_out, paid_by_stripe, stripe_order
from tests.fund.test_corrections import _grant
from tests.fund.test_disbursements import _proposal
from tests.payments.stripe_fixtures import *  # noqa: F403 - the fixture fake


def mails(prefix="notify:"):
    """(to, subject, body) of every outbox mail whose key starts with `prefix`, by key."""
    rows = db.session.scalars(
        select(OutboxJob).where(OutboxJob.key.startswith(prefix)).order_by(OutboxJob.id))
    found = {}
    for row in rows:
        assert row.task == "market.mail:send_job"
        found[row.key] = tuple(json.loads(row.args_json))
    return found


def to(prefix="notify:"):
    return sorted(mail[0] for mail in mails(prefix).values())


@pytest.fixture
def people(make):
    home = make.home()
    other = make.home()
    staff = make.member(home, "staff", email="staff@a.example", locale="en")
    sup = make.member(home, "supervisor", email="sup@a.example", locale="en")
    chinese = make.member(home, "staff", email="zh@a.example", locale="zh_Hans")
    stranger = make.member(other, "staff", email="staff@b.example", locale="en")
    return home, other, staff, sup, chinese, stranger


def _offline_order(make, home, stock=10, quantity="1", owner="s:n1"):
    rice = make.listing(home, "produce", price_fen=3000, stock=stock, title_en="Millet")
    [order] = buy(owner, listing_id=rice.id, quantity=quantity)
    return order, rice


def test_an_offline_order_mails_staff_of_its_home_once_in_their_language(app, make, people):
    home, _other, staff, _sup, chinese, _stranger = people
    order, _rice = _offline_order(make, home)
    sent = mails(f"notify:order:{order.id}:")
    assert to(f"notify:order:{order.id}:") == ["staff@a.example", "zh@a.example"]  # not the supervisor
    english = sent[f"notify:order:{order.id}:{staff.id}"]
    assert english[1] == f"New order {order.reference}: payment to confirm"
    assert "mark it paid" in english[2] and "Millet" in english[2]
    zh = sent[f"notify:order:{order.id}:{chinese.id}"]
    assert order.reference in zh[1] and "payment to confirm" not in zh[1]  # the Chinese subject
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="30.00")
    assert len(mails(f"notify:order:{order.id}:")) == 2  # paid later: not told again


def test_an_online_order_is_news_once_paid(app, make, client, fake, people):
    home, _other, _staff, _sup, _chinese, _stranger = people
    tour_session = make.session(make.listing(home, "tour"))
    order = stripe_order(tour_session)
    db.session.commit()
    assert mails() == {}  # placed and not paid: nothing to do for the home yet
    order = paid_by_stripe(client, fake, tour_session)
    subjects = {mail[1] for mail in mails(f"notify:order:{order.id}:").values()}
    assert to() == ["staff@a.example", "zh@a.example"]
    assert f"New order {order.reference}, paid" in subjects


def test_choices_are_respected(app, make, people):
    home, _other, staff, sup, chinese, _stranger = people
    service.save_choices(staff.id, home.id, "staff", set())  # nothing at all
    service.save_choices(sup.id, home.id, "supervisor", {"offline_payment"})
    service.save_choices(chinese.id, home.id, "staff", {"new_order"})
    order, _rice = _offline_order(make, home)
    assert to() == ["sup@a.example", "zh@a.example"]
    assert service.choices(staff.id, home.id, "staff") == dict.fromkeys(
        ("new_order", "offline_payment", "donation", "low_stock"), False)


def test_low_stock_mails_once_when_a_sale_crosses_the_line(app, make, people):
    home, _other, staff, _sup, _chinese, _stranger = people
    order, rice = _offline_order(make, home, stock=5, quantity="1")
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="30.00")
    assert to("notify:low_stock:") == []  # 4 left
    second, _ = buy("s:n2", listing_id=rice.id, quantity="2"), None
    lifecycle.mark_paid_offline(second[0], actor=staff, method="cash", amount_text="60.00")
    sent = mails("notify:low_stock:")
    assert to("notify:low_stock:") == ["staff@a.example", "zh@a.example"]
    assert "Only 2 left of Millet" in sent[f"notify:low_stock:{rice.id}:{second[0].id}:{staff.id}"][2]
    third = buy("s:n3", listing_id=rice.id, quantity="1")[0]
    lifecycle.mark_paid_offline(third, actor=staff, method="cash", amount_text="30.00")
    assert len(mails("notify:low_stock:")) == 2  # still low: no new mail until restocked


def test_a_spending_proposal_mails_the_other_supervisors_only(app, make, people):
    home, _other, staff, sup, _chinese, stranger = people
    sup2 = make.member(home, "supervisor", email="sup2@a.example", locale="en")
    _grant(make, home, sup, 500_00)
    proposal = _proposal(home, sup2, fen=2000)
    sent = mails(f"notify:approval:disbursement:{proposal.id}:")
    assert [m[0] for m in sent.values()] == ["sup@a.example"]  # not the proposer, not staff
    assert "Spending to approve: CN¥20.00" in next(iter(sent.values()))[1]


def test_a_correction_proposal_mails_the_supervisors(app, make, people):
    home, _other, staff, sup, _chinese, _stranger = people
    entry = _grant(make, home, sup, 500_00)
    correction = corrections.propose_correction(home.id, staff, entry.seq, "typed twice")
    sent = mails(f"notify:approval:correction:{correction.id}:")
    assert [m[0] for m in sent.values()] == ["sup@a.example"]
    assert "typed twice" in next(iter(sent.values()))[2]


def test_a_donation_pledge_mails_its_home_only(app, make, people):
    home, other, _staff, _sup, _chinese, _stranger = people
    donation = donations.create_donation(home.id, 88_00, donor_name="Li Ming", anonymous=False)
    assert to() == ["staff@a.example", "sup@a.example", "zh@a.example"]
    assert all("CN¥88.00" in m[1] or "88.00" in m[1] for m in mails().values())
    donations.create_donation(other.id, 10_00)
    assert to(f"notify:donation:{donation.id + 1}:") == ["staff@b.example"]


def test_nothing_is_mailed_when_the_change_rolls_back(app, make, people):
    home, _other, _staff, _sup, _chinese, _stranger = people
    rice = make.listing(home, "produce", price_fen=3000, stock=1)
    add_to_cart("s:ok", listing_id=rice.id, quantity="1")
    add_to_cart("s:late", listing_id=rice.id, quantity="1")
    check_out("s:ok")
    before = len(mails())
    from market.orders.errors import SoldOut

    with pytest.raises(SoldOut):
        check_out("s:late")
    assert before == 2 and len(mails()) == before


# ---- the settings page ---------------------------------------------------------------------

def test_the_settings_page_saves_a_persons_choice(app, make, client, people, english):
    home, _other, staff, _sup, _chinese, _stranger = people
    login(client, staff)
    url = f"/manage/{home.slug}/notifications/"
    page = client.get(url).get_data(as_text=True)
    assert 'name="kind-new_order" value="on" checked' in page and "kind-approval" not in page
    response = post_form(client, url, {"kind-low_stock": "on"})
    assert response.status_code == 302
    assert service.choices(staff.id, home.id, "staff") == {
        "new_order": False, "offline_payment": False, "donation": False, "low_stock": True}


def test_a_supervisor_may_change_their_own_settings(app, make, client, people, english):
    home, _other, _staff, sup, _chinese, _stranger = people
    login(client, sup)
    url = f"/manage/{home.slug}/notifications/"
    assert "kind-approval" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"kind-donation": "on"}).status_code == 302
    assert service.choices(sup.id, home.id, "supervisor")["approval"] is False


def test_another_homes_staff_can_neither_see_nor_change_settings(app, make, client, people, english):
    home, other, staff, _sup, _chinese, stranger = people
    login(client, stranger)
    url = f"/manage/{home.slug}/notifications/"
    assert client.get(url).status_code == 404
    response = post_form(client, url, {"kind-new_order": "on"},
                         form_url=f"/manage/{other.slug}/notifications/")
    assert response.status_code == 404
    assert db.session.scalar(select(NotificationSetting.id)) is None
    # Their own home's page is theirs.
    assert client.get(f"/manage/{other.slug}/notifications/").status_code == 200
