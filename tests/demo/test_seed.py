"""`flask demo seed`: the demo homes, listings and accounts, and what the public sees of them."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from market.demo import data
from market.demo.seed import seed
from models import Elder, Home, Listing, Membership, Photo, Room, TourSession, User, db, utcnow
from models.catalog import KINDS
from tests.conftest import post_form

HIDDEN_ELDER = data.HOMES[0]["elders"]["zhao"]


def _published():
    return list(db.session.scalars(select(Listing).where(Listing.status == "published")))


def test_cli_seeds_once_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert data.PASSWORD in first.output
    for _label, email, *_rest in data.ACCOUNTS:
        assert email in first.output
    counts = [db.session.scalar(select(func.count()).select_from(model))
              for model in (Home, Listing, TourSession, Room, Photo, User, Elder)]

    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0
    assert "already has homes" in second.output
    assert seed() is None
    again = [db.session.scalar(select(func.count()).select_from(model))
             for model in (Home, Listing, TourSession, Room, Photo, User, Elder)]
    assert again == counts


def test_seed_builds_three_homes_and_forty_listings_of_every_kind(app):
    logins = seed()
    assert [role for role, _login in logins] == [label for label, *_ in data.ACCOUNTS]

    homes = list(db.session.scalars(select(Home).order_by(Home.id)))
    assert [home.slug for home in homes] == ["qiantun", "xiaoling", "guantian"]
    assert sorted(home.care_share_bps for home in homes) == [1500, 2000, 2500]
    assert {home.province_en for home in homes} == {"Hebei", "Anhui", "Jiangxi"}
    assert any(home.featured for home in homes)

    listings = _published()
    assert 36 <= len(listings) <= 44
    assert {listing.kind for listing in listings} == set(KINDS)
    assert any(listing.featured for listing in listings)
    for home in homes:
        own = [listing for listing in listings if listing.home_id == home.id]
        assert len(own) >= 10, home.slug
        assert home.story_zh and home.story_en
    for listing in listings:
        assert listing.title_zh and listing.title_en and listing.description_en, listing.slug
        assert "lorem" not in (listing.description_en + listing.description_zh).lower()
        assert listing.photos, listing.slug
        for photo in listing.photos:
            root = Path(app.config["UPLOAD_ROOT"])
            assert (root / photo.path).is_file() and (root / photo.thumb_path).is_file()

    # Tours: sessions over the next 60 days, with capacity and a meeting point.
    now = utcnow()
    for tour in [listing for listing in listings if listing.kind == "tour"]:
        assert len(tour.sessions) >= 4, tour.slug
        for session in tour.sessions:
            assert now < session.starts_at <= now + timedelta(days=61)
            assert session.capacity > 0 and session.meeting_point_zh and session.meeting_point_en
    # Homestays: rooms, the listing's price is the cheapest night.
    for stay in [listing for listing in listings if listing.kind == "homestay"]:
        assert stay.rooms, stay.slug
        assert stay.price_fen == min(room.nightly_price_fen for room in stay.rooms)
    # Goods: stock or made to order with a lead time, regions they ship to, one harvest pre-order.
    goods = [listing for listing in listings if listing.kind in ("produce", "craft")]
    for item in goods:
        assert item.ships_to, item.slug
        assert (item.made_to_order and item.lead_days) or (item.stock or 0) > 0, item.slug
    assert any(item.made_to_order for item in goods)
    assert any(item.harvest_date and item.harvest_date > now.date() for item in goods)

    # Accounts: staff of each home, a supervisor, an admin, a customer without a home.
    roles = {(m.home.slug, m.role) for m in db.session.scalars(select(Membership))}
    assert {("qiantun", "staff"), ("xiaoling", "staff"), ("guantian", "staff"),
            ("qiantun", "supervisor")} <= roles
    assert db.session.scalar(select(func.count(User.id)).where(User.is_admin.is_(True))) == 1


def test_demo_accounts_log_in_with_the_demo_password(app, client):
    seed()
    for _label, email, *_rest in data.ACCOUNTS:
        response = post_form(client, "/login", {"identifier": email, "password": data.PASSWORD})
        assert response.status_code == 302, email
        client.post("/logout", data={"csrf_token": _token(client)})
        client.delete_cookie("session")


def _token(client):
    from tests.conftest import csrf_from

    return csrf_from(client, "/login")


def _public_urls(app) -> list[str]:
    urls = ["/", "/browse", "/browse?page=2"] + [f"/kind/{kind}" for kind in KINDS]
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    for home in db.session.scalars(select(Home)):
        urls += [f"/homes/{home.slug}", f"/browse?county={home.county_zh}", f"/browse?home={home.slug}"]
        if "/fund/<home_slug>" in rules:  # the care fund's public page (issue 6)
            urls.append(f"/fund/{home.slug}")
    if "/fund/" in rules:
        urls.append("/fund/")
    if "/search" in rules:
        urls += ["/search?q=宣纸", "/search?q=tea"]
    urls += [f"/listings/{listing.slug}" for listing in _published()]
    return urls


def test_every_public_page_answers_in_both_languages_and_hides_the_private_elder(app, client):
    seed()
    hidden = db.session.scalar(select(Elder).where(Elder.display_name_zh == HIDDEN_ELDER["display_name_zh"]))
    assert hidden is not None and not hidden.consent_public
    # The elder does lead a listing and its sessions: the pages must still not name them.
    led = db.session.scalar(select(Listing).where(Listing.elder_id == hidden.id))
    assert led is not None and led.status == "published"

    secrets = [HIDDEN_ELDER[key] for key in ("display_name_zh", "display_name_en", "bio_zh", "bio_en")]
    secrets += ["赵庆山", "Zhao Qingshan"]
    urls = _public_urls(app)
    assert len(urls) > 45
    for language, marker in (("zh_Hans", "前屯村幸福院"), ("en", "Qiantun Village Happiness Home")):
        client.set_cookie("lang", language)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (language, url, response.status_code)
            body = response.get_data(as_text=True)
            for secret in secrets:
                assert secret not in body, (language, url, secret)
        assert marker in client.get("/homes/qiantun").get_data(as_text=True)
        assert marker in client.get(f"/listings/{led.slug}").get_data(as_text=True)

    # The draft is not public; photos are served.
    draft = db.session.scalar(select(Listing).where(Listing.status == "draft"))
    assert client.get(f"/listings/{draft.slug}").status_code == 404
    photo = db.session.scalar(select(Photo).where(Photo.listing_id.is_not(None)))
    assert client.get(f"/media/{photo.thumb_path}").status_code == 200


def test_seeded_history_goes_through_the_services_and_verifies(app, tmp_path):
    """Past orders of every kind, a partial refund, donations, a township subsidy, approved and
    rejected spending with receipts, for every demo home: entries the ledger verifies."""
    from market.fund.disbursements import receipts_root
    from models.fund import Disbursement, Donation, Grant
    from models.ledger import JournalEntry
    from models.orders import OrderLine

    app.config["RECEIPT_ROOT"] = str(tmp_path / "receipts")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    verified = runner.invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("OK")
    for home in db.session.scalars(select(Home)):
        kinds = set(db.session.scalars(select(JournalEntry.kind).where(JournalEntry.home_id == home.id)))
        assert {"sale", "release", "donation", "grant", "disbursement"} <= kinds, home.slug
        sold = set(db.session.scalars(select(OrderLine.kind).where(OrderLine.home_id == home.id)))
        offered = set(db.session.scalars(select(Listing.kind).where(Listing.home_id == home.id,
                                                                   Listing.status == "published")))
        assert sold == offered, home.slug
        assert db.session.scalar(select(func.count(Grant.id)).where(
            Grant.home_id == home.id, Grant.source == "township")) >= 1
        assert db.session.scalar(select(func.count(Donation.id)).where(
            Donation.home_id == home.id, Donation.status == "received", Donation.entry_id.is_not(None)))
        spending = list(db.session.scalars(select(Disbursement).where(Disbursement.home_id == home.id)))
        assert {d.status for d in spending} == {"approved", "rejected"}, home.slug
        for d in spending:
            assert receipts_root().read(d.receipt_path) is not None
            assert (d.entry_id is not None) == (d.status == "approved")
    assert "refund" in set(db.session.scalars(select(JournalEntry.kind)))
    assert {line.kind for line in db.session.scalars(select(OrderLine))} == set(KINDS)


def test_seeded_spending_is_proposed_before_it_is_decided(app):
    """The history's proposals carry the simulated day they were made, not the seeding day."""
    from models.fund import Disbursement

    seed()
    decided = db.session.scalars(select(Disbursement).where(Disbursement.decided_at.is_not(None))).all()
    assert decided
    assert all(d.created_at <= d.decided_at for d in decided)
