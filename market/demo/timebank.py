"""Demo time bank: for every demo home, volunteers (one with a demo login in Qiantun, the others
registered by staff, like most villagers), elders without phones, and five months of requests,
services confirmed by staff on the elders' behalf, hours spent (one in another home) and given.
A few requests stay open and one service waits for confirmation, so the staff page has work.
Recognitions: two levels per home, a budget proposed by staff and approved by a supervisor (four
eyes), and one recognition handed over (the others that are due wait on the staff page).

Everything goes through the time bank's services with past times, so the ledger's TIME entries,
the Merkle log and the passbooks are what real use would produce; `flask ledger verify` passes.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from market import clock
from market.demo.history import _member
from market.timebank import hours, needs, people, recognitions, spending
from models import Home, User, db

MONTHS = 5
VOLUNTEER_LOGIN = "volunteer.qiantun@demo.example.com"
VOLUNTEERS = [
    ("张志强", ["meals", "escort", "tech"]),
    ("刘桂兰", ["meals", "cleaning", "visits"]),
    ("赵大勇", ["farm", "haircut"]),
    ("孙秀英", ["visits", "reading"]),
]
ELDERS = ["王奶奶", "李大爷", "周奶奶", "陈爷爷"]
WHAT = {
    "meals": "送午饭到家", "escort": "陪同去乡卫生院复查", "tech": "教用手机视频通话",
    "cleaning": "打扫院子和厨房", "visits": "上门陪聊天", "farm": "帮忙收玉米", "haircut": "上门理发",
    "reading": "读报纸",
}


def _at(day, hour: int, home) -> datetime:
    return clock.at_local(day, time(hour, 0), home)


def seed_timebank(homes: list[Home], now: datetime | None = None, seed: int = 19) -> None:
    now = now or clock.now()
    rng = random.Random(seed)
    homes = [db.session.get(Home, home.id) for home in homes]
    for index, home in enumerate(homes):
        # Two members of staff: one records for volunteers without phones, the other confirms.
        desk, second = _member(home, "staff", 0), _member(home, "staff", 1)
        village = home.village_zh
        volunteers = []
        for number, (name, skills) in enumerate(VOLUNTEERS):
            data = people.PersonInput(name=name, village=village if number % 2 == 0 else f"{village}东",
                                      skills=skills, availability="工作日上午" if number % 2 else "周末")
            user = db.session.scalar(select(User).where(User.email == VOLUNTEER_LOGIN))
            if index == 0 and number == 0 and user is not None:
                volunteers.append(people.register_self(user, home.id, data))
            else:
                volunteers.append(people.register_by_staff(desk, home.id, data))
        elders = [people.register_by_staff(desk, home.id, people.PersonInput(
            name=name, village=village, is_volunteer=False)) for name in ELDERS]
        _history(home, desk, second, volunteers, elders, homes, now, rng)
        _open_work(home, desk, volunteers, elders, now)
        _recognitions(home, desk)


def _history(home, desk, second, volunteers, elders, homes, now, rng) -> None:
    start_day = clock.local_today(now - timedelta(days=30 * MONTHS), home)
    last = clock.local_today(now, home) - timedelta(days=2)
    day = start_day
    week = 0
    while day <= last:
        for number, volunteer in enumerate(volunteers):
            if rng.random() < 0.35:
                continue
            skill = rng.choice(volunteer.skill_list)
            elder = rng.choice(elders)
            serve_day = day + timedelta(days=number)
            if serve_day > last:
                continue
            begin = _at(serve_day, rng.choice((8, 9, 14, 15)), home)
            minutes = rng.choice((30, 45, 60, 90, 120))
            request = needs.create_request(desk, home.id, elder.id, skill=skill, what=WHAT[skill],
                                           wanted_at=begin, place=f"{elder.name}家")
            needs.assign(desk, home.id, request.id, volunteer.id)
            logger = second if volunteer.user_id is None else _user(volunteer)
            service = hours.log_service(logger, home.id, volunteer.id, started_at=begin, minutes=minutes,
                                        request_id=request.id, now=begin + timedelta(minutes=minutes + 30))
            confirmer = desk if service.logged_by_id != desk.id else second
            hours.confirm_service(confirmer, home.id, service.id, now=begin + timedelta(hours=5))
        # Every month or so a volunteer spends hours, once in another home, and gives some away.
        if week % 4 == 3:
            spender = volunteers[week // 4 % len(volunteers)]
            moment = _at(day + timedelta(days=6), 10, home)
            if moment < now:
                other = homes[(homes.index(home) + 1) % len(homes)]
                serving = other if week % 12 == 3 else home
                what = "为母亲请人上门理发" if serving is home else "父亲在外村养老时的陪护"
                _try(spending.redeem, _actor(spender, desk), spender.id, serving_home_id=serving.id,
                     minutes=60, what=what, beneficiary="母亲", now=moment)
                _try(spending.give, _actor(spender, desk), spender.id, elders[week % len(elders)].id,
                     minutes=30, now=moment + timedelta(hours=1))
        day += timedelta(days=7)
        week += 1


def _open_work(home, desk, volunteers, elders, now) -> None:
    """Open requests for the coming days and one service waiting for staff to confirm."""
    tomorrow = clock.local_today(now, home) + timedelta(days=1)
    needs.create_request(desk, home.id, elders[0].id, skill="meals", what=WHAT["meals"],
                         wanted_at=_at(tomorrow, 11, home), place=f"{elders[0].name}家")
    needs.create_request(desk, home.id, elders[1].id, skill="escort", what=WHAT["escort"],
                         wanted_at=_at(tomorrow + timedelta(days=2), 8, home), place="乡卫生院")
    yesterday = clock.local_today(now, home) - timedelta(days=1)
    volunteer = volunteers[1]
    request = needs.create_request(desk, home.id, elders[2].id, skill="visits", what=WHAT["visits"],
                                   wanted_at=_at(yesterday, 16, home), place=f"{elders[2].name}家")
    needs.assign(desk, home.id, request.id, volunteer.id)
    hours.log_service(desk, home.id, volunteer.id, started_at=_at(yesterday, 16, home), minutes=60,
                      request_id=request.id, now=now)


LEVELS = ((10, "幸福院食堂一顿午饭", 15_00), (40, "一袋米和一桶油", 80_00))


def _recognitions(home, desk) -> None:
    for hours_given, what, fen in LEVELS:
        recognitions.set_level(desk, home.id, hours=hours_given, what=what, value_fen=fen)
    budget = recognitions.propose_budget(desk, home.id, amount_fen=200_00, reason="今年感谢志愿者的预算")
    recognitions.decide_budget(_member(home, "supervisor", 0), home.id, budget.id, approve=True)
    first = next(iter(recognitions.due(home.id)), None)
    if first is not None:
        _try(recognitions.hand_over, desk, home.id, first.person.id, first.level.id)


def _user(person):
    return db.session.get(User, person.user_id)


def _actor(person, desk):
    return _user(person) if person.user_id else desk


def _try(use_case, *args, **kwargs) -> None:
    from market.timebank.common import TimeBankError

    try:
        use_case(*args, **kwargs)
    except TimeBankError:
        db.session.rollback()  # not enough hours yet: the demo simply skips it


