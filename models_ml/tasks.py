"""What the ML DAGs run (kizuna_ml_train, kizuna_ml_score), as plain functions.

DAG files only wire these; the CLI (``kizuna ml ...``) and the tests call the same.
Each is idempotent: training adds a version (the champion changes only for a better
one); scoring replaces the scoring date's rows.

A warehouse too young to train on (fewer months of history than a label window and
the cutoffs to learn from) makes the DAG tasks skip, with the reason in the task log,
rather than fail: the weekly training trains once the history is there, and scoring
waits for a first model and for marts that hold a scoring date. The CLI reports the
same reason as an error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

#: The models the training DAG trains, one task each: the recipes' names (models_ml.recipes),
#: written out so that parsing the DAG need not import scikit-learn.
MODELS = ("opportunity_90d", "won_90d", "lookalike", "cross_sell", "lead_opportunity_90d")


def train(model_name: str) -> dict[str, Any]:
    """Train, evaluate and register one model; returns its outcome (``skipped`` says why
    when the data does not support it)."""
    return train_models([model_name])[0]


def train_models(model_names: Sequence[str] = MODELS) -> list[dict[str, Any]]:
    """Train, evaluate and register the models (the warehouse is read once); returns one
    outcome per model: version, champion or not and why, metrics, features set aside,
    seconds; or why it was skipped."""
    from kizuna.warehouse import connection
    from models_ml.datasets import load_training_data
    from models_ml.recipe import ml_threads
    from models_ml.recipes import recipe
    from models_ml.registry import Registry
    from models_ml.training import train_model

    unknown = [m for m in model_names if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    registry = Registry()
    out = []
    with connection() as wh, ml_threads():
        data = load_training_data(wh)
        for name in model_names:
            outcome = train_model(data, recipe(name), registry, wh)
            if outcome.version is not None:  # a skipped model was logged with its reason
                log.info("%s %s: %s", outcome.model_name, outcome.version, outcome.decision)
            out.append(outcome.to_dict())
    return out


def score() -> dict[str, int]:
    """Score the scoring date with every champion; returns rows written per ml table."""
    return scoring_run()["rows"]


def scoring_run() -> dict[str, Any]:
    """Score the scoring date with every champion there is; returns the date, the rows
    written per ml table and why the other tables were not scored."""
    from models_ml.scoring import score_all

    return score_all().to_dict()


def train_task(model_name: str) -> dict[str, Any]:
    """:func:`train` for a DAG task: skipped (not failed) while history is too short."""
    from airflow.sdk.exceptions import AirflowSkipException

    from models_ml.datasets import NotEnoughHistoryError

    try:
        outcome = train(model_name)
    except NotEnoughHistoryError as exc:
        raise AirflowSkipException(f"{model_name} not trained: {exc}") from exc
    if outcome["skipped"]:
        raise AirflowSkipException(f"{model_name} not trained: {outcome['skipped']}")
    return outcome


def score_task() -> dict[str, Any]:
    """:func:`scoring_run` for a DAG task: the tables without a champion are skipped with
    the reason (in the log and the return value); the task itself skips (not fails) while
    no model has a champion or the marts hold no scoring date (a fresh install)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from models_ml.datasets import NoScoringDateError
    from models_ml.registry import NoChampionError

    try:
        run = scoring_run()
    except (NoChampionError, NoScoringDateError) as exc:
        log.warning("scoring skipped: %s", exc)
        raise AirflowSkipException(str(exc)) from exc
    for table, why in run["skipped"].items():
        log.warning("ml.%s not scored: %s", table, why)
    return run
