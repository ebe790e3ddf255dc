"""The raw schema: one table per contract entity, every delivered column plus lineage.

The loader writes these tables and the quality gate reads them (its referential checks
look at other entities), so both create them from here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kizuna.contract import ENTITIES, Entity
from kizuna.identifiers import quote
from kizuna.warehouse import Warehouse

log = logging.getLogger(__name__)


def ensure_raw_tables(wh: Warehouse, entities: Iterable[Entity] = ENTITIES) -> None:
    """Create schema ``raw`` and its contract tables if they do not exist."""
    text, timestamp, integer = wh.sql_type("text"), wh.sql_type("timestamp"), wh.sql_type("int")
    wh.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for ent in entities:
        cols = [f"{quote(c.name)} {wh.sql_type(c.type)}" for c in ent.columns]
        cols += [
            f'"_batch_id" {text} NOT NULL',
            f'"_loaded_at" {timestamp} NOT NULL',
            f'"_source_file" {text} NOT NULL',
            f'"_row_number" {integer} NOT NULL',
        ]
        wh.execute(f"CREATE TABLE IF NOT EXISTS raw.{quote(ent.table)} ({', '.join(cols)})")
        _widen_amounts(wh, ent)


def _widen_amounts(wh: Warehouse, ent: Entity) -> None:
    """Amount columns of a warehouse made when amounts were whole numbers become decimals
    (else a decimal amount loaded into them would be rounded)."""
    amounts = [c.name for c in ent.columns if c.type == "amount"]
    if not amounts:
        return
    found = dict(wh.query(
        "SELECT column_name, lower(data_type) FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = ?", [ent.table]))
    for col in amounts:
        if found.get(col, "") not in ("bigint", "integer", "int8", "int4", "hugeint"):
            continue
        log.info("raw.%s.%s: whole-number amounts widened to decimals", ent.table, col)
        try:
            wh.execute(f"ALTER TABLE raw.{quote(ent.table)} ALTER COLUMN {quote(col)} "
                       f"TYPE {wh.sql_type('amount')}")
        except Exception as err:  # PostgreSQL: a view over the column blocks the change
            raise RuntimeError(
                f"raw.{ent.table}.{col} holds whole-number amounts from an earlier version "
                f"and could not be widened to decimals ({str(err).splitlines()[0]}); drop the "
                "staging views (or the schema staging) and run again") from err


def add_delivered_columns(wh: Warehouse, table: str, names: Iterable[str]) -> None:
    """Keep columns a source delivers beyond the contract, as text."""
    existing = {c.lower() for c in wh.columns("raw", table)}
    for name in names:
        if name.lower() not in existing:
            log.info("raw.%s: new delivered column %r kept as text", table, name)
            wh.execute(f"ALTER TABLE raw.{quote(table)} ADD COLUMN {quote(name)} "
                       f"{wh.sql_type('text')}")
