"""The demo path on a small world: the real DAGs, run with dag.test(), over the marts.

The session's ``small_world_built`` is the small world loaded and built by the pipeline's
functions (``kizuna load`` and ``kizuna build``). A copy of it is run again through the real
DAGs, kizuna_ingest over the world's whole history as one backfill window, then
kizuna_transform (each dbt step one Cosmos task), with a BI tool reading bi.duckdb
throughout and another process holding the warehouse as the transform starts. No task may
fail and every table must come out as ``kizuna build`` made it: the DAGs make the pipeline's
tables, and running the pipeline again changes nothing. (Which steps the DAGs run, in which
order, is checked in tests/dags.) Then the warehouse is checked against the files and the
simulator's truth. Last, a model broken on purpose (in a copy of the dbt project) fails its
DAG's dbt task, whose error names it.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

# the small world's group: the in-process build the DAGs' tables are compared with is the
# session's shared one (a worker builds it once for every test of the group)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("small_world_duckdb")]


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils import db

    db.initdb()


@pytest.fixture(scope="module")
def pipeline_home(small_world_built, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the built small world (landing, truth beside it as the simulator writes it,
    the warehouse and its BI file), as ``KIZUNA_HOME``."""
    home = tmp_path_factory.mktemp("e2e-home")
    shutil.copytree(small_world_built.home, home, dirs_exist_ok=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("KIZUNA_HOME", str(home))
    for var in ("KIZUNA_LANDING", "KIZUNA_DUCKDB_PATH", "KIZUNA_WAREHOUSE"):
        mp.delenv(var, raising=False)
    yield home
    mp.undo()


def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    from kizuna.settings import DAGS_FOLDER
    from kizuna.transform import parse

    parse()
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag


def run_pipeline(bag, world: dict, when: datetime,
                 before_transform: Callable[[], object] | None = None) -> None:
    end = world["end"] + timedelta(days=1)
    conf = {"window_start": world["start"].isoformat(), "window_end": end.isoformat()}
    ingest = bag.dags["kizuna_ingest"].test(logical_date=when, run_conf=conf)
    assert ingest.state == "success"
    if before_transform is not None:
        before_transform()
    transform = bag.dags["kizuna_transform"].test(logical_date=when)
    failed = [ti.task_id for ti in transform.get_task_instances()
              if str(getattr(ti.state, "value", ti.state)) in ("failed", "upstream_failed",
                                                                 "up_for_retry")]
    assert (transform.state, failed) == ("success", [])


def snapshot(db: Path) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every table from raw to the marts
    (load times, and when source freshness was checked and how old the data was then,
    aside)."""
    con = duckdb.connect(str(db), read_only=True)
    out = {}
    for schema, table in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('raw', 'quarantine', 'staging', 'identity', 'intermediate', "
        "'marts')").fetchall():
        cols = [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
            "table_name = ? AND column_name NOT IN ('_loaded_at', 'quarantined_at', "
            "'freshness_checked_at', 'max_loaded_at', 'age_hours')",
            [schema, table]).fetchall()]
        expr = "hash(" + ", ".join(f'"{c}"' for c in cols) + ")"
        out[f"{schema}.{table}"] = con.execute(
            f'SELECT count(*), sum({expr}::HUGEINT) FROM "{schema}"."{table}"').fetchone()
    con.close()
    return out


#: A BI tool: reads the published marts every 0.2 s until told to stop, then prints what
#: it read (the marker only the publication it opened holds) and every error.
_BI_READER = """
import json, os, sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
con = duckdb.connect(path, read_only=True)
reads, errors, seen = 0, [], set()
print("reading", flush=True)
while not os.path.exists(stop):
    try:
        seen.add(con.execute("SELECT note FROM marts.reader_marker").fetchone()[0])
        con.execute("SELECT count(*) FROM marts.dim_accounts").fetchone()
        reads += 1
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.2)
print(json.dumps({"reads": reads, "errors": errors, "seen": sorted(seen)}), flush=True)
"""

#: Another writer: holds the pipeline's file for three seconds.
_BUSY_WRITER = ("import sys, time, duckdb; c = duckdb.connect(sys.argv[1]); "
                "print('holding', flush=True); time.sleep(3)")


@dataclass
class DagRun:
    """The warehouse the DAGs ran over, every table before and after, and what the BI
    tool read meanwhile."""

    db: Path
    before: dict[str, tuple]
    after: dict[str, tuple]
    read: dict
    marker_left: int


@pytest.fixture(scope="module")
def dag_run(airflow_db, pipeline_home: Path, small_world_config: dict) -> DagRun:
    """Both DAGs over the built world's whole window. Meanwhile a BI tool holds bi.duckdb
    open through the whole transform and keeps reading the publication it opened, and
    another process holds the pipeline's file when the transform starts (its first
    warehouse task must wait)."""
    db = pipeline_home / "warehouse" / "kizuna.duckdb"
    before = snapshot(db)
    bi = db.with_name("bi.duckdb")
    with duckdb.connect(str(bi)) as con:  # what only the publication the reader opens holds
        con.execute("CREATE TABLE marts.reader_marker AS SELECT 'old publication' AS note")
    stop = db.parent / "stop-reading"
    reader = subprocess.Popen([sys.executable, "-c", _BI_READER, str(bi), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    writers: list[subprocess.Popen] = []

    def hold_the_warehouse() -> None:
        writer = subprocess.Popen([sys.executable, "-c", _BUSY_WRITER, str(db)],
                                  stdout=subprocess.PIPE, text=True)
        writers.append(writer)
        assert writer.stdout is not None and writer.stdout.readline().strip() == "holding"

    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
        run_pipeline(dagbag(), small_world_config, datetime(2026, 4, 1, 12, tzinfo=UTC),
                     before_transform=hold_the_warehouse)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
        for writer in writers:
            writer.kill()
            writer.wait()
    with duckdb.connect(str(bi), read_only=True) as con:  # bi.duckdb is a new publication
        (marker_left,) = con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                                     "table_name = 'reader_marker'").fetchone()
    return DagRun(db, before, snapshot(db), json.loads(out.strip().splitlines()[-1]),
                  marker_left)


def test_the_dags_make_the_tables_kizuna_build_made_and_change_nothing(dag_run: DagRun):
    """Every table from raw to the marts as ``kizuna build`` made it (and the layers that
    hold the work of the identity step and the models between are there)."""
    assert {t for t in dag_run.before if t.startswith(("identity.", "intermediate."))}
    assert sorted(dag_run.after) == sorted(dag_run.before)
    assert {t: v for t, v in dag_run.after.items() if v != dag_run.before[t]} == {}


def test_a_bi_tool_keeps_reading_its_publication_while_the_dags_run(dag_run: DagRun):
    read = dag_run.read
    assert read["reads"] > 20 and read["errors"] == [], read["errors"][:3]
    assert read["seen"] == ["old publication"]
    assert dag_run.marker_left == 0


def truth_rows(small_world: Path, name: str) -> list[dict[str, str]]:
    with (small_world / "truth" / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_delivered_row_is_loaded_or_quarantined(dag_run: DagRun):
    db = dag_run.db
    con = duckdb.connect(str(db), read_only=True)
    (bad,) = con.execute(
        "SELECT count(*) FROM audit.load_batches "
        "WHERE rows_in_file <> rows_loaded + rows_quarantined").fetchone()
    assert bad == 0
    raw_total = sum(con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0]
                    for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'raw'").fetchall())
    (loaded,) = con.execute("SELECT sum(rows_loaded) FROM audit.load_batches").fetchone()
    assert raw_total == loaded > 0


def test_marts_hold_every_crm_account_and_activity(dag_run: DagRun, small_world):
    db = dag_run.db
    con = duckdb.connect(str(db), read_only=True)
    accounts = {r["account_id"] for r in truth_rows(small_world, "account_company.csv")}
    assert con.execute("SELECT count(*) FROM marts.dim_accounts").fetchone() == (len(accounts),)
    (n_activities,) = con.execute("SELECT count(*) FROM marts.fct_activities").fetchone()
    (n_staged,) = con.execute(
        "SELECT (SELECT count(*) FROM staging.stg_ma__activities) + "
        "(SELECT count(*) FROM staging.stg_crm__activities)").fetchone()
    assert n_activities == n_staged > 1000
    (engaged,) = con.execute(
        "SELECT count(DISTINCT account_key) FROM marts.fct_account_engagement_daily").fetchone()
    assert engaged > len(accounts) // 4


def test_email_matches_agree_with_truth(dag_run: DagRun, small_world):
    """Every lead the v1 e-mail match links to a contact is the same person in truth."""
    db = dag_run.db
    person = {(r["record_type"], r["record_id"]): r["person_id"]
              for r in truth_rows(small_world, "lead_company.csv")}
    con = duckdb.connect(str(db), read_only=True)
    links = con.execute("SELECT lead_id, contact_id FROM marts.dim_leads "
                        "WHERE match_method = 'email'").fetchall()
    assert links
    wrong = [(lead, c) for lead, c in links
             if person[("ma_lead", lead)] != person[("crm_contact", c)]]
    assert len(wrong) / len(links) < 0.02


def test_the_transform_dag_measured_the_build_against_the_truth(dag_run: DagRun):
    """The DAG's measure_against_truth task wrote each metric once for the data date, and
    the quality mart reads it (the DAGs ran over a build that had measured it: a run
    replaces the metrics of its data date)."""
    db = dag_run.db
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT metric, data_date, value FROM marts.kpi_identity_accuracy "
                       "ORDER BY 1").fetchall()
    (data_date,) = con.execute("SELECT data_date FROM intermediate.int_data_date").fetchone()
    con.close()
    assert [m for m, _, _ in rows] == ["abm_accounts_split", "activity_account_precision",
                                       "activity_account_recall", "lead_account_precision",
                                       "lead_account_recall", "person_pair_precision",
                                       "person_pair_recall", "person_pair_recall_same_company"]
    assert {d for _, d, _ in rows} == {data_date}
    assert all(0 <= v <= 1 for _, _, v in rows)


#: DAG -> (the dbt task that fails, the model broken in it, the tasks before it, marked
#: done without running: the warehouse the DAGs built above already holds their work). The
#: transform's model is one most of its step builds on: the rest of the step is skipped.
BROKEN_MODEL = {
    "kizuna_transform": ("dbt_build", "int_account_company_matches",
                         "dbt_seeds|dbt_prepare|resolve_identities"),
    "kizuna_ml_score": ("dbt_ml_marts", "mart_target_accounts", "score"),
}


@pytest.mark.parametrize("dag_id", sorted(BROKEN_MODEL))
def test_a_failing_model_is_named_in_its_dbt_tasks_error(dag_id: str, dag_run: DagRun,
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    """A dbt task runs a whole step (dozens of models); when one model fails, the error
    Airflow records and shows for the task names that model and dbt's message."""
    from kizuna.settings import DBT_PROJECT_DIR

    task_id, model, done_before = BROKEN_MODEL[dag_id]
    db = dag_run.db
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    shutil.copyfile(db, home / "warehouse" / "kizuna.duckdb")
    monkeypatch.setenv("KIZUNA_HOME", str(home))
    # the copy keeps the parse state, so dbt re-parses only the broken file
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("logs", "parse"))
    (sql,) = project.rglob(f"models/**/{model}.sql")
    sql.write_text("select broken_on_purpose\n")

    dag = dagbag().dags[dag_id]  # parsed here: its tasks' env names this warehouse
    task = dag.get_task(task_id)
    task.project_dir = str(project)
    task.cache_dir = tmp_path / "cosmos-cache"  # the broken parse state stays here
    errors: list[str] = []
    # a list, as Airflow keeps callbacks once a task is built
    task.on_failure_callback = [lambda context: errors.append(str(context["exception"]))]
    run = dag.test(logical_date=datetime(2026, 4, 3, 12, tzinfo=UTC),
                   mark_success_pattern=done_before)

    states = {ti.task_id: str(getattr(ti.state, "value", ti.state))
              for ti in run.get_task_instances()}
    assert states[task_id] == "failed"
    assert {t for t, s in states.items() if s == "failed"} == {task_id}
    (error,) = errors
    assert f"{model}: " in error
    assert "broken_on_purpose" in error  # dbt's own message: the column it could not find
