"""Erasure: people who asked to be forgotten (APPI / GDPR) leave every file and table.

Runs only when triggered, with the addresses in its conf: ``{"emails": ["a@b.jp", ...]}``
(``airflow dags trigger kizuna_erase --conf '{"emails": ["a@b.jp"]}'``, or the UI's
trigger form). One task, ``erase`` (``kizuna.pipeline.erase``): the people's rows leave the
landing files (rewritten in their own format, the ledger kept in line so the next load
skips them), raw, quarantine, snapshots, identity tables, marts, the ``exports`` schema,
the export files and the Data Docs; the request is recorded as keyed hashes and counts in
``audit.erasure_requests`` and ``audit.erasure_removals``, and the loader excludes the
people from later deliveries. Aggregates that counted them are corrected by the next
transform run.

The task writes the warehouse, so it takes the one-slot pool ``kizuna_duckdb``. The run's
conf holds the addresses: keep the metadata database's retention of DAG runs short, or
clear the run afterwards.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from kizuna.alerts import on_task_failure
from kizuna.pipeline import WAREHOUSE_POOL
from kizuna.settings import task_defaults, timezone_name


@dag(
    dag_id="kizuna_erase",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    # a task that fails for good is recorded in audit.task_failures (and sent, if set up)
    default_args={**task_defaults(), "on_failure_callback": on_task_failure},
    params={"emails": Param([], type="array", items={"type": "string"}, minItems=1,
                            description="the e-mail addresses of the people to erase")},
    tags=["kizuna", "privacy"],
    doc_md=__doc__,
)
def kizuna_erase() -> None:
    @task(pool=WAREHOUSE_POOL)
    def erase(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Erase the people of the run's conf (kizuna.pipeline.erase); returns the counts."""
        from kizuna.pipeline import erase as erase_people

        return erase_people(list((params or {}).get("emails") or [])).summary()

    erase()


kizuna_erase()
