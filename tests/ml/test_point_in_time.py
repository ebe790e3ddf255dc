"""The ML features are point in time: data after a cutoff never changes them.

The small world is built twice: once with every date folder (the session's shared build,
``small_world_built``), once with the folders up to a day after a cutoff only. The
features at that cutoff (and every earlier one) must be identical in both warehouses:
whatever arrived later (activities, deals, contracts, new contact and firmographic
versions) is invisible to them. Labels are left out: they look forward by design.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("small_world_duckdb")]

#: The last date folder of the truncated warehouse: a month after the cutoff compared.
TRUNCATED_END = date(2026, 1, 31)
LABELS = ("label_opportunity_90d", "label_won_90d")
FLAGS = ("is_scoring_date", "is_label_complete")


#: The feature tables compared (and what they are built from: the truncated world builds
#: only these, without dbt's tests, which the full build runs).
FEATURE_TABLES = ("mart_account_features", "mart_account_product_features",
                  "int_lead_behaviour_scores", "int_ml_lead_features")


def build(landing: Path, home: Path, start: date, end: date) -> Path:
    """Load ``[start, end]`` of ``landing`` into a warehouse under ``home`` and build the
    feature tables as the transform does (identity resolution between its dbt steps)."""
    from kizuna.pipeline import IDENTITY_INPUT, SEEDS, resolve_identities
    from kizuna.pipeline import load_and_gate as load_window
    from kizuna.transform import run_dbt

    shutil.copytree(landing, home / "landing")
    mp = pytest.MonkeyPatch()
    mp.setenv("KIZUNA_HOME", str(home))
    mp.setenv("KIZUNA_WAREHOUSE", "duckdb")
    mp.setenv("KIZUNA_LANDING", str(home / "landing"))
    mp.setenv("KIZUNA_DUCKDB_PATH", str(home / "warehouse" / "kizuna.duckdb"))
    try:
        load_window(start, end + timedelta(days=1))
        # ``build`` for the snapshots the history models read; no tests (see above)
        untested = ["--exclude-resource-type", "test", "unit_test"]
        run_dbt(["build", "--select", SEEDS, IDENTITY_INPUT, *untested], quiet=True)
        resolve_identities()
        run_dbt(["build", "--select", *(f"+{t}" for t in FEATURE_TABLES),
                 "--exclude", SEEDS, IDENTITY_INPUT, *untested], quiet=True)
    finally:
        mp.undo()
    return home / "warehouse" / "kizuna.duckdb"


@pytest.fixture(scope="module")
def warehouses(small_world: Path, small_world_config: dict, small_world_built,
               tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The full build (read only) and one truncated a month after the cutoff compared."""
    truncated = build(small_world / "landing", tmp_path_factory.mktemp("pit-truncated"),
                      small_world_config["start"], TRUNCATED_END)
    return small_world_built.warehouse, truncated


def features(db: Path, table: str, keys: list[str], before: date) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.execute(f"SELECT * FROM {table} WHERE cutoff_date < ?", [before]).df()
    finally:
        con.close()
    frame = frame.drop(columns=[c for c in (*LABELS, *FLAGS) if c in frame.columns])
    return frame.sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize(("table", "keys"), [
    ("marts.mart_account_features", ["account_key", "cutoff_date"]),
    ("marts.mart_account_product_features", ["account_id", "cutoff_date", "product_id"]),
    ("intermediate.int_lead_behaviour_scores", ["lead_id", "cutoff_date"]),
    ("intermediate.int_ml_lead_features", ["lead_id", "cutoff_date"]),
])
def test_data_after_the_cutoff_leaves_the_features_unchanged(warehouses, table, keys):
    full, truncated = warehouses
    later = features(full, table, keys, TRUNCATED_END)
    known_then = features(truncated, table, keys, TRUNCATED_END)
    assert len(known_then) > 100
    assert known_then["cutoff_date"].nunique() >= 2
    pd.testing.assert_frame_equal(later, known_then, check_dtype=False)


def test_labels_are_unknown_until_their_window_has_passed(warehouses):
    _, truncated = warehouses
    con = duckdb.connect(str(truncated), read_only=True)
    try:
        rows = con.execute("""
            SELECT count(*) FROM marts.mart_account_features
            WHERE label_opportunity_90d IS NOT NULL
              AND cutoff_date + INTERVAL 90 DAY > DATE '2026-01-31'""").fetchone()
    finally:
        con.close()
    assert rows == (0,)
