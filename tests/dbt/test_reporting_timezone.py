"""Reporting days follow the business time zone (KIZUNA_TIMEZONE), daylight saving included.

The macros local_date and local_day_end run on the real warehouse through ``dbt show``:
a UTC timestamp near midnight lands on its local date in Asia/Tokyo, America/Sao_Paulo
(summer time from 2018-11-04 to 2019-02-16, which a fixed offset gets wrong) and UTC, and
every local day ends where the next one begins (23 and 25 hours where the clocks change).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kizuna.settings import DBT_PROJECT_DIR, Settings, get_settings
from kizuna.transform import dbt_environment, dbt_target_folder, release_dbt_connections

# (UTC timestamp, its date in the setting's zone (America/Sao_Paulo), in Asia/Tokyo, in UTC)
CASES: list[tuple[str, date, date, date]] = [
    # the night summer time began: 00:00 -03 became 01:00 -02 at 03:00 UTC
    ("2018-11-04 02:30:00", date(2018, 11, 3), date(2018, 11, 4), date(2018, 11, 4)),
    ("2018-11-04 03:30:00", date(2018, 11, 4), date(2018, 11, 4), date(2018, 11, 4)),
    # summer time (-02): half past midnight locally; a fixed -03 would say 30 November
    ("2018-12-01 02:30:00", date(2018, 12, 1), date(2018, 12, 1), date(2018, 12, 1)),
    # the last day of summer time began at 02:00 UTC
    ("2019-02-16 02:30:00", date(2019, 2, 16), date(2019, 2, 16), date(2019, 2, 16)),
    # the last hour of summer time: 23:30 -02 on the 16th
    ("2019-02-17 01:30:00", date(2019, 2, 16), date(2019, 2, 17), date(2019, 2, 17)),
    # no summer time since 2019: -03 all year
    ("2019-12-01 02:30:00", date(2019, 11, 30), date(2019, 12, 1), date(2019, 12, 1)),
    # Japan's midnight is 15:00 UTC
    ("2025-01-01 14:59:59", date(2025, 1, 1), date(2025, 1, 1), date(2025, 1, 1)),
    ("2025-01-01 15:00:00", date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 1)),
    ("2025-01-01 23:59:59", date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 1)),
    ("2025-01-02 00:00:00", date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 2)),
]

# (local date, zone, the UTC instant it ends)
DAY_ENDS: list[tuple[date, str, datetime]] = [
    (date(2018, 11, 3), "America/Sao_Paulo", datetime(2018, 11, 4, 3)),
    (date(2018, 11, 4), "America/Sao_Paulo", datetime(2018, 11, 5, 2)),  # 23 hours
    (date(2019, 2, 16), "America/Sao_Paulo", datetime(2019, 2, 17, 3)),  # 25 hours
    (date(2025, 1, 1), "Asia/Tokyo", datetime(2025, 1, 1, 15)),
    (date(2025, 1, 1), "UTC", datetime(2025, 1, 2)),
]


def _ts(text: str) -> str:
    return f"cast('{text}' as timestamp)"


def dbt_show(sql: str, settings: Settings) -> list[dict[str, Any]]:
    """Rows of ``sql`` (dbt Jinja) as dbt compiles and runs it on ``settings``' warehouse."""
    from dbt.cli.main import dbtRunner

    mp = pytest.MonkeyPatch()
    for key, value in dbt_environment(settings).items():
        mp.setenv(key, value)
    try:
        with dbt_target_folder() as folder:
            res = dbtRunner().invoke([
                "--quiet", "show", "--inline", sql, "--limit", "-1",
                "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                "--target", settings.dbt_target, "--target-path", str(folder)])
    finally:
        release_dbt_connections()
        mp.undo()
    assert res.success, res.exception
    table = res.result.results[0].agate_table
    return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]


def local_dates_sql() -> str:
    rows = " union all ".join(f"select {_ts(ts)} as ts" for ts, *_ in CASES)
    return (
        f"with cases as ({rows}) "
        "select cast(ts as {{ dbt.type_string() }}) as ts, "
        "{{ local_date('ts') }} as setting, "
        "{{ local_date('ts', 'Asia/Tokyo') }} as tokyo, "
        "{{ local_date('ts', 'UTC') }} as utc, "
        # a fixed UTC-3 (POSIX names invert the sign), as the old offset var would have it
        "{{ local_date('ts', 'Etc/GMT+3') }} as fixed_minus_3 "
        "from cases order by ts"
    )


def day_ends_sql() -> str:
    return " union all ".join(
        f"select cast('{d}' as date) as d, '{zone}' as zone, "
        f"{{{{ local_day_end(\"cast('{d}' as date)\", '{zone}') }}}} as ends"
        for d, zone, _ in DAY_ENDS)


def boundaries_sql(zone: str) -> str:
    """Every half hour from October 2018 to March 2019 that is not inside the local day
    local_date gives it (between the end of the day before and the end of that day)."""
    return (
        "with days as ({{ date_series(\"cast('2018-10-01' as date)\", "
        "\"cast('2019-03-31' as date)\") }}), "
        "steps as (select 30 * n as minutes from (" + " union all ".join(
            f"select {n} as n" for n in range(48)) + ") as numbers), "
        "stamps as (select {{ dbt.dateadd('minute', 'steps.minutes', "
        "'cast(days.date_day as timestamp)') }} as ts from days cross join steps), "
        f"dated as (select ts, {{{{ local_date('ts', '{zone}') }}}} as d from stamps) "
        "select count(*) as stamps, sum(case when ts < {{ local_day_end("
        f"add_days('d', -1), '{zone}') }}}} or ts >= {{{{ local_day_end('d', '{zone}') }}}} "
        "then 1 else 0 end) as outside from dated"
    )


def check_reporting_days(settings: Settings) -> None:
    sao_paulo = dataclasses.replace(settings, timezone="America/Sao_Paulo")
    rows = dbt_show(local_dates_sql(), sao_paulo)
    got = [(r["ts"][:19], r["setting"], r["tokyo"], r["utc"]) for r in rows]
    assert got == [(ts, sp, tokyo, utc) for ts, sp, tokyo, utc in CASES]
    # the test tells a zone from an offset: -03 misdates the summer-time midnights
    moved = [r["ts"][:19] for r in rows if r["fixed_minus_3"] != r["setting"]]
    assert moved == ["2018-12-01 02:30:00", "2019-02-16 02:30:00"]

    ends = dbt_show(day_ends_sql(), settings)
    assert {(r["d"], r["zone"], r["ends"]) for r in ends} == set(DAY_ENDS)

    for zone in ("America/Sao_Paulo", "Asia/Tokyo"):
        (row,) = dbt_show(boundaries_sql(zone), settings)
        assert row["stamps"] == 182 * 48
        assert row["outside"] == 0, zone


@pytest.fixture
def duckdb_settings(kizuna_home: Path) -> Settings:
    return dataclasses.replace(get_settings(), warehouse="duckdb",
                               duckdb_path=kizuna_home / "warehouse" / "kizuna.duckdb")


def test_local_dates_follow_the_business_time_zone_on_duckdb(duckdb_settings):
    duckdb_settings.duckdb_path.parent.mkdir(parents=True)
    check_reporting_days(duckdb_settings)


def test_the_defaults_are_asia_tokyo_and_yen(duckdb_settings, monkeypatch):
    monkeypatch.delenv("KIZUNA_TIMEZONE", raising=False)
    monkeypatch.delenv("KIZUNA_CURRENCY", raising=False)
    duckdb_settings.duckdb_path.parent.mkdir(parents=True)
    rows = dbt_show("select {{ local_date(\"cast('2025-01-01 15:00:00' as timestamp)\") }} "
                    "as d, {{ reporting_currency() }} as currency, "
                    "cast(cast(1234.505 as {{ type_amount() }}) as {{ dbt.type_string() }}) "
                    "as amount", get_settings())
    assert rows == [{"d": date(2025, 1, 2), "currency": "JPY", "amount": "1234.51"}]


@pytest.mark.slow
@pytest.mark.postgres
def test_local_dates_follow_the_business_time_zone_on_postgres(postgres_database, kizuna_home,
                                                                 monkeypatch):
    for key, value in postgres_database.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    check_reporting_days(get_settings())
