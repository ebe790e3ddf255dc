"""Extract: read HubSpot, Salesforce and Marketo through their APIs into the landing folder.

Runs daily at 05:00 JST, an hour before ``kizuna_ingest``, for the business day before:
each object of each vendor with an Airflow connection (``kizuna_hubspot``,
``kizuna_salesforce``, ``kizuna_marketo``; host = the API's base URL) is read for the rows
modified since its cursor and up to the end of the data interval, and written to
``landing/<vendor>/<table>/<yyyy-mm-dd>/`` with a ``_SUCCESS`` marker; the cursor moves
only after that. A vendor without a connection is skipped, not failed. A failed or killed
task re-runs over the same window without duplicates. A first run reads everything, or
from ``initial_since`` in the run conf or the connection's extra
(``{"initial_since": "2025-01-01T00:00:00Z"}``). Updates the asset ``kizuna_landing``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, Connection, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowNotFoundException
from airflow.timetables.interval import CronDataIntervalTimetable

from kizuna.alerts import on_task_failure
from kizuna.settings import task_defaults, timezone_name
from kizuna.sources import extract

LANDING = Asset(name="kizuna_landing", uri="kizuna://landing/api")


def _credentials(vendor: str) -> extract.Credentials | None:
    try:
        return extract.Credentials.from_connection(Connection.get(extract.CONN_IDS[vendor]))
    except AirflowNotFoundException:
        return None


@dag(
    dag_id="kizuna_extract",
    schedule=CronDataIntervalTimetable("0 5 * * *", timezone=timezone_name()),
    start_date=pendulum.datetime(2025, 1, 1, tz=timezone_name()),
    catchup=False,
    max_active_runs=1,
    # a task that fails for good is recorded in audit.task_failures (and sent, if set up)
    default_args={**task_defaults(), "on_failure_callback": on_task_failure},
    tags=["kizuna", "extract"],
    doc_md=__doc__,
)
def kizuna_extract() -> None:
    @task
    def plan() -> list[dict]:
        """One job per object of every vendor that has a connection."""
        jobs = []
        for vendor in extract.VENDORS:
            creds = _credentials(vendor)
            if creds is not None:
                jobs += [{"vendor": vendor, "obj": o} for o in extract.objects_of(vendor, creds)]
        return jobs

    @task(max_active_tis_per_dagrun=3)  # vendors' rate limits are per account
    def extract_object(job: dict) -> dict:
        ctx = get_current_context()
        creds = _credentials(job["vendor"])
        assert creds is not None, f"connection {extract.CONN_IDS[job['vendor']]} disappeared"
        return extract.extract_interval(job["vendor"], job["obj"], creds,
                                        ctx["data_interval_start"], ctx["data_interval_end"],
                                        ctx["dag_run"].conf)

    @task(outlets=[LANDING], trigger_rule="none_failed")
    def landed(results: list[dict]) -> dict:
        return {"objects": len(results), "rows": sum(sum(r["rows"].values()) for r in results)}

    landed(extract_object.expand(job=plan()))


kizuna_extract()
