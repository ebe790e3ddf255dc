from datetime import date, datetime

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.parsing import parse_failed, typed


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    return c


def parse(con: duckdb.DuckDBPyConnection, value: str | None, logical: str,
          tz: str = "Asia/Tokyo") -> tuple:
    return con.execute(
        f"SELECT {typed('x', logical, tz)}, {parse_failed('x', logical, tz)} "
        "FROM (SELECT ?::VARCHAR AS x)", [value]
    ).fetchone()


@pytest.mark.parametrize("text", [
    "2024-03-15 10:00:00", "2024/03/15 10:00:00", "2024-03-15T10:00:00",
    "２０２４－０３－１５ １０：００：００", "2024-03-15T10:00:00+09:00", "2024-03-15T01:00:00Z",
    "45366.41666666667",
])
def test_timestamps_in_every_accepted_form_become_the_same_utc_instant(con, text):
    value, failed = parse(con, text, "timestamp")
    assert not failed
    assert abs((value - datetime(2024, 3, 15, 1, 0)).total_seconds()) < 1


def test_timestamps_without_offset_are_read_in_the_source_timezone(con):
    assert parse(con, "2024-03-15 10:00:00", "timestamp", "UTC")[0] == datetime(2024, 3, 15, 10)
    assert parse(con, "2024-03-15 10:00:00", "timestamp", "Asia/Tokyo")[0] == datetime(
        2024, 3, 15, 1)


@pytest.mark.parametrize("text", ["2024-03-15", "2024/03/15", "2024.03.15", "20240315", "45366",
                                  "２０２４／０３／１５"])
def test_dates_in_every_accepted_form(con, text):
    assert parse(con, text, "date") == (date(2024, 3, 15), False)


@pytest.mark.parametrize(("text", "expected"), [
    ("1,200", 1200), ("¥1,200,000", 1200000), ("１２", 12), ("-3", -3), (" 7 ", 7),
])
def test_integers_with_separators_and_yen_signs(con, text, expected):
    assert parse(con, text, "int") == (expected, False)


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("FALSE", False), ("1", True), ("0", False), ("はい", True), ("いいえ", False),
])
def test_booleans(con, text, expected):
    assert parse(con, text, "bool") == (expected, False)


@pytest.mark.parametrize(("text", "logical"), [
    ("garbage", "timestamp"), ("2024-13-45", "date"), ("12.5", "int"), ("maybe", "bool"),
    ("12%", "float"), ("1.2.3", "float"),
])
def test_values_that_do_not_parse_are_flagged(con, text, logical):
    value, failed = parse(con, text, logical)
    assert value is None
    assert failed


@pytest.mark.parametrize("logical", ["timestamp", "date", "int", "float", "bool", "text"])
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_values_are_null_not_failures(con, logical, blank):
    value, failed = parse(con, blank, logical)
    assert not failed
    assert value is None or (logical == "text" and blank == "   ")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40), logical=st.sampled_from(["timestamp", "date", "int", "float",
                                                            "bool"]))
def test_any_text_either_parses_or_is_flagged(con, text, logical):
    """No input crashes the parser or vanishes: a non-blank value parses or is flagged."""
    text = text.replace("\x00", "")
    value, failed = parse(con, text, logical)
    assert (value is not None) or failed or text.strip() == ""
