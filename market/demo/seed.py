"""`flask demo seed`: three demo homes with elders, about 40 listings, photos and demo accounts.

Rows are inserted directly with the models in ONE transaction; pictures are drawn with Pillow
and stored through `market.uploads.store_image`, like an upload. The seed refuses to run when
any home exists, so running it twice changes nothing.
"""

import io
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market import clock, storage
from market.demo import data
from market.demo.pictures import picture
from market.demo.shipping import seed_shipping
from models import Elder, ElderConsent, Home, Listing, Membership, Photo, Room, TourSession, User, db

HOME_FIELDS = ("slug", "name_zh", "name_en", "province_zh", "province_en", "county_zh", "county_en",
               "village_zh", "village_en", "story_zh", "story_en", "care_share_bps", "featured",
               "pay_payee", "pay_account", "pay_phone", "pay_note_zh", "pay_note_en")
LISTING_FIELDS = ("slug", "kind", "featured", "title_zh", "title_en", "description_zh", "description_en",
                  "tags", "unit_zh", "unit_en", "care_share_bps", "stock", "made_to_order", "lead_days",
                  "ships_to", "cancel_hours", "included_zh", "included_en", "directions_zh",
                  "directions_en", "map_url")


def seed(now: datetime | None = None) -> list[tuple[str, str]] | None:
    """Fill an empty database; returns (role, login) pairs, or None when homes already exist."""
    if db.session.scalar(select(Home.id).limit(1)) is not None:
        db.session.rollback()
        return None
    today = clock.local_today(now)
    stored: list[str] = []
    try:
        homes = [_add_home(spec, today, stored) for spec in data.HOMES]
        seed_shipping(homes)
        logins = _add_accounts({home.slug: home for home in homes})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        from market.uploads import remove_stored

        remove_stored(storage.uploads(), *stored)
        raise
    seed_history(homes)
    return logins


def seed_history(homes: list[Home]) -> None:
    """Hook for paid order history (orders, payments, ledger entries) through the services.

    Runs after the catalogue is committed; each service commits its own use case.
    See market/demo/history.py.
    """
    from market.demo.console import seed_console
    from market.demo.history import seed_history as replay_history
    from market.demo.impact import seed_reviews, seed_services
    from market.demo.moderation import seed_review_extras
    from market.demo.timebank import seed_timebank
    from market.notify.service import muted

    with muted():  # a year-old pledge or order is no news: the history mails nobody
        seed_services(homes)  # first: its care-fund entries are the oldest (see market/demo/impact.py)
        replay_history(homes)
        seed_reviews(homes)
        seed_review_extras(homes)
        seed_timebank(homes)
        seed_console(homes)


def _add_home(spec: dict, today: date, stored: list[str]) -> Home:
    home = Home(status="active", **{field: spec[field] for field in HOME_FIELDS})
    db.session.add(home)
    db.session.flush()
    for position, (alt_zh, alt_en) in enumerate(spec["photos"]):
        _add_photo(home, None, spec["palette"], None, home.id * 1000 + position, alt_zh, alt_en,
                   position, stored)
    elders = {}
    for key, fields in spec["elders"].items():
        elders[key] = Elder(home_id=home.id, **fields)
        db.session.add(elders[key])
    db.session.flush()
    for elder in elders.values():  # how each elder shown on the site agreed (a paper form)
        if elder.consent_public:
            db.session.add(ElderConsent(elder_id=elder.id, home_id=home.id, covers_name=True,
                                        covers_photos=True, covers_reviews=True, how="paper",
                                        witness_name="", note="同意书存放在幸福院档案柜", withdrawal_note=""))
    for number, item in enumerate(spec["listings"]):
        _add_listing(home, spec, item, elders, today, number, stored)
    return home


def _add_listing(home: Home, spec: dict, item: dict, elders: dict, today: date, number: int,
                 stored: list[str]) -> Listing:
    fields = {field: item[field] for field in LISTING_FIELDS if field in item}
    # The home's facts for travellers, unless the listing has its own.
    if item["kind"] in spec.get("visit", {}):
        for field, value in spec["visit"][item["kind"]].items():
            fields.setdefault(field, value)
    rooms = item.get("rooms", [])
    price = item.get("price_fen") or min(room[2] for room in rooms)
    elder = elders.get(item.get("elder"))
    listing = Listing(
        home_id=home.id,
        status=item.get("status", "published"),
        price_fen=price,
        currency="CNY",
        elder_id=elder.id if elder else None,
        harvest_date=_next_date(today, *item["harvest"]) if "harvest" in item else None,
        **fields,
    )
    db.session.add(listing)
    db.session.flush()
    for name_zh, name_en, nightly, guests, amenities_zh, amenities_en in rooms:
        db.session.add(Room(listing_id=listing.id, name_zh=name_zh, name_en=name_en,
                            nightly_price_fen=nightly, max_guests=guests,
                            amenities_zh=amenities_zh, amenities_en=amenities_en))
    plan = item.get("sessions")
    if plan:
        meet_zh, meet_en = spec["meeting_points"][plan["meet"]]
        hour, minute = (int(part) for part in plan["time"].split(":"))
        for offset in plan["days"]:
            starts_at = clock.at_local(today + timedelta(days=offset), time(hour, minute))
            db.session.add(TourSession(
                listing_id=listing.id, starts_at=starts_at,
                duration_minutes=plan["minutes"], capacity=plan["capacity"],
                meeting_point_zh=meet_zh, meeting_point_en=meet_en,
                elder_id=elder.id if elder else None,
            ))
    _add_photo(home, listing, spec["palette"], item["kind"], home.id * 1000 + 10 + number,
               item["title_zh"], item["title_en"], 0, stored)
    return listing


def _add_photo(home, listing, palette, kind, seed, alt_zh, alt_en, position, stored) -> None:
    from market.uploads import store_image

    image = store_image(io.BytesIO(picture(palette, kind, seed)),
                        root=storage.uploads(),
                        max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    stored.extend((image.path, image.thumb_path))
    db.session.add(Photo(home_id=home.id, listing_id=listing.id if listing else None,
                         path=image.path, thumb_path=image.thumb_path,
                         width=image.width, height=image.height,
                         alt_zh=alt_zh[:200], alt_en=alt_en[:200], position=position))


def _next_date(today: date, month: int, day: int) -> date:
    """The next (month, day) after today: a harvest still to come."""
    candidate = date(today.year, month, day)
    return candidate if candidate > today else date(today.year + 1, month, day)


def _add_accounts(homes: dict[str, Home]) -> list[tuple[str, str]]:
    password_hash = generate_password_hash(data.PASSWORD)  # one hash: the same password for all
    logins = []
    for label, email, name, home_slug, role, is_admin in data.ACCOUNTS:
        user = User(email=email, name=name, password_hash=password_hash, is_admin=is_admin)
        db.session.add(user)
        db.session.flush()
        if home_slug:
            db.session.add(Membership(user_id=user.id, home_id=homes[home_slug].id, role=role))
        logins.append((label, email))
    return logins
