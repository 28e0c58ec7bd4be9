"""Books a village committee can read: the CSV opens in Excel on a Chinese PC, the statement as a
workbook with the page's totals, Beijing dates everywhere, a chart with amounts on its y-axis."""

import csv
import io
import re
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from market import hooks
from market.fund import exports, public
from market.ledger import fund_entries
from models import db
from models.ledger import JournalEntry
from tests.factories import order_rows, posted_sale


def _sale_at(make, home, moment, amount=100_00):
    order = order_rows(make, home=home, lines=((amount, 2000, 0, 500, "produce"),))
    order.paid_at = moment
    hooks.order_paid.send(order)
    db.session.commit()
    return order


def test_csv_has_a_bom_chinese_headers_yuan_beijing_time_and_order_references(client, make):
    home = make.home()
    order = _sale_at(make, home, datetime(2026, 10, 31, 23, 30, tzinfo=UTC), amount=123_45)
    fund_entries.post_grant(home_id=home.id, amount_fen=1000, grant_id=1, source="township",
                              memo="=HYPERLINK()")
    db.session.commit()
    response = client.get(f"/fund/{home.slug}/entries.csv")
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte order mark Excel looks for
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0])[:3] == ["序号", "日期时间（北京时间）", "事项"]
    sale = next(row for row in rows if row["订单"] == order.reference)
    assert sale["日期时间（北京时间）"] == "2026-11-01 07:30"  # 23:30 UTC is the next morning in Beijing
    assert sale["金额（元）"] == "123.45"
    assert sale["护理基金变动（元）"] == "24.69"  # 20% of ¥123.45
    assert sale["事项"] == "销售"
    grant = next(row for row in rows if row["事项"] == "补贴或资助")
    assert grant["金额（元）"] == "10.00" and grant["类别"] == "乡镇"
    assert str(order.id) not in {row["订单"] for row in rows}  # references, never internal ids
    assert "HYPERLINK" not in body.decode("utf-8")  # the memo (English, ids) is not exported


def test_csv_headers_are_english_on_english_pages(client, make, english):
    home = make.home()
    posted_sale(make, home=home)
    body = client.get(f"/fund/{home.slug}/entries.csv").get_data().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(body)))
    assert header[:3] == ["No.", "Date and time (Beijing)", "What"]
    assert "Order" in header and "Amount (yuan)" in header


def _cell_after(sheet, label):
    for row in sheet.iter_rows(values_only=True):
        if row and row[0] == label:
            return row[1]
    raise AssertionError(f"no row {label!r}")


def test_statement_xlsx_opens_and_its_totals_equal_the_page(client, make):
    home = make.home()
    _sale_at(make, home, datetime(2026, 11, 3, 4, 0, tzinfo=UTC), amount=60_00)
    fund_entries.post_grant(home_id=home.id, amount_fen=250_55, grant_id=1, source="township", memo="g",
                              occurred_at=datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    fund_entries.post_disbursement(home_id=home.id, amount_fen=100_10, disbursement_id=1,
                                     category="meals", memo="m",
                                     occurred_at=datetime(2026, 11, 6, 2, 0, tzinfo=UTC))
    db.session.commit()
    response = client.get(f"/fund/{home.slug}/statement/2026-11.xlsx")
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    statement = exports.monthly_statement(home, 2026, 11)
    assert float(_cell_after(sheet, "收入合计")) == statement.income_total / 100 == 262.55
    assert float(_cell_after(sheet, "支出合计")) == statement.spending_total / 100 == 100.10
    assert float(_cell_after(sheet, "月末余额")) == statement.closing_available / 100
    page = client.get(f"/fund/{home.slug}/statement/2026-11").get_data(as_text=True)
    assert "¥262.55" in page and "¥100.10" in page
    assert f"/fund/{home.slug}/statement/2026-11.xlsx" in page
    assert client.get(f"/fund/{home.slug}/statement/2026-13.xlsx").status_code == 404


def test_a_sale_at_2330_utc_is_on_the_next_beijing_day_in_statement_and_page(client, make):
    home = make.home()
    order = _sale_at(make, home, datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    seq = db.session.scalar(select(JournalEntry.seq).where(JournalEntry.order_id == order.id))
    november = exports.monthly_statement(home, 2026, 11)
    october = exports.monthly_statement(home, 2026, 10)
    assert [e["seq"] for e in november.entries] == [seq] and october.entries == []
    assert november.entries[0]["local_day"] == "2026-11-01"
    assert november.income == {"sale:produce": 20_00}
    statement_page = client.get(f"/fund/{home.slug}/statement/2026-11").get_data(as_text=True)
    assert "2026-11-01" in statement_page and "2026-10-31" not in statement_page
    assert order.reference in statement_page
    fund_page = client.get(f"/fund/{home.slug}").get_data(as_text=True)
    assert "2026-11-01" in fund_page and "2026-10-31" not in fund_page
    october_page = client.get(f"/fund/{home.slug}/statement/2026-10").get_data(as_text=True)
    assert order.reference not in october_page


def test_chart_has_a_y_axis_with_amounts(client, make):
    home = make.home()
    posted_sale(make, home=home, lines=((650_00, 2000, 0, 500, "produce"),))  # ¥130 to the fund
    assert public.summary(home.id).chart_ticks == [0, 50_00, 100_00, 150_00]
    html = client.get(f"/fund/{home.slug}").get_data(as_text=True)
    axis = re.search(r'<g class="y-axis">(.*?)</g>', html, re.S).group(1)
    labels = [t.strip() for t in re.findall(r"<text[^>]*>([^<]+)</text>", axis)]
    assert labels == ["¥0", "¥50", "¥100", "¥150"]


def test_axis_ticks_cover_the_tallest_bar_with_round_steps():
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.integers(min_value=0, max_value=10**12))
    def check(top):
        ticks = public.axis_ticks(top)
        step = ticks[1]
        assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 6
        assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))
        assert re.fullmatch(r"[125]0*", str(step)) and step >= 100

    check()


def test_fund_page_states_each_listing_share_that_differs_from_the_home(client, make, english):
    home = make.home(care_share_bps=2000)
    make.listing(home, "craft", title_en="Rice paper", care_share_bps=3000)
    make.listing(home, "produce", title_en="Eggs", care_share_bps=2000)  # same as the home: not listed
    make.listing(home, "produce", title_en="Tea")  # the home's default
    make.listing(home, "produce", title_en="Hidden draft", care_share_bps=5000, status="draft")
    html = re.sub(r"\s+", " ", client.get(f"/fund/{home.slug}").get_data(as_text=True))
    assert "20% of every sale" not in html
    assert "except for the listings below" in html
    assert re.search(r">Rice paper</a>: 30% of each sale", html)
    for title in ("Eggs", "Tea", "Hidden draft"):
        assert f">{title}</a>:" not in html
    plain = make.home(care_share_bps=2000)
    make.listing(plain, "produce", title_en="Millet")
    assert "20% of every sale" in client.get(f"/fund/{plain.slug}").get_data(as_text=True)
