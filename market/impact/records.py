"""Service records, the production side: the residents a home serves and what each received on
a day (a meal at the table, a meal delivered, a visit, an activity).

Staff tap one button per resident and kind on the day sheet; `record_service` and
`remove_service` keep `impact_sums` in step in the same transaction: the count of the kind,
the attendance days (resident-days with any service) and the elders served in the month
(residents with any service in the month). The resident's row is locked first, so two taps for
one resident at once cannot both count the same day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, exists, select

from market import clock
from market.impact.sums import bump, month_of_day
from models import db
from models.impact import SERVICE_KINDS, Resident, ServiceRecord

NAME_MAX = 60
OLDEST_DAY = date(2000, 1, 1)


class ImpactError(Exception):
    """A refusal with a message for the person (already translated)."""


# ---- residents --------------------------------------------------------------------------------

def clean_name(raw: str | None) -> str:
    return " ".join((raw or "").split())


def residents(home_id: int, *, active_only: bool = True) -> list[Resident]:
    query = select(Resident).where(Resident.home_id == home_id)
    if active_only:
        query = query.where(Resident.active.is_(True))
    return list(db.session.scalars(query.order_by(Resident.name, Resident.id)))


def resident_in(home_id: int, resident_id) -> Resident | None:
    try:
        ident = int(resident_id)
    except (TypeError, ValueError):
        return None
    if not 0 < ident < 2**31:
        return None
    return db.session.scalar(select(Resident).where(Resident.id == ident, Resident.home_id == home_id))


def add_resident(home_id: int, raw_name: str) -> Resident:
    name = clean_name(raw_name)
    if not name:
        raise ImpactError(_("Please write the elder's name as on the register."))
    if len(name) > NAME_MAX:
        raise ImpactError(_("The name is too long (at most %(n)s characters).", n=NAME_MAX))
    found = db.session.scalar(select(Resident).where(Resident.home_id == home_id, Resident.name == name))
    if found is not None:
        if found.active:
            raise ImpactError(_("“%(name)s” is already on the list.", name=name))
        found.active = True
        db.session.commit()
        return found
    resident = Resident(home_id=home_id, name=name)
    db.session.add(resident)
    db.session.commit()
    return resident


def set_active(home_id: int, resident_id, active: bool) -> Resident:
    resident = resident_in(home_id, resident_id)
    if resident is None:
        raise ImpactError(_("No such elder in this home's list."))
    resident.active = bool(active)
    db.session.commit()
    return resident


# ---- days ---------------------------------------------------------------------------------------

def check_day(day: date | None, today: date | None = None) -> date:
    today = today or clock.local_today()
    if day is None:
        raise ImpactError(_("Please give a date like 2026-11-05."))
    if day > today:
        raise ImpactError(_("The date is in the future."))
    if day < OLDEST_DAY:
        raise ImpactError(_("The date is too long ago."))
    return day


def parse_day(raw: str | None) -> date | None:
    text = (raw or "").strip()
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check_kind(kind: str | None) -> str:
    if kind not in SERVICE_KINDS:
        raise ImpactError(_("Choose a service from the list."))
    return kind


# ---- recording ----------------------------------------------------------------------------------

def _has_record(resident_id: int, *conditions) -> bool:
    return bool(db.session.scalar(select(exists().where(ServiceRecord.resident_id == resident_id,
                                                       *conditions))))


def _month_range(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following


def _add(resident: Resident, day: date, kind: str, user_id: int | None, source: str) -> bool:
    """Insert one record and its changes to the sums; False when it is already there."""
    if _has_record(resident.id, ServiceRecord.day == day, ServiceRecord.kind == kind):
        return False
    first, following = _month_range(day)
    new_day = not _has_record(resident.id, ServiceRecord.day == day)
    new_in_month = new_day and not _has_record(
        resident.id, and_(ServiceRecord.day >= first, ServiceRecord.day < following))
    db.session.add(ServiceRecord(home_id=resident.home_id, resident_id=resident.id, day=day, kind=kind,
                                 recorded_by_id=user_id, source=source))
    bump(resident.home_id, month_of_day(day),
         {kind: 1, "attendance": int(new_day), "elders": int(new_in_month)})
    return True


def _locked(resident: Resident) -> Resident:
    """Lock the resident's row (PostgreSQL: SELECT … FOR UPDATE; SQLite writes one at a time)."""
    db.session.execute(select(Resident.id).where(Resident.id == resident.id).with_for_update())
    return resident


def record_service(home_id: int, resident_id, day: date | None, kind: str | None,
                   user_id: int | None) -> bool:
    """One tap: the resident received `kind` on `day`. False when it was already recorded."""
    resident = resident_in(home_id, resident_id)
    if resident is None:
        raise ImpactError(_("No such elder in this home's list."))
    day, kind = check_day(day), check_kind(kind)
    added = _add(_locked(resident), day, kind, user_id, "tap")
    db.session.commit()
    return added


def remove_service(home_id: int, resident_id, day: date | None, kind: str | None) -> bool:
    """Undo a tap made by mistake. False when there was nothing to undo."""
    resident = resident_in(home_id, resident_id)
    if resident is None:
        raise ImpactError(_("No such elder in this home's list."))
    day, kind = check_day(day), check_kind(kind)
    _locked(resident)
    found = db.session.scalar(select(ServiceRecord).where(
        ServiceRecord.resident_id == resident.id, ServiceRecord.day == day, ServiceRecord.kind == kind))
    if found is None:
        db.session.rollback()
        return False
    db.session.delete(found)
    db.session.flush()
    first, following = _month_range(day)
    day_gone = not _has_record(resident.id, ServiceRecord.day == day)
    month_gone = day_gone and not _has_record(
        resident.id, and_(ServiceRecord.day >= first, ServiceRecord.day < following))
    bump(home_id, month_of_day(day), {kind: -1, "attendance": -int(day_gone), "elders": -int(month_gone)})
    db.session.commit()
    return True


# ---- the day sheet --------------------------------------------------------------------------------

@dataclass
class SheetRow:
    resident: Resident
    done: set[str] = field(default_factory=set)


@dataclass
class DaySheet:
    day: date
    rows: list[SheetRow]
    totals: dict[str, int]


def day_sheet(home_id: int, day: date) -> DaySheet:
    """Every active resident with what they received on `day` (one home, one day: a small read)."""
    rows = {r.id: SheetRow(r) for r in residents(home_id)}
    totals = dict.fromkeys(SERVICE_KINDS, 0)
    for resident_id, kind in db.session.execute(
            select(ServiceRecord.resident_id, ServiceRecord.kind)
            .where(ServiceRecord.home_id == home_id, ServiceRecord.day == day)):
        totals[kind] += 1
        if resident_id in rows:
            rows[resident_id].done.add(kind)
    return DaySheet(day, list(rows.values()), totals)
