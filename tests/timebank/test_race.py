"""Races on the time bank, on SQLite and on PostgreSQL (TEST_DATABASE_URL): two people confirming
one service at the same moment make one entry; two spendings of the last hour at the same moment:
one succeeds, the other is told there are not enough hours, and nobody goes below zero."""

import threading

from flask_babel import force_locale
from sqlalchemy import func, select

from market.ledger.verify import verify_ledger
from market.timebank import hours, passbook, spending
from market.timebank.common import TimeBankError
from models import JournalEntry, TimeTransfer, User, db
from tests.timebank.helpers import ago, bank, confirmed


def _at_once(app, calls) -> list[tuple[str, str]]:
    db.session.commit()
    barrier = threading.Barrier(len(calls))
    results, lock = [], threading.Lock()

    def run(call):
        with app.app_context(), force_locale("en"):
            barrier.wait()
            try:
                call()
                outcome = ("ok", "")
            except TimeBankError as error:
                db.session.rollback()
                outcome = ("refused", str(error))
            except Exception as error:  # anything else breaks the guarantee
                db.session.rollback()
                outcome = ("error", repr(error))
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    db.session.expire_all()
    return results


def test_two_confirmations_at_once_make_one_entry(app, make):
    b = bank(make)
    service = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                                skill="visits", started_at=ago(hours=2), minutes=60)
    home_id, service_id = b.home.id, service.id
    confirmers = [b.staff.id, b.staff2.id]

    def confirm(user_id):
        return lambda: hours.confirm_service(db.session.get(User, user_id), home_id, service_id)

    results = _at_once(app, [confirm(u) for u in confirmers])
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert "already confirmed" in next(r[1] for r in results if r[0] == "refused")
    assert db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.commodity == "TIME")) == 1
    assert passbook.held(b.volunteer) == 60
    assert verify_ledger().ok


def test_two_spendings_of_the_last_hour_at_once_one_succeeds(app, make):
    b = bank(make)
    confirmed(b, 60, days_ago=10)
    user_id, person_id, home_id = b.volunteer_user.id, b.volunteer.id, b.home.id
    other_id = make.home().id

    def spend(where):
        return lambda: spending.redeem(db.session.get(User, user_id), person_id, serving_home_id=where,
                                       minutes=60, what="理发")

    results = _at_once(app, [spend(home_id), spend(other_id)])
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert "Not enough hours" in next(r[1] for r in results if r[0] == "refused")
    assert db.session.scalar(select(func.count(TimeTransfer.id))) == 1
    assert passbook.held(b.volunteer) == 0
    assert verify_ledger().ok


def test_two_hand_overs_of_the_last_budget_at_once_one_succeeds(app, make):
    """Two volunteers due a meal, the approved budget pays for one: pressed at once, one is
    handed over and booked, the other is told the budget is used up."""
    from market.timebank import people, recognitions
    from models import RecognitionAward
    from tests.factories import confirmed_grant

    b = bank(make)
    confirmed_grant(b.home, b.supervisor, b.supervisor2, 500_00)
    second_user = make.user()
    second = people.register_self(second_user, b.home.id, people.PersonInput(
        name="小张", village="前屯村", skills=["visits"]))
    level = recognitions.set_level(b.staff, b.home.id, hours=1, what="一顿饭", value_fen=30_00)
    proposal = recognitions.propose_budget(b.staff, b.home.id, amount_fen=30_00, reason="谢谢志愿者")
    recognitions.decide_budget(b.supervisor, b.home.id, proposal.id, approve=True)
    confirmed(b, 60, days_ago=10)
    service = hours.log_service(second_user, b.home.id, second.id, receiver_id=b.elder.id, skill="visits",
                                started_at=ago(days=9, hours=2), minutes=60)
    hours.confirm_service(b.staff, b.home.id, service.id)
    home_id, level_id, staff_id = b.home.id, level.id, b.staff.id

    def hand(person_id):
        return lambda: recognitions.hand_over(db.session.get(User, staff_id), home_id, person_id, level_id)

    results = _at_once(app, [hand(b.volunteer.id), hand(second.id)])
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert "used up" in next(r[1] for r in results if r[0] == "refused")
    assert db.session.scalar(select(func.count(RecognitionAward.id))) == 1
    assert recognitions.left_fen(home_id) == 0
    assert verify_ledger().ok

    # The same volunteer's level pressed twice at once (a budget big enough for both): once.
    more = recognitions.propose_budget(b.staff, home_id, amount_fen=300_00, reason="再加")
    recognitions.decide_budget(b.supervisor, home_id, more.id, approve=True)
    waiting = next(p for p in (b.volunteer.id, second.id) if not db.session.scalar(
        select(RecognitionAward.id).where(RecognitionAward.person_id == p)))
    results = _at_once(app, [hand(waiting), hand(waiting)])
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert "Already handed over" in next(r[1] for r in results if r[0] == "refused")
    assert db.session.scalar(select(func.count(RecognitionAward.id))) == 2
    assert verify_ledger().ok
