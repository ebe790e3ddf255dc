"""The quality gate: suites, the check digit, per-batch verdicts, quarantine moves, errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.contract import ENTITIES
from kizuna.gate import QualityGateError, validate_window
from kizuna.gate.corporate_number import corporate_number_valid
from kizuna.gate.suites import load_suite, parse_derived
from kizuna.ledger import LOADER_RULES, mostly_success
from kizuna.pipeline import load_and_gate as load_window
from kizuna.simulator import corporate_number as cn

DAY = date(2026, 1, 5)
NEXT = date(2026, 1, 6)
ACTIVITIES_HEADER = "activity_id,account_id,contact_id,activity_type,occurred_at,outcome"


def drop(home: Path, source: str, entity: str, name: str, text: str,
         encoding: str = "cp932") -> None:
    folder = home / "landing" / source / entity / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))
    (folder / "_SUCCESS").touch()


def db(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)


@pytest.mark.parametrize("table", [e.table for e in ENTITIES])
def test_every_entity_has_a_suite_with_severity_and_level_per_rule(table):
    suite = load_suite(table)
    assert suite.rules
    for rule in suite.rules:
        assert rule.severity in ("critical", "warning")
        assert rule.level in ("row", "batch")
        assert rule.notes, f"{table}.{rule.name} has no notes for people"
        if rule.level == "row":
            # a row-level rule quarantines rows; 'mostly' says when the file itself is wrong
            assert rule.mostly is not None
    names = [r.name for r in suite.rules]
    assert len(names) == len(set(names))
    assert set(suite.loader_rules) == set(LOADER_RULES)


def test_suites_are_valid_great_expectations_suites():
    from kizuna.gate.runner import _gx

    gx = _gx()
    for e in ENTITIES:
        doc = load_suite(e.table).document
        suite = gx.ExpectationSuite(name=doc["name"], expectations=doc["expectations"],
                                    meta=doc["meta"])
        assert len(suite.expectations) == len(doc["expectations"])
        severities = {str(x.severity.value) for x in suite.expectations}
        assert severities <= {"critical", "warning"}


def test_a_mistyped_optional_corporate_number_in_the_crm_is_only_a_warning():
    assert load_suite("crm_accounts").rule("corporate_number_check_digit").severity == "warning"
    firmo = load_suite("firmo_companies").rule("corporate_number_check_digit")
    assert (firmo.severity, firmo.level) == ("critical", "row")


@settings(max_examples=200, deadline=None)
@given(base=st.integers(min_value=0, max_value=10**12 - 1), slip=st.integers(1, 8))
def test_check_digit_agrees_with_the_national_tax_agency_rule(base, slip):
    valid = cn.make(f"{base:012d}")
    wrong = f"{(int(valid[0]) + slip - 1) % 9 + 1}{valid[1:]}"  # another digit in 1..9
    assert corporate_number_valid([valid, wrong]).tolist() == [True, False]


@pytest.mark.parametrize("value", [None, "", "123", "12345678901234", "１２３４５６７８９０１２３",
                                   "5 835678256246", "abcdefghijklm"])
def test_malformed_corporate_numbers_are_invalid(value):
    assert corporate_number_valid([value]).tolist() == [False]


def test_known_corporate_numbers_are_valid():
    # The National Tax Agency's own examples (published corporate numbers).
    assert corporate_number_valid(["7000012050002", "2021001052596"]).tolist() == [True, True]


@pytest.mark.parametrize(("unexpected", "n", "mostly", "ok"), [
    (0, 10, None, True), (1, 10, None, False), (5, 10, 0.5, True), (6, 10, 0.5, False),
    (1, 1, 0.5, False), (0, 0, 0.5, True),
])
def test_mostly_follows_great_expectations(unexpected, n, mostly, ok):
    assert mostly_success(unexpected, n, mostly) is ok


def test_derived_column_names():
    d = parse_derived("occurred_at__hours_after_load")
    assert (d.source, d.kind) == ("occurred_at", "hours_after_load")
    d = parse_derived("lead_id__in__ma_leads.lead_id")
    assert (d.source, d.kind, d.ref_table, d.ref_column) == ("lead_id", "in", "ma_leads",
                                                              "lead_id")
    assert parse_derived("updated_at") is None


def test_row_level_failures_move_to_quarantine_and_the_batch_is_published(kizuna_home):
    rows = [f"C{i},A1,,meeting,2026-01-05 10:00:00,completed" for i in range(8)]
    rows += ["C8,A1,,telepathy,2026-01-05 10:00:00,completed",  # unknown activity type
             "C9,A1,,call,2062-01-05 10:00:00,completed"]  # from the future
    drop(kizuna_home, "crm", "activities", "part-0001.csv", "\n".join([ACTIVITIES_HEADER, *rows]))
    report = load_window(DAY, NEXT, tables=["crm_activities"])
    (batch,) = report.batches
    assert (batch.status, batch.rows_in_file, batch.rows_loaded, batch.rows_quarantined) == (
        "published", 10, 8, 2)
    con = db(kizuna_home)
    reasons = dict(con.execute("SELECT row_number, reason FROM quarantine.rejected_rows "
                               "ORDER BY 1").fetchall())
    assert "activity_type_accepted" in reasons[9] and "telepathy" in reasons[9]
    assert "occurred_at_not_in_future" in reasons[10]
    assert con.execute("SELECT count(*) FROM raw.crm_activities").fetchone() == (8,)
    raw_text = con.execute("SELECT raw_text FROM quarantine.rejected_rows WHERE row_number = 9"
                           ).fetchone()[0]
    assert json.loads(raw_text)["activity_id"] == "C8"
    orphan = con.execute("SELECT success, severity FROM audit.dq_results "
                         "WHERE rule = 'account_id_known'").fetchone()
    assert orphan == (False, "warning")  # A1 was never delivered: recorded, not blocked


def test_a_critical_failure_rejects_the_batch_and_says_where_and_what(kizuna_home):
    rows = [f"C{i},A1,,telepathy,2026-01-05 10:00:00,completed" for i in range(3)]
    rows.append("C3,A1,,call,2026-01-05 10:00:00,completed")
    drop(kizuna_home, "crm", "activities", "part-0001.csv", "\n".join([ACTIVITIES_HEADER, *rows]))
    with pytest.raises(QualityGateError) as err:
        load_window(DAY, NEXT, tables=["crm_activities"])
    message = str(err.value)
    for needle in ("crm/activities/2026-01-05/part-0001.csv", "activity_type_accepted",
                   "column activity_type", "3 of 4 rows", "row 1: activity_type='telepathy'",
                   "deliver the file again", "Data Docs"):
        assert needle in message
    con = db(kizuna_home)
    assert con.execute("SELECT status, rows_loaded, rows_quarantined FROM audit.load_batches"
                       ).fetchone() == ("rejected", 1, 3)


def test_kizuna_load_reports_a_rejected_batch_without_a_traceback(kizuna_home):
    from typer.testing import CliRunner

    from kizuna.cli import app

    rows = [f"C{i},A1,,telepathy,2026-01-05 10:00:00,completed" for i in range(3)]
    drop(kizuna_home, "crm", "activities", "part-0001.csv", "\n".join([ACTIVITIES_HEADER, *rows]))
    result = CliRunner().invoke(app, ["load", "--start", DAY.isoformat(),
                                      "--table", "crm_activities"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "part-0001.csv" in result.output and "activity_type_accepted" in result.output
    assert "Traceback" not in result.output


def test_the_gate_is_idempotent_and_builds_data_docs(kizuna_home):
    rows = [f"C{i},A1,,meeting,2026-01-05 10:00:00,completed" for i in range(3)]
    rows.append("C9,A1,,call,2062-01-05 10:00:00,completed")
    drop(kizuna_home, "crm", "activities", "part-0001.csv", "\n".join([ACTIVITIES_HEADER, *rows]))
    load_window(DAY, NEXT, tables=["crm_activities"])
    con = db(kizuna_home)
    before = con.execute("SELECT count(*), sum(unexpected_count) FROM audit.dq_results"
                         ).fetchall()
    con.close()
    (report,) = validate_window(DAY, NEXT, ["crm_activities"])
    assert report.batches == 0  # nothing left to validate
    con = db(kizuna_home)
    assert con.execute("SELECT count(*), sum(unexpected_count) FROM audit.dq_results"
                       ).fetchall() == before
    assert (kizuna_home / "reports" / "data_docs" / "index.html").exists()
    pages = list((kizuna_home / "reports" / "data_docs" / "validations").rglob("*.html"))
    assert pages


@pytest.fixture
def postgres_warehouse(postgres_database, kizuna_home, monkeypatch):
    """An empty PostgreSQL database of this test's own as the warehouse."""
    for key, value in postgres_database.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    return kizuna_home


@pytest.mark.postgres
def test_the_gate_works_on_postgres(postgres_warehouse):
    from kizuna.warehouse import connection

    kizuna_home = postgres_warehouse
    rows = [f"C{i},A1,,meeting,2026-01-05 10:00:00,completed" for i in range(3)]
    rows.append("C9,A1,,call,2062-01-05 10:00:00,completed")
    drop(kizuna_home, "crm", "activities", "good.csv", "\n".join([ACTIVITIES_HEADER, *rows]))
    drop(kizuna_home, "crm", "activities", "renamed.csv", "\n".join(
        [ACTIVITIES_HEADER, *(f"R{i},A1,,Meeting,2026-01-05 10:00:00,done" for i in range(2))]))
    with pytest.raises(QualityGateError, match=r"renamed\.csv"):
        load_window(DAY, NEXT, tables=["crm_activities"])
    with connection() as wh:
        batches = dict((r[0].rsplit("/", 1)[1], r[1:]) for r in wh.query(
            "SELECT source_file, status, rows_loaded, rows_quarantined FROM audit.load_batches"))
        assert batches == {"good.csv": ("published", 3, 1), "renamed.csv": ("rejected", 0, 2)}
        assert wh.query("SELECT count(*) FROM raw.crm_activities") == [(3,)]
        (failed,) = wh.query("SELECT count(*) FROM audit.dq_results WHERE NOT success "
                             "AND severity = 'critical'")[0]
        assert failed == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_kpi_data_quality_builds_on_postgres(postgres_warehouse, monkeypatch):
    """The mart is cross-database: it builds and its tests pass on PostgreSQL too."""
    from kizuna.settings import get_settings
    from kizuna.transform import dbt_environment, run_dbt
    from kizuna.warehouse import connection

    kizuna_home = postgres_warehouse
    for key, value in dbt_environment(get_settings()).items():
        monkeypatch.setenv(key, value)  # run_dbt sets them; undone after the test
    rows = [f"C{i},A1,,meeting,2026-01-05 10:00:00,completed" for i in range(3)]
    rows.append("C9,A1,,call,2062-01-05 10:00:00,completed")
    drop(kizuna_home, "crm", "activities", "part-0001.csv", "\n".join([ACTIVITIES_HEADER, *rows]))
    load_window(DAY, NEXT, tables=["crm_activities"])
    results = run_dbt(["build", "--select", "kpi_data_quality"], quiet=True)
    assert results and all(r.status in ("success", "pass") for r in results), results
    with connection() as wh:
        (row,) = wh.query("SELECT rows_checked, rows_failed, rows_quarantined_by_rule, "
                          "rows_in_file, rows_published, pass_rate, is_reconciled "
                          "FROM marts.kpi_data_quality WHERE rule = 'occurred_at_not_in_future'")
    assert row[:5] == (4, 1, 1, 4, 3)
    assert float(row[5]) == 0.75 and row[6] is True


def test_data_docs_keep_the_latest_runs_per_suite(kizuna_home):
    from kizuna.gate.runner import build_data_docs, gx_context, prune_results
    from kizuna.settings import get_settings

    for day in ("2026-01-05", "2026-01-06"):
        folder = kizuna_home / "landing" / "crm" / "activities" / day
        folder.mkdir(parents=True)
        (folder / "part-0001.csv").write_bytes(
            f"{ACTIVITIES_HEADER}\nC{day},A1,,call,{day} 10:00:00,completed\n".encode("cp932"))
        (folder / "_SUCCESS").touch()
        start = date.fromisoformat(day)
        load_window(start, date(start.year, start.month, start.day + 1),
                    tables=["crm_activities"])
    pages = kizuna_home / "reports" / "data_docs" / "validations" / "crm_activities"
    assert len(list(pages.rglob("*.html"))) == 2
    s = get_settings()
    ctx = gx_context(s)
    prune_results(ctx, "crm_activities", s, keep=1)
    build_data_docs(s, ctx)
    (page,) = pages.rglob("*.html")
    assert "2026-01-06" in str(page)
