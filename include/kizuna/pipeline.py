"""The pipeline's steps and their dbt selectors, named once.

The DAGs, the command line, the demo and the benchmark all read this module, so the
order in which the warehouse is built is written in one place:

=====================  ==============================================  ================
step (task)            what it does                                    DAG
=====================  ==============================================  ================
load                   landing -> ``raw`` (:mod:`kizuna.ingest`)       kizuna_ingest
gate                   the quality gate publishes or rejects           kizuna_ingest
                       (:mod:`kizuna.gate`)
source_freshness       how recently each raw table was loaded          kizuna_transform
                       (:data:`DBT_SOURCE_FRESHNESS`), recorded in
                       ``audit.source_freshness``; stale only warns
dbt_seeds              every seed, with its tests (:data:`DBT_SEEDS`)  kizuna_transform
dbt_prepare            the models identity resolution reads, with      kizuna_transform
                       their tests (:data:`DBT_PREPARE`)
resolve_identities     名寄せ into schema ``identity``                    kizuna_transform
                       (:mod:`kizuna.identity`)
dbt_build              every other model and snapshot, with its tests  kizuna_transform
                       (:data:`DBT_BUILD`)
dbt_integrity_tests    the tests no single step can run                kizuna_transform
                       (:data:`DBT_INTEGRITY_TESTS`)
measure_against_truth  on a simulated world, the build against its     kizuna_transform
                       truth (:mod:`kizuna.accuracy`)
publish_marts          the marts to BI tools: ``bi.duckdb``, or the    kizuna_transform
                       PostgreSQL BI role's grants (:mod:`kizuna.bi`)
train                  train, evaluate, register (``models_ml``)       kizuna_ml_train
score                  score with the champions (``models_ml``)        kizuna_ml_score
dbt_ml_marts           the ML marts, with their tests                  kizuna_ml_score
                       (:data:`DBT_ML_MARTS`)
scores_published       the marts, ML marts included, to BI tools       kizuna_ml_score
                       (:func:`publish_marts`)
dbt_exports            the lists to export, with their tests           kizuna_ml_score
                       (:data:`DBT_EXPORTS`)
export                 import files per vendor, HubSpot push           kizuna_ml_score
                       (:mod:`kizuna.activation`)
write_report           the run's HTML report (:mod:`kizuna.report`)    kizuna_ml_score
erase                  people who asked to be forgotten, out of every  kizuna_erase
                       file and table (:mod:`kizuna.erasure`)
=====================  ==============================================  ================

Each dbt step is one :class:`~kizuna.transform.DbtStep`: one ``dbt build`` or ``dbt test``
over a selection, run by the DAG as one task (:func:`kizuna.transform.cosmos_task`) and by
the command line in process (:func:`kizuna.transform.run_step`), with the same arguments.
:func:`build_warehouse` runs :data:`TRANSFORM_STEPS`, the transform DAG's tasks in the
DAG's order, so ``kizuna build`` and the DAG build the same tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from kizuna.settings import Settings, get_settings
from kizuna.transform import DbtStep, NodeResult, run_step
from kizuna.warehouse import WAREHOUSE_POOL as WAREHOUSE_POOL  # the DAGs read it here

if TYPE_CHECKING:  # DAG files read the names here; the loader is imported when it runs
    from kizuna.activation import ExportReport
    from kizuna.erasure import ErasureReport
    from kizuna.ingest import LoadReport
    from kizuna.report import ReportResult
    from kizuna.sources.extract.base import Credentials

log = logging.getLogger(__name__)

#: dbt selectors of the transform steps.
SEEDS = "resource_type:seed"
IDENTITY_INPUT = "tag:identity_input"
#: relationships tests between models that do not depend on each other, and the tests on
#: the raw sources: they run once every model is built.
INTEGRITY_TESTS = "test_name:relationships source:*"
#: The marts the ML scoring step fills.
ML_MARTS = "tag:ml_scores"
#: The lists activation exports (schema ``exports``), read from the marts and ML marts.
EXPORT_LISTS = "tag:activation"
#: A dbt step runs the tests whose every parent is built by then (or before it); the
#: others wait for :data:`DBT_INTEGRITY_TESTS`.
INDIRECT_SELECTION = "buildable"

#: Every seed (reference data, weights, rules, targets) with its tests: small CSV files.
DBT_SEEDS = DbtStep("dbt_seeds", "build", select=(SEEDS,))
#: Staging and the deterministic matches (lead -> contact by e-mail, account -> company by
#: corporate number): what identity resolution reads.
DBT_PREPARE = DbtStep("dbt_prepare", "build", select=(IDENTITY_INPUT,), exclude=(SEEDS,),
                      indirect_selection=INDIRECT_SELECTION)
#: Everything else (snapshots, intermediate models, marts): ``dbt build``, so a model's
#: tests run right after it and a failing test stops what depends on it.
DBT_BUILD = DbtStep("dbt_build", "build", exclude=(IDENTITY_INPUT, SEEDS),
                    indirect_selection=INDIRECT_SELECTION)
#: The tests no single step can run (:data:`INTEGRITY_TESTS`), once every model is built.
DBT_INTEGRITY_TESTS = DbtStep("dbt_integrity_tests", "test",
                              select=tuple(INTEGRITY_TESTS.split()))
#: How recently each raw table was loaded (its newest ``_loaded_at``) against the
#: ``freshness:`` of dbt_project/models/staging/_sources.yml; run by
#: :func:`source_freshness`.
DBT_SOURCE_FRESHNESS = DbtStep("dbt_source_freshness", "source freshness")
#: The ML marts, rebuilt after each scoring run (dbt's default indirect selection: each
#: mart's tests, relationships to the core marts included).
DBT_ML_MARTS = DbtStep("dbt_ml_marts", "build", select=(ML_MARTS,))
#: The lists to export, rebuilt from the fresh ML marts, with their tests.
DBT_EXPORTS = DbtStep("dbt_exports", "build", select=(EXPORT_LISTS,))


def load_and_gate(start: date, end: date, tables: Sequence[str] | None = None,
                  settings: Settings | None = None,
                  progress: Callable[[str, int, int], None] | None = None,
                  reload: str | None = None, strict_layout: bool = False) -> LoadReport:
    """The ingest steps: map vendors' files to the contract (when the sources file names
    vendors), load ``[start, end)``, then the quality gate on what was loaded.

    Raises :class:`kizuna.gate.QualityGateError` when a batch is rejected; the report's
    batches carry the gate's verdict either way. ``reload`` and ``strict_layout`` are
    :func:`kizuna.ingest.load_window`'s.
    """
    from kizuna.gate import loader_rules, validate_window
    from kizuna.ingest import adapt_window, load_window

    s = settings or get_settings()
    adapt_window(start, end, s)
    report = load_window(start, end, tables, s, progress, rules=loader_rules, reload=reload,
                         strict_layout=strict_layout)
    try:
        validate_window(start, end, list(tables) if tables else None, s)
    finally:
        report.refresh(s)
    return report


class StaleSourceError(RuntimeError):
    """A source is past its ``error_after`` freshness and ``KIZUNA_FRESHNESS_FAILS`` is set."""


def source_freshness(settings: Settings | None = None) -> dict[str, list[str]]:
    """``dbt source freshness`` (:data:`DBT_SOURCE_FRESHNESS`), recorded in
    ``audit.source_freshness``: one row per raw table with its newest load and verdict.

    A stale source (``warn`` or ``error``) is logged as a warning and the build goes on: old
    data is better than no marts. With ``KIZUNA_FRESHNESS_FAILS=true`` a source past its
    ``error_after`` raises :class:`StaleSourceError` (after the results are recorded).
    Returns the tables per status.
    """
    from kizuna.ledger import ensure_ledger, record_freshness
    from kizuna.transform import check_freshness
    from kizuna.warehouse import connection

    s = settings or get_settings()
    results = check_freshness(DBT_SOURCE_FRESHNESS, s)
    with connection(s) as wh:
        ensure_ledger(wh)
        record_freshness(wh, results, datetime.now(UTC).replace(tzinfo=None))
    by_status: dict[str, list[str]] = {}
    for r in results:
        by_status.setdefault(r.status, []).append(r.raw_table)
        if r.status != "pass":
            log.warning("source %s.%s (raw.%s) freshness %s: newest load %s, %s hours ago "
                        "(warn after %s, error after %s)%s", r.source_name, r.table_name,
                        r.raw_table, r.status, r.max_loaded_at, r.age_hours, r.warn_after,
                        r.error_after, f": {r.message}" if r.message else "")
    log.info("source freshness: %s", {k: len(v) for k, v in by_status.items()})
    stale = by_status.get("error", [])
    if stale and s.freshness_fails:
        raise StaleSourceError(
            f"{len(stale)} source table(s) past their error_after freshness: "
            f"{', '.join(stale)} (audit.source_freshness has each one's newest load). Load "
            "their late files, or unset KIZUNA_FRESHNESS_FAILS to build with old data.")
    return by_status


def resolve_identities(settings: Settings | None = None) -> dict[str, dict[str, int]]:
    """Identity resolution (:func:`kizuna.identity.run`); links per match method."""
    from kizuna import identity

    counts = identity.run(settings)
    log.info("identity resolution: %s", counts)
    return counts


def measure_against_truth(settings: Settings | None = None) -> dict[str, float | None]:
    """On a simulated world, the build against its truth (:func:`kizuna.accuracy.record`):
    metric -> value; empty on real data."""
    from kizuna import accuracy

    return {m.metric: m.value for m in accuracy.record(settings)}


def publish_marts(settings: Settings | None = None) -> dict[str, int]:
    """The marts to BI tools (:func:`kizuna.bi.publish`): on DuckDB a fresh ``bi.duckdb``
    beside the warehouse, on PostgreSQL the BI role's grants; table -> rows copied."""
    from kizuna import bi

    return bi.publish(settings).tables


#: The transform DAG's tasks before ``marts_built``, in its order (tests/dags checks it).
TRANSFORM_STEPS: tuple[DbtStep | Callable[[Settings], object], ...] = (
    source_freshness, DBT_SEEDS, DBT_PREPARE, resolve_identities, DBT_BUILD,
    DBT_INTEGRITY_TESTS, measure_against_truth, publish_marts,
)


def build_warehouse(settings: Settings | None = None, quiet: bool = True,
                    full_refresh: bool = False) -> list[NodeResult]:
    """The transform steps in the transform DAG's order; returns every dbt result."""
    s = settings or get_settings()
    results: list[NodeResult] = []
    for step in TRANSFORM_STEPS:
        if isinstance(step, DbtStep):
            results += run_step(step, s, quiet, full_refresh=full_refresh)
        else:
            step(s)
    return results


def train_models(model_names: Sequence[str] | None = None) -> list[Any]:
    """The ML training step: every model (or ``model_names``), as ``kizuna_ml_train`` runs."""
    from models_ml import tasks

    return tasks.train_models(tuple(model_names or tasks.MODELS))


def score_models(settings: Settings | None = None, quiet: bool = True) -> dict[str, int]:
    """The ML scoring step: score with every champion, build the ML marts, publish the
    marts to BI tools (:func:`publish_marts`)."""
    from models_ml import tasks

    scored = tasks.score()
    run_step(DBT_ML_MARTS, settings, quiet)
    publish_marts(settings)
    return scored


def export_lists(settings: Settings | None = None, hubspot: Credentials | None = None,
                 quiet: bool = True, build: bool = True, salesforce: Credentials | None = None,
                 marketo: Credentials | None = None) -> ExportReport:
    """The activation steps: rebuild the lists (:data:`DBT_EXPORTS`, unless ``build`` is
    false), then write every vendor's import files and push the lists to each vendor whose
    credentials are given: the target list to HubSpot's companies and Salesforce's
    accounts, the lead hand-offs to Marketo (:func:`kizuna.activation.export_lists`)."""
    from kizuna.activation import export_lists as export

    if build:
        run_step(DBT_EXPORTS, settings, quiet)
    return export(settings, hubspot, salesforce=salesforce, marketo=marketo)


def write_report(settings: Settings | None = None) -> ReportResult:
    """The report step: the run's HTML report (:func:`kizuna.report.write_report`), read
    from the marts; sections without data say why."""
    from kizuna.report import write_report as write

    return write(settings)


def erase(addresses: Sequence[str], settings: Settings | None = None) -> ErasureReport:
    """The erasure step: the people with these e-mail addresses leave the delivered files,
    every table, the export files, the reports and the BI file, and join the suppression
    list the loader reads (:func:`kizuna.erasure.erase`)."""
    from kizuna import bi
    from kizuna.erasure import erase as erase_people

    s = settings or get_settings()
    report = erase_people(addresses, s)
    # bi.duckdb is a copy of the marts (keyed hashes and ids of the person included):
    # published again from the marts the person has left
    if s.warehouse == "duckdb" and bi.bi_database_path(s).exists():
        bi.publish(s)
    return report
