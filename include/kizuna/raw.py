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


def add_delivered_columns(wh: Warehouse, table: str, names: Iterable[str]) -> None:
    """Keep columns a source delivers beyond the contract, as text."""
    existing = {c.lower() for c in wh.columns("raw", table)}
    for name in names:
        if name.lower() not in existing:
            log.info("raw.%s: new delivered column %r kept as text", table, name)
            wh.execute(f"ALTER TABLE raw.{quote(table)} ADD COLUMN {quote(name)} "
                       f"{wh.sql_type('text')}")
