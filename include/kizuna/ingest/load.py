"""Landing -> raw: load the complete files of a data interval, idempotently, with quarantine.

Grain: one **batch** per delivered file (``audit.load_batches``, see :mod:`kizuna.ledger`).
Every row of a file ends up either in ``raw.<source>_<entity>`` or in
``quarantine.rejected_rows`` with its batch, file, row number, raw text and reason, and
each batch records the reconciliation ``rows_in_file = rows_loaded + rows_quarantined``.

Files are read by one reader per format (:mod:`kizuna.ingest.readers`) into an in-memory
DuckDB engine and typed there (:mod:`kizuna.ingest.typecast`; no Python loop touches a
row). The typed rows are then appended to the warehouse (DuckDB or PostgreSQL) in one
transaction per chunk of files, together with their quarantine rows, batch records and
the loader's own checks (``audit.dq_results``), so a killed load leaves nothing
half-written.

New batches are ``loaded``: staging reads only ``published`` batches, and the quality
gate (:mod:`kizuna.gate`, run by the caller after the load) publishes or rejects them.

Idempotency: a file already loaded with the same content is skipped; the same content
delivered again under another name (also twice in one load) is recorded as
``duplicate`` and adds nothing; a file whose content changed under the same name
replaces its earlier batch (``superseded``).

Reload (``reload=True``, ``kizuna load --reload``): after a fix to the sources file (a
timezone, an encoding, a column mapping), files already loaded are read again and their
new batches replace the old ones (``superseded``, the reason in ``audit.batch_events``);
reloading twice leaves the same rows. A batch discarded by hand (``kizuna batch
discard``) comes back only with a reload.

Erased people (:mod:`kizuna.erasure`) stay out: a row whose e-mail address, lead id or
contact id is on the suppression list (``audit.erased_keys``) goes neither to raw nor to
quarantine (quarantine keeps personal data); its batch counts it in ``rows_excluded`` and
says so in its message.

Delivered columns that are neither contract columns nor mapped to one are kept in raw
as text and named in the batch's message, as is a mapping whose vendor header no file
column matched, so a misspelt header in the sources file does not pass unseen.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from kizuna import ledger
from kizuna.contract import ENTITIES
from kizuna.identifiers import column_name, literal, quote
from kizuna.ingest.discovery import (
    DeliveredFile,
    LandingLayoutError,
    LayoutProblem,
    PendingFile,
    discover,
    layout_problems,
)
from kizuna.ingest.readers import ReadResult, reader_for
from kizuna.ingest.typecast import typing_sql
from kizuna.ledger import (
    LOADER_RULES,
    SAMPLE_ROWS,
    BatchRef,
    BatchResult,
    CheckResult,
    Rule,
    mostly_success,
)
from kizuna.raw import add_delivered_columns, ensure_raw_tables
from kizuna.settings import Settings, get_settings
from kizuna.sources.config import DeliverySpec, vendor_names
from kizuna.sources.vendors import VENDOR_LINEAGE, effective_delivery_specs
from kizuna.suppression import PERSON_COLUMNS, SuppressionList, suppression_list
from kizuna.warehouse import Warehouse, connection

log = logging.getLogger(__name__)

# A chunk of files is typed in memory and committed together.
CHUNK_FILES = 400
CHUNK_BYTES = 256 << 20

LoaderRules = dict[str, Rule]


@dataclass
class LoadReport:
    """What one load did: a result per file considered, and files left pending."""

    batches: list[BatchResult] = field(default_factory=list)
    skipped: int = 0  # files already loaded with the same content
    pending: list[PendingFile] = field(default_factory=list)
    #: Folders of the landing area no source or vendor reads.
    layout: list[LayoutProblem] = field(default_factory=list)

    def refresh(self, settings: Settings | None = None) -> None:
        """Re-read each batch's status and counts after the quality gate changed them."""
        if not self.batches:
            return
        with connection(settings) as wh:
            rows = ledger.batch_states(wh, [b.batch_id for b in self.batches])
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

    def unmapped(self) -> dict[str, list[str]]:
        """raw table -> delivered columns neither in the contract nor mapped to it."""
        out: dict[str, list[str]] = {}
        for b in self.batches:
            cols = out.setdefault(b.table, [])
            cols += [c for c in b.unmapped if c not in cols]
        return {t: cols for t, cols in out.items() if cols}

    def summary(self) -> str:
        text = (
            f"{len(self.batches)} new batches, {self.skipped} files already loaded, "
            f"{self.rows_loaded():,} rows loaded, {self.rows_quarantined():,} quarantined, "
            f"{len(self.pending)} files pending"
        )
        unmapped = self.unmapped()
        if unmapped:
            text += "; unmapped columns (kept in raw as text): " + "; ".join(
                f"{t}: {', '.join(cols)}" for t, cols in sorted(unmapped.items()))
        return text


def ensure_schema(wh: Warehouse) -> None:
    """Create the raw tables and the ledger's tables if they do not exist."""
    ensure_raw_tables(wh)
    ledger.ensure_ledger(wh)


def _batch_id(table: str, relpath: str, sha: str, generation: int = 0) -> str:
    """A file's first batch keeps the id of its content; later batches of the same path
    (a changed file, a reload) are numbered, so no id is ever used twice."""
    key = f"{table}|{relpath}|{sha}" + (f"|{generation}" if generation else "")
    return hashlib.sha256(key.encode()).hexdigest()[:24]


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
    rules: LoaderRules | None = None,
    reload: str | None = None,
    erased: SuppressionList | None = None,
) -> tuple[list[BatchResult], int]:
    """Load ``files`` of one entity; returns the new batch results and the files skipped.

    New batches are ``loaded`` (the quality gate publishes or rejects them), ``empty`` or
    ``duplicate``; the loader's own checks go to ``audit.dq_results`` with the severities
    of ``rules`` (the entity's suite may tune them; default :data:`ledger.LOADER_RULES`).
    ``reload`` (the reason) reads files already loaded again and supersedes their batches.
    ``erased`` is the suppression list (default: read from the warehouse).
    """
    table = spec.entity.table
    if not files:
        return [], 0
    if erased is None and any(c in spec.entity.column_names for c in PERSON_COLUMNS):
        erased = suppression_list(wh, get_settings())
    shas = {f.relpath: f.sha256() for f in files}
    known = ledger.known_batches(wh, table)
    generations = ledger.batch_generations(wh, table)
    by_path = {(r[0], r[1]): r for r in known}
    # The batch a new version of a file replaces (a discarded one has nothing to replace).
    latest_by_path = {r[0]: r for r in known if r[3] != "discarded"}
    reloading = {f.relpath for f in files} if reload else set()
    # Content already delivered (under any name): a copy adds nothing. A duplicate record
    # itself is not content, and an empty file is no delivery worth naming. Batches this
    # reload replaces no longer count.
    seen_shas = {r[1]: r[0] for r in known if r[3] in ("loaded", "published", "rejected")
                 and r[0] not in reloading}

    results: list[BatchResult] = []
    todo: list[DeliveredFile] = []
    duplicates: list[tuple[DeliveredFile, str, str]] = []
    skipped = 0
    for f in files:
        sha = shas[f.relpath]
        prior = by_path.get((f.relpath, sha))
        if prior is not None and not (reload and prior[3] != "duplicate"):
            skipped += 1
        elif (sha in seen_shas and seen_shas[sha] != f.relpath and f.size > 0
              and (reload or f.relpath not in latest_by_path)):
            duplicates.append((f, sha, seen_shas[sha]))
        else:
            todo.append(f)
            if f.size > 0:
                seen_shas.setdefault(sha, f.relpath)  # a second copy in this load is a duplicate
    ids = {f.relpath: _batch_id(table, f.relpath, shas[f.relpath],
                                generations.get(f.relpath, 0))
           for f in [*todo, *(d[0] for d in duplicates)]}

    now = datetime.now(UTC).replace(tzinfo=None)
    rules = rules or dict(LOADER_RULES)
    run_id = f"load {table} {now:%Y-%m-%dT%H:%M:%S}"
    done = 0
    eng = duckdb.connect()
    eng.execute("SET TimeZone = 'UTC'")
    try:
        with tempfile.TemporaryDirectory(prefix="kizuna-load-") as tmp:
            for chunk in _chunks(todo):
                chunk_results = _load_chunk(wh, eng, spec, chunk, shas, ids, latest_by_path,
                                            now, Path(tmp), rules, run_id, reload, erased)
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
            BatchResult(ids[f.relpath], table, f.relpath, f.interval, 0, 0, 0,
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
            ledger.record_batches(wh, dup_results, {f.relpath: (sha, f.size)
                                                    for f, sha, _ in duplicates}, now)
            ledger.write_results(wh, checks, run_id, now)
        results += dup_results
    return results, skipped


# The loader's row checks, by the reason the typing step gives a quarantined row.
_REASON_RULES = """CASE
    WHEN reason LIKE 'missing required column:%' THEN 'required_columns_present'
    WHEN reason LIKE 'missing required value:%' THEN 'required_values_present'
    WHEN reason LIKE 'cannot parse %' THEN 'values_parse'
    ELSE 'rows_readable' END"""


def _loader_checks(
    eng: duckdb.DuckDBPyConnection, table: str, chunk: list[DeliveredFile], ids: dict[str, str],
    totals: dict[str, int], reader: ReadResult, rules: LoaderRules,
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
    ids: dict[str, str],
    latest_by_path: dict[str, tuple],
    now: datetime,
    tmpdir: Path,
    rules: LoaderRules,
    run_id: str,
    reload: str | None = None,
    erased: SuppressionList | None = None,
) -> list[BatchResult]:
    table = spec.entity.table
    reader = reader_for(spec, eng, tmpdir).read(chunk)
    ids = {f.relpath: ids[f.relpath] for f in chunk}
    eng.execute("DROP TABLE IF EXISTS batch_ids")
    eng.execute("CREATE TEMP TABLE batch_ids (_file VARCHAR, _batch_id VARCHAR)")
    eng.executemany("INSERT INTO batch_ids VALUES (?, ?)", list(ids.items()))

    typed_cols, reasons, extras = typing_sql(spec, reader.columns)
    extra_sel = "".join(f", nullif({quote(c)}, '') AS {quote(c)}" for c in extras)
    text_cols = [quote(c) for c in reader.columns]
    raw_json = (f"to_json(struct_pack({', '.join(f'{c} := {c}' for c in text_cols)}))::VARCHAR"
                if text_cols else "NULL")
    if reader.undecodable:
        files = ", ".join(literal(f) for f in sorted(reader.undecodable))
        reasons = (
            f"list_concat({reasons}, list_filter([CASE WHEN d._file IN ({files}) AND "
            f"contains({raw_json}, '\ufffd') THEN 'undecodable bytes: the file is not valid in "
            f"its encoding (shown as U+FFFD)' END], lambda x: x IS NOT NULL))"
        )
    eng.execute(
        f"""CREATE OR REPLACE TEMP TABLE typed AS
        SELECT b._batch_id, d._file, d._row_number, {typed_cols}{extra_sel},
               {reasons} AS _reasons, {raw_json} AS _raw_text
        FROM delivered d JOIN batch_ids b USING (_file)"""
    )
    excluded = _exclude_erased(eng, spec, erased)
    good = eng.sql(
        f"""SELECT {", ".join(quote(c) for c in spec.entity.column_names + extras)},
                   _batch_id, ?::TIMESTAMP AS _loaded_at, _file AS _source_file,
                   _row_number
            FROM typed WHERE len(_reasons) = 0 ORDER BY _file, _row_number""",
        params=[now],
    ).to_arrow_table()
    bad = eng.sql(
        """SELECT _batch_id AS batch_id, ? AS source_table, _file AS source_file,
                  _row_number AS row_number,
                  _raw_text AS raw_text, array_to_string(_reasons, '; ') AS reason,
                  ?::TIMESTAMP AS quarantined_at
           FROM typed WHERE len(_reasons) > 0
           UNION ALL
           SELECT b._batch_id, ?, u._file, u._row_number, u.raw_text, u.reason, ?::TIMESTAMP
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
        msg: str | None
        if total == 0:
            status, msg = "empty", "no data rows"
        else:
            status = "loaded"
            msg = (f"required columns missing from header: {', '.join(missing)}"
                   if missing else None)
        notes = []
        if f.relpath in reader.undecodable or reader.encodings.get(f.relpath) not in (
                None, spec.encoding):
            notes.append(f"read as {reader.encodings.get(f.relpath, spec.encoding)}")
        header = reader.headers.get(f.relpath, [])
        unmapped = tuple(c for c in header if c not in spec.entity.column_names
                         and c not in VENDOR_LINEAGE)
        notes += _mapping_notes(spec, header, unmapped)
        if excluded.get(f.relpath):
            notes.append(f"{excluded[f.relpath]} rows excluded: erased "
                         "(people on the suppression list, audit.erased_keys)")
        msg = "; ".join([*([msg] if msg else []), *notes]) or None
        results.append(BatchResult(ids[f.relpath], table, f.relpath, f.interval, total, loaded,
                                   failed, status, msg, unmapped,
                                   rows_excluded=excluded.get(f.relpath, 0)))
    checks = _loader_checks(eng, table, chunk, ids, totals, reader, rules)

    superseded = [latest_by_path[f.relpath][2] for f in chunk if f.relpath in latest_by_path]
    why = (f"reloaded: {reload}" if reload
           else "a changed file was delivered under the same name")
    with wh.transaction():
        add_delivered_columns(wh, table, extras)
        ledger.supersede(wh, table, superseded, why, now,
                         event="reloaded" if reload else "replaced")
        wh.append_arrow("raw", table, good)
        ledger.quarantine(wh, bad)
        ledger.record_batches(wh, results, {f.relpath: (shas[f.relpath], f.size)
                                            for f in chunk}, now)
        ledger.write_results(wh, checks, run_id, now)
    return results


def _exclude_erased(eng: duckdb.DuckDBPyConnection, spec: DeliverySpec,
                    erased: SuppressionList | None) -> dict[str, int]:
    """Drop the typed rows of erased people before anything is written; rows per file.

    Only the distinct values of the person columns are hashed (in Python: the e-mail is
    normalised by :func:`kizuna.normalise.normalise_email` first), not every row.
    """
    if erased is None:
        return {}
    conditions = []
    for column, kind in PERSON_COLUMNS.items():
        if column not in spec.entity.column_names:
            continue
        col = quote(column)
        values = [r[0] for r in eng.execute(
            f"SELECT DISTINCT {col}::VARCHAR FROM typed WHERE {col} IS NOT NULL").fetchall()]
        hits = erased.erased(kind, values)
        if hits:
            eng.execute(f"CREATE OR REPLACE TEMP TABLE erased_{column} AS "
                        "SELECT unnest(?::VARCHAR[]) AS v", [sorted(hits)])
            conditions.append(f"{col}::VARCHAR IN (SELECT v FROM erased_{column})")
    if not conditions:
        return {}
    where = " OR ".join(conditions)
    counts = {str(r[0]): int(r[1]) for r in eng.execute(
        f"SELECT _file, count(*) FROM typed WHERE {where} GROUP BY _file").fetchall()}
    eng.execute(f"DELETE FROM typed WHERE {where}")
    log.info("%s: %d rows of erased people excluded", spec.entity.table, sum(counts.values()))
    return counts


def _mapping_notes(spec: DeliverySpec, header: Sequence[str], unmapped: Sequence[str]
                   ) -> list[str]:
    """What a batch's message says about columns: those kept unmapped, and mappings of the
    sources file that matched no delivered column (a misspelt vendor header)."""
    notes = []
    if unmapped:
        notes.append(f"unmapped columns kept in raw as text: {', '.join(unmapped)}")
    for vendor, target in spec.columns.items():
        if target not in header:
            near = difflib.get_close_matches(column_name(vendor), list(unmapped), n=1)
            notes.append(f"column mapping {vendor!r} -> {target} matched no column of the file"
                         + (f" (nearest delivered: {near[0]!r})" if near else ""))
    return notes


def load_window(
    start: date,
    end: date,
    tables: Sequence[str] | None = None,
    settings: Settings | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    rules: Callable[[str], LoaderRules] | None = None,
    reload: str | None = None,
    strict_layout: bool = False,
) -> LoadReport:
    """Load every complete file whose date folder lies in ``[start, end)``.

    ``tables`` limits the load to some raw tables (``["ma_activities"]``); default all.
    ``rules`` gives each table's loader checks (the gate's suites tune their severity).
    ``reload`` (why) loads files already loaded again, replacing their batches.
    New batches stay ``loaded`` (not visible to staging) until the quality gate has run:
    :func:`kizuna.pipeline.load_and_gate` runs both.

    Landing folders no source reads (:func:`~kizuna.ingest.discovery.layout_problems`)
    raise :class:`LandingLayoutError` before anything loads when ``strict_layout`` (the
    command line); otherwise each is a warning, and once the files that can be loaded
    are, the error is raised if a folder looks meant for one of ``tables`` (``cmr/``
    for ``crm_*``), so the DAG task of that entity fails instead of passing with its
    data missing.
    """
    s = settings or get_settings()
    specs = effective_delivery_specs()
    selected = [specs[t] for t in (tables or [e.table for e in ENTITIES])]
    report = LoadReport(layout=layout_problems(s.landing, vendor_names()))
    if report.layout and strict_layout:
        raise LandingLayoutError(report.layout)
    for problem in report.layout:
        log.warning("landing/%s: %s", problem.relpath, problem.message)
    with connection(s) as wh:
        ensure_schema(wh)
        for spec in selected:
            found = discover(s.landing, spec, start, end)
            report.pending += found.pending
            table_rules = rules(spec.entity.table) if rules else None
            batches, skipped = load_files(wh, spec, found.files, progress, table_rules,
                                          reload)
            report.batches += batches
            report.skipped += skipped
    for p in report.pending:
        log.warning("pending, not loaded: %s (%s)", p.relpath, p.reason)
    log.info("load %s..%s: %s", start, end, report.summary())
    names = {spec.entity.table for spec in selected}
    concerned = [p for p in report.layout
                 if set(p.tables) & names or (tables is None and not p.tables)]
    if concerned:
        raise LandingLayoutError(concerned)
    return report
