"""A step waits for a DuckDB file another process holds, logs the wait, and gives up after
``KIZUNA_LOCK_WAIT_SECONDS`` with an error naming the file.

The holder is a real second process (DuckDB's lock is between processes)."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from kizuna.settings import get_settings

_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[3] == "ro")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@contextmanager
def held(path: Path, seconds: float, read_only: bool = False) -> Iterator[subprocess.Popen]:
    """Another process holding ``path`` for ``seconds`` (as a writer, or a reader)."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(path), str(seconds),
                             "ro" if read_only else "rw"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def warehouse_file(kizuna_home: Path) -> Path:
    path = kizuna_home / "warehouse" / "kizuna.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    return path


def test_a_step_waits_for_a_writer_that_lets_go_and_logs_the_wait(warehouse_file, caplog):
    from kizuna.warehouse import connection

    caplog.set_level(logging.WARNING, logger="kizuna.warehouse")
    with held(warehouse_file, 2.5):
        started = time.monotonic()
        with connection() as wh:
            waited = time.monotonic() - started
            assert wh.query("SELECT x FROM t") == [(1,)]
    assert 1.5 < waited < 15, waited
    waits = [r.getMessage() for r in caplog.records if "held by another process" in r.getMessage()]
    assert waits and str(warehouse_file) in waits[0] and "PID" in waits[0]
    assert any("is free after a wait of" in r.getMessage() for r in caplog.records)


def test_a_reader_of_the_warehouse_file_also_keeps_a_step_waiting(warehouse_file, caplog):
    """A read-only connection in another process (a BI tool on the wrong file) blocks
    every writer: the step waits for it as for a writer."""
    from kizuna.warehouse import wait_for_duckdb

    caplog.set_level(logging.WARNING, logger="kizuna.warehouse")
    with held(warehouse_file, 1.5, read_only=True):
        waited = wait_for_duckdb(warehouse_file, wait_seconds=30)
    assert 0.8 < waited < 15, waited
    assert any("held by another process" in r.getMessage() for r in caplog.records)


def test_a_file_held_past_the_bound_fails_naming_the_file(warehouse_file, monkeypatch):
    from kizuna.warehouse import WarehouseBusyError, connection

    monkeypatch.setenv("KIZUNA_LOCK_WAIT_SECONDS", "1")
    assert get_settings().lock_wait_seconds == 1
    with held(warehouse_file, 30):
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError) as busy, connection():
            pass
        assert time.monotonic() - started < 5
    message = str(busy.value)
    assert str(warehouse_file) in message and "KIZUNA_LOCK_WAIT_SECONDS" in message
    assert "PID" in message  # who holds it, as DuckDB names the program


def test_dbt_is_not_handed_a_held_file(warehouse_file, monkeypatch):
    """A dbt step waits for the file before dbt opens it; past the bound it fails with the
    same error, before dbt ran anything (dbt alone fails at once: 'Conflicting lock')."""
    from kizuna.transform import run_dbt, wait_for_warehouse
    from kizuna.warehouse import WarehouseBusyError

    monkeypatch.setenv("KIZUNA_LOCK_WAIT_SECONDS", "1")
    with held(warehouse_file, 30), pytest.raises(WarehouseBusyError, match=r"kizuna\.duckdb"):
        run_dbt(["run", "--select", "nothing_at_all"])
    monkeypatch.setenv("KIZUNA_LOCK_WAIT_SECONDS", "30")
    with held(warehouse_file, 1.5):
        # the hook every Cosmos dbt task runs before dbt (pre_execute)
        assert wait_for_warehouse({}) > 0.8


def test_the_wait_is_a_setting_of_whole_seconds(monkeypatch):
    from kizuna.settings import SettingError

    monkeypatch.delenv("KIZUNA_LOCK_WAIT_SECONDS", raising=False)
    assert get_settings().lock_wait_seconds == 300
    monkeypatch.setenv("KIZUNA_LOCK_WAIT_SECONDS", "soon")
    with pytest.raises(SettingError, match="KIZUNA_LOCK_WAIT_SECONDS"):
        get_settings()
