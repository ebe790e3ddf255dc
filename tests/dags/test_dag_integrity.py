"""Every DAG imports without errors and is wired as the design says."""

from __future__ import annotations

import functools
import itertools
import json
from pathlib import Path

import pytest

from kizuna.settings import DAGS_FOLDER

#: The transform DAG's tasks, in order: each runs after the one before it.
TRANSFORM_TASKS = ["source_freshness", "dbt_seeds", "dbt_prepare", "resolve_identities",
                   "dbt_build", "dbt_integrity_tests", "measure_against_truth", "publish_marts",
                   "marts_built"]


@pytest.fixture(scope="module")
def dagbag():
    from kizuna.transform import parse

    parse()  # the manifest the tests below read, and the dbt tasks' parse state
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(scope="module")
def manifest_nodes(dagbag) -> dict[str, dict]:
    from kizuna.transform import MANIFEST_PATH

    return json.loads(MANIFEST_PATH.read_text())["nodes"]


@pytest.fixture(scope="module")
def selected_by(tmp_path_factory: pytest.TempPathFactory):
    """What a dbt step builds, as dbt itself selects it: ``dbt ls`` of the step's selection
    (models, seeds and snapshots, by name)."""
    from dbt.cli.main import dbtRunner

    from kizuna.settings import DBT_PROJECT_DIR
    from kizuna.transform import dbt_environment

    target = tmp_path_factory.mktemp("dbt-ls-target")

    @functools.cache
    def selected(args: tuple[str, ...]) -> frozenset[str]:
        selection = list(args[1:])
        if "--indirect-selection" in selection:  # tests only: ls lists no test here
            at = selection.index("--indirect-selection")
            del selection[at:at + 2]
        with pytest.MonkeyPatch.context() as mp:
            for key, value in dbt_environment().items():
                mp.setenv(key, value)
            res = dbtRunner().invoke([
                "--quiet", "ls", *selection, "--output", "name",
                "--resource-type", "model", "--resource-type", "seed",
                "--resource-type", "snapshot", "--project-dir", str(DBT_PROJECT_DIR),
                "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)])
        assert res.success, res.exception
        return frozenset(res.result)

    return lambda step: selected(tuple(step.args()))


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"kizuna_ingest", "kizuna_transform", "kizuna_ml_score"} <= set(dagbag.dags)


def test_ingest_loads_every_entity_through_the_warehouse_pool(dagbag):
    dag = dagbag.dags["kizuna_ingest"]
    load = dag.get_task("load")
    assert load.pool == "kizuna_duckdb"
    # the deadline check waits for nothing and nothing waits for it
    assert dag.get_task("find_deliveries").downstream_task_ids == {"load", "check_deliveries"}
    assert dag.get_task("check_deliveries").downstream_task_ids == set()
    assert dag.get_task("check_deliveries").pool == "kizuna_duckdb"
    assert [o.name for o in dag.get_task("publish").outlets] == ["kizuna_raw"]


def test_transform_is_eight_tasks_in_one_line_on_the_raw_asset(dagbag):
    dag = dagbag.dags["kizuna_transform"]
    assert [a.name for a in dag.timetable.asset_condition.objects] == ["kizuna_raw"]
    assert sorted(dag.task_ids) == sorted(TRANSFORM_TASKS)
    for before, after in itertools.pairwise(TRANSFORM_TASKS):
        assert dag.get_task(before).downstream_task_ids == {after}, before
    assert dag.get_task("source_freshness").upstream_task_ids == set()
    assert [o.name for o in dag.get_task("marts_built").outlets] == ["kizuna_marts"]
    writers = [t for t in dag.tasks if t.task_id != "marts_built"]
    assert {t.task_id: t.pool for t in writers} == {
        t.task_id: "kizuna_duckdb" for t in writers}


def test_kizuna_build_runs_the_transform_dags_steps_in_its_order(dagbag):
    """``build_warehouse`` walks TRANSFORM_STEPS; the DAG must hold the same steps in the
    same order, and each dbt task must run its step's dbt command."""
    from cosmos.constants import InvocationMode

    from kizuna.pipeline import TRANSFORM_STEPS
    from kizuna.transform import DbtStep

    names = [s.task_id if isinstance(s, DbtStep) else s.__name__ for s in TRANSFORM_STEPS]
    assert names == TRANSFORM_TASKS[:-1]
    dag = dagbag.dags["kizuna_transform"]
    for step in (s for s in TRANSFORM_STEPS if isinstance(s, DbtStep)):
        task = dag.get_task(step.task_id)
        assert task.base_cmd == [step.command], step
        assert (task.select or "").split() == list(step.select), step
        assert (task.exclude or "").split() == list(step.exclude), step
        assert task.indirect_selection == step.indirect_selection, step
        assert task.invocation_mode == InvocationMode.DBT_RUNNER
        assert task.install_deps is False
        # the DAGs start from the parse state `kizuna dbt-parse` writes: a task need not
        # rewrite manifest.json and run_results.json
        assert "--no-write-json" in task.dbt_cmd_flags
        # dbt's partial parse needs a cache folder on a plain Cosmos operator
        assert task.cache_dir is not None and task.partial_parse


def test_every_model_seed_and_snapshot_is_built_by_exactly_one_dbt_step(manifest_nodes,
                                                                         selected_by):
    from kizuna.pipeline import DBT_BUILD, DBT_PREPARE, DBT_SEEDS

    built = {n["name"] for n in manifest_nodes.values()
             if n["resource_type"] in ("model", "seed", "snapshot")}
    steps = [selected_by(step) for step in (DBT_SEEDS, DBT_PREPARE, DBT_BUILD)]
    assert all(steps)
    assert set().union(*steps) == built
    assert sum(len(s) for s in steps) == len(built)  # none twice


def test_identity_resolution_runs_between_the_two_dbt_steps(dagbag, manifest_nodes,
                                                            selected_by):
    """Staging and the deterministic matches first, then the identity task, then the rest."""
    from kizuna.pipeline import DBT_PREPARE

    dag = dagbag.dags["kizuna_transform"]
    identity = dag.get_task("resolve_identities")
    assert identity.upstream_task_ids == {"dbt_prepare"}
    assert identity.downstream_task_ids == {"dbt_build"}
    tagged = {n["name"] for n in manifest_nodes.values()
              if n["resource_type"] == "model" and "identity_input" in n["tags"]}
    assert {"stg_crm__accounts", "int_lead_contact_matches",
            "int_account_corporate_numbers"} <= tagged
    assert selected_by(DBT_PREPARE) == tagged


def test_dag_files_only_wire(dagbag):
    """No SQL and no pandas in DAG files: the work lives in include/kizuna and dbt."""
    for path in DAGS_FOLDER.glob("*.py"):
        text = path.read_text()
        assert "import pandas" not in text and "duckdb.connect" not in text, path
        assert "SELECT " not in text.upper().replace("SELECTOR", ""), path


def test_tests_of_several_models_run_once_every_model_is_built(dagbag, manifest_nodes):
    """A dbt step runs only the tests whose models are all built by then; the rest must be
    relationships tests or tests on sources: ``dbt_integrity_tests`` runs those after
    ``dbt_build``. A test whose models are all the scoring step's (one tag, built in one
    ``dbt build``) runs in that step, after the last of them."""
    from kizuna.pipeline import DBT_ML_MARTS

    nodes = manifest_nodes
    built = ("model.", "seed.", "snapshot.")
    (ml_tag,) = (s.removeprefix("tag:") for s in DBT_ML_MARTS.select)

    def in_one_step(uid: str) -> bool:
        return all(ml_tag in nodes[p].get("tags", []) for p in parents(uid))

    def parents(uid: str) -> list[str]:
        return [p for p in nodes[uid].get("depends_on", {}).get("nodes", [])
                if p.startswith(built)]

    @functools.cache
    def ancestors(uid: str) -> frozenset[str]:
        return frozenset().union(*({p} | ancestors(p) for p in parents(uid)))

    waiting = {n["name"]: n.get("test_metadata", {}).get("name")
               for uid, n in nodes.items() if n["resource_type"] == "test"
               if parents(uid)
               if not any(set(parents(uid)) <= ancestors(p) | {p} for p in parents(uid))
               if not in_one_step(uid)}
    assert waiting, "expected relationships tests between independent models"
    assert {name for name, kind in waiting.items() if kind != "relationships"} == set()
    dag = dagbag.dags["kizuna_transform"]
    task = dag.get_task("dbt_integrity_tests")
    assert task.base_cmd == ["test"]
    assert task.select.split() == ["test_name:relationships", "source:*"]
    assert task.upstream_task_ids == {"dbt_build"}
    assert dag.get_task("dbt_build").indirect_selection == "buildable"


def test_seeds_load_in_one_task_before_every_other_dbt_build(dagbag):
    dag = dagbag.dags["kizuna_transform"]
    seeds = dag.get_task("dbt_seeds")
    assert seeds.select == "resource_type:seed" and seeds.base_cmd == ["build"]
    # only the freshness check of the raw tables comes first: it builds nothing
    assert seeds.upstream_task_ids == {"source_freshness"}
    # the later steps leave the seeds alone
    assert "resource_type:seed" in dag.get_task("dbt_prepare").exclude.split()
    assert "resource_type:seed" in dag.get_task("dbt_build").exclude.split()


def test_dbt_tasks_carry_no_credentials(dagbag):
    """dbt tasks read the warehouse's password from the Airflow connection when they run
    (tests/dags/test_no_secrets_in_tasks.py checks every field); their env names only the
    target, the DuckDB file and the business time zone and currency."""
    from cosmos.operators.local import DbtLocalBaseOperator

    dbt_tasks = [t for dag_id in ("kizuna_transform", "kizuna_ml_score")
                 for t in dagbag.dags[dag_id].tasks if isinstance(t, DbtLocalBaseOperator)]
    assert len(dbt_tasks) == 6  # five transform steps, the ML marts and the export lists
    for task in dbt_tasks:
        assert set(task.env) <= {"KIZUNA_WAREHOUSE", "KIZUNA_DUCKDB_PATH", "KIZUNA_TIMEZONE",
                                 "KIZUNA_CURRENCY"}, task.task_id
        assert Path(task.project_dir).name == "dbt_project"


def test_every_task_records_its_failure_and_dbt_waits_for_the_warehouse(dagbag):
    """Each task of each Kizuna DAG calls kizuna.alerts.on_task_failure when it fails for
    good; each dbt task waits for the DuckDB file before dbt opens it."""
    from cosmos.operators.local import DbtLocalBaseOperator

    from kizuna.alerts import on_task_failure
    from kizuna.transform import wait_for_warehouse

    kizuna = [d for d in dagbag.dags.values() if "kizuna" in d.tags]
    assert len(kizuna) >= 7
    for dag in kizuna:
        for task in dag.tasks:
            callbacks = task.on_failure_callback
            if not isinstance(callbacks, list | tuple):
                callbacks = [callbacks]
            assert list(callbacks) == [on_task_failure], task
            if isinstance(task, DbtLocalBaseOperator):
                assert task._pre_execute_hook is wait_for_warehouse, task


def test_maintenance_runs_weekly_four_independent_tasks(dagbag):
    dag = dagbag.dags["kizuna_maintenance"]
    assert dag.timetable.expression == "0 3 * * 0"  # Sundays, 03:00
    assert sorted(dag.task_ids) == ["archive_landing", "checkpoint_warehouse",
                                    "clean_airflow_db", "prune_task_logs"]
    assert all(not t.upstream_task_ids for t in dag.tasks)
    # the two that open the warehouse take its one-slot pool
    assert {t.task_id for t in dag.tasks if t.pool == "kizuna_duckdb"} == {
        "archive_landing", "checkpoint_warehouse"}
