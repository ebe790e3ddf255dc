"""Maintenance: keep the warehouse, the landing folder and Airflow itself small, weekly.

Runs every Sunday at 03:00 in the business time zone; each task is one function of
``kizuna.maintenance``, and none depends on another:

- ``checkpoint_warehouse``: DuckDB ``CHECKPOINT`` (the write-ahead log folded into the
  file); on PostgreSQL ``VACUUM (ANALYZE)``;
- ``archive_landing``: date folders older than ``KIZUNA_LANDING_RETENTION_DAYS`` (90) whose
  every file is loaded and settled (published, duplicate, superseded, empty or discarded)
  are packed into ``archive/landing/<source>/<entity>/<date>.tar.gz`` under
  ``KIZUNA_ARCHIVE``, checked file by file, then removed; a folder with a file never
  loaded, a batch waiting for the gate or a person (``loaded``, ``rejected``), or an
  unfinished upload stays, and the task's return value says why;
- ``clean_airflow_db``: ``airflow db clean`` of metadata older than
  ``KIZUNA_AIRFLOW_RETENTION_DAYS`` (30);
- ``prune_task_logs``: task log files older than the same number of days.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from kizuna.alerts import on_task_failure
from kizuna.pipeline import WAREHOUSE_POOL
from kizuna.settings import task_defaults, timezone_name


@dag(
    dag_id="kizuna_maintenance",
    schedule="0 3 * * 0",
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    # a task that fails for good is recorded in audit.task_failures (and sent, if set up)
    default_args={**task_defaults(), "on_failure_callback": on_task_failure},
    tags=["kizuna", "maintenance"],
    doc_md=__doc__,
)
def kizuna_maintenance() -> None:
    @task(pool=WAREHOUSE_POOL)
    def checkpoint_warehouse() -> dict:
        from kizuna.maintenance import checkpoint_warehouse

        return checkpoint_warehouse()

    @task(pool=WAREHOUSE_POOL)  # reads the batches' statuses from the warehouse
    def archive_landing() -> dict:
        from kizuna.maintenance import archive_landing

        return archive_landing().as_dict()

    @task
    def clean_airflow_db() -> str:
        from kizuna.maintenance import clean_airflow_db

        return clean_airflow_db()[-2000:]

    @task
    def prune_task_logs() -> int:
        from kizuna.maintenance import prune_task_logs

        return prune_task_logs()

    checkpoint_warehouse()
    archive_landing()
    clean_airflow_db()
    prune_task_logs()


kizuna_maintenance()
