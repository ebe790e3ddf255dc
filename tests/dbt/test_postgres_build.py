"""The same dbt project builds and passes its tests on PostgreSQL (a real server)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("postgres_build")]


@pytest.fixture(scope="module")
def postgres_built(postgres_cluster, small_world: Path, small_world_config: dict,
                   tmp_path_factory: pytest.TempPathFactory):
    """The small world loaded into PostgreSQL and built there: dbt, identity, dbt."""
    from kizuna.pipeline import build_warehouse
    from kizuna.pipeline import load_and_gate as load_window

    home = tmp_path_factory.mktemp("pg-home")
    shutil.copytree(small_world / "landing", home / "landing")
    # the truth beside it: the build measures itself against it on PostgreSQL too
    shutil.copytree(small_world / "truth", home / "truth")
    mp = pytest.MonkeyPatch()
    mp.setenv("KIZUNA_HOME", str(home))
    mp.setenv("KIZUNA_LANDING", str(home / "landing"))
    mp.setenv("KIZUNA_WAREHOUSE", "postgres")
    for key, value in postgres_cluster.new_database().items():
        mp.setenv(key, value)
    load_window(small_world_config["start"], small_world_config["end"] + timedelta(days=1))
    from kizuna.settings import get_settings

    settings = get_settings()
    results = build_warehouse(settings)
    yield results, settings
    mp.undo()


def test_dbt_build_passes_every_test_on_postgres(postgres_built):
    results, _ = postgres_built
    failed = [r for r in results if r.status not in ("success", "pass", "no-op")]
    assert failed == []
    assert sum(r.status == "pass" for r in results) > 100


def test_every_mart_has_rows_on_postgres(postgres_built, ml_scored_marts):
    """Every mart dbt builds has rows; the ML marts wait for scoring (tests/ml)."""
    from kizuna.warehouse import connection

    _, settings = postgres_built
    with connection(settings) as wh:
        tables = [t for (t,) in wh.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'")]
        empty = [t for t in tables if t not in ml_scored_marts
                 and wh.query(f'SELECT count(*) FROM marts."{t}"')[0][0] == 0]
        linked = wh.query("SELECT count(*) FROM marts.dim_leads WHERE account_id IS NOT NULL")[0][0]
    assert {"dim_contacts_history", "mart_account_scores", "kpi_abm_funnel",
            "kpi_group_rollup"} <= set(tables)
    assert empty == []
    assert ml_scored_marts <= set(tables)
    assert linked > 0


def test_the_bi_role_reads_the_marts_and_nothing_below_them(postgres_built, postgres_cluster):
    """The build grants the read-only role kizuna_bi (deploy/postgres-init.sql) schema marts:
    logged in as it, every mart reads, and no table of any other schema (raw, staging,
    restricted personal data, quarantine, audit, snapshots...) does, nor can it write; a
    mart dbt rebuilds afterwards (a new table renamed in) stays readable."""
    import dataclasses

    from adbc_driver_manager import Error as DriverError

    from kizuna.bi import BI_ROLE
    from kizuna.transform import run_dbt
    from kizuna.warehouse import PostgresWarehouse, connection

    _, settings = postgres_built
    with connection(settings) as owner:
        tables = owner.query(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
    marts = sorted(t for s, t in tables if s == "marts")
    below = sorted((s, t) for s, t in tables if s != "marts")
    assert {"raw", "staging", "restricted", "quarantine", "audit", "snapshots"} <= {
        s for s, _ in below}

    def as_bi() -> PostgresWarehouse:
        return PostgresWarehouse(dataclasses.replace(
            settings.postgres, user=BI_ROLE, password=postgres_cluster.bi_password))

    def refused(bi: PostgresWarehouse, sql: str) -> bool:
        try:
            bi.query(sql)
        except DriverError as exc:
            assert "permission denied" in str(exc), exc
            return True
        return False

    bi = as_bi()
    try:
        rows = {t: bi.query(f'SELECT count(*) FROM marts."{t}"')[0][0] for t in marts}
        readable_below = [f"{s}.{t}" for s, t in below
                          if not refused(bi, f'SELECT 1 FROM "{s}"."{t}" LIMIT 1')]
        assert refused(bi, "CREATE TABLE marts.bi_probe (x integer)")
        assert refused(bi, "DELETE FROM marts.dim_leads")
    finally:
        bi.close()
    assert len(marts) > 30 and sum(rows.values()) > 10_000
    assert readable_below == []

    run_dbt(["run", "--select", "dim_persons"], settings, quiet=True)
    bi = as_bi()
    try:
        (persons,) = bi.query("SELECT count(*) FROM marts.dim_persons")[0]
    finally:
        bi.close()
    assert persons == rows["dim_persons"] > 0


def test_email_hashes_on_postgres_are_the_same_keyed_hash(postgres_built):
    """The macro person_hash gives on PostgreSQL what it gives on DuckDB (kizuna.bi)."""
    from kizuna.bi import person_hash
    from kizuna.warehouse import connection

    _, settings = postgres_built
    with connection(settings) as wh:
        sample = wh.query(
            "SELECT c.email, l.email_hash FROM restricted.restricted_lead_contacts c "
            "JOIN marts.dim_leads l USING (lead_id) WHERE c.email IS NOT NULL "
            "ORDER BY lead_id LIMIT 100")
    assert len(sample) == 100
    assert all(h == person_hash(e) for e, h in sample)
