"""Identity resolution (名寄せ) and effective dating checked against the simulator's truth,
at the demo's default scale (2,000 accounts, 21 months): built once for this module.

Read here as the build measured them (kizuna.accuracy, seed 42): lead -> account precision
and recall, per match method. Measured here: account -> company precision; the contact
history against truth/contact_history.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

# one worker builds the world once, and nothing else runs between its tests
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("default_world")]

# The CRM learns a change of title or department days after it happened (the simulated
# lag is geometric with a mean of 14 days): a contact-day counts as right when the
# history says what was true, or what was true until a change less than this many days
# before.
LAG_TOLERANCE_DAYS = 30


@pytest.fixture(scope="module")
def world(default_world):
    """The default world, loaded into DuckDB and built: (warehouse, truth folder, timings)."""
    return default_world


def connect(db: Path, truth: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    for name in ("lead_company", "account_company", "contact_history", "companies"):
        con.execute(f"CREATE TEMP TABLE truth_{name} AS "
                    f"SELECT * FROM read_csv('{truth / (name + '.csv')}', all_varchar = true)")
    return con


def lead_account_accuracy(con: duckdb.DuckDBPyConnection) -> dict:
    """Precision and recall of lead -> account as the build measured them (kizuna.accuracy:
    a link is right when the account is the company the person worked at when the lead
    was written; recall counts the leads whose company has a CRM account), overall
    (marts.kpi_identity_accuracy) and per match method (audit.simulation_accuracy_by_method)."""
    overall = {m: (n, d, v) for m, n, d, v in con.execute(
        "SELECT metric, numerator, denominator, value FROM marts.kpi_identity_accuracy "
        "WHERE metric LIKE 'lead_account_%'").fetchall()}
    (right, linked, precision) = overall["lead_account_precision"]
    (_, relevant, recall) = overall["lead_account_recall"]
    methods: dict[str, dict] = {}
    for method, metric, n, d, v in con.execute("""
            SELECT match_method, metric, numerator, denominator, value
            FROM audit.simulation_accuracy_by_method
            WHERE data_date = (SELECT max(data_date) FROM audit.simulation_accuracy_by_method)
            ORDER BY ALL""").fetchall():
        m = methods.setdefault(method, {})
        if metric == "lead_account_precision":
            m.update(right=n, linked=d, precision=v)
        else:
            m.update(relevant=d, recall=v)
    return {"linked": linked, "right": right, "relevant": relevant, "precision": precision,
            "recall": recall, "methods": methods}


def test_lead_to_account_precision_and_recall(world, record_property):
    db, truth, timings = world
    con = connect(db, truth)
    acc = lead_account_accuracy(con)
    con.close()
    record_property("lead_account_accuracy", json.dumps(acc))
    record_property("timings", json.dumps(timings))
    print(json.dumps({"lead_account": acc, "timings": timings}, indent=2, ensure_ascii=False))
    # measured 0.99870 / 0.96870 (seed 42; 0.99884 / 0.94652 before the person step and
    # the scanner look-alikes, 0.99883 / 0.94212 before name_legal_form)
    assert acc["precision"] >= 0.995
    assert acc["recall"] >= 0.96
    # the methods split the overall figures exactly
    assert sum(m["right"] for m in acc["methods"].values()) == acc["right"]
    assert sum(m["linked"] for m in acc["methods"].values()) == acc["linked"]
    assert sum(m["relevant"] for m in acc["methods"].values()) == acc["relevant"]
    # every method that links is itself precise
    for method, m in acc["methods"].items():
        if m["linked"] >= 20:
            assert m["precision"] >= 0.97, method


def test_every_company_is_an_account_and_activities_reach_it(world):
    """Accounts are companies (DESIGN 3b): the build measured itself against the truth
    (kizuna.accuracy, read back from marts.kpi_identity_accuracy), and the MA activities
    of leads whose true company exists reach that company's one ABM account, prospects
    included; the ABM accounts hold every CRM account and every company database record."""
    db, truth, _ = world
    con = connect(db, truth)
    recorded = {m: (n, d, v) for m, n, d, v in con.execute(
        "SELECT metric, numerator, denominator, value FROM marts.kpi_identity_accuracy"
    ).fetchall()}
    keys = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE crm_account_id IS NULL AND NOT is_customer),
               (SELECT count(*) FROM marts.dim_companies),
               count(*) FILTER (WHERE key_source = 'company_database'),
               (SELECT count(DISTINCT account_key) FROM marts.dim_accounts),
               count(*) FILTER (WHERE crm_account_count > 0)
        FROM marts.dim_abm_accounts""").fetchone()
    reached_prospects = con.execute("""
        SELECT count(*) FROM marts.dim_leads l JOIN marts.dim_abm_accounts a USING (account_key)
        WHERE a.crm_account_id IS NULL""").fetchone()[0]
    con.close()
    print(json.dumps({"recorded": recorded, "abm_accounts": keys,
                      "leads_at_prospects": reached_prospects}))
    precision = recorded["activity_account_precision"]
    recall = recorded["activity_account_recall"]
    assert recall[1] > 500_000  # the activities of leads whose true company exists
    assert precision[2] >= 0.99
    # measured 0.9704 (seed 42; 0.959 before the person step): the rest are leads whose
    # company name several companies share, or that match none, which resolution leaves
    # open rather than force; the goal is 0.97
    assert recall[2] >= 0.965
    total, prospects, companies, from_companies, crm_keys, with_crm = keys
    assert from_companies == companies and with_crm == crm_keys
    assert prospects > total / 2 and reached_prospects > 1_000


def test_account_to_company_links_are_right(world):
    db, truth, _ = world
    con = connect(db, truth)
    rows = con.execute("""
        SELECT m.match_method, count(*), count(m.corporate_number),
               count(*) FILTER (WHERE m.corporate_number = t.corporate_number)
        FROM intermediate.int_account_company_matches m
        JOIN truth_account_company t USING (account_id) GROUP BY 1""").fetchall()
    con.close()
    linked = sum(k for _, _, k, _ in rows)
    right = sum(r for *_, r in rows)
    assert right / linked >= 0.99
    assert linked / sum(n for _, n, _, _ in rows) >= 0.95


def test_check_digit_rejects_the_mistyped_corporate_numbers(world):
    from kizuna.simulator.corporate_number import is_valid

    db, truth, _ = world
    con = connect(db, truth)
    rows = con.execute("SELECT corporate_number, is_check_digit_valid "
                       "FROM intermediate.int_account_corporate_numbers").fetchall()
    con.close()
    assert any(not ok for _, ok in rows)  # the simulator mistypes some
    assert all(ok == is_valid(n) for n, ok in rows)


def test_ambiguous_leads_are_listed_not_linked(world):
    db, truth, _ = world
    con = connect(db, truth)
    forced, unlisted = con.execute("""
        SELECT count(*) FILTER (WHERE account_id IS NOT NULL),
               count(*) FILTER (WHERE lead_id NOT IN (
                   SELECT record_id FROM intermediate.int_ambiguous_matches
                   WHERE record_type = 'lead'))
        FROM marts.dim_leads WHERE match_method LIKE 'ambiguous%'
          AND match_method <> 'ambiguous_email'""").fetchone()
    (ambiguous,) = con.execute("SELECT count(*) FROM marts.dim_leads "
                               "WHERE match_method LIKE 'ambiguous%'").fetchone()
    con.close()
    assert ambiguous > 0
    assert forced == 0
    assert unlisted == 0


def test_contact_history_matches_the_true_careers(world):
    """Each recorded state is what was true when the CRM recorded it; and day by day,
    within the person's time at the contact's company, the history says what was true
    (allowing the CRM's lag after a change)."""
    db, truth, _ = world
    con = connect(db, truth)
    con.execute("""
        CREATE TEMP TABLE history AS
        SELECT h.contact_id, p.person_id, p.corporate_number, h.department, h.title,
               CAST(h.valid_from + INTERVAL 9 HOUR AS DATE) AS from_day,
               CAST(h.valid_to + INTERVAL 9 HOUR AS DATE) AS to_day
        FROM restricted.restricted_contacts_history h
        JOIN truth_lead_company p
          ON p.record_type = 'crm_contact' AND p.record_id = h.contact_id""")
    con.execute("""
        CREATE TEMP TABLE careers AS
        SELECT person_id, corporate_number, department, title,
               CAST(valid_from AS DATE) AS from_day, CAST(nullif(valid_to, '') AS DATE) AS to_day
        FROM truth_contact_history""")
    (versions, version_accuracy) = con.execute("""
        SELECT count(*), avg(CAST(c.department = h.department AND c.title = h.title AS INT))
        FROM history h LEFT JOIN careers c
          ON c.person_id = h.person_id AND c.from_day <= h.from_day
         AND (c.to_day IS NULL OR c.to_day > h.from_day)""").fetchone()
    (days, exact, tolerant) = con.execute(f"""
        WITH day_states AS (
            SELECT h.*, d.day
            FROM history h, (SELECT unnest(generate_series(
                (SELECT min(from_day) FROM history), (SELECT max(from_day) FROM history),
                INTERVAL 1 DAY))::DATE AS day) d
            WHERE d.day >= h.from_day AND (h.to_day IS NULL OR d.day < h.to_day)
        )
        SELECT count(*),
               avg(CAST(c.department = s.department AND c.title = s.title AS INT)),
               avg(CAST(c.department = s.department AND c.title = s.title
                        OR s.day - c.from_day < {LAG_TOLERANCE_DAYS} AS INT))
        FROM day_states s JOIN careers c
          ON c.person_id = s.person_id AND c.corporate_number = s.corporate_number
         AND c.from_day <= s.day AND (c.to_day IS NULL OR c.to_day > s.day)""").fetchone()
    con.close()
    print(json.dumps({"versions": versions, "version_accuracy": version_accuracy,
                      "contact_days": days, "day_accuracy": exact,
                      f"day_accuracy_{LAG_TOLERANCE_DAYS}d_lag": tolerant}))
    assert versions > 0 and days > 100_000
    assert version_accuracy >= 0.99
    assert exact >= 0.97
    assert tolerant >= 0.99


def test_good_customer_segment_agrees_with_truth(world):
    db, truth, _ = world
    con = connect(db, truth)
    (agreement, n) = con.execute("""
        SELECT avg(CAST(v.is_good_customer = (t.is_good_customer = 'true') AS INT)), count(*)
        FROM marts.kpi_customer_value v
        JOIN marts.dim_accounts a USING (account_id)
        JOIN truth_companies t ON t.corporate_number = a.corporate_number""").fetchone()
    con.close()
    assert n > 100
    assert agreement >= 0.95


def test_every_mart_is_filled(world, ml_scored_marts):
    """Every mart dbt builds has rows (the ML marts are filled by scoring: tests/ml)."""
    scored = ml_scored_marts
    db, truth, _ = world
    con = connect(db, truth)
    counts = {t: con.execute(f"SELECT count(*) FROM marts.{t}").fetchone()[0]
              for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = 'marts'").fetchall()}
    con.close()
    print(json.dumps(counts, indent=2))
    assert len(counts) > 20
    assert [t for t, n in counts.items() if n == 0 and t not in scored] == []
