"""What the Airflow tasks do, as plain functions of their data interval.

DAG files only wire these together (``dags/``); keeping the bodies here lets the CLI and
the tests call exactly what the DAGs run. Each function is idempotent over its window:
running it again, or after a kill, leaves the same tables.

A run's window is its data interval, read as business dates in ``KIZUNA_TIMEZONE``
(Asia/Tokyo by default): the interval ``[D 06:00 JST, D+1 06:00 JST)`` loads the date
folder ``D``. A manual run can name another window in its conf,
``{"window_start": "2025-01-01", "window_end": "2026-10-01"}`` (end exclusive), to load a
backfill in one run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from kizuna.contract import ENTITIES
from kizuna.ingest.discovery import discover
from kizuna.settings import business_timezone, get_settings
from kizuna.sources.vendors import effective_delivery_specs

log = logging.getLogger(__name__)

ENTITY_TABLES: list[str] = [e.table for e in ENTITIES]


def window(
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    conf: Mapping[str, Any] | None = None,
) -> tuple[date, date]:
    """The date folders ``[start, end)`` a run covers: its conf if given, else its interval."""
    conf = conf or {}
    tz = business_timezone()
    start = conf.get("window_start")
    end = conf.get("window_end")
    if start is None and data_interval_start is not None:
        start = data_interval_start.astimezone(tz).date()
    if end is None and data_interval_end is not None:
        end = data_interval_end.astimezone(tz).date()
    if start is None or end is None:
        raise ValueError("a run needs a data interval or window_start and window_end in its conf")
    start_d = date.fromisoformat(str(start)) if not isinstance(start, date) else start
    end_d = date.fromisoformat(str(end)) if not isinstance(end, date) else end
    if end_d <= start_d:
        end_d = start_d + timedelta(days=1)  # a zero-length manual interval loads its own day
    return start_d, end_d


def adapt_vendors(start: date, end: date) -> dict[str, Any]:
    """Map the vendors' files of the window to contract files (nothing when the sources
    file names no vendor); returns rows mapped and excluded per vendor table."""
    from kizuna.ingest import adapt_window

    report = adapt_window(start, end)
    per_table: dict[str, dict[str, int]] = {}
    for (vendor, _), counts in report.counts.items():
        for c in counts:
            key = f"{vendor}.{c.vendor_table} -> {c.target_table}"
            per_table.setdefault(key, {}).setdefault(c.outcome, 0)
            per_table[key][c.outcome] += c.rows
    return {"summary": report.summary(), "tables": per_table,
            "unknown_columns": report.unknown_columns}


def find_deliveries(start: date, end: date) -> dict[str, Any]:
    """Extract step for file drops: list the complete files per entity and what is pending."""
    s = get_settings()
    summary: dict[str, Any] = {"window": [start.isoformat(), end.isoformat()], "entities": {}}
    pending: list[str] = []
    for table, spec in effective_delivery_specs().items():
        found = discover(s.landing, spec, start, end)
        summary["entities"][table] = {
            "files": len(found.files),
            "bytes": sum(f.size for f in found.files),
        }
        pending += [f"{p.relpath}: {p.reason}" for p in found.pending]
    summary["pending"] = pending
    total = sum(v["files"] for v in summary["entities"].values())
    log.info("window %s..%s: %d complete files, %d pending", start, end, total, len(pending))
    for line in pending[:50]:
        log.warning("pending: %s", line)
    return summary


def load_entity(table: str, start: date, end: date) -> dict[str, Any]:
    """Load one entity's files of the window into raw; returns the reconciliation.

    New batches are ``loaded``: staging sees them only after :func:`validate_entity`.
    """
    from kizuna.gate import loader_rules
    from kizuna.ingest import load_window

    report = load_window(start, end, tables=[table], rules=loader_rules)
    return {
        "table": table,
        "batches": len(report.batches),
        "skipped": report.skipped,
        "rows_loaded": report.rows_loaded(),
        "rows_quarantined": report.rows_quarantined(),
        "statuses": sorted({b.status for b in report.batches}),
    }


def validate_entity(table: str, start: date, end: date) -> dict[str, Any]:
    """The quality gate for one entity's window: publish or reject its loaded batches.

    A rejected batch fails the task with a message naming file, rule, column and sample
    rows. Retrying cannot fix a file, so under Airflow the failure skips the retries.
    """
    from kizuna.gate import QualityGateError
    from kizuna.gate import validate_entity as gate

    try:
        return gate(table, start, end).as_dict()
    except QualityGateError as exc:
        raise _final(exc) from None


def _final(exc: Exception) -> Exception:
    """The error as Airflow's fail-without-retry exception when running under Airflow."""
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # the CLI or a test without Airflow
        return exc
    return AirflowFailException(str(exc))


def publish_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """What the gate published this run, per entity (the DAG marks the raw asset updated)."""
    out = {r["table"]: {"published": r["published"], "rows_checked": r["rows_checked"],
                        "rows_quarantined": r["rows_quarantined"], "warnings": r["warnings"]}
           for r in results}
    log.info("published: %s", out)
    return out
