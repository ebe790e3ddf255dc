"""How right the warehouse is, against the simulator's truth (DESIGN 3a), after each build.

On a simulated world (``KIZUNA_HOME/truth`` present) the build measures its identity
resolution against the truth and writes the figures to ``audit.simulation_accuracy``, one
row per metric per data date (the date the warehouse's data runs to): building the same
data again replaces that date's rows with the same figures, so a re-run leaves the same
tables. ``marts.kpi_identity_accuracy`` and ``kizuna summary`` read them. The lead metrics
are also split by identity match method in ``audit.simulation_accuracy_by_method`` (which
method loses precision, which leaves leads unlinked). On real data there is no truth
folder and nothing is measured.

On a world written as vendors' files the warehouse holds the vendors' lead ids
(``satori-...``); ``truth/lead_ids.csv`` (written beside the truth by the vendor writers,
:mod:`kizuna.simulator.vendors`) names the world's lead of each, and a lead it does not
name keeps its id. Every figure is then the same function of the truth on every path.

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
``person_pair_precision`` / ``person_pair_recall``
    Leads and CRM contacts -> persons (``intermediate.int_person_records``), pairwise: of
    the pairs of records the warehouse makes one person, how many are one true person
    (``person_id``); of the pairs of records of one true person, how many it puts
    together. Over the records the truth names (a vendor's contact ids that are not the
    world's are left out).
``person_pair_recall_same_company``
    The same recall over the pairs of one true person written at one company (a person
    who changed jobs is one true person over two companies, with nothing but a name in
    common).
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

SCHEMA, TABLE, BY_METHOD_TABLE = "audit", "simulation_accuracy", "simulation_accuracy_by_method"
#: Columns as the dbt on-run-start hook creates them (macros/accuracy_table.sql).
COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("data_date", pa.date32()), ("measured_at", pa.timestamp("us")), ("metric", pa.string()),
    ("numerator", pa.int64()), ("denominator", pa.int64()), ("value", pa.float64()))
BY_METHOD_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    *COLUMNS[:2], ("match_method", pa.string()), *COLUMNS[2:])
#: The vendors' lead ids -> the world's (truth folder; absent on the native path).
LEAD_IDS = "lead_ids.csv"


@dataclass(frozen=True)
class Measure:
    metric: str
    numerator: int
    denominator: int
    #: the identity match method of the leads counted (None: every lead)
    match_method: str | None = None

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def truth_dir(settings: Settings) -> Path | None:
    """The simulator's truth folder of this home, when there is one."""
    folder = settings.home / "truth"
    return folder if (folder / "lead_company.csv").is_file() else None


def measure(wh: Warehouse, truth: Path) -> list[Measure]:
    """Every metric of the module docstring, for the warehouse as built (the lead metrics
    once over every lead, then once per match method)."""
    con = duckdb.connect()
    try:
        con.register("built_leads", wh.query_arrow(
            "SELECT lead_id, account_id, account_key, match_method FROM marts.dim_leads"))
        con.register("lead_activities", wh.query_arrow(
            "SELECT lead_id, count(*) AS activities FROM staging.stg_ma__activities "
            "GROUP BY lead_id"))
        for name in ("lead_company", "account_company"):
            con.execute(f"CREATE TABLE truth_{name} AS SELECT * FROM read_csv("
                        f"{literal(str(truth / (name + '.csv')))}, all_varchar = true)")
        con.execute("CREATE TABLE truth_lead_ids (lead_id VARCHAR, world_lead_id VARCHAR)")
        if (truth / LEAD_IDS).is_file():
            con.execute(f"INSERT INTO truth_lead_ids SELECT lead_id, world_lead_id FROM "
                        f"read_csv({literal(str(truth / LEAD_IDS))}, all_varchar = true)")
        con.execute("""
            CREATE TABLE leads AS
            SELECT l.*, coalesce(m.world_lead_id, l.lead_id) AS world_lead_id
            FROM built_leads l
            LEFT JOIN (SELECT lead_id, min(world_lead_id) AS world_lead_id
                       FROM truth_lead_ids GROUP BY lead_id) m ON m.lead_id = l.lead_id""")
        con.register("built_person_records", wh.query_arrow(
            "SELECT record_type, record_id, person_key FROM intermediate.int_person_records"))
        return (_lead_account(con) + _activity_account(con) + _person_pairs(con)
                + _lead_account(con, by_method=True))
    finally:
        con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None  # an aggregate always returns a row
    return tuple(int(v) for v in row)


def _lead_account(con: duckdb.DuckDBPyConnection, by_method: bool = False) -> list[Measure]:
    """Lead -> CRM account precision and recall, over every lead or per match method (the
    per-method numerators and denominators add up to the overall ones)."""
    rows = con.execute(f"""
        SELECT {'l.match_method' if by_method else 'NULL'} AS match_method,
               count(l.account_id),
               count(*) FILTER (WHERE a.corporate_number = t.corporate_number),
               count(*) FILTER (WHERE t.corporate_number IN
                                (SELECT corporate_number FROM truth_account_company))
        FROM leads l
        JOIN truth_lead_company t
            ON t.record_type = 'ma_lead' AND t.record_id = l.world_lead_id
        LEFT JOIN truth_account_company a ON a.account_id = l.account_id
        {'GROUP BY 1 ORDER BY 1' if by_method else ''}""").fetchall()
    measures = []
    for method, linked, right, relevant in rows:
        measures += [Measure("lead_account_precision", int(right), int(linked), method),
                     Measure("lead_account_recall", int(right), int(relevant), method)]
    return measures


def _activity_account(con: duckdb.DuckDBPyConnection) -> list[Measure]:
    con.execute("""
        CREATE TABLE reach AS
        SELECT l.lead_id, l.account_key, nullif(t.corporate_number, '') AS true_company,
               coalesce(a.activities, 0) AS activities
        FROM leads l
        JOIN truth_lead_company t
            ON t.record_type = 'ma_lead' AND t.record_id = l.world_lead_id
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


def _person_pairs(con: duckdb.DuckDBPyConnection) -> list[Measure]:
    """Pairwise precision and recall of records -> persons against the truth's person_id
    (pairs counted per group: a group of n records holds n(n-1)/2 pairs)."""
    con.execute("""
        CREATE TABLE person_truth AS
        SELECT p.person_key, t.person_id, nullif(t.corporate_number, '') AS company
        FROM built_person_records p
        LEFT JOIN (SELECT lead_id, min(world_lead_id) AS world_lead_id
                   FROM truth_lead_ids GROUP BY lead_id) m
            ON p.record_type = 'ma_lead' AND m.lead_id = p.record_id
        JOIN truth_lead_company t
            ON t.record_type = p.record_type
            AND t.record_id = coalesce(m.world_lead_id, p.record_id)""")

    def pairs(*columns: str, where: str = "TRUE") -> int:
        (n,) = _one(con, f"""
            SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (
                SELECT count(*) AS n FROM person_truth WHERE {where}
                GROUP BY {', '.join(columns)})""")
        return n

    together, right = pairs("person_key"), pairs("person_key", "person_id")
    true_pairs = pairs("person_id")
    at_company = "company IS NOT NULL"
    return [Measure("person_pair_precision", right, together),
            Measure("person_pair_recall", right, true_pairs),
            Measure("person_pair_recall_same_company",
                    pairs("person_key", "person_id", "company", where=at_company),
                    pairs("person_id", "company", where=at_company))]


def _rows(measures: list[Measure], data_date: object, now: datetime,
          columns: tuple[tuple[str, pa.DataType], ...]) -> pa.Table:
    values = {"data_date": [data_date] * len(measures), "measured_at": [now] * len(measures),
              "match_method": [m.match_method for m in measures],
              "metric": [m.metric for m in measures],
              "numerator": [m.numerator for m in measures],
              "denominator": [m.denominator for m in measures],
              "value": [m.value for m in measures]}
    return pa.table({c: values[c] for c, _ in columns}, schema=pa.schema(columns))


def record(settings: Settings | None = None) -> list[Measure]:
    """Measure the built warehouse against the truth of this home and write the figures
    to ``audit.simulation_accuracy`` (and the lead metrics per match method to
    ``audit.simulation_accuracy_by_method``) in place of the same data date's; returns the
    overall figures, nothing (an empty list) without a truth folder."""
    s = settings or get_settings()
    truth = truth_dir(s)
    if truth is None:
        return []
    with connection(s) as wh:
        measured = measure(wh, truth)
        measures = [m for m in measured if m.match_method is None]
        by_method = [m for m in measured if m.match_method is not None]
        ((data_date,),) = wh.query("SELECT data_date FROM intermediate.int_data_date")
        now = datetime.now(UTC).replace(tzinfo=None)
        with wh.transaction():
            for table, rows, columns in ((TABLE, measures, COLUMNS),
                                         (BY_METHOD_TABLE, by_method, BY_METHOD_COLUMNS)):
                wh.execute(f"DELETE FROM {SCHEMA}.{table} WHERE data_date = ?", [data_date])
                wh.append_arrow(SCHEMA, table, _rows(rows, data_date, now, columns))
    for m in measures:
        log.info("against the truth: %s %s (%d / %d)", m.metric,
                 "n/a" if m.value is None else f"{m.value:.4f}", m.numerator, m.denominator)
    return measures
