"""Run the real Airflow DAGs from the command line: set up a metadata DB, run a DAG.

``make demo`` runs the pipeline through Airflow itself (``airflow dags test``: the DAG
is parsed from ``dags/`` and every task runs as Airflow runs it), with an
``AIRFLOW_HOME`` inside ``KIZUNA_HOME`` and a SQLite metadata DB. A team deployment
runs the same DAGs under the scheduler (docker-compose.yml).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kizuna.pipeline import WAREHOUSE_POOL
from kizuna.settings import DAGS_FOLDER, Settings, get_settings

log = logging.getLogger(__name__)


_TASK_DONE = re.compile(r"\[DAG TEST\] end task task_id=(?P<task>\S+) map_index=(?P<map>-?\d+)")
_TASK_FAILED = re.compile(r"Task failed|state=failed|Marking task as FAILED", re.IGNORECASE)
_RUN_STATE = re.compile(r"DagRun Finished: .* state=(?P<state>\w+)")


class DagRunFailed(RuntimeError):
    """A DAG run did not succeed; the message points at its log."""


def airflow_environment(settings: Settings | None = None) -> dict[str, str]:
    """Environment for Airflow commands: home, DAG folder, quiet and small."""
    s = settings or get_settings()
    home = Path(os.environ.get("AIRFLOW_HOME", s.home / ".airflow"))
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": env.get("AIRFLOW__CORE__PARALLELISM", "4"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "KIZUNA_HOME": str(s.home),
    })
    return env


def _airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else (shutil.which("airflow") or "airflow")


def run_airflow(args: list[str], settings: Settings | None = None,
                env: Mapping[str, str] | None = None) -> str:
    """Run one ``airflow`` command; raise with its output when it fails."""
    proc = subprocess.run(
        [_airflow_bin(), *args], env=dict(env or airflow_environment(settings)),
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def init_airflow(settings: Settings | None = None) -> Path:
    """Create or upgrade the metadata DB and the one-slot DuckDB writer pool."""
    env = airflow_environment(settings)
    run_airflow(["db", "migrate"], env=env)
    run_airflow(["pools", "set", WAREHOUSE_POOL, "1",
                 "DuckDB allows one writing process"], env=env)
    return Path(env["AIRFLOW_HOME"])


#: The local Airflow's login (``make airflow``): a known one, for this machine only.
LOCAL_USER, LOCAL_PASSWORD = "admin", "kizuna"


def local_airflow_environment(settings: Settings | None = None) -> dict[str, str]:
    """Prepare a local Airflow (``make airflow``): the metadata DB, the pool
    ``kizuna_duckdb`` and the login :data:`LOCAL_USER` / :data:`LOCAL_PASSWORD` (Airflow's
    simple auth manager, with its password file in ``AIRFLOW_HOME``); returns the
    environment ``airflow standalone`` runs in. Existing logins in the file are kept."""
    env = airflow_environment(settings)
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    passwords = home / "simple_auth_manager_passwords.json"
    known = json.loads(passwords.read_text()) if passwords.exists() else {}
    known.setdefault(LOCAL_USER, LOCAL_PASSWORD)
    passwords.write_text(json.dumps(known) + "\n")
    passwords.chmod(0o600)
    env.update({
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{LOCAL_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        # the local scheduler runs failed tasks again as a deployment would
        "KIZUNA_TASK_RETRIES": env.get("KIZUNA_TASK_RETRIES", "2"),
        # `airflow standalone` starts its parts as `airflow ...` found on the PATH
        "PATH": os.pathsep.join([str(Path(_airflow_bin()).parent), env.get("PATH", "")]),
    })
    # tasks report to the API server: on another port than 8080, tell them where it is
    port = env.get("AIRFLOW__API__PORT")
    if port:
        env.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
                       f"http://localhost:{port}/execution/")
    run_airflow(["db", "migrate"], env=env)
    run_airflow(["pools", "set", WAREHOUSE_POOL, "1",
                 "DuckDB allows one writing process"], env=env)
    return env


def run_local_airflow(settings: Settings | None = None) -> None:
    """Prepare (:func:`local_airflow_environment`), then become ``airflow standalone``
    (scheduler, DAG processor, triggerer and the UI on http://localhost:8080)."""
    env = local_airflow_environment(settings)
    log.info("Airflow UI on http://localhost:%s, login %s / %s; AIRFLOW_HOME=%s",
             env.get("AIRFLOW__API__PORT", "8080"), LOCAL_USER, LOCAL_PASSWORD,
             env["AIRFLOW_HOME"])
    os.execve(_airflow_bin(), [_airflow_bin(), "standalone"], env)


def test_dag(
    dag_id: str,
    logical_date: str,
    conf: dict[str, Any] | None = None,
    log_path: Path | None = None,
    on_task_done: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> None:
    """Run one DAG run with ``airflow dags test``, streaming task completions.

    The full log goes to ``log_path``; ``on_task_done`` receives ``task_id[map_index]``
    as each task ends. Raises :class:`DagRunFailed` unless the run succeeds.
    """
    env = airflow_environment(settings)
    env.update(extra_env or {})
    args = [_airflow_bin(), "dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    log_path = log_path or Path(env["AIRFLOW_HOME"]) / "logs" / f"{dag_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    state = None
    with log_path.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if m := _TASK_DONE.search(line):
                name = m["task"] + (f"[{m['map']}]" if m["map"] != "-1" else "")
                if on_task_done:
                    on_task_done(name)
            elif m := _RUN_STATE.search(line):
                state = m["state"]
        code = proc.wait()
    if code != 0 or state != "success":
        raise DagRunFailed(
            f"{dag_id} run for {logical_date} ended {state or f'with exit code {code}'}; "
            f"the full log is in {log_path}"
        )
