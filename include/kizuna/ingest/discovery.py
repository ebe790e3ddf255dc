"""Discovery: find the complete files of a data interval under the landing folder.

Layout (DESIGN.md §3): ``landing/<source>/<entity>/<yyyy-mm-dd>/<file>``; the date
folder is the data interval the file belongs to. A file is picked up only when it is
complete: when its folder holds the source's done marker (``_SUCCESS`` by default), or,
for sources without one, when its size and modification time have not changed for
``stable_seconds``. Unfinished uploads (``.part``, ``.tmp``, ``.crdownload``, hidden
files) are left alone and reported as pending, so nothing sits unseen.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kizuna.sources.config import EXTENSIONS, DeliverySpec

UNFINISHED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".filepart", ".uploading")


@dataclass(frozen=True)
class DeliveredFile:
    """One complete file of one entity for one data interval."""

    path: Path
    relpath: str  # relative to the landing root, stable across machines
    table: str
    interval: date
    size: int

    def sha256(self) -> str:
        h = hashlib.sha256()
        with self.path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()


@dataclass(frozen=True)
class PendingFile:
    """A file that is in the landing folder but not (yet) loadable, and why."""

    relpath: str
    reason: str


@dataclass
class Discovery:
    files: list[DeliveredFile]
    pending: list[PendingFile]


def _folder_date(name: str) -> date | None:
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def discover(
    landing: Path,
    spec: DeliverySpec,
    start: date,
    end: date,
    now: float | None = None,
) -> Discovery:
    """Complete files of ``spec.entity`` whose date folder lies in ``[start, end)``."""
    root = landing / spec.entity.source / spec.entity.name
    files: list[DeliveredFile] = []
    pending: list[PendingFile] = []
    if not root.is_dir():
        return Discovery(files, pending)
    now = time.time() if now is None else now
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        day = _folder_date(folder.name)
        if day is None:
            pending.append(PendingFile(str(folder.relative_to(landing)),
                                       "folder name is not a date (yyyy-mm-dd)"))
            continue
        if not start <= day < end:
            continue
        marker_ok = spec.done_marker is None or (folder / spec.done_marker).exists()
        for path in sorted(folder.iterdir()):
            rel = str(path.relative_to(landing))
            name = path.name
            if not path.is_file() or name == spec.done_marker:
                continue
            if name.startswith(".") or name.endswith(UNFINISHED_SUFFIXES):
                pending.append(PendingFile(rel, "unfinished upload"))
                continue
            if not name.lower().endswith(EXTENSIONS[spec.format]):
                pending.append(PendingFile(
                    rel, f"not a {spec.format} file (expected {', '.join(EXTENSIONS[spec.format])})"
                ))
                continue
            stat = path.stat()
            if not marker_ok:
                pending.append(PendingFile(rel, f"folder has no done marker {spec.done_marker}"))
                continue
            if spec.done_marker is None and now - stat.st_mtime < spec.stable_seconds:
                pending.append(PendingFile(
                    rel, f"modified less than {spec.stable_seconds}s ago; may still be uploading"
                ))
                continue
            files.append(DeliveredFile(path, rel, spec.entity.table, day, stat.st_size))
    return Discovery(files, pending)
