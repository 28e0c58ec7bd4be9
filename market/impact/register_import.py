"""Importing a paper register typed into a spreadsheet and saved as CSV.

The file has a header row and one row per service: date, the elder's name as on the home's
list, and the service (堂食 / 送餐 / 探访 / 活动, or meal / delivered / visit / activity).
Every line is checked first; if any line is wrong, nothing is imported and each problem is
reported with its line number. Rows already recorded (a register imported twice, a service also
tapped in) are counted once. Excel in China often saves CSV in GB18030: both it and UTF-8 (with
or without a BOM) are read.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _

from market import clock
from market.impact.records import ImpactError, _add, _locked, clean_name, parse_day
from models import db
from models.impact import Resident

MAX_BYTES = 2_000_000
MAX_ROWS = 20_000
MAX_PROBLEMS = 20
HEADERS = {
    "date": ("date", "day", "日期"),
    "name": ("name", "elder", "姓名", "老人"),
    "service": ("service", "kind", "服务", "项目"),
}
KINDS = {
    "meal": "meal", "堂食": "meal", "就餐": "meal", "用餐": "meal",
    "delivered": "delivered", "送餐": "delivered",
    "visit": "visit", "探访": "visit", "走访": "visit",
    "activity": "activity", "活动": "activity",
}


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0
    problems: list[str] = field(default_factory=list)


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImpactError(_("The file could not be read: please save it as CSV (UTF-8)."))


def _columns(header: list[str]) -> dict[str, int]:
    names = [clean_name(h).lower() for h in header]
    found = {}
    for key, accepted in HEADERS.items():
        for index, name in enumerate(names):
            if name in accepted:
                found[key] = index
                break
    if len(found) < len(HEADERS):
        raise ImpactError(_("The first row must name the columns: 日期 (date), 姓名 (name), 服务 (service)."))
    return found


def parse_register(data: bytes, home_id: int) -> tuple[list[tuple], list[str]]:
    """([(line number, resident, day, kind)], problems): nothing is written."""
    if not data:
        raise ImpactError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImpactError(_("The file is too large: import at most %(n)s rows at a time.", n=MAX_ROWS))
    text = _text(data)
    if "\x00" in text:
        raise ImpactError(_("The file could not be read: please save it as CSV (UTF-8)."))
    try:
        lines = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        raise ImpactError(_("The file could not be read: please save it as CSV (UTF-8).")) from None
    if not lines:
        raise ImpactError(_("The file is empty."))
    if len(lines) > MAX_ROWS + 1:
        raise ImpactError(_("The file is too large: import at most %(n)s rows at a time.", n=MAX_ROWS))
    columns = _columns(lines[0])
    names = {r.name: r for r in db.session.query(Resident).filter(Resident.home_id == home_id)}
    today = clock.local_today()
    rows, problems = [], []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) <= max(columns.values()):
            problems.append(_("Line %(n)s: a column is missing.", n=number))
            continue
        raw_day, raw_name, raw_kind = (cells[columns[k]].strip() for k in ("date", "name", "service"))
        day = parse_day(raw_day.replace("/", "-"))
        name = clean_name(raw_name)
        kind = KINDS.get(raw_kind.lower())
        found = []
        if day is None:
            found.append(_("Line %(n)s: “%(value)s” is not a date like 2026-11-05.", n=number,
                              value=raw_day[:20]))
        elif day > today:
            found.append(_("Line %(n)s: the date %(value)s is in the future.", n=number,
                           value=day.isoformat()))
        elif day.year < 2000:
            found.append(_("Line %(n)s: the date is too long ago.", n=number))
        if name not in names:
            found.append(_("Line %(n)s: no elder named “%(value)s” on this home's list (add them first).",
                              n=number, value=name[:30]))
        if kind is None:
            found.append(_("Line %(n)s: “%(value)s” is not a service (堂食, 送餐, 探访 or 活动).", n=number,
                              value=raw_kind[:20]))
        problems += found
        if not found:
            rows.append((number, names[name], day, kind))
    return rows, problems


def import_register(home_id: int, data: bytes, user_id: int | None) -> ImportResult:
    """All or nothing: returns problems (and writes nothing) or the counts of what was added."""
    rows, problems = parse_register(data, home_id)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(_("… and %(n)s more problems.", n=len(problems) - MAX_PROBLEMS))
        return ImportResult(problems=shown)
    if not rows:
        raise ImpactError(_("The file has no rows under the header."))
    result = ImportResult()
    locked = set()
    for _number, resident, day, kind in sorted(rows, key=lambda r: (r[1].id, r[2], r[3])):
        if resident.id not in locked:
            _locked(resident)
            locked.add(resident.id)
        if _add(resident, day, kind, user_id, "import"):
            result.added += 1
            db.session.flush()
        else:
            result.already += 1
    db.session.commit()
    return result
