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
updated, which starts the transform DAG, but only when the gate published at least one
batch: a run that found nothing new (its days loaded before, or no file complete yet)
skips ``publish`` with the reason in its log, and a skipped task emits no asset event, so
no transform starts for nothing.

Late data: each run also looks back ``KIZUNA_LOOKBACK_DAYS`` (3) days before its own, so a
folder whose ``_SUCCESS`` arrived after its run, or a day no run covered, is loaded by the
next run (files loaded before are skipped; a batch rejected by an earlier run is logged,
not failed on again, outside the run's own days). ``check_deliveries`` fails, naming each
folder, when a folder of the window is still incomplete ``KIZUNA_DELIVERY_DEADLINE_HOURS``
(24) after its day ended (as of the run's ``run_after``), and records it in
``audit.late_deliveries``; nothing waits for it, so the other days still load and publish.

Triggering it by hand (UI, REST API, ``airflow dags trigger``, backfill):

- with a conf window, ``{"window_start": "2025-01-01", "window_end": "2026-10-01"}``
  (date folders, end exclusive; ``window_start`` alone loads from it to the default end):
  a backfill in one run;
- with a logical date: that date's data interval, as the scheduled run would;
- with neither (Airflow 3 then gives the run no data interval): the business day a
  scheduled run at the moment it was triggered would load, i.e. the day before the latest
  06:00 in the business time zone (``kizuna.tasks.default_day``).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from kizuna import tasks
from kizuna.alerts import on_task_failure
from kizuna.pipeline import WAREHOUSE_POOL
from kizuna.settings import get_settings, task_defaults, timezone_name

RAW = Asset(name="kizuna_raw", uri="kizuna://warehouse/raw")


def _window(lookback: bool = True) -> tuple:
    # a run triggered without a logical date has no data_interval_* keys in its context
    ctx = get_current_context()
    run = ctx["dag_run"]
    return tasks.window(ctx.get("data_interval_start"), ctx.get("data_interval_end"), run.conf,
                        run_after=run.run_after,
                        lookback_days=get_settings().lookback_days if lookback else 0)


def _own_window() -> tuple:
    """The run's own days, without the lookback."""
    return _window(lookback=False)


@dag(
    dag_id="kizuna_ingest",
    schedule=CronDataIntervalTimetable(tasks.INGEST_CRON, timezone=timezone_name()),
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    # a task that fails for good is recorded in audit.task_failures (and sent, if set up)
    default_args={**task_defaults(), "on_failure_callback": on_task_failure},
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

    # Fails (no retry) naming folders incomplete past their deadline; nothing waits for it.
    @task(pool=WAREHOUSE_POOL)
    def check_deliveries() -> dict:
        return tasks.check_deliveries(*_window(), now=get_current_context()["dag_run"].run_after)

    @task(pool=WAREHOUSE_POOL)
    def load(table: str) -> dict:
        return tasks.load_entity(table, *_window())

    # Every validate waits for every load: referential checks look at the other entities.
    @task(pool=WAREHOUSE_POOL)
    def validate(table: str) -> dict:
        return tasks.validate_entity(table, *_window(), reported_before=_own_window()[0])

    # skipped (no asset event, no transform) when the gate published nothing new
    @task(outlets=[RAW])
    def publish(results: list[dict]) -> dict:
        return tasks.publish(results)

    loaded = load.expand(table=tasks.ENTITY_TABLES)
    validated = validate.expand(table=tasks.ENTITY_TABLES)
    found = find_deliveries()
    adapt_vendors() >> found >> loaded >> validated
    found >> check_deliveries()
    publish(validated)


kizuna_ingest()
