"""Amounts: decimals with up to 2 places in the reporting currency, in the forms exports use."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.parsing import currency_marks, parse_failed, typed


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def parse(con: duckdb.DuckDBPyConnection, text: str | None, currency: str = "JPY") -> tuple:
    return con.execute(
        f"SELECT {typed('x', 'amount', 'UTC', currency)}, "
        f"{parse_failed('x', 'amount', 'UTC', currency)} FROM (SELECT ?::VARCHAR AS x)", [text]
    ).fetchone()


@pytest.mark.parametrize(("text", "currency", "expected"), [
    ("1234.5", "JPY", "1234.50"), ("1,234.50", "JPY", "1234.50"), ("1.234,50", "BRL", "1234.50"),
    ("1234,50", "EUR", "1234.50"), ("1.234.567", "BRL", "1234567.00"),
    ("R$ 1.234,50", "BRL", "1234.50"), ("R$ -1.234,50", "BRL", "-1234.50"),
    ("-R$ 10,00", "BRL", "-10.00"), ("¥1,200,000", "JPY", "1200000.00"),
    ("￥1,200,000", "JPY", "1200000.00"), ("1,200,000円", "JPY", "1200000.00"),
    ("USD 12.34", "USD", "12.34"), ("$12.34", "USD", "12.34"), ("12.34 €", "EUR", "12.34"),
    ("１，２３４．５０", "JPY", "1234.50"), ("0.00", "JPY", "0.00"), ("+5", "JPY", "5.00"),
])
def test_amounts_in_accepted_forms(con, text, currency, expected):
    assert parse(con, text, currency) == (Decimal(expected), False)


@pytest.mark.parametrize(("text", "currency"), [
    ("1.234", "BRL"), ("0.005", "JPY"), ("12.5万", "JPY"), ("1.2k", "USD"), ("1e6", "JPY"),
    ("$12", "JPY"), ("¥12", "BRL"), ("12円", "USD"), ("12,34,567", "JPY"), ("1 234,50", "EUR"),
    ("1.234,567", "BRL"), ("12.34.56", "JPY"), ("10000000000000000", "JPY"), ("--5", "JPY"),
    ("five", "JPY"),
])
def test_amounts_that_are_refused(con, text, currency):
    assert parse(con, text, currency) == (None, True)


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_a_blank_amount_is_null_not_a_failure(con, blank):
    assert parse(con, blank) == (None, False)


@settings(max_examples=100, deadline=None)
@given(cents=st.integers(min_value=-(10**17) + 1, max_value=10**17 - 1),
       style=st.sampled_from(["plain", "comma_thousands", "point_thousands"]),
       mark=st.sampled_from(["", "prefix", "suffix"]),
       currency=st.sampled_from(["JPY", "BRL", "USD", "EUR"]))
def test_any_amount_with_2_places_reads_back(con, cents, style, mark, currency):
    """A normaliser property: every accepted spelling of an amount is that amount."""
    value = Decimal(cents) / 100
    text = f"{abs(value):,.2f}"  # 1,234.50
    if style == "plain":
        text = text.replace(",", "")
    elif style == "point_thousands":  # 1.234,50
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    sign = "-" if value < 0 else ""
    symbol = currency_marks(currency)[-1]
    if mark == "prefix":
        text = f"{sign}{symbol} {text}"
    elif mark == "suffix":
        text = f"{sign}{text} {symbol}"
    else:
        text = sign + text
    assert parse(con, text, currency) == (value, False)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=30), currency=st.sampled_from(["JPY", "BRL"]))
def test_any_text_either_parses_as_an_amount_or_is_flagged(con, text, currency):
    value, failed = parse(con, text.replace("\x00", ""), currency)
    assert (value is not None) != failed or text.replace("\x00", "").strip() == ""
