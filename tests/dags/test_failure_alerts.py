"""A Kizuna task that fails for good leaves a row in audit.task_failures and, when the
Airflow connection kizuna_alerts is an SMTP server, an e-mail.

Runs the real ingest DAG in-process with dag.test(): a conf window that is not a date
fails its first task, whose on_failure_callback (kizuna.alerts.on_task_failure) runs as
Airflow runs it. The SMTP server is a local one in a thread (the standard library's).
"""

from __future__ import annotations

import asyncore
import json
import smtpd
import socket
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes

import duckdb
import pytest
from airflow_runs import states, succeeded

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow_failure_alerts")]

warnings.filterwarnings("ignore", category=DeprecationWarning, module="smtpd|asyncore")


class _Inbox(smtpd.SMTPServer):
    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), None, decode_data=False)
        self.messages: list[tuple[list[str], bytes]] = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.messages.append((rcpttos, data))


@pytest.fixture
def inbox() -> Iterator[tuple[int, _Inbox]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = _Inbox(port)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True)
    thread.start()
    try:
        yield port, server
    finally:
        server.close()
        thread.join(timeout=5)


def test_a_failed_task_is_recorded_in_audit_and_sent_by_email(ingest, kizuna_home, inbox,
                                                              monkeypatch):
    port, server = inbox
    monkeypatch.setenv("AIRFLOW_CONN_KIZUNA_ALERTS", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"to": "ops@example.com", "from_email": "kizuna@example.com",
                  "disable_ssl": True, "disable_tls": True}}))

    run = ingest.test(logical_date=None, run_after=datetime(2026, 1, 6, 1, 30, tzinfo=UTC),
                      run_conf={"window_start": "the first of January"})

    assert not succeeded(run)
    assert states(run)[("adapt_vendors", -1)] == "failed"
    with duckdb.connect(str(kizuna_home / "warehouse" / "kizuna.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT dag_id, task_id, map_index, run_id, try_number, error_type, "
                           "message, failed_at FROM audit.task_failures").fetchall()
    assert len(rows) == 1
    dag_id, task_id, map_index, run_id, try_number, error_type, message, failed_at = rows[0]
    assert (dag_id, task_id, map_index, run_id) == ("kizuna_ingest", "adapt_vendors", -1,
                                                     run.run_id)
    assert try_number == 1 and error_type == "ValueError"
    assert "window_start='the first of January' is not a date" in message
    assert abs((datetime.now(UTC).replace(tzinfo=None) - failed_at).total_seconds()) < 600
    # the e-mail names the task and carries the message
    assert len(server.messages) == 1
    recipients, data = server.messages[0]
    assert recipients == ["ops@example.com"]
    mail = message_from_bytes(data)
    assert mail["Subject"] == "[kizuna] kizuna_ingest.adapt_vendors failed"
    body = "".join(part.get_payload(decode=True).decode() for part in mail.walk()
                   if part.get_content_type() == "text/html")
    assert "is not a date" in body


def test_without_the_connection_the_failure_is_only_recorded_and_logged(kizuna_home, caplog):
    """The callback alone (no Airflow run): no kizuna_alerts connection, no notice, a row."""
    import logging
    from types import SimpleNamespace

    from kizuna.alerts import on_task_failure

    caplog.set_level(logging.INFO, logger="kizuna.alerts")
    ti = SimpleNamespace(dag_id="kizuna_transform", task_id="dbt_build", map_index=None,
                         run_id="manual__1", try_number=3)
    on_task_failure({"ti": ti, "exception": RuntimeError("model x failed")})
    with duckdb.connect(str(kizuna_home / "warehouse" / "kizuna.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT task_id, map_index, try_number, message "
                           "FROM audit.task_failures").fetchall()
    assert rows == [("dbt_build", -1, 3, "model x failed")]
    assert any("no Airflow connection kizuna_alerts" in r.getMessage() for r in caplog.records)
    assert any("kizuna_transform.dbt_build failed" in r.getMessage() for r in caplog.records)
