"""Vendor files -> contract files: run each vendor's adapter over a data interval.

For every vendor of the sources file (:mod:`kizuna.sources.vendors`) and every date folder
in the window where one of its tables has complete files, the vendor tables are read by
the loader's own readers (encodings, unreadable lines) into an in-memory DuckDB engine,
each entity's SQL (:mod:`kizuna.sources.adapters`) runs over them, and

- the rows that map go to ``landing/<source>/<entity>/<date>/<vendor>.parquet`` (all text;
  the loader types, gates and quarantines them like any drop), with the vendor file and
  row each came from as the extra columns ``vendor_file`` and ``vendor_row``;
- the rows left out, with their reasons, go to ``quarantine.vendor_excluded_rows`` and
  the counts per vendor table, entity and reason to ``audit.vendor_mapping``.

Rows in = mapped + excluded for every vendor table an entity is made from; a row the SQL
does not return is excluded as ``not selected by the adapter``. An adapter on a base
(:mod:`kizuna.sources.adapters`) reads its tables into the schema ``vendor``, makes the
base's tables from them with its views, and runs the base's entity SQL over those; rows are
still counted, and excluded rows kept, per table of the vendor. Re-running a day writes
the same bytes (the loader then skips the file) or, after an adapter or configuration
fix, a changed file under the same name, which the loader loads in place of the old one.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from kizuna import ledger
from kizuna.contract import Column, Entity
from kizuna.identifiers import literal, quote, spelling_key
from kizuna.ingest.discovery import DeliveredFile, PendingFile, discover
from kizuna.ingest.readers import reader_for
from kizuna.ledger import MappingCount
from kizuna.settings import Settings, currency_code, get_settings
from kizuna.sources.adapters import (
    MACROS,
    WHOLE_UNIT_CURRENCIES,
    Adapter,
    AdapterError,
    VendorTable,
)
from kizuna.sources.config import DeliverySpec, delivery_specs
from kizuna.sources.vendors import (
    ADAPTED_MARKER,
    VENDOR_LINEAGE,
    VendorSpec,
    vendor_specs,
    with_vendor_outputs,
)
from kizuna.warehouse import connection

log = logging.getLogger(__name__)

NOT_SELECTED = "not selected by the adapter"
_LINEAGE = ("_file", "_row_number", "_excluded")


@dataclass
class AdaptReport:
    """What adapting one window did, per vendor and day."""

    written: list[str] = field(default_factory=list)  # landing paths written or changed
    unchanged: int = 0
    counts: dict[tuple[str, date], list[MappingCount]] = field(default_factory=dict)
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)  # vendor/table -> cols
    pending: list[PendingFile] = field(default_factory=list)

    def rows(self, outcome: str, target: str | None = None) -> int:
        return sum(c.rows for cs in self.counts.values() for c in cs
                   if c.outcome == outcome and target in (None, c.target_table))

    def summary(self) -> str:
        return (f"{len(self.counts)} vendor days adapted, {self.rows('mapped'):,} rows mapped, "
                f"{self.rows('excluded'):,} excluded, {len(self.written)} files written, "
                f"{self.unchanged} unchanged")


def _table_spec(vendor: VendorSpec, table: VendorTable) -> DeliverySpec:
    """A delivery spec that lets the loader's discovery and readers read a vendor table."""
    opts = vendor.table_overrides.get(table.name, {})
    entity = Entity(vendor.name, table.name, (), tuple(Column(c) for c in table.column_names),
                    f"{vendor.adapter.name} table {table.name}")
    return DeliverySpec(entity=entity, format=opts.get("format", table.format),  # type: ignore[arg-type]
                        encoding=opts.get("encoding", table.encoding),
                        timezone=vendor.timezone, done_marker=vendor.done_marker,
                        stable_seconds=vendor.stable_seconds,
                        delimiter=opts.get("delimiter", table.delimiter))


class _Engine:
    """One day of one vendor in an in-memory DuckDB: its tables, the macros, the SQL."""

    def __init__(self, vendor: VendorSpec, tmpdir: Path) -> None:
        self.vendor = vendor
        self.tmpdir = tmpdir
        self.eng = duckdb.connect()
        self.eng.execute("SET TimeZone = 'UTC'")
        self.eng.execute("SET threads = 2")
        currency = currency_code()
        self.eng.execute(f"SET VARIABLE reporting_currency = {literal(currency)}")
        self.eng.execute("SET VARIABLE vendor_currency = "
                         f"{literal(vendor.currency or currency)}")
        self.eng.execute("SET VARIABLE reporting_decimals = "
                         f"{0 if currency in WHOLE_UNIT_CURRENCIES else 2}")
        self.eng.execute(
            "CREATE TABLE kz_currency_rates (currency_code VARCHAR, rate DECIMAL(18, 6))")
        if vendor.currency_rates:
            self.eng.executemany("INSERT INTO kz_currency_rates VALUES (?, ?)",
                                 list(vendor.currency_rates.items()))
        for macro in MACROS:
            self.eng.execute(macro)
        # an adapter on a base: its tables apart, the entity SQL reads the base's names
        self.schema = "vendor" if vendor.adapter.base else "main"
        if vendor.adapter.base:
            self.eng.execute("CREATE SCHEMA vendor")
        self.unknown: dict[str, list[str]] = {}
        self.with_history: set[str] = set()  # tables the entity SQL reads by name

    def rel(self, name: str) -> str:
        """A vendor table's relation (``<table>``, ``<table>__unreadable``, ...)."""
        return f"{self.schema}.{quote(name)}"

    def close(self) -> None:
        self.eng.close()

    def register(self, table: VendorTable, spec: DeliverySpec, name: str,
                 files: Sequence[DeliveredFile]) -> None:
        """Read ``files`` into engine table ``name`` with every documented column (NULL
        where a file lacks it) and the ``_interval`` each file belongs to; unreadable
        lines go to ``<name>__unreadable``."""
        reader = reader_for(spec, self.eng, self.tmpdir)
        if not table.header:
            files = [_with_header(f, table, self.tmpdir) for f in files]
        result = reader.read([f for f in files if f.size > 0])
        present = result.columns
        extra = [c for c in present if c not in table.column_names]
        _check_headers(self.vendor, table, present)
        if extra:
            self.unknown[table.name] = extra
        cols = [*table.column_names, *extra]
        exprs = ", ".join(quote(c) if c in present else f"NULL::VARCHAR AS {quote(c)}"
                          for c in cols)
        self.eng.execute("CREATE OR REPLACE TEMP TABLE file_interval (_file VARCHAR, "
                         "_interval DATE)")
        if files:
            self.eng.executemany("INSERT INTO file_interval VALUES (?, ?)",
                                 [(f.relpath, f.interval) for f in files])
        self.eng.execute(f"CREATE OR REPLACE TABLE {self.rel(name)} AS SELECT d._file, "
                         f"d._row_number{', ' + exprs if exprs else ''}, i._interval "
                         "FROM delivered d JOIN file_interval i USING (_file)")
        self.eng.execute(f"CREATE OR REPLACE TABLE {self.rel(name + '__unreadable')} AS "
                         "SELECT u.*, i._interval FROM unreadable u JOIN file_interval i "
                         "USING (_file)")

    def build_views(self) -> None:
        """An adapter on a base: each base table (``<table>__all``, every interval read)
        from the view that stands for it, cast to text; a base table no view stands for,
        empty. A base column the view does not return by its name is the view's column
        spelt alike (:func:`kizuna.identifiers.spelling_key`: ``account_id`` is
        ``accountid``), else NULL."""
        adp = self.vendor.adapter
        assert adp.base is not None
        ctes = ", ".join(f"{quote(t)} AS (SELECT * EXCLUDE (_interval) FROM "
                         f"{self.rel(t + '__all')})" for t in adp.tables)
        vendor_columns = {c for t in adp.tables.values() for c in t.column_names}
        vendor_columns |= {c for cols in self.unknown.values() for c in cols}
        made: set[str] = set()
        for view in adp.views.values():
            where = f"adapter {adp.name}, views/{view.table}.sql"
            try:
                self.eng.execute(f"CREATE OR REPLACE TEMP TABLE view_out AS WITH {ctes} "
                                 f"SELECT * FROM (\n{view.sql.strip().rstrip(';')}\n)")
            except duckdb.Error as err:
                raise AdapterError(f"{where}: {str(err).splitlines()[0]}") from err
            documented = adp.base.tables[view.base_table].column_names
            got = [r[0] for r in self.eng.execute("DESCRIBE view_out").fetchall()]
            if not {"_file", "_row_number"} <= set(got):
                raise AdapterError(f"{where} returns no _file and _row_number (every row "
                                   "says which vendor row it is)")
            got = [c for c in got if c not in ("_file", "_row_number")]
            made_up = [c for c in got if c not in documented and c not in vendor_columns]
            if made_up:
                raise AdapterError(f"{where} returns {made_up}: neither a column of "
                                   f"{adp.base.name} table {view.base_table} nor of {adp.name}")
            exprs = []
            for col in documented:
                alike = [c for c in got if spelling_key(c) == spelling_key(col)]
                source = col if col in got else alike[0] if len(alike) == 1 else None
                if source is None and alike:
                    raise AdapterError(f"{where}: {alike} are all spelt like {adp.base.name}'s "
                                       f"{view.base_table}.{col}; return one of them as {col}")
                exprs.append(f"CAST(v.{quote(source)} AS VARCHAR) AS {quote(col)}" if source
                             else f"NULL::VARCHAR AS {quote(col)}")
            self.eng.execute(
                f"CREATE TABLE {quote(view.base_table + '__all')} AS SELECT v._file, "
                f"CAST(v._row_number AS BIGINT) AS _row_number, {', '.join(exprs)}, "
                f"i._interval FROM view_out v JOIN (SELECT DISTINCT _file, _interval FROM "
                f"{self.rel(view.table + '__all')}) i USING (_file)")
            self.eng.execute(
                f"CREATE TABLE {quote(view.base_table + '__all__unreadable')} AS "
                f"SELECT * FROM {self.rel(view.table + '__all__unreadable')}")
            made.add(view.base_table)
        for name, table in adp.base.tables.items():
            if name in made:
                continue
            cols = "".join(f", NULL::VARCHAR AS {quote(c)}" for c in table.column_names)
            self.eng.execute(f"CREATE TABLE {quote(name + '__all')} AS SELECT "
                             f"NULL::VARCHAR AS _file, NULL::BIGINT AS _row_number{cols}, "
                             "NULL::DATE AS _interval WHERE false")
            self.eng.execute(
                f"CREATE TABLE {quote(name + '__all__unreadable')} AS SELECT "
                f"* FROM {self.rel(next(iter(adp.tables)) + '__all__unreadable')} WHERE false")

    def show_day(self, day: date) -> None:
        """Point the relations the SQL reads at ``day``: ``<table>`` (that day's rows) and
        ``<table>__history`` (every day up to it; also ``<table>_history`` unless a table
        has that name); for an adapter on a base, the base's tables, and the vendor's own
        (that day's rows, in schema ``vendor``) for counting."""
        adp = self.vendor.adapter
        for table in adp.tables:
            self._show(table, day, False if adp.base else table in self.with_history)
        if adp.base:
            for table in adp.base.tables:
                self._show(table, day, table in self.with_history, "main")

    def _show(self, table: str, day: date, with_history: bool, schema: str | None = None
              ) -> None:
        schema = schema or self.schema
        d = f"DATE {literal(day.isoformat())}"
        source = f"{schema}.{quote(table + '__all')}"
        self.eng.execute(f"CREATE OR REPLACE VIEW {schema}.{quote(table)} AS SELECT * EXCLUDE "
                         f"(_interval) FROM {source} WHERE _interval = {d}")
        self.eng.execute(
            f"CREATE OR REPLACE VIEW {schema}.{quote(table + '__unreadable')} AS SELECT * "
            f"EXCLUDE (_interval) FROM {schema}.{quote(table + '__all__unreadable')} "
            f"WHERE _interval = {d}")
        if with_history:
            history = f"SELECT * FROM {source} WHERE _interval <= {d}"
            self.eng.execute(f"CREATE OR REPLACE VIEW {quote(table + '__history')} AS {history}")
            if table + "_history" not in self.vendor.adapter.sql_tables:  # a table's name
                self.eng.execute(
                    f"CREATE OR REPLACE VIEW {quote(table + '_history')} AS {history}")

    def run(self, table: str, sql: str) -> str:
        """Run an entity's SELECT into ``out``; its columns, checked."""
        try:
            self.eng.execute(f"CREATE OR REPLACE TABLE out AS {sql}")
        except duckdb.Error as err:
            raise AdapterError(f"adapter {self.vendor.adapter.name}, {table}.sql: "
                               f"{str(err).splitlines()[0]}") from err
        return table


def _entity(table: str) -> Entity:
    from kizuna.contract import ENTITIES

    return next(e for e in ENTITIES if e.table == table)


def _with_header(f: DeliveredFile, table: VendorTable, tmpdir: Path) -> DeliveredFile:
    """A copy of a header-less CSV file with the documented columns as its header line
    (rows keep their numbers: row 1 is the file's first line), ended as the file's own
    lines end (a CRLF header over LF lines is a mix DuckDB's strict reader refuses)."""
    if f.size == 0:
        return f
    data = f.path.read_bytes()
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    first_line = data[:data.find(b"\n") + 1]
    newline = "\r\n" if first_line.endswith(b"\r\n") or not first_line else "\n"
    header = (table.delimiter.join(table.columns) + newline).encode(
        "cp932" if table.encoding == "cp932" else "utf-8")
    copy = tmpdir / f"header-{abs(hash(f.relpath)):x}-{f.path.name}"
    copy.write_bytes(bom + header + data[len(bom):])
    return replace(f, path=copy, size=copy.stat().st_size)


def _check_headers(vendor: VendorSpec, table: VendorTable, present: Sequence[str]) -> None:
    """A misspelt documented column is an error naming the nearest one; other unknown
    columns (custom properties) are only listed."""
    missing = [c for c in table.column_names if c not in present]
    for col in present:
        if col in table.column_names or col.startswith("_"):
            continue
        near = difflib.get_close_matches(col, missing, n=1, cutoff=0.85)
        if near:
            raise AdapterError(
                f"{vendor.name}/{table.name}: column {col!r} is not one the adapter "
                f"{vendor.adapter.name} knows; did you mean {near[0]!r}? (rename the header, "
                "or the rows would load without it)")


def _check_folders(landing: Path, vendor: VendorSpec) -> None:
    """Every folder under ``landing/<vendor>/`` must be a table of its adapter."""
    root = landing / vendor.name
    if not root.is_dir():
        return
    tables = list(vendor.adapter.tables)
    for folder in sorted(p.name for p in root.iterdir() if p.is_dir()):
        if folder in tables or folder.startswith((".", "_")):
            continue
        near = difflib.get_close_matches(folder, tables, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise AdapterError(
            f"landing/{vendor.name}/{folder}: not a table of adapter {vendor.adapter.name}; "
            f"{hint}(its tables: {', '.join(tables)})")


def _write_atomically(data: pa.Table, target: Path, eng: duckdb.DuckDBPyConnection) -> bool:
    """Write ``data`` as Parquet at ``target`` unless the same bytes are there; True if written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    eng.register("to_write", data)
    try:
        eng.execute(f"COPY (SELECT * FROM to_write) TO {literal(str(tmp))} "
                    "(FORMAT parquet, COMPRESSION zstd)")
    finally:
        eng.unregister("to_write")
    if target.exists() and target.read_bytes() == tmp.read_bytes():
        tmp.unlink()
        return False
    os.replace(tmp, target)
    return True


def _adapt_day(engine: _Engine, day: date, today: dict[str, list[DeliveredFile]],
               specs: dict[str, DeliverySpec], landing: Path, now: datetime,
               report: AdaptReport) -> tuple[list[MappingCount], pa.Table]:
    vendor = engine.vendor
    adp: Adapter = vendor.adapter
    counts: list[MappingCount] = []
    excluded_parts: list[pa.Table] = []
    engine.show_day(day)
    for target, sources in adp.entities.items():
        if not any(today.get(t) for t in sources):
            continue
        engine.run(target, adp.queries[target])
        entity = _entity(target)
        out_cols = [r[0] for r in engine.eng.execute("DESCRIBE out").fetchall()]
        unknown = [c for c in out_cols if c not in entity.column_names and c not in _LINEAGE]
        missing = [c for c in _LINEAGE if c not in out_cols]
        if unknown or missing:
            raise AdapterError(
                f"adapter {adp.name}, {target}.sql returns "
                + (f"columns the contract does not have: {unknown}" if unknown else "")
                + ("; " if unknown and missing else "")
                + (f"no {missing} (every row says where it came from and whether it "
                   "is excluded)" if missing else ""))
        relations = {t: (engine.rel(t), engine.rel(t + "__unreadable")) for t in sources}
        counts += _account(engine.eng, target, relations)
        excluded_parts.append(_excluded_rows(engine.eng, vendor, day, target, relations, now))
        select = ", ".join(
            (f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" if c in out_cols
             else f"NULL::VARCHAR AS {quote(c)}") for c in entity.column_names)
        mapped = engine.eng.sql(
            f"SELECT {select}, _file AS {VENDOR_LINEAGE[0]}, CAST(_row_number AS BIGINT) AS "
            f"{VENDOR_LINEAGE[1]} FROM out WHERE _excluded IS NULL ORDER BY _file, _row_number"
        ).to_arrow_table()
        spec = specs[target]
        path = (landing / spec.entity.source / spec.entity.name / day.isoformat()
                / f"{vendor.name}.parquet")
        if _write_atomically(mapped, path, engine.eng):
            report.written.append(str(path.relative_to(landing)))
        else:
            report.unchanged += 1
        (path.parent / ADAPTED_MARKER).touch()
    excluded = pa.concat_tables(excluded_parts) if excluded_parts else pa.table({})
    return counts, excluded


def _account(eng: duckdb.DuckDBPyConnection, target: str,
             relations: dict[str, tuple[str, str]]) -> list[MappingCount]:
    """Rows in per vendor table = mapped + excluded by reason (+ not selected);
    ``relations``: each vendor table the entity is made from -> the relations of its rows
    and of its unreadable lines."""
    out: list[MappingCount] = []
    for t, (rel, unreadable) in relations.items():
        rows = eng.execute(
            f"""WITH src AS (SELECT _file, _row_number FROM {rel}),
                got AS (SELECT _file, _row_number,
                               min(_excluded) FILTER (WHERE _excluded IS NOT NULL) AS why,
                               bool_or(_excluded IS NULL) AS mapped
                        FROM out GROUP BY ALL),
                per_row AS (
                    SELECT CASE WHEN got.mapped THEN 'mapped' ELSE 'excluded' END AS outcome,
                           CASE WHEN got._file IS NULL THEN {literal(NOT_SELECTED)}
                                WHEN NOT got.mapped THEN got.why END AS reason
                    FROM src LEFT JOIN got USING (_file, _row_number)
                    UNION ALL
                    SELECT 'excluded', 'unreadable: ' || reason FROM {unreadable})
                SELECT outcome, reason, count(*) FROM per_row GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
        out += [MappingCount(t, target, r[0], r[1], int(r[2])) for r in rows]
    return out


def _excluded_rows(eng: duckdb.DuckDBPyConnection, vendor: VendorSpec, day: date, target: str,
                   relations: dict[str, tuple[str, str]], now: datetime) -> pa.Table:
    """Each excluded vendor row with its reason and its text, for the quarantine."""
    parts = []
    for rel, unreadable in relations.values():
        parts.append(
            f"""SELECT s._file AS vendor_file, s._row_number AS row_number,
                       coalesce(g.why, {literal(NOT_SELECTED)}) AS reason,
                       to_json(s)::VARCHAR AS raw_text
                FROM {rel} s LEFT JOIN (
                    SELECT _file, _row_number, min(_excluded) AS why,
                           bool_or(_excluded IS NULL) AS mapped FROM out GROUP BY ALL
                ) g USING (_file, _row_number)
                WHERE g.mapped IS NULL OR NOT g.mapped
                UNION ALL
                SELECT _file, _row_number, 'unreadable: ' || reason, raw_text
                FROM {unreadable}""")
    return eng.sql(
        f"""SELECT {literal(vendor.name)} AS vendor, DATE {literal(day.isoformat())}
                   AS data_interval, vendor_file, CAST(row_number AS BIGINT) AS row_number,
                   {literal(target)} AS target_table, reason, raw_text,
                   ?::TIMESTAMP AS excluded_at
            FROM ({' UNION ALL '.join(parts)}) ORDER BY vendor_file, row_number""",
        params=[now],
    ).to_arrow_table()


def adapt_window(start: date, end: date, settings: Settings | None = None,
                 vendors: dict[str, VendorSpec] | None = None) -> AdaptReport:
    """Adapt every vendor's complete date folders in ``[start, end)`` into contract files.

    Does nothing when the sources file names no vendor."""
    s = settings or get_settings()
    vendors = vendor_specs() if vendors is None else vendors
    report = AdaptReport()
    if not vendors:
        return report
    specs = with_vendor_outputs(delivery_specs(), vendors)
    now = datetime.now(UTC).replace(tzinfo=None)
    results: list[tuple[VendorSpec, date, list[MappingCount], pa.Table]] = []
    with tempfile.TemporaryDirectory(prefix="kizuna-adapt-") as tmp:
        for vendor in vendors.values():
            _check_folders(s.landing, vendor)
            adp = vendor.adapter
            sqls = "\n".join(adp.queries.values())
            names = adp.sql_tables
            # lookups that arrive once are read from every day up to the window's end
            engine_history = {t for t in names if re.search(rf"\b{re.escape(t)}__history\b", sqls)
                              or (t + "_history" not in names
                                  and re.search(rf"\b{re.escape(t)}_history\b", sqls))}
            today: dict[date, dict[str, list[DeliveredFile]]] = defaultdict(dict)
            engine = _Engine(vendor, Path(tmp))
            try:
                for table in adp.tables.values():
                    spec = _table_spec(vendor, table)
                    found = discover(s.landing, spec, start, end)
                    report.pending += found.pending
                    for f in found.files:
                        today[f.interval].setdefault(table.name, []).append(f)
                    files = found.files
                    view = adp.views.get(table.name)
                    # on a base: a table no base table stands for is a view's lookup
                    if (view.base_table in engine_history if view else
                            bool(adp.base) or table.name in engine_history):
                        files = discover(s.landing, spec, date.min, end).files
                    engine.register(table, spec, table.name + "__all", files)
                engine.with_history = engine_history
                if adp.base:
                    engine.build_views()
                for name, cols in engine.unknown.items():
                    report.unknown_columns[f"{vendor.name}/{name}"] = cols
                for day in sorted(today):
                    counts, excluded = _adapt_day(engine, day, today[day], specs, s.landing,
                                                  now, report)
                    report.counts[(vendor.name, day)] = counts
                    results.append((vendor, day, counts, excluded))
                    log.info("%s %s: %d rows mapped, %d excluded", vendor.name, day,
                             sum(c.rows for c in counts if c.outcome == "mapped"),
                             sum(c.rows for c in counts if c.outcome == "excluded"))
            finally:
                engine.close()
    if results:
        with connection(s) as wh:
            ledger.ensure_ledger(wh)
            for vendor, day, counts, excluded in results:
                ledger.record_vendor_mapping(wh, vendor.name, vendor.adapter.name, day, counts,
                                             excluded, now)
    for where, cols in report.unknown_columns.items():
        log.warning("%s: columns the adapter does not know (kept out of the mapping): %s",
                    where, ", ".join(cols))
    log.info("adapt %s..%s: %s", start, end, report.summary())
    return report
