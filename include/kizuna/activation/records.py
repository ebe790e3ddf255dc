"""What was exported where: the audit of every export and the last state of each record.

- ``audit.exports``: one row per file written or push made: what (list, target, file),
  when, for which data date, how many rows, to where, the file's SHA-256, and whether it
  was ``new``, ``changed`` or ``unchanged`` against the previous export of the same file,
  with the records added, changed and removed;
- ``audit.export_records``: one row per record last exported to a file or a push
  (target, file, record key, SHA-256 of the values sent): what the next export compares
  with, so that a changed score changes only its own record. It holds keys and hashes,
  never the values themselves (no personal data).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pyarrow as pa

from kizuna.contract import LogicalType
from kizuna.warehouse import Warehouse

EXPORTS_DDL = """
CREATE TABLE IF NOT EXISTS audit.exports (
    export_id {text} NOT NULL,
    exported_at {timestamp} NOT NULL,
    data_date {date} NOT NULL,
    list_name {text} NOT NULL,
    target {text} NOT NULL,
    file_name {text} NOT NULL,
    destination {text} NOT NULL,
    row_count {int} NOT NULL,
    sha256 {text} NOT NULL,
    status {text} NOT NULL,
    records_added {int} NOT NULL,
    records_changed {int} NOT NULL,
    records_removed {int} NOT NULL,
    message {text}
)"""

EXPORT_RECORDS_DDL = """
CREATE TABLE IF NOT EXISTS audit.export_records (
    target {text} NOT NULL,
    file_name {text} NOT NULL,
    record_key {text} NOT NULL,
    record_sha256 {text} NOT NULL,
    data_date {date} NOT NULL,
    exported_at {timestamp} NOT NULL
)"""

STATUSES = ("new", "changed", "unchanged")


def ensure_tables(wh: Warehouse) -> None:
    """Create ``audit.exports`` and ``audit.export_records`` if they do not exist."""
    kinds: tuple[LogicalType, ...] = ("text", "int", "date", "timestamp")
    types: dict[str, str] = {k: wh.sql_type(k) for k in kinds}
    wh.execute("CREATE SCHEMA IF NOT EXISTS audit")
    for ddl in (EXPORTS_DDL, EXPORT_RECORDS_DDL):
        wh.execute(ddl.format(**types))


def record_hash(values: Sequence[str]) -> str:
    """SHA-256 of a record's values as sent (unit separator between them)."""
    return hashlib.sha256("\x1f".join(values).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Delta:
    """Record keys added, changed and removed against the previous export."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)


def previous_records(wh: Warehouse, target: str, file_name: str) -> dict[str, str]:
    """Record key -> hash last exported to ``target``'s ``file_name``."""
    return dict(wh.query(
        "SELECT record_key, record_sha256 FROM audit.export_records "
        "WHERE target = ? AND file_name = ?", [target, file_name]))


def delta(previous: dict[str, str], current: dict[str, str]) -> Delta:
    """What changed from ``previous`` to ``current`` (both record key -> hash), keys sorted."""
    return Delta(
        added=sorted(k for k in current if k not in previous),
        changed=sorted(k for k, h in current.items() if k in previous and previous[k] != h),
        removed=sorted(k for k in previous if k not in current),
    )


def previous_sha256(wh: Warehouse, target: str, file_name: str) -> str | None:
    """The checksum of the latest export of ``target``'s ``file_name``, if any."""
    rows = wh.query(
        "SELECT sha256 FROM audit.exports WHERE target = ? AND file_name = ? "
        "ORDER BY exported_at DESC LIMIT 1", [target, file_name])
    return rows[0][0] if rows else None


def replace_records(wh: Warehouse, target: str, file_name: str, records: dict[str, str],
                    data_date: date, exported_at: datetime) -> None:
    """Make ``records`` (key -> hash) the last exported state of ``target``'s file."""
    wh.execute("DELETE FROM audit.export_records WHERE target = ? AND file_name = ?",
               [target, file_name])
    keys = sorted(records)
    wh.append_arrow("audit", "export_records", pa.table({
        "target": pa.array([target] * len(keys), pa.string()),
        "file_name": pa.array([file_name] * len(keys), pa.string()),
        "record_key": pa.array(keys, pa.string()),
        "record_sha256": pa.array([records[k] for k in keys], pa.string()),
        "data_date": pa.array([data_date] * len(keys), pa.date32()),
        "exported_at": pa.array([exported_at.replace(tzinfo=None)] * len(keys),
                                pa.timestamp("us")),
    }))


@dataclass(frozen=True)
class ExportResult:
    """One file written or one push made: a row of ``audit.exports``."""

    export_id: str
    exported_at: datetime
    data_date: date
    list_name: str
    target: str
    file_name: str
    destination: str
    row_count: int
    sha256: str
    status: str
    delta: Delta
    message: str | None = None


def record_exports(wh: Warehouse, results: Iterable[ExportResult]) -> None:
    """Append ``results`` to ``audit.exports``."""
    rows = list(results)
    columns: dict[str, tuple[list[object], pa.DataType]] = {
        "export_id": ([r.export_id for r in rows], pa.string()),
        "exported_at": ([r.exported_at.replace(tzinfo=None) for r in rows],
                        pa.timestamp("us")),
        "data_date": ([r.data_date for r in rows], pa.date32()),
        "list_name": ([r.list_name for r in rows], pa.string()),
        "target": ([r.target for r in rows], pa.string()),
        "file_name": ([r.file_name for r in rows], pa.string()),
        "destination": ([r.destination for r in rows], pa.string()),
        "row_count": ([r.row_count for r in rows], pa.int64()),
        "sha256": ([r.sha256 for r in rows], pa.string()),
        "status": ([r.status for r in rows], pa.string()),
        "records_added": ([len(r.delta.added) for r in rows], pa.int64()),
        "records_changed": ([len(r.delta.changed) for r in rows], pa.int64()),
        "records_removed": ([len(r.delta.removed) for r in rows], pa.int64()),
        "message": ([r.message for r in rows], pa.string()),
    }
    wh.append_arrow("audit", "exports", pa.table(
        {name: pa.array(values, kind) for name, (values, kind) in columns.items()}))
