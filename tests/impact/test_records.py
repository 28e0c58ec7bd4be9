"""Service records: one tap per service, undo, the paper-register import, the summary rows
they keep, and who may write them."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from market import clock
from market.impact import records, sums
from market.impact.records import ImpactError
from market.impact.register_import import import_register
from models import db
from models.impact import ImpactSum, ServiceRecord
from tests.conftest import login, post_form


def figures(home_id: int, month: str) -> dict[str, int]:
    return {m: v for m, v in db.session.execute(
        select(ImpactSum.measure, ImpactSum.value)
        .where(ImpactSum.home_id == home_id, ImpactSum.month == month)) if v}


def records_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ServiceRecord))


def test_taps_keep_the_month_figures(app, make):
    home = make.home()
    wang, li = records.add_resident(home.id, "王奶奶"), records.add_resident(home.id, " 李  爷爷 ")
    assert li.name == "李 爷爷"
    day = date(2026, 3, 10)
    assert records.record_service(home.id, wang.id, day, "meal", None)
    assert records.record_service(home.id, wang.id, day, "delivered", None)
    assert not records.record_service(home.id, wang.id, day, "meal", None)  # twice counts once
    assert records.record_service(home.id, wang.id, day + timedelta(days=1), "meal", None)
    assert records.record_service(home.id, li.id, day, "visit", None)
    assert figures(home.id, "2026-03") == {"meal": 2, "delivered": 1, "visit": 1, "attendance": 3,
                                           "elders": 2}
    assert records.remove_service(home.id, wang.id, day, "delivered")
    assert figures(home.id, "2026-03")["attendance"] == 3  # still ate at the table that day
    assert records.remove_service(home.id, wang.id, day, "meal")
    assert records.remove_service(home.id, wang.id, day + timedelta(days=1), "meal")
    assert not records.remove_service(home.id, wang.id, day, "meal")
    assert figures(home.id, "2026-03") == {"visit": 1, "attendance": 1, "elders": 1}
    assert sums.stored() == sums.recomputed()


def test_refused_records_change_nothing(app, make):
    home, other = make.home(), make.home()
    wang = records.add_resident(home.id, "王奶奶")
    tomorrow = clock.local_today() + timedelta(days=1)
    for resident, day, kind, home_id in ((wang.id, tomorrow, "meal", home.id),
                                         (wang.id, date(2026, 1, 1), "bath", home.id),
                                         (wang.id, None, "meal", home.id),
                                         (wang.id, date(2026, 1, 1), "meal", other.id),  # another home
                                         ("x", date(2026, 1, 1), "meal", home.id)):
        with pytest.raises(ImpactError):
            records.record_service(home_id, resident, day, kind, None)
    assert records_count() == 0 and sums.stored() == ({}, {})
    with pytest.raises(ImpactError):
        records.add_resident(home.id, "王奶奶")
    with pytest.raises(ImpactError):
        records.add_resident(home.id, "  ")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2), st.integers(0, 40), st.sampled_from(
    ["meal", "delivered", "visit", "activity"])), max_size=30))
def test_any_sequence_of_taps_and_undos_keeps_the_sums_true(app, make, taps):
    db.session.execute(ServiceRecord.__table__.delete())
    db.session.execute(ImpactSum.__table__.delete())
    db.session.commit()
    home = make.home()
    people = [records.add_resident(home.id, f"老人{n}") for n in range(3)]
    start = date(2026, 1, 20)  # days over two months
    for add, who, offset, kind in taps:
        day = start + timedelta(days=offset)
        if add:
            records.record_service(home.id, people[who].id, day, kind, None)
        else:
            records.remove_service(home.id, people[who].id, day, kind)
    assert sums.stored() == sums.recomputed()


# ---- the paper register ---------------------------------------------------------------------

REGISTER = "日期,姓名,服务\n2026-03-01,王奶奶,堂食\n2026-03-01,王奶奶,送餐\n2026/03/02,李爷爷,探访\n\n"


def test_register_import_adds_every_line_and_counts_a_second_import_once(app, make):
    home = make.home()
    records.add_resident(home.id, "王奶奶")
    records.add_resident(home.id, "李爷爷")
    result = import_register(home.id, REGISTER.encode("utf-8-sig"), None)
    assert (result.added, result.already, result.problems) == (3, 0, [])
    again = import_register(home.id, REGISTER.encode("gb18030"), None)  # Excel's Chinese CSV
    assert (again.added, again.already) == (0, 3)
    assert figures(home.id, "2026-03") == {"meal": 1, "delivered": 1, "visit": 1, "attendance": 2,
                                           "elders": 2}
    assert sums.stored() == sums.recomputed()


def test_a_register_with_bad_lines_imports_nothing_and_names_each_line(app, make, english):
    home = make.home()
    records.add_resident(home.id, "王奶奶")
    future = (clock.local_today() + timedelta(days=3)).isoformat()
    bad = ("date,name,service\n2026-03-01,王奶奶,meal\n2026-02-30,王奶奶,meal\n"
           f"{future},王奶奶,visit\n2026-03-02,张三,visit\n2026-03-03,王奶奶,bath\n2026-03-04\n")
    result = import_register(home.id, bad.encode(), None)
    assert result.added == 0 and records_count() == 0 and sums.stored() == ({}, {})
    text = "\n".join(result.problems)
    for expected in ("Line 3: “2026-02-30” is not a date", "Line 4: the date", "in the future",
                     "Line 5: no elder named “张三”", "Line 6: “bath” is not a service",
                     "Line 7: a column is missing"):
        assert expected in text
    assert "Line 2" not in text
    for data in (b"", b"name,service\n", "日期,姓名,服务\n".encode(), b"\xff\xfe\x00\x00"):
        with pytest.raises(ImpactError):
            import_register(home.id, data, None)


# ---- the pages ---------------------------------------------------------------------------------

def _sheet(home):
    return f"/manage/{home.slug}/impact/"


def test_staff_tap_on_the_day_sheet_and_undo(client, make):
    home = make.home()
    staff = make.member(home, "staff")
    wang = records.add_resident(home.id, "王奶奶")
    login(client, staff)
    page = client.get(_sheet(home)).get_data(as_text=True)
    assert "王奶奶" in page and page.count('name="action" value="add"') == 4
    today = clock.local_today().isoformat()
    tap = {"resident": wang.id, "kind": "meal", "day": today, "action": "add"}
    response = post_form(client, f"/manage/{home.slug}/impact/tap", tap, form_url=_sheet(home))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#r{wang.id}")
    assert records_count() == 1
    page = client.get(_sheet(home)).get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    response = post_form(client, f"/manage/{home.slug}/impact/tap", {**tap, "action": "undo"},
                         form_url=_sheet(home))
    assert response.status_code == 302 and records_count() == 0


def test_another_homes_staff_and_supervisors_cannot_record(client, make):
    home, other = make.home(), make.home()
    wang = records.add_resident(home.id, "王奶奶")
    today = clock.local_today().isoformat()
    tap = {"resident": wang.id, "kind": "meal", "day": today, "action": "add"}
    assert client.get(_sheet(home)).status_code == 302  # to the log-in page
    login(client, make.member(other, "staff"))
    assert client.get(_sheet(home)).status_code == 404
    assert client.get(f"/manage/{home.slug}/impact/residents").status_code == 404
    # Through their own home's URL, the other home's elder is not found: nothing is written.
    response = post_form(client, f"/manage/{other.slug}/impact/tap", tap, form_url=_sheet(other))
    assert response.status_code == 400 and records_count() == 0
    client.post("/logout", data={})
    supervisor = make.member(home, "supervisor")
    client.delete_cookie("session")
    login(client, supervisor)
    page = client.get(_sheet(home)).get_data(as_text=True)
    assert "王奶奶" in page and 'name="action"' not in page  # read only
    response = post_form(client, f"/manage/{home.slug}/impact/tap", tap, form_url=_sheet(home))
    assert response.status_code == 403 and records_count() == 0


def test_import_page_shows_line_problems_in_chinese(client, make):
    home = make.home()
    records.add_resident(home.id, "王奶奶")
    login(client, make.member(home, "staff"))
    url = f"/manage/{home.slug}/impact/import"
    from io import BytesIO

    data = {"register": (BytesIO("日期,姓名,服务\n2026-03-01,张三,堂食\n".encode()), "register.csv")}
    response = post_form(client, url, data, content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "第 2 行" in text and records_count() == 0
    data = {"register": (BytesIO("日期,姓名,服务\n2026-03-01,王奶奶,堂食\n".encode()), "register.csv")}
    response = post_form(client, url, data, content_type="multipart/form-data")
    assert response.status_code == 302 and records_count() == 1


def test_residents_page_adds_and_retires(client, make):
    home = make.home()
    login(client, make.member(home, "staff"))
    url = f"/manage/{home.slug}/impact/residents"
    assert post_form(client, url, {"name": "王奶奶"}).status_code == 302
    assert post_form(client, url, {"name": "王奶奶"}).status_code == 400
    [wang] = records.residents(home.id)
    response = post_form(client, f"{url}/active", {"resident": wang.id, "active": "0"}, form_url=url)
    assert response.status_code == 302 and records.residents(home.id) == []
    assert "王奶奶" not in client.get(_sheet(home)).get_data(as_text=True)


def test_impact_forms_are_one_time(app):
    for endpoint in ("impact_manage.tap", "impact_manage.residents", "impact_manage.resident_active",
                     "impact_manage.import_register"):
        assert getattr(app.view_functions[endpoint], "one_time", False), endpoint
