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

DuckDB allows one writing process. Airflow serialises writing tasks with a one-slot
pool; :func:`connect` also waits (with a clear message) while another process holds
the file, so a CLI call during a DAG run queues instead of failing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from kizuna.contract import LogicalType
from kizuna.identifiers import quote
from kizuna.settings import PostgresSettings, Settings, get_settings

log = logging.getLogger(__name__)

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
    return DuckDBWarehouse(s.duckdb_path, read_only=read_only)


@contextlib.contextmanager
def connection(settings: Settings | None = None, read_only: bool = False) -> Iterator[Warehouse]:
    wh = connect(settings, read_only=read_only)
    try:
        yield wh
    finally:
        wh.close()
