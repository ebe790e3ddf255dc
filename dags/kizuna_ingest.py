"""Ingest: load each day's MA, CRM and company-database file drops into ``raw``.

Runs daily at 06:00 JST for the business day before (the data interval
``[D 06:00 JST, D+1 06:00 JST)`` loads the date folders ``D`` under ``landing/``).
Lists the complete files, loads each entity into ``raw`` (rows that cannot be loaded go
to ``quarantine``; new batches wait as ``loaded``), then runs the quality gate per entity
(Great Expectations suites in ``expectations/``: failing rows of row-level rules go to
quarantine, each batch is published or rejected, results land in ``audit.dq_results``
and the Data Docs). A rejected batch fails its ``validate`` task with a message naming
file, rule, column and sample rows; ``publish`` then does not run, so the transform is
not started for this interval. Otherwise ``publish`` marks the ``kizuna_raw`` asset
updated, which starts the transform DAG. A manual run may name a backfill window in its
conf: ``{"window_start": "2025-01-01", "window_end": "2026-10-01"}``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from kizuna import tasks
from kizuna.pipeline import WAREHOUSE_POOL
from kizuna.settings import task_defaults, timezone_name

RAW = Asset(name="kizuna_raw", uri="kizuna://warehouse/raw")


def _window() -> tuple:
    ctx = get_current_context()
    return tasks.window(ctx["data_interval_start"], ctx["data_interval_end"], ctx["dag_run"].conf)


@dag(
    dag_id="kizuna_ingest",
    schedule=CronDataIntervalTimetable("0 6 * * *", timezone=timezone_name()),
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(),
    tags=["kizuna", "ingest"],
    doc_md=__doc__,
)
def kizuna_ingest() -> None:
    # Vendors' files (HubSpot, Salesforce, ...) become contract files before discovery.
    @task(pool=WAREHOUSE_POOL)
    def adapt_vendors() -> dict:
        return tasks.adapt_vendors(*_window())

    @task
    def find_deliveries() -> dict:
        return tasks.find_deliveries(*_window())

    @task(pool=WAREHOUSE_POOL)
    def load(table: str) -> dict:
        return tasks.load_entity(table, *_window())

    # Every validate waits for every load: referential checks look at the other entities.
    @task(pool=WAREHOUSE_POOL)
    def validate(table: str) -> dict:
        return tasks.validate_entity(table, *_window())

    @task(outlets=[RAW])
    def publish(results: list[dict]) -> dict:
        return tasks.publish_summary(results)

    loaded = load.expand(table=tasks.ENTITY_TABLES)
    validated = validate.expand(table=tasks.ENTITY_TABLES)
    adapt_vendors() >> find_deliveries() >> loaded >> validated
    publish(validated)


kizuna_ingest()
