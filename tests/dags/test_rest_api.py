"""Runs triggered through the REST API of a running Airflow: ``airflow standalone`` (its
scheduler, DAG processor, API server and triggerer, LocalExecutor) is started on a free
port with a metadata DB and a Kizuna home of its own, kizuna_ingest is triggered through
``/api/v2`` as a data engineer or a script would (a JWT from ``/auth/token``), the runs are
waited for, and the server is stopped.

The trigger is a backfill of chosen days: a conf window and no logical date (the runs
with a logical date, and without either, are the in-process tests of test_ingest_triggers).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from airflow_runs import batches

from kizuna.pipeline import WAREHOUSE_POOL
from kizuna.settings import DAGS_FOLDER

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow_standalone")]

ACCOUNTS = ("account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
            "created_at,updated_at")
#: Generous: a loaded 2-core machine starts the four components in about a minute.
STARTUP_TIMEOUT_S = 300
RUN_TIMEOUT_S = 600


def drop_accounts(home: Path, day: str, account_id: str) -> None:
    folder = home / "landing" / "crm" / "accounts" / day
    folder.mkdir(parents=True, exist_ok=True)
    row = f"{account_id},株式会社例{account_id},,,,,,{day} 10:00:00,{day} 10:00:00\n"
    (folder / "part-0001.csv").write_bytes(f"{ACCOUNTS}\n{row}".encode("cp932"))
    (folder / "_SUCCESS").touch()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Airflow:
    """A running ``airflow standalone``: its REST API (authenticated) and Kizuna home."""

    api: httpx.Client
    home: Path
    log: Path

    def wait_for_run(self, dag_id: str, run_id: str) -> dict:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            run = self.api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(2)
        raise AssertionError(f"{dag_id} run {run_id} did not finish in {RUN_TIMEOUT_S} s: "
                             f"{self.log.read_text()[-3000:]}")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        tis = self.api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()
        return {f"{ti['task_id']}[{ti['map_index']}]": ti["state"]
                for ti in tis["task_instances"]}


def _wait(what: str, ready, log: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"airflow standalone exited: {log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"{what} not ready in {STARTUP_TIMEOUT_S} s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    airflow_home = tmp_path_factory.mktemp("standalone-airflow")
    home = tmp_path_factory.mktemp("standalone-kizuna")
    port = free_port()
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        # standalone starts its components as `airflow ...` from the PATH
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(airflow_home),
        "KIZUNA_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # forks 32 workers otherwise
        "AIRFLOW__CORE__PARALLELISM": "4",
        # only the runs this test triggers (unpausing would start the latest interval's)
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "kizuna-test-secret-for-this-server-only-0123456789",
    }
    for var in ("KIZUNA_LANDING", "KIZUNA_DUCKDB_PATH", "AIRFLOW__CORE__UNIT_TEST_MODE"):
        env.pop(var, None)
    log = airflow_home / "standalone.log"
    with log.open("wb") as out:
        # a session of its own: stopping the parent alone would orphan its components
        proc = subprocess.Popen([str(venv_bin / "airflow"), "standalone"],
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        passwords = airflow_home / "simple_auth_manager_passwords.json.generated"
        _wait("the API server",
              lambda: passwords.exists()
              and httpx.get(f"{base}/api/v2/monitor/health", timeout=5).status_code == 200,
              log, proc)
        password = json.loads(passwords.read_text())["admin"]
        token = httpx.post(f"{base}/auth/token", timeout=30,
                           json={"username": "admin", "password": password})
        token.raise_for_status()
        api = httpx.Client(base_url=base, timeout=30,
                           headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        _wait("kizuna_ingest in the DAG processor",
              lambda: api.get("/api/v2/dags/kizuna_ingest").status_code == 200, log, proc)
        # the one-slot DuckDB writer pool, as a deployment creates it (`kizuna` or the UI)
        api.post("/api/v2/pools", json={"name": WAREHOUSE_POOL, "slots": 1,
                                        "include_deferred": False}).raise_for_status()
        api.patch("/api/v2/dags/kizuna_ingest", json={"is_paused": False}).raise_for_status()
        yield Airflow(api, home, log)
    finally:
        with_group = os.getpgid(proc.pid)
        os.killpg(with_group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=60)
        # components the parent did not stop in time
        with_kill = subprocess.run(["pgrep", "-g", str(with_group)], capture_output=True)
        if with_kill.stdout.strip():
            os.killpg(with_group, signal.SIGKILL)


def test_a_rest_trigger_with_a_conf_window_and_no_logical_date_loads_its_days(
        airflow: Airflow) -> None:
    for day, account in (("2026-01-02", "B0"), ("2026-01-03", "B1"), ("2026-01-05", "B2")):
        drop_accounts(airflow.home, day, account)

    # a backfill of chosen days: no logical date, a conf window (end exclusive)
    created = airflow.api.post("/api/v2/dags/kizuna_ingest/dagRuns", json={
        "logical_date": None,
        "conf": {"window_start": "2026-01-02", "window_end": "2026-01-04"}})
    assert created.status_code == 200, created.text
    run = airflow.wait_for_run("kizuna_ingest", created.json()["dag_run_id"])
    assert run["state"] == "success", airflow.task_states("kizuna_ingest", run["dag_run_id"])
    assert run["logical_date"] is None
    assert batches(airflow.home) == {"crm/accounts/2026-01-02/part-0001.csv": "published",
                                     "crm/accounts/2026-01-03/part-0001.csv": "published"}
