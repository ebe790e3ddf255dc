"""Writing an extraction to the landing folder so a kill never leaves a gap or a duplicate.

Layout (DESIGN.md §3): ``landing/<vendor>/<table>/<yyyy-mm-dd>/part-<nnnn>.jsonl`` and a
``_SUCCESS`` marker once the folder is complete. The cursor of each vendor object (the end
of the last modification-time window written) lives in a small JSON file in the landing
tree, ``landing/<vendor>/_cursors/<object>.json``, beside the files it describes, so a
copy of the landing folder carries its own position and no scheduler is needed to resume.

Order of a commit: rows go to ``part-<n>.jsonl.part`` files (left alone by the loader),
each renamed when full; then every table's ``_SUCCESS`` (its content names the window and
the parts); only then the cursor file, replaced atomically. A run that dies before the
cursor moves is re-run over the same window: files that no committed window lists are
removed first, so the folder holds each row once. A run that dies after the markers but
before the cursor is recognised by the markers and only moves the cursor.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kizuna.sources.extract.base import Row, iso, parse_ts

DONE_MARKER = "_SUCCESS"
CURSORS = "_cursors"


@dataclass
class CursorState:
    """Where one vendor object stands: ``cursor`` is the exclusive end of the last window
    written (None before the first run); ``day``/``parts``/``windows`` describe the date
    folder the last windows went to, so a second window into the same folder adds parts."""

    cursor: datetime | None = None
    day: date | None = None
    parts: dict[str, list[str]] = field(default_factory=dict)  # table -> committed part names
    windows: list[tuple[str | None, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "cursor": iso(self.cursor) if self.cursor else None,
            "day": self.day.isoformat() if self.day else None,
            "parts": self.parts,
            "windows": [list(w) for w in self.windows],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CursorState:
        return cls(
            cursor=parse_ts(data["cursor"]) if data.get("cursor") else None,
            day=date.fromisoformat(data["day"]) if data.get("day") else None,
            parts={k: list(v) for k, v in (data.get("parts") or {}).items()},
            windows=[(w[0], w[1]) for w in data.get("windows") or []],
        )


def cursor_path(landing: Path, vendor: str, obj: str) -> Path:
    return landing / vendor / CURSORS / f"{obj}.json"


def read_cursor(landing: Path, vendor: str, obj: str) -> CursorState:
    path = cursor_path(landing, vendor, obj)
    if not path.exists():
        return CursorState()
    return CursorState.from_json(json.loads(path.read_text(encoding="utf-8")))


def write_cursor(landing: Path, vendor: str, obj: str, state: CursorState) -> None:
    """Replace the cursor file atomically (write a temporary file, fsync, rename)."""
    path = cursor_path(landing, vendor, obj)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(state.to_json(), f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def folder(landing: Path, vendor: str, table: str, day: date) -> Path:
    return landing / vendor / table / day.isoformat()


def read_marker(path: Path) -> dict[str, Any] | None:
    marker = path / DONE_MARKER
    if not marker.exists():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


class FolderSet:
    """The date folder of every table of one object, written as one unit."""

    def __init__(self, landing: Path, vendor: str, tables: Iterable[str], day: date,
                 rows_per_part: int = 50_000) -> None:
        self.landing = landing
        self.vendor = vendor
        self.tables = list(tables)
        self.day = day
        self.rows_per_part = rows_per_part
        self.parts: dict[str, list[str]] = {t: [] for t in self.tables}
        self.rows: dict[str, int] = {t: 0 for t in self.tables}
        self._open: dict[str, tuple[Any, Path, int]] = {}  # table -> (file, path, rows)

    def path(self, table: str) -> Path:
        return folder(self.landing, self.vendor, table, self.day)

    def prepare(self, committed: dict[str, list[str]]) -> None:
        """Remove what no committed window lists (leftovers of a killed run) and the done
        markers, so the loader waits until this window is complete too."""
        for table in self.tables:
            path = self.path(table)
            path.mkdir(parents=True, exist_ok=True)
            keep = set(committed.get(table, []))
            self.parts[table] = sorted(keep)
            for f in path.iterdir():
                if f.is_file() and f.name not in keep:
                    f.unlink()

    def write(self, rows: Iterable[Row]) -> None:
        for table, row in rows:
            if table not in self.parts:
                raise ValueError(f"row for table {table!r}, which this object does not write "
                                 f"(it writes {self.tables})")
            handle, path, n = self._open.get(table) or self._new_part(table)
            handle.write(json.dumps(row, ensure_ascii=False, default=str, sort_keys=True))
            handle.write("\n")
            n += 1
            self.rows[table] += 1
            self._open[table] = (handle, path, n)
            if n >= self.rows_per_part:
                self._close(table)
        for table in list(self._open):
            self._close(table)

    def _new_part(self, table: str) -> tuple[Any, Path, int]:
        name = f"part-{len(self.parts[table]) + 1:04d}.jsonl"
        path = self.path(table) / f"{name}.part"
        return path.open("w", encoding="utf-8"), path, 0

    def _close(self, table: str) -> None:
        handle, path, _ = self._open.pop(table)
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        final = path.with_suffix("")  # drop .part: the loader may now read it
        os.replace(path, final)
        self.parts[table].append(final.name)

    def mark_done(self, windows: list[tuple[str | None, str]]) -> None:
        for table in self.tables:
            marker = {"windows": [list(w) for w in windows], "parts": self.parts[table]}
            tmp = self.path(table) / f".{DONE_MARKER}.tmp"
            tmp.write_text(json.dumps(marker, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path(table) / DONE_MARKER)
