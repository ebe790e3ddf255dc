"""The ledger: what was delivered, what each check found, and which rows were held back.

The tables below, owned here (DDL, row types, writers and the batch status machine); the
loader (:mod:`kizuna.ingest`) and the quality gate (:mod:`kizuna.gate`) both write them
and neither imports the other.

- ``audit.load_batches``: one row per delivered file (a **batch**) with the
  reconciliation ``rows_in_file = rows_loaded + rows_quarantined``; rows of people erased
  before (:mod:`kizuna.erasure`) are left out of both and counted in ``rows_excluded``
  (the file holds ``rows_in_file + rows_excluded`` rows);
- ``audit.dq_results``: one row per batch x check (the loader's checks and the gate's);
- ``quarantine.rejected_rows``: one row per row that could not be loaded or failed a
  row-level rule: batch, file, row number, raw text and reason;
- ``audit.batch_events``: one row per change a person or a reload made to a batch
  (accepted, discarded, reloaded): who, when, why, and the status before and after;
- ``audit.late_deliveries``: one row per date folder found incomplete after its deadline
  (``overdue``), until a later run finds it complete or gone (``resolved``);
- ``audit.source_freshness``: one row per raw table per ``dbt source freshness`` run of
  the transform: its newest ``_loaded_at``, age and verdict (pass, warn, error).

Batch statuses::

    loaded ──gate──> published ─┐
       │                        ├─ a changed file under the same name, or a reload ──> superseded
       └────gate──> rejected ───┘
                       │  └──kizuna batch accept──> published
                       └─────kizuna batch discard──> discarded (also from loaded, published)
    duplicate (same content as an earlier file)     empty (no data row)

Staging reads only ``published`` batches. A ``discarded`` batch's rows leave raw (its
quarantined rows stay, as evidence); loading the same file again does not bring it back
unless the load is a reload.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from kizuna.contract import LogicalType
from kizuna.identifiers import quote
from kizuna.transform import SourceFreshness
from kizuna.warehouse import Warehouse

BATCH_STATUSES = ("loaded", "published", "rejected", "duplicate", "superseded", "empty",
                  "discarded")
#: Statuses whose rows are history: not current, never counted in quality figures.
RETIRED_STATUSES = ("superseded", "discarded")
#: Statuses no one still has to act on: the landing file may be archived (kizuna.maintenance).
#: ``loaded`` waits for the gate, ``rejected`` for a person (accept or discard).
SETTLED_STATUSES = ("published", "duplicate", "superseded", "empty", "discarded")
#: What a person may do to a batch, and from which statuses.
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": (("rejected",), "published"),
    "discard": (("loaded", "rejected", "published"), "discarded"),
}
SEVERITIES = ("critical", "warning")
LEVELS = ("row", "batch")
CHECKED_BY = ("loader", "great_expectations")
#: Failing rows shown per batch and check (dq_results.unexpected_sample, error messages).
SAMPLE_ROWS = 5
#: Ids per ``IN (...)`` list.
_IDS_PER_STATEMENT = 500

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
    loaded_at {timestamp} NOT NULL,
    rows_excluded {int} NOT NULL DEFAULT 0
)"""
#: A ledger made before erasure existed gains the column (0: nothing was excluded then).
AUDIT_BATCHES_EXCLUDED = ("ALTER TABLE audit.load_batches "
                          "ADD COLUMN IF NOT EXISTS rows_excluded {int} DEFAULT 0")

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

DQ_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS audit.dq_results (
    run_id {text} NOT NULL,
    entity {text} NOT NULL,
    batch_id {text} NOT NULL,
    source_file {text} NOT NULL,
    data_interval {date} NOT NULL,
    rule {text} NOT NULL,
    expectation_type {text} NOT NULL,
    column_name {text},
    severity {text} NOT NULL,
    level {text} NOT NULL,
    checked_by {text} NOT NULL,
    success {bool} NOT NULL,
    element_count {int} NOT NULL,
    unexpected_count {int} NOT NULL,
    rows_quarantined {int} NOT NULL,
    unexpected_sample {text},
    validated_at {timestamp} NOT NULL
)"""

BATCH_EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS audit.batch_events (
    batch_id {text} NOT NULL,
    source_table {text} NOT NULL,
    event {text} NOT NULL,
    status_before {text} NOT NULL,
    status_after {text} NOT NULL,
    reason {text} NOT NULL,
    actor {text} NOT NULL,
    happened_at {timestamp} NOT NULL
)"""


LATE_DELIVERIES_DDL = """
CREATE TABLE IF NOT EXISTS audit.late_deliveries (
    folder {text} PRIMARY KEY,
    source_table {text} NOT NULL,
    data_interval {date} NOT NULL,
    deadline_at {timestamp} NOT NULL,
    reason {text} NOT NULL,
    files_waiting {int} NOT NULL,
    status {text} NOT NULL,
    first_alerted_at {timestamp} NOT NULL,
    last_checked_at {timestamp} NOT NULL,
    resolved_at {timestamp}
)"""

SOURCE_FRESHNESS_DDL = """
CREATE TABLE IF NOT EXISTS audit.source_freshness (
    checked_at {timestamp} NOT NULL,
    source_name {text} NOT NULL,
    table_name {text} NOT NULL,
    raw_table {text} NOT NULL,
    status {text} NOT NULL,
    max_loaded_at {timestamp},
    age_hours {float},
    warn_after {text},
    error_after {text},
    message {text}
)"""

LATE_DELIVERY_STATUSES = ("overdue", "resolved")
FRESHNESS_STATUSES = ("pass", "warn", "error", "runtime error")


def ensure_ledger(wh: Warehouse) -> None:
    """Create the audit and quarantine schemas and tables if they do not exist."""
    kinds: tuple[LogicalType, ...] = ("text", "int", "date", "timestamp", "bool", "float")
    types: dict[str, str] = {k: wh.sql_type(k) for k in kinds}
    for schema in ("quarantine", "audit"):
        wh.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for ddl in (AUDIT_BATCHES_DDL, QUARANTINE_DDL, DQ_RESULTS_DDL, BATCH_EVENTS_DDL,
                LATE_DELIVERIES_DDL, SOURCE_FRESHNESS_DDL):
        wh.execute(ddl.format(**types))
    wh.execute(AUDIT_BATCHES_EXCLUDED.format(**types))


# --------------------------------------------------------------------------- row types


@dataclass(frozen=True)
class BatchRef:
    batch_id: str
    source_file: str
    data_interval: date


@dataclass(frozen=True)
class BatchResult:
    """One row of ``audit.load_batches`` as the loader wrote it."""

    batch_id: str
    table: str
    source_file: str
    data_interval: date
    rows_in_file: int
    rows_loaded: int
    rows_quarantined: int
    status: str
    message: str | None = None
    #: Delivered columns neither in the contract nor mapped to it (kept in raw as text).
    unmapped: tuple[str, ...] = ()
    #: Rows of people erased before, left out of raw and quarantine (:mod:`kizuna.erasure`).
    rows_excluded: int = 0


@dataclass(frozen=True)
class Rule:
    """One check as the ledger records it: a GX expectation or one of the loader's checks."""

    name: str
    expectation_type: str
    columns: tuple[str, ...]  # as the check names them (a suite's derived columns included)
    severity: str
    level: str
    mostly: float | None = None
    notes: str = ""
    #: Delivered columns the check reads, when they differ from ``columns``.
    sources: tuple[str, ...] | None = None

    @property
    def source_columns(self) -> tuple[str, ...]:
        if self.sources is not None:
            return self.sources
        return tuple(c for c in self.columns if c != "_batch_id")

    @property
    def column_label(self) -> str | None:
        return ", ".join(self.source_columns) or None


#: The loader's own checks; a suite may override severity, level or mostly per entity
#: in ``meta.kizuna.loader_rules``.
LOADER_RULES: dict[str, Rule] = {
    r.name: r for r in (
        Rule("file_not_duplicate", "loader", (), "warning", "batch", None,
             "The same content was already delivered under another name; nothing is added."),
        Rule("file_not_empty", "loader", (), "warning", "batch", None,
             "The file has at least one data row."),
        Rule("required_columns_present", "loader", (), "critical", "batch", None,
             "The header names every required column of the contract (after the "
             "source's column mapping)."),
        Rule("rows_readable", "loader", (), "critical", "row", 0.5,
             "Every line is a record: no ragged rows, unterminated quotes, broken JSON or "
             "undecodable bytes. Unreadable lines are quarantined; more than half of a "
             "file unreadable rejects it."),
        Rule("required_values_present", "loader", (), "critical", "row", 0.5,
             "Required columns have a value. Rows without one are quarantined; more than "
             "half of a file rejects it."),
        Rule("values_parse", "loader", (), "critical", "row", 0.5,
             "Values parse as the contract's type (dates, timestamps, integers, booleans). "
             "Rows with an unparsable value are quarantined; more than half of a file "
             "rejects it."),
    )
}


@dataclass(frozen=True)
class CheckResult:
    """One row of ``audit.dq_results``: one check of one batch."""

    entity: str
    batch: BatchRef
    rule: Rule
    checked_by: str
    success: bool
    element_count: int
    unexpected_count: int
    rows_quarantined: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> str:
        """One line a data engineer can act on."""
        col = f", column {self.rule.column_label}" if self.rule.column_label else ""
        share = (f"{self.unexpected_count:,} of {self.element_count:,} rows"
                 if self.element_count else "the file")
        mostly = f", tolerated up to {1 - self.rule.mostly:.0%}" if self.rule.mostly else ""
        sample = "; ".join(sample_text(s) for s in self.sample[:SAMPLE_ROWS])
        return (f"rule {self.rule.name} ({self.rule.severity}, {self.rule.level}-level{mostly})"
                f"{col}: {share} failed" + (f". Sample: {sample}" if sample else "")
                + (f". Rule: {self.rule.notes}" if self.rule.notes else ""))


def sample_text(s: dict[str, Any]) -> str:
    row = s.get("row")
    rest = ", ".join(f"{k}={v!r}" for k, v in s.items() if k != "row")
    return f"row {row}: {rest}" if row is not None else rest


def mostly_success(unexpected: int, denominator: int, mostly: float | None) -> bool:
    """GX's rule: success when the share of passing values is at least ``mostly`` (1)."""
    if unexpected == 0:
        return True
    if not mostly or denominator <= 0:
        return False
    return (denominator - unexpected) / denominator >= mostly


# --------------------------------------------------------------------------- writers


def record_batches(wh: Warehouse, results: Sequence[BatchResult],
                   files: dict[str, tuple[str, int]], now: datetime) -> None:
    """Append new batches; ``files`` maps each source file to (sha256, bytes)."""
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
        "rows_excluded": pa.array([r.rows_excluded for r in results], pa.int64()),
    })
    wh.append_arrow("audit", "load_batches", data)


def write_results(wh: Warehouse, results: Sequence[CheckResult], run_id: str,
                  now: datetime) -> None:
    """Append check results to ``audit.dq_results``."""
    if not results:
        return
    data = pa.table({
        "run_id": [run_id] * len(results),
        "entity": [r.entity for r in results],
        "batch_id": [r.batch.batch_id for r in results],
        "source_file": [r.batch.source_file for r in results],
        "data_interval": pa.array([r.batch.data_interval for r in results], pa.date32()),
        "rule": [r.rule.name for r in results],
        "expectation_type": [r.rule.expectation_type for r in results],
        "column_name": pa.array([r.rule.column_label for r in results], pa.string()),
        "severity": [r.rule.severity for r in results],
        "level": [r.rule.level for r in results],
        "checked_by": [r.checked_by for r in results],
        "success": pa.array([r.success for r in results], pa.bool_()),
        "element_count": pa.array([r.element_count for r in results], pa.int64()),
        "unexpected_count": pa.array([r.unexpected_count for r in results], pa.int64()),
        "rows_quarantined": pa.array([r.rows_quarantined for r in results], pa.int64()),
        "unexpected_sample": pa.array(
            [json.dumps(r.sample, ensure_ascii=False, default=str) if r.sample else None
             for r in results], pa.string()),
        "validated_at": pa.array([now] * len(results), pa.timestamp("us")),
    })
    wh.append_arrow("audit", "dq_results", data)


def replace_results(wh: Warehouse, batch_ids: Sequence[str], checked_by: str,
                    results: Sequence[CheckResult], run_id: str, now: datetime) -> None:
    """A new run of one checker over these batches replaces its earlier results."""
    for part in _parts(batch_ids):
        wh.execute(f"DELETE FROM audit.dq_results WHERE checked_by = ? "
                   f"AND batch_id IN ({_marks(part)})", [checked_by, *part])
    write_results(wh, results, run_id, now)


def quarantine(wh: Warehouse, rows: pa.Table) -> None:
    """Append rows to ``quarantine.rejected_rows`` (the table's columns, in any order)."""
    wh.append_arrow("quarantine", "rejected_rows", rows)


def move_to_quarantine(wh: Warehouse, table: str, rows: pa.Table,
                       row_numbers: dict[str, list[int]]) -> None:
    """Rows already in ``raw.<table>`` that failed a row-level rule: into quarantine, out
    of raw, and their batches' counts moved (the reconciliation stays true)."""
    quarantine(wh, rows)
    for batch_id, numbers in row_numbers.items():
        for i in range(0, len(numbers), 1000):
            part = numbers[i:i + 1000]
            wh.execute(f"DELETE FROM raw.{quote(table)} WHERE _batch_id = ? AND _row_number "
                       f"IN ({', '.join(str(int(n)) for n in part)})", [batch_id])
        wh.execute("UPDATE audit.load_batches SET rows_loaded = rows_loaded - ?, "
                   "rows_quarantined = rows_quarantined + ? WHERE batch_id = ?",
                   [len(numbers), len(numbers), batch_id])


def supersede(wh: Warehouse, table: str, batch_ids: Sequence[str],
              reason: str | None = None, now: datetime | None = None,
              event: str = "replaced") -> None:
    """Earlier batches of files delivered again with other content (``replaced``) or
    reloaded (``reloaded``): their rows leave raw and quarantine, and their status becomes
    ``superseded``. With a ``reason``, each change is also recorded in
    ``audit.batch_events``."""
    if reason is not None and batch_ids:
        before = {b: str(r[2]) for b, r in batch_states(wh, batch_ids).items()}
        at = now or datetime.now(UTC).replace(tzinfo=None)
        n = len(before)
        wh.append_arrow("audit", "batch_events", pa.table({
            "batch_id": list(before), "source_table": [table] * n,
            "event": [event] * n, "status_before": list(before.values()),
            "status_after": ["superseded"] * n, "reason": [reason] * n,
            "actor": [actor()] * n, "happened_at": pa.array([at] * n, pa.timestamp("us")),
        }))
    for part in _parts(batch_ids):
        marks = _marks(part)
        wh.execute(f"DELETE FROM raw.{quote(table)} WHERE _batch_id IN ({marks})", part)
        wh.execute(f"DELETE FROM quarantine.rejected_rows WHERE batch_id IN ({marks})", part)
        wh.execute(f"UPDATE audit.load_batches SET status = 'superseded' "
                   f"WHERE batch_id IN ({marks})", part)


class BatchActionError(ValueError):
    """A batch cannot take the change asked for: no such batch, or not in a status that
    allows it. The message says which and what to do."""


def actor() -> str:
    """Who is making a change by hand (the operating-system user)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"


def record_event(wh: Warehouse, batch_id: str, table: str, event: str, before: str,
                 after: str, reason: str, by: str | None = None,
                 now: datetime | None = None) -> None:
    """Append one change of a batch to ``audit.batch_events``."""
    wh.execute("INSERT INTO audit.batch_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [batch_id, table, event, before, after, reason, by or actor(),
                now or datetime.now(UTC).replace(tzinfo=None)])


def find_batch(wh: Warehouse, batch_id: str) -> tuple[Any, ...]:
    """(batch_id, source_table, source_file, status, message) of a batch named by its id
    or a unique prefix of it (at least 6 characters)."""
    if len(batch_id) < 6:
        raise BatchActionError(f"batch id {batch_id!r} is too short: give at least 6 "
                               "characters (kizuna batch list shows the ids)")
    rows = wh.query("SELECT batch_id, source_table, source_file, status, message "
                    "FROM audit.load_batches WHERE batch_id LIKE ? ORDER BY batch_id",
                    [batch_id.replace("%", "").replace("_", "") + "%"])
    if not rows:
        raise BatchActionError(f"no batch {batch_id!r} in audit.load_batches "
                               "(kizuna batch list shows the ids)")
    if len(rows) > 1:
        raise BatchActionError(f"{len(rows)} batches start with {batch_id!r}: give more of "
                               "the id")
    return tuple(rows[0])


def act_on_batch(wh: Warehouse, batch_id: str, action: str, reason: str,
                 by: str | None = None, now: datetime | None = None) -> tuple[Any, ...]:
    """``accept`` a rejected batch (it is published) or ``discard`` a batch (its rows leave
    raw, status ``discarded``); the reason goes to its message and ``audit.batch_events``.
    Returns (batch_id, source_table, source_file, status before, status after)."""
    if action not in ACTIONS:
        raise BatchActionError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    if not reason.strip():
        raise BatchActionError(f"say why you {action} the batch (--reason)")
    allowed, after = ACTIONS[action]
    full_id, table, source_file, before, message = find_batch(wh, batch_id)
    if before not in allowed:
        raise BatchActionError(
            f"batch {full_id} ({source_file}) is {before}; only a batch that is "
            f"{' or '.join(allowed)} can be {action}ed")
    by = by or actor()
    note = f"{action}ed by {by}: {reason}" + (f" (was: {message})" if message else "")
    with wh.transaction():
        if action == "discard":
            wh.execute(f"DELETE FROM raw.{quote(table)} WHERE _batch_id = ?", [full_id])
        wh.execute("UPDATE audit.load_batches SET status = ?, message = ? "
                   "WHERE batch_id = ? AND status = ?", [after, note, full_id, before])
        record_event(wh, full_id, table, action, before, after, reason, by, now)
    return full_id, table, source_file, before, after


def decide(wh: Warehouse, decisions: dict[str, str]) -> None:
    """The gate's verdict on ``loaded`` batches: an empty message publishes the batch, any
    other rejects it with that message. Batches no longer ``loaded`` are left alone."""
    published = [b for b, msg in decisions.items() if not msg]
    for part in _parts(published):
        wh.execute(f"UPDATE audit.load_batches SET status = 'published' WHERE status = 'loaded' "
                   f"AND batch_id IN ({_marks(part)})", part)
    for batch_id, msg in decisions.items():
        if msg:
            wh.execute("UPDATE audit.load_batches SET status = 'rejected', message = ? "
                       "WHERE batch_id = ? AND status = 'loaded'", [msg, batch_id])


# --------------------------------------------------------------------------- readers


def known_batches(wh: Warehouse, table: str) -> list[tuple[Any, ...]]:
    """(source_file, file_sha256, batch_id, status) of every batch not superseded, oldest
    first."""
    return wh.query(
        "SELECT source_file, file_sha256, batch_id, status FROM audit.load_batches "
        "WHERE source_table = ? AND status <> 'superseded' ORDER BY loaded_at, batch_id",
        [table])


def batch_generations(wh: Warehouse, table: str) -> dict[str, int]:
    """source_file -> how many batches the file has had (any status)."""
    return {r[0]: int(r[1]) for r in wh.query(
        "SELECT source_file, count(*) FROM audit.load_batches WHERE source_table = ? "
        "GROUP BY 1", [table])}


def recent_batches(wh: Warehouse, limit: int = 30, status: str | None = None,
                   table: str | None = None) -> list[tuple[Any, ...]]:
    """The latest batches, newest first: (batch_id, source_table, source_file,
    data_interval, status, rows_in_file, rows_loaded, rows_quarantined, message,
    loaded_at)."""
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if table:
        where.append("source_table = ?")
        params.append(table)
    return wh.query(
        "SELECT batch_id, source_table, source_file, data_interval, status, rows_in_file, "
        "rows_loaded, rows_quarantined, message, loaded_at FROM audit.load_batches"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY loaded_at DESC, source_file DESC LIMIT {int(limit)}", params)


def batch_events(wh: Warehouse, batch_id: str) -> list[tuple[Any, ...]]:
    """(event, status_before, status_after, reason, actor, happened_at) of one batch."""
    return wh.query(
        "SELECT event, status_before, status_after, reason, actor, happened_at "
        "FROM audit.batch_events WHERE batch_id = ? ORDER BY happened_at", [batch_id])


def batch_states(wh: Warehouse, batch_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """batch_id -> (rows_loaded, rows_quarantined, status, message)."""
    out: dict[str, tuple[Any, ...]] = {}
    for part in _parts(batch_ids):
        out.update({r[0]: tuple(r[1:]) for r in wh.query(
            "SELECT batch_id, rows_loaded, rows_quarantined, status, message "
            f"FROM audit.load_batches WHERE batch_id IN ({_marks(part)})", part)})
    return out


def batches_in(wh: Warehouse, table: str, status: str, start: date, end: date
               ) -> list[tuple[BatchRef, int]]:
    """Batches of ``table`` in ``status`` whose data interval lies in ``[start, end)``, with
    their rows in raw, in delivery order."""
    rows = wh.query(
        "SELECT batch_id, source_file, data_interval, rows_loaded FROM audit.load_batches "
        "WHERE source_table = ? AND status = ? AND data_interval >= ? "
        "AND data_interval < ? ORDER BY data_interval, source_file", [table, status, start, end])
    return [(BatchRef(r[0], r[1], r[2]), int(r[3])) for r in rows]


def failed_critical(wh: Warehouse, batch_ids: Sequence[str], checked_by: str = "loader"
                    ) -> dict[str, str]:
    """batch_id -> the critical rules of one checker that failed for it (comma-separated)."""
    out: dict[str, str] = {}
    for part in _parts(batch_ids):
        out.update({r[0]: r[1] for r in wh.query(
            "SELECT batch_id, string_agg(rule, ', ') FROM audit.dq_results "
            "WHERE checked_by = ? AND severity = 'critical' AND NOT success "
            f"AND batch_id IN ({_marks(part)}) GROUP BY batch_id", [checked_by, *part])})
    return out


def failed_critical_checks(wh: Warehouse, batch_id: str) -> list[tuple[Any, ...]]:
    """(rule, element_count, unexpected_count, unexpected_sample, column_name) per failed
    critical check of one batch, the gate's before the loader's."""
    return wh.query(
        "SELECT rule, element_count, unexpected_count, unexpected_sample, column_name FROM "
        "audit.dq_results WHERE batch_id = ? AND severity = 'critical' AND NOT success "
        "ORDER BY checked_by DESC, rule", [batch_id])


def entity_summary(wh: Warehouse) -> list[tuple[Any, ...]]:
    """Per entity: batches, rows delivered, rows published, pass rate, quarantined, rejected."""
    return wh.query(
        """SELECT source_table, count(*) AS batches, sum(rows_in_file) AS rows_in_file,
                  sum(CASE WHEN status = 'published' THEN rows_loaded ELSE 0 END) AS published,
                  sum(rows_quarantined) AS quarantined,
                  sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected,
                  sum(CASE WHEN status = 'loaded' THEN 1 ELSE 0 END) AS pending
           FROM audit.load_batches WHERE status NOT IN ('superseded', 'discarded')
           GROUP BY 1 ORDER BY 1""")


def failing_rules(wh: Warehouse, limit: int = 30) -> list[tuple[Any, ...]]:
    """Rules that failed for current batches: entity, rule, severity, batches, rows."""
    return wh.query(
        f"""SELECT r.entity, r.rule, r.severity, r.level, count(*) AS batches,
                   sum(r.unexpected_count) AS rows_failed, max(r.unexpected_sample) AS sample
            FROM audit.dq_results r JOIN audit.load_batches b USING (batch_id)
            WHERE NOT r.success AND b.status NOT IN ('superseded', 'discarded')
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 2 LIMIT {int(limit)}""")


def _parts(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i:i + _IDS_PER_STATEMENT]) for i in range(0, len(ids), _IDS_PER_STATEMENT)]


def _marks(ids: Sequence[str]) -> str:
    return ", ".join("?" for _ in ids)


# --------------------------------------------------------------------------- late data


@dataclass(frozen=True)
class LateDelivery:
    """A date folder still incomplete after its deadline (a row of
    ``audit.late_deliveries``)."""

    folder: str  # relative to the landing root
    table: str
    data_interval: date
    deadline_at: datetime  # UTC, naive
    reason: str
    files_waiting: int


def record_late_deliveries(wh: Warehouse, overdue: Sequence[LateDelivery], start: date,
                           end: date, now: datetime) -> list[str]:
    """Record the folders of ``[start, end)`` found overdue at ``now``; earlier ``overdue``
    folders of the window not among them are ``resolved`` (completed, or removed).
    Returns the folders resolved by this check."""
    found = {d.folder for d in overdue}
    before = wh.query("SELECT folder FROM audit.late_deliveries WHERE status = 'overdue' "
                      "AND data_interval >= ? AND data_interval < ?", [start, end])
    resolved = sorted(r[0] for r in before if r[0] not in found)
    with wh.transaction():
        for part in _parts(resolved):
            wh.execute("UPDATE audit.late_deliveries SET status = 'resolved', resolved_at = ?, "
                       f"last_checked_at = ? WHERE folder IN ({_marks(part)})", [now, now, *part])
        for d in overdue:
            # first_alerted_at survives re-checks: how long a folder has been overdue
            first = wh.query("SELECT first_alerted_at FROM audit.late_deliveries "
                             "WHERE folder = ? AND status = 'overdue'", [d.folder])
            wh.execute("DELETE FROM audit.late_deliveries WHERE folder = ?", [d.folder])
            wh.execute("INSERT INTO audit.late_deliveries VALUES (?, ?, ?, ?, ?, ?, 'overdue', "
                       "?, ?, NULL)", [d.folder, d.table, d.data_interval, d.deadline_at,
                                       d.reason, d.files_waiting,
                                       first[0][0] if first else now, now])
    return resolved


def record_freshness(wh: Warehouse, results: Sequence[SourceFreshness],
                     now: datetime) -> None:
    """Append one freshness check's results to ``audit.source_freshness``."""
    if not results:
        return
    wh.append_arrow("audit", "source_freshness", pa.table({
        "checked_at": pa.array([now] * len(results), pa.timestamp("us")),
        "source_name": [r.source_name for r in results],
        "table_name": [r.table_name for r in results],
        "raw_table": [r.raw_table for r in results],
        "status": [r.status for r in results],
        "max_loaded_at": pa.array([r.max_loaded_at for r in results], pa.timestamp("us")),
        "age_hours": pa.array([r.age_hours for r in results], pa.float64()),
        "warn_after": pa.array([r.warn_after for r in results], pa.string()),
        "error_after": pa.array([r.error_after for r in results], pa.string()),
        "message": pa.array([r.message for r in results], pa.string()),
    }))


# --------------------------------------------------------------------------- vendor adapters

VENDOR_MAPPING_DDL = """
CREATE TABLE IF NOT EXISTS audit.vendor_mapping (
    vendor {text} NOT NULL,
    adapter {text} NOT NULL,
    data_interval {date} NOT NULL,
    vendor_table {text} NOT NULL,
    target_table {text} NOT NULL,
    outcome {text} NOT NULL,
    reason {text},
    row_count {int} NOT NULL,
    adapted_at {timestamp} NOT NULL
)"""

VENDOR_EXCLUDED_DDL = """
CREATE TABLE IF NOT EXISTS quarantine.vendor_excluded_rows (
    vendor {text} NOT NULL,
    data_interval {date} NOT NULL,
    vendor_file {text} NOT NULL,
    row_number {int} NOT NULL,
    target_table {text} NOT NULL,
    reason {text} NOT NULL,
    raw_text {text},
    excluded_at {timestamp} NOT NULL
)"""


@dataclass(frozen=True)
class MappingCount:
    """How many rows of one vendor table became one entity's rows, or were left out why."""

    vendor_table: str
    target_table: str
    outcome: str  # mapped | excluded
    reason: str | None
    rows: int


def record_vendor_mapping(wh: Warehouse, vendor: str, adapter: str, interval: date,
                          counts: Sequence[MappingCount], excluded: pa.Table,
                          now: datetime) -> None:
    """Replace what the adapter of ``vendor`` mapped and excluded for ``interval``
    (re-adapting a day leaves one account of it, not two)."""
    kinds: tuple[LogicalType, ...] = ("text", "int", "date", "timestamp")
    types: dict[str, str] = {k: wh.sql_type(k) for k in kinds}
    for ddl in (VENDOR_MAPPING_DDL, VENDOR_EXCLUDED_DDL):
        wh.execute(ddl.format(**types))
    with wh.transaction():
        wh.execute("DELETE FROM audit.vendor_mapping WHERE vendor = ? AND data_interval = ?",
                   [vendor, interval])
        wh.execute("DELETE FROM quarantine.vendor_excluded_rows WHERE vendor = ? "
                   "AND data_interval = ?", [vendor, interval])
        for c in counts:
            wh.execute("INSERT INTO audit.vendor_mapping VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [vendor, adapter, interval, c.vendor_table, c.target_table, c.outcome,
                        c.reason, c.rows, now])
        if excluded.num_rows:
            wh.append_arrow("quarantine", "vendor_excluded_rows", excluded)
