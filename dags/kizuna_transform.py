"""Transform: build the warehouse (staging -> identity resolution -> intermediate -> marts).

Runs whenever the ingest DAG has updated ``raw`` (asset ``kizuna_raw``), in these steps:

0. ``dbt_seeds``: every seed (reference data, weights, rules, targets) with its tests, in
   one task: they are small CSV files, and one dbt call loads them all;
1. ``dbt_prepare``: Cosmos renders the dbt models tagged ``identity_input`` (staging and
   the deterministic matching models: lead -> contact by e-mail, account -> company by
   corporate number), each a task of its own;
2. ``resolve_identities``: identity resolution (名寄せ) in Python, ``kizuna.identity``:
   domains, normalised Japanese company names, splink for the rest; writes schema
   ``identity``;
3. ``dbt``: everything else (snapshots, intermediate models, marts), one task per
   node (``dbt build``, so a model's tests run with it and a failing test stops what
   depends on it);
4. ``dbt_integrity_tests``: the tests that belong to no single node, in one task once
   every model is built: ``relationships`` tests (one between two models that do not
   depend on each other cannot run with either) and the tests on the raw sources.

Every task that writes the warehouse takes the one-slot pool ``kizuna_duckdb``. Marks the
``kizuna_marts`` asset updated when the marts are built. On PostgreSQL the dbt tasks log in
with the Airflow connection ``kizuna_warehouse``, read when each task runs: no task holds
a password (``kizuna.transform.cosmos_profile``).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
    TestIndirectSelection,
)
from cosmos.operators.local import DbtBuildLocalOperator, DbtTestLocalOperator

from kizuna.pipeline import IDENTITY_INPUT, INTEGRITY_TESTS, SEEDS, WAREHOUSE_POOL
from kizuna.settings import DBT_PROJECT_DIR, task_defaults, timezone_name
from kizuna.transform import (
    MANIFEST_PATH,
    cosmos_operator_args,
    cosmos_profile,
    require_manifest,
)

RAW = Asset(name="kizuna_raw", uri="kizuna://warehouse/raw")
MARTS = Asset(name="kizuna_marts", uri="kizuna://warehouse/marts")

require_manifest()

PROFILE = cosmos_profile()
OPERATOR_ARGS = cosmos_operator_args(WAREHOUSE_POOL)


def dbt_task_group(group_id: str, **selection: list[str]) -> DbtTaskGroup:
    """A Cosmos task group of the dbt nodes ``selection`` (select= / exclude=) names.

    A node's task builds it with the tests whose every model is built by then (dbt's
    ``buildable`` indirect selection); a relationships test to a model that is not
    upstream waits for ``dbt_integrity_tests``.
    """
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=MANIFEST_PATH,
            install_dbt_deps=False,
        ),
        profile_config=PROFILE,
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            emit_datasets=False,
            exclude=[SEEDS, *selection.pop("exclude", [])],
            **selection,
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            test_indirect_selection=TestIndirectSelection.BUILDABLE,
        ),
        operator_args=OPERATOR_ARGS,
    )


@dag(
    dag_id="kizuna_transform",
    schedule=[RAW],
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(),
    tags=["kizuna", "dbt"],
    doc_md=__doc__,
)
def kizuna_transform() -> None:
    seeds = DbtBuildLocalOperator(
        task_id="dbt_seeds",
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=PROFILE,
        invocation_mode=InvocationMode.DBT_RUNNER,
        select=SEEDS,
        **OPERATOR_ARGS,
    )
    prepare = dbt_task_group("dbt_prepare", select=[IDENTITY_INPUT])

    @task(pool=WAREHOUSE_POOL)
    def resolve_identities() -> dict[str, dict[str, int]]:
        """Identity resolution (kizuna.identity.run); returns links per match method."""
        from kizuna.pipeline import resolve_identities

        return resolve_identities()

    build = dbt_task_group("dbt", exclude=[IDENTITY_INPUT])
    integrity_tests = DbtTestLocalOperator(
        task_id="dbt_integrity_tests",
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=PROFILE,
        invocation_mode=InvocationMode.DBT_RUNNER,
        select=INTEGRITY_TESTS,
        **OPERATOR_ARGS,
    )

    @task(pool=WAREHOUSE_POOL)
    def measure_against_truth() -> dict[str, float | None]:
        """On a simulated world, identity resolution against its truth (kizuna.accuracy)."""
        from kizuna.pipeline import measure_against_truth

        return measure_against_truth()

    @task(outlets=[MARTS])
    def marts_built() -> None:
        """Marks the marts asset updated for the ML scoring DAG."""

    (seeds >> prepare >> resolve_identities() >> build >> integrity_tests
     >> measure_against_truth() >> marts_built())


kizuna_transform()
