"""The recognitions page of the console: staff set a level and propose a budget, a supervisor
approves it, staff record the hand-over; the passbook and the public page show it (the public
page without names); another home's staff get 404 everywhere; bad input is a 400 with a message
and changes nothing."""

from sqlalchemy import func, select

from market.timebank import recognitions
from models import Recognition, RecognitionAward, RecognitionBudget, db
from tests.factories import confirmed_grant
from tests.timebank.helpers import bank, confirmed
from tests.timebank.test_pages import as_user, send


def test_set_approve_hand_over_and_show(app, make):
    b = bank(make)
    confirmed_grant(b.home, b.supervisor, b.supervisor2, 500_00)
    confirmed(b, 120, days_ago=10)
    page = f"/manage/{b.home.slug}/timebank/recognitions"
    desk = as_user(b.staff)
    answer = send(desk, page, f"{page}/levels", {"level_hours": "2", "level_what": "食堂一顿饭",
                                                  "level_value": "15.50"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    level = db.session.scalar(select(Recognition))
    assert (level.minutes, level.value_fen) == (120, 15_50)
    assert send(desk, page, f"{page}/budgets", {"budget_amount": "100", "budget_reason": "谢谢志愿者"}
                ).status_code == 302
    budget = db.session.scalar(select(RecognitionBudget))
    # The proposer's colleague (staff) cannot approve; the page offers no button to them either.
    assert send(desk, page, f"{page}/budgets/{budget.id}/decide", {"uphold": "1"}).status_code == 403
    html = desk.get(page).get_data(as_text=True)
    assert "Waiting for a second person" in html
    answer = send(desk, page, f"{page}/{level.id}/people/{b.volunteer.id}/hand-over", {})
    assert answer.status_code == 409 and "No recognition budget is approved" in answer.get_data(as_text=True)
    committee = as_user(b.supervisor)
    assert send(committee, page, f"{page}/budgets/{budget.id}/decide", {"uphold": "1"}).status_code == 302
    assert db.session.get(RecognitionBudget, budget.id).status == "approved"
    html = desk.get(page).get_data(as_text=True)
    assert "食堂一顿饭" in html and b.volunteer.name in html
    answer = send(desk, page, f"{page}/{level.id}/people/{b.volunteer.id}/hand-over", {})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    assert db.session.scalar(select(func.count(RecognitionAward.id))) == 1
    again = send(desk, page, f"{page}/{level.id}/people/{b.volunteer.id}/hand-over", {})
    assert again.status_code == 409 and "Already handed over" in again.get_data(as_text=True)
    assert recognitions.left_fen(b.home.id) == 100_00 - 15_50

    own = as_user(b.volunteer_user)
    html = own.get(f"/timebank/passbook/{b.volunteer.id}").get_data(as_text=True)
    assert "Recognitions" in html and "食堂一顿饭" in html
    public = as_user(make.user()).get(f"/timebank/homes/{b.home.slug}").get_data(as_text=True)
    assert "食堂一顿饭" in public and "received by 1 volunteers" in public
    assert b.volunteer.name not in public and b.elder.name not in public


def test_bad_input_changes_nothing(app, make):
    b = bank(make)
    page = f"/manage/{b.home.slug}/timebank/recognitions"
    desk = as_user(b.staff)
    for value in ("12,50", "abc", "0", "-3", "99999999999"):
        answer = send(desk, page, f"{page}/levels",
                      {"level_hours": "2", "level_what": "饭", "level_value": value})
        assert answer.status_code == 400, value
    for hours_given in ("0", "-1", "x", ""):
        answer = send(desk, page, f"{page}/levels", {"level_hours": hours_given, "level_what": "饭",
                                                      "level_value": "10"})
        assert answer.status_code == 400, hours_given
    answer = send(desk, page, f"{page}/budgets", {"budget_amount": "12,50", "budget_reason": "r"})
    assert answer.status_code == 400 and "point" in answer.get_data(as_text=True)
    empty_reason = {"budget_amount": "10", "budget_reason": ""}
    assert send(desk, page, f"{page}/budgets", empty_reason).status_code == 400
    assert db.session.scalar(select(func.count(Recognition.id))) == 0
    assert db.session.scalar(select(func.count(RecognitionBudget.id))) == 0


def test_another_homes_staff_see_and_change_nothing(app, make):
    b = bank(make)
    confirmed_grant(b.home, b.supervisor, b.supervisor2, 500_00)
    confirmed(b, 60, days_ago=10)
    level = recognitions.set_level(b.staff, b.home.id, hours=1, what="饭", value_fen=10_00)
    budget = recognitions.propose_budget(b.staff, b.home.id, amount_fen=50_00, reason="r")
    other = make.home()
    for role in ("staff", "supervisor"):
        outsider = as_user(make.member(other, role))
        page = f"/manage/{b.home.slug}/timebank/recognitions"
        assert outsider.get(page).status_code == 404
        own_page = f"/manage/{other.slug}/timebank/recognitions"
        assert outsider.get(own_page).status_code == 200
        for url in (f"{page}/levels", f"{page}/budgets", f"{page}/budgets/{budget.id}/decide",
                    f"{page}/{level.id}/people/{b.volunteer.id}/hand-over"):
            assert send(outsider, own_page, url, {"uphold": "1"}).status_code == 404, url
        # Through their own home's address, the other home's records are not found either.
        assert send(outsider, own_page, f"{own_page}/budgets/{budget.id}/decide",
                    {"uphold": "1"}).status_code in (403, 404)
        assert send(outsider, own_page, f"{own_page}/{level.id}/people/{b.volunteer.id}/hand-over",
                    {}).status_code in (403, 404)
    assert db.session.get(RecognitionBudget, budget.id).status == "proposed"
    assert db.session.scalar(select(func.count(RecognitionAward.id))) == 0
