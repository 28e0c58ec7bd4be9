"""A homestay's calendar: each room's nights this month and next, the booked ones greyed out."""

import re
from datetime import timedelta

from market.catalog.service import room_calendars
from market.clock import local_today
from market.orders import cart as carts
from tests.factories import check_out, stay_dates


def test_booked_nights_are_marked_and_others_free(app, make):
    stay = make.listing(make.home(), "homestay")
    room, other = make.room(stay), make.room(stay, name_en="West room")
    check_in, check_out_day = stay_dates(days_ahead=3, nights=2)  # two nights: 3rd and 4th day
    carts.add_to_cart("s:cal", stay.id, room_id=room.id, check_in=check_in.isoformat(),
                      check_out=check_out_day.isoformat(), guests="1")
    check_out("s:cal")  # held for the buyer: taken for everyone else
    today = local_today()
    calendars = room_calendars([room, other], today)
    states = {day: state for month in calendars[room.id] for week in month.weeks
              for day, state in week if day}
    assert states[check_in] == states[check_in + timedelta(days=1)] == "taken"
    assert states[check_out_day] == "free"  # the morning they leave: free for the next guest
    assert states[today] == "free"
    if today.day > 1:
        assert states[today - timedelta(days=1)] == "past"
    assert all(state != "taken" for month in calendars[other.id] for week in month.weeks
               for _day, state in week)
    assert len(calendars[room.id]) == 2 and calendars[room.id][1].first.day == 1


def test_the_listing_page_greys_out_booked_nights_in_either_language(client, make, english):
    stay = make.listing(make.home(), "homestay")
    room = make.room(stay)
    check_in, check_out_day = stay_dates(days_ahead=2, nights=1)
    carts.add_to_cart("s:cal2", stay.id, room_id=room.id, check_in=check_in.isoformat(),
                      check_out=check_out_day.isoformat(), guests="1")
    check_out("s:cal2")
    page = client.get(f"/listings/{stay.slug}").get_data(as_text=True)
    assert "Free and booked nights" in page
    assert re.search(rf'<td class="taken"><s>{check_in.day}</s><span class="visually-hidden"> booked', page)
    assert re.search(r"<caption>[A-Z][a-z]+ \d{4}</caption>", page)
    client.get("/lang/zh_Hans")
    page = client.get(f"/listings/{stay.slug}").get_data(as_text=True)
    assert re.search(r"<caption>\d{4}年\d{1,2}月</caption>", page)
