"""A fresh install's first kizuna_ml_score run: nothing to score, so scoring is skipped with
its reason, nothing is exported, the run ends green and its report is still written (run for real,
dag.test())."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow_ml_score_fresh_install")]


@pytest.fixture(scope="module")
def ml_score():
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    from kizuna.settings import DAGS_FOLDER
    from kizuna.transform import parse

    db.initdb()
    parse()
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags["kizuna_ml_score"]


def test_scoring_an_empty_warehouse_skips_with_its_reason_and_the_run_succeeds(
        ml_score, kizuna_home, caplog, capfd):
    run = ml_score.test(logical_date=datetime(2026, 1, 6, 12, tzinfo=UTC))

    got = {ti.task_id: str(getattr(ti.state, "value", ti.state))
           for ti in run.get_task_instances()}
    assert got == {"score": "skipped", "dbt_ml_marts": "skipped",
                   "scores_published": "skipped", "dbt_exports": "skipped",
                   "export": "skipped", "write_report": "success"}
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    out, err = capfd.readouterr()
    assert "nothing to score: marts.mart_account_features does not exist yet" in (
        caplog.text + out + err)
    assert (kizuna_home / "reports" / "kizuna_report.html").is_file()
