"""Connections to the warehouse: a DuckDB file by default, PostgreSQL for a team.

Both expose the same small surface the loader, the quality gate and the ML code need:
run SQL, read rows or Arrow tables, append an Arrow table, and group writes in one
transaction. SQL transformations do not belong here: they live in dbt.

DuckDB allows one writing process. Airflow serialises writing tasks with a one-slot
pool; :func:`connect` also waits (with a clear message) while another process holds
the file, so a CLI call during a DAG run queues instead of failing.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv

from kizuna.contract import LogicalType
from kizuna.settings import Settings, get_settings

log = logging.getLogger(__name__)

SCHEMAS = ("raw", "quarantine", "audit")

_DUCKDB_TYPES: dict[str, str] = {
    "text": "VARCHAR", "bool": "BOOLEAN", "int": "BIGINT", "float": "DOUBLE",
    "date": "DATE", "timestamp": "TIMESTAMP",
}
_POSTGRES_TYPES: dict[str, str] = {
    "text": "TEXT", "bool": "BOOLEAN", "int": "BIGINT", "float": "DOUBLE PRECISION",
    "date": "DATE", "timestamp": "TIMESTAMP",
}


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB file for writing and did not let go in time."""


class Warehouse(Protocol):
    dialect: str

    def sql_type(self, logical: LogicalType) -> str: ...
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...
    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table: ...
    def append_arrow(self, schema: str, table: str, data: pa.Table) -> None: ...
    def columns(self, schema: str, table: str) -> list[str]: ...
    def transaction(self) -> contextlib.AbstractContextManager[None]: ...
    def close(self) -> None: ...


class DuckDBWarehouse:
    dialect = "duckdb"

    def __init__(self, path: Path, read_only: bool = False, wait_seconds: float = 300) -> None:
        import duckdb

        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait_seconds
        delay = 0.5
        while True:
            try:
                self.con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    if "lock" in str(exc).lower():
                        raise WarehouseBusyError(
                            f"{path} is locked by another process (DuckDB allows one writer); "
                            f"waited {wait_seconds:.0f}s. Stop the other process or run the "
                            "tasks through the Airflow pool 'kizuna_duckdb'."
                        ) from exc
                    raise
                log.info("warehouse %s is busy; waiting %.1fs", path, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10)
        self.con.execute("SET TimeZone = 'UTC'")

    def sql_type(self, logical: LogicalType) -> str:
        return _DUCKDB_TYPES[logical]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, params or [])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def append_arrow(self, schema: str, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        self.con.register("_kizuna_append", data)
        try:
            cols = ", ".join(f'"{c}"' for c in data.column_names)
            self.con.execute(
                f'INSERT INTO "{schema}"."{table}" ({cols}) SELECT {cols} FROM _kizuna_append'
            )
        finally:
            self.con.unregister("_kizuna_append")

    def columns(self, schema: str, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        )
        return [r[0] for r in rows]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()


class PostgresWarehouse:
    dialect = "postgres"

    def __init__(self, dsn: str) -> None:
        import psycopg2

        self.con = psycopg2.connect(dsn)
        self.con.autocommit = True
        self._in_tx = False

    def sql_type(self, logical: LogicalType) -> str:
        return _POSTGRES_TYPES[logical]

    @staticmethod
    def _pg(sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self.con.cursor() as cur:
            cur.execute(self._pg(sql), params or None)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cur:
            cur.execute(self._pg(sql), params or None)
            return list(cur.fetchall())

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        with self.con.cursor() as cur:
            cur.execute(self._pg(sql), params or None)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})

    def append_arrow(self, schema: str, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        buf = io.BytesIO()
        # COPY's CSV format reads an unquoted empty field as NULL and "" as an empty string,
        # which is exactly how Arrow writes nulls and empty strings.
        pa_csv.write_csv(data, buf, pa_csv.WriteOptions(include_header=False))
        buf.seek(0)
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        with self.con.cursor() as cur:
            cur.copy_expert(
                f'COPY "{schema}"."{table}" ({cols}) FROM STDIN WITH (FORMAT csv)', buf
            )

    def columns(self, schema: str, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        )
        return [r[0] for r in rows]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.autocommit = False
        try:
            yield
        except BaseException:
            self.con.rollback()
            raise
        else:
            self.con.commit()
        finally:
            self.con.autocommit = True

    def close(self) -> None:
        self.con.close()


def connect(settings: Settings | None = None, read_only: bool = False) -> Warehouse:
    """Open the configured warehouse (``KIZUNA_WAREHOUSE``)."""
    s = settings or get_settings()
    if s.warehouse == "postgres":
        return PostgresWarehouse(s.postgres.dsn)
    return DuckDBWarehouse(s.duckdb_path, read_only=read_only)


@contextlib.contextmanager
def connection(settings: Settings | None = None, read_only: bool = False) -> Iterator[Warehouse]:
    wh = connect(settings, read_only=read_only)
    try:
        yield wh
    finally:
        wh.close()
