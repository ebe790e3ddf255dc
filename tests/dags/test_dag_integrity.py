"""Every DAG imports without errors and is wired as the design says."""

from __future__ import annotations

import pytest

from kizuna.settings import DAGS_FOLDER


@pytest.fixture(scope="module")
def dagbag():
    from kizuna.transform import parse

    parse()  # the transform DAG renders from dbt's manifest
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"kizuna_ingest", "kizuna_transform"} <= set(dagbag.dags)


def test_ingest_loads_every_entity_through_the_warehouse_pool(dagbag):
    dag = dagbag.dags["kizuna_ingest"]
    load = dag.get_task("load")
    assert load.pool == "kizuna_duckdb"
    assert dag.get_task("find_deliveries").downstream_task_ids == {"load"}
    assert [o.name for o in dag.get_task("publish").outlets] == ["kizuna_raw"]


def test_transform_runs_on_the_raw_asset_and_builds_every_model(dagbag):
    import json

    from kizuna.transform import MANIFEST_PATH

    dag = dagbag.dags["kizuna_transform"]
    assert [a.name for a in dag.timetable.asset_condition.objects] == ["kizuna_raw"]
    nodes = json.loads(MANIFEST_PATH.read_text())["nodes"].values()
    models = {n["name"] for n in nodes if n["resource_type"] == "model"}
    task_ids = {t.task_id for t in dag.tasks}
    missing = {m for m in models
               if not any(tid.startswith((f"dbt.{m}", f"dbt_prepare.{m}")) for tid in task_ids)}
    assert missing == set()
    writers = [t for t in dag.tasks if t.task_id.startswith(("dbt.", "dbt_prepare."))]
    assert all(t.pool == "kizuna_duckdb" for t in writers)


def test_identity_resolution_runs_between_the_two_dbt_steps(dagbag):
    """Staging and the deterministic matches first, then the identity task, then the rest."""
    import json

    from kizuna.transform import MANIFEST_PATH

    dag = dagbag.dags["kizuna_transform"]
    identity = dag.get_task("resolve_identities")
    assert identity.pool == "kizuna_duckdb"
    assert {t.split(".")[0] for t in identity.upstream_task_ids} == {"dbt_prepare"}
    assert {t.split(".")[0] for t in identity.downstream_task_ids} == {"dbt"}
    nodes = json.loads(MANIFEST_PATH.read_text())["nodes"].values()
    tagged = {n["name"] for n in nodes
              if n["resource_type"] == "model" and "identity_input" in n["tags"]}
    assert {"stg_crm__accounts", "int_lead_contact_matches",
            "int_account_corporate_numbers"} <= tagged
    prepared = {t.task_id.removeprefix("dbt_prepare.").removesuffix("_model_build")
                for t in dag.tasks
                if t.task_id.startswith("dbt_prepare.") and t.task_id.endswith("_model_build")}
    assert prepared == tagged


def test_dag_files_only_wire(dagbag):
    """No SQL and no pandas in DAG files: the work lives in include/kizuna and dbt."""
    for path in DAGS_FOLDER.glob("*.py"):
        text = path.read_text()
        assert "import pandas" not in text and "duckdb.connect" not in text, path
        assert "SELECT " not in text.upper().replace("SELECTOR", ""), path


def test_tests_of_several_models_run_once_every_model_is_built(dagbag):
    """A model's task runs only the tests whose models are all built by then; the rest
    must be relationships tests or tests on sources: ``dbt_integrity_tests`` runs those
    after the whole group."""
    import functools
    import json

    from kizuna.transform import MANIFEST_PATH

    nodes = json.loads(MANIFEST_PATH.read_text())["nodes"]
    built = ("model.", "seed.", "snapshot.")

    def parents(uid: str) -> list[str]:
        return [p for p in nodes[uid].get("depends_on", {}).get("nodes", [])
                if p.startswith(built)]

    @functools.cache
    def ancestors(uid: str) -> frozenset[str]:
        return frozenset().union(*({p} | ancestors(p) for p in parents(uid)))

    waiting = {n["name"]: n.get("test_metadata", {}).get("name")
               for uid, n in nodes.items() if n["resource_type"] == "test"
               if parents(uid)
               if not any(set(parents(uid)) <= ancestors(p) | {p} for p in parents(uid))}
    assert waiting, "expected relationships tests between independent models"
    assert {name for name, kind in waiting.items() if kind != "relationships"} == set()
    dag = dagbag.dags["kizuna_transform"]
    task = dag.get_task("dbt_integrity_tests")
    assert task.select.split() == ["test_name:relationships", "source:*"]
    assert task.pool == "kizuna_duckdb"
    groups = {t.split(".")[0] for t in task.upstream_task_ids}
    assert groups == {"dbt"}
    assert dag.get_task("measure_against_truth").upstream_task_ids == {"dbt_integrity_tests"}
    assert dag.get_task("marts_built").upstream_task_ids == {"measure_against_truth"}
    assert not [t for t in dag.tasks if t.task_id.endswith("_test")]


def test_seeds_load_in_one_task_before_everything_else(dagbag):
    dag = dagbag.dags["kizuna_transform"]
    seeds = dag.get_task("dbt_seeds")
    assert seeds.select == "resource_type:seed" and seeds.base_cmd == ["build"]
    assert seeds.upstream_task_ids == set()
    assert {t.split(".")[0] for t in seeds.downstream_task_ids} == {"dbt_prepare"}
    assert not [t for t in dag.task_ids if t.endswith("_seed_build")]
    assert all("--no-write-json" in (t.dbt_cmd_flags or [])
               for t in dag.tasks if t.task_id.startswith(("dbt", "dbt_prepare")))
