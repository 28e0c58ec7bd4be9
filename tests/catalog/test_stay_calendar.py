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


def _refused(client, stay, room, check_in: str, check_out_day: str):
    from tests.conftest import post_form

    return post_form(client, "/cart/add", {"listing_id": stay.id, "room_id": room.id, "check_in": check_in,
                                           "check_out": check_out_day, "guests": "1"},
                     form_url=f"/listings/{stay.slug}")


def test_a_taken_night_shows_the_listing_again_with_the_message_and_the_choice_kept(client, make, english):
    """A plain form post (no JavaScript): the listing page, not the problem page, with the
    translated message by the form, the dates as chosen, and nothing in the cart."""
    stay = make.listing(make.home(), "homestay", title_en="River house")
    room = make.room(stay)
    check_in, check_out_day = stay_dates(days_ahead=4, nights=2)
    carts.add_to_cart("s:taken", stay.id, room_id=room.id, check_in=check_in.isoformat(),
                      check_out=check_out_day.isoformat(), guests="1")
    check_out("s:taken")
    response = _refused(client, stay, room, check_in.isoformat(), check_out_day.isoformat())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please check your choice" not in page  # not the problem page
    assert "<h1>River house</h1>" in page and "Free and booked nights" in page
    assert re.search(r'class="flash flash-error booking-error" id="booking-error" role="alert">[^<]+<', page)
    assert "Nothing was added to your cart" in page
    assert f'name="check_in" type="date" value="{check_in.isoformat()}"' in page
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)
    client.get("/lang/zh_Hans")
    refused = _refused(client, stay, room, check_in.isoformat(), check_out_day.isoformat())
    page = refused.get_data(as_text=True)
    assert "购物车" in page and "Nothing was added" not in page


def test_bad_dates_show_the_listing_again_with_the_message(client, make, english):
    stay = make.listing(make.home(), "homestay", title_en="Hill house")
    room = make.room(stay)
    check_in, _out = stay_dates(days_ahead=5, nights=1)
    for bad_in, bad_out in ((check_in.isoformat(), check_in.isoformat()), ("not-a-date", "2020-01-01"),
                            ((check_in - timedelta(days=30)).isoformat(), check_in.isoformat())):
        response = _refused(client, stay, room, bad_in, bad_out)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, (bad_in, bad_out)
        assert "<h1>Hill house</h1>" in page and 'role="alert"' in page, (bad_in, bad_out)
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)
