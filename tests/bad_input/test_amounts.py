"""Amounts are decimals in the reporting currency (KIZUNA_CURRENCY): what loads, what does not.

Runs deal files through the real loader and quality gate. Amounts with up to 2 decimal
places load (not quarantined) in the forms real exports use; an amount with more places,
a multiplier word, an exponent or another currency's mark is quarantined with its text, so
no amount is silently rounded, scaled or mixed across currencies.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from corpus import DAY, OPPORTUNITIES, File, lines, opportunity  # tests/bad_input/corpus.py
from test_bad_input import run, write

# (delivered text, what raw holds; None: the row is quarantined)
JPY_CASES: list[tuple[str, Decimal | None]] = [
    ("1234.50", Decimal("1234.50")),
    ('"1,234.50"', Decimal("1234.50")),  # comma thousands, point decimals
    ('"1.234,50"', Decimal("1234.50")),  # point thousands, comma decimals
    ('"1234,5"', Decimal("1234.50")),  # comma decimals: 1 or 2 places only
    ('"￥1,200,000"', Decimal("1200000.00")),
    ("1200000円", Decimal("1200000.00")),
    ("JPY 99.99", Decimal("99.99")),
    ("0.01", Decimal("0.01")),
    ("１２３４．５０", Decimal("1234.50")),  # full width
    ("1234.500", Decimal("1234.50")),  # a zero past the 2nd place changes nothing
    ("1.234", None),  # 1234 or 1.234? more than 2 places: the sender must say
    ("12.5万", None),  # a multiplier word
    ("1e6", None),  # an exponent
    ("$12", None),  # another currency's mark
    ('"12,34,567"', None),  # commas that do not group thousands
]


def deals(cases: list[tuple[str, Decimal | None]]) -> str:
    return lines(OPPORTUNITIES, *(opportunity(i, amount=text)
                                  for i, (text, _) in enumerate(cases, start=1)))


def load_deals(home: Path, cases: list[tuple[str, Decimal | None]]) -> None:
    # the CRM's exports are CP932 (sources.yml)
    tables = write(home, (File(f"crm/opportunities/{DAY}/part-0001.csv", deals(cases), "cp932"),))
    _, gate_error = run((DAY, "2026-01-06"), tables)
    assert gate_error is None, gate_error


def check(cases: list[tuple[str, Decimal | None]]) -> None:
    """raw holds each amount as a decimal, quarantine each refused one with its reason."""
    from kizuna.warehouse import connection

    with connection() as wh:
        raw = dict(wh.query("SELECT opportunity_id, amount_jpy FROM raw.crm_opportunities"))
        quarantined = dict(wh.query("SELECT row_number, reason FROM quarantine.rejected_rows"))
        (status,) = wh.query("SELECT status FROM audit.load_batches")[0]
        (kind,) = wh.query(
            "SELECT upper(data_type) FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = 'crm_opportunities' AND column_name = 'amount_jpy'")[0]
    for i, (text, want) in enumerate(cases, start=1):
        if want is None:
            assert f"O{i}" not in raw, text
            assert "cannot parse amount_jpy as amount" in quarantined[i], (text, quarantined)
        else:
            assert raw[f"O{i}"] == want, text
            assert isinstance(raw[f"O{i}"], Decimal)
    assert status == "published"
    assert kind in ("DECIMAL(18,2)", "NUMERIC")  # DuckDB, PostgreSQL


def test_decimal_amounts_load_and_odd_ones_are_quarantined(kizuna_home, monkeypatch):
    monkeypatch.delenv("KIZUNA_CURRENCY", raising=False)
    load_deals(kizuna_home, JPY_CASES)
    check(JPY_CASES)


BRL_CASES: list[tuple[str, Decimal | None]] = [
    ('"R$ 1.234,50"', Decimal("1234.50")),
    ('"R$ 10,00"', Decimal("10.00")),
    ("BRL 7", Decimal("7.00")),
    ("1234.50", Decimal("1234.50")),
    ('"￥1,200"', None),  # yen in a real-denominated warehouse
    ("1200円", None),
]


def test_amounts_are_read_in_the_reporting_currency(kizuna_home, monkeypatch):
    monkeypatch.setenv("KIZUNA_CURRENCY", "brl")
    load_deals(kizuna_home, BRL_CASES)
    check(BRL_CASES)


@pytest.mark.slow
@pytest.mark.postgres
def test_decimal_amounts_load_on_postgres(kizuna_home, postgres_database, monkeypatch):
    monkeypatch.delenv("KIZUNA_CURRENCY", raising=False)
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    for key, value in postgres_database.items():
        monkeypatch.setenv(key, value)
    load_deals(kizuna_home, JPY_CASES)
    check(JPY_CASES)


def test_an_unknown_currency_setting_says_what_to_set(monkeypatch):
    from kizuna.settings import SettingError, get_settings

    monkeypatch.setenv("KIZUNA_CURRENCY", "yen")
    with pytest.raises(SettingError, match="ISO 4217"):
        get_settings()
