"""Transform: build the warehouse with dbt (staging -> intermediate -> marts).

Runs whenever the ingest DAG has updated ``raw`` (asset ``kizuna_raw``). Cosmos renders
every dbt model, seed and snapshot as its own task (``dbt build`` per node, so a model's
tests run with it and a failing test stops what depends on it). Marks the
``kizuna_marts`` asset updated when the marts are built.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from kizuna.settings import DBT_PROJECT_DIR, get_settings, task_defaults
from kizuna.transform import MANIFEST_PATH, dbt_environment, require_manifest

RAW = Asset(name="kizuna_raw", uri="kizuna://warehouse/raw")
MARTS = Asset(name="kizuna_marts", uri="kizuna://warehouse/marts")
WAREHOUSE_POOL = "kizuna_duckdb"

require_manifest()


@dag(
    dag_id="kizuna_transform",
    schedule=[RAW],
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Tokyo"),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(),
    tags=["kizuna", "dbt"],
    doc_md=__doc__,
)
def kizuna_transform() -> None:
    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=MANIFEST_PATH,
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="kizuna",
            target_name=get_settings().dbt_target,
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            emit_datasets=False,
            # A relationships test waits for both of its models, in a task of its own.
            should_detach_multiple_parents_tests=True,
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        operator_args={
            "install_deps": False,
            "pool": WAREHOUSE_POOL,
            "env": dbt_environment(),
            # Close dbt-duckdb's handle on the file when a task ends, for the next writer.
            "callback": "kizuna.transform.release_dbt_connections",
        },
    )

    @task(outlets=[MARTS])
    def marts_built() -> None:
        """Marks the marts asset updated for the ML scoring DAG."""

    dbt >> marts_built()


kizuna_transform()
