"""Connections to the warehouse: a DuckDB file by default, PostgreSQL for a team.

Both expose the same small surface the loader, the quality gate and the ML code need:
run SQL, read rows or Arrow tables, append an Arrow table, and group writes in one
transaction. SQL transformations do not belong here: they live in dbt.

Each engine goes through a maintained driver that speaks Arrow: DuckDB through its own
Python API, PostgreSQL through ADBC's libpq driver (``adbc_driver_postgresql``), which
reads results as Arrow (``fetch_arrow_table``) and appends Arrow tables with binary COPY
(``adbc_ingest``). Values never enter the SQL text on either engine.

Parameters are written one way for both engines: ``?`` (DB-API's qmark style, DuckDB's
own). PostgreSQL's server knows only numbered placeholders (``$1``), and the ADBC driver
hands SQL to it untouched (its DB-API module admits that no paramstyle fits), so the
PostgreSQL side numbers the placeholders before binding. It finds them with DuckDB's SQL
tokenizer (descended from PostgreSQL's own scanner): a ``?`` inside a string literal
(``'?'``, ``E'\\'?'``, ``$$?$$``), a quoted identifier or a comment is left alone, so
only the ``?`` that DuckDB itself would bind becomes ``$n``; ``?2`` becomes ``$2``. SQL
written with ``$1``, ``$2``... is read natively by both engines and passes through as is.
The values then travel separately, bound by the driver.

What differs on PostgreSQL, on purpose:

- a parameter is typed by its Python value (str: text, int: bigint, float: double
  precision, bool, date, datetime: timestamp, or timestamptz when it has a time zone,
  Decimal: numeric, None: whatever the statement expects). DuckDB casts a string to a
  column's type; PostgreSQL refuses ``date = text``: pass a ``date`` for a date column;
- NUMERIC results arrive as decimals (``decimal128(38, s)``, the driver reads them as
  text); a NaN or infinite numeric makes the column float64;
- ``append_arrow`` casts each column to the target column's type first, because binary
  COPY takes exact types only (an int64 column cannot fill an ``integer`` column);
- ``execute`` without parameters may hold several statements; with parameters it is one
  prepared statement.

Both sessions run in UTC. Outside :meth:`transaction` every statement commits by itself;
transactions do not nest (DuckDB refuses that, and PostgreSQL is made to refuse it too).

DuckDB allows one writing process, and a process reading the file (even read-only) keeps
every writer out. Airflow serialises writing tasks with a one-slot pool; every step that
opens the file also waits while another process holds it (:func:`open_duckdb`: a bounded
wait of ``KIZUNA_LOCK_WAIT_SECONDS``, 300 by default, logged as it goes), so a CLI call
or a reader left open on the file during a DAG run delays the step instead of failing it,
and past the bound the step fails with :class:`WarehouseBusyError` naming the file. dbt
opens the file itself: :func:`wait_for_duckdb` waits for it before dbt is handed it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from kizuna.contract import LogicalType
from kizuna.identifiers import quote
from kizuna.settings import PostgresSettings, Settings, get_settings

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

#: DuckDB allows one writing process: every Airflow task that writes shares this one-slot pool.
WAREHOUSE_POOL = "kizuna_duckdb"

SCHEMAS = ("raw", "quarantine", "audit")

_DUCKDB_TYPES: dict[str, str] = {
    "text": "VARCHAR", "bool": "BOOLEAN", "int": "BIGINT", "amount": "DECIMAL(18, 2)",
    "float": "DOUBLE", "date": "DATE", "timestamp": "TIMESTAMP",
}
_POSTGRES_TYPES: dict[str, str] = {
    "text": "TEXT", "bool": "BOOLEAN", "int": "BIGINT", "amount": "NUMERIC(18, 2)",
    "float": "DOUBLE PRECISION", "date": "DATE", "timestamp": "TIMESTAMP",
}


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB file and did not let go in time."""


def _is_lock_conflict(exc: Exception) -> bool:
    # DuckDB's words when another process holds the file: "Could not set lock on file ...:
    # Conflicting lock is held in <program> (PID n)"
    return "lock" in str(exc).lower()


def open_duckdb(path: Path, read_only: bool = False,
                wait_seconds: float | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file ``path``, waiting while another process holds it.

    Waits at most ``wait_seconds`` (``KIZUNA_LOCK_WAIT_SECONDS``, 300 by default), retrying
    with a back-off of 0.5 s doubling to 10 s; each wait is logged with who holds the file
    (DuckDB names the program and PID), and the time waited once the file is open. Past
    the bound it raises :class:`WarehouseBusyError` naming the file and the holder.
    """
    import duckdb

    limit = lock_wait_seconds() if wait_seconds is None else wait_seconds
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    delay = 0.5
    waited_for_holder = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            waited = time.monotonic() - started
            if not _is_lock_conflict(exc):
                raise
            if waited + delay > limit:
                raise WarehouseBusyError(
                    f"{path} is held by another process ({_holder(exc)}) and was not released "
                    f"within {limit:.0f}s (KIZUNA_LOCK_WAIT_SECONDS). DuckDB lets one process "
                    "write and no writer in while another reads: close the other program "
                    "(a BI tool reads bi.duckdb, never this file), run the tasks through the "
                    f"Airflow pool '{WAREHOUSE_POOL}', or raise KIZUNA_LOCK_WAIT_SECONDS."
                ) from exc
            log.warning("warehouse %s is held by another process (%s); waited %.1fs of "
                        "%.0fs, retrying in %.1fs", path, _holder(exc), waited, limit, delay)
            time.sleep(delay)
            delay = min(delay * 2, 10)
            waited_for_holder = True
            continue
        if waited_for_holder:
            log.warning("warehouse %s is free after a wait of %.1fs", path,
                        time.monotonic() - started)
        return con


def wait_for_duckdb(path: Path, wait_seconds: float | None = None) -> float:
    """Wait (as :func:`open_duckdb`) until the DuckDB file ``path`` can be opened for
    writing, then let go of it; the seconds waited. For a program that opens the file itself
    (dbt): a file that does not exist yet is not made, as no one can hold it."""
    if not path.exists():
        return 0.0
    started = time.monotonic()
    open_duckdb(path, wait_seconds=wait_seconds).close()
    return time.monotonic() - started


def lock_wait_seconds() -> float:
    """``KIZUNA_LOCK_WAIT_SECONDS``: how long a step waits for the DuckDB file (300)."""
    return float(get_settings().lock_wait_seconds)


def _holder(exc: Exception) -> str:
    text = str(exc)
    at = text.find("Conflicting lock is held in ")
    return text[at + len("Conflicting lock is held in "):].strip() if at >= 0 else text


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

    def __init__(self, path: Path, read_only: bool = False,
                 wait_seconds: float | None = None) -> None:
        self.path = path
        self.con = open_duckdb(path, read_only=read_only, wait_seconds=wait_seconds)
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
            cols = ", ".join(quote(c) for c in data.column_names)
            self.con.execute(f"INSERT INTO {quote(schema)}.{quote(table)} ({cols}) "
                             f"SELECT {cols} FROM _kizuna_append")
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


def postgres_placeholders(sql: str) -> str:
    """``sql`` with its ``?`` parameters numbered for PostgreSQL (``$1``, ``$2``...).

    Only the ``?`` tokens DuckDB's tokenizer reads as parameters change; string literals,
    quoted identifiers and comments stay byte for byte.
    """
    return _numbered(sql) if "?" in sql else sql


@functools.lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    import duckdb

    raw = sql.encode()  # the tokenizer reports byte offsets
    parts: list[bytes] = []
    last = count = 0
    for start, kind in duckdb.tokenize(sql):
        if kind != duckdb.token_type.operator or raw[start:start + 1] != b"?":
            continue
        parts.append(raw[last:start])
        if raw[start + 1:start + 2].isdigit():  # ?2: DuckDB's numbered form
            parts.append(b"$")
        else:
            count += 1
            parts.append(f"${count}".encode())
        last = start + 1
    parts.append(raw[last:])
    return b"".join(parts).decode()


def _conninfo(pg: PostgresSettings) -> str:
    """A libpq keyword/value connection string (values quoted, so any password works);
    raises if no password is configured."""
    def quote(value: object) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    fields = {"host": pg.host, "port": pg.port, "user": pg.user,
              "password": pg.require_password(), "dbname": pg.database,
              "options": "-c TimeZone=UTC"}
    return " ".join(f"{key}={quote(value)}" for key, value in fields.items())


#: PostgreSQL column types (information_schema's data_type) as the driver's Arrow types.
_ARROW_FOR_POSTGRES: dict[str, pa.DataType] = {
    "text": pa.string(), "character varying": pa.string(), "character": pa.string(),
    "bigint": pa.int64(), "integer": pa.int32(), "smallint": pa.int16(),
    "double precision": pa.float64(), "real": pa.float32(), "boolean": pa.bool_(),
    "date": pa.date32(), "timestamp without time zone": pa.timestamp("us"),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
}


def _numeric_to_decimal(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """NUMERIC values (text from the driver) as decimals wide enough for every value."""
    text = pa.chunked_array([chunk.storage for chunk in column.chunks], pa.string())
    if text.null_count == len(text):
        return text.cast(pa.decimal128(38, 0))
    length = pc.utf8_length(text)
    dot = pc.find_substring(text, ".")
    has_dot = pc.greater_equal(dot, 0)
    scale = pc.max(pc.if_else(has_dot, pc.subtract(pc.subtract(length, dot), 1), 0)).as_py()
    digits = pc.subtract(pc.if_else(has_dot, dot, length),
                         pc.cast(pc.starts_with(text, "-"), pa.int32()))
    precision = max(pc.max(digits).as_py() + scale, 1)
    decimal = pa.decimal128 if precision <= 38 else pa.decimal256
    try:
        return text.cast(decimal(max(precision, 38), scale))
    except (pa.ArrowInvalid, ValueError):  # NaN, Infinity, or more than 76 digits
        return text.cast(pa.float64())


def _from_postgres(data: pa.Table) -> pa.Table:
    """The driver's result as plain Arrow: NUMERIC as decimals, no driver metadata."""
    columns, fields = [], []
    for field, column in zip(data.schema, data.columns, strict=True):
        if isinstance(field.type, pa.OpaqueType) and field.type.type_name == "numeric":
            column = _numeric_to_decimal(column)
        columns.append(column)
        fields.append(pa.field(field.name, column.type))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


class PostgresWarehouse:
    dialect = "postgres"

    def __init__(self, settings: PostgresSettings) -> None:
        import adbc_driver_postgresql.dbapi

        self.con = adbc_driver_postgresql.dbapi.connect(_conninfo(settings), autocommit=True)
        self._in_tx = False

    def sql_type(self, logical: LogicalType) -> str:
        return _POSTGRES_TYPES[logical]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self.con.cursor() as cur:
            if params:
                cur.execute(postgres_placeholders(sql), params)
            else:  # a simple query: no prepare, several statements allowed
                cur.adbc_statement.set_sql_query(sql)
                cur.adbc_statement.execute_update()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        data = self.query_arrow(sql, params)
        return list(zip(*(column.to_pylist() for column in data.columns), strict=True))

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        with self.con.cursor() as cur:
            cur.execute(postgres_placeholders(sql) if params else sql, params or None)
            return _from_postgres(cur.fetch_arrow_table())

    def append_arrow(self, schema: str, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        data = self._conform(schema, table, data)
        with self.con.cursor() as cur:
            cur.adbc_ingest(table, data, mode="append", db_schema_name=schema)

    def _conform(self, schema: str, table: str, data: pa.Table) -> pa.Table:
        """``data`` with each column cast to its target column's type (COPY needs exact types)."""
        target = {name: _ARROW_FOR_POSTGRES.get(kind) for name, kind in self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?", [schema, table])}
        for i, name in enumerate(data.column_names):
            want = target.get(name)
            if want is None or data.schema.field(i).type == want:
                continue
            try:
                data = data.set_column(i, name, data.column(i).cast(want))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(
                    f'{schema}.{table}: column "{name}" holds {data.schema.field(i).type}, '
                    f"which does not convert to the table's {want} ({exc}); "
                    "build the Arrow column with the table's type"
                ) from exc
        return data

    def columns(self, schema: str, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        )
        return [r[0] for r in rows]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_tx:
            raise RuntimeError("a transaction is already open on this connection; "
                               "transactions do not nest: group the writes in one")
        conn = self.con.adbc_connection
        conn.set_autocommit(False)
        self._in_tx = True
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            self._in_tx = False
            conn.set_autocommit(True)

    def close(self) -> None:
        self.con.close()


def connect(settings: Settings | None = None, read_only: bool = False) -> Warehouse:
    """Open the configured warehouse (``KIZUNA_WAREHOUSE``)."""
    s = settings or get_settings()
    if s.warehouse == "postgres":
        return PostgresWarehouse(s.postgres)
    return DuckDBWarehouse(s.duckdb_path, read_only=read_only,
                           wait_seconds=s.lock_wait_seconds)


@contextlib.contextmanager
def connection(settings: Settings | None = None, read_only: bool = False) -> Iterator[Warehouse]:
    wh = connect(settings, read_only=read_only)
    try:
        yield wh
    finally:
        wh.close()
