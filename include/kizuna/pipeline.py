"""The pipeline's steps and their dbt selectors, named once.

The DAGs, the command line, the demo and the benchmark all read this module, so the
order in which the warehouse is built is written in one place:

=============  ======================================================  =================
step           what it does                                            DAG
=============  ======================================================  =================
load           landing files -> ``raw`` (:mod:`kizuna.ingest`)          kizuna_ingest
gate           the quality gate publishes or rejects (:mod:`kizuna.gate`)  kizuna_ingest
dbt_seeds      every seed with its tests (:data:`SEEDS`)                kizuna_transform
dbt_prepare    the models identity resolution reads (:data:`IDENTITY_INPUT`)  kizuna_transform
identity       名寄せ into schema ``identity`` (:mod:`kizuna.identity`)  kizuna_transform
dbt_build      every other model, snapshot and its tests                kizuna_transform
dbt_integrity  tests no single node can run (:data:`INTEGRITY_TESTS`)   kizuna_transform
accuracy       on a simulated world, against its truth (:mod:`kizuna.accuracy`)  kizuna_transform
ml_train       train, evaluate, register (``models_ml``)                kizuna_ml_train
ml_score       score with the champions, then the ML marts (:data:`ML_MARTS`)  kizuna_ml_score
report         the HTML report of the run (:mod:`kizuna.report`)        kizuna_ml_score
=============  ======================================================  =================

:func:`build_warehouse` runs the transform steps in the transform DAG's order with the
same selections, so ``kizuna build`` and the DAG build the same tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from kizuna.settings import Settings, get_settings
from kizuna.transform import NodeResult, run_dbt

if TYPE_CHECKING:  # DAG files read the names here; the loader is imported when it runs
    from kizuna.ingest import LoadReport
    from kizuna.report import ReportResult

log = logging.getLogger(__name__)

#: dbt selectors of the transform steps.
SEEDS = "resource_type:seed"
IDENTITY_INPUT = "tag:identity_input"
#: relationships tests between models that do not depend on each other, and the tests on
#: the raw sources: they run once every model is built.
INTEGRITY_TESTS = "test_name:relationships source:*"
#: The marts the ML scoring step fills.
ML_MARTS = "tag:ml_scores"
#: A dbt task runs the tests whose every parent is built by then.
INDIRECT_SELECTION = "buildable"
#: DuckDB allows one writing process: every task that writes shares this one-slot pool.
WAREHOUSE_POOL = "kizuna_duckdb"


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


def dbt_seeds(settings: Settings | None = None, quiet: bool = True,
              extra: Sequence[str] = ()) -> list[NodeResult]:
    return run_dbt(["build", "--select", SEEDS, *extra], settings=settings, quiet=quiet)


def dbt_prepare(settings: Settings | None = None, quiet: bool = True,
                extra: Sequence[str] = ()) -> list[NodeResult]:
    return run_dbt(["build", "--select", IDENTITY_INPUT, "--exclude", SEEDS,
                    "--indirect-selection", INDIRECT_SELECTION, *extra],
                   settings=settings, quiet=quiet)


def resolve_identities(settings: Settings | None = None) -> dict[str, dict[str, int]]:
    """Identity resolution (:func:`kizuna.identity.run`); links per match method."""
    from kizuna import identity

    counts = identity.run(settings)
    log.info("identity resolution: %s", counts)
    return counts


def dbt_build(settings: Settings | None = None, quiet: bool = True,
              extra: Sequence[str] = ()) -> list[NodeResult]:
    return run_dbt(["build", "--exclude", IDENTITY_INPUT, SEEDS,
                    "--indirect-selection", INDIRECT_SELECTION, *extra],
                   settings=settings, quiet=quiet)


def dbt_integrity_tests(settings: Settings | None = None, quiet: bool = True
                        ) -> list[NodeResult]:
    return run_dbt(["test", "--select", INTEGRITY_TESTS], settings=settings, quiet=quiet)


def measure_against_truth(settings: Settings | None = None) -> dict[str, float | None]:
    """On a simulated world, the build against its truth (:func:`kizuna.accuracy.record`):
    metric -> value; empty on real data."""
    from kizuna import accuracy

    return {m.metric: m.value for m in accuracy.record(settings)}


def build_warehouse(settings: Settings | None = None, quiet: bool = True,
                    full_refresh: bool = False) -> list[NodeResult]:
    """The transform steps in the transform DAG's order; returns every dbt result."""
    s = settings or get_settings()
    extra = ["--full-refresh"] if full_refresh else []
    results = dbt_seeds(s, quiet, extra) + dbt_prepare(s, quiet, extra)
    resolve_identities(s)
    results += dbt_build(s, quiet, extra) + dbt_integrity_tests(s, quiet)
    measure_against_truth(s)
    return results


def train_models(model_names: Sequence[str] | None = None) -> list[Any]:
    """The ML training step: every model (or ``model_names``), as ``kizuna_ml_train`` runs."""
    from models_ml import tasks

    return tasks.train_models(tuple(model_names or tasks.MODELS))


def score_models(settings: Settings | None = None, quiet: bool = True) -> dict[str, int]:
    """The ML scoring step: score with every champion, then build the ML marts."""
    from models_ml import tasks

    scored = tasks.score()
    run_dbt(["build", "--select", ML_MARTS], settings=settings, quiet=quiet)
    return scored


def write_report(settings: Settings | None = None) -> ReportResult:
    """The report step: the run's HTML report (:func:`kizuna.report.write_report`), read
    from the marts; sections without data say why."""
    from kizuna.report import write_report as write

    return write(settings)
