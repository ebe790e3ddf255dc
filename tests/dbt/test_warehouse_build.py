"""dbt builds the warehouse from a loaded small world, and its tests pass."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(small_world: Path, small_world_config: dict, tmp_path_factory: pytest.TempPathFactory):
    """The small world loaded into a fresh DuckDB file and built with dbt (in-process)."""
    from kizuna.load import load_window
    from kizuna.transform import run_dbt

    home = tmp_path_factory.mktemp("dbt-home")
    shutil.copytree(small_world / "landing", home / "landing")
    mp = pytest.MonkeyPatch()
    mp.setenv("KIZUNA_HOME", str(home))
    load_window(small_world_config["start"], small_world_config["end"] + timedelta(days=1))
    results = run_dbt(["build"])
    yield home / "warehouse" / "kizuna.duckdb", results
    mp.undo()


def test_dbt_build_passes_every_test(built):
    _, results = built
    assert results
    failed = [r for r in results if r.status not in ("success", "pass")]
    assert failed == []
    assert sum(r.status == "pass" for r in results) > 40


def test_staging_keeps_the_latest_version_of_each_contact(built):
    db, _ = built
    con = duckdb.connect(str(db), read_only=True)
    stale = con.execute("""
        SELECT count(*) FROM staging.stg_crm__contacts s
        JOIN (SELECT contact_id, max(updated_at) AS latest FROM raw.crm_contacts GROUP BY 1) r
          USING (contact_id)
        WHERE s.updated_at <> r.latest""").fetchone()
    assert stale == (0,)
    (versions,) = con.execute("SELECT count(*) FROM raw.crm_contacts").fetchone()
    (contacts,) = con.execute("SELECT count(*) FROM staging.stg_crm__contacts").fetchone()
    assert versions > contacts  # people changed titles: several versions were delivered


def test_rows_of_a_rejected_batch_never_reach_staging(built):
    from kizuna.transform import run_dbt

    db, _ = built
    con = duckdb.connect(str(db))
    (batch, _rows) = con.execute(
        "SELECT _batch_id, count(*) FROM raw.ma_leads GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    (before,) = con.execute("SELECT count(*) FROM staging.stg_ma__leads").fetchone()
    con.execute("UPDATE audit.load_batches SET status = 'rejected' WHERE batch_id = ?", [batch])
    con.close()
    try:
        con = duckdb.connect(str(db), read_only=True)
        (after,) = con.execute("SELECT count(*) FROM staging.stg_ma__leads").fetchone()
        (left,) = con.execute("SELECT count(*) FROM staging.stg_ma__leads WHERE batch_id = ?",
                              [batch]).fetchone()
        con.close()
        assert left == 0
        assert after < before
    finally:
        con = duckdb.connect(str(db))
        con.execute("UPDATE audit.load_batches SET status = 'published' WHERE batch_id = ?",
                    [batch])
        con.close()
        run_dbt(["build", "--select", "stg_ma__leads"])


def test_engagement_points_follow_the_weights_seed(built):
    db, _ = built
    con = duckdb.connect(str(db), read_only=True)
    over_cap = con.execute("""
        SELECT count(*) FROM marts.fct_account_engagement_daily e
        JOIN seeds.activity_weights w USING (source, activity_type)
        WHERE (w.points >= 0 AND e.points > w.daily_cap)
           OR e.points <> least(e.activity_count * w.points, w.daily_cap)
              AND w.points >= 0""").fetchone()
    assert over_cap == (0,)
