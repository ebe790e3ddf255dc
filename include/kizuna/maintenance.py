"""Weekly upkeep: the warehouse, the landing folder, Airflow's metadata and task logs.

The ``kizuna_maintenance`` DAG runs each function below as one task:

- :func:`checkpoint_warehouse`: DuckDB ``CHECKPOINT`` (the write-ahead log folded into the
  file, freed blocks reused); on PostgreSQL ``VACUUM (ANALYZE)`` (dead rows reclaimed,
  planner statistics renewed);
- :func:`archive_landing`: date folders older than ``KIZUNA_LANDING_RETENTION_DAYS`` (90)
  whose every file was loaded and settled are packed into ``KIZUNA_ARCHIVE``
  (``archive/landing/<source>/<entity>/<date>.tar.gz``), the archive read back and
  checked file by file, and only then removed from ``landing/``. A folder holding a file
  never loaded, a batch still ``loaded`` or ``rejected`` (not settled), or an unfinished
  upload is kept, and the report says why;
- :func:`clean_airflow_db`: ``airflow db clean`` of metadata rows older than
  ``KIZUNA_AIRFLOW_RETENTION_DAYS`` (30);
- :func:`prune_task_logs`: task log files older than the same number of days.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from kizuna.ingest.discovery import UNFINISHED_SUFFIXES
from kizuna.ledger import SETTLED_STATUSES
from kizuna.settings import Settings, business_timezone, get_settings

log = logging.getLogger(__name__)

#: Airflow's stand-in for the metadata DB's address inside a task (it blocks the ORM there).
_BLOCKED_DB = "airflow-db-not-allowed"


def checkpoint_warehouse(settings: Settings | None = None) -> dict[str, Any]:
    """DuckDB: ``CHECKPOINT``; PostgreSQL: ``VACUUM (ANALYZE)``. Returns what was done and,
    on DuckDB, the file's size before and after (bytes, write-ahead log included)."""
    from kizuna.warehouse import connection

    s = settings or get_settings()
    if s.warehouse == "postgres":
        with connection(s) as wh:
            wh.execute("VACUUM (ANALYZE)")  # autocommit: VACUUM runs outside a transaction
        return {"warehouse": "postgres", "done": "VACUUM (ANALYZE)"}

    def size() -> int:
        return sum(p.stat().st_size for p in (s.duckdb_path,
                                              s.duckdb_path.with_name(s.duckdb_path.name + ".wal"))
                   if p.exists())

    before = size()
    with connection(s) as wh:
        wh.execute("CHECKPOINT")
    after = size()
    log.info("CHECKPOINT %s: %d -> %d bytes", s.duckdb_path, before, after)
    return {"warehouse": "duckdb", "done": "CHECKPOINT", "bytes_before": before,
            "bytes_after": after}


@dataclass
class LandingRetention:
    """What :func:`archive_landing` did: folders archived (folder -> archive file) and kept
    (folder -> why), all relative to the landing root."""

    cutoff: date
    archived: dict[str, str] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"cutoff": self.cutoff.isoformat(), "archived": self.archived,
                "kept": self.kept}


def archive_landing(settings: Settings | None = None, older_than_days: int | None = None,
                    today: date | None = None) -> LandingRetention:
    """Archive, then remove, the settled date folders older than ``older_than_days``
    (``KIZUNA_LANDING_RETENTION_DAYS``) before ``today`` (the business date now).

    A folder ``landing/<source>/<entity>/<yyyy-mm-dd>/`` is settled when each of its files
    is a done marker (a name starting with ``_``) or a file whose content (SHA-256) under
    that path has a batch in ``audit.load_batches`` whose latest status is settled
    (:data:`kizuna.ledger.SETTLED_STATUSES`). Anything else keeps the whole folder.
    """
    s = settings or get_settings()
    days = s.landing_retention_days if older_than_days is None else older_than_days
    today = today or datetime.now(business_timezone()).date()
    report = LandingRetention(cutoff=today - timedelta(days=days))
    candidates = [f for f in _date_folders(s.landing) if f[1] < report.cutoff]
    if not candidates:
        return report
    batches = _latest_batch_statuses(s)
    archive_root = (s.archive or s.home / "archive") / "landing"
    for folder, _ in candidates:
        rel = folder.relative_to(s.landing).as_posix()
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        why = _unsettled(s.landing, files, batches)
        if why:
            report.kept[rel] = why
            log.info("keeping landing/%s: %s", rel, why)
            continue
        target = _archive_path(archive_root / rel)
        _write_archive(folder, files, target)
        shutil.rmtree(folder)
        report.archived[rel] = target.relative_to(archive_root.parent).as_posix()
        log.info("archived landing/%s (%d files) to %s, then removed it", rel, len(files),
                 target)
    return report


def _date_folders(landing: Path) -> list[tuple[Path, date]]:
    """``landing/<source>/<entity>/<yyyy-mm-dd>/`` folders with their dates."""
    found: list[tuple[Path, date]] = []
    for folder in sorted(landing.glob("*/*/*")):
        if not folder.is_dir():
            continue
        try:
            found.append((folder, date.fromisoformat(folder.name)))
        except ValueError:
            continue  # not a date folder: not this function's to judge
    return found


def _latest_batch_statuses(s: Settings) -> dict[tuple[str, str], str]:
    """(source_file, sha256) -> the status of its latest batch."""
    from kizuna.warehouse import connection

    if s.warehouse == "duckdb" and not s.duckdb_path.exists():
        return {}
    with connection(s) as wh:
        if not wh.query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'audit' "
                        "AND table_name = 'load_batches'"):
            return {}
        rows = wh.query("SELECT source_file, file_sha256, status FROM audit.load_batches "
                        "ORDER BY loaded_at, batch_id")
    return {(f, sha): status for f, sha, status in rows}  # later rows win


def _unsettled(landing: Path, files: list[Path],
               batches: dict[tuple[str, str], str]) -> str | None:
    """Why the folder of ``files`` must stay, or None when every file is settled."""
    for path in files:
        rel = path.relative_to(landing).as_posix()
        if path.name.startswith("_"):
            continue  # the done marker
        if path.name.startswith(".") or path.name.endswith(UNFINISHED_SUFFIXES):
            return f"{rel} is an unfinished upload"
        status = batches.get((rel, _sha256(path)))
        if status is None:
            return f"{rel} was never loaded (no batch with its content)"
        if status not in SETTLED_STATUSES:
            return f"{rel}'s batch is {status}, not settled"
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _archive_path(folder_in_archive: Path) -> Path:
    """``<date>.tar.gz`` beside the other archives of its entity; ``<date>.2.tar.gz`` ...
    when the same date was archived before (a folder delivered again later)."""
    base = folder_in_archive.parent / folder_in_archive.name
    target, n = base.with_name(base.name + ".tar.gz"), 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}.{n}.tar.gz")
    return target


def _write_archive(folder: Path, files: list[Path], target: Path) -> None:
    """Pack ``files`` (paths kept relative to ``folder``'s parent) into ``target``; read it
    back and compare each member with its file before the archive takes its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            for path in files:
                tar.add(path, arcname=path.relative_to(folder.parent).as_posix())
        with tarfile.open(partial, "r:gz") as tar:
            for path in files:
                member = tar.extractfile(path.relative_to(folder.parent).as_posix())
                if member is None or hashlib.sha256(member.read()).hexdigest() != _sha256(path):
                    raise OSError(f"the archive {partial} does not hold {path} as it is; "
                                  "nothing was removed")
        with partial.open("rb") as f:
            os.fsync(f.fileno())  # on disk before the folder goes
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def clean_airflow_db(older_than_days: int | None = None, now: datetime | None = None,
                     dry_run: bool = False) -> str:
    """``airflow db clean`` of the metadata rows older than ``older_than_days``
    (``KIZUNA_AIRFLOW_RETENTION_DAYS``); returns the command's output.

    Airflow 3 hides the metadata DB's address from tasks (it sets it to a placeholder);
    the command runs without that placeholder, so it reads the deployment's own setting:
    ``airflow.cfg`` (``make airflow``) or ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD`` /
    ``_SECRET``. Rows are deleted without an archive table (``--skip-archive``): the aim
    is a smaller database.
    """
    days = (get_settings().airflow_retention_days if older_than_days is None
            else older_than_days)
    before = (now or datetime.now(UTC)) - timedelta(days=days)
    env = {k: v for k, v in os.environ.items()
           if not (k.endswith("SQL_ALCHEMY_CONN") and v.startswith(_BLOCKED_DB))}
    args = [str(Path(sys.executable).with_name("airflow")), "db", "clean",
            "--clean-before-timestamp", before.isoformat(), "--skip-archive", "--yes"]
    if dry_run:
        args.append("--dry-run")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"airflow db clean failed ({done.returncode}): {done.stderr[-2000:]}\nA task "
            "cannot see the metadata DB's address when it comes only from "
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: give it in airflow.cfg or as "
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD, or run `airflow db clean` on a "
            "schedule outside Airflow.")
    log.info("airflow db clean before %s: %s", before.isoformat(), done.stdout[-2000:])
    return done.stdout


def airflow_log_folder() -> Path:
    """Where Airflow writes task logs (``[logging] base_log_folder``)."""
    from airflow.sdk.configuration import conf

    return Path(conf.get("logging", "base_log_folder"))


def prune_task_logs(folder: Path | None = None, older_than_days: int | None = None,
                    now: datetime | None = None) -> int:
    """Remove log files under ``folder`` (Airflow's task logs) last written more than
    ``older_than_days`` (``KIZUNA_AIRFLOW_RETENTION_DAYS``) before ``now``, then the folders
    left empty; the number of files removed."""
    folder = folder or airflow_log_folder()
    days = (get_settings().airflow_retention_days if older_than_days is None
            else older_than_days)
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=days)).timestamp()
    removed = 0
    if not folder.exists():
        return 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink()
            removed += 1
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(path.iterdir()):
            path.rmdir()
    log.info("removed %d task log files older than %d days from %s", removed, days, folder)
    return removed
