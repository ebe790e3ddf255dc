"""Late data heals itself: each kizuna_ingest run looks back KIZUNA_LOOKBACK_DAYS, so a
folder completed after its run, or a day no run covered, is loaded by the next run; a
folder still incomplete after its deadline fails ``check_deliveries`` (and only it) and
is recorded in ``audit.late_deliveries``.

Runs the real DAG in-process with dag.test(), as the scheduler would at the given times,
on a few days of one entity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from airflow_runs import batches, raw_asset_events, states, succeeded

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow_late_data")]

ACCOUNTS = ("account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
            "created_at,updated_at")


def at_jst(day: int, hour: int = 10) -> datetime:
    """January ``day``, 2026, ``hour`` o'clock in Tokyo, as Airflow's UTC run_after."""
    return datetime(2026, 1, day, hour - 9, 30, tzinfo=UTC)


def drop_accounts(home: Path, day: str, account_id: str, done: bool = True) -> Path:
    folder = home / "landing" / "crm" / "accounts" / day
    folder.mkdir(parents=True, exist_ok=True)
    row = f"{account_id},株式会社例{account_id},,,,,,{day} 10:00:00,{day} 10:00:00\n"
    (folder / "part-0001.csv").write_text(f"{ACCOUNTS}\n{row}", encoding="utf-8")
    if done:
        (folder / "_SUCCESS").touch()
    return folder


def late_deliveries(home: Path) -> dict[str, tuple[str, str]]:
    con = duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)
    try:
        return {r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT folder, status, reason FROM audit.late_deliveries").fetchall()}
    finally:
        con.close()


def test_a_folder_whose_done_marker_came_after_its_run_is_loaded_by_the_next_run(
        ingest, kizuna_home):
    late = drop_accounts(kizuna_home, "2026-01-04", "L1", done=False)

    # 5 January, 06:00 JST run for 4 January: the folder is not complete yet
    first = ingest.test(logical_date=None, run_after=at_jst(5))
    assert succeeded(first), states(first)  # not past its deadline (6 January 00:00 JST)
    assert batches(kizuna_home) == {}
    assert states(first)[("publish", -1)] == "skipped"

    (late / "_SUCCESS").touch()  # the marker arrives after the run
    drop_accounts(kizuna_home, "2026-01-05", "L2")

    second = ingest.test(logical_date=None, run_after=at_jst(6))
    assert succeeded(second), states(second)
    assert batches(kizuna_home) == {"crm/accounts/2026-01-04/part-0001.csv": "published",
                                    "crm/accounts/2026-01-05/part-0001.csv": "published"}
    assert raw_asset_events(second.run_id) == 1


def test_days_no_run_covered_are_loaded_by_the_next_run_within_the_lookback(
        ingest, kizuna_home, monkeypatch):
    monkeypatch.setenv("KIZUNA_LOOKBACK_DAYS", "2")
    for day, account in (("2026-01-06", "M0"), ("2026-01-07", "M1"),
                         ("2026-01-08", "M2"), ("2026-01-09", "M3")):
        drop_accounts(kizuna_home, day, account)

    # the scheduler was down from 7 to 9 January: the first run after loads 9 January and
    # looks back two days; 6 January is beyond the lookback
    run = ingest.test(logical_date=None, run_after=at_jst(10))

    assert succeeded(run), states(run)
    assert batches(kizuna_home) == {"crm/accounts/2026-01-07/part-0001.csv": "published",
                                    "crm/accounts/2026-01-08/part-0001.csv": "published",
                                    "crm/accounts/2026-01-09/part-0001.csv": "published"}


def test_a_folder_incomplete_past_its_deadline_fails_only_the_check_and_is_recorded(
        ingest, kizuna_home):
    stuck = drop_accounts(kizuna_home, "2026-01-12", "S1", done=False)
    drop_accounts(kizuna_home, "2026-01-13", "S2")

    # 14 January, 10:30 JST: 12 January's folder was due by 14 January 00:00 JST
    run = ingest.test(logical_date=None, run_after=at_jst(14))

    ran = states(run)
    assert ran[("check_deliveries", -1)] == "failed"
    assert not succeeded(run)  # the run is red: someone looks
    # every other task ran: 13 January was loaded, published, and starts the transform
    assert {k: v for k, v in ran.items() if k[0] != "check_deliveries"} == {
        k: "success" for k in ran if k[0] != "check_deliveries"}
    assert batches(kizuna_home) == {"crm/accounts/2026-01-13/part-0001.csv": "published"}
    assert raw_asset_events(run.run_id) == 1
    assert late_deliveries(kizuna_home) == {
        "crm/accounts/2026-01-12": ("overdue", "no done marker _SUCCESS")}

    (stuck / "_SUCCESS").touch()  # the vendor finishes the upload

    later = ingest.test(logical_date=None, run_after=at_jst(15))
    assert succeeded(later), states(later)
    assert batches(kizuna_home)["crm/accounts/2026-01-12/part-0001.csv"] == "published"
    assert late_deliveries(kizuna_home)["crm/accounts/2026-01-12"][0] == "resolved"


def test_a_rejected_file_fails_its_own_run_but_not_the_runs_looking_back_over_it(
        ingest, kizuna_home):
    bad = drop_accounts(kizuna_home, "2026-01-20", "R1")
    (bad / "part-0001.csv").write_text(  # no account_id: rejected by the gate
        f"{ACCOUNTS}\n,Example,,,,,,2026-01-20 10:00:00,2026-01-20 10:00:00\n",
        encoding="utf-8")

    own = ingest.test(logical_date=None, run_after=at_jst(21))
    assert "failed" in {v for k, v in states(own).items() if k[0] == "validate"}
    assert not succeeded(own)

    drop_accounts(kizuna_home, "2026-01-21", "R2")
    next_day = ingest.test(logical_date=None, run_after=at_jst(22))

    assert succeeded(next_day), states(next_day)
    assert batches(kizuna_home) == {"crm/accounts/2026-01-20/part-0001.csv": "rejected",
                                    "crm/accounts/2026-01-21/part-0001.csv": "published"}
    assert raw_asset_events(next_day.run_id) == 1
