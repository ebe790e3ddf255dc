"""Fixing a delivery: misplaced landing folders, unmapped columns, a reload after a fix to
the sources file, and a rejected batch discarded or accepted by hand; the command line
says what went wrong in one line, without a traceback."""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from kizuna import ingest
from kizuna.cli import app
from kizuna.gate import QualityGateError, loader_rules, validate_window
from kizuna.ingest.discovery import LandingLayoutError
from kizuna.ledger import BatchActionError, act_on_batch, batch_events
from kizuna.warehouse import connection

DAY = date(2026, 1, 5)
NEXT = date(2026, 1, 6)
ACCOUNTS_HEADER = ("account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
                   "created_at,updated_at")
ACTIVITIES_HEADER = "activity_id,account_id,contact_id,activity_type,occurred_at,outcome"


def load_window(*args, **kwargs):
    return ingest.load_window(*args, rules=loader_rules, **kwargs)


def drop(home: Path, source: str, entity: str, name: str, text: str, day: date = DAY,
         encoding: str = "cp932") -> Path:
    folder = home / "landing" / source / entity / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    (folder / "_SUCCESS").touch()
    return path


def db(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)


def sources_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "sources.yml"
    if path.exists():  # the file is re-read when its size or modification time changes
        stat = path.stat()
        path.write_text(text, encoding="utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    else:
        path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(path))
    return path


# --------------------------------------------------------------------------- layout


def test_a_misspelt_source_folder_stops_a_strict_load_naming_the_source(kizuna_home):
    drop(kizuna_home, "cmr", "accounts", "part-0001.csv",
         ACCOUNTS_HEADER + "\nA1,x,,,,,,,2026-01-05 10:00:00\n")
    with pytest.raises(LandingLayoutError) as err:
        load_window(DAY, NEXT, strict_layout=True)
    assert "landing/cmr" in str(err.value) and "did you mean 'crm'?" in str(err.value)
    assert err.value.problems[0].tables == ("crm_accounts",)
    assert not (kizuna_home / "warehouse" / "kizuna.duckdb").exists()  # nothing loaded


def test_a_misspelt_entity_folder_fails_that_entity_after_the_rest_is_loaded(kizuna_home,
                                                                           caplog):
    drop(kizuna_home, "crm", "acounts", "part-0001.csv",
         ACCOUNTS_HEADER + "\nA1,x,,,,,,,2026-01-05 10:00:00\n")
    drop(kizuna_home, "crm", "products", "part-0001.csv",
         "product_id,product_name,product_family,list_price_jpy\nP1,x,y,100\n")
    # the DAG loads one entity per task: another entity's task warns and loads
    with caplog.at_level(logging.WARNING, logger="kizuna.ingest.load"):
        report = load_window(DAY, NEXT, tables=["crm_products"])
    assert report.rows_loaded() == 1
    assert [p.relpath for p in report.layout] == ["crm/acounts"]
    assert "did you mean 'accounts'?" in caplog.text
    # the task of the entity it was meant for fails, so the run does not pass unseen
    with pytest.raises(LandingLayoutError, match="crm/acounts"):
        load_window(DAY, NEXT, tables=["crm_accounts"])


def test_a_vendor_named_in_the_sources_file_is_a_known_folder(kizuna_home, tmp_path,
                                                             monkeypatch):
    sources_file(tmp_path, monkeypatch, "vendors:\n  hubspot: {adapter: hubspot_export}\n")
    (kizuna_home / "landing" / "hubspot" / "contacts").mkdir(parents=True)
    from kizuna.ingest.discovery import layout_problems
    from kizuna.sources.config import vendor_names

    assert layout_problems(kizuna_home / "landing", vendor_names()) == []
    assert [p.relpath for p in layout_problems(kizuna_home / "landing")] == ["hubspot"]


# --------------------------------------------------------------------------- columns


def test_unmapped_columns_and_a_mapping_that_matched_nothing_are_named(kizuna_home, tmp_path,
                                                                     monkeypatch):
    sources_file(tmp_path, monkeypatch,
                 "crm:\n  encoding: cp932\n  done_marker: _SUCCESS\n"
                 "  entities:\n    accounts:\n      columns: {Kaisya Mei: account_name}\n")
    drop(kizuna_home, "crm", "accounts", "part-0001.csv",
         "account_id,Kaisha Mei,FAX,updated_at\nA1,山田,03-0000-0000,2026-01-05 10:00:00\n")
    report = load_window(DAY, NEXT, tables=["crm_accounts"])
    (batch,) = report.batches
    assert batch.unmapped == ("kaisha_mei", "fax")
    assert "unmapped columns kept in raw as text: kaisha_mei, fax" in (batch.message or "")
    assert ("column mapping 'Kaisya Mei' -> account_name matched no column of the file "
            "(nearest delivered: 'kaisha_mei')") in (batch.message or "")
    assert "crm_accounts: kaisha_mei, fax" in report.summary()
    row = db(kizuna_home).execute("SELECT account_name, kaisha_mei, fax FROM raw.crm_accounts"
                                  ).fetchone()
    assert row == (None, "山田", "03-0000-0000")  # still kept in raw


# --------------------------------------------------------------------------- reload


def _raw_accounts(home: Path) -> list[tuple]:
    with db(home) as con:
        return con.execute("SELECT account_id, account_name, created_at, updated_at, "
                           "_source_file, _row_number FROM raw.crm_accounts ORDER BY 1"
                           ).fetchall()


def test_reload_after_a_timezone_fix_shifts_timestamps_and_leaves_no_duplicates(
        kizuna_home, tmp_path, monkeypatch):
    # the export is in JST, but the sources file first says UTC (the defaults' timezone)
    sources_file(tmp_path, monkeypatch, "crm:\n  encoding: cp932\n  done_marker: _SUCCESS\n")
    drop(kizuna_home, "crm", "accounts", "part-0001.csv", "\n".join([
        ACCOUNTS_HEADER,
        "A1,x,,,,,,2025-12-01 09:00:00,2026-01-05 10:00:00",
        "A2,y,,,,,,,2026-01-05 11:30:00",
        "A3,bad,,,,,,,not-a-time",
    ]) + "\n")
    first = load_window(DAY, NEXT, tables=["crm_accounts"])
    before = _raw_accounts(kizuna_home)
    assert [r[3] for r in before] == [datetime(2026, 1, 5, 10), datetime(2026, 1, 5, 11, 30)]

    sources_file(tmp_path, monkeypatch,
                 "crm:\n  encoding: cp932\n  done_marker: _SUCCESS\n  timezone: Asia/Tokyo\n")
    assert load_window(DAY, NEXT, tables=["crm_accounts"]).batches == []  # plain load: skipped
    reload = load_window(DAY, NEXT, tables=["crm_accounts"], reload="timezone fixed")
    after = _raw_accounts(kizuna_home)

    assert len(after) == len(before) == 2
    for old, new in zip(before, after, strict=True):
        assert old[0] == new[0]
        assert old[3] - new[3] == timedelta(hours=9)  # JST read as UTC was 9 h late
    assert [r[2] for r in after] == [datetime(2025, 12, 1, 0), None]
    with db(kizuna_home) as con:
        assert con.execute("SELECT count(*) FROM quarantine.rejected_rows").fetchone() == (1,)
        statuses = dict(con.execute("SELECT batch_id, status FROM audit.load_batches"
                                    ).fetchall())
        events = con.execute("SELECT batch_id, event, status_after, reason "
                             "FROM audit.batch_events").fetchall()
    (old_id,) = [b.batch_id for b in first.batches]
    (new_id,) = [b.batch_id for b in reload.batches]
    assert old_id != new_id
    assert statuses == {old_id: "superseded", new_id: "loaded"}
    assert events == [(old_id, "reloaded", "superseded", "reloaded: timezone fixed")]

    # idempotent: a second reload leaves the same rows
    load_window(DAY, NEXT, tables=["crm_accounts"], reload="again")
    assert _raw_accounts(kizuna_home) == after
    with db(kizuna_home) as con:
        assert con.execute("SELECT count(*) FROM quarantine.rejected_rows").fetchone() == (1,)
        assert con.execute("SELECT status, count(*) FROM audit.load_batches GROUP BY 1 "
                           "ORDER BY 1").fetchall() == [("loaded", 1), ("superseded", 2)]


def test_a_corrected_file_under_the_same_name_is_recorded_as_replaced(kizuna_home):
    path = drop(kizuna_home, "crm", "accounts", "part-0001.csv",
                ACCOUNTS_HEADER + "\nA1,old,,,,,,,2026-01-05 10:00:00\n")
    (old,) = load_window(DAY, NEXT, tables=["crm_accounts"]).batches
    path.write_bytes((ACCOUNTS_HEADER + "\nA1,new,,,,,,,2026-01-05 10:00:00\n").encode())
    (new,) = load_window(DAY, NEXT, tables=["crm_accounts"]).batches
    assert new.batch_id != old.batch_id
    with db(kizuna_home) as con:
        assert con.execute("SELECT batch_id, event, status_before, reason "
                           "FROM audit.batch_events").fetchall() == [
            (old.batch_id, "replaced", "loaded",
             "a changed file was delivered under the same name")]


# --------------------------------------------------------------------------- discard, accept


def _rejected_batch(home: Path) -> str:
    """A crm_activities batch the gate rejects: 3 of 4 activity types unknown."""
    rows = [f"C{i},A1,,telepathy,2026-01-05 10:00:00,completed" for i in range(3)]
    rows.append("C3,A1,,call,2026-01-05 10:00:00,completed")
    drop(home, "crm", "activities", "part-0001.csv", "\n".join([ACTIVITIES_HEADER, *rows]))
    report = load_window(DAY, NEXT, tables=["crm_activities"])
    with pytest.raises(QualityGateError):
        validate_window(DAY, NEXT, ["crm_activities"], data_docs=False)
    (batch,) = report.batches
    with db(home) as con:
        assert con.execute("SELECT status FROM audit.load_batches").fetchone() == ("rejected",)
    return batch.batch_id


def _state(home: Path, batch_id: str) -> tuple:
    with db(home) as con:
        status, message = con.execute("SELECT status, message FROM audit.load_batches "
                                      "WHERE batch_id = ?", [batch_id]).fetchone()
        raw = con.execute("SELECT count(*) FROM raw.crm_activities WHERE _batch_id = ?",
                          [batch_id]).fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM quarantine.rejected_rows "
                                  "WHERE batch_id = ?", [batch_id]).fetchone()[0]
    return status, message, raw, quarantined


def test_a_discarded_batch_leaves_raw_and_a_plain_load_does_not_bring_it_back(kizuna_home):
    batch_id = _rejected_batch(kizuna_home)
    assert _state(kizuna_home, batch_id)[2:] == (1, 3)
    with connection() as wh:
        act_on_batch(wh, batch_id[:8], "discard", "wrong export, resent tomorrow", by="aiko")
        events = batch_events(wh, batch_id)
    status, message, raw, quarantined = _state(kizuna_home, batch_id)
    assert (status, raw, quarantined) == ("discarded", 0, 3)  # quarantine keeps the evidence
    assert message.startswith("discarded by aiko: wrong export, resent tomorrow")
    assert [e[:5] for e in events] == [
        ("discard", "rejected", "discarded", "wrong export, resent tomorrow", "aiko")]

    again = load_window(DAY, NEXT, tables=["crm_activities"])
    assert (again.batches, again.skipped) == ([], 1)
    validate_window(DAY, NEXT, ["crm_activities"], data_docs=False)  # nothing rejected now

    reloaded = load_window(DAY, NEXT, tables=["crm_activities"], reload="bring it back")
    (batch,) = reloaded.batches
    assert batch.status == "loaded" and batch.rows_loaded == 4
    assert _state(kizuna_home, batch_id)[0] == "discarded"  # its record stays


def test_an_accepted_batch_is_published_with_its_rows(kizuna_home):
    batch_id = _rejected_batch(kizuna_home)
    with connection() as wh:
        act_on_batch(wh, batch_id, "accept", "telepathy is a new channel", by="aiko")
        with pytest.raises(BatchActionError, match="is published; only a batch that is "
                                                   "rejected can be accepted"):
            act_on_batch(wh, batch_id, "accept", "twice")
    status, message, raw, quarantined = _state(kizuna_home, batch_id)
    assert (status, raw, quarantined) == ("published", 1, 3)
    assert "accepted by aiko: telepathy is a new channel" in message
    validate_window(DAY, NEXT, ["crm_activities"], data_docs=False)  # the window passes


# --------------------------------------------------------------------------- command line


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_kizuna_load_prints_one_line_and_a_hint_for_a_misspelt_folder(kizuna_home):
    drop(kizuna_home, "cmr", "accounts", "part-0001.csv", ACCOUNTS_HEADER + "\n")
    result = CliRunner().invoke(app, ["load", "--from", DAY.isoformat(), "--to",
                                      DAY.isoformat()])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    error, hint = _lines(result.output)
    assert error.startswith("Error: LandingLayoutError: landing/cmr:")
    assert "did you mean 'crm'?" in error
    assert hint.startswith("Hint: ")


def test_kizuna_load_prints_one_line_for_a_misspelt_source_and_debug_shows_the_error(
        kizuna_home, tmp_path, monkeypatch):
    sources_file(tmp_path, monkeypatch, "cmr:\n  timezone: Asia/Tokyo\n")
    result = CliRunner().invoke(app, ["load", "--from", DAY.isoformat()])
    assert result.exit_code == 1
    error, hint = _lines(result.output)
    assert "SourceConfigError" in error and "cmr: unknown source 'cmr'; did you mean 'crm'?" \
        in error
    assert "kizuna load --reload" in hint
    debug = CliRunner().invoke(app, ["--debug", "load", "--from", DAY.isoformat()])
    assert debug.exit_code != 0
    assert type(debug.exception).__name__ == "SourceConfigError"


def test_kizuna_batch_discard_and_list(kizuna_home):
    batch_id = _rejected_batch(kizuna_home)
    runner = CliRunner()
    listed = runner.invoke(app, ["batch", "list", "--status", "rejected"])
    assert listed.exit_code == 0 and batch_id in listed.output
    done = runner.invoke(app, ["batch", "discard", batch_id, "--reason", "test export"])
    assert done.exit_code == 0, done.output
    assert "rejected -> discarded" in done.output
    again = runner.invoke(app, ["batch", "accept", batch_id, "--reason", "x"])
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert _lines(again.output)[0].startswith("Error: BatchActionError: batch "
                                              f"{batch_id}")


def test_expected_failures_become_one_line_and_a_hint_and_others_do_not():
    from kizuna.cli import _expected
    from kizuna.transform import DbtError
    from kizuna.warehouse import WarehouseBusyError

    line, hint, code = _expected(DbtError("dbt build failed: fct_x: error (boom)\nmore"))
    assert (line, code) == ("DbtError: dbt build failed: fct_x: error (boom) more", 1)
    assert "DBT_TARGET_PATH" in hint
    line, hint, code = _expected(WarehouseBusyError("kizuna.duckdb is locked"))
    assert line.startswith("WarehouseBusyError:") and "wait" in hint
    gate = ("Quality gate: 1 batch(es) of crm_activities in 2026-01-05..2026-01-06 failed\n"
            "file crm/activities/2026-01-05/part-0001.csv (batch abc123, data interval "
            "2026-01-05):\n  - rule activity_type_accepted (critical, row-level): 3 of 4\n"
            "  - rule values_parse (critical, row-level): 1 of 4\nWhat to do: ...")
    line, _, code = _expected(QualityGateError(gate))
    assert code == 2
    assert line == ("QualityGateError: the quality gate rejected 1 batch(es): "
                    "crm/activities/2026-01-05/part-0001.csv (batch abc123: "
                    "activity_type_accepted, values_parse)")
    assert _expected(KeyError("a bug")) is None  # a bug keeps its traceback
