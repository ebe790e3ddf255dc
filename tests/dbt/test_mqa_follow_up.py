"""Marketing operations' marts (MQA follow-up, owner and territory, lead cohorts) on the
demo's default world, recomputed here from the facts they are built on, in Python rather
than SQL, so a slip in the dbt models shows up as a difference.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
import yaml

from kizuna.settings import DBT_PROJECT_DIR, business_timezone, timezone_name

# the default world is built once per worker; its tests share one worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("default_world")]


@pytest.fixture(scope="module")
def con(default_world) -> duckdb.DuckDBPyConnection:
    db, _truth, _timings = default_world
    connection = duckdb.connect(str(db), read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def day_end_utc(day: date) -> datetime:
    """The UTC instant (naive) at which the business date ``day`` ends."""
    local = datetime.combine(day + timedelta(days=1), time(), tzinfo=business_timezone())
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def owner_on(history: pd.DataFrame, account_id: str, day: date) -> str:
    """The account's owner at the end of ``day``; its first recorded owner before that."""
    rows = history[history["account_id"] == account_id].sort_values("valid_from")
    if rows.empty:
        return "unassigned"
    at = day_end_utc(day)
    valid = rows[(rows["valid_from"] <= at) & (rows["valid_to"].isna() | (rows["valid_to"] > at))]
    owner = (valid if len(valid) else rows.head(1))["owner"].iloc[0]
    return owner or "unassigned"


def first_engaged_on(days: list[date], qualified_on: date, not_before: date | None,
                     silence_days: int) -> date:
    """Walk back from the qualification through engagement days until a silence longer
    than ``silence_days`` (or the end of the previous MQA episode)."""
    before = sorted(d for d in days if d <= qualified_on)
    start = before[-1]
    for earlier in reversed(before[:-1]):
        if (start - earlier).days > silence_days:
            break
        start = earlier
    if not_before is not None:
        later = [d for d in before if d >= max(start, not_before)]
        if later:
            return later[0]
    return start


@pytest.fixture(scope="module")
def recomputed(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every MQA of the busiest owner, measured from fct_mqa_events, the account history,
    CRM activities, opportunities and the mqa_sla seed. MQAs are ABM accounts (customers
    and prospects, account_key); owners come from their primary CRM account (account_id,
    unassigned for a prospect), deals through dim_abm_accounts."""
    (data_date,) = con.execute("SELECT data_date FROM intermediate.int_data_date").fetchone()
    sla = dict(con.execute("SELECT sla, days FROM seeds.mqa_sla").fetchall())
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    silence_days = project["vars"]["engagement_window_days"]
    mqa = frame(con, "SELECT account_key, account_id, qualified_on, disqualified_on "
                     "FROM marts.fct_mqa_events")
    history = frame(con, "SELECT account_id, owner, valid_from, valid_to "
                         "FROM marts.dim_accounts_history")
    mqa["qualified_on"] = pd.to_datetime(mqa["qualified_on"]).dt.date
    mqa["disqualified_on"] = pd.to_datetime(mqa["disqualified_on"]).dt.date
    mqa["owner"] = [owner_on(history, a, d)
                    for a, d in zip(mqa["account_id"], mqa["qualified_on"], strict=True)]
    owner = mqa["owner"].value_counts().index[0]
    mine = mqa.sort_values(["account_key", "qualified_on"]).copy()
    mine["previous_disqualified_on"] = mine.groupby("account_key")["disqualified_on"].shift()
    mine = mine[mine["owner"] == owner]
    accounts = "', '".join(sorted(set(mine["account_key"])))
    touches = frame(con, f"""
        SELECT account_key, occurred_on FROM marts.fct_activities
        WHERE source = 'crm' AND account_key IN ('{accounts}')""")
    deals = frame(con, f"""
        SELECT a.account_key, o.created_on FROM marts.fct_opportunities o
        JOIN marts.dim_abm_accounts a ON o.primary_account_id = a.crm_account_id
        WHERE a.account_key IN ('{accounts}')""")
    engaged = frame(con, f"""
        SELECT DISTINCT e.account_key, e.activity_date
        FROM marts.fct_account_engagement_daily e
        JOIN seeds.activity_weights w USING (source, activity_type)
        WHERE w.is_engagement AND e.account_key IN ('{accounts}')""")
    for df, col in ((touches, "occurred_on"), (deals, "created_on"), (engaged, "activity_date")):
        df[col] = pd.to_datetime(df[col]).dt.date

    rows = []
    for m in mine.itertuples():
        q = m.qualified_on
        prev = m.previous_disqualified_on if isinstance(m.previous_disqualified_on, date) else None
        after = sorted(touches.loc[(touches["account_key"] == m.account_key)
                                   & (touches["occurred_on"] > q), "occurred_on"])
        opps = sorted(deals.loc[(deals["account_key"] == m.account_key)
                                & (deals["created_on"] > q), "created_on"])
        days = list(engaged.loc[engaged["account_key"] == m.account_key, "activity_date"])
        touch_due = q + timedelta(days=sla["first_touch"])
        opp_due = q + timedelta(days=sla["opportunity"])
        touched = after[0] if after else None
        opp = opps[0] if opps else None
        rows.append({
            "owner": owner, "month": q.replace(day=1),
            "days_to_mqa": (q - first_engaged_on(days, q, prev, silence_days)).days,
            "days_to_first_touch": (touched - q).days if touched else None,
            "touch_decided": touched is not None or data_date >= touch_due,
            "touch_in_sla": touched is not None and touched <= touch_due,
            "days_to_opportunity": (opp - q).days if opp else None,
            "opp_decided": opp is not None or data_date >= opp_due,
            "opp_in_sla": opp is not None and opp <= opp_due,
        })
    return pd.DataFrame(rows)


def test_one_owners_follow_up_matches_an_independent_count(con, recomputed, record_property):
    owner = recomputed["owner"].iloc[0]
    published = frame(con, f"""
        SELECT * FROM marts.kpi_mqa_follow_up_by_owner WHERE owner = '{owner}'
        ORDER BY month""").set_index("month")
    published.index = pd.to_datetime(published.index).date
    assert len(recomputed) >= 10, "the busiest owner should have a few MQAs to check"
    assert set(published.index) == set(recomputed["month"])
    for month, mine in recomputed.groupby("month"):
        row = published.loc[month]
        touched = mine["days_to_first_touch"].dropna()
        opps = mine["days_to_opportunity"].dropna()
        assert row["mqas"] == len(mine)
        assert row["touched_mqas"] == len(touched)
        assert row["first_touch_due_mqas"] == mine["touch_decided"].sum()
        assert row["touched_within_sla_mqas"] == mine["touch_in_sla"].sum()
        assert row["opportunity_due_mqas"] == mine["opp_decided"].sum()
        assert row["opportunity_within_sla_mqas"] == mine["opp_in_sla"].sum()
        assert row["median_days_to_mqa"] == pytest.approx(median(mine["days_to_mqa"]), abs=0.06)
        if len(touched):
            assert row["median_days_to_first_touch"] == pytest.approx(median(touched), abs=0.06)
            assert row["avg_days_to_first_touch"] == pytest.approx(touched.mean(), abs=0.06)
        if len(opps):
            assert row["median_days_to_opportunity"] == pytest.approx(median(opps), abs=0.06)
    record_property("owner_follow_up", json.dumps({
        "owner": owner, "mqas": len(recomputed),
        "touched_within_sla": int(recomputed["touch_in_sla"].sum()),
        "touch_decided": int(recomputed["touch_decided"].sum())}, ensure_ascii=False))


def test_open_sla_windows_are_neither_kept_nor_missed(con):
    (data_date,) = con.execute("SELECT data_date FROM intermediate.int_data_date").fetchone()
    bad = con.execute("""
        SELECT count(*) FROM marts.kpi_mqa_follow_up
        WHERE (is_first_touch_window_open
               AND (is_first_touch_within_sla IS NOT NULL OR first_touch_due_on <= ?))
           OR (is_first_touch_within_sla = false AND first_touch_due_on > ?)
           OR (is_opportunity_window_open
               AND (is_opportunity_within_sla IS NOT NULL OR opportunity_due_on <= ?))
           OR (is_opportunity_within_sla = false AND opportunity_due_on > ?)""",
                      [data_date] * 4).fetchone()
    assert bad == (0,)
    decided, missed = con.execute("""
        SELECT count(is_first_touch_within_sla), count(*) FILTER (NOT is_first_touch_within_sla)
        FROM marts.kpi_mqa_follow_up""").fetchone()
    assert 0 < missed < decided  # the world has both kinds


def test_owner_territory_adds_up_to_the_book_and_the_pipeline(con):
    book = con.execute("""
        SELECT t.month, t.accounts_owned, b.accounts
        FROM (SELECT month, sum(accounts_owned) AS accounts_owned
              FROM marts.kpi_owner_territory GROUP BY month) t
        FULL JOIN (SELECT month, count(*) AS accounts FROM intermediate.int_account_tiers_monthly
                   GROUP BY month) b USING (month)
        WHERE t.accounts_owned IS DISTINCT FROM b.accounts""").fetchall()
    assert book == []
    territory, pipeline = con.execute("""
        SELECT (SELECT sum(pipeline_created_jpy) FROM marts.kpi_owner_territory),
               (SELECT sum(o.amount_jpy) FROM marts.fct_opportunities o
                JOIN marts.dim_abm_accounts a ON a.crm_account_id = o.primary_account_id
                JOIN intermediate.int_account_tiers_monthly m
                  ON m.account_key = a.account_key AND m.month = o.created_month)
        """).fetchone()
    assert territory == pipeline > 0
    regions = con.execute("SELECT count(DISTINCT region) FROM marts.kpi_owner_territory "
                          "WHERE region <> 'unknown'").fetchone()
    assert regions[0] >= 3


def test_a_lead_cohort_counts_what_its_leads_became(con):
    """The 90-day window of the oldest mature cohort, counted again lead by lead."""
    (data_date,) = con.execute("SELECT data_date FROM intermediate.int_data_date").fetchone()
    leads = con.execute("""
        SELECT l.lead_id, m.primary_account_id AS account_id,
               cast(timezone(?, timezone('UTC', l.created_at)) AS date) AS created_on
        FROM marts.dim_leads l
        LEFT JOIN intermediate.int_account_company_matches m USING (account_id)
        WHERE l.created_at IS NOT NULL""", [timezone_name()]).df()
    leads["created_on"] = pd.to_datetime(leads["created_on"]).dt.date
    (first_activity,) = con.execute("SELECT min(occurred_on) FROM marts.fct_activities").fetchone()
    leads = leads[leads["created_on"] >= first_activity.replace(day=1)]
    leads["cohort"] = [d.replace(day=1) for d in leads["created_on"]]
    mature = leads[[(data_date - d).days >= 90 for d in leads["created_on"]]]
    sizes = mature["cohort"].value_counts()
    cohorts = sorted(sizes[sizes >= 20].index)
    cohort = cohorts[len(cohorts) // 2]
    mine = mature[mature["cohort"] == cohort]
    deals = frame(con, "SELECT primary_account_id AS account_id, created_on "
                       "FROM marts.fct_opportunities WHERE primary_account_id IS NOT NULL")
    deals["created_on"] = pd.to_datetime(deals["created_on"]).dt.date
    by_account = deals.groupby("account_id")["created_on"].apply(list).to_dict()
    converted = sum(
        any(lead.created_on <= d <= lead.created_on + timedelta(days=90)
            for d in by_account.get(lead.account_id, []))
        for lead in mine.itertuples())
    row = frame(con, f"""
        SELECT * FROM marts.kpi_lead_cohorts
        WHERE cohort_month = DATE '{cohort}' AND window_days = 90""").iloc[0]
    assert row["leads"] == (leads["cohort"] == cohort).sum()
    assert row["mature_leads"] == len(mine)
    assert row["opportunity_leads"] == converted
    assert 0 < row["opportunity_rate"] < 1
