"""ML training: propensity, lookalike, cross-sell and lead-scoring models, weekly.

Runs every Monday at 03:00 JST. Each model is one task (``models_ml.tasks.train``): it
reads the point-in-time features (marts.mart_account_features,
marts.mart_account_product_features and, per lead, intermediate.int_ml_lead_features),
trains on several historic cutoffs, evaluates on later ones against its baselines
(rule-based engagement score and logistic regression; popularity; firmographic size; the
lead's behaviour score), refits on every labelled cutoff, and stores a new version under
``KIZUNA_HOME/models`` and in ``ml.model_registry``. Features that are all
null or constant on the training rows are set aside (the version's metadata names them).
The version becomes champion only when it beats its rule baseline on PR AUC and top-decile
lift and the champion on the same evaluation. Marks the ``kizuna_models`` asset updated,
which starts the scoring DAG. A model the data does not support (too little history yet:
about 9 months are needed; too few of one outcome; no usable feature) is not trained: its
task skips and says why, and the others go on.

Every task reads and writes the warehouse, so each takes the one-slot pool
``kizuna_duckdb``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from kizuna.alerts import on_task_failure
from kizuna.pipeline import WAREHOUSE_POOL
from kizuna.settings import task_defaults, timezone_name
from models_ml.tasks import MODELS

MODELS_ASSET = Asset(name="kizuna_models", uri="kizuna://models")


@dag(
    dag_id="kizuna_ml_train",
    schedule=CronDataIntervalTimetable("0 3 * * 1", timezone=timezone_name()),
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    # a task that fails for good is recorded in audit.task_failures (and sent, if set up)
    default_args={**task_defaults(), "on_failure_callback": on_task_failure},
    tags=["kizuna", "ml"],
    doc_md=__doc__,
)
def kizuna_ml_train() -> None:
    @task(pool=WAREHOUSE_POOL)
    def train(model_name: str) -> dict:
        """Train, evaluate and register one model (models_ml.tasks.train_task); skipped
        while the warehouse holds too little history to train and evaluate on."""
        from models_ml.tasks import train_task

        return train_task(model_name)

    @task(outlets=[MODELS_ASSET], trigger_rule="none_failed_min_one_success")
    def models_registered(outcomes: list[dict]) -> dict:
        """Marks the models asset updated: the scoring DAG scores with the champions."""
        return {o["model_name"]: o["version"] if o["is_champion"] else None
                for o in outcomes if o}

    models_registered(train.expand(model_name=list(MODELS)))


kizuna_ml_train()
