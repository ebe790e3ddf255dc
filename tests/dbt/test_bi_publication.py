"""BI tools read the marts, without personal data, from a DuckDB file of their own.

On the session's built small world: each build publishes ``bi.duckdb`` beside the
pipeline's warehouse (kizuna.bi). It must hold every mart, nothing below the marts, and no
e-mail address, name or phone number anywhere; people are joined by a keyed hash.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("small_world_duckdb")]

#: Column names that would carry personal data in clear.
PERSONAL_COLUMNS = {"email", "last_name", "first_name", "phone", "department", "title",
                    "job_title"}
#: An e-mail address anywhere in a text value.
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


def relations(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """schema -> tables and views of the connection's own database."""
    found: dict[str, set[str]] = {}
    for schema, table in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database()").fetchall():
        found.setdefault(schema, set()).add(table)
    return found


@pytest.fixture(scope="module")
def bi_file(small_world_built) -> Path:
    path = small_world_built.warehouse.with_name("bi.duckdb")
    assert path.exists(), "the build publishes the marts to bi.duckdb"
    return path


def test_the_bi_file_holds_every_mart_and_nothing_below_them(small_world_built, bi_file):
    with duckdb.connect(str(small_world_built.warehouse), read_only=True) as pipeline:
        pipeline_relations = relations(pipeline)
        marts = pipeline_relations["marts"]
        rows = {t: pipeline.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0]
                for t in marts}
    # the pipeline's own file does hold what BI must not see
    assert {"raw", "staging", "restricted", "quarantine", "audit"} <= set(pipeline_relations)
    with duckdb.connect(str(bi_file), read_only=True) as bi:
        published = relations(bi)
        assert set(published) == {"marts"}
        assert published["marts"] == marts
        assert {t: bi.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0]
                for t in marts} == rows
        # dbt's descriptions travel with the tables, for the BI tool to show
        (described,) = bi.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE comment IS NOT NULL").fetchone()
    assert {"dim_leads", "dim_persons", "dim_contacts_history", "kpi_abm_funnel",
            "mart_account_scores"} <= marts
    assert sum(rows.values()) > 10_000
    assert described > len(marts) // 2


def test_no_email_name_or_phone_anywhere_in_the_bi_file(small_world_built, bi_file):
    with duckdb.connect(str(small_world_built.warehouse), read_only=True) as pipeline:
        people = pipeline.execute(
            "SELECT email, phone FROM restricted.restricted_lead_contacts").fetchall()
        emails = {e for e, _ in people if e}
        phones = {p for _, p in people if p}
    assert len(emails) > 500 and len(phones) > 100
    with duckdb.connect(str(bi_file), read_only=True) as bi:
        columns = bi.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts'").fetchall()
        assert {c for _, c, _ in columns} & PERSONAL_COLUMNS == set()
        found: dict[str, int] = {}
        texts = [(t, c) for t, c, kind in columns if kind == "VARCHAR"]
        for table, column in texts:
            (n,) = bi.execute(
                f'SELECT count(*) FROM marts."{table}" WHERE regexp_matches("{column}", ?) '
                f'OR "{column}" IN (SELECT unnest(?))', [EMAIL, sorted(phones)]).fetchone()
            if n:
                found[f"{table}.{column}"] = n
        hashed = bi.execute("SELECT count(*), count(DISTINCT email_hash) FROM marts.dim_leads "
                            "WHERE email_hash IS NOT NULL").fetchone()
    assert len(texts) > 100
    assert found == {}
    assert hashed[0] > 500 and hashed[1] > 500
    # nor the hash key, nor an address stored uncompressed: not in the file's bytes either
    content = bi_file.read_bytes()
    from kizuna.bi import DEMO_HASH_SECRET

    assert DEMO_HASH_SECRET.encode() not in content
    assert [e for e in emails if e.encode() in content] == []


def test_a_person_is_joined_by_a_keyed_hash_of_the_normalised_email(small_world_built, bi_file):
    """email_hash is the SHA-256 of the secret and the normalised address (kizuna.bi), the
    same for a lead, its CRM contact and its person; not the plain hash of the address."""
    import hashlib

    from kizuna.bi import person_hash

    with duckdb.connect(str(small_world_built.warehouse), read_only=True) as pipeline:
        sample = pipeline.execute(
            "SELECT c.email, l.email_hash FROM restricted.restricted_lead_contacts c "
            "JOIN marts.dim_leads l USING (lead_id) WHERE c.email IS NOT NULL "
            "ORDER BY lead_id LIMIT 200").fetchall()
    with duckdb.connect(str(bi_file), read_only=True) as bi:
        (shared,) = bi.execute("""
            SELECT count(*) FROM marts.dim_leads l
            JOIN marts.dim_contacts_history h
              ON l.contact_id = h.contact_id AND h.is_current
            WHERE l.email_hash = h.email_hash""").fetchone()
        (persons,) = bi.execute("""
            SELECT count(*) FROM marts.dim_persons p
            JOIN marts.dim_leads l ON p.email_hash = l.email_hash""").fetchone()
    assert len(sample) == 200
    assert all(h == person_hash(e) for e, h in sample)
    assert all(h != hashlib.sha256(e.encode()).hexdigest() for e, h in sample)
    assert person_hash(f"  {sample[0][0].upper()} ") == sample[0][1]
    assert shared > 50 and persons > 500


def test_publishing_again_swaps_the_file_whole(small_world_copy: Path):
    """A BI tool that has the old file open keeps reading it whole; the next to open it sees
    the new publication; no partial file is left behind."""
    from kizuna.bi import bi_database_path, publish

    first = publish()
    path = bi_database_path()
    assert first.target == str(path) and path.parent == small_world_copy.parent
    reader = duckdb.connect(str(path), read_only=True)
    try:
        before = reader.execute("SELECT count(*) FROM marts.dim_leads").fetchone()[0]
        with duckdb.connect(str(small_world_copy)) as pipeline:
            pipeline.execute("DELETE FROM marts.dim_leads WHERE lead_id IN "
                             "(SELECT lead_id FROM marts.dim_leads ORDER BY lead_id LIMIT 7)")
        second = publish()
        # the open file is the old one, still whole
        assert reader.execute("SELECT count(*) FROM marts.dim_leads").fetchone()[0] == before
    finally:
        reader.close()
    with duckdb.connect(str(path), read_only=True) as bi:
        assert bi.execute("SELECT count(*) FROM marts.dim_leads").fetchone()[0] == before - 7
    assert second.tables["marts.dim_leads"] == before - 7
    assert sorted(p.name for p in path.parent.iterdir() if "bi.duckdb" in p.name) == [
        "bi.duckdb"]

