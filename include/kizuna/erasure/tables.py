"""Tables that hold a person, found through ``information_schema`` (every schema, so a
schema added later is covered too), and their rows deleted.

A row is the person's when

- a column whose name holds ``email`` has a value that normalises to an erased address;
- a column named :data:`ID_COLUMNS` (``lead_id``, ``contact_id``, ``record_id``,
  ``person_key``, and ``record_key`` of ``audit.export_records``) holds one of their ids;
- any other text column contains an erased address or one of their ids in quotes (the raw
  text of a quarantined row, a vendor row excluded by an adapter).

Such rows are deleted, except in schema ``audit``, where the ledger's rows stay (a batch,
a check) and only the text is replaced by ``[erased]``; ``audit.export_records`` rows of
the person go (they exist only for them). Views are left: they read the tables.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from kizuna.erasure.files import REDACTED, Person
from kizuna.identifiers import quote
from kizuna.normalise import normalise_email
from kizuna.suppression import ERASURE_TABLES
from kizuna.warehouse import Warehouse

log = logging.getLogger(__name__)

ID_COLUMNS = ("lead_id", "contact_id", "record_id", "person_key", "record_key")
#: Text column types as information_schema names them (DuckDB; PostgreSQL).
TEXT_TYPES = ("varchar", "string", "text", "character varying", "character")
#: Schemas whose rows are the ledger itself: text is redacted, rows stay.
REDACT_SCHEMAS = ("audit",)
_IN_LIST = 500


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, lower-case data type)

    @property
    def qualified(self) -> str:
        return f"{quote(self.schema)}.{quote(self.name)}"

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"

    def text_columns(self) -> list[str]:
        return [c for c, t in self.columns if t.split("(")[0] in TEXT_TYPES]


def base_tables(wh: Warehouse) -> list[Table]:
    """Every base table of the warehouse but the erasure's own."""
    rows = wh.query(
        "SELECT c.table_schema, c.table_name, c.column_name, lower(c.data_type) "
        "FROM information_schema.columns c JOIN information_schema.tables t "
        "ON c.table_schema = t.table_schema AND c.table_name = t.table_name "
        "WHERE t.table_type = 'BASE TABLE' "
        "AND c.table_schema NOT IN ('information_schema', 'pg_catalog') "
        "ORDER BY c.table_schema, c.table_name, c.ordinal_position")
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, name, column, dtype in rows:
        tables.setdefault((str(schema), str(name)), []).append((str(column), str(dtype)))
    return [Table(s, n, tuple(cols)) for (s, n), cols in tables.items()
            if not (s == "audit" and n in ERASURE_TABLES)]


def _in(column: str, values: list[str]) -> tuple[str, list[str]]:
    parts = [values[i:i + _IN_LIST] for i in range(0, len(values), _IN_LIST)]
    sql = " OR ".join(f"CAST({quote(column)} AS VARCHAR) IN ({', '.join('?' * len(p))})"
                      for p in parts)
    return f"({sql})", [v for p in parts for v in p]


def _email_values(wh: Warehouse, table: Table, column: str, person: Person) -> list[str]:
    """The values of an e-mail column, as stored, that normalise to an erased address."""
    rows = wh.query(f"SELECT DISTINCT {quote(column)} FROM {table.qualified} "
                    f"WHERE {quote(column)} IS NOT NULL")
    return sorted(str(r[0]) for r in rows if normalise_email(str(r[0])) in person.emails)


def resolve_ids(wh: Warehouse, person: Person) -> set[str]:
    """The lead and contact ids of the person's records, then every record of the same
    person key (名寄せ put them together), until nothing new is found."""
    tables = base_tables(wh)
    ids: set[str] = set(person.ids)
    for t in tables:
        names = {c for c, _ in t.columns}
        for email in [c for c in names if "email" in c.lower()]:
            for id_col in ("lead_id", "contact_id"):
                if id_col not in names:
                    continue
                values = _email_values(wh, t, email, person)
                if not values:
                    continue
                sql, params = _in(email, values)
                ids |= {str(r[0]) for r in wh.query(
                    f"SELECT DISTINCT {quote(id_col)} FROM {t.qualified} WHERE {sql} "
                    f"AND {quote(id_col)} IS NOT NULL", params)}
    keyed = [t for t in tables if {"person_key", "record_id"} <= {c for c, _ in t.columns}]
    while keyed and ids:
        before = len(ids)
        for t in keyed:
            sql, params = _in("record_id", sorted(ids))
            keys = sorted({str(r[0]) for r in wh.query(
                f"SELECT DISTINCT person_key FROM {t.qualified} WHERE {sql} "
                "AND person_key IS NOT NULL", params)})
            if keys:
                ids |= set(keys)
                sql, params = _in("person_key", keys)
                ids |= {str(r[0]) for r in wh.query(
                    f"SELECT DISTINCT record_id FROM {t.qualified} WHERE {sql}", params)}
        if len(ids) == before:
            break
    return ids


def _count(wh: Warehouse, table: Table, where: str, params: list[str]) -> int:
    return int(wh.query(f"SELECT count(*) FROM {table.qualified} WHERE {where}", params)[0][0])


#: Where the ledger's batches keep rows: (schema, table or "*", batch column) -> the count
#: of ``audit.load_batches`` they are in.
BATCH_ROWS = {("raw", "*", "_batch_id"): "rows_loaded",
              ("quarantine", "rejected_rows", "batch_id"): "rows_quarantined"}


@dataclass
class Erased:
    """Rows erased per table, and per batch of the ledger the rows it held in raw and in
    quarantine (``{batch_id: {"rows_loaded": n, "rows_quarantined": m}}``)."""

    tables: dict[str, int]
    batches: dict[str, dict[str, int]]


def erase_rows(wh: Warehouse, person: Person) -> Erased:
    """Delete (or, in ``audit``, redact) the person's rows in every table. Run it inside
    one transaction."""
    removed: dict[str, int] = {}
    batches: dict[str, dict[str, int]] = {}
    ids = sorted(person.ids)
    pattern = trace_pattern(person)
    for t in base_tables(wh):
        names = [c for c, _ in t.columns]
        matches: list[str] = []
        params: list[str] = []
        for column in names:
            low = column.lower()
            if "email" in low:
                values = _email_values(wh, t, column, person)
                if values:
                    sql, p = _in(column, values)
                    matches.append(sql)
                    params += p
            elif low in ID_COLUMNS and ids:
                sql, p = _in(column, ids)
                matches.append(sql)
                params += p
        text = [c for c in t.text_columns() if "email" not in c.lower()
                and c.lower() not in ID_COLUMNS]
        contains = [_regex_test(wh, c) for c in text]
        contains_params = [pattern] * len(text)
        if t.schema in REDACT_SCHEMAS and not (t.name == "export_records" and matches):
            n = _redact(wh, t, text, person, contains, contains_params)
        else:
            where = " OR ".join(matches + contains)
            if not where:
                continue
            all_params = params + contains_params
            n = _count(wh, t, where, all_params)
            counted = [(col, kind) for (schema, name, col), kind in BATCH_ROWS.items()
                       if schema == t.schema and name in ("*", t.name) and col in names]
            for col, kind in counted if n else []:
                for batch_id, rows in wh.query(
                        f"SELECT {quote(col)}, count(*) FROM {t.qualified} WHERE {where} "
                        "GROUP BY 1", all_params):
                    per = batches.setdefault(str(batch_id), {})
                    per[kind] = per.get(kind, 0) + int(rows)
            if n:
                wh.execute(f"DELETE FROM {t.qualified} WHERE {where}", all_params)
        if n:
            removed[t.label] = n
            log.info("%s: %d rows erased", t.label, n)
    return Erased(removed, batches)


def trace_pattern(person: Person) -> str:
    """A regular expression (lower case, RE2 and PostgreSQL alike) for a trace of the person
    in free text: an address not inside a longer one, or an id in JSON quotes. Groups 1
    and 3 are what surrounds an address, kept when it is redacted."""
    ids = _id_pattern(person)
    return _email_pattern(person) + (f"|{ids}" if ids else "")


def _email_pattern(person: Person) -> str:
    emails = "|".join(re.escape(e) for e in sorted(person.emails))
    return f"(^|[^a-z0-9._%+-])({emails})($|[^a-z0-9.-])"


def _id_pattern(person: Person) -> str:
    ids = "|".join(re.escape(i.lower()) for i in sorted(person.ids))
    return f'"({ids})"' if ids else ""


def _regex_test(wh: Warehouse, column: str) -> str:
    if getattr(wh, "dialect", "duckdb") == "postgres":
        return f"lower({quote(column)}) ~ ?"
    return f"regexp_matches(lower({quote(column)}), ?)"


def _redact(wh: Warehouse, table: Table, text: list[str], person: Person,
            contains: list[str], params: list[str]) -> int:
    """Replace the needles in the text columns of a ledger table; rows changed."""
    if not contains:
        return 0
    where = " OR ".join(contains)
    n = _count(wh, table, where, params)
    if not n:
        return 0
    # an address keeps what surrounds it (groups 1 and 3); a quoted id stays quoted, so
    # JSON text stays JSON
    values = [_email_pattern(person), f"\\1{REDACTED}\\3"]
    expr = "regexp_replace({}, ?, ?, 'gi')"
    if person.ids:
        values += [_id_pattern(person), f'"{REDACTED}"']
        expr = expr.format("regexp_replace({}, ?, ?, 'gi')")
    sets = ", ".join(f"{quote(c)} = " + expr.format(quote(c)) for c in text)
    wh.execute(f"UPDATE {table.qualified} SET {sets} WHERE {where}",
               [v for _ in text for v in values] + params)
    return n
