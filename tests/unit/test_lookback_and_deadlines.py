"""Late data: the lookback of a run's window, which folders are incomplete, when a folder
is overdue, and what the deadline check records and says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from kizuna.ingest.discovery import incomplete_folders
from kizuna.settings import SettingError, get_settings
from kizuna.sources.vendors import effective_delivery_specs
from kizuna.tasks import check_deliveries, delivery_deadline, window

TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_run_looks_back_the_given_days_before_its_own():
    start = datetime(2026, 1, 5, 6, tzinfo=TOKYO)
    assert window(start, start + timedelta(days=1), {}, lookback_days=3) == (
        date(2026, 1, 2), date(2026, 1, 6))
    assert window(None, None, {}, run_after=datetime(2026, 1, 6, 10, tzinfo=TOKYO),
                  lookback_days=2) == (date(2026, 1, 3), date(2026, 1, 6))


def test_a_conf_window_start_is_taken_as_written_without_lookback():
    conf = {"window_start": "2026-01-02", "window_end": "2026-01-04"}
    assert window(None, None, conf, run_after=datetime(2026, 1, 6, 1, tzinfo=UTC),
                  lookback_days=3) == (date(2026, 1, 2), date(2026, 1, 4))


def test_the_lookback_and_deadline_settings_are_read_and_checked(monkeypatch):
    monkeypatch.delenv("KIZUNA_LOOKBACK_DAYS", raising=False)
    monkeypatch.delenv("KIZUNA_DELIVERY_DEADLINE_HOURS", raising=False)
    monkeypatch.delenv("KIZUNA_FRESHNESS_FAILS", raising=False)
    s = get_settings()
    assert (s.lookback_days, s.delivery_deadline_hours, s.freshness_fails) == (3, 24, False)
    monkeypatch.setenv("KIZUNA_LOOKBACK_DAYS", "7")
    monkeypatch.setenv("KIZUNA_DELIVERY_DEADLINE_HOURS", "6")
    monkeypatch.setenv("KIZUNA_FRESHNESS_FAILS", "true")
    s = get_settings()
    assert (s.lookback_days, s.delivery_deadline_hours, s.freshness_fails) == (7, 6, True)
    monkeypatch.setenv("KIZUNA_LOOKBACK_DAYS", "-1")
    with pytest.raises(SettingError, match="KIZUNA_LOOKBACK_DAYS='-1'"):
        get_settings()
    monkeypatch.setenv("KIZUNA_LOOKBACK_DAYS", "3")
    monkeypatch.setenv("KIZUNA_FRESHNESS_FAILS", "maybe")
    with pytest.raises(SettingError, match="KIZUNA_FRESHNESS_FAILS"):
        get_settings()


def test_a_day_is_due_the_given_hours_after_it_ends_in_the_business_time_zone():
    # 5 January ends at 6 January 00:00 JST (5 January 15:00 UTC)
    assert delivery_deadline(date(2026, 1, 5), 0) == datetime(2026, 1, 5, 15, tzinfo=UTC)
    assert delivery_deadline(date(2026, 1, 5), 24) == datetime(2026, 1, 6, 15, tzinfo=UTC)


def folder(home: Path, day: str, *names: str) -> Path:
    path = home / "landing" / "crm" / "accounts" / day
    path.mkdir(parents=True)
    for name in names:
        (path / name).write_text("account_id\nA1\n")
    return path


def test_folders_without_their_done_marker_or_with_an_unfinished_upload_are_incomplete(
        kizuna_home):
    folder(kizuna_home, "2026-01-02", "part-0001.csv", "_SUCCESS")
    folder(kizuna_home, "2026-01-03", "part-0001.csv")
    folder(kizuna_home, "2026-01-04", "part-0001.csv", "part-0002.csv.part", "_SUCCESS")
    folder(kizuna_home, "2026-01-05")  # created, nothing uploaded yet
    folder(kizuna_home, "2026-01-09", "part-0001.csv")  # outside the window
    spec = effective_delivery_specs()["crm_accounts"]
    assert spec.done_marker == "_SUCCESS"

    found = incomplete_folders(kizuna_home / "landing", spec, date(2026, 1, 1),
                               date(2026, 1, 8))

    assert [(f.relpath, f.reason, f.files_waiting) for f in found] == [
        ("crm/accounts/2026-01-03", "no done marker _SUCCESS", 1),
        ("crm/accounts/2026-01-04", "1 unfinished upload(s): part-0002.csv.part", 1),
        ("crm/accounts/2026-01-05", "no done marker _SUCCESS", 0)]


def late_rows(home: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)
    try:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT folder, status, first_alerted_at, last_checked_at, resolved_at "
            "FROM audit.late_deliveries").fetchall()}
    finally:
        con.close()


def test_an_overdue_folder_is_named_recorded_and_resolved_once_complete(kizuna_home):
    stuck = folder(kizuna_home, "2026-01-03", "part-0001.csv")
    folder(kizuna_home, "2026-01-05", "part-0001.csv")  # due 7 January 00:00 JST
    first_check = datetime(2026, 1, 6, 1, tzinfo=UTC)  # 10:00 JST: 3 January is overdue

    with pytest.raises(Exception, match=r"landing/crm/accounts/2026-01-03: no done marker "
                                        r"_SUCCESS, 1 file\(s\) waiting; due by 2026-01-05 "
                                        r"00:00 JST") as raised:
        check_deliveries(date(2026, 1, 2), date(2026, 1, 6), first_check)
    assert "crm/accounts/2026-01-05" not in str(raised.value)  # not due yet
    assert late_rows(kizuna_home) == {"crm/accounts/2026-01-03": (
        "overdue", first_check.replace(tzinfo=None), first_check.replace(tzinfo=None), None)}

    # checked again a day later: still overdue since the first alert, and 5 January is
    # now past its deadline too
    second_check = first_check + timedelta(days=1)
    with pytest.raises(Exception, match=r"2026-01-03.*2026-01-05"):
        check_deliveries(date(2026, 1, 3), date(2026, 1, 7), second_check)
    assert late_rows(kizuna_home)["crm/accounts/2026-01-03"][:3] == (
        "overdue", first_check.replace(tzinfo=None), second_check.replace(tzinfo=None))
    assert late_rows(kizuna_home)["crm/accounts/2026-01-05"][:2] == (
        "overdue", second_check.replace(tzinfo=None))

    (stuck / "_SUCCESS").touch()
    (kizuna_home / "landing/crm/accounts/2026-01-05/_SUCCESS").touch()
    third_check = second_check + timedelta(hours=1)
    summary = check_deliveries(date(2026, 1, 3), date(2026, 1, 7), third_check)

    assert summary == {"overdue": [], "not_due": [],
                       "resolved": ["crm/accounts/2026-01-03", "crm/accounts/2026-01-05"]}
    status, first, _, resolved_at = late_rows(kizuna_home)["crm/accounts/2026-01-03"]
    assert (status, first, resolved_at) == ("resolved", first_check.replace(tzinfo=None),
                                            third_check.replace(tzinfo=None))


def test_an_incomplete_folder_before_its_deadline_is_pending_not_an_alert(kizuna_home):
    folder(kizuna_home, "2026-01-05", "part-0001.csv")
    summary = check_deliveries(date(2026, 1, 5), date(2026, 1, 6),
                               datetime(2026, 1, 6, 14, 59, tzinfo=UTC))  # 6 January 23:59 JST
    assert summary == {"overdue": [], "not_due": ["crm/accounts/2026-01-05"], "resolved": []}
    assert late_rows(kizuna_home) == {}


def test_a_batch_rejected_by_an_earlier_run_fails_only_the_run_of_its_own_day(kizuna_home):
    from kizuna.tasks import load_entity, validate_entity

    bad = folder(kizuna_home, "2026-01-04")
    (bad / "part-0001.csv").write_text(  # no account_id: the loader quarantines the row
        "account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
        "created_at,updated_at\n,Example,,,,,,2026-01-04 10:00:00,2026-01-04 10:00:00\n",
        encoding="utf-8")
    (bad / "_SUCCESS").touch()
    day = date(2026, 1, 4)
    load_entity("crm_accounts", day, day + timedelta(days=1))
    with pytest.raises(Exception, match=r"crm/accounts/2026-01-04/part-0001\.csv"):
        validate_entity("crm_accounts", day, day + timedelta(days=1))

    # the next day's run looks back over 4 January: the rejection was reported already
    summary = validate_entity("crm_accounts", date(2026, 1, 2), date(2026, 1, 6),
                              reported_before=date(2026, 1, 5))
    assert summary["rejected_in_window"] == 1
    # a run of that day itself (a re-run, or a conf window) still fails on it
    with pytest.raises(Exception, match=r"crm/accounts/2026-01-04/part-0001\.csv"):
        validate_entity("crm_accounts", date(2026, 1, 2), date(2026, 1, 6),
                        reported_before=date(2026, 1, 4))
