"""The ingest DAG's quality gate: a critical failure stops the run before the transform.

Runs kizuna_ingest in-process with dag.test() over a one-day window holding a few small
files: once with a file that fails a critical check (validate fails with the actionable
message, publish never runs, so the raw asset is not updated and the transform is not
triggered), once with the file corrected (everything is published).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow_ingest_gate")]

DAY = "2026-01-05"
ACCOUNTS = ("account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
            "created_at,updated_at")
CRM_ACTIVITIES = "activity_id,account_id,contact_id,activity_type,occurred_at,outcome"


def drop(home: Path, entity: str, text: str) -> None:
    folder = home / "landing" / "crm" / entity / DAY
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0001.csv").write_bytes(text.encode("cp932"))
    (folder / "_SUCCESS").touch()


def states(run) -> dict[tuple[str, int], str]:
    return {(ti.task_id, ti.map_index): str(getattr(ti.state, "value", ti.state))
            for ti in run.get_task_instances()}


def test_a_critical_failure_fails_validate_and_publish_does_not_run(
        ingest, kizuna_home, caplog, capfd):
    from kizuna.tasks import ENTITY_TABLES

    drop(kizuna_home, "accounts", f"{ACCOUNTS}\nA1,株式会社例,,,,,,{DAY} 10:00:00,{DAY} 10:00:00\n")
    # the MA tool renamed its activity types: every row of the file fails a critical rule
    drop(kizuna_home, "activities", CRM_ACTIVITIES + "\n" + "".join(
        f"C{i},A1,,Meeting,{DAY} 10:00:00,completed\n" for i in range(3)))
    conf = {"window_start": DAY, "window_end": "2026-01-06"}

    run = ingest.test(logical_date=datetime(2026, 1, 6, 12, tzinfo=UTC), run_conf=conf)

    assert str(run.state) in ("failed", "DagRunState.FAILED")
    got = states(run)
    crm_activities = ENTITY_TABLES.index("crm_activities")
    crm_accounts = ENTITY_TABLES.index("crm_accounts")
    assert got[("validate", crm_activities)] == "failed"
    assert got[("validate", crm_accounts)] == "success"  # other entities are still judged
    assert got[("publish", -1)] == "upstream_failed"  # no asset event: no transform
    out, err = capfd.readouterr()
    text = caplog.text + out + err  # the task runner logs the failure
    for needle in ("crm/activities/2026-01-05/part-0001.csv", "activity_type_accepted",
                   "column activity_type", "activity_type='Meeting'", "deliver the file again"):
        assert needle in text, needle
    con = duckdb.connect(str(kizuna_home / "warehouse" / "kizuna.duckdb"), read_only=True)
    statuses = dict(con.execute("SELECT source_table, status FROM audit.load_batches").fetchall())
    con.close()
    assert statuses == {"crm_accounts": "published", "crm_activities": "rejected"}


def test_a_corrected_delivery_passes_the_gate_and_publishes(ingest, kizuna_home):
    drop(kizuna_home, "activities", CRM_ACTIVITIES + "\n" + "".join(
        f"C{i},A1,,meeting,{DAY} 10:00:00,completed\n" for i in range(3)))
    conf = {"window_start": DAY, "window_end": "2026-01-06"}

    run = ingest.test(logical_date=datetime(2026, 1, 7, 12, tzinfo=UTC), run_conf=conf)

    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    assert states(run)[("publish", -1)] == "success"
