"""The ML DAGs are wired as the design says: weekly training, scoring after the marts."""

from __future__ import annotations

import json

import pytest

from kizuna.settings import DAGS_FOLDER


@pytest.fixture(scope="module")
def dagbag():
    from kizuna.transform import parse

    parse()  # the manifest the test reads the ML marts' tag from
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_training_runs_weekly_one_task_per_model_through_the_warehouse_pool(dagbag):
    from models_ml.tasks import MODELS

    assert dagbag.import_errors == {}
    dag = dagbag.dags["kizuna_ml_train"]
    assert dag.timetable.summary == "0 3 * * 1"  # Mondays 03:00 (Asia/Tokyo)
    train = dag.get_task("train")
    assert train.pool == "kizuna_duckdb"
    assert train.op_kwargs_expand_input.value["model_name"] == list(MODELS)
    registered = dag.get_task("models_registered")
    assert [o.name for o in registered.outlets] == ["kizuna_models"]
    assert registered.trigger_rule == "none_failed_min_one_success"


def test_scoring_runs_after_the_marts_or_new_models_and_rebuilds_every_ml_mart(dagbag):
    from cosmos.constants import InvocationMode

    from kizuna.transform import MANIFEST_PATH

    dag = dagbag.dags["kizuna_ml_score"]
    assert {a.name for a in dag.timetable.asset_condition.objects} == {
        "kizuna_marts", "kizuna_models"}
    assert sorted(dag.task_ids) == ["dbt_exports", "dbt_ml_marts", "export", "score",
                                    "scores_published", "write_report"]
    score = dag.get_task("score")
    assert score.pool == "kizuna_duckdb"
    nodes = json.loads(MANIFEST_PATH.read_text())["nodes"].values()
    tagged = {n["name"] for n in nodes
              if n["resource_type"] == "model" and "ml_scores" in n["tags"]}
    assert tagged == {"mart_account_propensity", "mart_lookalike_prospects",
                      "mart_cross_sell_matrix", "mart_target_accounts",
                      "mart_tier_comparison", "mart_tier_comparison_summary",
                      "mart_lead_scores", "mart_lead_score_calibration"}
    # every ML mart in one dbt build, after the scores it reads are written
    marts = dag.get_task("dbt_ml_marts")
    assert marts.base_cmd == ["build"] and marts.select == "tag:ml_scores"
    assert marts.invocation_mode == InvocationMode.DBT_RUNNER
    assert marts.pool == "kizuna_duckdb"
    assert score.downstream_task_ids == {"dbt_ml_marts"}
    published = dag.get_task("scores_published")
    assert published.upstream_task_ids == {"dbt_ml_marts"}
    # it copies the marts to bi.duckdb: a writer of the warehouse's own pool
    assert published.pool == "kizuna_duckdb"
    assert [o.name for o in published.outlets] == ["kizuna_scores"]
    # the lists to export are rebuilt from the fresh ML marts, then written and pushed
    lists = dag.get_task("dbt_exports")
    assert lists.base_cmd == ["build"] and lists.select == "tag:activation"
    assert lists.upstream_task_ids == {"scores_published"} and lists.pool == "kizuna_duckdb"
    export = dag.get_task("export")
    assert export.upstream_task_ids == {"dbt_exports"} and export.pool == "kizuna_duckdb"


def test_a_warehouse_too_young_to_train_on_skips_the_tasks_with_the_reason(monkeypatch):
    from airflow.sdk.exceptions import AirflowSkipException

    from models_ml import tasks, training
    from models_ml.registry import NoChampionError

    def too_young(_):
        raise training.NotEnoughHistoryError("no cutoff has a complete label window yet")

    def untrained():
        raise NoChampionError("nothing scored: ml.account_propensity: no trained "
                              "opportunity_90d model: run `kizuna ml train`")

    monkeypatch.setattr(tasks, "train", too_young)
    monkeypatch.setattr(tasks, "scoring_run", untrained)
    with pytest.raises(AirflowSkipException, match="won_90d not trained: no cutoff"):
        tasks.train_task("won_90d")
    with pytest.raises(AirflowSkipException, match=r"nothing scored: ml\.account_propensity"):
        tasks.score_task()


def test_a_model_the_data_does_not_support_skips_its_task_and_scoring_goes_on(monkeypatch):
    from airflow.sdk.exceptions import AirflowSkipException

    from models_ml import tasks
    from models_ml.artifact import Outcome

    reason = "the training rows (...) hold 0 positive(s) and 900 negative(s)"
    monkeypatch.setattr(tasks, "train", lambda name: Outcome.skip(name, reason, 0.1).to_dict())
    with pytest.raises(AirflowSkipException,
                       match=r"won_90d not trained: the training rows .* hold 0 positive"):
        tasks.train_task("won_90d")

    partial = {"scored_on": "2026-03-31", "rows": {"lookalike_scores": 266},
               "skipped": {"account_propensity": "no opportunity_90d champion"}}
    monkeypatch.setattr(tasks, "scoring_run", lambda: partial)
    assert tasks.score_task() == partial


def test_scoring_a_warehouse_with_no_scoring_date_skips_with_the_reason(kizuna_home):
    """A fresh install: the first kizuna_ml_score run is skipped, not red, and says why."""
    from airflow.sdk.exceptions import AirflowSkipException

    from kizuna.warehouse import connection
    from models_ml import tasks

    with pytest.raises(AirflowSkipException,
                       match=r"marts\.mart_account_features does not exist yet; build the marts"):
        tasks.score_task()
    # the marts built from no activity yet: rows for past cutoffs at most, none to score
    with connection() as wh:
        wh.execute("CREATE SCHEMA IF NOT EXISTS marts")
        wh.execute("CREATE TABLE marts.mart_account_features (account_key VARCHAR, "
                   "cutoff_date DATE, is_scoring_date BOOLEAN, label_opportunity_90d INTEGER)")
        wh.execute("INSERT INTO marts.mart_account_features "
                   "VALUES ('A1', DATE '2026-01-31', false, 0)")
    with pytest.raises(AirflowSkipException, match=r"has no row for the scoring date"):
        tasks.score_task()
