"""Runs triggered any way: kizuna_ingest runs with no logical date, and only a run that
published something marks the raw asset updated (starting a transform).

Runs the real DAG in-process with dag.test(logical_date=None), as the REST API or
``airflow dags trigger`` without a logical date create it (Airflow 3 gives such a run no
data interval), and reads what was loaded from the warehouse and the asset events from
Airflow's metadata database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from airflow_runs import batches, raw_asset_events, states, succeeded

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow_ingest_triggers")]

ACCOUNTS = ("account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
            "created_at,updated_at")
# 10:30 JST on 6 January: a scheduled run at that moment loads 5 January
TRIGGERED_AT = datetime(2026, 1, 6, 1, 30, tzinfo=UTC)


def drop_accounts(home: Path, day: str, account_id: str) -> None:
    folder = home / "landing" / "crm" / "accounts" / day
    folder.mkdir(parents=True, exist_ok=True)
    row = f"{account_id},株式会社例{account_id},,,,,,{day} 10:00:00,{day} 10:00:00\n"
    (folder / "part-0001.csv").write_bytes(f"{ACCOUNTS}\n{row}".encode("cp932"))
    (folder / "_SUCCESS").touch()


def test_a_run_without_a_logical_date_loads_the_day_before_and_a_rerun_starts_nothing(
        ingest, kizuna_home):
    drop_accounts(kizuna_home, "2026-01-05", "A1")
    drop_accounts(kizuna_home, "2026-01-04", "A0")  # within the lookback: loaded too
    drop_accounts(kizuna_home, "2026-01-01", "Z9")  # before the lookback: not this run's

    run = ingest.test(logical_date=None, run_after=TRIGGERED_AT)

    assert run.logical_date is None and run.data_interval_start is None
    assert succeeded(run), states(run)
    assert states(run)[("publish", -1)] == "success"
    assert batches(kizuna_home) == {"crm/accounts/2026-01-05/part-0001.csv": "published",
                                    "crm/accounts/2026-01-04/part-0001.csv": "published"}
    assert raw_asset_events(run.run_id) == 1  # the transform starts

    # triggered again an hour later: the same day, loaded already
    again = ingest.test(logical_date=None, run_after=TRIGGERED_AT + timedelta(hours=1))

    assert succeeded(again), states(again)
    assert states(again)[("publish", -1)] == "skipped"
    assert raw_asset_events(again.run_id) == 0  # no transform for nothing
    assert batches(kizuna_home) == {"crm/accounts/2026-01-05/part-0001.csv": "published",
                                    "crm/accounts/2026-01-04/part-0001.csv": "published"}


def test_a_run_without_a_logical_date_loads_the_window_in_its_conf(ingest, kizuna_home):
    for day, account in (("2026-01-02", "B0"), ("2026-01-03", "B1"), ("2026-01-05", "B2")):
        drop_accounts(kizuna_home, day, account)
    conf = {"window_start": "2026-01-02", "window_end": "2026-01-04"}

    run = ingest.test(logical_date=None, run_after=TRIGGERED_AT + timedelta(hours=2),
                      run_conf=conf)

    assert succeeded(run), states(run)
    assert batches(kizuna_home) == {"crm/accounts/2026-01-02/part-0001.csv": "published",
                                    "crm/accounts/2026-01-03/part-0001.csv": "published"}
    assert raw_asset_events(run.run_id) == 1
