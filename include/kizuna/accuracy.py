"""How right the warehouse is, against the simulator's truth (DESIGN 3a), after each build.

On a simulated world (``KIZUNA_HOME/truth`` present) the build measures its identity
resolution against the truth and writes the figures to ``audit.simulation_accuracy``, one
row per metric per data date (the date the warehouse's data runs to): building the same
data again replaces that date's rows with the same figures, so a re-run leaves the same
tables. ``marts.kpi_identity_accuracy`` and ``kizuna summary`` read them. On real data
there is no truth folder and nothing is measured.

Metrics (a numerator over a denominator each):

``lead_account_precision`` / ``lead_account_recall``
    Lead -> CRM account (``dim_leads.account_id``): right when the account is one of the
    company the person worked at when the lead was written; recall over the leads whose
    company has a CRM account.
``activity_account_precision`` / ``activity_account_recall``
    MA activities -> ABM account (``dim_leads.account_key``, customer or prospect): right
    when the key is *the* account of the lead's true company (the key holding most of that
    company's activities, so a company split over two keys counts once); recall over the
    activities of leads whose true company exists.
``abm_accounts_split``
    True companies whose leads went to more than one ABM account (over those reached).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from kizuna.identifiers import literal
from kizuna.settings import Settings, get_settings
from kizuna.warehouse import Warehouse, connection

log = logging.getLogger(__name__)

SCHEMA, TABLE = "audit", "simulation_accuracy"
#: Columns as the dbt on-run-start hook creates them (macros/accuracy_table.sql).
COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("data_date", pa.date32()), ("measured_at", pa.timestamp("us")), ("metric", pa.string()),
    ("numerator", pa.int64()), ("denominator", pa.int64()), ("value", pa.float64()))


@dataclass(frozen=True)
class Measure:
    metric: str
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def truth_dir(settings: Settings) -> Path | None:
    """The simulator's truth folder of this home, when there is one."""
    folder = settings.home / "truth"
    return folder if (folder / "lead_company.csv").is_file() else None


def measure(wh: Warehouse, truth: Path) -> list[Measure]:
    """Every metric of the module docstring, for the warehouse as built."""
    con = duckdb.connect()
    try:
        con.register("leads", wh.query_arrow(
            "SELECT lead_id, account_id, account_key FROM marts.dim_leads"))
        con.register("lead_activities", wh.query_arrow(
            "SELECT lead_id, count(*) AS activities FROM staging.stg_ma__activities "
            "GROUP BY lead_id"))
        for name in ("lead_company", "account_company"):
            con.execute(f"CREATE TABLE truth_{name} AS SELECT * FROM read_csv("
                        f"{literal(str(truth / (name + '.csv')))}, all_varchar = true)")
        return _lead_account(con) + _activity_account(con)
    finally:
        con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None  # an aggregate always returns a row
    return tuple(int(v) for v in row)


def _lead_account(con: duckdb.DuckDBPyConnection) -> list[Measure]:
    linked, right, relevant = _one(con, """
        SELECT count(l.account_id),
               count(*) FILTER (WHERE a.corporate_number = t.corporate_number),
               count(*) FILTER (WHERE t.corporate_number IN
                                (SELECT corporate_number FROM truth_account_company))
        FROM leads l
        JOIN truth_lead_company t ON t.record_type = 'ma_lead' AND t.record_id = l.lead_id
        LEFT JOIN truth_account_company a ON a.account_id = l.account_id""")
    return [Measure("lead_account_precision", right, linked),
            Measure("lead_account_recall", right, relevant)]


def _activity_account(con: duckdb.DuckDBPyConnection) -> list[Measure]:
    con.execute("""
        CREATE TABLE reach AS
        SELECT l.lead_id, l.account_key, nullif(t.corporate_number, '') AS true_company,
               coalesce(a.activities, 0) AS activities
        FROM leads l
        JOIN truth_lead_company t ON t.record_type = 'ma_lead' AND t.record_id = l.lead_id
        LEFT JOIN lead_activities a USING (lead_id)""")
    # the true company of each key: the corporate number itself, the CRM account's company,
    # or (a company known from its leads only) the company most of its activities are at
    con.execute("""
        CREATE TABLE key_company AS
        SELECT account_key,
               CASE WHEN regexp_full_match(account_key, '[0-9]{13}') THEN account_key
                    WHEN account_key LIKE 'crm:%' THEN any_value(a.corporate_number)
                    ELSE arg_max(r.true_company, r.activities) END AS company
        FROM reach r
        LEFT JOIN truth_account_company a ON 'crm:' || a.account_id = r.account_key
        WHERE account_key IS NOT NULL GROUP BY account_key""")
    con.execute("""
        CREATE TABLE company_key AS
        SELECT k.company, arg_max(k.account_key, r.activities) AS account_key,
               count(DISTINCT k.account_key) AS keys
        FROM key_company k JOIN (SELECT account_key, sum(activities) AS activities
                                 FROM reach GROUP BY 1) r USING (account_key)
        WHERE k.company IS NOT NULL GROUP BY k.company""")
    keyed, right, relevant = _one(con, """
        SELECT coalesce(sum(r.activities) FILTER (WHERE r.account_key IS NOT NULL), 0),
               coalesce(sum(r.activities) FILTER (WHERE c.account_key = r.account_key), 0),
               coalesce(sum(r.activities), 0)
        FROM reach r LEFT JOIN company_key c ON c.company = r.true_company
        WHERE r.true_company IS NOT NULL""")
    split, reached = _one(
        con, "SELECT count(*) FILTER (WHERE keys > 1), count(*) FROM company_key")
    return [Measure("activity_account_precision", right, keyed),
            Measure("activity_account_recall", right, relevant),
            Measure("abm_accounts_split", split, reached)]


def record(settings: Settings | None = None) -> list[Measure]:
    """Measure the built warehouse against the truth of this home and write the figures
    to ``audit.simulation_accuracy`` in place of the same data date's; nothing (an empty
    list) without a truth folder."""
    s = settings or get_settings()
    truth = truth_dir(s)
    if truth is None:
        return []
    with connection(s) as wh:
        measures = measure(wh, truth)
        ((data_date,),) = wh.query("SELECT data_date FROM intermediate.int_data_date")
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = pa.table({
            "data_date": [data_date] * len(measures),
            "measured_at": [now] * len(measures),
            "metric": [m.metric for m in measures],
            "numerator": [m.numerator for m in measures],
            "denominator": [m.denominator for m in measures],
            "value": [m.value for m in measures]}, schema=pa.schema(COLUMNS))
        with wh.transaction():
            wh.execute(f"DELETE FROM {SCHEMA}.{TABLE} WHERE data_date = ?", [data_date])
            wh.append_arrow(SCHEMA, TABLE, rows)
    for m in measures:
        log.info("against the truth: %s %s (%d / %d)", m.metric,
                 "n/a" if m.value is None else f"{m.value:.4f}", m.numerator, m.denominator)
    return measures
