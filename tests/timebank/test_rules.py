"""The time bank's rules on the books: one balanced TIME entry per confirmed service, in the same
Merkle log with a proof; no money in it; confirmed once; nobody confirms their own service; no
overlap; at most 12 hours a day; no future times; never below zero; disputes with four eyes."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from market.ledger import accounts as codes
from market.ledger import log
from market.ledger.canonical import entry_leaf_object, leaf_hash_hex
from market.ledger.service import LedgerError, account, post
from market.ledger.verify import verify_ledger
from market.timebank import disputes, hours, needs, passbook, people, spending
from market.timebank.common import TimeBankError, TimeBankForbidden, TimeBankNotFound
from models import JournalEntry, db
from models.ledger import Account, Posting
from tests.timebank.helpers import ago, bank, confirmed


def held(person) -> int:
    return passbook.held(person)


def time_entries() -> list[JournalEntry]:
    return list(db.session.scalars(select(JournalEntry).where(JournalEntry.commodity == "TIME")
                                   .order_by(JournalEntry.seq)))


def pool_and_people(home_id: int) -> tuple[int, int]:
    rows = db.session.execute(
        select(Account.code, func.sum(Posting.amount)).join(Posting, Posting.account_id == Account.id)
        .where(Account.home_id == home_id, Account.commodity == "TIME").group_by(Account.code)).all()
    pool = sum(int(t) for c, t in rows if c == codes.TIME_POOL)
    holdings = sum(-int(t) for c, t in rows if codes.is_time_person_code(c))
    return pool, holdings


def test_a_confirmed_service_is_one_balanced_time_entry_with_a_proof(app, make):
    b = bank(make)
    service = confirmed(b, 90)
    [entry] = time_entries()
    assert service.status == "confirmed" and service.entry_id == entry.id
    assert service.confirmed_by_id == b.staff.id and service.on_behalf is True
    amounts = {(p.account.home_id, p.account.code): p.amount for p in entry.postings}
    assert amounts == {(b.home.id, "time:pool"): 90, (b.home.id, f"time:person:{b.volunteer.id}"): -90}
    assert all(p.account.commodity == "TIME" for p in entry.postings)
    proof = log.inclusion_proof(entry.seq, leaf_hash=leaf_hash_hex(entry_leaf_object(entry)))
    assert proof["verified"]
    assert held(b.volunteer) == 90
    report = verify_ledger()
    assert report.ok, report.problems


def test_hours_and_money_never_share_an_entry(app, make):
    b = bank(make)
    with force_locale("en"), pytest.raises(LedgerError, match="same currency"):
        post(kind="time_service", idempotency_key="mixed", memo="", commodity="TIME", postings=[
            (account(b.home.id, codes.TIME_POOL, "TIME"), 60),
            (account(b.home.id, codes.CARE_AVAILABLE, "CNY"), -60)])


def test_the_receiver_confirms_for_themself_and_is_recorded(app, make):
    b = bank(make)
    elder_user = make.user()
    elder = people.register_self(elder_user, b.home.id, people.PersonInput(name="老张", village="后屯村",
                                                                            skills=["reading"]))
    service = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=elder.id,
                                skill="reading", started_at=ago(hours=3), minutes=60)
    hours.confirm_service(elder_user, b.home.id, service.id)
    assert service.confirmed_by_id == elder_user.id and service.on_behalf is False


def test_a_service_is_confirmed_once(app, make):
    b = bank(make)
    service = confirmed(b, 60)
    with force_locale("en"), pytest.raises(TimeBankError, match="already confirmed"):
        hours.confirm_service(b.staff2, b.home.id, service.id)
    assert len(time_entries()) == 1 and held(b.volunteer) == 60


def test_nobody_confirms_a_service_they_gave_or_recorded(app, make):
    b = bank(make)
    own = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                            skill="visits", started_at=ago(hours=5), minutes=60)
    with force_locale("en"), pytest.raises(TimeBankError, match="they gave or recorded"):
        hours.confirm_service(b.volunteer_user, b.home.id, own.id)
    # Staff recorded it for a volunteer without a phone: another member of staff confirms.
    by_staff = hours.log_service(b.staff, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                                 skill="visits", started_at=ago(hours=3), minutes=60)
    with force_locale("en"), pytest.raises(TimeBankError, match="they gave or recorded"):
        hours.confirm_service(b.staff, b.home.id, by_staff.id)
    # A volunteer who is also staff cannot confirm their own service either.
    db.session.add(db.session.merge(b.volunteer))
    from models import Membership
    db.session.add(Membership(user_id=b.volunteer_user.id, home_id=b.home.id, role="staff"))
    db.session.commit()
    with force_locale("en"), pytest.raises(TimeBankError, match="they gave or recorded"):
        hours.confirm_service(b.volunteer_user, b.home.id, own.id)
    assert time_entries() == []
    hours.confirm_service(b.staff2, b.home.id, by_staff.id)
    assert held(b.volunteer) == 60


def test_a_supervisor_or_a_stranger_cannot_confirm(app, make):
    b = bank(make)
    service = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                                skill="visits", started_at=ago(hours=3), minutes=30)
    with pytest.raises(TimeBankForbidden):
        hours.confirm_service(b.supervisor, b.home.id, service.id)
    with pytest.raises(TimeBankNotFound):
        hours.confirm_service(make.user(), b.home.id, service.id)
    assert time_entries() == []


def test_overlapping_services_of_one_volunteer_are_refused(app, make):
    b = bank(make)
    start = ago(hours=6)
    hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id, skill="visits",
                      started_at=start, minutes=120)
    with force_locale("en"), pytest.raises(TimeBankError, match="already has a service"):
        hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                          skill="meals", started_at=start + timedelta(minutes=119), minutes=30)
    # Back to back is fine.
    hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id, skill="meals",
                      started_at=start + timedelta(minutes=120), minutes=30)


def test_at_most_twelve_hours_a_day(app, make):
    b = bank(make)
    from market import clock
    day = clock.local_today(ago(days=3), b.home)
    from datetime import time
    morning = clock.at_local(day, time(6, 0), b.home)
    hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id, skill="farm",
                      started_at=morning, minutes=600)
    first_two = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                                  skill="meals", started_at=morning + timedelta(hours=10), minutes=120)
    with force_locale("en"), pytest.raises(TimeBankError, match="12 hours"):
        hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                          skill="visits", started_at=morning + timedelta(hours=13), minutes=1)
    # A service turned down no longer counts.
    hours.reject_service(b.staff, b.home.id, first_two.id)
    hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id, skill="visits",
                      started_at=morning + timedelta(hours=13), minutes=60)


def test_times_in_the_future_are_refused(app, make):
    b = bank(make)
    with force_locale("en"), pytest.raises(TimeBankError, match="future"):
        hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                          skill="visits", started_at=ago(minutes=30), minutes=60)
    with force_locale("en"), pytest.raises(TimeBankError, match="minutes"):
        hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                          skill="visits", started_at=ago(hours=30), minutes=721)


def test_spending_never_goes_below_zero_nor_spends_disputable_hours(app, make):
    b = bank(make)
    confirmed(b, 60, days_ago=10)
    confirmed(b, 30, days_ago=1)  # still inside the dispute window
    with force_locale("en"), pytest.raises(TimeBankError, match="60 minutes can be spent"):
        spending.redeem(b.volunteer_user, b.volunteer.id, serving_home_id=b.home.id, minutes=61, what="打扫")
    assert held(b.volunteer) == 90 and len(time_entries()) == 2
    spending.redeem(b.volunteer_user, b.volunteer.id, serving_home_id=b.home.id, minutes=60, what="打扫",
                    beneficiary="my mother")
    assert held(b.volunteer) == 30
    assert pool_and_people(b.home.id) == (30, 30)
    assert verify_ledger().ok


def test_hours_spent_in_another_home_settle_between_the_homes(app, make):
    b = bank(make)
    other = make.home()
    confirmed(b, 120)
    transfer = spending.redeem(b.volunteer_user, b.volunteer.id, serving_home_id=other.id, minutes=45,
                               what="理发", beneficiary="父亲")
    entry = db.session.get(JournalEntry, transfer.entry_id)
    amounts = {(p.account.home_id, p.account.code): p.amount for p in entry.postings}
    assert amounts == {(b.home.id, f"time:person:{b.volunteer.id}"): 45, (b.home.id, "time:pool"): -45,
                       (other.id, "time:due_from_homes"): 45, (b.home.id, "time:due_to_homes"): -45}
    assert pool_and_people(b.home.id) == (75, 75)
    assert verify_ledger().ok


def test_hours_given_to_an_elder(app, make):
    b = bank(make)
    confirmed(b, 60)
    spending.give(b.volunteer_user, b.volunteer.id, b.elder.id, minutes=40)
    assert held(b.volunteer) == 20 and held(b.elder) == 40
    with force_locale("en"), pytest.raises(TimeBankError, match="Not enough hours"):
        spending.give(b.volunteer_user, b.volunteer.id, b.elder.id, minutes=21)
    # Staff act for the elder without a phone: the elder spends the gift.
    spending.redeem(b.staff, b.elder.id, serving_home_id=b.home.id, minutes=40, what="送餐")
    assert held(b.elder) == 0


def test_a_dispute_upheld_by_another_supervisor_reverses_the_hours(app, make):
    b = bank(make)
    service = confirmed(b, 60, days_ago=2)
    dispute = disputes.open_dispute(b.supervisor, b.home.id, service.id, "没有来")
    with pytest.raises(TimeBankError):
        disputes.decide_dispute(b.supervisor, b.home.id, dispute.id, uphold=True)  # own dispute
    with pytest.raises(TimeBankForbidden):
        disputes.decide_dispute(b.staff, b.home.id, dispute.id, uphold=True)  # not a supervisor
    assert held(b.volunteer) == 60
    disputes.decide_dispute(b.supervisor2, b.home.id, dispute.id, uphold=True)
    assert service.status == "reversed" and held(b.volunteer) == 0
    reversal = db.session.get(JournalEntry, dispute.entry_id)
    assert reversal.kind == "time_reversal" and reversal.commodity == "TIME"
    assert verify_ledger().ok


def test_a_dispute_after_seven_days_is_refused(app, make):
    b = bank(make)
    service = confirmed(b, 60, days_ago=8)
    with force_locale("en"), pytest.raises(TimeBankError, match="7 days"):
        disputes.open_dispute(b.staff, b.home.id, service.id, "wrong")


def test_hours_under_open_dispute_cannot_be_spent(app, make):
    b = bank(make)
    service = confirmed(b, 60, days_ago=6.9)
    disputes.open_dispute(b.staff, b.home.id, service.id, "不对")
    later = ago(days=-2)  # two days on: past the window, but the dispute is still open
    with pytest.raises(TimeBankError):
        spending.redeem(b.volunteer_user, b.volunteer.id, serving_home_id=b.home.id, minutes=1, what="x",
                        now=later)


def test_another_homes_staff_cannot_touch_this_time_bank(app, make):
    b = bank(make)
    other = make.home()
    outsider = make.member(other)
    outsider_super = make.member(other, "supervisor")
    service = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                                skill="visits", started_at=ago(hours=3), minutes=30)
    request = needs.create_request(b.staff, b.home.id, b.elder.id, skill="meals", what="送饭",
                                   wanted_at=ago(days=-1))
    for call in (
        lambda: hours.confirm_service(outsider, b.home.id, service.id),
        lambda: hours.confirm_service(outsider, other.id, service.id),
        lambda: needs.assign(outsider, b.home.id, request.id, b.volunteer.id),
        lambda: needs.create_request(outsider, b.home.id, b.elder.id, skill="meals", what="x",
                                     wanted_at=ago(days=-1)),
        lambda: people.register_by_staff(outsider, b.home.id, people.PersonInput(name="x", village="y")),
        lambda: spending.redeem(outsider, b.elder.id, serving_home_id=other.id, minutes=1, what="x"),
        lambda: disputes.open_dispute(outsider, b.home.id, service.id, "x"),
        lambda: hours.log_service(outsider, b.home.id, b.volunteer.id, receiver_id=b.elder.id, skill="visits",
                                  started_at=ago(hours=9), minutes=30),
    ):
        with pytest.raises(TimeBankNotFound):
            call()
    hours.confirm_service(b.staff, b.home.id, service.id)
    dispute = disputes.open_dispute(b.staff, b.home.id, service.id, "x")
    with pytest.raises(TimeBankNotFound):
        disputes.decide_dispute(outsider_super, b.home.id, dispute.id, uphold=True)
    with pytest.raises(TimeBankNotFound):
        disputes.decide_dispute(outsider_super, other.id, dispute.id, uphold=True)


def test_requests_are_matched_by_skill_and_village_and_taken_once(app, make):
    b = bank(make)
    far = people.register_by_staff(b.staff, b.home.id, people.PersonInput(name="远", village="别村",
                                                                           skills=["meals"]))
    people.register_by_staff(b.staff, b.home.id, people.PersonInput(name="不会", village="前屯村",
                                                                   skills=["farm"]))
    request = needs.create_request(b.staff, b.home.id, b.elder.id, skill="meals", what="送午饭",
                                   wanted_at=ago(days=-1), place="王奶奶家")
    assert [p.id for p in people.matches(request)] == [b.volunteer.id, far.id]
    needs.accept(b.volunteer_user, request.id)
    assert request.status == "assigned" and request.volunteer_id == b.volunteer.id
    with pytest.raises(TimeBankError):
        needs.accept(b.volunteer_user, request.id)


def test_verify_catches_a_time_posting_changed_behind_the_ledger(app, make):
    b = bank(make)
    spending_entry = confirmed(b, 60)
    assert verify_ledger().ok
    from tests.ledger.test_verify import tamper
    tamper(f"UPDATE ledger_postings SET amount = amount * 2 WHERE entry_id = {spending_entry.entry_id}",
           "ledger_postings")
    report = verify_ledger()
    assert not report.ok
    assert any("leaf hash" in str(p) for p in report.problems)


operations = st.lists(st.tuples(st.sampled_from(["serve", "redeem", "give", "away"]), st.integers(1, 200)),
                      min_size=1, max_size=8)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations)
def test_random_hours_keep_the_books_whole(app, make, ops):
    """Whatever is served, spent and given: nobody below zero, each home's pool equals what its
    people hold, the passbook equals the ledger, and verify passes."""
    b = bank(make)
    other = make.home()
    model = {b.volunteer.id: 0, b.elder.id: 0}
    for index, (op, minutes) in enumerate(ops):
        if op == "serve":
            confirmed(b, minutes, days_ago=30 - index * 0.5)
            model[b.volunteer.id] += minutes
            continue
        try:
            if op == "give":
                spending.give(b.volunteer_user, b.volunteer.id, b.elder.id, minutes=minutes)
                model[b.elder.id] += minutes
            else:
                home_id = b.home.id if op == "redeem" else other.id
                spending.redeem(b.volunteer_user, b.volunteer.id, serving_home_id=home_id, minutes=minutes,
                                what="x")
            model[b.volunteer.id] -= minutes
        except TimeBankError:
            assert minutes > model[b.volunteer.id]
    for person in (b.volunteer, b.elder):
        book = passbook.passbook(person)
        assert held(person) == model[person.id] >= 0
        assert (book[-1].balance if book else 0) == model[person.id]
        assert sum(row.minutes for row in book) == model[person.id]
        assert all(row.verified and row.matches for row in book)
    assert pool_and_people(b.home.id) == (sum(model.values()), sum(model.values()))
    assert verify_ledger().ok


def test_the_hours_reserve_is_allocated_with_four_eyes(app, make):
    from market.timebank import reserve

    b = bank(make)
    confirmed(b, 120)
    reserve.donate(b.volunteer_user, b.volunteer.id, minutes=90)
    assert reserve.reserve_minutes(b.home.id) == 90 and held(b.volunteer) == 30
    with force_locale("en"), pytest.raises(TimeBankError, match="holds only 90"):
        reserve.propose(b.staff, b.home.id, b.elder.id, minutes=91, reason="行动不便")
    with pytest.raises(TimeBankForbidden):
        reserve.propose(b.supervisor, b.home.id, b.elder.id, minutes=60, reason="x")
    allocation = reserve.propose(b.staff, b.home.id, b.elder.id, minutes=60, reason="行动不便，需要多帮")
    with pytest.raises(TimeBankForbidden):
        reserve.decide(b.staff2, b.home.id, allocation.id, approve=True)
    with pytest.raises(TimeBankNotFound):
        reserve.decide(make.member(make.home(), "supervisor"), b.home.id, allocation.id, approve=True)
    assert held(b.elder) == 0
    reserve.decide(b.supervisor, b.home.id, allocation.id, approve=True)
    assert allocation.status == "approved" and held(b.elder) == 60
    assert reserve.reserve_minutes(b.home.id) == 30
    with pytest.raises(TimeBankError):
        reserve.decide(b.supervisor2, b.home.id, allocation.id, approve=True)  # decided once
    assert verify_ledger().ok
