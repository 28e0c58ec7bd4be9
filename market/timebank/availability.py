"""When a volunteer is free, read from the few words people write ("工作日上午", "周末",
"weekday mornings, Saturday afternoon"), to rank matching volunteers for a request's time.

`free_at(text, moment, home)` is True (the words cover the request's local day and hour), False
(they name times, none of them this one) or None (nothing recognised: unknown, ranked between).
A phrase is split at commas, slashes and "和/and"; each part may name days (weekdays, weekend,
every day, a day of the week) and parts of the day (morning 6–12, noon 11–14, afternoon
12–18, evening 18–22, all day); a part naming only days means all day, only hours means any day.
"""

from __future__ import annotations

import re
from datetime import datetime

from market import clock

WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})
EVERY_DAY = frozenset(range(7))
_DAY_NAMES = (
    (("工作日", "平日", "weekday", "workday"), WEEKDAYS),
    (("周末", "weekend"), WEEKEND),
    (("每天", "天天", "每日", "随时", "every day", "everyday", "daily", "any day", "anytime", "any time"),
     EVERY_DAY),
)
_ONE_DAY = {
    "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}
_PARTS = (
    (("上午", "早上", "morning"), range(6, 12)),
    (("中午", "noon", "lunch"), range(11, 14)),
    (("下午", "afternoon"), range(12, 18)),
    (("晚上", "傍晚", "evening", "night"), range(18, 22)),
    (("全天", "整天", "all day"), range(0, 24)),
)
_SPLIT = re.compile(r"[,，;；、/]|和|及|\band\b")
_CHINESE_DAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_ENGLISH_DAY = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)s?\b")


def _read(part: str) -> tuple[set[int], set[int]] | None:
    days: set[int] = set()
    hours: set[int] = set()
    for words, covered in _DAY_NAMES:
        if any(w in part for w in words):
            days |= covered
    for found in _CHINESE_DAY.findall(part):
        days.add(_ONE_DAY[found])
    for found in _ENGLISH_DAY.findall(part):
        days.add(_ONE_DAY[found])
    for words, covered in _PARTS:
        if any(w in part for w in words):
            hours |= set(covered)
    if not days and not hours:
        return None
    return days or set(EVERY_DAY), hours or set(range(24))


def free_at(text: str | None, moment: datetime, home=None) -> bool | None:
    phrase = (text or "").strip().lower()
    if not phrase:
        return None
    local = clock.local(moment, home)
    read = [r for r in (_read(part) for part in _SPLIT.split(phrase)) if r is not None]
    if not read:
        return None
    return any(local.weekday() in days and local.hour in hours for days, hours in read)


def rank(free: bool | None) -> int:
    """Sort key: free first, unknown next, not free last."""
    return {True: 0, None: 1, False: 2}[free]
