"""Vendor adapters: a vendor's tables in, the raw contract's entities out, written in SQL.

An adapter is a folder beside this module (``hubspot_export/``, ``salesforce_fivetran/``,
...) holding

- ``adapter.yml``: what it reads. ``tables``: each vendor table (the landing folder name
  under ``landing/<vendor>/``) with its file ``format`` (csv, jsonl, parquet), optional
  ``encoding`` and ``delimiter``, and the ``columns`` the vendor documents (headers as
  delivered; they are matched after :func:`kizuna.identifiers.column_name`, so ``Record ID``
  is ``record_id`` in SQL; ``header: false`` for CSV files without a header line, whose
  columns are then the documented ones in order). ``entities``: each contract table it
  produces and the vendor
  table(s) its rows come from.
- ``<raw table>.sql`` per produced entity (``ma_leads.sql``, ``crm_opportunities.sql``):
  one DuckDB ``SELECT`` over the vendor tables, returning the contract's columns (as
  text or typed; the loader types them), the vendor row it came from (``_file``,
  ``_row_number`` of a table listed for the entity) and ``_excluded``: NULL for a row
  that maps, else the reason it is left out (``'e-mail event type DELIVERED has no
  contract activity type'``). Every row of the entity's vendor tables must come out,
  mapped or excluded; a row that does not is counted as excluded with the reason
  ``not selected by the adapter``, so nothing is lost silently.

In the SQL, each vendor table is a relation of the data interval's rows (all text), and
``<table>__history`` (or ``<table>_history``, unless a vendor table has that name, as
Salesforce's ``opportunity_history`` does) holds the rows of every interval up to this one
(with ``_interval``), for lookups that arrive once (associations, activity types, programs).
Macros for the date and amount forms vendors use are defined for every adapter (see
:data:`MACROS`): epoch seconds and milliseconds, `` UTC``, M/D/Y with AM/PM, Y/M/D,
2026年3月2日, amounts with signs and separators, currencies; and the value maps a vendor
family's shapes share (``macros/marketo.sql``: ``kz_marketo_lead_source``,
``kz_marketo_channel``, ``kz_marketo_activity_type``). The runner is
:mod:`kizuna.ingest.adapt`.

**An adapter on a base.** The same vendor data often arrives in two shapes (the vendor's
export files, and the tables a loading tool such as Fivetran lands) that differ in names
and not in meaning. Such an adapter names the other as its ``base`` (a shipped adapter, or
a path from its own folder: ``../acme_crm``) and maps nothing itself. Instead of
``entities`` and their SQL, its ``adapter.yml`` has ``views``: each of its tables and the
base table it stands for (``opportunity_history: opportunityhistory``), with
``views/<table>.sql`` beside it, one DuckDB ``SELECT`` over its tables (every data
interval the run reads; the runner adds which interval each row belongs to) that returns
the table's rows in the base table's columns, ``_file`` and ``_row_number`` passed
through. A base column the view does not return by its name is the view's column spelt
alike (:func:`kizuna.identifiers.spelling_key`: ``opportunity_id`` is ``OpportunityId``,
``product_2_id`` is ``Product2Id``), else NULL; a column that neither adapter documents is
an error. What the base SQL reads as a flag the view sets from the vendor's own (a row
Fivetran marks ``_fivetran_deleted`` comes out with ``isdeleted`` true). A view should
return each row once: a row it drops is counted ``not selected by the adapter``, so flag
the rows the base SQL leaves out rather than filter them (a lookup that no entity is made
from may filter). The base's entity SQL then runs unchanged over the views, by the base's
names (``<base table>_history`` too); a base table no view stands for is empty. Rows in,
mapped and excluded are counted per table of the adapter on the base, and an excluded row
is kept as its table delivered it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kizuna.contract import ENTITIES
from kizuna.identifiers import column_name

ADAPTERS_DIR = Path(__file__).parent
TABLE_FORMATS = ("csv", "jsonl", "parquet")
_TABLE_KEYS = {"format", "encoding", "delimiter", "columns", "description", "header"}
_KEYS = {"description", "tables", "entities", "base", "views"}
_CONTRACT_TABLES = {e.table: e for e in ENTITIES}

#: DuckDB macros every adapter's SQL may use. Timestamps come out as ISO text: with
#: ``+00:00`` where the vendor's form says UTC (epoch numbers, `` UTC``, ``Z``), without
#: an offset where it gives local time (then the vendor's configured timezone applies
#: at load). A value no form matches passes through unchanged, so the loader quarantines
#: it with its reason instead of the adapter hiding it.
MACROS: tuple[str, ...] = (
    """CREATE OR REPLACE MACRO kz_trim(v) AS nullif(trim(CAST(v AS VARCHAR)), '')""",
    # 2026年3月2日 (with or without a time after it) as an ISO date
    """CREATE OR REPLACE MACRO kz_japanese_date(v) AS strftime(make_date(
        CAST(regexp_extract(v, '([0-9]{4})年', 1) AS INTEGER),
        CAST(regexp_extract(v, '年\\s*([0-9]{1,2})月', 1) AS INTEGER),
        CAST(regexp_extract(v, '月\\s*([0-9]{1,2})日', 1) AS INTEGER)), '%Y-%m-%d')""",
    """CREATE OR REPLACE MACRO kz_timestamp(v) AS CASE
        WHEN kz_trim(v) IS NULL THEN NULL
        WHEN regexp_full_match(kz_trim(v), '[0-9]{4}年\\s*[0-9]{1,2}月\\s*[0-9]{1,2}日.*')
            THEN coalesce(strftime(try_strptime(kz_japanese_date(kz_trim(v)) || ' '
                || regexp_extract(kz_trim(v), '日\\s*([0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)', 1),
                ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M']), '%Y-%m-%dT%H:%M:%S'),
                kz_japanese_date(kz_trim(v)))
        WHEN regexp_full_match(kz_trim(v), '-?[0-9]{11,13}')
            THEN strftime(make_timestamp(CAST(kz_trim(v) AS BIGINT) * 1000),
                          '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'
        WHEN regexp_full_match(kz_trim(v), '[0-9]{9,10}')
            THEN strftime(make_timestamp(CAST(kz_trim(v) AS BIGINT) * 1000000),
                          '%Y-%m-%dT%H:%M:%S') || '+00:00'
        WHEN regexp_full_match(kz_trim(v), '.+ UTC')
            THEN regexp_replace(kz_trim(v), ' UTC$', '') || '+00:00'
        WHEN regexp_full_match(kz_trim(v), '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}.*')
            THEN coalesce(strftime(try_strptime(kz_trim(v), [
                    '%m/%d/%Y %I:%M %p', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %H:%M',
                    '%m/%d/%Y %H:%M:%S', '%m/%d/%Y']), '%Y-%m-%dT%H:%M:%S'), kz_trim(v))
        ELSE kz_trim(v) END""",
    """CREATE OR REPLACE MACRO kz_date(v) AS CASE
        WHEN kz_trim(v) IS NULL THEN NULL
        WHEN regexp_full_match(kz_trim(v), '[0-9]{4}年\\s*[0-9]{1,2}月\\s*[0-9]{1,2}日.*')
            THEN kz_japanese_date(kz_trim(v))
        WHEN regexp_full_match(kz_trim(v), '[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}( .*)?')
            THEN coalesce(strftime(try_strptime(split_part(kz_trim(v), ' ', 1), '%Y/%m/%d'),
                                   '%Y-%m-%d'), kz_trim(v))
        WHEN regexp_full_match(kz_trim(v), '[0-9]{9,10}')
            THEN strftime(make_timestamp(CAST(kz_trim(v) AS BIGINT) * 1000000), '%Y-%m-%d')
        WHEN regexp_full_match(kz_trim(v), '-?[0-9]{11,13}')
            THEN strftime(make_timestamp(CAST(kz_trim(v) AS BIGINT) * 1000), '%Y-%m-%d')
        WHEN regexp_full_match(kz_trim(v), '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}.*')
            THEN coalesce(strftime(try_strptime(split_part(kz_trim(v), ' ', 1), '%m/%d/%Y'),
                                   '%Y-%m-%d'), kz_trim(v))
        WHEN regexp_full_match(kz_trim(v), '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ].*')
            THEN left(kz_trim(v), 10)
        ELSE kz_trim(v) END""",
    # Amounts: currency signs, codes, spaces and thousands separators go; a decimal
    # point stays. "1,234.50 USD" -> "1234.50".
    """CREATE OR REPLACE MACRO kz_amount(v) AS CASE
        WHEN kz_trim(v) IS NULL THEN NULL
        ELSE nullif(regexp_replace(kz_trim(v), '[^0-9.\\-]', '', 'g'), '') END""",
    # An amount in another currency, in the reporting currency (rates from the vendor's
    # configuration; NULL where no rate is known, so the SQL can exclude or keep it). An
    # amount without a currency code is in the vendor's currency (its ``currency``).
    """CREATE OR REPLACE MACRO kz_rate(code) AS CASE
        WHEN upper(coalesce(kz_trim(code), getvariable('vendor_currency')))
            = getvariable('reporting_currency') THEN 1.0
        ELSE (SELECT r.rate FROM kz_currency_rates r
              WHERE r.currency_code = upper(coalesce(kz_trim(code),
                                                     getvariable('vendor_currency')))) END""",
    # ... rounded to the reporting currency's minor unit (none for JPY: whole yen).
    """CREATE OR REPLACE MACRO kz_in_reporting_currency(amount, code) AS CASE
        WHEN getvariable('reporting_decimals') = 0
            THEN CAST(CAST(round(CAST(kz_amount(amount) AS DECIMAL(18, 4)) * kz_rate(code))
                           AS BIGINT) AS VARCHAR)
        ELSE CAST(round(CAST(kz_amount(amount) AS DECIMAL(18, 4)) * kz_rate(code), 2)
                  AS VARCHAR) END""",
    # An opportunity stage in the contract's words: won / closed flags first, then the
    # vendor's stage label (English and Japanese sales words), then the win probability
    # in percent; a stage none of these names is early: prospecting.
    """CREATE OR REPLACE MACRO kz_stage(won, closed, label, probability_pct) AS CASE
        WHEN won THEN 'closed_won'
        WHEN closed THEN 'closed_lost'
        WHEN lower(label) SIMILAR TO '.*(negotiat|review|contract|commit|交渉|契約|稟議).*'
            THEN 'negotiation'
        WHEN lower(label) SIMILAR TO ('.*(proposal|quote|value prop|decision|perception|'
            || 'solution|demo|present|提案|見積).*') THEN 'proposal'
        WHEN lower(label) SIMILAR TO '.*(qualif|needs analysis|discovery|ヒアリング|課題).*'
            THEN 'qualification'
        WHEN lower(label) SIMILAR TO '.*(prospect|lead|initial|アプローチ|初回).*'
            THEN 'prospecting'
        WHEN probability_pct >= 75 THEN 'negotiation'
        WHEN probability_pct >= 40 THEN 'proposal'
        WHEN probability_pct >= 20 THEN 'qualification'
        ELSE 'prospecting' END""",
    """CREATE OR REPLACE MACRO kz_bool(v) AS CASE
        WHEN lower(kz_trim(v)) IN ('true', 't', '1', 'yes', 'y') THEN 'true'
        WHEN lower(kz_trim(v)) IN ('false', 'f', '0', 'no', 'n') THEN 'false'
        ELSE kz_trim(v) END""",
)
#: Value maps a vendor family's adapters share (Marketo's lead sources, channels and
#: activity types for both Marketo shapes): ``macros/<family>.sql`` beside this module, DuckDB
#: ``CREATE MACRO`` statements registered with the ones above for every adapter.
MACROS += tuple(p.read_text(encoding="utf-8")
                for p in sorted((ADAPTERS_DIR / "macros").glob("*.sql")))


#: Currencies without a minor unit (ISO 4217 exponent 0); the others keep two decimals.
WHOLE_UNIT_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF",
                                   "XOF", "XPF", "KMF", "GNF", "RWF", "VUV", "DJF"})


class AdapterError(ValueError):
    """An adapter definition is malformed, or no adapter has the name asked for."""


@dataclass(frozen=True)
class VendorTable:
    """One vendor table: a folder under ``landing/<vendor>/`` and how its files read."""

    name: str
    format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    columns: tuple[str, ...] = ()  # as delivered, in the vendor's spelling
    header: bool = True  # csv: False when the files carry no header line (columns in order)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The documented columns as they are named in SQL."""
        return tuple(column_name(c) for c in self.columns)


@dataclass(frozen=True)
class View:
    """One vendor table of an adapter on a base, as the base table it stands for."""

    table: str  # this adapter's vendor table
    base_table: str  # the base adapter's table its rows become
    sql: str  # SELECT over this adapter's tables, in the base table's column names


@dataclass(frozen=True)
class Adapter:
    """One vendor shape's mapping to the raw contract."""

    name: str
    description: str
    tables: dict[str, VendorTable]
    # raw table -> the vendor tables its rows come from
    entities: dict[str, tuple[str, ...]]
    # raw table -> SELECT (for an adapter on a base: the base's, over the views)
    queries: dict[str, str] = field(default_factory=dict)
    base: Adapter | None = None  # the adapter whose entity SQL runs over the views
    views: dict[str, View] = field(default_factory=dict)  # vendor table -> its view

    @property
    def sql_tables(self) -> dict[str, VendorTable]:
        """The tables the entity SQL reads by name: the base's for an adapter on a base."""
        return self.base.tables if self.base else self.tables

    @property
    def row_tables(self) -> tuple[str, ...]:
        """Vendor tables whose every row must be mapped or excluded (the others are
        lookups: associations, type lists, programs)."""
        out: list[str] = []
        for tables in self.entities.values():
            out += [t for t in tables if t not in out]
        return tuple(out)


def _table(name: str, raw: dict[str, Any], where: str) -> VendorTable:
    unknown = set(raw) - _TABLE_KEYS
    if unknown:
        raise AdapterError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_TABLE_KEYS)}")
    fmt = raw.get("format", "csv")
    if fmt not in TABLE_FORMATS:
        raise AdapterError(f"{where}: format {fmt!r} is not one of {TABLE_FORMATS}")
    header = bool(raw.get("header", True))
    if not header and (fmt != "csv" or not raw.get("columns")):
        raise AdapterError(f"{where}: header: false needs format csv and the columns in order")
    return VendorTable(name, fmt, str(raw.get("encoding", "utf-8")),
                       str(raw.get("delimiter", ",")),
                       tuple(str(c) for c in raw.get("columns") or ()), header)


def _read(folder: Path) -> Adapter:
    where = folder / "adapter.yml"
    doc = yaml.safe_load(where.read_text(encoding="utf-8")) or {}
    unknown = set(doc) - _KEYS
    if unknown:
        raise AdapterError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_KEYS)}")
    tables = {name: _table(name, spec or {}, f"{where}: tables.{name}")
              for name, spec in (doc.get("tables") or {}).items()}
    if "base" in doc:
        return _read_on_base(folder, doc, tables)
    if "views" in doc:
        raise AdapterError(f"{where}: views need a base adapter (base: <adapter>)")
    entities: dict[str, tuple[str, ...]] = {}
    queries: dict[str, str] = {}
    for table, sources in (doc.get("entities") or {}).items():
        if table not in _CONTRACT_TABLES:
            raise AdapterError(f"{where}: entities.{table} is not a contract table "
                               f"({', '.join(sorted(_CONTRACT_TABLES))})")
        names = (sources,) if isinstance(sources, str) else tuple(sources)
        missing = [n for n in names if n not in tables]
        if missing:
            raise AdapterError(f"{where}: entities.{table} reads {missing}, not in tables")
        sql = folder / f"{table}.sql"
        if not sql.exists():
            raise AdapterError(f"{where}: entities.{table} has no {sql.name} beside it")
        entities[table] = names
        queries[table] = sql.read_text(encoding="utf-8")
    return Adapter(folder.name, str(doc.get("description", "")).strip(), tables, entities,
                   queries)


def _read_on_base(folder: Path, doc: dict[str, Any], tables: dict[str, VendorTable]
                  ) -> Adapter:
    """An adapter whose tables are views of a base adapter's tables (see the module's
    docstring): the base's entities, each read from the tables whose views feed it."""
    where = folder / "adapter.yml"
    if "entities" in doc:
        raise AdapterError(f"{where}: an adapter on a base maps through the base's entity "
                           "SQL; give views of its tables instead of entities")
    name = str(doc["base"])
    base = adapter(name, folder) if "/" in name or name.startswith(".") else adapter(name)
    if base.base is not None:
        raise AdapterError(f"{where}: base {name!r} has a base itself; name that one")
    views: dict[str, View] = {}
    stands_for: dict[str, str] = {}  # base table -> vendor table
    for table, base_table in (doc.get("views") or {}).items():
        if table not in tables:
            raise AdapterError(f"{where}: views.{table} is not one of its tables")
        if base_table not in base.tables:
            raise AdapterError(f"{where}: views.{table}: {base_table!r} is not a table of "
                               f"{base.name} ({', '.join(base.tables)})")
        if base_table in stands_for:
            raise AdapterError(f"{where}: views.{table} and views.{stands_for[base_table]} "
                               f"both stand for {base.name} table {base_table}")
        sql = folder / "views" / f"{table}.sql"
        if not sql.exists():
            raise AdapterError(f"{where}: views.{table} has no views/{sql.name} beside it")
        views[table] = View(table, str(base_table), sql.read_text(encoding="utf-8"))
        stands_for[str(base_table)] = table
    entities: dict[str, tuple[str, ...]] = {}
    for target, sources in base.entities.items():
        mine = tuple(stands_for[t] for t in sources if t in stands_for)
        if mine:
            entities[target] = mine
    if not entities:
        raise AdapterError(f"{where}: no view stands for a table {base.name} maps an entity "
                           f"from ({', '.join(base.row_tables)})")
    return Adapter(folder.name, str(doc.get("description", "")).strip(), tables, entities,
                   {t: base.queries[t] for t in entities}, base, views)


def available() -> list[str]:
    """The adapters shipped with Kizuna."""
    return sorted(p.name for p in ADAPTERS_DIR.iterdir() if (p / "adapter.yml").is_file())


@cache
def adapter(name: str, base: Path | None = None) -> Adapter:
    """The adapter called ``name``: a folder beside this module, or, when ``name`` is a
    path (``./adapters/acme_crm``), a team's own adapter folder (relative to ``base``, the
    sources file's folder)."""
    if "/" in name or name.startswith("."):
        folder = (base or Path.cwd()) / name
        if not (folder / "adapter.yml").is_file():
            raise AdapterError(f"no adapter.yml in {folder}")
        return _read(folder)
    folder = ADAPTERS_DIR / name
    if not (folder / "adapter.yml").is_file():
        import difflib

        near = difflib.get_close_matches(name, available(), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise AdapterError(f"no vendor adapter {name!r}{hint} (available: "
                           f"{', '.join(available())})")
    return _read(folder)
