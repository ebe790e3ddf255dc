"""The extract DAG: it only wires, skips vendors without a connection, and a run with a
connection lands the vendor's objects where the ingest DAG reads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kizuna.settings import DAGS_FOLDER

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow_extract_dag")]


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "kizuna_extract.py"))
    assert bag.import_errors == {}
    return bag.dags["kizuna_extract"]


def states(run) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ti in run.get_task_instances():
        out.setdefault(ti.task_id, set()).add(str(getattr(ti.state, "value", ti.state)))
    return out


def test_extract_dag_plans_then_maps_one_task_per_object_and_updates_the_landing_asset(dag):
    assert dag.get_task("plan").downstream_task_ids == {"extract_object"}
    assert [o.name for o in dag.get_task("landed").outlets] == ["kizuna_landing"]
    text = (DAGS_FOLDER / "kizuna_extract.py").read_text()
    assert "requests" not in text and "json" not in text  # HTTP lives in kizuna.sources


def test_a_team_without_vendor_connections_gets_a_green_run_that_extracts_nothing(
        dag, kizuna_home, monkeypatch):
    for vendor in ("HUBSPOT", "SALESFORCE", "MARKETO"):
        monkeypatch.delenv(f"AIRFLOW_CONN_KIZUNA_{vendor}", raising=False)
    run = dag.test(logical_date=datetime(2026, 1, 6, 12, tzinfo=UTC))
    got = states(run)
    assert got["plan"] == {"success"}
    assert got["extract_object"] <= {"skipped", "removed"}
    assert not (kizuna_home / "landing").exists()


def test_a_run_with_a_salesforce_connection_lands_its_objects(dag, kizuna_home, monkeypatch):
    from kizuna.sources.extract.mock import SalesforceMock

    rows = [{"Id": f"001{i:015d}", "Name": f"Account {i}", "IsDeleted": False,
             "SystemModstamp": "2026-01-05T03:00:00.000+0000"} for i in range(3)]
    with SalesforceMock({"Account": rows, "Contact": [dict(rows[0], Id="003")]}) as api:
        monkeypatch.setenv("AIRFLOW_CONN_KIZUNA_SALESFORCE", json.dumps({
            "conn_type": "http", "host": api.url, "login": api.client_id,
            "password": api.client_secret, "extra": {"objects": ["Account", "Contact"]}}))
        run = dag.test(logical_date=datetime(2026, 1, 6, 12, tzinfo=UTC))
    assert states(run)["extract_object"] == {"success"}
    # the interval [2026-01-05 05:00 JST, 2026-01-06 05:00 JST) lands in folder 2026-01-05
    folder = kizuna_home / "landing" / "salesforce" / "account" / "2026-01-05"
    assert (folder / "_SUCCESS").exists()
    lines = (folder / "part-0001.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == [r["Id"] for r in rows]
    assert (kizuna_home / "landing" / "salesforce" / "_cursors" / "contact.json").exists()
