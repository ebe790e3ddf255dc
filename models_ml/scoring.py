"""Score the scoring date with every champion and write the ``ml`` tables: one loop over
the recipes that declare a score table (``kizuna ml score``, the kizuna_ml_score DAG).

Each table's rows come from its models' champions; every row carries the version of
the champion that made it. A table whose first model has no champion (never trained, or
no version beat its baselines) is skipped with the reason, and the others are scored;
a later model of a table without a champion leaves its columns null. A champion whose
features are not the data's refuses to score (FeatureMismatchError). The scoring date's
rows of each table are replaced: scoring again leaves the same table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from kizuna.settings import Settings, get_settings
from kizuna.warehouse import connection
from models_ml.datasets import ScoringData, load_scoring_data
from models_ml.recipe import Champion, ScoreTable, ml_threads
from models_ml.recipes import RECIPES
from models_ml.registry import ModelVersion, NoChampionError, Registry
from models_ml.store import replace_rows

log = logging.getLogger(__name__)

#: The ``ml`` tables of scores, in the order they are written.
SCORE_TABLES: tuple[ScoreTable, ...] = tuple(r.scores for r in RECIPES if r.scores is not None)


@dataclass(frozen=True)
class ScoringRun:
    """What scoring came to: rows written per ``ml`` table, and the tables not scored."""

    scored_on: date
    rows: dict[str, int]
    #: Table -> why it was not scored (its model has no champion).
    skipped: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """As JSON (a DAG task's return value, the CLI's lines)."""
        return {"scored_on": str(self.scored_on), "rows": dict(self.rows),
                "skipped": dict(self.skipped)}


def score_all(settings: Settings | None = None, registry: Registry | None = None
              ) -> ScoringRun:
    """Score the scoring date with every champion there is and write the ``ml`` tables;
    raises NoChampionError, with every table's reason, when no table could be scored."""
    s = settings or get_settings()
    registry = registry or Registry()
    rows: dict[str, int] = {}
    skipped: dict[str, str] = {}
    with connection(s) as wh, ml_threads():
        data = load_scoring_data(wh)
        scored_at = datetime.now(UTC).replace(tzinfo=None)
        for table in SCORE_TABLES:
            try:
                frame = score_table(table, data, registry)
            except NoChampionError as exc:
                log.info("ml.%s not scored: %s", table.table, exc)
                skipped[table.table] = str(exc)
                continue
            rows[table.table] = replace_rows(wh, table.table, frame.assign(scored_at=scored_at),
                                             {"scored_on": data.scored_on})
    if not rows:
        raise NoChampionError("nothing scored: " + "; ".join(
            f"ml.{table}: {why}" for table, why in skipped.items()))
    log.info("scored %s: %s; not scored: %s", data.scored_on, rows, list(skipped) or "none")
    return ScoringRun(data.scored_on, rows, skipped)


def score_table(table: ScoreTable, data: ScoringData, registry: Registry) -> pd.DataFrame:
    """The table's rows for the scoring date (without ``scored_at``) from its models'
    champions; raises NoChampionError when its first model has none (the others are
    optional)."""
    first, *others = table.models
    champions = {first: _champion(registry.require_champion(first))}
    for name in others:
        version = registry.champion(name)
        if version is None:
            log.warning("ml.%s: no %s champion; its columns are left null", table.table, name)
        else:
            champions[name] = _champion(version)
    return table.score(data, champions)


def _champion(version: ModelVersion) -> Champion:
    return Champion(version.version, version.load())
