"""Landing -> raw: typing, quarantine, reconciliation and idempotency on small files.

These test the loader alone (``validate=False``): new batches stay ``loaded`` until the
quality gate (tests/unit/test_quality.py, tests/bad_input) publishes or rejects them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kizuna import ingest
from kizuna.gate import loader_rules
from kizuna.ingest import ensure_schema, load_files


def load_window(*args, **kwargs):
    """The load step alone (the gate does not run): batches stay ``loaded``."""
    return ingest.load_window(*args, rules=loader_rules, **kwargs)


DAY = date(2026, 1, 5)
NEXT = date(2026, 1, 6)
ACCOUNTS_HEADER = ("account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
                   "created_at,updated_at")


def drop(home: Path, source: str, entity: str, name: str, content: bytes | str,
         day: date = DAY, marker: bool = True, encoding: str = "utf-8") -> Path:
    folder = home / "landing" / source / entity / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    if marker:
        (folder / "_SUCCESS").touch()
    return path


def db(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)


def test_cp932_csv_rows_are_typed_or_quarantined_with_a_reason(kizuna_home):
    content = "\n".join([
        ACCOUNTS_HEADER,
        "A1,株式会社山田製作所,1234567890123,yamada.co.jp,製造業,佐藤,tier_1,"
        "2024-01-01 09:00:00,2026-01-05 10:00:00",
        'A2,"（株）田中,商事\n本社",,,卸売,鈴木,,2024/01/01,2026-01-05 11:00:00',
        "A3,ragged",
        "A4,bad timestamp,,,,,,,not-a-time",
        ",no key,,,,,,,2026-01-05 11:00:00",
    ]) + "\n"
    drop(kizuna_home, "crm", "accounts", "part-0001.csv", content, encoding="cp932")

    report = load_window(DAY, NEXT, tables=["crm_accounts"])

    (batch,) = report.batches
    assert (batch.rows_in_file, batch.rows_loaded, batch.rows_quarantined) == (5, 2, 3)
    con = db(kizuna_home)
    rows = con.execute("SELECT account_id, account_name, updated_at, _row_number "
                   "FROM raw.crm_accounts ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == ["A1", "A2"]
    assert rows[1][1] == "（株）田中,商事\n本社"
    assert str(rows[0][2]) == "2026-01-05 01:00:00"  # JST -> UTC
    assert [r[3] for r in rows] == [1, 2]
    quarantined = dict(con.execute(
        "SELECT row_number, reason FROM quarantine.rejected_rows").fetchall())
    assert set(quarantined) == {3, 4, 5}
    assert "MISSING COLUMNS" in quarantined[3]
    assert "cannot parse updated_at as timestamp: not-a-time" in quarantined[4]
    assert "missing required value: account_id" in quarantined[5]


def test_reloading_same_file_adds_no_rows(kizuna_home):
    drop(kizuna_home, "crm", "accounts", "part-0001.csv",
         ACCOUNTS_HEADER + "\nA1,x,,,,,,,2026-01-05 10:00:00\n", encoding="cp932")
    first = load_window(DAY, NEXT, tables=["crm_accounts"])
    second = load_window(DAY, NEXT, tables=["crm_accounts"])
    assert first.rows_loaded() == 1
    assert second.batches == [] and second.skipped == 1
    assert db(kizuna_home).execute("SELECT count(*) FROM raw.crm_accounts").fetchone() == (1,)


def test_same_content_delivered_twice_is_recorded_as_duplicate(kizuna_home):
    body = ACCOUNTS_HEADER + "\nA1,x,,,,,,,2026-01-05 10:00:00\n"
    drop(kizuna_home, "crm", "accounts", "part-0001.csv", body, encoding="cp932")
    load_window(DAY, NEXT, tables=["crm_accounts"])
    drop(kizuna_home, "crm", "accounts", "part-0001-resent.csv", body, encoding="cp932")
    report = load_window(DAY, NEXT, tables=["crm_accounts"])
    assert [b.status for b in report.batches] == ["duplicate"]
    assert db(kizuna_home).execute("SELECT count(*) FROM raw.crm_accounts").fetchone() == (1,)


def test_corrected_file_replaces_its_earlier_batch(kizuna_home):
    path = drop(kizuna_home, "crm", "accounts", "part-0001.csv",
                ACCOUNTS_HEADER + "\nA1,old,,,,,,,2026-01-05 10:00:00\nA2,x,,,,,,,bad\n",
                encoding="cp932")
    load_window(DAY, NEXT, tables=["crm_accounts"])
    path.write_bytes((ACCOUNTS_HEADER + "\nA1,new,,,,,,,2026-01-05 10:00:00\n").encode("cp932"))
    load_window(DAY, NEXT, tables=["crm_accounts"])
    con = db(kizuna_home)
    assert con.execute("SELECT account_name FROM raw.crm_accounts").fetchall() == [("new",)]
    assert con.execute("SELECT count(*) FROM quarantine.rejected_rows").fetchone() == (0,)
    statuses = sorted(r[0] for r in con.execute("SELECT status FROM audit.load_batches").fetchall())
    assert statuses == ["loaded", "superseded"]


def test_jsonl_bad_lines_are_quarantined_and_extra_fields_kept(kizuna_home):
    lines = [
        json.dumps({"activity_id": "X1", "lead_id": "L1", "activity_type": "email_open",
                    "occurred_at": "2026-01-05T10:00:00+09:00", "campaign_id": "C1"}),
        "{broken",
        json.dumps({"activity_id": "X2", "lead_id": "L1", "activity_type": "web_visit",
                    "occurred_at": "2026-01-05T11:00:00+09:00", "url": "/pricing",
                    "utm": {"source": "ads"}}),
        "[1, 2]",
    ]
    drop(kizuna_home, "ma", "activities", "part-0001.jsonl", "\n".join(lines) + "\n")
    report = load_window(DAY, NEXT, tables=["ma_activities"])
    (batch,) = report.batches
    assert (batch.rows_in_file, batch.rows_loaded, batch.rows_quarantined) == (4, 2, 2)
    con = db(kizuna_home)
    assert con.execute("SELECT activity_id, utm, _row_number FROM raw.ma_activities ORDER BY 1"
                   ).fetchall() == [("X1", None, 1), ("X2", '{"source":"ads"}', 3)]
    assert sorted(r[0] for r in con.execute(
        "SELECT row_number FROM quarantine.rejected_rows").fetchall()) == [2, 4]


def test_parquet_with_native_types_is_loaded(kizuna_home):
    folder = kizuna_home / "landing" / "firmo" / "companies" / DAY.isoformat()
    folder.mkdir(parents=True)
    pd.DataFrame({
        "corporate_number": ["1234567890123"], "company_name": ["株式会社山田製作所"],
        "employees": [120], "revenue_growth_rate": [0.05], "listed": [False],
        "updated_at": [pd.Timestamp("2026-01-01 09:00:00")],
    }).to_parquet(folder / "part-0001.parquet")
    (folder / "_SUCCESS").touch()
    report = load_window(DAY, NEXT, tables=["firmo_companies"])
    assert report.rows_loaded() == 1
    row = db(kizuna_home).execute("SELECT employees, revenue_growth_rate, listed, updated_at "
                              "FROM raw.firmo_companies").fetchone()
    assert row[:3] == (120, 0.05, False)
    assert str(row[3]) == "2026-01-01 00:00:00"


def test_unfinished_and_unmarked_files_are_left_pending(kizuna_home):
    drop(kizuna_home, "crm", "accounts", "part-0001.csv.part", ACCOUNTS_HEADER, marker=True)
    drop(kizuna_home, "crm", "accounts", "late.csv", ACCOUNTS_HEADER, day=date(2026, 1, 4),
         marker=False)
    report = load_window(date(2026, 1, 4), NEXT, tables=["crm_accounts"])
    assert report.batches == []
    reasons = {p.relpath.rsplit("/", 1)[-1]: p.reason for p in report.pending}
    assert reasons["part-0001.csv.part"] == "unfinished upload"
    assert "done marker" in reasons["late.csv"]


def test_missing_required_column_rejects_the_batch(kizuna_home):
    drop(kizuna_home, "crm", "accounts", "part-0001.csv", "account_id,account_name\nA1,x\n",
         encoding="cp932")
    (batch,) = load_window(DAY, NEXT, tables=["crm_accounts"]).batches
    assert batch.status == "loaded"  # the gate rejects it: its check failed critically
    assert "updated_at" in (batch.message or "")
    assert (batch.rows_loaded, batch.rows_quarantined) == (0, 1)
    check = db(kizuna_home).execute(
        "SELECT severity, success, column_name FROM audit.dq_results "
        "WHERE rule = 'required_columns_present'").fetchone()
    assert check == ("critical", False, "updated_at")


def test_empty_file_is_recorded_as_empty(kizuna_home):
    drop(kizuna_home, "crm", "accounts", "part-0001.csv", b"")
    (batch,) = load_window(DAY, NEXT, tables=["crm_accounts"]).batches
    assert (batch.status, batch.rows_in_file) == ("empty", 0)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_vendor_headers_are_mapped_to_contract_columns(kizuna_home, tmp_path, monkeypatch,
                                                       encoding):
    config = tmp_path / "sources.yml"
    config.write_text(
        "crm:\n  format: csv\n  encoding: " + encoding + "\n  timezone: UTC\n"
        "  done_marker: null\n  stable_seconds: 0\n"
        "  entities:\n    accounts:\n      columns:\n"
        "        Account ID: account_id\n        Last Modified: updated_at\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KIZUNA_SOURCES", str(config))
    drop(kizuna_home, "crm", "accounts", "export.csv",
         "Account ID,Account Name,Last Modified\nA9,x,2026-01-05 10:00:00\n",
         marker=False, encoding=encoding)
    report = load_window(DAY, NEXT, tables=["crm_accounts"])
    assert report.rows_loaded() == 1
    row = db(kizuna_home).execute("SELECT account_id, updated_at FROM raw.crm_accounts").fetchone()
    assert row == ("A9", datetime(2026, 1, 5, 10))


def test_every_batch_reconciles_with_raw_and_quarantine(kizuna_home):
    drop(kizuna_home, "crm", "accounts", "a.csv",
         ACCOUNTS_HEADER + "\nA1,x,,,,,,,2026-01-05 10:00:00\nA2,ragged\nA3,x,,,,,,,bad\n",
         encoding="cp932")
    drop(kizuna_home, "crm", "accounts", "b.csv",
         ACCOUNTS_HEADER + "\nB1,x,,,,,,,2026-01-05 10:00:00\n", encoding="cp932")
    load_window(DAY, NEXT, tables=["crm_accounts"])
    con = db(kizuna_home)
    mismatches = con.execute("""
        SELECT b.batch_id FROM audit.load_batches b
        LEFT JOIN (SELECT _batch_id, count(*) n FROM raw.crm_accounts GROUP BY 1) r
            ON r._batch_id = b.batch_id
        LEFT JOIN (SELECT batch_id, count(*) n FROM quarantine.rejected_rows GROUP BY 1) q
            ON q.batch_id = b.batch_id
        WHERE b.rows_in_file <> coalesce(r.n, 0) + coalesce(q.n, 0)
           OR b.rows_loaded <> coalesce(r.n, 0)""").fetchall()
    assert mismatches == []
    assert con.execute("SELECT sum(rows_in_file) FROM audit.load_batches").fetchone() == (4,)


def test_same_content_twice_in_one_load_is_loaded_once(kizuna_home):
    body = ACCOUNTS_HEADER + "\nA1,x,,,,,,,2026-01-05 10:00:00\n"
    drop(kizuna_home, "crm", "accounts", "a.csv", body, encoding="cp932")
    drop(kizuna_home, "crm", "accounts", "b.csv", body, encoding="cp932")
    report = load_window(DAY, NEXT, tables=["crm_accounts"])
    assert sorted(b.status for b in report.batches) == ["duplicate", "loaded"]
    assert db(kizuna_home).execute("SELECT count(*) FROM raw.crm_accounts").fetchone() == (1,)


def test_encoding_auto_reads_utf8_and_cp932_files(kizuna_home, tmp_path, monkeypatch):
    config = tmp_path / "sources.yml"
    config.write_text("crm:\n  format: csv\n  encoding: auto\n  timezone: Asia/Tokyo\n"
                      "  done_marker: _SUCCESS\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(config))
    drop(kizuna_home, "crm", "accounts", "utf8.csv",
         ACCOUNTS_HEADER + "\nA1,株式会社ユーティーエフ,,,,,,,2026-01-05 10:00:00\n")
    drop(kizuna_home, "crm", "accounts", "sjis.csv",
         ACCOUNTS_HEADER + "\nA2,株式会社シフトジス,,,,,,,2026-01-05 10:00:00\n",
         encoding="cp932")
    report = load_window(DAY, NEXT, tables=["crm_accounts"])
    assert report.rows_loaded() == 2
    names = dict(db(kizuna_home).execute(
        "SELECT account_id, account_name FROM raw.crm_accounts").fetchall())
    assert names == {"A1": "株式会社ユーティーエフ", "A2": "株式会社シフトジス"}
    assert "read as cp932" in next(b.message for b in report.batches
                                    if b.source_file.endswith("sjis.csv"))


def test_undecodable_bytes_are_quarantined_not_silently_replaced(kizuna_home):
    good = "A1,株式会社良品,,,,,,,2026-01-05 10:00:00\n".encode("cp932")
    broken = b"A2,\x82\xff\xfe,,,,,,,2026-01-05 10:00:00\n"  # not CP932
    drop(kizuna_home, "crm", "accounts", "part-0001.csv",
         (ACCOUNTS_HEADER + "\n").encode("cp932") + good + broken)
    (batch,) = load_window(DAY, NEXT, tables=["crm_accounts"]).batches
    assert (batch.rows_loaded, batch.rows_quarantined) == (1, 1)
    (reason,) = db(kizuna_home).execute(
        "SELECT reason FROM quarantine.rejected_rows").fetchone()
    assert "undecodable bytes" in reason


def test_jsonl_with_a_bom_or_invalid_utf8_is_read_line_by_line(kizuna_home):
    line = json.dumps({"activity_id": "X1", "lead_id": "L1", "activity_type": "email_open",
                       "occurred_at": "2026-01-05T10:00:00+09:00"})
    bad = b'{"activity_id": "X2", "lead_id": "L1", "activity_type": "\xff", ' \
          b'"occurred_at": "2026-01-05T10:00:00+09:00"}'
    drop(kizuna_home, "ma", "activities", "bom.jsonl", b"\xef\xbb\xbf" + line.encode() + b"\n")
    drop(kizuna_home, "ma", "activities", "bad.jsonl",
         line.replace("X1", "X3").encode() + b"\n" + bad + b"\n")
    report = load_window(DAY, NEXT, tables=["ma_activities"])
    by_file = {b.source_file.rsplit("/", 1)[1]: b for b in report.batches}
    assert (by_file["bom.jsonl"].rows_loaded, by_file["bom.jsonl"].rows_quarantined) == (1, 0)
    assert (by_file["bad.jsonl"].rows_loaded, by_file["bad.jsonl"].rows_quarantined) == (1, 1)


def test_loader_records_its_checks_per_batch(kizuna_home):
    drop(kizuna_home, "crm", "accounts", "a.csv",
         ACCOUNTS_HEADER + "\nA1,x,,,,,,,2026-01-05 10:00:00\nA2,ragged\nA3,x,,,,,,,bad\n",
         encoding="cp932")
    load_window(DAY, NEXT, tables=["crm_accounts"])
    checks = {r[0]: r[1:] for r in db(kizuna_home).execute(
        "SELECT rule, success, element_count, unexpected_count, column_name "
        "FROM audit.dq_results").fetchall()}
    assert checks["rows_readable"] == (True, 3, 1, None)
    assert checks["values_parse"] == (True, 3, 1, "updated_at")
    assert checks["required_values_present"] == (True, 3, 0, None)
    assert checks["file_not_empty"][0] and checks["file_not_duplicate"][0]


# --------------------------------------------------------------------------- fuzzing

LEADS_HEADER = ["lead_id", "email", "last_name", "first_name", "company_name", "department",
                "job_title", "phone", "lead_source", "opt_out", "created_at", "updated_at"]
_CELL_CHARS = [*'ab1,"\n\r \t;\'\\　１２あ髙①¥', "2026-01-05 10:00:00", "\ufeff", "x" * 30]
cells = st.lists(st.sampled_from(_CELL_CHARS), max_size=6).map("".join)
records = st.lists(cells, min_size=1, max_size=15)  # the header has 12 columns: some ragged


def _load_bytes(tmp: Path, content: bytes):
    """Load one leads file holding ``content`` into a fresh warehouse; return the batch."""
    from kizuna.ingest.discovery import DeliveredFile
    from kizuna.sources.config import delivery_spec
    from kizuna.warehouse import DuckDBWarehouse

    path = tmp / "part-0001.csv"
    path.write_bytes(content)
    wh = DuckDBWarehouse(Path(":memory:"))
    try:
        ensure_schema(wh)
        f = DeliveredFile(path, f"ma/leads/{DAY}/part-0001.csv", "ma_leads", DAY, len(content))
        (batch,), _ = load_files(wh, delivery_spec("ma_leads"), [f])
        numbers = [r[0] for r in wh.query(
            "SELECT _row_number FROM raw.ma_leads UNION ALL "
            "SELECT row_number FROM quarantine.rejected_rows")]
        reasons = [r[0] for r in wh.query("SELECT reason FROM quarantine.rejected_rows")]
    finally:
        wh.close()
    return batch, numbers, reasons


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(rows=[["L1", "a\rb"]], crlf=False)  # a lone CR inside an LF line once split the row
@example(rows=[["L1", "\r", '"'], ["L2"]], crlf=False)
@given(rows=st.lists(records, max_size=8), crlf=st.booleans())
def test_every_csv_record_is_loaded_or_quarantined(rows, crlf):
    """Any records, however quoted, ragged or odd, each end in raw or in quarantine."""
    import csv
    import io
    import tempfile

    buf = io.StringIO()
    # CRLF makes the csv module quote every field holding a CR; an LF writer leaves a CR
    # unquoted, which is then a character of its field wherever no LF follows it.
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(LEADS_HEADER)
    writer.writerows(rows)
    text = buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        batch, numbers, reasons = _load_bytes(Path(tmp), text.encode("utf-8"))
    # A lone blank field writes a blank line, which no reader takes for a record.
    blank = sum(1 for r in rows if len(r) == 1 and not r[0].strip())
    assert batch.rows_in_file == batch.rows_loaded + batch.rows_quarantined
    assert len(rows) - blank <= batch.rows_in_file <= len(rows)
    assert sorted(numbers) == sorted(set(numbers)) and len(numbers) == batch.rows_in_file
    assert all(reasons)


def test_a_lone_cr_inside_an_lf_line_stays_in_its_field(kizuna_home: Path) -> None:
    """Unquoted, as an LF writer leaves it: DuckDB's strict reader refuses the file and
    the lenient reading keeps the CR in the field, the row whole."""
    row = ["L1", "a@example.com", "Sato\rTaro", "", "", "", "", "", "web_form", "false",
           "2026-01-05 10:00:00", "2026-01-05 10:00:00"]
    drop(kizuna_home, "ma", "leads", "part-0001.csv",
         ",".join(LEADS_HEADER) + "\n" + ",".join(row) + "\nL2" + "," * 11 + "\n")
    load_window(DAY, NEXT, tables=["ma_leads"])
    con = db(kizuna_home)
    assert con.execute("SELECT lead_id, last_name FROM raw.ma_leads").fetchall() == [
        ("L1", "Sato\rTaro")]
    assert con.execute("SELECT row_number FROM quarantine.rejected_rows").fetchall() == [(2,)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=300))
def test_random_bytes_never_crash_the_loader_and_reconcile(body):
    import tempfile

    content = (",".join(LEADS_HEADER) + "\n").encode() + body
    with tempfile.TemporaryDirectory() as tmp:
        batch, numbers, reasons = _load_bytes(Path(tmp), content)
    assert batch.rows_in_file == batch.rows_loaded + batch.rows_quarantined == len(numbers)
    assert len(set(numbers)) == len(numbers)
    assert all(reasons)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(lines_=[b"", b"\xef\xbb\xbf"])  # a BOM after the first line is content
@example(lines_=[b"\r", b"\r\x80"])  # CRLF first, then a lone CR and an invalid byte
@example(lines_=[b"\r", b"\r\x00"])  # ... and a line of NUL
@example(lines_=[b'{"activity_id":"X1"}\r', b"{}\rx"])  # content after a lone CR
@example(lines_=[b"\t", b" \t\r"])  # JSON whitespace alone: blank lines
@given(lines_=st.lists(st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b'{"activity_id":"X1","lead_id":"L1","activity_type":"web_visit",'
                     b'"occurred_at":"2026-01-05T10:00:00+09:00"}', b"{}", b"[]", b"\xef\xbb\xbf{",
                     b'{"activity_id":"X2","occurred_at":"\xff"}', b"\r"])), max_size=8))
def test_random_json_lines_never_crash_the_loader_and_reconcile(lines_):
    import tempfile

    from kizuna.ingest.discovery import DeliveredFile
    from kizuna.sources.config import delivery_spec
    from kizuna.warehouse import DuckDBWarehouse

    content = b"\n".join(lines_)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "part-0001.jsonl"
        path.write_bytes(content)
        wh = DuckDBWarehouse(Path(":memory:"))
        try:
            ensure_schema(wh)
            f = DeliveredFile(path, f"ma/activities/{DAY}/part-0001.jsonl", "ma_activities", DAY,
                              len(content))
            (batch,), _ = load_files(wh, delivery_spec("ma_activities"), [f])
            (raw,) = wh.query("SELECT count(*) FROM raw.ma_activities")[0]
            (quarantined,) = wh.query("SELECT count(*) FROM quarantine.rejected_rows")[0]
        finally:
            wh.close()
    assert batch.rows_in_file == batch.rows_loaded + batch.rows_quarantined
    assert (raw, quarantined) == (batch.rows_loaded, batch.rows_quarantined)
    # Every line with content is a row (loaded or quarantined); blank lines are not rows.
    # A byte-order mark opens the file only at its start; anywhere else it is content.
    # A bare CR may or may not end a line, so the count lies between the two readings.
    def rows(parts: list[bytes]) -> int:
        return sum(1 for p in parts if p.strip(b" \t\r"))

    body = content.removeprefix(b"\xef\xbb\xbf")
    lf_only = rows(body.split(b"\n"))
    any_eol = rows(body.replace(b"\r", b"\n").split(b"\n"))
    assert lf_only <= batch.rows_in_file <= any_eol
