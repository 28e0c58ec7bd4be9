"""One cart, many homes: the cart is grouped by home with each home's payment details, and the
buyer is told before confirming that it becomes one order and one payment per home."""

import re

from sqlalchemy import func, select

from models import Order, db
from tests.conftest import post_form


def _three_homes_in_the_cart(client, make):
    homes = [make.home(name_en=name, pay_payee=f"{name} Committee", pay_account=f"Bank {n} 6222 0000 {n}")
             for n, name in enumerate(("Qiantun Home", "Xiaoling Home", "Guantian Home"), start=1)]
    for home in homes:
        tour = make.listing(home, "tour", price_fen=5000)
        session = make.session(tour)
        post_form(client, "/cart/add", {"listing_id": tour.id, "session_id": session.id, "quantity": "1"},
                  form_url=f"/listings/{tour.slug}")
    return homes


def _main(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]


def test_cart_groups_lines_by_home_with_each_homes_payment_details(client, make, english):
    homes = _three_homes_in_the_cart(client, make)
    page = _main(client.get("/cart").get_data(as_text=True))
    assert "Confirming makes 3 orders, one for each home, and you make 3 payments" in page
    positions = [page.index(f"Order {n} of 3: {home.name_en}") for n, home in enumerate(homes, start=1)]
    assert positions == sorted(positions)
    for n, home in enumerate(homes, start=1):
        section = page[positions[n - 1]:positions[n] if n < 3 else None]
        assert f"Bank {n} 6222 0000 {n}" in section  # this home's details, in its own group
        assert all(f"Bank {m} 6222" not in section for m in (1, 2, 3) if m != n)
        assert f"To {home.name_en}: CN¥50.00, of which CN¥10.00 for its care fund." in section


def test_checkout_says_before_confirming_how_many_orders_and_payments(client, make, english):
    _three_homes_in_the_cart(client, make)
    page = _main(client.get("/checkout").get_data(as_text=True))
    form = page[page.index("<form"):]
    notice = "Confirming makes 3 orders, one for each home, and you make 3 payments"
    assert notice in form[:form.index('type="submit"')]  # said before the button
    assert re.search(r'<button type="submit"[^>]*>Confirm 3 orders</button>', form)
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_one_home_in_the_cart_says_nothing_about_several_orders(client, make, english):
    home = make.home()
    goods = make.listing(home, "produce")
    post_form(client, "/cart/add", {"listing_id": goods.id, "quantity": "1"},
              form_url=f"/listings/{goods.slug}")
    for url in ("/cart", "/checkout"):
        page = _main(client.get(url).get_data(as_text=True))
        assert "Confirming makes" not in page and "Order 1 of" not in page
    assert ">Confirm order</button>" in client.get("/checkout").get_data(as_text=True)
