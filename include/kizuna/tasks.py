"""What the Airflow tasks do, as plain functions of their data interval.

DAG files only wire these together (``dags/``); keeping the bodies here lets the CLI and
the tests call exactly what the DAGs run. Each function is idempotent over its window:
running it again, or after a kill, leaves the same tables.

A run's window is its data interval, read as business dates in ``KIZUNA_TIMEZONE``
(Asia/Tokyo by default): the interval ``[D 06:00 JST, D+1 06:00 JST)`` loads the date
folder ``D``. A manual run can name another window in its conf,
``{"window_start": "2025-01-01", "window_end": "2026-10-01"}`` (end exclusive), to load a
backfill in one run. A run triggered with neither a logical date nor a conf window (the
REST API, ``airflow dags trigger``) has no data interval in Airflow 3: it loads the day a
scheduled run at that moment would load (:func:`default_day`).

Late data heals itself: a run without a conf ``window_start`` also looks back
``KIZUNA_LOOKBACK_DAYS`` (3) days before its own, so a folder whose done marker arrived
after its run, or a day no run covered (the scheduler was down), is loaded by the next
run; files loaded before are skipped by their checksum. A folder still incomplete
``KIZUNA_DELIVERY_DEADLINE_HOURS`` (24) after its day ended is reported by
:func:`check_deliveries`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kizuna.contract import ENTITIES
from kizuna.ingest.discovery import discover, incomplete_folders
from kizuna.settings import business_timezone, get_settings
from kizuna.sources.vendors import effective_delivery_specs

log = logging.getLogger(__name__)

ENTITY_TABLES: list[str] = [e.table for e in ENTITIES]


#: The hour (business time) the daily ingest starts: the day before is complete by then.
INGEST_HOUR = 6
#: The ingest DAG's schedule (cron, in the business time zone): daily at INGEST_HOUR.
INGEST_CRON = f"0 {INGEST_HOUR} * * *"


def default_day(run_after: datetime) -> date:
    """The business day a scheduled ingest run at ``run_after`` loads: the day before the
    latest ``INGEST_HOUR`` o'clock (business time) at or before it. Triggered at 10:00 JST
    on 3 December, that is 2 December; at 03:00 JST, 1 December (2 December's files are
    not due until 06:00)."""
    if run_after.tzinfo is None:
        raise ValueError(f"run_after {run_after} has no time zone; pass an aware datetime")
    local = run_after.astimezone(business_timezone())
    fired_on = local.date() if local.hour >= INGEST_HOUR else local.date() - timedelta(days=1)
    return fired_on - timedelta(days=1)


def window(
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    conf: Mapping[str, Any] | None = None,
    run_after: datetime | None = None,
    lookback_days: int = 0,
) -> tuple[date, date]:
    """The date folders ``[start, end)`` a run covers.

    ``window_start`` / ``window_end`` in the run's conf win; else the data interval (a
    scheduled run, or one triggered with a logical date); else, for a run with no logical
    date (Airflow 3 gives it no data interval), the day :func:`default_day` of its
    ``run_after``. A conf naming only ``window_start`` loads from it to that end. Unless
    the conf names ``window_start``, the window starts ``lookback_days`` earlier (late
    folders and days no run covered).
    """
    conf = conf or {}
    tz = business_timezone()
    start = _conf_date(conf, "window_start")
    end = _conf_date(conf, "window_end")
    if data_interval_start is None and data_interval_end is None and run_after is not None:
        day = default_day(run_after)
        start = start or day
        end = end or day + timedelta(days=1)
    if start is None and data_interval_start is not None:
        start = data_interval_start.astimezone(tz).date()
    if end is None and data_interval_end is not None:
        end = data_interval_end.astimezone(tz).date()
    if start is None or end is None:
        raise ValueError("a run needs a data interval, a run_after time, or window_start and "
                         "window_end in its conf")
    if end <= start:
        end = start + timedelta(days=1)  # a zero-length manual interval loads its own day
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be 0 or more, not {lookback_days}")
    if "window_start" not in conf:
        start -= timedelta(days=lookback_days)
    return start, end


def _conf_date(conf: Mapping[str, Any], key: str) -> date | None:
    value = conf.get(key)
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"the run's conf {key}={value!r} is not a date: write it as "
                         f'YYYY-MM-DD, e.g. {{"{key}": "2025-01-01"}}') from None


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


class LateDeliveryError(RuntimeError):
    """Date folders are still incomplete after their deadline; the message names each."""


def delivery_deadline(day: date, hours: int) -> datetime:
    """When date folder ``day`` must be complete: ``hours`` after the day's end in the
    business time zone (UTC, aware)."""
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=business_timezone())
    return (day_end + timedelta(hours=hours)).astimezone(UTC)


def check_deliveries(start: date, end: date, now: datetime) -> dict[str, Any]:
    """Report the window's date folders still incomplete after their deadline at ``now``.

    Each overdue folder is recorded in ``audit.late_deliveries`` (the data-quality marts
    read it) and, when there is any, :class:`LateDeliveryError` names every one: under
    Airflow the task fails without retrying (waiting minutes does not complete a folder),
    while the other days' loads, the gate and ``publish`` go on, as none of them waits for
    this task. A folder overdue earlier and now complete (or removed) is marked
    ``resolved``. Returns the folders overdue, pending (not yet due) and resolved.
    """
    from kizuna.ledger import LateDelivery, ensure_ledger, record_late_deliveries
    from kizuna.warehouse import connection

    if now.tzinfo is None:
        raise ValueError(f"now {now} has no time zone; pass an aware datetime")
    s = get_settings()
    overdue: list[LateDelivery] = []
    not_due: list[str] = []
    for spec in effective_delivery_specs().values():
        for folder in incomplete_folders(s.landing, spec, start, end):
            deadline = delivery_deadline(folder.interval, s.delivery_deadline_hours)
            if now < deadline:
                not_due.append(folder.relpath)
                continue
            overdue.append(LateDelivery(folder.relpath, folder.table, folder.interval,
                                        deadline.replace(tzinfo=None), folder.reason,
                                        folder.files_waiting))
    checked_at = now.astimezone(UTC).replace(tzinfo=None)
    with connection(s) as wh:
        ensure_ledger(wh)
        resolved = record_late_deliveries(wh, overdue, start, end, checked_at)
    for folder_name in resolved:
        log.info("landing/%s is no longer incomplete (resolved)", folder_name)
    if not_due:
        log.info("incomplete, not yet due: %s", ", ".join(not_due))
    summary = {"overdue": [d.folder for d in overdue], "not_due": not_due,
               "resolved": resolved}
    if overdue:
        tz = business_timezone()
        lines = [f"landing/{d.folder}: {d.reason}, {d.files_waiting} file(s) waiting; "
                 f"due by {d.deadline_at.replace(tzinfo=UTC).astimezone(tz):%Y-%m-%d %H:%M %Z}"
                 for d in overdue]
        raise _final(LateDeliveryError(
            f"{len(overdue)} date folder(s) still incomplete after their deadline "
            f"({s.delivery_deadline_hours}h after the day's end): " + "; ".join(lines)
            + ". Complete each (upload the rest and its done marker) and the next run loads "
            "it while it is within KIZUNA_LOOKBACK_DAYS; or remove a folder that will never "
            "be complete. Every other folder of the window was loaded as usual."))
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


def validate_entity(table: str, start: date, end: date,
                    reported_before: date | None = None) -> dict[str, Any]:
    """The quality gate for one entity's window: publish or reject its loaded batches.

    A rejected batch fails the task with a message naming file, rule, column and sample
    rows. Retrying cannot fix a file, so under Airflow the failure skips the retries.
    ``reported_before`` is where the run's own days start when the window includes a
    lookback: a batch of an earlier day already rejected before this run was reported by
    the run that rejected it, so it is logged again, not failed again (else one bad file
    would stop the next runs' publish, and so their transforms, for the whole lookback).
    """
    from kizuna import ledger
    from kizuna.gate import QualityGateError, rejection_message
    from kizuna.gate import validate_entity as gate
    from kizuna.warehouse import connection

    reported: set[str] = set()
    if reported_before is not None and reported_before > start:
        with connection() as wh:
            ledger.ensure_ledger(wh)
            reported = {b.batch_id for b, _ in ledger.batches_in(
                wh, table, "rejected", start, reported_before)}
    report = gate(table, start, end, raise_on_reject=False)
    new: list[str] = []
    for paragraph in report.rejected_in_window:
        if any(f"(batch {batch_id}," in paragraph for batch_id in reported):
            log.warning("still rejected, reported by an earlier run (kizuna batch accept or "
                        "discard settles it): %s", paragraph.splitlines()[0])
        else:
            new.append(paragraph)
    if new:
        raise _final(QualityGateError(rejection_message(table, start, end, new)))
    return report.as_dict()


def _final(exc: Exception) -> Exception:
    """The error as Airflow's fail-without-retry exception when running under Airflow."""
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # the CLI or a test without Airflow
        return exc
    return AirflowFailException(str(exc))


def publish_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """What the gate published this run, per entity, under ``entities``, and how many
    batches in all under ``published``; ``nothing_new`` says why when that is none."""
    entities = {r["table"]: {"published": r["published"], "rows_checked": r["rows_checked"],
                             "rows_quarantined": r["rows_quarantined"],
                             "warnings": r["warnings"]}
                for r in results}
    published = sum(r["published"] for r in results)
    out: dict[str, Any] = {"published": published, "entities": entities, "nothing_new": None}
    if not published:
        out["nothing_new"] = ("no batch was published in this run's window (every file was "
                              "loaded before, or none is complete yet): the raw asset is not "
                              "updated, so no transform starts")
    log.info("published %d batch(es): %s", published, entities)
    return out


def publish(results: list[dict[str, Any]]) -> dict[str, Any]:
    """:func:`publish_summary` for the ingest DAG's ``publish`` task, which marks the raw
    asset updated when it succeeds: it skips (a skipped task emits no asset event, so the
    transform does not start) when nothing was published, with the reason in its log."""
    summary = publish_summary(results)
    if summary["nothing_new"]:
        raise _skip(summary["nothing_new"])
    return summary


def _skip(reason: str) -> Exception:
    """Airflow's skip exception with ``reason`` (logged by the task runner)."""
    from airflow.sdk.exceptions import AirflowSkipException

    log.info("skipping: %s", reason)
    return AirflowSkipException(reason)
