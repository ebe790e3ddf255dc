"""The PostgreSQL test server starts, and the loader writes raw tables into it."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = pytest.mark.postgres


def test_loader_writes_raw_and_audit_to_postgres(postgres_database, kizuna_home, monkeypatch):
    from kizuna.pipeline import load_and_gate as load_window
    from kizuna.warehouse import connection

    for key, value in postgres_database.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    folder = kizuna_home / "landing" / "crm" / "accounts" / "2026-01-05"
    folder.mkdir(parents=True)
    (folder / "part-0001.csv").write_bytes(
        "account_id,account_name,updated_at\nA1,株式会社テスト,2026-01-05 10:00:00\nA2,x,bad\n"
        .encode("cp932"))
    (folder / "_SUCCESS").touch()
    report = load_window(date(2026, 1, 5), date(2026, 1, 6), tables=["crm_accounts"])
    assert (report.rows_loaded(), report.rows_quarantined()) == (1, 1)
    with connection() as wh:
        assert wh.query("SELECT account_id, account_name, updated_at::text "
                        "FROM raw.crm_accounts") == [("A1", "株式会社テスト",
                                                      "2026-01-05 01:00:00")]
        assert wh.query("SELECT rows_in_file, status FROM audit.load_batches") == [(2, "published")]
