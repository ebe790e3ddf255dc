"""ML scoring: score every account and rebuild the ML marts, after the marts are rebuilt.

Runs whenever the transform DAG has rebuilt the marts (asset ``kizuna_marts``) or the
training DAG has registered models (asset ``kizuna_models``):

1. ``score`` (``models_ml.tasks.score_task``): every champion scores the scoring date
   (the data date), after checking that the data's features are those it was trained on;
   writes ``ml.account_propensity``, ``ml.lookalike_scores``, ``ml.cross_sell_scores`` and
   ``ml.lead_scores``
   (every row with its ``model_version``), replacing that date's rows. A table whose
   model has no champion is not scored (the task's log and return value say why), and
   its marts build empty; the task skips, with the reason in its log, only while no
   model has a champion or while the marts hold no scoring date (a fresh install, or a
   transform over no data yet): a first run is skipped, not red;
2. ``dbt_ml_marts``: one ``dbt build`` of the models tagged ``ml_scores``
   (mart_account_propensity, mart_lookalike_prospects, mart_cross_sell_matrix,
   mart_target_accounts, mart_tier_comparison, mart_tier_comparison_summary,
   mart_lead_scores, mart_lead_score_calibration) with their tests
   (``kizuna.pipeline.DBT_ML_MARTS``); its error names every failing model or test;
3. ``scores_published``: the marts, fresh scores included, to BI tools (``kizuna.bi``:
   ``bi.duckdb`` on DuckDB, the role ``kizuna_bi``'s grants on PostgreSQL); marks the
   ``kizuna_scores`` asset updated;
4. ``dbt_exports``: one ``dbt build`` of the lists to export (schema ``exports``, tag
   ``activation``: the MQA list, the ranked target list, the lead hand-offs without
   opted-out people; ``kizuna.pipeline.DBT_EXPORTS``);
5. ``export``: every vendor's import files under ``exports/<data date>/`` and, for each
   vendor whose Airflow connection exists (those of the extractors: ``kizuna_hubspot``,
   ``kizuna_salesforce``, ``kizuna_marketo``), the lists pushed through its API: the
   target list to HubSpot's companies and Salesforce's accounts, the lead hand-offs to
   Marketo's leads and MQA static list (extra ``mqa_list_id``) (``kizuna.activation``);
   each recorded in ``audit.exports``;
6. ``write_report``: the run's HTML report (``kizuna.pipeline.write_report``), one page
   under ``reports/`` that opens offline.

A skipped scoring run (no champion yet, or no scoring date: a fresh install) exports
nothing; the report is written all the same, its model sections saying why.

Every task that writes the warehouse takes the one-slot pool ``kizuna_duckdb``. On
PostgreSQL the dbt task logs in with the Airflow connection ``kizuna_warehouse``, read when
the task runs: no task holds a password (``kizuna.transform.cosmos_profile``).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, Connection, TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowNotFoundException

from kizuna.alerts import on_task_failure
from kizuna.pipeline import DBT_EXPORTS, DBT_ML_MARTS, WAREHOUSE_POOL
from kizuna.settings import task_defaults, timezone_name
from kizuna.transform import cosmos_task

MARTS = Asset(name="kizuna_marts", uri="kizuna://warehouse/marts")
MODELS_ASSET = Asset(name="kizuna_models", uri="kizuna://models")
SCORES = Asset(name="kizuna_scores", uri="kizuna://warehouse/ml")


@dag(
    dag_id="kizuna_ml_score",
    schedule=(MARTS | MODELS_ASSET),
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    # a task that fails for good is recorded in audit.task_failures (and sent, if set up)
    default_args={**task_defaults(), "on_failure_callback": on_task_failure},
    tags=["kizuna", "ml", "dbt"],
    doc_md=__doc__,
)
def kizuna_ml_score() -> None:
    @task(pool=WAREHOUSE_POOL)
    def score() -> dict:
        """Score the scoring date with every champion there is
        (models_ml.tasks.score_task); skipped until a first model is champion and the
        marts hold a scoring date."""
        from models_ml.tasks import score_task

        return score_task()

    @task(outlets=[SCORES], pool=WAREHOUSE_POOL)
    def scores_published() -> dict[str, int]:
        """The marts to BI tools (kizuna.pipeline.publish_marts), then marks the scores
        asset updated (activation exports)."""
        from kizuna.pipeline import publish_marts

        return publish_marts()

    @task(pool=WAREHOUSE_POOL)
    def export() -> dict:
        """Every vendor's import files, and a push to each vendor whose connection exists
        (kizuna.activation.export_lists)."""
        from kizuna.activation import export_lists
        from kizuna.sources.extract import CONN_IDS, Credentials

        def credentials(vendor: str) -> Credentials | None:
            try:
                return Credentials.from_connection(Connection.get(CONN_IDS[vendor]))
            except AirflowNotFoundException:
                return None

        return export_lists(hubspot=credentials("hubspot"),
                            salesforce=credentials("salesforce"),
                            marketo=credentials("marketo")).summary()

    # also while no model is champion (scoring skipped): the report then says so
    @task(pool=WAREHOUSE_POOL, trigger_rule=TriggerRule.NONE_FAILED)
    def write_report() -> str:
        """The run's HTML report, read from the marts (kizuna.pipeline.write_report)."""
        from kizuna.pipeline import write_report

        return str(write_report().path)

    (score() >> cosmos_task(DBT_ML_MARTS, WAREHOUSE_POOL) >> scores_published()
     >> cosmos_task(DBT_EXPORTS, WAREHOUSE_POOL) >> export() >> write_report())


kizuna_ml_score()
