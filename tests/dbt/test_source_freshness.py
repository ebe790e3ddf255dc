"""The transform's first step, dbt source freshness on the raw tables: every result lands
in audit.source_freshness, a stale source warns and never stops the build unless
KIZUNA_FRESHNESS_FAILS is set, and the quality mart kpi_source_health reads it beside the
folders the ingest DAG found overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from kizuna.pipeline import StaleSourceError, load_and_gate, source_freshness
from kizuna.tasks import check_deliveries
from kizuna.transform import run_dbt

pytestmark = pytest.mark.slow

ACCOUNTS = ("account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
            "created_at,updated_at")


def drop_accounts(home: Path, day: str, done: bool = True) -> None:
    folder = home / "landing" / "crm" / "accounts" / day
    folder.mkdir(parents=True)
    (folder / "part-0001.csv").write_text(
        f"{ACCOUNTS}\nA1,Example,,,,,,{day} 10:00:00,{day} 10:00:00\n", encoding="utf-8")
    if done:
        (folder / "_SUCCESS").touch()


def query(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_freshness_results_land_in_the_audit_table_and_stale_sources_only_warn(
        kizuna_home, monkeypatch):
    monkeypatch.delenv("KIZUNA_FRESHNESS_FAILS", raising=False)
    drop_accounts(kizuna_home, "2026-01-05")
    load_and_gate(date(2026, 1, 5), date(2026, 1, 6))  # creates every raw table
    # crm_accounts was last loaded three days ago: past warn_after (2 days), not error (7)
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).replace(tzinfo=None)
    con = duckdb.connect(str(kizuna_home / "warehouse" / "kizuna.duckdb"))
    con.execute("UPDATE raw.crm_accounts SET _loaded_at = ?", [three_days_ago])
    con.close()

    by_status = source_freshness()

    assert by_status["warn"] == ["crm_accounts"]
    assert "ma_leads" in by_status["error"]  # never loaded: no row at all
    rows = {r[0]: r[1:] for r in query(kizuna_home, (
        "SELECT raw_table, status, max_loaded_at, age_hours, warn_after, error_after, "
        "message FROM audit.source_freshness"))}
    assert len(rows) == 11
    status, loaded, age, warn_after, error_after, _ = rows["crm_accounts"]
    assert (status, loaded, warn_after, error_after) == ("warn", three_days_ago, "2 day",
                                                         "7 day")
    assert 71.9 < age < 72.5  # the naive UTC _loaded_at is read as UTC
    assert rows["ma_leads"][:3] == ("error", None, None)
    assert rows["ma_leads"][-1] == "no row loaded yet"
    assert rows["firmo_companies"][3:5] == ("35 day", "70 day")

    # a team that wants stale data to stop the build says so; the results are kept
    monkeypatch.setenv("KIZUNA_FRESHNESS_FAILS", "true")
    with pytest.raises(StaleSourceError, match="ma_leads"):
        source_freshness()
    assert query(kizuna_home, "SELECT count(*) FROM audit.source_freshness") == [(22,)]

    # the quality mart reads the latest check beside the folders found overdue
    drop_accounts(kizuna_home, "2026-01-06", done=False)
    with pytest.raises(Exception, match="crm/accounts/2026-01-06"):
        check_deliveries(date(2026, 1, 5), date(2026, 1, 7),
                         datetime(2026, 1, 8, 1, tzinfo=UTC))
    run_dbt(["build", "--select", "kpi_source_health"], quiet=True)
    health = {r[0]: r[1:] for r in query(kizuna_home, (
        "SELECT entity, freshness_status, folders_overdue, oldest_overdue_date, is_healthy "
        "FROM marts.kpi_source_health"))}
    assert len(health) == 11
    assert health["crm_accounts"] == ("warn", 1, date(2026, 1, 6), False)
    assert health["ma_leads"] == ("error", 0, None, False)
