"""One erasure request: find the person everywhere, remove them, record it without them.

Order, so that an interrupted erasure is finished by running it again:

1. the lead and contact ids of the addresses: from delivered files (rows never loaded
   too) and every table with an e-mail column beside an id, then every record 名寄せ put
   under the same person key;
2. delivered files rewritten without the person's rows (:mod:`kizuna.erasure.files`);
3. one transaction: the rows deleted from every table (:mod:`kizuna.erasure.tables`), the
   ledger's batches brought in line with their rewritten files (new SHA-256 and size, row
   counts less the rows removed, an ``erased`` event per batch), so that loading the
   folder again skips them and counts nothing as lost; the request and the suppression
   list recorded;
4. export files rewritten and their audit rows brought in line; every other text file
   under the home (GX Data Docs, reports) scrubbed of the address; on DuckDB a
   ``CHECKPOINT``, so the deleted rows leave the database file's live blocks, on
   PostgreSQL a ``VACUUM`` of the tables that lost rows, so their dead row versions go.

The marts are deleted from, not rebuilt: snapshots, incremental models, identity tables
and ML scores are not rebuilt from raw by a build, so a rebuild alone would leave the
person in them, and deleting takes seconds where a build takes minutes. Aggregates that
counted the person's activity (engagement scores) carry no personal data and are
corrected by the next transform run.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from kizuna import ledger, suppression
from kizuna.erasure import files, tables
from kizuna.erasure.files import Person, Rewrite
from kizuna.identifiers import quote
from kizuna.normalise import normalise_email
from kizuna.settings import Settings, get_settings
from kizuna.warehouse import Warehouse, connection

log = logging.getLogger(__name__)


class ErasureRequestError(ValueError):
    """An address of the request is not an e-mail address; the message names it."""


@dataclass
class ErasureReport:
    """What one request removed: rows per table, rows per file, text files scrubbed."""

    request_id: str
    addresses: int
    records_resolved: int
    tables: dict[str, int] = field(default_factory=dict)
    landing_files: dict[str, int] = field(default_factory=dict)
    export_files: dict[str, int] = field(default_factory=dict)
    text_files: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def rows_removed(self) -> int:
        return sum(self.tables.values())

    def summary(self) -> dict[str, Any]:
        """What a DAG task returns and the command line prints (no personal data)."""
        return {"request_id": self.request_id, "addresses": self.addresses,
                "records_resolved": self.records_resolved,
                "table_rows_removed": self.rows_removed(), "tables": len(self.tables),
                "landing_files_rewritten": len(self.landing_files),
                "landing_rows_removed": sum(self.landing_files.values()),
                "export_files_rewritten": len(self.export_files),
                "text_files_scrubbed": len(self.text_files),
                "seconds": round(self.seconds, 1)}


def normalised_addresses(addresses: Iterable[str]) -> list[str]:
    """The request's addresses, normalised as identity resolution does, in order, once."""
    out: dict[str, None] = {}
    bad = []
    for raw in addresses:
        if not raw or not raw.strip():
            continue
        norm = normalise_email(raw)
        if norm is None:
            bad.append(raw)
        else:
            out[norm] = None
    if bad:
        raise ErasureRequestError(f"not an e-mail address: {', '.join(map(repr, bad))}; "
                                  "give each as name@domain")
    return list(out)


def erase(addresses: Iterable[str], settings: Settings | None = None) -> ErasureReport:
    """Erase the people with these e-mail addresses from every file and table (see the
    module's docstring); returns what was removed."""
    s = settings or get_settings()
    emails = normalised_addresses(addresses)
    t0 = time.monotonic()
    requested_at = datetime.now(UTC).replace(tzinfo=None)
    request_id = f"erasure-{requested_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    report = ErasureReport(request_id, len(emails), 0)
    if not emails:
        return report
    key = suppression.erasure_key(s, create=True)
    assert key is not None
    by_address = Person(frozenset(emails), frozenset())
    found_in_files = files.ids_in_files(s.landing, by_address)
    with connection(s) as wh:
        ledger.ensure_ledger(wh)
        suppression.ensure_tables(wh)
        ids = tables.resolve_ids(wh, Person(by_address.emails, frozenset(found_in_files)))
        person = Person(by_address.emails, frozenset(ids))
        report.records_resolved = len(ids)
        landing = _rewrite_all(s.landing, person, files.person_row_test(person),
                               lambda path: files.might_hold(path, person))
        with wh.transaction():
            erased = tables.erase_rows(wh, person)
            report.tables = erased.tables
            _settle_batches(wh, landing, erased.batches, request_id, requested_at)
        report.landing_files = {r.relpath: r.rows_removed for r in landing}
        exports_root = s.home / "exports"
        exported = _rewrite_all(exports_root, person, files.any_cell_test(person))
        report.export_files = {r.relpath: r.rows_removed for r in exported}
        with wh.transaction():
            _settle_exports(wh, exports_root, exported)
        report.text_files = _scrub_text(s, person)
        report.seconds = time.monotonic() - t0
        with wh.transaction():
            _record(wh, key, report, person, requested_at)
        _release_deleted(wh, report.tables)
    log.info("erasure %s: %s", request_id, report.summary())
    return report


def _release_deleted(wh: Warehouse, tables: Iterable[str]) -> None:
    """Deleted and redacted rows out of the live storage: DuckDB's ``CHECKPOINT``; on
    PostgreSQL a ``VACUUM`` of each table the person left (their old row versions stay in
    the pages until then; outside a transaction, as VACUUM must be)."""
    if getattr(wh, "dialect", "duckdb") == "duckdb":
        wh.execute("CHECKPOINT")
        return
    for label in tables:
        schema, name = label.split(".", 1)
        wh.execute(f"VACUUM {quote(schema)}.{quote(name)}")


def _rewrite_all(root: Path, person: Person, is_theirs: files.RowTest,
                 worth_reading: Callable[[Path], bool] | None = None) -> list[Rewrite]:
    done = []
    for path in files.data_files(root):
        if worth_reading is not None and not worth_reading(path):
            continue
        rewrite = files.rewrite_file(path, root, person, is_theirs)
        if rewrite is not None:
            done.append(rewrite)
    return done


def _settle_batches(wh: Warehouse, landing: list[Rewrite], removed: dict[str, dict[str, int]],
                    request_id: str, now: datetime) -> None:
    """Every batch that lost rows, or whose file was rewritten: counts less what was
    removed, the file's new SHA-256 and size, and an ``erased`` event."""
    rewrites = {(r.relpath, r.old_sha256): r for r in landing}
    rows = wh.query("SELECT batch_id, source_table, source_file, file_sha256, status, "
                    "rows_excluded FROM audit.load_batches")
    events = []
    for batch_id, table, source_file, sha, status, excluded in rows:
        rewrite = rewrites.get((source_file, sha))
        counts = removed.get(batch_id, {})
        if rewrite is None and not counts:
            continue
        loaded = counts.get("rows_loaded", 0)
        quarantined = counts.get("rows_quarantined", 0)
        # rows the loader had excluded as erased (a delivery after an earlier erasure)
        unloaded = min(int(excluded or 0), max(0, (rewrite.rows_removed if rewrite else 0)
                                               - loaded - quarantined))
        wh.execute(
            "UPDATE audit.load_batches SET rows_in_file = rows_in_file - ?, "
            "rows_loaded = rows_loaded - ?, rows_quarantined = rows_quarantined - ?, "
            "rows_excluded = rows_excluded - ? WHERE batch_id = ?",
            [loaded + quarantined, loaded, quarantined, unloaded, batch_id])
        if rewrite is not None:  # loading the folder again finds the file as recorded
            wh.execute("UPDATE audit.load_batches SET file_sha256 = ?, file_bytes = ? "
                       "WHERE batch_id = ?", [rewrite.new_sha256, rewrite.new_bytes, batch_id])
        what = (f"{rewrite.rows_removed} rows removed from the file; the other rows keep the "
                "row numbers of the file as delivered" if rewrite else
                f"{loaded + quarantined} rows removed from raw and quarantine")
        events.append((batch_id, table, status, f"{request_id}: {what}"))
    if events:
        n = len(events)
        wh.append_arrow("audit", "batch_events", pa.table({
            "batch_id": [e[0] for e in events], "source_table": [e[1] for e in events],
            "event": ["erased"] * n, "status_before": [e[2] for e in events],
            "status_after": [e[2] for e in events], "reason": [e[3] for e in events],
            "actor": [ledger.actor()] * n,
            "happened_at": pa.array([now] * n, pa.timestamp("us"))}))


def _settle_exports(wh: Warehouse, root: Path, exported: list[Rewrite]) -> None:
    """The audit of a rewritten export file names its new SHA-256 and row count, so the
    next export compares with what is on disk."""
    if not exported or not wh.columns("audit", "exports"):
        return
    for r in exported:
        wh.execute("UPDATE audit.exports SET sha256 = ?, row_count = row_count - ? "
                   "WHERE destination = ? AND sha256 = ?",
                   [r.new_sha256, r.rows_removed, str(root / r.relpath), r.old_sha256])


def _scrub_text(s: Settings, person: Person) -> dict[str, int]:
    """Every text file under the home and the reports folder, but the data files handled
    above and the warehouse itself: the address replaced where it occurs."""
    skip = [s.landing, s.home / "exports", s.duckdb_path.parent,
            s.home / suppression.KEY_FILE.parent]
    found: dict[str, int] = {}
    for root in dict.fromkeys([s.home, s.reports]):
        for path in files.data_files(root):
            if any(path.is_relative_to(x) for x in skip):
                continue
            n = files.scrub_text_file(path, person)
            if n:
                found[str(path.relative_to(root))] = n
    return found


def _record(wh: Warehouse, key: bytes, report: ErasureReport, person: Person,
            requested_at: datetime) -> None:
    """The request, its removals and the suppression list: keyed hashes and counts only."""
    now = datetime.now(UTC).replace(tzinfo=None)
    emails = sorted(person.emails)
    n = len(emails)
    wh.append_arrow("audit", "erasure_requests", pa.table({
        "request_id": [report.request_id] * n,
        "email_hmac": [suppression.keyed_hash(key, suppression.EMAIL, e) for e in emails],
        "requested_at": pa.array([requested_at] * n, pa.timestamp("us")),
        "completed_at": pa.array([now] * n, pa.timestamp("us")),
        "actor": [ledger.actor()] * n,
        "records_resolved": pa.array([report.records_resolved] * n, pa.int64())}))
    removals = ([("table", k, v) for k, v in report.tables.items()]
                + [("landing file", k, v) for k, v in report.landing_files.items()]
                + [("export file", k, v) for k, v in report.export_files.items()]
                + [("text file", k, v) for k, v in report.text_files.items()])
    if removals:
        wh.append_arrow("audit", "erasure_removals", pa.table({
            "request_id": [report.request_id] * len(removals),
            "location_type": [r[0] for r in removals], "location": [r[1] for r in removals],
            "rows_removed": pa.array([r[2] for r in removals], pa.int64())}))
    hashed = [(kind, suppression.keyed_hash(key, kind, value))
              for kind, values in ((suppression.EMAIL, emails),
                                   (suppression.RECORD_ID, sorted(person.ids)))
              for value in values]
    wh.append_arrow("audit", "erased_keys", pa.table({
        "key_kind": [h[0] for h in hashed], "key_hmac": [h[1] for h in hashed],
        "request_id": [report.request_id] * len(hashed)}))
