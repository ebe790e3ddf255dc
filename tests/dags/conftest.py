"""Fixtures of the DAG tests: Airflow's metadata DB and the ingest DAG as the scheduler
parses it, once per worker for every module of the package that asks (each module's runs
use dates and homes of their own)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="package")
def airflow_db() -> None:
    from airflow.utils import db

    db.initdb()


@pytest.fixture(scope="package")
def ingest(airflow_db: None) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    from kizuna.settings import DAGS_FOLDER

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags["kizuna_ingest"]
