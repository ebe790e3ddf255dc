"""The scoring DAG ends with the report, also when scoring was skipped for want of a model."""

from __future__ import annotations

from kizuna.settings import DAGS_FOLDER


def test_the_scoring_dag_writes_the_report_last_even_after_a_skipped_scoring():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "kizuna_ml_score.py"))
    assert bag.import_errors == {}
    dag = bag.dags["kizuna_ml_score"]
    report = dag.get_task("write_report")
    assert [t.task_id for t in dag.leaves] == ["write_report"]
    assert report.upstream_task_ids == {"export"}
    assert report.trigger_rule == "none_failed"  # runs when upstream tasks were skipped
    assert report.pool == "kizuna_duckdb"  # DuckDB: no reader while a task writes
