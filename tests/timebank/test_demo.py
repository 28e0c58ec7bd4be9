"""`flask demo seed` gives every demo home a time bank with months of history, and the books
still verify."""

from sqlalchemy import func, select

from market import clock
from market.demo.seed import seed
from market.demo.timebank import VOLUNTEER_LOGIN
from market.ledger.verify import verify_ledger
from market.timebank import passbook
from models import (
    Home,
    JournalEntry,
    RecognitionAward,
    RecognitionBudget,
    Service,
    TimePerson,
    TimeTransfer,
    User,
    db,
)


def test_every_demo_home_has_a_time_bank_and_the_ledger_verifies(app):
    seed()
    homes = list(db.session.scalars(select(Home)))
    for home in homes:
        volunteers = db.session.scalar(select(func.count(TimePerson.id)).where(
            TimePerson.home_id == home.id, TimePerson.is_volunteer.is_(True)))
        assert volunteers >= 4
        services = list(db.session.scalars(
            select(Service).where(Service.home_id == home.id, Service.status == "confirmed")))
        months = {clock.local(s.started_at).strftime("%Y-%m") for s in services}
        assert len(services) >= 20 and len(months) >= 4, home.slug
        assert db.session.scalar(select(func.count(Service.id)).where(
            Service.home_id == home.id, Service.status == "logged")) == 1
        assert db.session.scalar(select(func.count(TimeTransfer.id)).where(
            TimeTransfer.home_id == home.id, TimeTransfer.kind == "redeem")) >= 1
        # A recognition budget approved by a second person, and one recognition handed over.
        budget = db.session.scalar(select(RecognitionBudget).where(RecognitionBudget.home_id == home.id))
        assert budget.status == "approved" and budget.decided_by_id != budget.proposed_by_id
        assert db.session.scalar(select(func.count(RecognitionAward.id)).where(
            RecognitionAward.home_id == home.id, RecognitionAward.entry_id.is_not(None))) == 1
    kinds = set(db.session.scalars(select(JournalEntry.kind).where(JournalEntry.commodity == "TIME")))
    assert kinds == {"time_service", "time_redeem", "time_gift"}
    # Hours spent in another home settle between the two homes.
    across = (select(func.count(TimeTransfer.id)).join(TimePerson, TimePerson.id == TimeTransfer.person_id)
              .where(TimeTransfer.home_id != TimePerson.home_id))
    assert db.session.scalar(across)
    user = db.session.scalar(select(User).where(User.email == VOLUNTEER_LOGIN))
    person = db.session.scalar(select(TimePerson).where(TimePerson.user_id == user.id))
    book = passbook.passbook(person)
    assert book and book[-1].balance == passbook.held(person) > 0
    assert all(row.verified and row.matches for row in book)
    report = verify_ledger()
    assert report.ok, report.problems
