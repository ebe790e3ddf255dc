"""Extract one vendor object for one date folder: the window, the recovery, the commit.

The window of a run is ``[cursor, until)``: from where the last complete run of this
object stopped (or ``initial_since``, or the beginning of the vendor's data on a first run)
to the end of the run's data interval, never later than now. Its rows go to the date
folder ``day`` of every table the object writes (see ``landing.py`` for the commit order).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from kizuna.settings import business_timezone, get_settings
from kizuna.sources.extract.base import Credentials, Extractor, RetryPolicy, iso, parse_ts
from kizuna.sources.extract.landing import (
    CursorState,
    FolderSet,
    read_cursor,
    read_marker,
    write_cursor,
)

log = logging.getLogger(__name__)

VENDORS: tuple[str, ...] = ("hubspot", "salesforce", "marketo")


def extractor(vendor: str, credentials: Credentials, policy: RetryPolicy | None = None
              ) -> Extractor:
    """The extractor of ``vendor`` (imported here: the HTTP stack is heavy to import)."""
    policy = policy or RetryPolicy.from_extra(credentials.extra)
    if vendor == "hubspot":
        from kizuna.sources.extract.hubspot import HubSpot
        return HubSpot(credentials, policy)
    if vendor == "salesforce":
        from kizuna.sources.extract.salesforce import Salesforce
        return Salesforce(credentials, policy)
    if vendor == "marketo":
        from kizuna.sources.extract.marketo import Marketo
        return Marketo(credentials, policy)
    raise ValueError(f"unknown vendor {vendor!r}; known: {VENDORS}")


@dataclass(frozen=True)
class ExtractResult:
    vendor: str
    object: str
    day: date
    since: datetime | None
    until: datetime
    rows: dict[str, int]
    status: str  # extracted | recovered | up_to_date

    def summary(self) -> dict[str, Any]:
        return {"vendor": self.vendor, "object": self.object, "day": self.day.isoformat(),
                "since": iso(self.since) if self.since else None, "until": iso(self.until),
                "rows": self.rows, "status": self.status}


def _recover(landing: Path, ex: Extractor, obj: str, tables: list[str], day: date,
             state: CursorState) -> CursorState | None:
    """If every table's folder ``day`` is marked done for a window that starts at the
    cursor (a run died after its markers, before its cursor), the state that run meant
    to write; else None."""
    from kizuna.sources.extract.landing import folder

    found = [read_marker(folder(landing, ex.vendor, t, day)) for t in tables]
    markers = [m for m in found if m and m.get("windows")]
    if not markers or len(markers) != len(tables):
        return None
    windows = [(w[0], w[1]) for w in markers[0]["windows"]]
    if any([(w[0], w[1]) for w in m["windows"]] != windows for m in markers):
        return None
    last_since, last_until = windows[-1]
    cursor = iso(state.cursor) if state.cursor else None
    if last_since != cursor:
        return None
    parts = {t: list(m.get("parts", [])) for t, m in zip(tables, markers, strict=True)}
    return CursorState(cursor=parse_ts(last_until), day=day, windows=windows, parts=parts)


def extract_object(
    ex: Extractor,
    obj: str,
    landing: Path,
    day: date,
    until: datetime,
    initial_since: datetime | None = None,
    now: datetime | None = None,
    rows_per_part: int = 50_000,
    lag: timedelta = timedelta(0),
) -> ExtractResult:
    """Extract ``obj`` modified in ``[cursor, until)`` into the date folders ``day``;
    idempotent: a re-run after a kill or a completed run writes each row once. The window
    ends ``lag`` before now at the latest: a change stamped earlier but committed, or
    indexed for search, a little later would otherwise fall behind the cursor."""
    now = now or datetime.now(UTC)
    until = min(until, now - lag)
    tables = ex.tables(obj)
    state = read_cursor(landing, ex.vendor, obj)
    recovered = _recover(landing, ex, obj, tables, day, state)
    status = "up_to_date"
    if recovered is not None:
        log.info("%s.%s: folders of %s were complete; moving the cursor to %s",
                 ex.vendor, obj, day, iso(recovered.cursor or until))
        write_cursor(landing, ex.vendor, obj, recovered)
        state = recovered
        status = "recovered"
    since = state.cursor or initial_since
    if since is not None and until <= since:
        log.info("%s.%s: up to date (cursor %s, window end %s)", ex.vendor, obj,
                 iso(since), iso(until))
        return ExtractResult(ex.vendor, obj, day, since, until, {t: 0 for t in tables},
                             status)
    committed = state.parts if state.day == day else {}
    windows = list(state.windows) if state.day == day else []
    folders = FolderSet(landing, ex.vendor, tables, day, rows_per_part)
    folders.prepare(committed)
    log.info("%s.%s: extracting rows modified in [%s, %s) into %s", ex.vendor, obj,
             iso(since) if since else "the beginning", iso(until), day)
    folders.write(ex.rows(obj, since, until))
    windows.append((iso(since) if since else None, iso(until)))
    folders.mark_done(windows)
    write_cursor(landing, ex.vendor, obj,
                 CursorState(cursor=until, day=day, parts=folders.parts, windows=windows))
    return ExtractResult(ex.vendor, obj, day, since, until, folders.rows, "extracted")


def objects_of(vendor: str, credentials: Credentials) -> list[str]:
    """The objects ``vendor`` reads with these credentials (no request is made)."""
    return extractor(vendor, credentials).objects()


def extract_interval(
    vendor: str,
    obj: str,
    credentials: Credentials,
    interval_start: datetime,
    interval_end: datetime,
    conf: dict[str, Any] | None = None,
    landing: Path | None = None,
) -> dict[str, Any]:
    """What the extract DAG's task does for one vendor object and one data interval: rows
    modified up to the interval's end go to the date folder of the interval's start (in
    the business time zone, as the ingest DAG reads them). A first run starts at
    ``initial_since`` (run conf or the connection's extra), else at the vendor's beginning.
    The window stops ``lag_seconds`` (extra; 600) before now at the latest.
    """
    conf = conf or {}
    since = conf.get("initial_since") or credentials.extra.get("initial_since")
    day = interval_start.astimezone(business_timezone()).date()
    result = extract_object(
        extractor(vendor, credentials), obj, landing or get_settings().landing, day,
        interval_end.astimezone(UTC), initial_since=parse_ts(str(since)) if since else None,
        lag=timedelta(seconds=float(credentials.extra.get("lag_seconds", 600))),
    )
    log.info("%s", result.summary())
    return result.summary()
