"""Score the scoring date with every champion and write the ``ml`` tables: one loop over
the recipes that declare a score table (``kizuna ml score``, the kizuna_ml_score DAG).

Each table's rows come from its models' champions; every row carries the version of
the champion that made it. A champion whose features are not the data's refuses to score
(FeatureMismatchError). The scoring date's rows of each table are replaced: scoring again
leaves the same table.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pandas as pd

from kizuna.settings import Settings, get_settings
from kizuna.warehouse import connection
from models_ml.datasets import ScoringData, load_scoring_data
from models_ml.recipe import Champion, ScoreTable, ml_threads
from models_ml.recipes import RECIPES
from models_ml.registry import Registry
from models_ml.store import replace_rows

log = logging.getLogger(__name__)

#: The ``ml`` tables of scores, in the order they are written.
SCORE_TABLES: tuple[ScoreTable, ...] = tuple(r.scores for r in RECIPES if r.scores is not None)


def score_all(settings: Settings | None = None, registry: Registry | None = None
              ) -> dict[str, int]:
    """Score the scoring date with every champion and write the ``ml`` tables; returns
    the rows written per table."""
    s = settings or get_settings()
    registry = registry or Registry()
    with connection(s) as wh, ml_threads():
        data = load_scoring_data(wh)
        scored_at = datetime.now(UTC).replace(tzinfo=None)
        counts = {
            table.table: replace_rows(wh, table.table,
                                      score_table(table, data, registry).assign(
                                          scored_at=scored_at),
                                      {"scored_on": data.scored_on})
            for table in SCORE_TABLES}
    log.info("scored %s: %s", data.scored_on, counts)
    return counts


def score_table(table: ScoreTable, data: ScoringData, registry: Registry) -> pd.DataFrame:
    """The table's rows for the scoring date (without ``scored_at``); raises
    NoChampionError when one of its models has no champion yet."""
    champions = {}
    for name in table.models:
        version = registry.require_champion(name)
        champions[name] = Champion(version.version, version.load())
    return table.score(data, champions)
