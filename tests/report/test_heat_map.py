"""The cross-sell heat map in a real browser, on a warehouse that holds only its mart.

Whether a small world's cross-sell model beats popularity (and so scores) depends on the
world; here the mart is written directly, so the heat map is always drawn and checked:
one cell per account and product, 'owned' and 'included' where they are. The sections
whose marts are missing say so.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from report.browser import open_page

pytestmark = pytest.mark.xdist_group("report")

PRODUCTS = [("P1", "クラウド会計"), ("P2", "経費精算"), ("P3", "導入支援")]
ACCOUNTS = [("A1", "株式会社さくら商事"), ("A2", "富士精機株式会社"), ("A3", "みなと物流")]
#: account -> product -> the matrix cell (a score, 'owned' or 'included').
CELLS = {"A1": {"P1": "owned", "P2": "87", "P3": "included"},
         "A2": {"P1": "64", "P2": "12", "P3": "40"},
         "A3": {"P1": "owned", "P2": "owned", "P3": "5"}}

MARKS = """(() => {
  const chart = document.querySelector('#cross_sell .chart');
  return {
    drawn: Number(document.body.dataset.chartsDrawn),
    rects: chart.querySelectorAll('svg g.mark-rect.role-mark > path').length,
    labels: [...chart.querySelectorAll('svg g.mark-text.role-mark > text')]
      .map(t => t.textContent).sort(),
    absent: [...document.querySelectorAll('section[data-absent]')].map(s => s.id).sort(),
  };
})()"""


def write_mart(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.mart_cross_sell_matrix (
        account_id VARCHAR, account_name VARCHAR, product_id VARCHAR, product_name VARCHAR,
        product_family VARCHAR, cross_sell_score DOUBLE, matrix_cell VARCHAR,
        product_rank INTEGER)""")
    names = dict(ACCOUNTS)
    for account, cells in CELLS.items():
        scores = sorted((float(c) for c in cells.values() if c.isdigit()), reverse=True)
        for product, product_name in PRODUCTS:
            cell = cells[product]
            score = float(cell) if cell.isdigit() else None
            con.execute("INSERT INTO marts.mart_cross_sell_matrix VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [account, names[account], product, product_name, "platform", score,
                         cell, None if score is None else scores.index(score) + 1])
    con.close()


def test_the_heat_map_draws_one_cell_per_account_and_product(tmp_path, monkeypatch):
    from kizuna.report import write_report
    from kizuna.settings import get_settings

    monkeypatch.setenv("KIZUNA_HOME", str(tmp_path))
    monkeypatch.delenv("KIZUNA_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("KIZUNA_REPORTS", raising=False)
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "duckdb")
    write_mart(get_settings().duckdb_path)

    result = write_report()
    assert "cross_sell" not in result.absent
    assert all("is not in the warehouse yet" in why for why in result.absent.values())
    page = open_page(result.path, MARKS)
    assert page.errors == []
    seen = page.value
    assert seen["drawn"] == 1
    cells = [c for row in CELLS.values() for c in row.values()]
    assert seen["rects"] == len(cells)  # grey for owned and included, coloured for scores
    assert seen["labels"] == sorted(cells)
    assert seen["absent"] == sorted(result.absent)
