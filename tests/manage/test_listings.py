"""The home staff console: listings of every kind, sessions, rooms, stock, elders, photos."""

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from models import Elder, Listing, Order, Photo, Room, TourSession, db, utcnow
from tests.conftest import login, post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def staff_home(client, make):
    home = make.home(slug="qiantun")
    staff = make.member(home, "staff")
    login(client, staff)
    return home


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _listing_data(**fields) -> dict:
    data = {"title_zh": "红色故事讲述", "title_en": "Red history stories", "description_zh": "听老人讲",
            "description_en": "Listen", "tags": "历史, 故事，history", "price": "68.50",
            "elder_id": "0", "care_share": "", "cancel_hours": "24"}
    data.update(fields)
    return data


def _png_bytes(size=(640, 480), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def test_console_lists_only_my_homes(client, make):
    mine, other = make.home(), make.home()
    user = make.member(mine, "staff")
    login(client, user)
    page = client.get("/manage/").get_data(as_text=True)
    assert mine.name_zh in page and other.name_zh not in page


def test_create_tour_listing_stores_fen_and_draft(client, staff_home):
    response = post_form(client, "/manage/qiantun/listings/new/tour", _listing_data())
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.price_fen == 6850 and listing.status == "draft" and listing.kind == "tour"
    assert listing.tags == "历史,故事,history"
    assert listing.cancel_hours == 24 and listing.care_share_bps is None
    assert listing.home_id == staff_home.id


def test_care_share_override_in_percent(client, staff_home):
    post_form(client, "/manage/qiantun/listings/new/craft",
              _listing_data(care_share="12.5", stock="10", unit_zh="刀", unit_en="ream"))
    listing = db.session.scalar(select(Listing))
    assert listing.care_share_bps == 1250 and listing.stock == 10 and listing.unit_en == "ream"


BAD_LISTINGS = [
    ({"title_zh": ""}, "title"),
    ({"title_zh": "长" * 500}, "title"),
    ({"price": "-5"}, "price"),
    ({"price": "0"}, "price"),
    ({"price": "0.00"}, "price"),
    ({"price": "abc"}, "price"),
    ({"price": "12.345"}, "price"),
    ({"price": ""}, "price"),
    ({"price": "12,50"}, "price"),  # a European 12.50, never read as ¥1,250 (one parser, #13)
    ({"price": "1,2345"}, "price"),
    ({"care_share": "120"}, "care_share"),
    ({"care_share": "1.234"}, "care_share"),
    ({"cancel_hours": "lots"}, "cancel_hours"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_LISTINGS)
def test_bad_listing_input_gets_a_message_and_saves_nothing(client, staff_home, fields, field):
    response = post_form(client, "/manage/qiantun/listings/new/tour", _listing_data(**fields))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'class="error"' in text and "has-error" in text
    assert _count(Listing) == 0


@pytest.mark.parametrize(("typed", "fen"), [("¥1,250", 125000), ("￥６８．５", 6850)])
def test_prices_typed_with_sign_and_separators(client, staff_home, typed, fen):
    response = post_form(client, "/manage/qiantun/listings/new/tour", _listing_data(price=typed))
    assert response.status_code == 302
    assert db.session.scalar(select(Listing)).price_fen == fen


def test_bad_input_message_is_translated(client, staff_home):
    response = post_form(client, "/manage/qiantun/listings/new/tour", _listing_data(price="12.345"))
    assert response.status_code == 400
    client.get("/lang/en")
    response = post_form(client, "/manage/qiantun/listings/new/tour", _listing_data(price="12.345"))
    assert "at most two decimals" in response.get_data(as_text=True)


@pytest.mark.parametrize("stock", ["-1", "-100"])
def test_negative_stock_is_refused(client, staff_home, stock):
    response = post_form(client, "/manage/qiantun/listings/new/produce",
                         _listing_data(stock=stock, unit_zh="斤"))
    assert response.status_code == 400
    assert _count(Listing) == 0


def test_stock_cannot_go_below_reserved(client, staff_home, make):
    listing = make.listing(staff_home, "produce", stock=10, reserved=4)
    url = f"/manage/qiantun/listings/{listing.id}/edit"
    response = post_form(client, url, _listing_data(stock="3", unit_zh="斤"))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).stock == 10
    assert post_form(client, url, _listing_data(stock="4", unit_zh="斤")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).stock == 4


def test_made_to_order_with_lead_days_harvest_and_regions(client, staff_home):
    harvest = (datetime.now(SHANGHAI) + timedelta(days=150)).date()
    data = _listing_data(made_to_order="y", lead_days="20", stock="", harvest_date=harvest.isoformat(),
                         ships_to=["河北省", "北京市"], unit_zh="斤")
    assert post_form(client, "/manage/qiantun/listings/new/produce", data).status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.made_to_order and listing.lead_days == 20 and listing.stock is None
    assert listing.harvest_date == harvest
    assert listing.ships_to == "北京市,河北省"


@pytest.mark.parametrize("days", [-400, 400, 3000])
def test_harvest_dates_far_from_today_are_refused(client, staff_home, english, days):
    harvest = (datetime.now(SHANGHAI) + timedelta(days=days)).date()
    response = post_form(client, "/manage/qiantun/listings/new/produce",
                         _listing_data(stock="5", harvest_date=harvest.isoformat()))
    assert response.status_code == 400 and "harvest date between" in response.get_data(as_text=True)
    assert _count(Listing) == 0


def test_made_to_order_needs_lead_days(client, staff_home):
    data = _listing_data(made_to_order="y", lead_days="", stock="")
    assert post_form(client, "/manage/qiantun/listings/new/craft", data).status_code == 400
    assert _count(Listing) == 0


def test_unknown_province_refused(client, staff_home):
    data = _listing_data(stock="5", ships_to=["Atlantis"])
    assert post_form(client, "/manage/qiantun/listings/new/produce", data).status_code == 400
    assert _count(Listing) == 0


def test_edit_listing(client, staff_home, make):
    listing = make.listing(staff_home, "craft", stock=5)
    url = f"/manage/qiantun/listings/{listing.id}/edit"
    assert "商品" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, _listing_data(title_zh="宣纸", price="120", stock="8"))
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Listing, listing.id)
    assert (changed.title_zh, changed.price_fen, changed.stock) == ("宣纸", 12000, 8)


def test_elder_of_another_home_cannot_be_credited(client, staff_home, make):
    other_elder = make.elder(make.home())
    response = post_form(client, "/manage/qiantun/listings/new/tour",
                         _listing_data(elder_id=str(other_elder.id)))
    assert response.status_code == 400
    assert _count(Listing) == 0


def test_credit_own_elder(client, staff_home, make):
    elder = make.elder(staff_home)
    post_form(client, "/manage/qiantun/listings/new/tour", _listing_data(elder_id=str(elder.id)))
    assert db.session.scalar(select(Listing.elder_id)) == elder.id


def test_publish_archive_and_back_to_draft(client, staff_home, make):
    listing = make.listing(staff_home, "tour", status="draft")
    url = f"/manage/qiantun/listings/{listing.id}/status"
    form_url = f"/manage/qiantun/listings/{listing.id}"
    for status in ("published", "archived", "draft", "published"):
        assert post_form(client, url, {"status": status}, form_url=form_url).status_code == 302
        db.session.expire_all()
        assert db.session.get(Listing, listing.id).status == status
    assert client.get(f"/listings/{listing.slug}").status_code == 200


def test_unknown_status_is_400(client, staff_home, make):
    listing = make.listing(staff_home, "tour", status="draft")
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/status", {"status": "gone"},
                         form_url=f"/manage/qiantun/listings/{listing.id}")
    assert response.status_code == 400


def test_console_lists_all_statuses(client, staff_home, make):
    for status in ("draft", "published", "archived"):
        make.listing(staff_home, "craft", status=status, title_zh=f"状态{status}")
    page = client.get("/manage/qiantun/").get_data(as_text=True)
    for status in ("draft", "published", "archived"):
        assert f"状态{status}" in page


# ---- sessions ----------------------------------------------------------------------------

def _session_data(**fields) -> dict:
    day = (datetime.now(SHANGHAI) + timedelta(days=10)).date()
    data = {"day": day.isoformat(), "start": "09:30", "duration_minutes": "90", "capacity": "12",
            "meeting_point_zh": "村口", "meeting_point_en": "Village gate", "elder_id": "0"}
    data.update(fields)
    return data


def test_add_session_converts_shanghai_time_to_utc(client, staff_home, make):
    listing = make.listing(staff_home, "tour")
    data = _session_data()
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/sessions/new", data)
    assert response.status_code == 302
    session = db.session.scalar(select(TourSession))
    day = date.fromisoformat(data["day"])
    expected = datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI).astimezone(UTC)
    assert session.starts_at == expected
    assert session.starts_at.hour == 1 and session.starts_at.minute == 30
    assert (session.duration_minutes, session.capacity, session.meeting_point_zh) == (90, 12, "村口")


def test_a_weekly_session_is_added_for_every_week_at_the_same_local_time(client, staff_home, make):
    """"Every Saturday at 9:30 for 8 weeks" in one form (#18)."""
    listing = make.listing(staff_home, "tour")
    data = _session_data(weeks="8")
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/sessions/new", data)
    assert response.status_code == 302
    starts = [s.starts_at.astimezone(SHANGHAI) for s in
              db.session.scalars(select(TourSession).order_by(TourSession.starts_at))]
    first = date.fromisoformat(data["day"])
    assert [moment.date() for moment in starts] == [first + timedelta(weeks=n) for n in range(8)]
    assert {(moment.hour, moment.minute) for moment in starts} == {(9, 30)}


@pytest.mark.parametrize("weeks", ["0", "-1", "53", "lots"])
def test_bad_number_of_weeks_adds_no_session(client, staff_home, make, weeks):
    listing = make.listing(staff_home, "tour")
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/sessions/new",
                         _session_data(weeks=weeks))
    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    assert _count(TourSession) == 0


def test_repeats_past_the_booking_horizon_add_none_of_the_weeks(client, staff_home, make, english):
    """All or nothing: when the last weeks fall beyond a year ahead, not even the first is added."""
    listing = make.listing(staff_home, "tour")
    day = (datetime.now(SHANGHAI) + timedelta(days=340)).date()
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/sessions/new",
                         _session_data(day=day.isoformat(), weeks="10"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "The repeat in week" in page and "up to a year ahead" in page
    assert _count(TourSession) == 0


def _booked_session(make, home, seats=2):
    from tests.factories import paid_offline

    listing = make.listing(home, "tour")
    tour_session = make.session(listing, days=10)
    order = paid_offline("s:booked", (listing.id, {"session_id": tour_session.id, "quantity": str(seats)}))
    return listing, tour_session, order


def test_moving_a_booked_session_asks_first_and_changes_nothing(client, staff_home, make, english):
    from market import mail

    listing, tour_session, order = _booked_session(make, staff_home)
    was = tour_session.starts_at
    mail.outbox.clear()
    url = f"/manage/qiantun/listings/{listing.id}/sessions/{tour_session.id}/edit"
    response = post_form(client, url, _session_data(start="14:00", capacity="12"))
    assert response.status_code == 400 and "Tick the box to move it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TourSession, tour_session.id).starts_at == was
    assert len(db.session.get(Order, order.id).events) == 2 and mail.outbox == []  # placed, paid


def test_moving_a_booked_session_tells_every_buyer(client, staff_home, make, english):
    from market import mail
    from market.orders.timeline import event_text

    listing, tour_session, order = _booked_session(make, staff_home)
    mail.outbox.clear()
    url = f"/manage/qiantun/listings/{listing.id}/sessions/{tour_session.id}/edit"
    data = _session_data(start="14:00", capacity="12", buyers_told="y")
    assert post_form(client, url, data).status_code == 302
    db.session.expire_all()
    moved = db.session.get(TourSession, tour_session.id).starts_at.astimezone(SHANGHAI)
    assert (moved.hour, moved.minute) == (14, 0)
    order = db.session.get(Order, order.id)
    last = order.events[-1]
    assert last.from_status == last.to_status == order.status == "paid"
    assert "The session was moved from" in event_text(last) and "2:00\u202fPM." in event_text(last)
    [message] = mail.outbox
    assert message["To"] == "li@example.com" and order.reference in message["Subject"]
    assert "14:00" in message.get_content()  # the Chinese half of the mail
    staff_page = client.get(f"/manage/qiantun/orders/{order.reference}").get_data(as_text=True)
    assert "The session was moved from" in staff_page


def test_more_seats_on_a_booked_session_needs_no_notice(client, staff_home, make):
    listing, tour_session, order = _booked_session(make, staff_home)
    tour_session.starts_at = tour_session.starts_at.replace(second=0, microsecond=0)
    db.session.commit()
    local = tour_session.starts_at.astimezone(SHANGHAI)
    url = f"/manage/qiantun/listings/{listing.id}/sessions/{tour_session.id}/edit"
    data = _session_data(day=local.date().isoformat(), start=local.strftime("%H:%M"), capacity="20",
                         meeting_point_zh=tour_session.meeting_point_zh,
                         meeting_point_en=tour_session.meeting_point_en)
    assert post_form(client, url, data).status_code == 302
    assert len(db.session.get(Order, order.id).events) == 2


BAD_SESSIONS = [
    {"capacity": "0"},
    {"capacity": "100000"},
    {"capacity": "many"},
    {"duration_minutes": "0"},
    {"duration_minutes": "-30"},
    {"day": (date.today() - timedelta(days=2)).isoformat()},
    {"day": ""},
    {"start": ""},
    {"day": "2026-02-30"},
]


@pytest.mark.parametrize("fields", BAD_SESSIONS)
def test_bad_session_input_saves_nothing(client, staff_home, make, fields):
    listing = make.listing(staff_home, "tour")
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/sessions/new",
                         _session_data(**fields))
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert _count(TourSession) == 0


def test_edit_session_and_capacity_not_below_booked(client, staff_home, make):
    listing = make.listing(staff_home, "tour")
    session = make.session(listing, capacity=10, reserved=6)
    url = f"/manage/qiantun/listings/{listing.id}/sessions/{session.id}/edit"
    assert post_form(client, url, _session_data(capacity="5")).status_code == 400
    db.session.expire_all()
    assert db.session.get(TourSession, session.id).capacity == 10
    assert post_form(client, url, _session_data(capacity="30")).status_code == 302
    db.session.expire_all()
    assert db.session.get(TourSession, session.id).capacity == 30


def test_delete_session_only_without_bookings(client, staff_home, make):
    listing = make.listing(staff_home, "tour")
    free = make.session(listing)
    booked = make.session(listing, reserved=2)
    form_url = f"/manage/qiantun/listings/{listing.id}"
    base = f"/manage/qiantun/listings/{listing.id}/sessions"
    confirmed = {"confirmed": "yes"}
    post_form(client, f"{base}/{booked.id}/delete", confirmed, form_url=form_url)
    post_form(client, f"{base}/{free.id}/delete", confirmed, form_url=form_url)
    remaining = list(db.session.scalars(select(TourSession.id)))
    assert remaining == [booked.id]


def test_deleting_a_session_asks_first(client, staff_home, make):
    listing = make.listing(staff_home, "tour")
    session = make.session(listing)
    listing_url = f"/manage/qiantun/listings/{listing.id}"
    url = f"{listing_url}/sessions/{session.id}/delete"
    assert f'action="{url}"' not in client.get(listing_url).get_data(as_text=True)  # a link, no form
    asked = client.get(url)
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.get_data(as_text=True)
    one_tap = post_form(client, url, form_url=listing_url)  # a POST without the confirmation
    assert one_tap.status_code == 200 and 'name="confirmed"' in one_tap.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TourSession.id))) == 1
    assert post_form(client, url, {"confirmed": "yes"}, form_url=url).status_code == 302
    assert db.session.scalar(select(func.count(TourSession.id))) == 0


def test_sessions_only_for_tours(client, staff_home, make):
    listing = make.listing(staff_home, "produce")
    assert client.get(f"/manage/qiantun/listings/{listing.id}/sessions/new").status_code == 404


# ---- rooms -------------------------------------------------------------------------------

def _room_data(**fields) -> dict:
    data = {"name_zh": "东厢房", "name_en": "East room", "price": "188", "max_guests": "2",
            "amenities_zh": "热水", "amenities_en": "Hot water", "active": "y"}
    data.update(fields)
    return data


def test_homestay_price_follows_lowest_active_room(client, staff_home, make):
    response = post_form(client, "/manage/qiantun/listings/new/homestay", _listing_data(price="300"))
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    base = f"/manage/qiantun/listings/{listing.id}/rooms"
    assert post_form(client, f"{base}/new", _room_data(price="188")).status_code == 302
    assert post_form(client, f"{base}/new", _room_data(name_zh="西厢房", price="158.5")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).price_fen == 15850
    cheap = db.session.scalar(select(Room).where(Room.nightly_price_fen == 15850))
    data = _room_data(name_zh="西厢房", price="158.5")
    del data["active"]  # unticked: closed
    assert post_form(client, f"{base}/{cheap.id}/edit", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).price_fen == 18800


def test_homestay_cannot_publish_without_rooms(client, staff_home, make):
    listing = make.listing(staff_home, "homestay", status="draft")
    post_form(client, f"/manage/qiantun/listings/{listing.id}/status", {"status": "published"},
              form_url=f"/manage/qiantun/listings/{listing.id}")
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).status == "draft"


@pytest.mark.parametrize("fields", [{"price": "0"}, {"price": "-1"}, {"price": "1.001"},
                                    {"max_guests": "0"}, {"name_zh": ""}])
def test_bad_room_input_saves_nothing(client, staff_home, make, fields):
    listing = make.listing(staff_home, "homestay")
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/rooms/new", _room_data(**fields))
    assert response.status_code == 400
    assert _count(Room) == 0


# ---- elders ------------------------------------------------------------------------------

def test_add_and_edit_elder(client, staff_home):
    data = {"display_name_zh": "李爷爷", "display_name_en": "Grandpa Li", "role": "storyteller",
            "bio_zh": "", "bio_en": "", "incentive": "5"}
    assert post_form(client, "/manage/qiantun/elders/new", data).status_code == 302
    elder = db.session.scalar(select(Elder))
    # A new elder is not named anywhere until their consent is recorded (tests/manage/test_consent.py).
    assert (elder.incentive_bps, elder.consent_public, elder.home_id) == (500, False, staff_home.id)
    elder.consent_public = True  # as a consent record would
    db.session.commit()
    data["incentive"] = "6"
    assert post_form(client, f"/manage/qiantun/elders/{elder.id}/edit", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Elder, elder.id).consent_public is True  # editing never changes consent
    assert db.session.get(Elder, elder.id).incentive_bps == 600
    assert not hasattr(Elder, "age") and not hasattr(Elder, "health")


def test_bad_elder_input(client, staff_home):
    data = {"display_name_zh": "", "role": "storyteller", "incentive": "5"}
    assert post_form(client, "/manage/qiantun/elders/new", data).status_code == 400
    data = {"display_name_zh": "李爷爷", "role": "doctor", "incentive": "5"}
    assert post_form(client, "/manage/qiantun/elders/new", data).status_code == 400
    assert _count(Elder) == 0


# ---- photos ------------------------------------------------------------------------------

def test_upload_and_remove_listing_photo(client, staff_home, make, app):
    listing = make.listing(staff_home, "craft")
    url = f"/manage/qiantun/listings/{listing.id}/photos"
    response = post_form(client, url, {"photo": (io.BytesIO(_png_bytes()), "paper.png"), "alt_zh": "宣纸"},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    photo = db.session.scalar(select(Photo))
    assert photo.listing_id == listing.id and photo.home_id == staff_home.id
    root = app.config["UPLOAD_ROOT"]
    assert (root / photo.path).exists() and (root / photo.thumb_path).exists()
    assert client.get(f"/media/{photo.thumb_path}").status_code == 200
    stored = root / photo.path
    asked = post_form(client, f"/manage/qiantun/photos/{photo.id}/delete", form_url=url)
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.get_data(as_text=True)
    assert _count(Photo) == 1 and stored.exists()  # one tap only asks
    post_form(client, f"/manage/qiantun/photos/{photo.id}/delete", {"confirmed": "yes"}, form_url=url)
    assert _count(Photo) == 0
    assert not stored.exists()


def test_several_photos_at_once_then_one_made_the_cover(client, staff_home, make, english):
    listing = make.listing(staff_home, "craft")
    url = f"/manage/qiantun/listings/{listing.id}/photos"
    files = [(io.BytesIO(_png_bytes()), f"paper{n}.png") for n in range(3)]
    response = post_form(client, url, {"photo": files, "alt_en": "Rice paper"},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    assert "3 photos added." in client.get(url).get_data(as_text=True)
    photos = db.session.get(Listing, listing.id).photos
    assert len(photos) == 3 and [p.alt_en for p in photos] == ["Rice paper"] * 3
    last = photos[-1]
    assert post_form(client, f"/manage/qiantun/photos/{last.id}/cover", form_url=url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).photos[0].id == last.id


def test_one_bad_file_among_several_adds_none(client, staff_home, make, app, english):
    listing = make.listing(staff_home, "craft")
    url = f"/manage/qiantun/listings/{listing.id}/photos"
    files = [(io.BytesIO(_png_bytes()), "good.png"), (io.BytesIO(b"not a picture"), "notes.txt"),
             (io.BytesIO(_png_bytes()), "late.png")]
    response = post_form(client, url, {"photo": files}, content_type="multipart/form-data")
    assert response.status_code == 400 and "notes.txt" in response.get_data(as_text=True)
    assert _count(Photo) == 0
    root = app.config["UPLOAD_ROOT"]
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_at_most_ten_photos_at_a_time(client, staff_home, make):
    listing = make.listing(staff_home, "craft")
    files = [(io.BytesIO(_png_bytes()), f"p{n}.png") for n in range(11)]
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/photos", {"photo": files},
                         content_type="multipart/form-data")
    assert response.status_code == 400 and _count(Photo) == 0


def test_another_homes_photo_cannot_be_made_the_cover(client, staff_home, make, app):
    other = make.home()
    listing = make.listing(other, "craft")
    photo = Photo(home_id=other.id, listing_id=listing.id, path="x/a.jpg", thumb_path="x/a_t.jpg",
                  width=10, height=10, position=5)
    db.session.add(photo)
    db.session.commit()
    response = post_form(client, f"/manage/qiantun/photos/{photo.id}/cover",
                         form_url="/manage/qiantun/photos")
    assert response.status_code == 404
    assert db.session.get(Photo, photo.id).position == 5


def test_upload_home_photo(client, staff_home):
    response = post_form(client, "/manage/qiantun/photos",
                         {"photo": (io.BytesIO(_png_bytes()), "home.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    photo = db.session.scalar(select(Photo))
    assert photo.listing_id is None and photo.home_id == staff_home.id


@pytest.mark.parametrize(("payload", "name"), [
    (b"just some text, not a picture", "note.txt"),
    (b"this is text pretending to be a PNG", "photo.jpg"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 100, "photo.png"),
    (b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024), "big.jpg"),
])
def test_bad_uploads_are_refused_and_save_nothing(client, staff_home, make, app, payload, name):
    listing = make.listing(staff_home, "craft")
    url = f"/manage/qiantun/listings/{listing.id}/photos"
    response = post_form(client, url, {"photo": (io.BytesIO(payload), name)},
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert _count(Photo) == 0
    root = app.config["UPLOAD_ROOT"]
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_missing_file_is_refused(client, staff_home, make):
    listing = make.listing(staff_home, "craft")
    response = post_form(client, f"/manage/qiantun/listings/{listing.id}/photos", {})
    assert response.status_code == 400
    assert _count(Photo) == 0


def test_session_start_shown_in_home_time(client, staff_home, make):
    listing = make.listing(staff_home, "tour")
    start = datetime(2030, 3, 1, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    make.session(listing, starts_at=start)
    page = client.get(f"/manage/qiantun/listings/{listing.id}").get_data(as_text=True)
    assert "09:30" in page or "9:30" in page
    assert utcnow() < start


def test_number_fields_open_the_phone_number_pad(client, staff_home, make):
    import re

    listing = make.listing(staff_home, "tour")
    page = client.get(f"/manage/qiantun/listings/{listing.id}/sessions/new").get_data(as_text=True)
    for name in ("duration_minutes", "capacity"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'inputmode="numeric"' in field, field


# ---- services, called without a request ---------------------------------------------------

def test_service_refuses_stock_below_reserved_and_changes_nothing(make):
    from market.manage import listings, service

    home = make.home()
    listing = make.listing(home, "produce", stock=10, reserved=7)
    data = listings.ListingInput(title_zh="鸡蛋", price_fen=3000, stock=6)
    with pytest.raises(service.ManageError) as caught:
        listings.update_listing(home, listing, data)
    assert caught.value.field == "stock"
    db.session.expire_all()
    unchanged = db.session.get(Listing, listing.id)
    assert (unchanged.stock, unchanged.title_zh) == (10, listing.title_zh)


def test_session_with_an_order_cannot_be_deleted_even_when_released(make):
    from market.manage import inventory, service
    from models import Order, OrderLine

    home = make.home()
    listing = make.listing(home, "tour")
    session = make.session(listing, reserved=0)
    order = Order(reference="RX1", idempotency_token="tok-x", home_id=home.id, total_fen=5000,
                  contact_name="张三", contact_phone="13800138000", status="cancelled")
    db.session.add(order)
    db.session.flush()
    db.session.add(OrderLine(order_id=order.id, home_id=home.id, listing_id=listing.id, kind="tour",
                             title="t", session_id=session.id, quantity=1, unit_price_fen=5000,
                             amount_fen=5000, care_share_bps=2000, holds_inventory=False))
    db.session.commit()
    with pytest.raises(service.ManageError):
        inventory.delete_session(home, session)
    assert _count(TourSession) == 1


def test_service_session_rules_use_the_home_time_zone(make):
    from datetime import time

    from market.manage import inventory, service

    home = make.home()
    listing = make.listing(home, "tour")
    now = datetime(2030, 6, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    early = inventory.SessionInput(day=date(2030, 6, 1), start=time(7, 30), duration_minutes=60, capacity=5)
    with pytest.raises(service.ManageError):  # 07:30 Shanghai is already past
        inventory.add_session(home, listing, early, now=now)
    later = inventory.SessionInput(day=date(2030, 6, 1), start=time(8, 30), duration_minutes=60, capacity=5)
    session = inventory.add_session(home, listing, later, now=now)
    assert session.starts_at == datetime(2030, 6, 1, 0, 30, tzinfo=UTC)


def test_a_session_more_than_a_year_ahead_is_refused(make):
    from datetime import time

    from market.manage import inventory, service

    home = make.home()
    listing = make.listing(home, "tour")
    now = datetime(2030, 6, 1, 0, 0, tzinfo=UTC)
    far = inventory.SessionInput(day=date(2031, 6, 2), start=time(9, 0), duration_minutes=60, capacity=5)
    with pytest.raises(service.ManageError, match="2031年6月1日"):
        inventory.add_session(home, listing, far, now=now)
    assert _count(TourSession) == 0
    last = inventory.SessionInput(day=date(2031, 6, 1), start=time(9, 0), duration_minutes=60, capacity=5)
    assert inventory.add_session(home, listing, last, now=now).id


def test_another_homes_rows_are_refused_by_the_service(make):
    from market.manage import listings, service

    home, other = make.home(), make.home()
    foreign = make.listing(other, "tour")
    assert service.listing_in(home, foreign.id) is None
    with pytest.raises(service.ManageError):
        listings.set_status(home, foreign, "archived")
    db.session.expire_all()
    assert db.session.get(Listing, foreign.id).status == "published"
