"""The team deployment runs the same DAGs, on PostgreSQL, with every Airflow 3 service."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from kizuna.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
INIT_SQL = PROJECT_ROOT / "deploy" / "postgres-init.sql"
PASSWORD = "${KIZUNA_PG_PASSWORD:?write KIZUNA_PG_PASSWORD to .env}"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_every_airflow_3_service_is_there(compose):
    services = compose["services"]
    commands = {name: str(svc.get("command", "")) for name, svc in services.items()}
    for needed in ("api-server", "scheduler", "dag-processor", "triggerer", "celery worker",
                   "db migrate"):
        assert any(needed in c for c in commands.values()), needed
    assert {"postgres", "redis"} <= set(services)


def test_airflow_services_share_the_image_dags_and_postgres_warehouse(compose):
    airflow = {n: s for n, s in compose["services"].items() if n.startswith("airflow-")}
    assert len(airflow) == 6
    for name, svc in airflow.items():
        env = svc["environment"]
        assert svc["image"] == "kizuna:latest", name
        assert env["KIZUNA_WAREHOUSE"] == "postgres", name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/kizuna/dags", name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
    init = airflow["airflow-init"]["command"]
    assert "pools set kizuna_duckdb 1" in init


def test_the_image_installs_the_pinned_lock():
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "requirements.txt" in text and "python:3.11" in text


def test_no_warehouse_password_is_written_in_the_deployment(compose):
    """The password comes from .env only: required in compose, read from the environment
    by the init script, and no default anywhere."""
    text = COMPOSE.read_text()
    assert re.findall(r"\$\{KIZUNA_PG_PASSWORD[^}]*\}", text) == [
        PASSWORD, "${KIZUNA_PG_PASSWORD}"]  # the required value, and its use in the connection
    sql = INIT_SQL.read_text()
    assert "\\getenv kizuna_password KIZUNA_PG_PASSWORD" in sql
    assert "PASSWORD :'kizuna_password'" in sql
    assert not re.search(r"\bPASSWORD\s+'", sql, re.IGNORECASE)  # no literal


def test_only_the_workers_and_the_database_get_the_warehouse_password(compose):
    """Tasks run on the workers: they alone need the password (Python tasks read
    KIZUNA_PG_PASSWORD, dbt tasks the connection kizuna_warehouse); PostgreSQL's init
    script makes the role with it. The scheduler, DAG processor and API server never see it."""
    services = compose["services"]
    holders = {name for name, svc in services.items()
               if "KIZUNA_PG_PASSWORD" in json.dumps(svc.get("environment") or {})}
    assert holders == {"postgres", "airflow-worker"}
    assert services["postgres"]["environment"]["KIZUNA_PG_PASSWORD"] == PASSWORD
    worker = services["airflow-worker"]["environment"]
    assert worker["KIZUNA_PG_PASSWORD"] == PASSWORD
    assert worker["AIRFLOW_CONN_KIZUNA_WAREHOUSE"] == (
        "postgres://kizuna:${KIZUNA_PG_PASSWORD}@postgres:5432/kizuna")
    assert "/docker-entrypoint-initdb.d/" in " ".join(services["postgres"]["volumes"])


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose (Debian's v1) not installed; structure checked above")
def test_compose_file_validates_with_docker_compose():
    env = {**os.environ, "KIZUNA_PG_PASSWORD": "0123abcd"}
    subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], check=True,
                   env=env, cwd=COMPOSE.parent)
    resolved = yaml.safe_load(subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config"], check=True, env=env,
        cwd=COMPOSE.parent, capture_output=True, text=True).stdout)["services"]
    assert resolved["airflow-worker"]["environment"]["AIRFLOW_CONN_KIZUNA_WAREHOUSE"] == (
        "postgres://kizuna:0123abcd@postgres:5432/kizuna")
    assert resolved["postgres"]["environment"]["KIZUNA_PG_PASSWORD"] == "0123abcd"


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose (Debian's v1) not installed; structure checked above")
def test_compose_refuses_to_start_without_the_warehouse_password(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KIZUNA_PG_PASSWORD"}
    # from a folder with no .env, so a developer's own .env cannot fill it in
    done = subprocess.run(["docker-compose", "-f", str(COMPOSE), "--project-directory",
                           str(tmp_path), "config", "-q"], env=env, cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "write KIZUNA_PG_PASSWORD to .env" in done.stderr


@pytest.mark.postgres
def test_init_script_makes_the_role_with_the_password_from_the_environment(postgres_cluster):
    """The test cluster's role was made by deploy/postgres-init.sql: it logs in with the
    session's password and with no other."""
    import psycopg2

    def login(password: str) -> None:
        psycopg2.connect(host="127.0.0.1", port=postgres_cluster.port, user="kizuna",
                         password=password, dbname="kizuna").close()

    login(postgres_cluster.password)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        login("kizuna")


@pytest.mark.postgres
@pytest.mark.parametrize("password", [None, ""])
def test_init_script_stops_before_creating_anything_without_a_password(
        postgres_cluster, password):
    env = {k: v for k, v in os.environ.items() if k != "KIZUNA_PG_PASSWORD"}
    if password is not None:
        env["KIZUNA_PG_PASSWORD"] = password
    done = postgres_cluster.run_script(INIT_SQL.read_text(), env)
    assert done.returncode != 0
    assert "KIZUNA_PG_PASSWORD is not set" in done.stderr
    assert "already exists" not in done.stderr  # it stopped before CREATE ROLE
