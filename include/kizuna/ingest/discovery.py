"""Discovery: find the complete files of a data interval under the landing folder.

Layout (DESIGN.md §3): ``landing/<source>/<entity>/<yyyy-mm-dd>/<file>``; the date
folder is the data interval the file belongs to. A file is picked up only when it is
complete: when its folder holds the source's done marker (``_SUCCESS`` by default), or,
for sources without one, when its size and modification time have not changed for
``stable_seconds``. Unfinished uploads (``.part``, ``.tmp``, ``.crdownload``, hidden
files) are left alone and reported as pending, so nothing sits unseen.

:func:`layout_problems` checks the folders themselves: a folder under ``landing/`` that
is neither a source nor a vendor of the sources file, or an entity folder a source does
not deliver, would otherwise be passed over in silence (a misspelt ``cmr/`` loads
nothing); each problem names the nearest valid name.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kizuna.sources.config import (
    EXTENSIONS,
    SOURCE_ENTITIES,
    SOURCES,
    DeliverySpec,
    nearest,
    suggestion,
)

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


@dataclass(frozen=True)
class LayoutProblem:
    """A folder or file of the landing area that no source or vendor reads, and why."""

    relpath: str
    message: str
    tables: tuple[str, ...] = ()  # the raw tables it most likely was meant for


class LandingLayoutError(ValueError):
    """The landing folder holds folders no source reads; the message names each and the
    nearest valid name."""

    def __init__(self, problems: list[LayoutProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"landing/{p.relpath}: {p.message}" for p in problems))


def layout_problems(landing: Path, vendors: tuple[str, ...] = ()) -> list[LayoutProblem]:
    """Folders under ``landing`` that no source or vendor reads (hidden names aside)."""
    problems: list[LayoutProblem] = []
    if not landing.is_dir():
        return problems
    known = [*SOURCES, *vendors]
    for top in sorted(p for p in landing.iterdir() if not p.name.startswith(".")):
        if top.name in vendors or (top.is_file() and top.name not in SOURCES):
            continue
        if top.name not in SOURCES:
            near = nearest(top.name, known)
            tables: tuple[str, ...] = ()
            if near in SOURCES:
                tables = tuple(
                    f"{near}_{e}" for e in (nearest(sub.name, SOURCE_ENTITIES[near])
                                            for sub in sorted(top.iterdir()) if sub.is_dir())
                    if e)
            problems.append(LayoutProblem(
                top.name, "not a source (" + ", ".join(SOURCES) + ") nor a vendor listed under "
                f"vendors: in the sources file, {suggestion(top.name, known)} "
                "(nothing in it is loaded)", tables))
            continue
        entities = SOURCE_ENTITIES[top.name]
        for sub in sorted(p for p in top.iterdir() if not p.name.startswith(".")):
            rel = f"{top.name}/{sub.name}"
            if sub.is_file():
                problems.append(LayoutProblem(
                    rel, f"a file directly under {top.name}/ is not in an entity folder "
                    f"({top.name}/<entity>/<yyyy-mm-dd>/) and is not loaded"))
            elif sub.name not in entities:
                near = nearest(sub.name, entities)
                problems.append(LayoutProblem(
                    rel, f"{top.name} delivers no entity {sub.name!r}, "
                    f"{suggestion(sub.name, entities)} (nothing in it is loaded)",
                    (f"{top.name}_{near}",) if near else ()))
    return problems


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


@dataclass(frozen=True)
class IncompleteFolder:
    """A date folder of one entity that is not complete: its source's done marker is
    missing, or an upload in it is unfinished."""

    relpath: str  # the date folder, relative to the landing root
    table: str
    interval: date
    reason: str
    files_waiting: int  # data files in it that are not loaded until it is complete


def incomplete_folders(landing: Path, spec: DeliverySpec, start: date,
                       end: date) -> list[IncompleteFolder]:
    """Date folders of ``spec.entity`` in ``[start, end)`` that are not complete yet.

    A folder is incomplete when the source has a done marker and the folder lacks it (an
    empty folder too: its files may still be on their way), or when it holds an unfinished
    upload (``.part`` ...). A source without a done marker has no other sign of an
    unfinished delivery.
    """
    root = landing / spec.entity.source / spec.entity.name
    if not root.is_dir():
        return []
    out: list[IncompleteFolder] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        day = _folder_date(folder.name)
        if day is None or not start <= day < end:
            continue
        names = [p.name for p in folder.iterdir() if p.is_file()]
        unfinished = [n for n in names if n.startswith(".") or n.endswith(UNFINISHED_SUFFIXES)]
        data = [n for n in names if n != spec.done_marker and n not in unfinished]
        reasons = []
        if spec.done_marker is not None and spec.done_marker not in names:
            reasons.append(f"no done marker {spec.done_marker}")
        if unfinished:
            reasons.append(f"{len(unfinished)} unfinished upload(s): "
                           + ", ".join(sorted(unfinished)[:3]))
        if reasons:
            out.append(IncompleteFolder(str(folder.relative_to(landing)), spec.entity.table,
                                        day, "; ".join(reasons), len(data)))
    return out
