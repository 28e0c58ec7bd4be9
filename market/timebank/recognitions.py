"""Recognitions: a home's thanks for hours given ("50 hours given → a meal at the dining table").

- Staff set the levels: hours given, what the volunteer receives, and what it costs (fen).
- The money comes from a recognition budget: one member of the home proposes an amount of the
  care fund, a supervisor who did not propose it approves (the care fund's four eyes,
  `market.fund.service.check_decider`, with its administrator fallback). Never one person alone.
- A level is due once a volunteer's confirmed hours (services confirmed and not taken back)
  reach it; staff record the hand-over, which books the cost as one money entry (care fund
  available → spent, category "recognitions") charged to the oldest approved budget that still
  has enough. Refused when no budget is approved or none has enough left. Each volunteer gets
  each level once (a unique row, checked under the ledger lock).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from market import clock
from market.database import use_case
from market.fund.service import FundError, FundForbidden, FundNotFound, check_decider
from market.ledger import fund_entries
from market.ledger.service import LedgerError, lock_ledger
from market.money import format_money
from market.timebank.common import (
    TimeBankError,
    TimeBankForbidden,
    TimeBankNotFound,
    home_or_404,
    person_in,
    staff_role,
)
from models import db
from models.timebank import Recognition, RecognitionAward, RecognitionBudget, Service, TimePerson

MAX_VALUE_FEN = 10_000_00  # ¥10,000: more is a typing mistake for a thank-you
MAX_LEVEL_MINUTES = 100_000 * 60


def levels(home_id: int) -> list[Recognition]:
    return list(db.session.scalars(select(Recognition).where(Recognition.home_id == home_id)
                                   .order_by(Recognition.minutes)))


@use_case
def set_level(staff, home_id: int, *, hours: int, what: str, value_fen: int) -> Recognition:
    home = home_or_404(home_id)
    staff_role(staff, home.id)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 < hours * 60 <= MAX_LEVEL_MINUTES:
        raise TimeBankError(_("Give the hours given, a whole number from 1 to 100000."))
    what = (what or "").strip()
    if not what or len(what) > 120:
        raise TimeBankError(_("Say what the volunteer receives, in at most 120 characters."))
    if isinstance(value_fen, bool) or not isinstance(value_fen, int) or not 0 < value_fen <= MAX_VALUE_FEN:
        raise TimeBankError(_("Give what it costs, more than ¥0 and at most %(most)s.",
                              most=format_money(MAX_VALUE_FEN)))
    if db.session.scalar(select(Recognition.id).where(Recognition.home_id == home.id,
                                                      Recognition.minutes == hours * 60)):
        raise TimeBankError(_("There is already a recognition for %(hours)s hours.", hours=hours))
    level = Recognition(home_id=home.id, minutes=hours * 60, what=what, value_fen=value_fen,
                        created_by_id=staff.id, created_at=clock.now())
    db.session.add(level)
    try:
        db.session.commit()
    except IntegrityError:
        raise TimeBankError(_("There is already a recognition for %(hours)s hours.", hours=hours)) from None
    return level


# ---- budgets (four eyes) ---------------------------------------------------------------------

@use_case
def propose_budget(user, home_id: int, *, amount_fen: int, reason: str) -> RecognitionBudget:
    home = home_or_404(home_id)
    staff_role(user, home.id, write=False)
    most = 100 * MAX_VALUE_FEN
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= most:
        raise TimeBankError(_("Give an amount more than ¥0 and at most %(most)s.",
                              most=format_money(100 * MAX_VALUE_FEN)))
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise TimeBankError(_("Say why, in at most 200 characters."))
    budget = RecognitionBudget(home_id=home.id, amount_fen=amount_fen, reason=reason, status="proposed",
                               proposed_by_id=user.id, created_at=clock.now())
    db.session.add(budget)
    db.session.commit()
    return budget


@use_case
def decide_budget(user, home_id: int, budget_id: int, *, approve: bool) -> RecognitionBudget:
    home = home_or_404(home_id)
    found = db.session.get(RecognitionBudget, budget_id) if isinstance(budget_id, int) else None
    try:
        check_decider(home.id, found.proposed_by_id if found else None, user)
    except FundNotFound:
        raise TimeBankNotFound(_("No such budget in this home.")) from None
    except FundForbidden as error:
        raise TimeBankForbidden(str(error)) from None
    except FundError as error:
        raise TimeBankError(str(error)) from None
    if found is None or found.home_id != home.id:
        raise TimeBankNotFound(_("No such budget in this home."))
    claimed = db.session.execute(
        update(RecognitionBudget)
        .where(RecognitionBudget.id == found.id, RecognitionBudget.status == "proposed")
        .values(status="approved" if approve else "rejected", decided_by_id=user.id, decided_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise TimeBankError(_("This budget was already decided."))
    db.session.commit()
    db.session.refresh(found)
    return found


def budgets(home_id: int) -> list[RecognitionBudget]:
    return list(db.session.scalars(select(RecognitionBudget).where(RecognitionBudget.home_id == home_id)
                                   .order_by(RecognitionBudget.id.desc()).limit(50)))


def used_fen(budget_ids) -> dict[int, int]:
    ids = list(budget_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(RecognitionAward.budget_id, func.sum(RecognitionAward.value_fen))
                              .where(RecognitionAward.budget_id.in_(ids))
                              .group_by(RecognitionAward.budget_id)).all()
    used = {budget_id: 0 for budget_id in ids}
    used.update({budget_id: int(total) for budget_id, total in rows})
    return used


def left_fen(home_id: int) -> int:
    """What the home's approved recognition budgets have left, together."""
    approved = db.session.execute(select(RecognitionBudget.id, RecognitionBudget.amount_fen).where(
        RecognitionBudget.home_id == home_id, RecognitionBudget.status == "approved")).all()
    used = used_fen(b for b, _a in approved)
    return sum(amount - used[b] for b, amount in approved)


# ---- due and handed over ---------------------------------------------------------------------

def given_minutes(person_ids) -> dict[int, int]:
    """Confirmed minutes each person gave (services confirmed and not taken back)."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Service.volunteer_id, func.sum(Service.minutes))
                              .where(Service.volunteer_id.in_(ids), Service.status == "confirmed")
                              .group_by(Service.volunteer_id)).all()
    given = {person_id: 0 for person_id in ids}
    given.update({person_id: int(total) for person_id, total in rows})
    return given


@dataclass
class Due:
    person: TimePerson
    level: Recognition
    given: int  # minutes


def due(home_id: int, limit: int = 100) -> list[Due]:
    """Recognitions a volunteer has reached and not yet received, for the staff to hand over."""
    home_levels = levels(home_id)
    if not home_levels:
        return []
    volunteers = list(db.session.scalars(select(TimePerson).where(
        TimePerson.home_id == home_id, TimePerson.is_volunteer.is_(True)).order_by(TimePerson.id)))
    given = given_minutes(p.id for p in volunteers)
    received = set(db.session.execute(select(RecognitionAward.person_id, RecognitionAward.recognition_id)
                                      .where(RecognitionAward.home_id == home_id)).all())
    found = [Due(person, level, given[person.id]) for person in volunteers for level in home_levels
             if given[person.id] >= level.minutes and (person.id, level.id) not in received]
    return found[:limit]


def awards_of(person_id: int) -> list[RecognitionAward]:
    return list(db.session.scalars(select(RecognitionAward).where(RecognitionAward.person_id == person_id)
                                   .order_by(RecognitionAward.handed_at)))


def handed_over(home_id: int, limit: int = 50) -> list[RecognitionAward]:
    return list(db.session.scalars(select(RecognitionAward).where(RecognitionAward.home_id == home_id)
                                   .order_by(RecognitionAward.id.desc()).limit(limit)))


def level_counts(home_id: int) -> list[tuple[Recognition, int]]:
    """Each level with how many volunteers received it (no names)."""
    counts = dict(db.session.execute(select(RecognitionAward.recognition_id, func.count(RecognitionAward.id))
                                     .where(RecognitionAward.home_id == home_id)
                                     .group_by(RecognitionAward.recognition_id)).all())
    return [(level, int(counts.get(level.id, 0))) for level in levels(home_id)]


def _already() -> str:
    return _("Already handed over: each volunteer receives each recognition once.")


def _budget_for(home_id: int, value_fen: int) -> tuple[RecognitionBudget, int]:
    """The oldest approved budget with `value_fen` left (read under the ledger lock)."""
    approved = list(db.session.scalars(select(RecognitionBudget).where(
        RecognitionBudget.home_id == home_id, RecognitionBudget.status == "approved")
        .order_by(RecognitionBudget.id)))
    if not approved:
        raise TimeBankError(_("No recognition budget is approved yet. A member of the home proposes "
                              "one and another person (a supervisor) approves it."))
    used = used_fen(b.id for b in approved)
    for budget in approved:
        if budget.amount_fen - used[budget.id] >= value_fen:
            return budget, budget.amount_fen - used[budget.id]
    left = sum(b.amount_fen - used[b.id] for b in approved)
    raise TimeBankError(_("The recognition budget is used up: %(left)s left, this recognition costs "
                          "%(cost)s. Propose a new budget first.",
                          left=format_money(left), cost=format_money(value_fen)))


@use_case
def hand_over(staff, home_id: int, person_id: int, recognition_id: int) -> RecognitionAward:
    home = home_or_404(home_id)
    staff_role(staff, home.id)
    person = person_in(home.id, person_id)
    level = db.session.get(Recognition, recognition_id) if isinstance(recognition_id, int) else None
    if level is None or level.home_id != home.id:
        raise TimeBankNotFound(_("No such recognition in this home."))
    if given_minutes([person.id])[person.id] < level.minutes:
        raise TimeBankError(_("Not yet due: %(name)s has not given %(hours)s hours yet.",
                              name=person.name, hours=level.minutes // 60))
    lock_ledger()  # from here on, hand-overs and the budget's balance are read one at a time
    taken = db.session.scalar(select(RecognitionAward.id).where(
        RecognitionAward.person_id == person.id, RecognitionAward.recognition_id == level.id))
    if taken is not None:
        raise TimeBankError(_already())
    budget, left = _budget_for(home.id, level.value_fen)
    award = RecognitionAward(home_id=home.id, recognition_id=level.id, person_id=person.id,
                             budget_id=budget.id, value_fen=level.value_fen, handed_by_id=staff.id,
                             handed_at=clock.now())
    db.session.add(award)
    try:
        db.session.flush([award])
    except IntegrityError:
        raise TimeBankError(_already()) from None
    try:
        entry = fund_entries.post_recognition(
            home_id=home.id, amount_fen=level.value_fen, award_id=award.id, budget_left_fen=left,
            memo=f"Time-bank recognition: {level.minutes // 60} hours given (budget {budget.id})")
    except LedgerError as error:
        raise TimeBankError(_("The care fund refused this: %(reason)s", reason=str(error))) from None
    award.entry_id = entry.id
    try:
        db.session.commit()
    except IntegrityError:
        raise TimeBankError(_already()) from None
    return award


@dataclass
class PassbookRecognitions:
    given: int  # confirmed minutes given
    received: list[tuple[RecognitionAward, int | None]]  # with the seq of its money entry
    next_levels: list[tuple[Recognition, int]]  # levels not yet reached, with the minutes to go


def for_passbook(person: TimePerson) -> PassbookRecognitions:
    from models.ledger import JournalEntry

    given = given_minutes([person.id])[person.id]
    received = awards_of(person.id)
    seqs = dict(db.session.execute(select(JournalEntry.id, JournalEntry.seq).where(
        JournalEntry.id.in_([a.entry_id for a in received if a.entry_id]))).all()) if received else {}
    got = {a.recognition_id for a in received}
    ahead = [(level, level.minutes - given) for level in levels(person.home_id)
             if level.id not in got and level.minutes > given]
    return PassbookRecognitions(given=given, received=[(a, seqs.get(a.entry_id)) for a in received],
                                next_levels=ahead[:3])
