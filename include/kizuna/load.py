"""Landing -> raw: load the complete files of a data interval, idempotently, with quarantine.

Grain: one **batch** per delivered file (``audit.load_batches``). Every row of a file ends
up either in ``raw.<source>_<entity>`` or in ``quarantine.rejected_rows`` with its batch,
file, row number, raw text and reason, and each batch records the reconciliation
``rows_in_file = rows_loaded + rows_quarantined``.

Files are read and typed by DuckDB (an in-memory engine; no Python loop touches a row):
CSV through ``read_csv`` with its rejects tables (ragged or unparsable lines), JSON lines
as text validated by DuckDB's JSON functions, Parquet through ``read_parquet``. Typing
follows :mod:`kizuna.parsing`. Where DuckDB's reader would lose records (a quote that
never closes) or cannot read a file at all (a bare CR in an LF file), Python's csv module
reads them instead, so they are quarantined, not lost. Files that are not UTF-8 (CP932,
or invalid bytes) are transcoded first; rows holding undecodable bytes are quarantined.
The typed rows are then appended to the warehouse (DuckDB or PostgreSQL) in one
transaction per chunk of files, together with their quarantine rows, audit records and
the loader's own checks (``audit.dq_results``), so a killed load leaves nothing
half-written.

New batches are ``loaded``: staging reads only ``published`` batches, and the quality
gate (:mod:`kizuna.quality`) decides between ``published`` and ``rejected``.

Idempotency: a file already loaded with the same content is skipped; the same content
delivered again under another name (also twice in one load) is recorded as
``duplicate`` and adds nothing; a file whose content changed under the same name
replaces its earlier batch (``superseded``).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from kizuna.contract import ENTITIES, LINEAGE_COLUMNS, Entity
from kizuna.parsing import parse_failed, typed
from kizuna.quality import (
    SAMPLE_ROWS,
    BatchRef,
    CheckResult,
    GateReport,
    Rule,
    ensure_results_table,
    loader_rules,
    mostly_success,
    write_results,
)
from kizuna.settings import Settings, get_settings
from kizuna.sources.config import DeliverySpec, delivery_specs
from kizuna.sources.filedrop import DeliveredFile, PendingFile, discover
from kizuna.warehouse import Warehouse, connection

log = logging.getLogger(__name__)

# A chunk of files is typed in memory and committed together.
CHUNK_FILES = 400
CHUNK_BYTES = 256 << 20

# loaded: in raw, waiting for the quality gate; published / rejected: the gate's verdict.
BATCH_STATUSES = ("loaded", "published", "rejected", "duplicate", "superseded", "empty")

AUDIT_BATCHES_DDL = """
CREATE TABLE IF NOT EXISTS audit.load_batches (
    batch_id {text} PRIMARY KEY,
    source_table {text} NOT NULL,
    source_file {text} NOT NULL,
    data_interval {date} NOT NULL,
    file_sha256 {text} NOT NULL,
    file_bytes {int} NOT NULL,
    rows_in_file {int} NOT NULL,
    rows_loaded {int} NOT NULL,
    rows_quarantined {int} NOT NULL,
    status {text} NOT NULL,
    message {text},
    loaded_at {timestamp} NOT NULL
)"""

QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS quarantine.rejected_rows (
    batch_id {text} NOT NULL,
    source_table {text} NOT NULL,
    source_file {text} NOT NULL,
    row_number {int} NOT NULL,
    raw_text {text},
    reason {text} NOT NULL,
    quarantined_at {timestamp} NOT NULL
)"""


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    table: str
    source_file: str
    data_interval: date
    rows_in_file: int
    rows_loaded: int
    rows_quarantined: int
    status: str
    message: str | None = None


@dataclass
class LoadReport:
    """What one load did: a result per file considered, and files left pending."""

    batches: list[BatchResult] = field(default_factory=list)
    skipped: int = 0  # files already loaded with the same content
    pending: list[PendingFile] = field(default_factory=list)
    gate: list[GateReport] = field(default_factory=list)  # when the quality gate ran

    def refresh(self, settings: Settings | None = None) -> None:
        """Re-read each batch's status and counts after the quality gate changed them."""
        if not self.batches:
            return
        ids = [b.batch_id for b in self.batches]
        with connection(settings) as wh:
            rows = {r[0]: r[1:] for r in wh.query(
                "SELECT batch_id, rows_loaded, rows_quarantined, status, message "
                f"FROM audit.load_batches WHERE batch_id IN ({', '.join('?' for _ in ids)})",
                ids)}
        self.batches = [
            replace(b, rows_loaded=int(rows[b.batch_id][0]),
                    rows_quarantined=int(rows[b.batch_id][1]), status=rows[b.batch_id][2],
                    message=rows[b.batch_id][3]) if b.batch_id in rows else b
            for b in self.batches
        ]

    def rows_loaded(self, table: str | None = None) -> int:
        return sum(b.rows_loaded for b in self.batches if table in (None, b.table))

    def rows_quarantined(self, table: str | None = None) -> int:
        return sum(b.rows_quarantined for b in self.batches if table in (None, b.table))

    def summary(self) -> str:
        return (
            f"{len(self.batches)} new batches, {self.skipped} files already loaded, "
            f"{self.rows_loaded():,} rows loaded, {self.rows_quarantined():,} quarantined, "
            f"{len(self.pending)} files pending"
        )


# --------------------------------------------------------------------------- DDL


def ensure_schema(wh: Warehouse, entities: Iterable[Entity] = ENTITIES) -> None:
    """Create the raw, quarantine and audit schemas and tables if they do not exist."""
    types = {k: wh.sql_type(k) for k in ("text", "int", "date", "timestamp")}  # type: ignore[arg-type]
    for schema in ("raw", "quarantine", "audit"):
        wh.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    wh.execute(AUDIT_BATCHES_DDL.format(**types))
    wh.execute(QUARANTINE_DDL.format(**types))
    ensure_results_table(wh)
    for ent in entities:
        cols = [f'"{c.name}" {wh.sql_type(c.type)}' for c in ent.columns]
        cols += [
            f'"_batch_id" {types["text"]} NOT NULL',
            f'"_loaded_at" {types["timestamp"]} NOT NULL',
            f'"_source_file" {types["text"]} NOT NULL',
            f'"_row_number" {types["int"]} NOT NULL',
        ]
        wh.execute(f"CREATE TABLE IF NOT EXISTS raw.{ent.table} ({', '.join(cols)})")


def _add_extra_columns(wh: Warehouse, table: str, names: Iterable[str]) -> None:
    existing = set(wh.columns("raw", table))
    for name in names:
        if name not in existing:
            log.info("raw.%s: new delivered column %r kept as text", table, name)
            wh.execute(f'ALTER TABLE raw.{table} ADD COLUMN "{name}" {wh.sql_type("text")}')


# --------------------------------------------------------------------------- reading


def normalise_header(name: str) -> str:
    """Header as a column name: trimmed, lower case, runs of spaces/dots/hyphens -> '_'."""
    name = name.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s.\-/]+", "_", name)


def _transcode_to_utf8(src: Path, encoding: str, tmpdir: Path) -> tuple[Path, bool]:
    """Stream a file to UTF-8 (DuckDB reads UTF-8 only); chunked, not per row.

    Undecodable bytes become U+FFFD (which CP932 cannot produce), so the rows holding them
    can be quarantined; returns the new path and whether any byte was undecodable.
    """
    dst = tmpdir / (hashlib.sha1(str(src).encode()).hexdigest() + src.suffix)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    replaced = False
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        for chunk in iter(lambda: fin.read(1 << 20), b""):
            text = decoder.decode(chunk)
            replaced = replaced or "\ufffd" in text
            fout.write(text)
        text = decoder.decode(b"", final=True)
        fout.write(text)
    return dst, replaced or "\ufffd" in text


def is_utf8(path: Path) -> bool:
    """True if the file decodes strictly as UTF-8 (with or without a BOM)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """``encoding: auto``: UTF-8 when the file is strictly valid UTF-8, else CP932."""
    return "utf-8" if is_utf8(path) else "cp932"


def _starts_with_bom(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(3) == codecs.BOM_UTF8


def _odd_quotes(path: Path) -> bool:
    """An odd number of double quotes: some quoted field never closes."""
    n = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b'"')
    return n % 2 == 1


def _csv_header(path: Path, delimiter: str) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        first = f.readline()
    if not first.strip():
        return []
    return next(csv.reader([first], delimiter=delimiter))


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _Reader:
    """Reads delivered files into the in-memory engine as text, one table per chunk.

    Produces ``delivered(_file, _row_number, <columns as text>)`` and
    ``unreadable(_file, _row_number, raw_text, reason)``.
    """

    def __init__(self, eng: duckdb.DuckDBPyConnection, spec: DeliverySpec, tmpdir: Path):
        self.eng = eng
        self.spec = spec
        self.tmpdir = tmpdir
        self.columns: list[str] = []  # normalised names seen in this chunk
        self.missing_required: dict[str, list[str]] = {}  # relpath -> required cols absent
        self.headers: dict[str, list[str]] = {}  # relpath -> delivered column names
        self.undecodable: set[str] = set()  # relpaths with bytes invalid in their encoding
        self.encodings: dict[str, str] = {}  # relpath -> encoding read (auto: detected)

    def _prepare(self, f: DeliveredFile) -> Path:
        """The path DuckDB reads: the file itself if it is UTF-8, else a UTF-8 copy."""
        enc = self.spec.encoding
        if enc == "auto":
            enc = detect_encoding(f.path)
        self.encodings[f.relpath] = enc
        if enc == "cp932":
            path, bad = _transcode_to_utf8(f.path, "cp932", self.tmpdir)
        elif self.spec.format == "jsonl" and (not is_utf8(f.path) or _starts_with_bom(f.path)):
            # DuckDB stops at the first invalid byte of a line-per-row read; CSV reads send
            # such lines to the rejects table instead, so only JSON lines need this.
            path, bad = _transcode_to_utf8(f.path, "utf-8-sig", self.tmpdir)
        else:
            return f.path
        if bad:
            self.undecodable.add(f.relpath)
        return path

    def _rename(self, header: list[str]) -> list[str]:
        mapping = {normalise_header(k): v for k, v in self.spec.columns.items()}
        return [mapping.get(normalise_header(h), normalise_header(h)) for h in header]

    def read(self, files: Sequence[DeliveredFile]) -> None:
        self.eng.execute("DROP TABLE IF EXISTS delivered")
        self.eng.execute("DROP TABLE IF EXISTS unreadable")
        self.eng.execute(
            "CREATE TABLE unreadable (_file VARCHAR, _row_number BIGINT, raw_text VARCHAR, "
            "reason VARCHAR)"
        )
        parts: list[tuple[list[str], str]] = []  # (columns, select) per file group
        if self.spec.format == "csv":
            parts = self._read_csv(files)
        elif self.spec.format == "jsonl":
            parts = self._read_jsonl(files)
        else:
            parts = self._read_parquet(files)
        cols: list[str] = []
        for names, _ in parts:
            cols += [n for n in names if n not in cols]
        self.columns = cols
        selects = []
        for names, rel in parts:
            exprs = ", ".join(
                f'"{c}"' if c in names else f'NULL::VARCHAR AS "{c}"' for c in cols
            )
            selects.append(f"SELECT _file, _row_number, {exprs} FROM {rel}")
        col_defs = ", ".join(f'"{c}" VARCHAR' for c in cols)
        self.eng.execute(
            f"CREATE TABLE delivered (_file VARCHAR, _row_number BIGINT"
            f"{', ' + col_defs if cols else ''})"
        )
        for sel in selects:
            self.eng.execute(f"INSERT INTO delivered {sel}")
        required = [c.name for c in self.spec.entity.columns if c.required]
        for names, _ in parts:
            absent = [r for r in required if r not in names]
            if absent:
                for f in self._files_of_part(names):
                    self.missing_required[f] = absent

    # Groups keep the files each part was read from, to name missing columns per file.
    _part_files: dict[tuple[str, ...], list[str]]

    def _files_of_part(self, names: list[str]) -> list[str]:
        return self._part_files.get(tuple(names), [])

    def _read_csv(self, files: Sequence[DeliveredFile]) -> list[tuple[list[str], str]]:
        groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for f in files:
            path = self._prepare(f)
            header = _csv_header(path, self.spec.delimiter)
            if not header:
                continue  # an empty file: no rows to read
            groups.setdefault(tuple(header), []).append((str(path), f.relpath))
        self._part_files = {}
        parts = []
        for i, (header, members) in enumerate(groups.items()):
            names = self._rename(list(header))
            dupes = {n for n in names if names.count(n) > 1}
            if dupes:
                names = [f"{n}_{j}" if n in dupes else n for j, n in enumerate(names)]
            self._part_files[tuple(names)] = [rel for _, rel in members]
            self.headers.update({rel: names for _, rel in members})
            try:
                parts.append((names, self._read_csv_strict(f"{i}", names, members)))
            except duckdb.Error:
                # One file broke DuckDB's strict reader (e.g. a bare CR inside an LF file):
                # read the group file by file, the broken ones leniently.
                for j, member in enumerate(members):
                    tag = f"{i}_{j}"
                    try:
                        parts.append((names, self._read_csv_strict(tag, names, [member])))
                    except duckdb.Error as exc:
                        log.warning("%s: strict CSV reader failed (%s); reading it leniently",
                                    member[1], str(exc).splitlines()[0])
                        parts.append((names, self._read_csv_lenient(tag, names, *member)))
        return parts

    def _read_csv_strict(self, tag: str, names: list[str], members: list[tuple[str, str]]
                         ) -> str:
        """DuckDB's reader with its rejects table; returns the table of accepted rows."""
        paths = "[" + ", ".join(_sql_str(p) for p, _ in members) + "]"
        relmap = "MAP {" + ", ".join(f"{_sql_str(p)}: {_sql_str(r)}" for p, r in members) + "}"
        columns = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
        delim = _sql_str(self.spec.delimiter)
        self.eng.execute(f"DROP TABLE IF EXISTS rej_{tag}; DROP TABLE IF EXISTS scan_{tag}")
        self.eng.execute(
            f"CREATE OR REPLACE TEMP TABLE part_{tag}_scan AS "
            f"SELECT *, row_number() OVER () AS _pos FROM read_csv({paths}, "
            f"columns={columns}, header=true, delim={delim}, "
            "quote='\"', escape='\"', auto_detect=false, filename=true, parallel=false, "
            f"store_rejects=true, rejects_table='rej_{tag}', rejects_scan='scan_{tag}', "
            "strict_mode=true)"
        )
        # Rejected lines (ragged, unterminated quotes): one row per line, first reason.
        self.eng.execute(
            f"""INSERT INTO unreadable
            SELECT {relmap}[s.file_path], e.line - 1, any_value(e.csv_line),
                   'unreadable line (' || string_agg(DISTINCT e.error_type, ', ') || '): '
                   || any_value(e.error_message)
            FROM rej_{tag} e JOIN scan_{tag} s USING (scan_id, file_id)
            GROUP BY 1, 2"""
        )
        for path, rel in members:
            if _odd_quotes(Path(path)):
                self._keep_unterminated_tail(f"part_{tag}_scan", path, rel)
        # Accepted rows get their record number back by skipping rejected numbers.
        self.eng.execute(
            f"""CREATE OR REPLACE TEMP TABLE part_{tag} AS
            WITH acc AS (
                SELECT *, {relmap}[filename] AS _file,
                       row_number() OVER (PARTITION BY filename ORDER BY _pos) AS _k
                FROM part_{tag}_scan),
            rej AS (SELECT _file, _row_number FROM unreadable),
            totals AS (
                SELECT _file, count(*) + coalesce(
                    (SELECT count(*) FROM rej WHERE rej._file = acc._file), 0) AS n
                FROM acc GROUP BY _file),
            nums AS (
                SELECT _file, unnest(range(1, n + 1)) AS _row_number FROM totals),
            kept AS (
                SELECT _file, _row_number,
                       row_number() OVER (PARTITION BY _file ORDER BY _row_number) AS _k
                FROM nums ANTI JOIN rej USING (_file, _row_number))
            SELECT acc.* EXCLUDE (filename, _pos, _k), kept._row_number
            FROM acc JOIN kept USING (_file, _k)"""
        )
        return f"part_{tag}"

    def _read_csv_lenient(self, tag: str, names: list[str], path: str, rel: str) -> str:
        """Python's csv module for a file DuckDB's strict reader cannot read at all.

        Every record with the header's number of fields is accepted, every other one is an
        unreadable line; blank lines are not records (as in DuckDB).
        """
        good: list[list[str | int]] = []
        bad: list[tuple[str, int, str, str]] = []
        delim = self.spec.delimiter
        csv.field_size_limit(1 << 30)
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            text = fh.read()
        if "\ufffd" in text:
            self.undecodable.add(rel)
        try:
            records = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if r][1:]
        except csv.Error:  # not even Python reads it as CSV: keep every line as it is
            records = [[line] for line in text.splitlines()[1:] if line.strip()]
        for k, rec in enumerate(records, start=1):
            if len(rec) == len(names):
                good.append([rel, k, *rec])
            else:
                kind = "MISSING COLUMNS" if len(rec) < len(names) else "TOO MANY COLUMNS"
                bad.append((rel, k, delim.join(rec)[:10_000],
                            f"unreadable line ({kind}): expected {len(names)} fields, found "
                            f"{len(rec)} (read leniently: the strict CSV reader failed)"))
        if bad:
            self.eng.executemany("INSERT INTO unreadable VALUES (?, ?, ?, ?)", bad)
        cols = ["_file", "_row_number", *names]
        data = pa.table({c: pa.array([row[j] for row in good],
                                     pa.int64() if c == "_row_number" else pa.string())
                         for j, c in enumerate(cols)})
        self.eng.register(f"lenient_{tag}", data)
        self.eng.execute(f"CREATE OR REPLACE TEMP TABLE part_{tag} AS "
                         f"SELECT * FROM lenient_{tag}")
        self.eng.unregister(f"lenient_{tag}")
        return f"part_{tag}"

    def _keep_unterminated_tail(self, scan: str, path: str, rel: str) -> None:
        """Quarantine the records DuckDB drops after a quote that never closes.

        DuckDB's reader ends the file inside the open quote and reports no reject, so
        those records would vanish. Python's csv module reads the same text as records up
        to the end of the file; the ones beyond what DuckDB accounted for are kept here.
        """
        (seen,) = self.eng.execute(
            f"SELECT (SELECT count(*) FROM {scan} WHERE filename = ?) + "
            "(SELECT count(*) FROM unreadable WHERE _file = ?)", [path, rel]).fetchone()
        try:
            with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
                records = [r for r in csv.reader(fh, delimiter=self.spec.delimiter) if r][1:]
        except csv.Error as exc:
            log.warning("%s: could not count records after an unterminated quote: %s", rel, exc)
            return
        tail = [(rel, k + 1, self.spec.delimiter.join(records[k])[:10_000],
                 "unreadable line (UNTERMINATED QUOTE): a quote opened here never closes; "
                 "the rest of the file is kept in this row")
                for k in range(seen, len(records))]
        if tail:
            self.eng.executemany("INSERT INTO unreadable VALUES (?, ?, ?, ?)", tail)

    def _read_jsonl(self, files: Sequence[DeliveredFile]) -> list[tuple[list[str], str]]:
        members = []
        for f in files:
            if f.size > 0:
                members.append((str(self._prepare(f)), f.relpath))
        self._part_files = {}
        if not members:
            return []
        paths = "[" + ", ".join(_sql_str(p) for p, _ in members) + "]"
        relmap = "MAP {" + ", ".join(f"{_sql_str(p)}: {_sql_str(r)}" for p, r in members) + "}"
        self.eng.execute(
            f"""CREATE OR REPLACE TEMP TABLE jsonl_lines AS
            SELECT {relmap}[filename] AS _file,
                   row_number() OVER (PARTITION BY filename ORDER BY _pos) AS _row_number,
                   line,
                   -- CASE, not AND: DuckDB evaluates both sides of AND.
                   CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END
                       AS _is_object
            FROM (SELECT *, row_number() OVER () AS _pos
                  FROM read_csv({paths}, columns={{'line': 'VARCHAR'}}, header=false,
                                delim='\\x01', quote='', escape='', auto_detect=false,
                                filename=true, parallel=false, strict_mode=false))"""
        )
        self.eng.execute(
            """INSERT INTO unreadable
            SELECT _file, _row_number, line, 'unreadable line: not a JSON object'
            FROM jsonl_lines
            WHERE trim(line) <> '' AND NOT _is_object"""
        )
        self.eng.execute(
            """CREATE OR REPLACE TEMP TABLE jsonl_objects AS
            SELECT _file, _row_number, line::JSON AS j FROM jsonl_lines WHERE _is_object"""
        )
        keys = [r[0] for r in self.eng.execute(
            "SELECT DISTINCT unnest(json_keys(j)) FROM jsonl_objects ORDER BY 1").fetchall()]
        names = self._rename(keys)
        # A nested value stays JSON text; a scalar becomes its text.
        exprs = ", ".join(
            f"CASE WHEN json_type(j, {_sql_str('$.' + _json_path(k))}) IN ('OBJECT', 'ARRAY') "
            f"THEN json_extract(j, {_sql_str('$.' + _json_path(k))})::VARCHAR "
            f"ELSE json_extract_string(j, {_sql_str('$.' + _json_path(k))}) END AS \"{n}\""
            for k, n in zip(keys, names, strict=True)
        )
        self.eng.execute(
            f"CREATE OR REPLACE TEMP TABLE jsonl_part AS SELECT _file, _row_number"
            f"{', ' + exprs if exprs else ''} FROM jsonl_objects"
        )
        self._part_files = {tuple(names): [rel for _, rel in members]}
        self.headers.update({rel: names for _, rel in members})
        return [(names, "jsonl_part")]

    def _read_parquet(self, files: Sequence[DeliveredFile]) -> list[tuple[list[str], str]]:
        members = [(str(f.path), f.relpath) for f in files if f.size > 0]
        self._part_files = {}
        if not members:
            return []
        paths = "[" + ", ".join(_sql_str(p) for p, _ in members) + "]"
        relmap = "MAP {" + ", ".join(f"{_sql_str(p)}: {_sql_str(r)}" for p, r in members) + "}"
        self.eng.execute(
            f"CREATE OR REPLACE TEMP TABLE parquet_scan AS SELECT * FROM read_parquet({paths}, "
            "filename=true, file_row_number=true, union_by_name=true)"
        )
        cols = [r[0] for r in self.eng.execute("DESCRIBE parquet_scan").fetchall()
                if r[0] not in ("filename", "file_row_number")]
        names = self._rename(cols)
        exprs = ", ".join(f'"{c}"::VARCHAR AS "{n}"' for c, n in zip(cols, names, strict=True))
        self.eng.execute(
            f"CREATE OR REPLACE TEMP TABLE parquet_part AS SELECT {relmap}[filename] AS _file, "
            f"file_row_number + 1 AS _row_number, {exprs} FROM parquet_scan"
        )
        self._part_files = {tuple(names): [rel for _, rel in members]}
        self.headers.update({rel: names for _, rel in members})
        return [(names, "parquet_part")]


def _json_path(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- typing


def _typing_sql(spec: DeliverySpec, present: list[str]) -> tuple[str, str, list[str]]:
    """SELECT lists for typed contract columns, the failure reasons, and extra columns."""
    tz = spec.timezone
    typed_cols = []
    reasons = []
    for col in spec.entity.columns:
        ref = f'"{col.name}"' if col.name in present else "NULL::VARCHAR"
        typed_cols.append(f'{typed(ref, col.type, tz)} AS "{col.name}"')
        if col.name not in present:
            if col.required:
                reasons.append(f"'missing required column: {col.name}'")
            continue
        if col.required:
            reasons.append(
                f"CASE WHEN nullif(trim({ref}), '') IS NULL "
                f"THEN 'missing required value: {col.name}' END"
            )
        if col.type != "text":
            reasons.append(
                f"CASE WHEN {parse_failed(ref, col.type, tz)} THEN 'cannot parse {col.name} as "
                f"{col.type}: ' || {ref} END"
            )
    extras = [c for c in present if c not in spec.entity.column_names]
    reason_list = (
        "list_filter([" + ", ".join(reasons or ["NULL::VARCHAR"]) + "], lambda x: x IS NOT NULL)"
    )
    return ", ".join(typed_cols), reason_list, extras


# --------------------------------------------------------------------------- loading


def _batch_id(table: str, relpath: str, sha: str) -> str:
    return hashlib.sha256(f"{table}|{relpath}|{sha}".encode()).hexdigest()[:24]


def _chunks(files: Sequence[DeliveredFile]) -> Iterable[list[DeliveredFile]]:
    chunk: list[DeliveredFile] = []
    size = 0
    for f in files:
        if chunk and (len(chunk) >= CHUNK_FILES or size + f.size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(f)
        size += f.size
    if chunk:
        yield chunk


def load_files(
    wh: Warehouse,
    spec: DeliverySpec,
    files: Sequence[DeliveredFile],
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[BatchResult], int]:
    """Load ``files`` of one entity; returns the new batch results and the files skipped.

    New batches are ``loaded`` (the quality gate publishes or rejects them), ``empty`` or
    ``duplicate``; the loader's own checks go to ``audit.dq_results``.
    """
    table = spec.entity.table
    if not files:
        return [], 0
    shas = {f.relpath: f.sha256() for f in files}
    known = wh.query(
        "SELECT source_file, file_sha256, batch_id, status FROM audit.load_batches "
        "WHERE source_table = ? AND status <> 'superseded'",
        [table],
    )
    by_path = {(r[0], r[1]): r for r in known}
    latest_by_path = {r[0]: r for r in known}
    # Content already delivered (under any name): a copy adds nothing. A duplicate record
    # itself is not content, and an empty file is no delivery worth naming.
    seen_shas = {r[1]: r[0] for r in known if r[3] in ("loaded", "published", "rejected")}

    results: list[BatchResult] = []
    todo: list[DeliveredFile] = []
    duplicates: list[tuple[DeliveredFile, str, str]] = []
    skipped = 0
    for f in files:
        sha = shas[f.relpath]
        if (f.relpath, sha) in by_path:
            skipped += 1
        elif sha in seen_shas and f.relpath not in latest_by_path and f.size > 0:
            duplicates.append((f, sha, seen_shas[sha]))
        else:
            todo.append(f)
            if f.size > 0:
                seen_shas.setdefault(sha, f.relpath)  # a second copy in this load is a duplicate

    now = datetime.now(UTC).replace(tzinfo=None)
    rules = loader_rules(table)
    run_id = f"load {table} {now:%Y-%m-%dT%H:%M:%S}"
    done = 0
    eng = duckdb.connect()
    eng.execute("SET TimeZone = 'UTC'")
    try:
        with tempfile.TemporaryDirectory(prefix="kizuna-load-") as tmp:
            for chunk in _chunks(todo):
                chunk_results = _load_chunk(wh, eng, spec, chunk, shas, latest_by_path, now,
                                            Path(tmp), rules, run_id)
                results += chunk_results
                done += len(chunk)
                if progress:
                    progress(table, done, len(todo))
                log.info("%s: %d/%d files, %d rows loaded, %d quarantined", table, done,
                         len(todo), sum(r.rows_loaded for r in chunk_results),
                         sum(r.rows_quarantined for r in chunk_results))
    finally:
        eng.close()
    if duplicates:
        dup_results = [
            BatchResult(_batch_id(table, f.relpath, sha), table, f.relpath, f.interval, 0, 0, 0,
                        "duplicate", f"same content as {first}, already delivered; nothing added")
            for f, sha, first in duplicates
        ]
        checks = [
            CheckResult(table, BatchRef(r.batch_id, r.source_file, r.data_interval),
                        rules["file_not_duplicate"], "loader", False, 0, 0, 0,
                        [{"same_content_as": first}])
            for r, (_, _, first) in zip(dup_results, duplicates, strict=True)
        ]
        with wh.transaction():
            _record_batches(wh, dup_results, {f.relpath: (sha, f.size)
                                              for f, sha, _ in duplicates}, now)
            write_results(wh, checks, run_id, now)
        results += dup_results
    return results, skipped


def _record_batches(
    wh: Warehouse, results: list[BatchResult], files: dict[str, tuple[str, int]], now: datetime
) -> None:
    if not results:
        return
    data = pa.table({
        "batch_id": [r.batch_id for r in results],
        "source_table": [r.table for r in results],
        "source_file": [r.source_file for r in results],
        "data_interval": pa.array([r.data_interval for r in results], pa.date32()),
        "file_sha256": [files[r.source_file][0] for r in results],
        "file_bytes": pa.array([files[r.source_file][1] for r in results], pa.int64()),
        "rows_in_file": pa.array([r.rows_in_file for r in results], pa.int64()),
        "rows_loaded": pa.array([r.rows_loaded for r in results], pa.int64()),
        "rows_quarantined": pa.array([r.rows_quarantined for r in results], pa.int64()),
        "status": [r.status for r in results],
        "message": pa.array([r.message for r in results], pa.string()),
        "loaded_at": pa.array([now] * len(results), pa.timestamp("us")),
    })
    wh.append_arrow("audit", "load_batches", data)


# The loader's row checks, by the reason the typing step gives a quarantined row.
_REASON_RULES = """CASE
    WHEN reason LIKE 'missing required column:%' THEN 'required_columns_present'
    WHEN reason LIKE 'missing required value:%' THEN 'required_values_present'
    WHEN reason LIKE 'cannot parse %' THEN 'values_parse'
    ELSE 'rows_readable' END"""


def _loader_checks(
    eng: duckdb.DuckDBPyConnection, table: str, chunk: list[DeliveredFile], ids: dict[str, str],
    totals: dict[str, int], reader: _Reader, rules: dict[str, Rule],
) -> list[CheckResult]:
    """What the loader checked per file, as rows of ``audit.dq_results``."""
    found = eng.execute(
        f"""WITH reasons AS (
                SELECT _file, _row_number, unnest(_reasons) AS reason
                FROM typed WHERE len(_reasons) > 0
                UNION ALL SELECT _file, _row_number, reason FROM unreadable),
            classified AS (SELECT *, {_REASON_RULES} AS rule FROM reasons)
            SELECT _file, rule, count(DISTINCT _row_number),
                   list(DISTINCT regexp_extract(
                       reason, '^(?:cannot parse|missing required value:) ?(\\S+)', 1)),
                   (list(struct_pack(row := _row_number, reason := reason)
                         ORDER BY _row_number))[1:{SAMPLE_ROWS}]
            FROM classified GROUP BY 1, 2"""
    ).fetchall()
    problems = {(r[0], r[1]): r for r in found}
    out: list[CheckResult] = []
    for f in chunk:
        batch = BatchRef(ids[f.relpath], f.relpath, f.interval)
        n = totals.get(f.relpath, 0)
        out.append(CheckResult(table, batch, rules["file_not_duplicate"], "loader", True, n, 0))
        out.append(CheckResult(table, batch, rules["file_not_empty"], "loader", n > 0, n, 0))
        if n == 0:
            continue
        missing = reader.missing_required.get(f.relpath) or []
        rule = rules["required_columns_present"]
        out.append(CheckResult(
            table, batch, Rule(rule.name, "loader", tuple(missing), rule.severity, rule.level,
                               rule.mostly, rule.notes),
            "loader", not missing, n, n if missing else 0, n if missing else 0,
            [{"missing": ", ".join(missing),
              "header": ", ".join(reader.headers.get(f.relpath, []))}] if missing else []))
        for name in ("rows_readable", "required_values_present", "values_parse"):
            rule = rules[name]
            hit = problems.get((f.relpath, name))
            bad = int(hit[2]) if hit else 0
            cols = tuple(c for c in (hit[3] if hit else []) if c)
            sample = [{"row": int(x["row"]), "reason": x["reason"]} for x in hit[4]] if hit else []
            out.append(CheckResult(
                table, batch, Rule(rule.name, "loader", cols, rule.severity, rule.level,
                                   rule.mostly, rule.notes),
                "loader", mostly_success(bad, n, rule.mostly), n, bad, bad, sample))
    return out


def _load_chunk(
    wh: Warehouse,
    eng: duckdb.DuckDBPyConnection,
    spec: DeliverySpec,
    chunk: list[DeliveredFile],
    shas: dict[str, str],
    latest_by_path: dict[str, tuple],
    now: datetime,
    tmpdir: Path,
    rules: dict[str, Rule],
    run_id: str,
) -> list[BatchResult]:
    table = spec.entity.table
    reader = _Reader(eng, spec, tmpdir)
    reader.read(chunk)
    ids = {f.relpath: _batch_id(table, f.relpath, shas[f.relpath]) for f in chunk}
    eng.execute("DROP TABLE IF EXISTS batch_ids")
    eng.execute("CREATE TEMP TABLE batch_ids (_file VARCHAR, batch_id VARCHAR)")
    eng.executemany("INSERT INTO batch_ids VALUES (?, ?)", list(ids.items()))

    typed_cols, reasons, extras = _typing_sql(spec, reader.columns)
    extra_sel = "".join(f', nullif("{c}", \'\') AS "{c}"' for c in extras)
    text_cols = [f'"{c}"' for c in reader.columns]
    raw_json = (f"to_json(struct_pack({', '.join(f'{c} := {c}' for c in text_cols)}))::VARCHAR"
                if text_cols else "NULL")
    if reader.undecodable:
        files = ", ".join(_sql_str(f) for f in sorted(reader.undecodable))
        reasons = (
            f"list_concat({reasons}, list_filter([CASE WHEN d._file IN ({files}) AND "
            f"contains({raw_json}, '\ufffd') THEN 'undecodable bytes: the file is not valid in "
            f"its encoding (shown as U+FFFD)' END], lambda x: x IS NOT NULL))"
        )
    eng.execute(
        f"""CREATE OR REPLACE TEMP TABLE typed AS
        SELECT b.batch_id, d._file, d._row_number, {typed_cols}{extra_sel},
               {reasons} AS _reasons, {raw_json} AS _raw_text
        FROM delivered d JOIN batch_ids b USING (_file)"""
    )
    good = eng.sql(
        f"""SELECT {", ".join(f'"{c}"' for c in spec.entity.column_names + extras)},
                   batch_id AS _batch_id, ?::TIMESTAMP AS _loaded_at, _file AS _source_file,
                   _row_number
            FROM typed WHERE len(_reasons) = 0 ORDER BY _file, _row_number""",
        params=[now],
    ).to_arrow_table()
    bad = eng.sql(
        """SELECT batch_id, ? AS source_table, _file AS source_file, _row_number AS row_number,
                  _raw_text AS raw_text, array_to_string(_reasons, '; ') AS reason,
                  ?::TIMESTAMP AS quarantined_at
           FROM typed WHERE len(_reasons) > 0
           UNION ALL
           SELECT b.batch_id, ?, u._file, u._row_number, u.raw_text, u.reason, ?::TIMESTAMP
           FROM unreadable u JOIN batch_ids b USING (_file)
           ORDER BY source_file, row_number""",
        params=[table, now, table, now],
    ).to_arrow_table()
    counts = {
        r[0]: (r[1], r[2]) for r in eng.execute(
            """SELECT _file, count(*) FILTER (WHERE len(_reasons) = 0),
                      count(*) FILTER (WHERE len(_reasons) > 0)
               FROM typed GROUP BY _file"""
        ).fetchall()
    }
    unreadable = dict(eng.execute(
        "SELECT _file, count(*) FROM unreadable GROUP BY _file").fetchall())

    results = []
    totals: dict[str, int] = {}
    for f in chunk:
        loaded, failed = counts.get(f.relpath, (0, 0))
        failed += unreadable.get(f.relpath, 0)
        total = loaded + failed
        totals[f.relpath] = total
        missing = reader.missing_required.get(f.relpath)
        if total == 0:
            status, msg = "empty", "no data rows"
        else:
            status = "loaded"
            msg = (f"required columns missing from header: {', '.join(missing)}"
                   if missing else None)
        if f.relpath in reader.undecodable or reader.encodings.get(f.relpath) not in (
                None, spec.encoding):
            note = f"read as {reader.encodings.get(f.relpath, spec.encoding)}"
            msg = f"{msg}; {note}" if msg else note
        results.append(BatchResult(ids[f.relpath], table, f.relpath, f.interval, total, loaded,
                                   failed, status, msg))
    checks = _loader_checks(eng, table, chunk, ids, totals, reader, rules)

    superseded = [latest_by_path[f.relpath][2] for f in chunk if f.relpath in latest_by_path]
    with wh.transaction():
        _add_extra_columns(wh, table, extras)
        if superseded:
            marks = ", ".join("?" for _ in superseded)
            wh.execute(f"DELETE FROM raw.{table} WHERE _batch_id IN ({marks})", superseded)
            wh.execute(f"DELETE FROM quarantine.rejected_rows WHERE batch_id IN ({marks})",
                       superseded)
            wh.execute(
                f"UPDATE audit.load_batches SET status = 'superseded' WHERE batch_id IN ({marks})",
                superseded,
            )
        wh.append_arrow("raw", table, good)
        wh.append_arrow("quarantine", "rejected_rows", bad)
        _record_batches(wh, results, {f.relpath: (shas[f.relpath], f.size) for f in chunk}, now)
        write_results(wh, checks, run_id, now)
    return results


def load_window(
    start: date,
    end: date,
    tables: Sequence[str] | None = None,
    settings: Settings | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    validate: bool = True,
) -> LoadReport:
    """Load every complete file whose date folder lies in ``[start, end)``.

    ``tables`` limits the load to some raw tables (``["ma_activities"]``); default all.
    Then runs the quality gate on the new batches (:func:`kizuna.quality.validate_window`,
    which raises :class:`kizuna.quality.QualityGateError` when a batch is rejected) unless
    ``validate`` is false: the ingest DAG runs the gate as a task of its own, and batches
    stay ``loaded`` (not yet visible to staging) until it has.
    """
    s = settings or get_settings()
    specs = delivery_specs()
    selected = [specs[t] for t in (tables or [e.table for e in ENTITIES])]
    report = LoadReport()
    with connection(s) as wh:
        ensure_schema(wh)
        for spec in selected:
            found = discover(s.landing, spec, start, end)
            report.pending += found.pending
            batches, skipped = load_files(wh, spec, found.files, progress)
            report.batches += batches
            report.skipped += skipped
    for p in report.pending:
        log.warning("pending, not loaded: %s (%s)", p.relpath, p.reason)
    log.info("load %s..%s: %s", start, end, report.summary())
    if validate:
        from kizuna.quality import validate_window

        try:
            report.gate = validate_window(start, end, [sp.entity.table for sp in selected], s)
        finally:
            report.refresh(s)
    return report


# Columns the loader adds, re-exported for the quality suites and tests.
__all__ = ["LINEAGE_COLUMNS", "BatchResult", "LoadReport", "ensure_schema", "load_files",
           "load_window"]
