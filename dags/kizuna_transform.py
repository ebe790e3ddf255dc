"""Transform: build the warehouse (staging -> identity resolution -> intermediate -> marts).

Runs whenever the ingest DAG has updated ``raw`` (asset ``kizuna_raw``), as nine tasks,
each dbt one a single dbt command over a selection (``kizuna.pipeline``'s records, which
``kizuna build`` runs in the same order):

1. ``source_freshness``: ``dbt source freshness`` on the raw tables (the ``freshness:``
   of ``_sources.yml`` against each table's newest ``_loaded_at``), recorded in
   ``audit.source_freshness``; a stale source is a warning in the log, and stops the build
   only with ``KIZUNA_FRESHNESS_FAILS=true``;
2. ``dbt_seeds``: every seed (reference data, weights, rules, targets) with its tests;
3. ``dbt_prepare``: the models tagged ``identity_input`` (staging and the deterministic
   matching models: lead -> contact by e-mail, account -> company by corporate number);
4. ``resolve_identities``: identity resolution (名寄せ) in Python, ``kizuna.identity``:
   domains, normalised Japanese company names, splink for the rest; writes schema
   ``identity``;
5. ``dbt_build``: everything else (snapshots, intermediate models, marts) in one ``dbt
   build``, so a model's tests run right after it and a failing test stops what depends
   on it;
6. ``dbt_integrity_tests``: the tests that belong to no single node, once every model is
   built: ``relationships`` tests (one between two models that do not depend on each
   other cannot run with either) and the tests on the raw sources;
7. ``measure_against_truth``: on a simulated world, identity resolution against its truth;
8. ``publish_marts``: the marts to BI tools (``kizuna.bi``): on DuckDB a fresh
   ``bi.duckdb`` beside the warehouse, swapped in atomically; on PostgreSQL the read-only
   role ``kizuna_bi``'s grants on schema ``marts`` (and nothing below it);
9. ``marts_built``: marks the ``kizuna_marts`` asset updated.

One task per dbt step, not per model: an Airflow task costs seconds to start, a model well
under one. When a dbt task fails, its error names every failing model or test with dbt's
message. Every task that writes the warehouse takes the one-slot pool ``kizuna_duckdb``. On
PostgreSQL the dbt tasks log in with the Airflow connection ``kizuna_warehouse``, read when
each task runs: no task holds a password (``kizuna.transform.cosmos_profile``).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

from kizuna.alerts import on_task_failure
from kizuna.pipeline import (
    DBT_BUILD,
    DBT_INTEGRITY_TESTS,
    DBT_PREPARE,
    DBT_SEEDS,
    WAREHOUSE_POOL,
)
from kizuna.settings import task_defaults, timezone_name
from kizuna.transform import cosmos_task

RAW = Asset(name="kizuna_raw", uri="kizuna://warehouse/raw")
MARTS = Asset(name="kizuna_marts", uri="kizuna://warehouse/marts")


@dag(
    dag_id="kizuna_transform",
    schedule=[RAW],
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    # a task that fails for good is recorded in audit.task_failures (and sent, if set up)
    default_args={**task_defaults(), "on_failure_callback": on_task_failure},
    tags=["kizuna", "dbt"],
    doc_md=__doc__,
)
def kizuna_transform() -> None:
    @task(pool=WAREHOUSE_POOL)
    def source_freshness() -> dict[str, list[str]]:
        """dbt source freshness, recorded in audit.source_freshness (kizuna.pipeline)."""
        from kizuna.pipeline import source_freshness

        return source_freshness()

    @task(pool=WAREHOUSE_POOL)
    def resolve_identities() -> dict[str, dict[str, int]]:
        """Identity resolution (kizuna.identity.run); returns links per match method."""
        from kizuna.pipeline import resolve_identities

        return resolve_identities()

    @task(pool=WAREHOUSE_POOL)
    def measure_against_truth() -> dict[str, float | None]:
        """On a simulated world, identity resolution against its truth (kizuna.accuracy)."""
        from kizuna.pipeline import measure_against_truth

        return measure_against_truth()

    @task(pool=WAREHOUSE_POOL)
    def publish_marts() -> dict[str, int]:
        """The marts to BI tools (kizuna.bi.publish); returns rows per mart copied."""
        from kizuna.pipeline import publish_marts

        return publish_marts()

    @task(outlets=[MARTS])
    def marts_built() -> None:
        """Marks the marts asset updated for the ML scoring DAG."""

    (source_freshness() >> cosmos_task(DBT_SEEDS, WAREHOUSE_POOL)
     >> cosmos_task(DBT_PREPARE, WAREHOUSE_POOL) >> resolve_identities()
     >> cosmos_task(DBT_BUILD, WAREHOUSE_POOL)
     >> cosmos_task(DBT_INTEGRITY_TESTS, WAREHOUSE_POOL) >> measure_against_truth()
     >> publish_marts() >> marts_built())


kizuna_transform()
