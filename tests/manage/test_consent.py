"""An elder's consent recorded by staff (market/manage/consent.py): what it covers, how it was
given, who recorded it and when; withdrawing hides the name on public pages at once; bad input
changes nothing; another home's staff can neither see nor change it."""

import pytest
from sqlalchemy import func, select

from market.manage import consent
from market.manage.service import ManageError
from models import Elder, ElderConsent, db
from tests.conftest import login, post_form


@pytest.fixture
def world(make, client):
    home = make.home(slug="qiantun")
    staff = make.member(home, "staff", name="Staff Zhao")
    elder = make.elder(home, display_name_zh="张德福爷爷", display_name_en="Grandpa Zhang Defu",
                       consent_public=False)
    listing = make.listing(home, "tour", elder_id=elder.id, title_en="Red history stories")
    make.session(listing)
    return home, staff, elder, listing


def _url(home, elder, action=""):
    return f"/manage/{home.slug}/elders/{elder.id}/consent{action}"


def _count():
    return db.session.scalar(select(func.count(ElderConsent.id)))


def test_staff_record_consent_for_the_elder_and_the_name_appears(client, world, english):
    home, staff, elder, listing = world
    login(client, staff)
    public = f"/listings/{listing.slug}"
    assert "Grandpa Zhang Defu" not in client.get(public).get_data(as_text=True)
    response = post_form(client, _url(home, elder), {
        "covers_name": "y", "covers_reviews": "y", "how": "spoken", "witness_name": "Village head Li",
        "note": "said at the Tuesday meal"}, form_url=_url(home, elder))
    assert response.status_code == 302
    record = db.session.scalar(select(ElderConsent))
    assert (record.covers_name, record.covers_photos, record.covers_reviews) == (True, False, True)
    assert (record.how, record.witness_name, record.recorded_by_id) == ("spoken", "Village head Li", staff.id)
    assert record.recorded_at is not None and record.withdrawn_at is None
    assert db.session.get(Elder, elder.id).consent_public is True
    assert "Grandpa Zhang Defu" in client.get(public).get_data(as_text=True)
    page = client.get(_url(home, elder)).get_data(as_text=True)
    assert "Village head Li" in page and "Staff Zhao" in page and "reviews naming them" in page


def test_withdrawal_hides_the_name_at_once(client, world, english):
    home, staff, elder, listing = world
    given = consent.ConsentInput(covers_name=True, covers_photos=True, how="paper")
    consent.record_consent(home, elder, given, staff)
    login(client, staff)
    public = f"/listings/{listing.slug}"
    assert "Grandpa Zhang Defu" in client.get(public).get_data(as_text=True)
    response = post_form(client, _url(home, elder, "/withdraw"), {"note": "her son phoned"},
                         form_url=_url(home, elder))
    assert response.status_code == 302
    assert "Grandpa Zhang Defu" not in client.get(public).get_data(as_text=True)
    record = db.session.scalar(select(ElderConsent))
    assert record.withdrawn_at is not None and record.withdrawn_by_id == staff.id
    assert record.withdrawal_note == "her son phoned"
    assert db.session.get(Elder, elder.id).consent_public is False
    assert consent.in_force(elder) is None


def test_a_new_record_replaces_the_one_in_force(world):
    home, staff, elder, _listing = world
    first = consent.record_consent(home, elder, consent.ConsentInput(covers_name=True, how="paper"), staff)
    second = consent.record_consent(home, elder, consent.ConsentInput(covers_photos=True, how="paper"), staff)
    assert consent.in_force(elder).id == second.id != first.id
    assert db.session.get(Elder, elder.id).consent_public is False  # the new one does not cover the name
    assert [r.id for r in consent.history(elder)] == [second.id, first.id]


@pytest.mark.parametrize("data, message", [
    ({"how": "paper"}, "Tick what the elder agreed to"),
    ({"covers_name": "y"}, "Choose how the elder gave their consent"),
    ({"covers_name": "y", "how": "email"}, "Choose how the elder gave their consent"),
    ({"covers_name": "y", "how": "spoken", "witness_name": "  "}, "needs a witness"),
    ({"covers_name": "y", "how": "paper", "witness_name": "x" * 81}, "too long"),
    ({"covers_name": "y", "how": "paper", "note": "x" * 501}, "under 500 characters"),
])
def test_bad_consent_input_changes_nothing(client, world, english, data, message):
    home, staff, elder, _listing = world
    login(client, staff)
    response = post_form(client, _url(home, elder), data, form_url=_url(home, elder))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count() == 0 and db.session.get(Elder, elder.id).consent_public is False


def test_withdrawing_nothing_is_refused(client, world, english):
    home, staff, elder, _listing = world
    login(client, staff)
    response = post_form(client, _url(home, elder, "/withdraw"), {}, form_url=_url(home, elder))
    assert response.status_code == 400 and "no consent to withdraw" in response.get_data(as_text=True)


def test_a_flag_set_before_records_were_kept_can_be_withdrawn(world, english):
    home, staff, elder, _listing = world
    elder.consent_public = True  # as the migration leaves elders already shown
    db.session.commit()
    assert consent.in_force(elder) is None
    assert consent.withdraw_consent(home, elder, staff, "") == 0
    assert db.session.get(Elder, elder.id).consent_public is False


def test_another_homes_staff_cannot_see_or_change_consent(client, make, world, english):
    home, staff, elder, _listing = world
    consent.record_consent(home, elder, consent.ConsentInput(covers_name=True, how="paper"), staff)
    other = make.home()
    stranger = make.member(other, "staff")
    own_elder = make.elder(other, consent_public=False)
    login(client, stranger)
    assert client.get(_url(home, elder)).status_code == 404
    # Their own home's slug with the other home's elder id: still 404.
    assert client.get(_url(other, elder)).status_code == 404
    own_page = _url(other, own_elder)
    assert post_form(client, _url(other, elder, "/withdraw"), {}, form_url=own_page).status_code == 404
    assert post_form(client, _url(other, elder), {"covers_name": "y", "how": "paper"},
                     form_url=own_page).status_code == 404
    assert db.session.get(Elder, elder.id).consent_public is True and _count() == 1
    with pytest.raises(ManageError):
        consent.withdraw_consent(other, elder, stranger)
    assert db.session.get(Elder, elder.id).consent_public is True


def test_a_supervisor_reads_but_cannot_record(client, make, world, english):
    home, _staff, elder, _listing = world
    supervisor = make.member(home, "supervisor")
    login(client, supervisor)
    assert client.get(_url(home, elder)).status_code == 200
    response = post_form(client, _url(home, elder), {"covers_name": "y", "how": "paper"},
                         form_url=f"/manage/{home.slug}/notifications/")
    assert response.status_code == 403 and _count() == 0
