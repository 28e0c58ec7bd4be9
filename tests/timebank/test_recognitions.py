"""Recognitions: levels set by staff, budgets approved by a second person (never the proposer),
due once the confirmed hours reach a level, handed over once per level, each hand-over one money
entry (care fund available → spent) within an approved budget; refused with a message when no
budget is approved or it is used up; nothing changes on a refusal."""

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from market.fund import public
from market.ledger import accounts as codes
from market.ledger.service import account, balance
from market.ledger.verify import verify_ledger
from market.timebank import disputes, hours, recognitions
from market.timebank import people as tb_people
from market.timebank.common import TimeBankError, TimeBankForbidden, TimeBankNotFound
from models import JournalEntry, Posting, RecognitionAward, db
from tests.factories import confirmed_grant
from tests.timebank.helpers import ago, bank, confirmed


def funded(make, fen=1000_00):
    b = bank(make)
    confirmed_grant(b.home, b.supervisor, b.supervisor2, fen)
    return b


def budget(b, fen, *, approve=True):
    proposal = recognitions.propose_budget(b.staff, b.home.id, amount_fen=fen, reason="volunteers' thanks")
    if approve:
        recognitions.decide_budget(b.supervisor, b.home.id, proposal.id, approve=True)
    return proposal


def available(home):
    return balance(account(home.id, codes.CARE_AVAILABLE))


def awards():
    return db.session.scalar(select(func.count(RecognitionAward.id)))


def test_due_at_the_threshold_handed_over_once_and_booked_as_care_spending(app, make):
    b = funded(make)
    meal = recognitions.set_level(b.staff, b.home.id, hours=2, what="一顿饭", value_fen=30_00)
    budget(b, 100_00)
    confirmed(b, 60, days_ago=10)
    assert recognitions.due(b.home.id) == []  # one hour given, the level is two
    confirmed(b, 60, days_ago=9)
    [due] = recognitions.due(b.home.id)
    assert (due.person.id, due.level.id, due.given) == (b.volunteer.id, meal.id, 120)
    before = available(b.home)
    award = recognitions.hand_over(b.staff, b.home.id, b.volunteer.id, meal.id)
    assert available(b.home) == before - 30_00
    entry = db.session.get(JournalEntry, award.entry_id)
    assert entry.commodity == "CNY" and entry.category == "recognitions" and entry.kind == "disbursement"
    amounts = db.session.scalars(select(Posting.amount).where(Posting.entry_id == entry.id)).all()
    assert sorted(amounts) == [-30_00, 30_00]
    assert public.summary(b.home.id).spending_total.get("recognitions") == 30_00
    assert recognitions.due(b.home.id) == []
    with force_locale("en"), pytest.raises(TimeBankError, match="Already handed over"):
        recognitions.hand_over(b.staff, b.home.id, b.volunteer.id, meal.id)
    assert awards() == 1 and available(b.home) == before - 30_00
    assert verify_ledger().ok


def test_not_yet_due_and_taken_back_hours_do_not_count(app, make):
    b = funded(make)
    level = recognitions.set_level(b.staff, b.home.id, hours=1, what="理发", value_fen=10_00)
    budget(b, 50_00)
    service = confirmed(b, 60, days_ago=2)
    dispute = disputes.open_dispute(b.staff, b.home.id, service.id, "没有来")
    disputes.decide_dispute(b.supervisor, b.home.id, dispute.id, uphold=True, comment="")
    assert recognitions.due(b.home.id) == []
    with force_locale("en"), pytest.raises(TimeBankError, match="Not yet due"):
        recognitions.hand_over(b.staff, b.home.id, b.volunteer.id, level.id)
    assert awards() == 0


def test_refused_without_an_approved_budget_or_when_it_is_used_up(app, make):
    b = funded(make)
    level = recognitions.set_level(b.staff, b.home.id, hours=1, what="一顿饭", value_fen=30_00)
    confirmed(b, 60, days_ago=10)
    with force_locale("en"), pytest.raises(TimeBankError, match="No recognition budget is approved"):
        recognitions.hand_over(b.staff, b.home.id, b.volunteer.id, level.id)
    budget(b, 50_00, approve=False)  # proposed, not yet approved: still refused
    with force_locale("en"), pytest.raises(TimeBankError, match="No recognition budget is approved"):
        recognitions.hand_over(b.staff, b.home.id, b.volunteer.id, level.id)
    budget(b, 20_00)  # approved, but less than the meal costs
    before = available(b.home)
    with force_locale("en"), pytest.raises(TimeBankError, match="used up"):
        recognitions.hand_over(b.staff, b.home.id, b.volunteer.id, level.id)
    with force_locale("zh_Hans"), pytest.raises(TimeBankError) as refused:
        recognitions.hand_over(b.staff, b.home.id, b.volunteer.id, level.id)
    assert "预算" in str(refused.value)
    assert awards() == 0 and available(b.home) == before
    assert verify_ledger().ok


def test_refused_when_the_care_fund_has_not_the_money(app, make):
    b = bank(make)  # no money in the care fund
    level = recognitions.set_level(b.staff, b.home.id, hours=1, what="一顿饭", value_fen=30_00)
    budget(b, 50_00)
    confirmed(b, 60, days_ago=10)
    with force_locale("en"), pytest.raises(TimeBankError, match="care fund"):
        recognitions.hand_over(b.staff, b.home.id, b.volunteer.id, level.id)
    assert awards() == 0


def test_a_budget_needs_a_second_person(app, make):
    b = funded(make)
    mine = recognitions.propose_budget(b.supervisor, b.home.id, amount_fen=50_00, reason="谢谢")
    with force_locale("en"), pytest.raises(TimeBankError, match="their own proposal"):
        recognitions.decide_budget(b.supervisor, b.home.id, mine.id, approve=True)
    theirs = recognitions.propose_budget(b.staff, b.home.id, amount_fen=50_00, reason="谢谢")
    with pytest.raises(TimeBankForbidden):  # staff never approve spending
        recognitions.decide_budget(b.staff2, b.home.id, theirs.id, approve=True)
    other = make.home()
    outsider = make.member(other, "supervisor")
    with pytest.raises(TimeBankNotFound):
        recognitions.decide_budget(outsider, other.id, theirs.id, approve=True)
    with pytest.raises(TimeBankNotFound):
        recognitions.decide_budget(outsider, b.home.id, theirs.id, approve=True)
    assert recognitions.left_fen(b.home.id) == 0
    recognitions.decide_budget(b.supervisor2, b.home.id, mine.id, approve=True)
    recognitions.decide_budget(b.supervisor, b.home.id, theirs.id, approve=False)
    with force_locale("en"), pytest.raises(TimeBankError, match="already decided"):
        recognitions.decide_budget(b.supervisor2, b.home.id, theirs.id, approve=True)
    assert recognitions.left_fen(b.home.id) == 50_00


def test_levels_and_budgets_refuse_bad_input(app, make):
    b = funded(make)
    for hours_given, what, value in ((0, "饭", 100), (-5, "饭", 100), (True, "饭", 100), (2, "", 100),
                                     (2, "x" * 121, 100), (2, "饭", 0), (2, "饭", -1), (2, "饭", 10_000_01)):
        with pytest.raises(TimeBankError):
            recognitions.set_level(b.staff, b.home.id, hours=hours_given, what=what, value_fen=value)
    recognitions.set_level(b.staff, b.home.id, hours=2, what="饭", value_fen=100)
    with pytest.raises(TimeBankError):
        recognitions.set_level(b.staff, b.home.id, hours=2, what="又一顿", value_fen=100)
    with pytest.raises(TimeBankForbidden):
        recognitions.set_level(b.supervisor, b.home.id, hours=3, what="饭", value_fen=100)
    for fen, reason in ((0, "r"), (-1, "r"), (10, ""), (10, "x" * 201)):
        with pytest.raises(TimeBankError):
            recognitions.propose_budget(b.staff, b.home.id, amount_fen=fen, reason=reason)
    other = make.home()
    with pytest.raises(TimeBankNotFound):
        recognitions.propose_budget(b.staff, other.id, amount_fen=10, reason="r")
    assert len(recognitions.levels(b.home.id)) == 1 and recognitions.budgets(b.home.id) == []


def test_another_homes_staff_cannot_hand_over(app, make):
    b = funded(make)
    level = recognitions.set_level(b.staff, b.home.id, hours=1, what="饭", value_fen=10_00)
    budget(b, 50_00)
    confirmed(b, 60, days_ago=10)
    other = make.home()
    outsider = make.member(other)
    with pytest.raises(TimeBankNotFound):
        recognitions.hand_over(outsider, b.home.id, b.volunteer.id, level.id)
    with pytest.raises(TimeBankNotFound):
        recognitions.hand_over(outsider, other.id, b.volunteer.id, level.id)
    assert awards() == 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget_fen=st.lists(st.integers(1, 120_00), min_size=1, max_size=3),
       values=st.lists(st.integers(1, 60_00), min_size=1, max_size=4),
       people=st.integers(1, 3))
def test_a_budget_is_never_overspent(app, make, budget_fen, values, people):
    """Whatever the budgets and the levels' costs, the hand-overs of every volunteer at every
    level never take more from a budget than it was approved for, and every refusal leaves
    the books as they were."""
    b = funded(make, fen=10_000_00)
    volunteers = [b.volunteer]
    for n in range(1, people):
        user = make.user()
        volunteers.append(tb_people.register_self(user, b.home.id, tb_people.PersonInput(
            name=f"志愿者{n}", village="前屯村", skills=["visits"])))
    levels = [recognitions.set_level(b.staff, b.home.id, hours=i + 1, what=f"谢礼{i}", value_fen=v)
              for i, v in enumerate(values)]
    for fen in budget_fen:
        budget(b, fen)
    for person in volunteers:
        for day in range(len(values)):
            service = hours.log_service(b.staff, b.home.id, person.id, receiver_id=b.elder.id, skill="visits",
                                        started_at=ago(days=20 + day, hours=2), minutes=60)
            hours.confirm_service(b.staff2, b.home.id, service.id)
    handed = 0
    for person in volunteers:
        for level in levels:
            try:
                recognitions.hand_over(b.staff, b.home.id, person.id, level.id)
                handed += level.value_fen
            except TimeBankError:
                pass
    budgets = recognitions.budgets(b.home.id)
    used = recognitions.used_fen(x.id for x in budgets)
    assert all(0 <= used[x.id] <= x.amount_fen for x in budgets)
    assert sum(used.values()) == handed
    assert verify_ledger().ok
