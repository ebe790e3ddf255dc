"""The same SQL with ``?`` parameters gives the same results on DuckDB and on PostgreSQL.

The marts use the literal ``'?'`` as the unknown-industry marker, so a ``?`` inside a
string literal must stay text while the ``?`` beside it is a parameter, on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

TRICKY = 'it\'s a ?, a %s, a $1 and a "quote"'

#: One row per thing; every type the loader writes, with NULLs, '' and the '?' marker.
THINGS = pa.table({
    "id": pa.array([1, 2, 3, 4], pa.int32()),  # the table's column is BIGINT
    "name": ["株式会社テスト", TRICKY, "", None],
    "industry": ["?", "E", None, "E"],
    "born": pa.array([date(1990, 4, 1), date(2001, 12, 31), None, date(1970, 1, 1)]),
    "seen_at": pa.array([datetime(2026, 1, 5, 10, 0, 0, 123456), None,
                         datetime(2025, 12, 31, 23, 59, 59), datetime(2026, 1, 1)],
                        pa.timestamp("us")),
    "score": [1.5, None, -0.25, 3.0],
    "active": [True, False, None, True],
})
KINDS = {"id": "int", "name": "text", "industry": "text", "born": "date",
         "seen_at": "timestamp", "score": "float", "active": "bool"}


# --------------------------------------------------------------------------- placeholders


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT ?, ?", "SELECT $1, $2"),
    ("SELECT '?' AS marker, ? AS p", "SELECT '?' AS marker, $1 AS p"),
    ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
    ("SELECT E'\\'?', ?", "SELECT E'\\'?', $1"),
    ("SELECT $$ ? $$, $tag$ ? $tag$, ?", "SELECT $$ ? $$, $tag$ ? $tag$, $1"),
    ('SELECT "odd?name" FROM t WHERE a = ?', 'SELECT "odd?name" FROM t WHERE a = $1'),
    ("SELECT ? -- why?\n, /* a ? /* nested ? */ */ ?", "SELECT $1 -- why?\n, "
     "/* a ? /* nested ? */ */ $2"),
    ("SELECT '株式会社?', ?::text", "SELECT '株式会社?', $1::text"),
    ("SELECT ?2, ?1", "SELECT $2, $1"),
    ("SELECT $1, '?'", "SELECT $1, '?'"),
    ("SELECT '%s', 100 % 7", "SELECT '%s', 100 % 7"),
])
def test_only_parameters_are_numbered_for_postgres(sql, expected):
    from kizuna.warehouse import postgres_placeholders

    assert postgres_placeholders(sql) == expected


# --------------------------------------------------------------------------- both engines


@pytest.fixture
def engines(postgres_database, tmp_path, monkeypatch) -> Iterator[dict]:
    """A DuckDB file and a PostgreSQL database, each with an empty ``kz.things``."""
    from kizuna.warehouse import DuckDBWarehouse, connect

    for key, value in postgres_database.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    whs = {"duckdb": DuckDBWarehouse(tmp_path / "kizuna.duckdb"), "postgres": connect()}
    try:
        for wh in whs.values():
            cols = ", ".join(f'"{n}" {wh.sql_type(k)}' for n, k in KINDS.items())
            wh.execute("CREATE SCHEMA kz")
            wh.execute(f"CREATE TABLE kz.things ({cols})")
        yield whs
    finally:
        for wh in whs.values():
            wh.close()


def _on_both(engines: dict, call) -> object:
    """``call(wh)`` on each engine; asserts the results are equal and returns one."""
    results = {name: call(wh) for name, wh in engines.items()}
    assert results["postgres"] == results["duckdb"]
    return results["duckdb"]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_literal_question_mark_beside_parameters_means_the_same_on_both(engines):
    sql = """
        SELECT id, '?' AS unknown_marker,       -- the marts' unknown industry: text
               industry = '?' AS is_unknown,
               name = ? AS is_tricky,
               coalesce(name, ?) AS name_or_default,
               coalesce(?, industry) AS industry_or_null_param,
               born, seen_at
        FROM kz.things
        WHERE (industry = ? OR industry = '?' OR industry IS NULL)  /* '?' stays */
          AND coalesce(born, ?) >= ?
          AND (seen_at < ? OR seen_at IS NULL)
        ORDER BY id"""
    params = [TRICKY, "?%s'", None, "E", date(1980, 1, 1), date(1980, 1, 1),
              datetime(2026, 1, 5, 10, 0, 0, 123456)]
    for wh in engines.values():
        wh.append_arrow("kz", "things", THINGS)
    rows = _on_both(engines, lambda wh: wh.query(sql, params))
    assert rows == [
        (2, "?", False, True, TRICKY, "E", date(2001, 12, 31), None),
        (3, "?", None, False, "", None, None, datetime(2025, 12, 31, 23, 59, 59)),
    ]
    table = _on_both(engines, lambda wh: wh.query_arrow(sql, params))
    assert table.to_pylist()[0]["name_or_default"] == TRICKY


@pytest.mark.postgres
@pytest.mark.slow
def test_scalar_parameters_of_every_type_come_back_unchanged_on_both(engines):
    params = ["?", TRICKY, "", 42, -1.25, True, date(2026, 1, 5),
              datetime(2026, 1, 5, 10, 0, 0, 123456),
              datetime(2026, 1, 5, 1, 0, tzinfo=UTC), Decimal("12.50"), None]
    sql = ("SELECT ? AS q, ? AS s, ? AS e, ? AS i, ? AS f, ? AS b, ? AS d, ? AS ts, "
           "? AS tstz, CAST(? AS DECIMAL(10, 2)) AS n, CAST(? AS VARCHAR) AS null_text, "
           "'?' AS literal")
    (row,) = _on_both(engines, lambda wh: wh.query(sql, params))
    assert row == (*params, "?")


@pytest.mark.postgres
@pytest.mark.slow
def test_appended_arrow_reads_back_identically_on_both(engines):
    for wh in engines.values():
        wh.append_arrow("kz", "things", THINGS)
        wh.append_arrow("kz", "things", THINGS.slice(0, 0))  # nothing to add: no error
    table = _on_both(engines, lambda wh: wh.query_arrow("SELECT * FROM kz.things ORDER BY id"))
    expected = THINGS.set_column(0, "id", THINGS.column("id").cast(pa.int64()))
    assert table.equals(expected)
    picked = _on_both(engines, lambda wh: wh.query_arrow(
        "SELECT id, name FROM kz.things WHERE name = ? OR industry = '?' ORDER BY id", [TRICKY]))
    assert picked.to_pylist() == [{"id": 1, "name": "株式会社テスト"}, {"id": 2, "name": TRICKY}]


@pytest.mark.postgres
@pytest.mark.slow
def test_sums_and_decimals_read_as_decimals_on_both(engines):
    for wh in engines.values():
        wh.append_arrow("kz", "things", THINGS)
    sql = "SELECT sum(id) AS total, CAST(sum(score) AS DECIMAL(10, 2)) AS score FROM kz.things"
    assert _on_both(engines, lambda wh: wh.query(sql)) == [(10, Decimal("4.25"))]
    types = {name: [f.type for f in wh.query_arrow(sql).schema] for name, wh in engines.items()}
    assert all(pa.types.is_decimal(t) for ts in types.values() for t in ts), types


@pytest.mark.postgres
@pytest.mark.slow
def test_a_failed_transaction_leaves_nothing_on_both(engines):
    for wh in engines.values():
        with pytest.raises(RuntimeError, match="stop"), wh.transaction():
            wh.append_arrow("kz", "things", THINGS)
            wh.execute("UPDATE kz.things SET name = ? WHERE industry = '?'", ["changed"])
            raise RuntimeError("stop")
        with wh.transaction():
            wh.append_arrow("kz", "things", THINGS.slice(0, 1))
    assert _on_both(engines, lambda wh: wh.query("SELECT id, name FROM kz.things")) == [
        (1, "株式会社テスト")]
