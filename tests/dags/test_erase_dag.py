"""kizuna_erase, run for real (dag.test()) with addresses in its conf: the person leaves the
warehouse and the landing files, and the request is recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow")]

DAY = date(2026, 1, 5)
HEADER = ("lead_id,email,last_name,first_name,company_name,department,job_title,phone,"
          "lead_source,opt_out,created_at,updated_at")


@pytest.fixture(scope="module")
def erase_dag(airflow_db: None) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    from kizuna.settings import DAGS_FOLDER

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags["kizuna_erase"]


def test_the_dag_is_one_erase_task_in_the_warehouse_pool_triggered_by_hand(erase_dag):
    from airflow.sdk.definitions.timetables.simple import NullTimetable

    assert isinstance(erase_dag.timetable, NullTimetable)  # only triggered, with a conf
    assert [t.task_id for t in erase_dag.tasks] == ["erase"]
    assert erase_dag.get_task("erase").pool == "kizuna_duckdb"
    assert "emails" in erase_dag.params


def test_a_run_erases_the_addresses_of_its_conf(erase_dag, kizuna_home: Path):
    from kizuna.pipeline import load_and_gate

    folder = kizuna_home / "landing" / "ma" / "leads" / DAY.isoformat()
    folder.mkdir(parents=True)
    rows = [f"{lid},{email},山田,太郎,山田製作所,営業部,部長,,web_form,false,"
            "2026-01-01 09:00:00,2026-01-05 09:00:00"
            for lid, email in (("L1", "taro@yamada.co.jp"), ("L2", "hanako@yamada.co.jp"))]
    (folder / "part-0001.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    (folder / "_SUCCESS").touch()
    load_and_gate(DAY, date(2026, 1, 6), tables=["ma_leads"])

    run = erase_dag.test(logical_date=datetime(2026, 1, 6, 12, tzinfo=UTC),
                         run_conf={"emails": ["Taro@Yamada.co.jp"]})

    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    assert "taro" not in (folder / "part-0001.csv").read_text()
    with duckdb.connect(str(kizuna_home / "warehouse" / "kizuna.duckdb"),
                        read_only=True) as con:
        assert con.execute("SELECT lead_id FROM raw.ma_leads").fetchall() == [("L2",)]
        assert con.execute("SELECT count(*) FROM audit.erasure_requests").fetchone() == (1,)
        removed = con.execute("SELECT location, rows_removed FROM audit.erasure_removals "
                              "WHERE location = 'raw.ma_leads'").fetchall()
    assert removed == [("raw.ma_leads", 1)]
