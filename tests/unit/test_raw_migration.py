"""A warehouse made when amounts were whole numbers keeps cents after the upgrade."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kizuna.raw import ensure_raw_tables
from kizuna.warehouse import DuckDBWarehouse


def test_whole_number_amount_columns_become_decimals(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.crm_opportunities (opportunity_id VARCHAR, amount_jpy BIGINT)")
    con.execute("INSERT INTO raw.crm_opportunities VALUES ('O1', 1200)")
    con.close()
    wh = DuckDBWarehouse(db)
    try:
        ensure_raw_tables(wh)
        wh.execute("INSERT INTO raw.crm_opportunities (opportunity_id, amount_jpy) "
                   "VALUES ('O2', 1234.50)")
        rows = wh.query("SELECT opportunity_id, CAST(amount_jpy AS VARCHAR) "
                        "FROM raw.crm_opportunities ORDER BY 1")
    finally:
        wh.close()
    assert rows == [("O1", "1200.00"), ("O2", "1234.50")]
