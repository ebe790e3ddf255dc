"""No task of any DAG carries the warehouse password.

Airflow stores every task's fields in its metadata DB (the serialized DAG, and each run's
rendered template fields), so a password in a task's ``env`` or ``op_kwargs`` is a password
in that database. dbt tasks reach PostgreSQL through the Airflow connection
``kizuna_warehouse`` instead, read when the task runs. Here the DAGs are rendered with a
recognisable password in the environment (as the settings and as that connection), and
no task's fields may contain it.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from kizuna.settings import DAGS_FOLDER

pytestmark = pytest.mark.slow


def field_texts(value: Any, depth: int = 0, seen: set[int] | None = None) -> Iterator[str]:
    """Every string inside ``value``: containers, dataclasses and Cosmos/Kizuna objects."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > 6:
        return
    seen.add(id(value))
    if isinstance(value, str | bytes):
        yield value if isinstance(value, str) else value.decode(errors="replace")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from field_texts(key, depth + 1, seen)
            yield from field_texts(item, depth + 1, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from field_texts(item, depth + 1, seen)
    elif dataclasses.is_dataclass(value) or type(value).__module__.startswith(("cosmos", "kizuna")):
        yield from field_texts(dict(vars(value)), depth + 1, seen)
    elif value is not None:
        yield repr(value)


def task_fields(task: Any) -> dict[str, Any]:
    """What Airflow keeps of a task (template fields, callable arguments) and its dbt profile."""
    names = {*task.template_fields, "env", "op_args", "op_kwargs", "profile_config",
             "operator_args"}
    return {name: getattr(task, name) for name in sorted(names) if hasattr(task, name)}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def dags_with_a_known_password(request, tmp_path_factory):
    """The DAGs rendered with ``KIZUNA_WAREHOUSE`` set to the param, and a password that
    appears nowhere else (in the settings and in the warehouse connection)."""
    from kizuna.transform import parse

    password = f"pw-{secrets.token_hex(12)}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIZUNA_HOME", str(tmp_path_factory.mktemp("home")))
        parse()  # the DAGs render from dbt's manifest
        mp.setenv("KIZUNA_WAREHOUSE", request.param)
        mp.setenv("KIZUNA_PG_PASSWORD", password)
        mp.setenv("AIRFLOW_CONN_KIZUNA_WAREHOUSE", json.dumps({
            "conn_type": "postgres", "host": "localhost", "port": 5432, "login": "kizuna",
            "password": password, "schema": "kizuna"}))
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(DAGS_FOLDER))
    failed = {path for path in bag.import_errors
              if path.endswith(("kizuna_transform.py", "kizuna_ml_score.py"))}
    assert failed == set()  # tests/dags/test_dag_integrity.py checks every DAG file
    return bag.dags, password


def test_no_task_field_holds_the_warehouse_password(dags_with_a_known_password):
    dags, password = dags_with_a_known_password
    assert {"kizuna_transform", "kizuna_ml_score"} <= set(dags)
    leaks = [f"{dag_id}.{task.task_id}.{name}"
             for dag_id, dag in dags.items() for task in dag.tasks
             for name, value in task_fields(task).items()
             if any(password in text for text in field_texts(value))]
    assert leaks == []


def test_no_serialized_dag_holds_the_warehouse_password(dags_with_a_known_password):
    """The serialized DAG is what the metadata DB stores of every task."""
    from airflow.serialization.serialized_objects import DagSerialization

    dags, password = dags_with_a_known_password
    leaking = [dag_id for dag_id, dag in dags.items()
               if password in json.dumps(DagSerialization.to_dict(dag), default=str)]
    assert leaking == []


def test_dags_render_on_postgres_without_the_password(monkeypatch, kizuna_home):
    """Parsing needs no secret: the DAG processor and scheduler are never given it."""
    from airflow.dag_processing.dagbag import DagBag

    from kizuna.transform import MANIFEST_PATH, parse

    if not MANIFEST_PATH.exists():
        parse()
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    monkeypatch.delenv("KIZUNA_PG_PASSWORD", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_KIZUNA_WAREHOUSE", raising=False)
    for name in ("kizuna_transform.py", "kizuna_ml_score.py"):
        bag = DagBag(dag_folder=str(DAGS_FOLDER / name))
        assert bag.import_errors == {}
        assert bag.dags


@pytest.mark.postgres
@pytest.mark.xdist_group("airflow_no_secrets_in_tasks")
def test_the_transform_dags_dbt_task_logs_in_with_the_airflow_connection(
        postgres_database, kizuna_home, monkeypatch):
    """``dbt_seeds`` of the transform DAG, run by Airflow on PostgreSQL, reaches the server
    with the password of the connection ``kizuna_warehouse`` alone: KIZUNA_PG_PASSWORD is
    not in the environment, and the test server checks passwords. (Every other task of
    the run is marked successful without running.)"""
    from datetime import UTC, datetime

    import psycopg2
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    from kizuna.transform import MANIFEST_PATH, parse

    if not MANIFEST_PATH.exists():
        parse()
    db.initdb()
    pg = postgres_database
    for key, value in pg.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KIZUNA_PG_PASSWORD")
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    monkeypatch.setenv("AIRFLOW_CONN_KIZUNA_WAREHOUSE", json.dumps({
        "conn_type": "postgres", "host": pg["KIZUNA_PG_HOST"], "port": int(pg["KIZUNA_PG_PORT"]),
        "login": pg["KIZUNA_PG_USER"], "password": pg["KIZUNA_PG_PASSWORD"],
        "schema": pg["KIZUNA_PG_DATABASE"]}))
    bag = DagBag(dag_folder=str(DAGS_FOLDER / "kizuna_transform.py"))
    assert bag.import_errors == {}
    run = bag.dags["kizuna_transform"].test(
        logical_date=datetime(2026, 1, 6, tzinfo=UTC), mark_success_pattern=r"(?!dbt_seeds$).*")
    states = {ti.task_id: str(getattr(ti.state, "value", ti.state))
              for ti in run.get_task_instances()}
    assert states["dbt_seeds"] == "success"
    with psycopg2.connect(host=pg["KIZUNA_PG_HOST"], port=pg["KIZUNA_PG_PORT"],
                          user=pg["KIZUNA_PG_USER"], password=pg["KIZUNA_PG_PASSWORD"],
                          dbname=pg["KIZUNA_PG_DATABASE"]) as con, con.cursor() as cur:
        cur.execute("SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'activity_weights'")
        assert cur.fetchall() == [("seeds",)]
