"""The ingest DAG does not pass over a misplaced landing folder in silence.

A folder ``landing/cmr/accounts/`` (a misspelt source) is logged as a warning by every
load task, and the load task of the entity it looks meant for (``crm_accounts``) fails
after the others have loaded, so the gate and the transform do not run on a day whose
CRM accounts were never read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow_ingest_layout")]

DAY = "2026-01-05"


@pytest.fixture(scope="module")
def ingest():
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    from kizuna.settings import DAGS_FOLDER
    from kizuna.transform import parse

    db.initdb()
    parse()
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags["kizuna_ingest"]


def drop(home: Path, source: str, entity: str, text: str) -> None:
    folder = home / "landing" / source / entity / DAY
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0001.csv").write_bytes(text.encode("cp932"))
    (folder / "_SUCCESS").touch()


def test_a_misspelt_source_folder_fails_the_load_of_the_entity_it_was_meant_for(
        ingest, kizuna_home, caplog, capfd):
    from kizuna.tasks import ENTITY_TABLES

    drop(kizuna_home, "cmr", "accounts", "account_id,account_name,updated_at\n"
         f"A1,x,{DAY} 10:00:00\n")
    drop(kizuna_home, "crm", "products", "product_id,product_name,product_family,"
         "list_price_jpy\nP1,x,y,100\n")
    conf = {"window_start": DAY, "window_end": "2026-01-06"}

    run = ingest.test(logical_date=datetime(2026, 1, 6, 12, tzinfo=UTC), run_conf=conf)

    states = {(ti.task_id, ti.map_index): str(getattr(ti.state, "value", ti.state))
              for ti in run.get_task_instances()}
    assert str(run.state) in ("failed", "DagRunState.FAILED")
    assert states[("load", ENTITY_TABLES.index("crm_accounts"))] == "failed"
    assert states[("load", ENTITY_TABLES.index("crm_products"))] == "success"
    assert states[("publish", -1)] == "upstream_failed"
    out, err = capfd.readouterr()
    assert "landing/cmr" in caplog.text + out + err
    assert "did you mean 'crm'?" in caplog.text + out + err
