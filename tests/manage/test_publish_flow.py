"""Publishing in one guided flow (#18): one form makes a draft listing with its photos and, by
kind, its weekly sessions, rooms or stock — all or nothing — then a preview, then "Publish"."""

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from models import Listing, Photo, Room, TourSession, db
from tests.conftest import login, post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def staff_home(client, make):
    home = make.home(slug="qiantun")
    login(client, make.member(home, "staff"))
    return home


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _png(color=(200, 30, 30), size=(640, 480)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    out.seek(0)
    return out


def _stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_ROOT"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _tour(**fields) -> dict:
    first = (datetime.now(SHANGHAI) + timedelta(days=10)).date()
    data = {"title_zh": "红色故事讲述", "title_en": "Red history stories", "description_zh": "听老人讲",
            "price": "68", "elder_id": "0", "day": first.isoformat(), "start": "09:00", "weeks": "8",
            "duration_minutes": "120", "capacity": "12", "meeting_point_zh": "村口", "cover": "2",
            "photo": [(_png((200, 30, 30)), "a.png"), (_png((30, 200, 30)), "b.png"),
                      (_png((30, 30, 200)), "c.png")]}
    data.update(fields)
    return data


URL = "/manage/qiantun/publish/tour"


def test_a_tour_with_photos_and_eight_weekly_sessions_in_one_form_then_preview_then_publish(
        client, staff_home, app, english):
    response = post_form(client, URL, _tour(), content_type="multipart/form-data")
    assert response.status_code == 302 and "/preview" in response.location
    listing = db.session.scalar(select(Listing))
    assert listing.status == "draft" and listing.home_id == staff_home.id and listing.price_fen == 6800
    starts = [s.starts_at.astimezone(SHANGHAI) for s in
              db.session.scalars(select(TourSession).order_by(TourSession.starts_at))]
    first = date.fromisoformat(_tour()["day"])
    assert [m.date() for m in starts] == [first + timedelta(weeks=n) for n in range(8)]
    assert {(m.hour, m.minute) for m in starts} == {(9, 0)}
    photos = listing.photos
    assert len(photos) == 3
    with Image.open(Path(app.config["UPLOAD_ROOT"]) / photos[0].path) as cover:
        assert cover.getpixel((10, 10))[1] > 150  # the second photo chosen (green) comes first
    preview = client.get(response.location).get_data(as_text=True)
    assert "Preview: this is how buyers will see it" in preview and "Red history stories" in preview
    assert 'value="published"' in preview and 'value="archived"' not in preview
    assert "Booking opens once it is published." in preview
    page = client.get(f"/listings/{listing.slug}")
    assert page.status_code == 404  # buyers do not see a draft
    post_form(client, f"/manage/qiantun/listings/{listing.id}/status", {"status": "published"},
              form_url=response.location)
    assert db.session.get(Listing, listing.id).status == "published"
    assert client.get(f"/listings/{listing.slug}").status_code == 200


def test_a_draft_shows_publish_only(client, staff_home, make):
    listing = make.listing(staff_home, "produce", status="draft")
    page = client.get(f"/manage/qiantun/listings/{listing.id}").get_data(as_text=True)
    assert 'value="published"' in page and 'value="archived"' not in page and 'value="draft"' not in page


BAD = [
    ({"title_zh": ""}, "title_zh"),
    ({"price": "12,50"}, "price"),
    ({"price": "-1"}, "price"),
    ({"weeks": "53"}, "weeks"),
    ({"weeks": "lots"}, "weeks"),
    ({"capacity": "0"}, "capacity"),
    ({"duration_minutes": "0"}, "duration_minutes"),
    ({"day": "2001-01-01"}, "day"),
    ({"day": "not a date"}, "day"),
    ({"cover": "9"}, "cover"),
    ({"elder_id": "999999"}, "elder_id"),
    ({"photo": [(_png(), "a.png"), (io.BytesIO(b"MZ not a picture"), "evil.png")]}, "photo"),
]


@pytest.mark.parametrize("change, field", BAD, ids=[field for _c, field in BAD])
def test_a_bad_field_returns_the_form_with_a_message_and_creates_nothing(client, staff_home, app, change,
                                                                         field):
    before = _stored_files(app)
    response = post_form(client, URL, _tour(**change), content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error"' in page
    assert (_count(Listing), _count(TourSession), _count(Photo)) == (0, 0, 0)
    assert _stored_files(app) == before  # the photos of a refused form are not left behind


def test_last_weeks_beyond_a_year_refuse_the_whole_listing_in_chinese(client, staff_home, app):
    day = (datetime.now(SHANGHAI) + timedelta(days=350)).date().isoformat()
    response = post_form(client, URL, _tour(day=day), content_type="multipart/form-data")
    assert response.status_code == 400
    assert "第 3 周" in response.get_data(as_text=True) or "周" in response.get_data(as_text=True)
    assert (_count(Listing), _count(TourSession), _count(Photo)) == (0, 0, 0)
    assert _stored_files(app) == []


def test_a_homestay_with_two_rooms_priced_by_its_cheapest(client, staff_home):
    data = {"title_zh": "农家小院", "elder_id": "0", "price": "",
            "rooms-0-name_zh": "东屋", "rooms-0-price": "180", "rooms-0-max_guests": "2",
            "rooms-1-name_zh": "西屋", "rooms-1-price": "150", "rooms-1-max_guests": "3",
            "rooms-2-name_zh": "", "rooms-2-price": "", "rooms-2-max_guests": "2"}
    response = post_form(client, "/manage/qiantun/publish/homestay", data)
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert sorted(r.name_zh for r in listing.rooms) == ["东屋", "西屋"] and listing.price_fen == 15000


def test_a_homestay_with_a_bad_room_saves_nothing(client, staff_home, english):
    data = {"title_zh": "农家小院", "elder_id": "0", "price": "",
            "rooms-0-name_zh": "东屋", "rooms-0-price": "180", "rooms-0-max_guests": "2",
            "rooms-1-name_zh": "西屋", "rooms-1-price": "150", "rooms-1-max_guests": "99"}
    response = post_form(client, "/manage/qiantun/publish/homestay", data)
    assert response.status_code == 400 and "Room 2:" in response.get_data(as_text=True)
    assert (_count(Listing), _count(Room)) == (0, 0)


def test_produce_with_stock_and_a_harvest_date(client, staff_home):
    data = {"title_zh": "新米", "elder_id": "0", "price": "25", "unit_zh": "斤", "stock": "40",
            "ships_to": ["河北省"], "harvest_date": ""}
    response = post_form(client, "/manage/qiantun/publish/produce", data)
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.stock == 40 and listing.kind == "produce" and listing.status == "draft"


def test_another_homes_staff_cannot_publish_here_or_preview(client, make):
    home, other = make.home(slug="qiantun"), make.home(slug="guantian")
    listing = make.listing(home, "produce", status="draft")
    login(client, make.member(other, "staff"))
    assert client.get(URL).status_code == 404
    assert client.get(f"/manage/qiantun/listings/{listing.id}/preview").status_code == 404
    assert client.get(f"/manage/guantian/listings/{listing.id}/preview").status_code == 404


def test_a_supervisor_reads_the_form_but_cannot_send_it(client, make):
    home = make.home(slug="qiantun")
    login(client, make.member(home, "supervisor"))
    assert client.get(URL).status_code == 200
    assert post_form(client, "/manage/qiantun/publish/produce", {"title_zh": "x"},
                     form_url="/manage/qiantun/listings/new/produce").status_code == 403
    assert _count(Listing) == 0
