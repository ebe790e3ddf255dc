"""Reading the marts the models learn from, and writing the ``ml`` tables they fill.

The ``ml`` tables are defined once, by the ``ml`` source of the dbt project
(``dbt_project/models/marts/ml/_ml__sources.yml``: columns with their data types). dbt's
on-run-start hook creates them from that file; :func:`ensure_ml_tables` does the same
from Python, and :func:`replace_rows` writes in that column order. Writes are idempotent:
the rows of the same key (a scoring date, a model version) are deleted first, in the
same transaction.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml

from kizuna.settings import DBT_PROJECT_DIR
from kizuna.warehouse import Warehouse

log = logging.getLogger(__name__)

ML_SCHEMA = "ml"
ML_SOURCES_YML = DBT_PROJECT_DIR / "models" / "marts" / "ml" / "_ml__sources.yml"


@functools.cache
def ml_tables() -> dict[str, list[tuple[str, str]]]:
    """Every ``ml`` table: its columns as (name, SQL data type), in order."""
    doc = yaml.safe_load(ML_SOURCES_YML.read_text(encoding="utf-8"))
    (source,) = [s for s in doc["sources"] if s["name"] == ML_SCHEMA]
    return {t["name"]: [(c["name"], c["data_type"]) for c in t["columns"]]
            for t in source["tables"]}


def ensure_ml_tables(wh: Warehouse) -> None:
    """Create schema ``ml`` and its tables when missing, and add the columns a table
    written by an earlier version lacks (its old rows keep null there), as dbt's
    on-run-start hook does."""
    wh.execute(f"CREATE SCHEMA IF NOT EXISTS {ML_SCHEMA}")
    for table, columns in ml_tables().items():
        cols = ", ".join(f"{name} {dtype}" for name, dtype in columns)
        wh.execute(f"CREATE TABLE IF NOT EXISTS {ML_SCHEMA}.{table} ({cols})")
        existing = set(wh.columns(ML_SCHEMA, table))
        for name, dtype in columns:
            if name not in existing:
                log.info("ml.%s: adding column %s (written before it existed)", table, name)
                wh.execute(f"ALTER TABLE {ML_SCHEMA}.{table} ADD COLUMN {name} {dtype}")


def read_frame(wh: Warehouse, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
    """A query's result as a pandas frame; decimals (DuckDB's sums of integers, PostgreSQL's
    numerics) arrive as floats."""
    data = wh.query_arrow(sql, params)
    for i, f in enumerate(data.schema):
        if pa.types.is_decimal(f.type):
            data = data.set_column(i, f.name, data.column(i).cast(pa.float64()))
    return data.to_pandas()


def relation_exists(wh: Warehouse, schema: str, table: str) -> bool:
    return bool(wh.columns(schema, table))


_ARROW_TYPES: dict[str, pa.DataType] = {
    "varchar": pa.string(), "double precision": pa.float64(), "bigint": pa.int64(),
    "integer": pa.int32(), "boolean": pa.bool_(), "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def to_arrow(table: str, frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table with exactly the ``ml`` table's columns and types.

    Raises ``ValueError`` naming the columns the frame lacks or has in excess.
    """
    columns = ml_tables()[table]
    names = [n for n, _ in columns]
    missing = [n for n in names if n not in frame.columns]
    extra = [c for c in frame.columns if c not in names]
    if missing or extra:
        raise ValueError(f"ml.{table}: the frame lacks {missing} and has unexpected {extra}; "
                         f"the table's columns are declared in {ML_SOURCES_YML.name}")
    arrays = []
    for name, dtype in columns:
        values = frame[name]
        if dtype == "date":
            values = pd.to_datetime(values).dt.date
        elif dtype == "timestamp":
            values = pd.to_datetime(values)
        arrays.append(pa.array(values.astype(object).where(values.notna(), None).tolist(),
                               type=_ARROW_TYPES[dtype]))
    return pa.Table.from_arrays(arrays, names=names)


def replace_rows(wh: Warehouse, table: str, frame: pd.DataFrame,
                 key: Mapping[str, Any]) -> int:
    """Delete the rows of ``ml.<table>`` matching ``key`` and insert ``frame``, atomically.

    ``key`` maps columns to values (``{"scored_on": date(2026, 9, 30)}``); writing the
    same scores again leaves the same table. Returns the rows written.
    """
    ensure_ml_tables(wh)
    data = to_arrow(table, frame)
    where = " AND ".join(f"{col} = ?" for col in key)
    with wh.transaction():
        wh.execute(f"DELETE FROM {ML_SCHEMA}.{table} WHERE {where}", list(key.values()))
        wh.append_arrow(ML_SCHEMA, table, data)
    log.debug("ml.%s: %d rows for %s", table, data.num_rows, dict(key))
    return data.num_rows
