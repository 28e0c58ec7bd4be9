"""Money is integer fen; one helper formats it; prices typed as yuan parse exactly."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.money import format_money, minor_to_major_text, parse_major


@pytest.mark.parametrize("text, fen", [("12", 1200), ("12.5", 1250), ("12.05", 1205),
                                       (" 0.01 ", 1), ("88.80", 8880), ("１２．５０", 1250),
                                       ("\u3000１２\u3000", 1200), ("¥68", 6800), ("￥68.5", 6850),
                                       ("1,250", 125000), ("¥1,250.50", 125050),
                                       ("１，２５０", 125000), ("123,456,789", 12345678900)])
def test_parse_major_exact(text, fen):
    assert parse_major(text) == fen


@pytest.mark.parametrize("text", ["", "-1", "1.234", "abc", "1e3", "12,50", "NaN", "1.", ".5",
                                  "1,25", "1,2500", ",250", "1,250,", "1,000,000,000", "¥", "¥-5",
                                  "$12", "12¥", "1 250",
                                  "\u0661\u0662", "1\u0662.5"])  # Arabic-Indic digits are not yuan
def test_parse_major_refuses_bad_input(text):
    with pytest.raises(ValueError):
        parse_major(text)


@given(st.integers(min_value=0, max_value=10**11 - 1))
def test_parse_and_print_round_trip(fen):
    assert parse_major(minor_to_major_text(fen)) == fen


@given(st.integers(min_value=0, max_value=10**11 - 1))
def test_an_amount_as_the_site_prints_it_parses_back(fen):
    """What a buyer or staff member copies from a page ('¥1,234.56') is the same amount typed in."""
    assert parse_major(format_money(fen, "CNY", locale="zh_Hans")) == fen


def test_format_money_in_both_locales(app):
    assert format_money(123456, "CNY", locale="zh_Hans") == "¥1,234.56"
    assert format_money(1, "CNY", locale="en") == "CN¥0.01"
    assert format_money(500, "JPY", locale="en") == "¥500"


def test_trimmed_prices_drop_only_zero_decimals(app):
    assert format_money(10800, "CNY", locale="zh_Hans", trim=True) == "¥108"
    assert format_money(10800, "CNY", locale="en", trim=True) == "CN¥108"
    assert format_money(123400000, "CNY", locale="en", trim=True) == "CN¥1,234,000"
    assert format_money(10850, "CNY", locale="zh_Hans", trim=True) == "¥108.50"
    assert format_money(10800, "CNY", locale="zh_Hans") == "¥108.00"  # the books keep them


@given(st.integers(min_value=0, max_value=10**11 - 1), st.sampled_from(["zh_Hans", "en"]))
def test_a_trimmed_price_is_the_same_amount(fen, locale):
    full, trimmed = format_money(fen, locale=locale), format_money(fen, locale=locale, trim=True)
    assert trimmed == (full.removesuffix(".00") if fen % 100 == 0 else full)
