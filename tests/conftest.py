"""Shared fixtures: isolated Kizuna and Airflow homes, small simulated worlds.

Airflow reads AIRFLOW_HOME when it is first imported, so the test session's home is set
here, before any test module imports it. Nothing is read from or written to the
developer's own landing/, warehouse/ or .airflow/.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

_SESSION_ROOT = Path(tempfile.mkdtemp(prefix="kizuna-tests-"))
os.environ.update({
    "AIRFLOW_HOME": str(_SESSION_ROOT / "airflow"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(Path(__file__).resolve().parents[1] / "dags"),
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "KIZUNA_TASK_RETRIES": "0",
    "KIZUNA_HOME": str(_SESSION_ROOT / "home"),
})

# A small world: 200 accounts, six months of history. Built once per session.
SMALL_WORLD = {"seed": 7, "n_accounts": 200, "start": date(2025, 10, 1),
               "end": date(2026, 3, 31)}


@pytest.fixture(scope="session")
def small_world_config() -> dict:
    return dict(SMALL_WORLD)


@pytest.fixture
def kizuna_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh KIZUNA_HOME (landing/, warehouse/) for one test."""
    monkeypatch.setenv("KIZUNA_HOME", str(tmp_path))
    monkeypatch.delenv("KIZUNA_LANDING", raising=False)
    monkeypatch.delenv("KIZUNA_DUCKDB_PATH", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Landing and truth folders of the small simulated world (read-only for tests)."""
    from kizuna.simulator import SimulationConfig, simulate

    out = tmp_path_factory.mktemp("small-world")
    simulate(SimulationConfig(**SMALL_WORLD), out_dir=out)
    yield out
