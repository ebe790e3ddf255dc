"""When a Kizuna task fails: a row in ``audit.task_failures``, and a notice if one is set up.

Every Kizuna DAG passes :func:`on_task_failure` as its tasks' ``on_failure_callback``
(``default_args``). Airflow calls it once a task has failed for good (after its retries),
in the task's own process. It:

1. appends one row to ``audit.task_failures`` (:data:`TASK_FAILURES_DDL`): DAG, task, map
   index, run, try, the error's type and message, when; the data-quality marts and anyone
   with SQL read it beside the load batches and the gate's results;
2. notifies through the Airflow connection :data:`ALERTS_CONN_ID` when it exists: an
   ``smtp`` connection (host, port, login, password; ``extra`` ``{"to": "a@x, b@y",
   "from_email": ...}``) sends an e-mail through Airflow's SMTP provider; any other
   type, or none, leaves the failure in the log and the table only.

A callback that fails must not hide the task's own error: each part logs its own trouble
and the callback returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

log = logging.getLogger(__name__)

#: The Airflow connection failures are sent through, when it exists.
ALERTS_CONN_ID = "kizuna_alerts"
#: Longest message kept (a dbt error naming many nodes can run long).
MESSAGE_CHARS = 4000
#: Seconds the callback waits for the DuckDB file: a failure is not worth a long wait.
RECORD_WAIT_SECONDS = 60

TASK_FAILURES_DDL = """
CREATE TABLE IF NOT EXISTS audit.task_failures (
    dag_id {text} NOT NULL,
    task_id {text} NOT NULL,
    map_index {int} NOT NULL,
    run_id {text} NOT NULL,
    try_number {int} NOT NULL,
    error_type {text},
    message {text},
    failed_at {timestamp} NOT NULL
)"""


@dataclass(frozen=True)
class TaskFailure:
    """One failed task instance (a row of ``audit.task_failures``)."""

    dag_id: str
    task_id: str
    map_index: int
    run_id: str
    try_number: int
    error_type: str | None
    message: str | None
    failed_at: datetime  # UTC, naive

    @classmethod
    def from_context(cls, context: Any) -> TaskFailure:
        ti = context["ti"]
        error = context.get("exception")
        message = None if error is None else str(error)[:MESSAGE_CHARS]
        map_index = getattr(ti, "map_index", None)
        return cls(dag_id=ti.dag_id, task_id=ti.task_id,
                   map_index=-1 if map_index is None else int(map_index),
                   run_id=ti.run_id, try_number=int(getattr(ti, "try_number", 0) or 0),
                   error_type=None if error is None else type(error).__name__,
                   message=message,
                   failed_at=datetime.now(UTC).replace(tzinfo=None))

    def summary(self) -> str:
        where = self.task_id + (f"[{self.map_index}]" if self.map_index >= 0 else "")
        return (f"Kizuna task {self.dag_id}.{where} failed (run {self.run_id}, try "
                f"{self.try_number}): {self.error_type}: {self.message}")


def on_task_failure(context: Any) -> None:
    """The ``on_failure_callback`` of every Kizuna task: record, then notify."""
    try:
        failure = TaskFailure.from_context(context)
    except Exception:
        log.exception("could not read the failed task from its context")
        return
    log.error("%s", failure.summary())
    try:
        record_failure(failure)
    except Exception:
        log.exception("could not record the failure in audit.task_failures")
    try:
        notify(failure)
    except Exception:
        log.exception("could not notify through the Airflow connection %s", ALERTS_CONN_ID)


def record_failure(failure: TaskFailure) -> None:
    """Append ``failure`` to ``audit.task_failures`` (made if missing)."""
    from kizuna.settings import get_settings
    from kizuna.transform import release_dbt_connections
    from kizuna.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse

    # a failed dbt task may leave dbt-duckdb's handle on the file open in this process
    release_dbt_connections()
    s = get_settings()
    wh: Warehouse
    if s.warehouse == "postgres":
        wh = PostgresWarehouse(s.postgres)
    else:
        wh = DuckDBWarehouse(s.duckdb_path,
                             wait_seconds=min(RECORD_WAIT_SECONDS, s.lock_wait_seconds))
    try:
        wh.execute("CREATE SCHEMA IF NOT EXISTS audit")
        wh.execute(TASK_FAILURES_DDL.format(text=wh.sql_type("text"), int=wh.sql_type("int"),
                                            timestamp=wh.sql_type("timestamp")))
        wh.append_arrow("audit", "task_failures", pa.table({
            "dag_id": [failure.dag_id], "task_id": [failure.task_id],
            "map_index": pa.array([failure.map_index], pa.int64()),
            "run_id": [failure.run_id],
            "try_number": pa.array([failure.try_number], pa.int64()),
            "error_type": pa.array([failure.error_type], pa.string()),
            "message": pa.array([failure.message], pa.string()),
            "failed_at": pa.array([failure.failed_at], pa.timestamp("us")),
        }))
    finally:
        wh.close()


def notify(failure: TaskFailure) -> str | None:
    """Send ``failure`` through the connection :data:`ALERTS_CONN_ID`; how it was sent
    (``"smtp"``), or None when there is no such connection or it is of a type not
    supported (logged)."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(ALERTS_CONN_ID)
    except AirflowNotFoundException:
        log.info("no Airflow connection %s: the failure is in the log and "
                 "audit.task_failures only", ALERTS_CONN_ID)
        return None
    if conn.conn_type == "email" or conn.conn_type == "smtp":
        return _send_email(failure, conn.extra_dejson)
    log.warning("Airflow connection %s has type %r; Kizuna sends alerts through an 'smtp' "
                "connection only (its extra names the recipients: {\"to\": \"ops@...\"})",
                ALERTS_CONN_ID, conn.conn_type)
    return None


def _send_email(failure: TaskFailure, extra: dict[str, Any]) -> str:
    from html import escape

    from airflow.providers.smtp.hooks.smtp import SmtpHook

    to = extra.get("to")
    if not to:
        raise ValueError(f"the Airflow connection {ALERTS_CONN_ID} names no recipient: set "
                         'its extra to {"to": "ops@example.com"}')
    with SmtpHook(smtp_conn_id=ALERTS_CONN_ID) as smtp:
        smtp.send_email_smtp(
            to=to, from_email=extra.get("from_email"),
            subject=f"[kizuna] {failure.dag_id}.{failure.task_id} failed",
            html_content=f"<pre>{escape(failure.summary())}</pre>")
    log.info("failure sent by e-mail to %s", to)
    return "smtp"
