"""Every bad-input case ends as loaded or quarantined rows with a reason, and reconciles.

Runs each case of :mod:`corpus` through the real loader and quality gate (as the ingest
DAG does: load, then validate) in a fresh warehouse, then checks the case's expected
outcome and, for every batch, ``rows_in_file = rows in raw + rows in quarantine``.
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from corpus import CASES, Case, File, Outcome  # tests/bad_input/corpus.py

from kizuna.contract import ENTITIES


def write(home: Path, files: tuple[File, ...]) -> set[str]:
    """Write a case's files; returns the raw tables they belong to."""
    tables = set()
    for f in files:
        path = home / "landing" / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.data())
        if f.marker:
            (path.parent / "_SUCCESS").touch()
        if f.age_seconds is not None:
            t = time.time() - f.age_seconds
            os.utime(path, (t, t))
        source, name = f.path.split("/")[:2]
        tables.add(f"{source}_{name}")
    return tables


def run(window: tuple[str, str], tables: set[str]) -> tuple[object, str | None]:
    """Load, then validate, as the DAG does; returns the load report and any gate error."""
    from kizuna.gate import QualityGateError, loader_rules, validate_window
    from kizuna.ingest import load_window

    start, end = date.fromisoformat(window[0]), date.fromisoformat(window[1])
    ordered = [e.table for e in ENTITIES if e.table in tables]
    report = load_window(start, end, tables=ordered, rules=loader_rules)
    try:
        validate_window(start, end, ordered, data_docs=False)
    except QualityGateError as exc:
        return report, str(exc)
    return report, None


def check(con: duckdb.DuckDBPyConnection, report, outcomes: tuple[Outcome, ...]) -> None:
    batches = con.execute(
        "SELECT batch_id, source_file, status, rows_in_file, rows_loaded, rows_quarantined "
        "FROM audit.load_batches").fetchall()
    pending = {p.relpath for p in report.pending}
    for o in outcomes:
        if o.status == "pending":
            assert any(p.endswith(o.file) for p in pending), (o.file, pending)
            assert not any(b[1].endswith(o.file) for b in batches), o.file
            continue
        mine = [b for b in batches if b[1].endswith(o.file) and b[2] != "superseded"]
        assert len(mine) == 1, (o.file, batches)
        batch_id, _, status, n, loaded, quarantined = mine[0]
        assert status == o.status, (o.file, status)
        for want, got in ((o.rows_in_file, n), (o.loaded, loaded), (o.quarantined, quarantined)):
            if want is not None:
                assert got == want, (o.file, "rows_in_file/loaded/quarantined",
                                     (n, loaded, quarantined))
        reasons = [r[0] for r in con.execute(
            "SELECT reason FROM quarantine.rejected_rows WHERE batch_id = ?", [batch_id]
        ).fetchall()]
        for needle in o.reasons:
            assert any(needle in r for r in reasons), (needle, reasons)
        failed = {(r[0], r[1]) for r in con.execute(
            "SELECT rule, severity FROM audit.dq_results WHERE batch_id = ? AND NOT success",
            [batch_id]).fetchall()}
        for rule in o.warnings:
            assert (rule, "warning") in failed, (rule, failed)
        for rule in o.critical:
            assert (rule, "critical") in failed, (rule, failed)
        if o.status == "published":
            assert not {f for f in failed if f[1] == "critical"}, failed


def reconciles(con: duckdb.DuckDBPyConnection) -> None:
    """rows_in_file = rows in raw + rows in quarantine, for every batch; no row unexplained."""
    raw_counts: dict[str, int] = {}
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                "WHERE table_schema = 'raw'").fetchall():
        for batch_id, n in con.execute(
                f'SELECT _batch_id, count(*) FROM raw."{table}" GROUP BY 1').fetchall():
            raw_counts[batch_id] = raw_counts.get(batch_id, 0) + n
    quarantined = dict(con.execute(
        "SELECT batch_id, count(*) FROM quarantine.rejected_rows GROUP BY 1").fetchall())
    for batch_id, status, n, loaded, q in con.execute(
            "SELECT batch_id, status, rows_in_file, rows_loaded, rows_quarantined "
            "FROM audit.load_batches").fetchall():
        if status == "superseded":
            assert raw_counts.get(batch_id, 0) == quarantined.get(batch_id, 0) == 0
            continue
        assert n == loaded + q, (batch_id, n, loaded, q)
        assert raw_counts.get(batch_id, 0) == loaded, (batch_id, status)
        assert quarantined.get(batch_id, 0) == q, (batch_id, status)
        assert status in ("published", "rejected", "duplicate", "empty"), status
    bad = con.execute(
        "SELECT count(*) FROM quarantine.rejected_rows WHERE reason IS NULL OR reason = '' "
        "OR row_number < 1 OR source_file IS NULL OR raw_text IS NULL").fetchone()
    assert bad == (0,)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_case(case: Case, kizuna_home: Path, tmp_path_factory, monkeypatch):
    if case.sources:
        config = tmp_path_factory.mktemp("sources") / "sources.yml"
        config.write_text(case.sources, encoding="utf-8")
        monkeypatch.setenv("KIZUNA_SOURCES", str(config))
    tables = write(kizuna_home, case.files)
    report, error = run(case.window, tables)
    db = kizuna_home / "warehouse" / "kizuna.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        check(con, report, case.outcomes)
        reconciles(con)
    if case.then:
        tables |= write(kizuna_home, case.then)
        report, again = run(case.window, tables)
        error = error or again
        with duckdb.connect(str(db), read_only=True) as con:
            check(con, report, case.then_outcomes)
            reconciles(con)
    if case.gate_error:
        assert error is not None, "the quality gate should have failed"
        for needle in case.gate_error:
            assert needle in error, (needle, error)
    else:
        assert error is None, error
    with duckdb.connect(str(db), read_only=True) as con:
        for query, expected in case.raw:
            assert con.execute(query).fetchall() == expected, query


def test_every_requirement_item_has_cases():
    assert {c.item for c in CASES} == {"1", "3", "5"}
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.slow
def test_duplicate_keys_latest_version_wins_in_staging(kizuna_home: Path, monkeypatch):
    """All versions stay in raw; the staging model keeps the latest updated_at."""
    from kizuna.settings import get_settings
    from kizuna.transform import dbt_environment, run_dbt

    case = next(c for c in CASES if c.name == "duplicate_keys_new_versions")
    run(case.window, write(kizuna_home, case.files))
    for key, value in dbt_environment(get_settings()).items():
        monkeypatch.setenv(key, value)  # run_dbt sets them; undone after the test
    # the staging model and what it derives from (its versions model)
    run_dbt(["run", "--select", "+stg_crm__accounts"], quiet=True)
    db = kizuna_home / "warehouse" / "kizuna.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.crm_accounts").fetchone() == (2,)
        assert con.execute("SELECT account_id, account_name FROM staging.stg_crm__accounts"
                           ).fetchall() == [("A1", "新社名")]
