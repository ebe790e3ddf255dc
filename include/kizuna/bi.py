"""What BI tools read: the marts, and nothing below them.

BI tools (Metabase, Superset, Tableau, Excel) are given schema ``marts`` only
(:data:`BI_SCHEMAS`). The marts carry no clear-text personal data: a person is an
``email_hash`` (dbt macro ``person_hash``), and e-mail, names, department, title and phone
live in schema ``restricted``; the activation lists (schema ``exports``), the snapshots,
``raw``, ``quarantine``, ``staging``, ``intermediate``, ``identity``, ``ml`` and ``audit``
are the pipeline's own.

After each transform and each scoring run, :func:`publish` makes the marts readable:

- DuckDB: the marts are copied to a file of their own, ``bi.duckdb`` beside the pipeline's
  (:func:`bi_database_path`), which BI tools open read-only. It is written to a temporary
  file in the same folder and renamed over the old one, so a BI tool sees the previous
  publication or the new one, never half of one, and never holds the pipeline's file (a
  DuckDB file has one writer: a BI tool reading it would block the next load).
- PostgreSQL: the role :data:`BI_ROLE` (made by ``deploy/postgres-init.sql``, which a
  superuser runs) may use schema ``marts`` and select its tables, now and whenever dbt
  rebuilds one (default privileges); it is granted nothing else, so it cannot read the
  schemas below.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kizuna.identifiers import literal, quote
from kizuna.settings import Settings, get_settings

if TYPE_CHECKING:
    from kizuna.warehouse import DuckDBWarehouse

log = logging.getLogger(__name__)

#: The schemas BI tools may read.
BI_SCHEMAS = ("marts",)
#: The PostgreSQL role BI tools log in as (or that their own logins are members of).
BI_ROLE = "kizuna_bi"
#: The file BI tools open on DuckDB, beside the pipeline's warehouse file.
BI_DATABASE_NAME = "bi.duckdb"
#: The key of the marts' person hashes when ``KIZUNA_HASH_SECRET`` is unset or empty: public,
#: for the demo only (dbt macro ``person_hash_secret``).
DEMO_HASH_SECRET = "kizuna-demo-hash-secret"


def person_hash(value: str | None) -> str | None:
    """The marts' keyed hash of a personal value (``email_hash``), as the dbt macro
    ``person_hash`` computes it: SHA-256 (hex) of ``KIZUNA_HASH_SECRET`` followed by the
    value trimmed of spaces and in lower case (SQL's ``trim`` and ``lower``); None for a
    missing or blank value."""
    if value is None or not value.strip(" "):
        return None
    secret = os.environ.get("KIZUNA_HASH_SECRET") or DEMO_HASH_SECRET
    return hashlib.sha256((secret + value.strip(" ").lower()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Publication:
    """What :func:`publish` made readable: ``tables`` (schema.table -> rows on DuckDB, -1
    on PostgreSQL, where nothing is copied), where (the BI file, or the role), and how long
    it took."""

    target: str
    tables: dict[str, int]
    seconds: float


def bi_database_path(settings: Settings | None = None) -> Path:
    """The DuckDB file BI tools open: ``bi.duckdb`` beside the pipeline's warehouse file."""
    s = settings or get_settings()
    return s.duckdb_path.with_name(BI_DATABASE_NAME)


def publish(settings: Settings | None = None) -> Publication:
    """Make the marts (:data:`BI_SCHEMAS`) readable by BI tools, as the warehouse allows:
    a fresh ``bi.duckdb`` (DuckDB) or the BI role's grants (PostgreSQL)."""
    s = settings or get_settings()
    started = time.monotonic()
    if s.warehouse == "postgres":
        target, tables = BI_ROLE, _grant_bi_role(s)
    else:
        path = bi_database_path(s)
        target, tables = str(path), _write_bi_database(s, path)
    publication = Publication(target, tables, time.monotonic() - started)
    log.info("published %d marts to %s in %.1fs", len(tables), target, publication.seconds)
    return publication


def _write_bi_database(settings: Settings, path: Path) -> dict[str, int]:
    """Copy every table and view of :data:`BI_SCHEMAS` (as tables, with their dbt
    descriptions) into a new DuckDB file, then rename it over ``path``."""
    from kizuna.warehouse import DuckDBWarehouse

    if path.resolve() == settings.duckdb_path.resolve():
        raise ValueError(f"the BI file {path} would be the pipeline's own warehouse file: "
                         f"name the warehouse file something other than {BI_DATABASE_NAME}")
    # same folder: the rename stays on one file system, which is what makes it atomic
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    copied: dict[str, int] = {}
    wh = DuckDBWarehouse(settings.duckdb_path, wait_seconds=settings.lock_wait_seconds)
    try:
        wh.execute(f"ATTACH {literal(str(partial))} AS kizuna_bi")
        try:
            relations = wh.query(
                "SELECT table_schema, table_name FROM information_schema.tables "
                f"WHERE table_catalog = current_database() AND table_schema IN "
                f"({', '.join('?' for _ in BI_SCHEMAS)}) ORDER BY 1, 2", list(BI_SCHEMAS))
            for schema in sorted({schema for schema, _ in relations}):
                wh.execute(f"CREATE SCHEMA kizuna_bi.{quote(schema)}")
            for schema, table in relations:
                name = f"{quote(schema)}.{quote(table)}"
                wh.execute(f"CREATE TABLE kizuna_bi.{name} AS SELECT * FROM {name}")
                copied[f"{schema}.{table}"] = wh.query(
                    f"SELECT count(*) FROM kizuna_bi.{name}")[0][0]
            _copy_descriptions(wh, list(BI_SCHEMAS))
            wh.execute("CHECKPOINT kizuna_bi")
        finally:
            wh.execute("DETACH kizuna_bi")
        os.replace(partial, path)
    finally:
        wh.close()
        partial.unlink(missing_ok=True)
    return copied


def _copy_descriptions(wh: DuckDBWarehouse, schemas: list[str]) -> None:
    """dbt's descriptions (persist_docs: table and column comments), so a BI tool shows
    them next to each table and column."""
    marks = ", ".join("?" for _ in schemas)
    for schema, table, comment in wh.query(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() "
            f"WHERE database_name = current_database() AND schema_name IN ({marks}) "
            "AND comment IS NOT NULL", schemas):
        wh.execute(f"COMMENT ON TABLE kizuna_bi.{quote(schema)}.{quote(table)} "
                   f"IS {literal(comment)}")
    for schema, table, column, comment in wh.query(
            "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
            f"WHERE database_name = current_database() AND schema_name IN ({marks}) "
            "AND comment IS NOT NULL", schemas):
        wh.execute(f"COMMENT ON COLUMN kizuna_bi.{quote(schema)}.{quote(table)}."
                   f"{quote(column)} IS {literal(comment)}")


def _grant_bi_role(settings: Settings) -> dict[str, int]:
    """Let :data:`BI_ROLE` read every table of :data:`BI_SCHEMAS`, and the tables dbt makes
    there later (dbt rebuilds a table as a new one and renames it: default privileges give
    the new table the same grant). Nothing happens when the role does not exist (a
    deployment made before the role, or without BI): the log says how to make it."""
    from kizuna.warehouse import connection

    with connection(settings) as wh:
        if not wh.query("SELECT 1 FROM pg_roles WHERE rolname = ?", [BI_ROLE]):
            log.warning("PostgreSQL role %s does not exist: BI tools cannot read the marts. "
                        "A superuser makes it with deploy/postgres-init.sql (see README, "
                        "'Where BI tools connect').", BI_ROLE)
            return {}
        role = quote(BI_ROLE)
        published: dict[str, int] = {}
        for schema in BI_SCHEMAS:
            if not wh.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?",
                            [schema]):
                continue
            wh.execute(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {role}")
            wh.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {quote(schema)} TO {role}")
            wh.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quote(schema)} "
                       f"GRANT SELECT ON TABLES TO {role}")
            published.update({f"{schema}.{t}": -1 for (t,) in wh.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [schema])})
    return published
