"""Demo rows for the console (#18): a night the home blocked and a walk-in order paid in cash,
made through the same services the console uses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from market import clock
from market.manage import room_calendar
from market.orders import walk_in
from market.orders.tokens import new_form_token
from models import Home, Listing, Membership, Room, User, db


def seed_console(homes: list[Home]) -> None:
    for home in homes:
        home = db.session.get(Home, home.id)
        staff = db.session.scalar(select(User).join(Membership, Membership.user_id == User.id)
                                  .where(Membership.home_id == home.id, Membership.role == "staff")
                                  .order_by(User.id))
        if staff is None:
            continue
        room = db.session.scalar(select(Room).join(Listing, Listing.id == Room.listing_id)
                                 .where(Listing.home_id == home.id, Room.active.is_(True)).order_by(Room.id))
        if room is not None:
            day = clock.local_today() + timedelta(days=12)
            if room_calendar.night_of(room, day).state == "free":
                room_calendar.block(home, room, day, actor=staff, reason="修缮屋顶")
        goods = next((value for value, kind, _row in walk_in.choices(home) if kind == "produce"), None)
        if goods is not None:
            walk_in.take(home, walk_in.WalkIn(choice=goods, quantity="1", name="王大爷", phone="13700137000",
                                              paid_now=True), actor=staff, token=new_form_token())
