"""Platform admin: homes, their care share, staff and supervisors."""

import pytest
from sqlalchemy import func, select

from models import Home, Membership, db
from tests.conftest import csrf_from, login, post_form


@pytest.fixture
def admin(client, make):
    user = make.user(is_admin=True)
    login(client, user)
    return user


def _home_data(**fields) -> dict:
    data = {"name_zh": "官田村幸福院", "name_en": "Guantian Village Happiness Home", "slug": "guantian",
            "province_zh": "江西省", "province_en": "Jiangxi", "county_zh": "余江区", "county_en": "Yujiang",
            "village_zh": "官田村", "village_en": "Guantian", "story_zh": "茶与米的村庄",
            "story_en": "A village of tea and rice", "care_share": "22.5", "status": "active"}
    data.update(fields)
    return data


def _homes() -> int:
    return db.session.scalar(select(func.count(Home.id)))


def test_non_admin_gets_403_and_anonymous_is_sent_to_log_in(client, make):
    assert client.get("/admin/homes").status_code == 302
    login(client, make.member(make.home(), "staff"))
    assert client.get("/admin/homes").status_code == 403
    assert client.get("/admin/homes/new").status_code == 403


def test_admin_lists_homes(client, admin, make):
    home = make.home()
    page = client.get("/admin/homes").get_data(as_text=True)
    assert home.name_zh in page


def test_create_home_with_care_share_in_percent(client, admin):
    response = post_form(client, "/admin/homes/new", _home_data())
    assert response.status_code == 302
    home = db.session.scalar(select(Home))
    assert (home.slug, home.care_share_bps, home.status, home.county_en) == ("guantian", 2250, "active",
                                                                              "Yujiang")
    assert client.get("/homes/guantian").status_code == 200


@pytest.mark.parametrize("fields", [
    {"care_share": "120"}, {"care_share": "-5"}, {"care_share": "12.345"}, {"care_share": "abc"},
    {"care_share": ""}, {"slug": "Bad Slug"}, {"slug": ""}, {"slug": "a--b"}, {"name_zh": ""},
    {"village_en": ""}, {"name_zh": "长" * 500}, {"status": "closed"},
])
def test_bad_home_input_saves_nothing(client, admin, fields):
    response = post_form(client, "/admin/homes/new", _home_data(**fields))
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert _homes() == 0


def test_duplicate_slug_refused(client, admin, make):
    make.home(slug="guantian")
    assert post_form(client, "/admin/homes/new", _home_data()).status_code == 400
    assert _homes() == 1


def test_edit_home_and_suspend(client, admin, make):
    home = make.home(slug="old-slug", care_share_bps=2000)
    url = f"/admin/homes/{home.id}/edit"
    assert "old-slug" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, _home_data(slug="old-slug", care_share="15", status="suspended"))
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Home, home.id)
    assert (changed.care_share_bps, changed.status, changed.name_zh) == (1500, "suspended", "官田村幸福院")
    assert client.get("/homes/old-slug").status_code == 404  # suspended homes are not public


def test_edit_keeps_own_slug_but_refuses_anothers(client, admin, make):
    make.home(slug="taken")
    home = make.home(slug="mine")
    url = f"/admin/homes/{home.id}/edit"
    assert post_form(client, url, _home_data(slug="taken")).status_code == 400
    db.session.expire_all()
    assert db.session.get(Home, home.id).slug == "mine"


def test_unknown_home_is_404(client, admin):
    assert client.get("/admin/homes/99999/edit").status_code == 404


def test_assign_staff_by_email_and_supervisor_by_mobile_then_remove(client, admin, make):
    home = make.home()
    staff = make.user(email="staff@example.com")
    supervisor = make.user(email=None, phone="13900139000")
    edit = f"/admin/homes/{home.id}/edit"
    members = f"/admin/homes/{home.id}/members"
    assert post_form(client, members, {"identifier": "Staff@Example.com", "role": "staff"},
                     form_url=edit).status_code == 302
    assert post_form(client, members, {"identifier": "139 0013 9000", "role": "supervisor"},
                     form_url=edit).status_code == 302
    roles = dict(db.session.execute(select(Membership.user_id, Membership.role)).all())
    assert roles == {staff.id: "staff", supervisor.id: "supervisor"}
    # Assigning again changes the role instead of adding a second membership.
    post_form(client, members, {"identifier": "staff@example.com", "role": "supervisor"}, form_url=edit)
    assert db.session.scalar(select(func.count(Membership.id))) == 2
    membership = db.session.scalar(select(Membership).where(Membership.user_id == staff.id))
    assert membership.role == "supervisor"
    post_form(client, f"{members}/{membership.id}/remove", form_url=edit)
    assert db.session.scalar(select(func.count(Membership.id))) == 1


def test_assign_unknown_user_or_role_refused(client, admin, make):
    home = make.home()
    make.user(email="someone@example.com")
    edit = f"/admin/homes/{home.id}/edit"
    members = f"/admin/homes/{home.id}/members"
    response = post_form(client, members, {"identifier": "ghost@example.com", "role": "staff"}, form_url=edit)
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    response = post_form(client, members, {"identifier": "someone@example.com", "role": "owner"},
                         form_url=edit)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Membership.id))) == 0


def test_removing_a_membership_of_another_home_is_404(client, admin, make):
    home, other = make.home(), make.home()
    make.member(other, "staff")
    membership = db.session.scalar(select(Membership))
    response = post_form(client, f"/admin/homes/{home.id}/members/{membership.id}/remove",
                         form_url=f"/admin/homes/{home.id}/edit")
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Membership.id))) == 1


def test_assigned_staff_can_use_the_console(client, admin, make):
    home = make.home(slug="new-home")
    user = make.user(email="new@example.com")
    post_form(client, f"/admin/homes/{home.id}/members", {"identifier": "new@example.com", "role": "staff"},
              form_url=f"/admin/homes/{home.id}/edit")
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    login(client, user)
    assert client.get("/manage/new-home/").status_code == 200


def test_admin_is_not_automatically_staff(client, admin, make):
    make.home(slug="some-home")
    assert client.get("/manage/some-home/").status_code == 404
