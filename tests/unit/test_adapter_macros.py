"""The date and amount forms vendors write, read by the adapters' shared macros."""

from __future__ import annotations

import duckdb
import pytest

from kizuna.sources.adapters import MACROS


@pytest.fixture(scope="module")
def eng() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET VARIABLE reporting_currency = 'JPY'")
    con.execute("SET VARIABLE vendor_currency = 'USD'")
    con.execute("SET VARIABLE reporting_decimals = 0")
    con.execute("CREATE TABLE kz_currency_rates (currency_code VARCHAR, rate DECIMAL(18, 6))")
    con.execute("INSERT INTO kz_currency_rates VALUES ('USD', 150), ('EUR', 160.5)")
    for macro in MACROS:
        con.execute(macro)
    return con


@pytest.mark.parametrize(("text", "timestamp", "day"), [
    ("1772409600000", "2026-03-02T00:00:00.000000+00:00", "2026-03-02"),  # epoch ms
    ("1772409600", "2026-03-02T00:00:00+00:00", "2026-03-02"),  # epoch s
    ("2026-03-02 10:00:00 UTC", "2026-03-02 10:00:00+00:00", "2026-03-02"),  # Marketo
    ("03/02/2026 10:30 PM", "2026-03-02T22:30:00", "2026-03-02"),  # US M/D/Y
    ("3/2/2026", "2026-03-02T00:00:00", "2026-03-02"),
    ("2026/03/02 10:30:00", "2026/03/02 10:30:00", "2026-03-02"),  # the loader reads Y/M/D
    ("2026年3月2日", "2026-03-02", "2026-03-02"),
    ("2026年 3月 2日 9:05", "2026-03-02T09:05:00", "2026-03-02"),
    ("2026-03-02T01:00:00Z", "2026-03-02T01:00:00Z", "2026-03-02"),
    ("  ", None, None),
    ("next tuesday", "next tuesday", "next tuesday"),  # passed on: the loader quarantines it
])
def test_date_forms(eng, text: str, timestamp: str | None, day: str | None) -> None:
    assert eng.execute("SELECT kz_timestamp(?), kz_date(?)", [text, text]).fetchone() == (
        timestamp, day)


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("1,234.50", "JPY", "1235"),  # whole yen
    ("1,234.50 USD", "usd", "185175"),
    ("¥1,200", None, "180000"),  # no code: the vendor's currency (USD here)
    ("100", "EUR", "16050"),
    ("100", "GBP", None),  # no rate known: NULL, for the SQL to exclude or keep
    ("", "JPY", None),
])
def test_amounts_in_the_reporting_currency(eng, amount, currency, expected) -> None:
    assert eng.execute("SELECT kz_in_reporting_currency(?, ?)",
                       [amount, currency]).fetchone()[0] == expected


def test_booleans(eng) -> None:
    got = eng.execute("SELECT list(kz_bool(v)) FROM (VALUES ('TRUE'), ('1'), ('no'), ('f'), "
                      "(NULL), ('maybe')) t(v)").fetchone()[0]
    assert got == ["true", "true", "false", "false", None, "maybe"]


@pytest.mark.parametrize(("won", "closed", "label", "probability", "stage"), [
    (True, True, "Anything", None, "closed_won"),
    (None, True, "Closed Lost", None, "closed_lost"),
    (False, False, "Contract Sent", None, "negotiation"),
    (None, None, "Presentation Scheduled", None, "proposal"),
    (None, None, "Id. Decision Makers", None, "proposal"),
    (None, None, "提案中", None, "proposal"),
    (None, None, "Qualified To Buy", None, "qualification"),
    (None, None, "Appointment Scheduled", None, "prospecting"),
    (None, None, "Stage 4", 80.0, "negotiation"),  # a custom name: the probability decides
    (None, None, "Stage 2", 25.0, "qualification"),
    (None, None, None, None, "prospecting"),
])
def test_stages_in_the_contracts_words(eng, won, closed, label, probability, stage) -> None:
    assert eng.execute("SELECT kz_stage(?, ?, ?, ?)",
                       [won, closed, label, probability]).fetchone()[0] == stage
