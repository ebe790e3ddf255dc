"""Landing retention archives, then removes, only old folders whose every file is loaded
and settled; task-log retention removes only old files. On a tiny hand-made landing tree."""

from __future__ import annotations

import hashlib
import os
import tarfile
import time
from datetime import date, datetime
from pathlib import Path

import pytest

TODAY = date(2026, 6, 1)


def _file(landing: Path, rel: str, text: str) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _batch(wh, rel: str, content: str, status: str, loaded_at: datetime) -> None:
    sha = hashlib.sha256(content.encode()).hexdigest()
    wh.execute("INSERT INTO audit.load_batches VALUES (?, 'ma_leads', ?, DATE '2026-01-01', ?, "
               "1, 1, 1, 0, ?, NULL, ?, 0)", [f"b-{rel}-{status}", rel, sha, status, loaded_at])


@pytest.fixture
def landing(kizuna_home: Path) -> Path:
    """Six date folders: four old (a settled one, one with a rejected batch, one with a
    file never loaded, one with an upload still going), a reloaded one and a recent one."""
    from kizuna.ledger import ensure_ledger
    from kizuna.warehouse import connection

    landing = kizuna_home / "landing"
    t0, t1 = datetime(2026, 1, 2, 1), datetime(2026, 1, 3, 1)
    with connection() as wh:
        ensure_ledger(wh)
        for day, status in (("2026-01-01", "published"), ("2026-01-02", "rejected"),
                            ("2026-02-01", "published")):
            rel = f"ma/leads/{day}/part-1.csv"
            _file(landing, rel, f"lead_id\n{day}\n")
            _file(landing, f"ma/leads/{day}/_SUCCESS", "")
            _batch(wh, rel, f"lead_id\n{day}\n", status, t0)
        _file(landing, "ma/leads/2026-01-03/part-1.csv", "never loaded\n")
        _file(landing, "ma/leads/2026-01-04/part-1.csv.part", "half an upl")
        # loaded, superseded by a reload that is now waiting for the gate: not settled
        _file(landing, "crm/accounts/2026-01-05/a.csv", "account_id\nA1\n")
        _batch(wh, "crm/accounts/2026-01-05/a.csv", "account_id\nA1\n", "superseded", t0)
        _batch(wh, "crm/accounts/2026-01-05/a.csv", "account_id\nA1\n", "loaded", t1)
    _file(landing, "ma/leads/2026-05-30/part-1.csv", "recent\n")  # inside the retention
    return landing


def test_only_old_settled_folders_are_archived_then_removed(landing, kizuna_home):
    from kizuna.maintenance import archive_landing

    report = archive_landing(older_than_days=90, today=TODAY)
    assert report.cutoff == date(2026, 3, 3)
    assert report.archived == {"ma/leads/2026-01-01": "landing/ma/leads/2026-01-01.tar.gz",
                               "ma/leads/2026-02-01": "landing/ma/leads/2026-02-01.tar.gz"}
    assert set(report.kept) == {"ma/leads/2026-01-02", "ma/leads/2026-01-03",
                                "ma/leads/2026-01-04", "crm/accounts/2026-01-05"}
    assert "rejected" in report.kept["ma/leads/2026-01-02"]
    assert "never loaded" in report.kept["ma/leads/2026-01-03"]
    assert "unfinished upload" in report.kept["ma/leads/2026-01-04"]
    assert "loaded, not settled" in report.kept["crm/accounts/2026-01-05"]
    # nothing lost: the archive holds each file byte for byte, and only then it left
    assert not (landing / "ma/leads/2026-01-01").exists()
    with tarfile.open(kizuna_home / "archive/landing/ma/leads/2026-01-01.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["2026-01-01/_SUCCESS", "2026-01-01/part-1.csv"]
        member = tar.extractfile("2026-01-01/part-1.csv")
        assert member is not None and member.read() == b"lead_id\n2026-01-01\n"
    for kept in report.kept:
        assert (landing / kept).is_dir()
    assert (landing / "ma/leads/2026-05-30/part-1.csv").exists()
    # a second run finds nothing more to do
    again = archive_landing(older_than_days=90, today=TODAY)
    assert again.archived == {} and set(again.kept) == set(report.kept)


def test_a_date_archived_again_gets_a_file_of_its_own(landing, kizuna_home):
    from kizuna.maintenance import archive_landing

    archive_landing(older_than_days=90, today=TODAY)
    # the same day delivered again later (e.g. restored), loaded and published again
    assert archive_landing(older_than_days=90, today=TODAY).archived == {}
    first = kizuna_home / "archive/landing/ma/leads/2026-01-01.tar.gz"
    with tarfile.open(first) as tar:
        tar.extractall(landing / "ma/leads", filter="data")
    report = archive_landing(older_than_days=90, today=TODAY)
    assert report.archived == {"ma/leads/2026-01-01": "landing/ma/leads/2026-01-01.2.tar.gz"}
    assert first.exists()


def test_without_a_warehouse_nothing_is_settled_so_nothing_moves(kizuna_home):
    from kizuna.maintenance import archive_landing

    _file(kizuna_home / "landing", "ma/leads/2025-01-01/part-1.csv", "x\n")
    report = archive_landing(older_than_days=1, today=TODAY)
    assert report.archived == {} and "never loaded" in report.kept["ma/leads/2025-01-01"]


def test_task_logs_older_than_the_retention_are_removed(tmp_path):
    from kizuna.maintenance import prune_task_logs

    logs = tmp_path / "logs"
    old = _file(logs, "dag_id=a/run_id=r1/task_id=t/attempt=1.log", "old")
    new = _file(logs, "dag_id=a/run_id=r2/task_id=t/attempt=1.log", "new")
    forty_days_ago = time.time() - 40 * 86400
    os.utime(old, (forty_days_ago, forty_days_ago))
    assert prune_task_logs(logs, older_than_days=30) == 1
    assert not old.exists() and not (logs / "dag_id=a/run_id=r1").exists()
    assert new.exists()
