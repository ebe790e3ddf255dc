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


_FULL = str.maketrans("0123456789/-:. ", "０１２３４５６７８９／－：．　")


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)),
       form=st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "excel"]),
       full_width=st.booleans(), pad=st.sampled_from(["", " ", "　"]))
def test_any_date_in_any_accepted_form_reads_back(con, day, form, full_width, pad):
    """A normaliser property: every accepted spelling of a date is that date."""
    text = str((day - date(1899, 12, 30)).days) if form == "excel" else day.strftime(form)
    if full_width:
        text = text.translate(_FULL)
    assert parse(con, pad + text + pad, "date") == (day, False)


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2099, 12, 31)),
       offset_hours=st.integers(-12, 14),
       form=st.sampled_from(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"]))
def test_any_timestamp_reads_as_the_same_utc_instant(con, moment, offset_hours, form):
    """With an offset the text says its instant; without one it is read in the source zone."""
    from datetime import timedelta

    moment = moment.replace(microsecond=0)
    sign = "+" if offset_hours >= 0 else "-"
    with_offset = moment.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{abs(offset_hours):02d}:00"
    assert parse(con, with_offset, "timestamp")[0] == moment - timedelta(hours=offset_hours)
    assert parse(con, moment.strftime(form), "timestamp", "UTC")[0] == moment


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=-(10**15), max_value=10**15), yen=st.booleans(),
       commas=st.booleans(), full_width=st.booleans())
def test_any_amount_reads_back(con, n, yen, commas, full_width):
    text = f"{n:,}" if commas else str(n)
    if full_width:
        text = text.translate(str.maketrans("0123456789,-", "０１２３４５６７８９，－"))
    if yen:
        text = ("-¥" + text[1:]) if text.startswith(("-", "－")) else "¥" + text
    assert parse(con, text, "int") == (n, False)
