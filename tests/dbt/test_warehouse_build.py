"""dbt builds the warehouse from a loaded small world, and its tests pass."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("small_world_duckdb")]


@pytest.fixture
def built(small_world_built, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list]:
    """The session's built small world (read only; dbt compiles against it): its warehouse
    file and dbt's results."""
    for key, value in small_world_built.environment().items():
        monkeypatch.setenv(key, value)
    return small_world_built.warehouse, small_world_built.results


def test_dbt_build_passes_every_test(built):
    _, results = built
    assert results
    failed = [r for r in results if r.status not in ("success", "pass", "no-op")]
    assert failed == []
    assert sum(r.status == "pass" for r in results) > 100


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


def test_rows_of_a_rejected_batch_never_reach_staging(small_world_copy):
    db = small_world_copy  # the batch is rejected in a copy of the warehouse
    con = duckdb.connect(str(db))
    (batch, _rows) = con.execute(
        "SELECT _batch_id, count(*) FROM raw.ma_leads GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    (before,) = con.execute("SELECT count(*) FROM staging.stg_ma__leads").fetchone()
    con.execute("UPDATE audit.load_batches SET status = 'rejected' WHERE batch_id = ?", [batch])
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    (after,) = con.execute("SELECT count(*) FROM staging.stg_ma__leads").fetchone()
    (left,) = con.execute("SELECT count(*) FROM staging.stg_ma__leads WHERE batch_id = ?",
                          [batch]).fetchone()
    con.close()
    assert left == 0
    assert after < before


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


def compile_inline(sql: str) -> str:
    """The SQL dbt compiles ``sql`` (Jinja with the project's macros) to."""
    from dbt.cli.main import dbtRunner

    from kizuna.settings import DBT_PROJECT_DIR
    from kizuna.transform import dbt_target_folder, release_dbt_connections

    # a folder of its own: dbt_project/target holds only the manifest the DAGs read
    with dbt_target_folder() as target:
        try:
            res = dbtRunner().invoke(["--quiet", "compile", "--inline", sql, "--project-dir",
                                      str(DBT_PROJECT_DIR), "--profiles-dir",
                                      str(DBT_PROJECT_DIR), "--target-path", str(target)])
        finally:
            release_dbt_connections()
    assert res.success, res.exception
    return res.result.results[0].node.compiled_code


def test_check_digit_macro_agrees_with_the_reference_implementation(built):
    import random

    from kizuna.simulator.corporate_number import is_valid, make

    rng = random.Random(3)
    numbers = []
    for _ in range(200):
        good = make(f"{rng.randrange(10**12):012d}")
        numbers.append(good)
        numbers.append(f"{(int(good[0]) % 9) + 1}{good[1:]}")  # another check digit
    numbers += ["", "123", "12345678901234", "1234567890１23", "abcdefghijklm"]
    values = ", ".join(f"('{n}')" for n in numbers)
    sql = compile_inline(
        f"select n, {{{{ is_valid_corporate_number('n') }}}} as ok from (values {values}) v(n)")
    db, _ = built
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute(sql).fetchall())
    con.close()
    assert got == {n: is_valid(n) for n in numbers}
    assert sum(got.values()) == 200


def test_as_of_gives_each_contact_one_row_on_a_date(built):
    db, _ = built
    sql = compile_inline(
        "select count(*), count(distinct contact_id) from "
        "({{ as_of(ref('dim_contacts_history'), \"date '2026-02-15'\") }}) c")
    con = duckdb.connect(str(db), read_only=True)
    rows, contacts = con.execute(sql).fetchone()
    (current,) = con.execute("SELECT count(*) FROM marts.dim_contacts_history "
                             "WHERE is_current").fetchone()
    (known,) = con.execute("SELECT count(DISTINCT contact_id) FROM marts.dim_contacts_history "
                           "WHERE valid_from < TIMESTAMP '2026-02-15 15:00:00'").fetchone()
    con.close()
    assert rows == contacts == known > 0
    assert current == con_count(db, "staging.stg_crm__contacts")


def con_count(db: Path, table: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    con.close()
    return n


def test_incremental_run_restores_late_and_missing_activities(small_world_copy):
    """Rows the table lacks (delivered late, older than the lookback) come back."""
    from kizuna.transform import run_dbt

    db = small_world_copy  # rows are deleted from a copy of the warehouse
    before = con_count(db, "marts.fct_activities")
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM marts.fct_activities WHERE occurred_on < "
                "(SELECT min(occurred_on) + 30 FROM marts.fct_activities)")
    con.close()
    assert con_count(db, "marts.fct_activities") < before
    run_dbt(["build", "--select", "fct_activities"], quiet=True)
    assert con_count(db, "marts.fct_activities") == before


def test_every_mart_has_rows(built, ml_scored_marts):
    """Every mart dbt builds has rows; the ML marts wait for scoring (tests/ml)."""
    db, _ = built
    con = duckdb.connect(str(db), read_only=True)
    tables = [t for (t,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
    ).fetchall()]
    empty = [t for t in tables if t not in ml_scored_marts
             and con.execute(f"SELECT count(*) FROM marts.{t}").fetchone()[0] == 0]
    con.close()
    assert ml_scored_marts <= set(tables)
    assert {"dim_contacts_history", "fct_mqa_events", "kpi_pipeline", "kpi_group_rollup"} <= set(
        tables)
    assert empty == []


ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear", "w_shaped", "time_decay")


def _dbt_vars() -> dict:
    import yaml

    from kizuna.settings import DBT_PROJECT_DIR

    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def test_each_attribution_model_splits_every_opportunity_to_the_cent(built):
    """Per model: credits sum exactly (decimals, not floats) to each opportunity's amount,
    every opportunity is credited, and the total is the pipeline of fct_opportunities."""
    from decimal import Decimal

    db, _ = built
    con = duckdb.connect(str(db), read_only=True)
    amounts = dict(con.execute(
        "SELECT opportunity_id, amount_jpy FROM marts.fct_opportunities").fetchall())
    credits = con.execute("""
        SELECT attribution_model, opportunity_id, credit_jpy, credit_share
        FROM marts.mart_attribution""").fetchall()
    kpi = dict(con.execute("""
        SELECT attribution_model, sum(attributed_pipeline_jpy)
        FROM marts.kpi_campaign_attribution GROUP BY 1""").fetchall())
    con.close()
    assert len(amounts) > 20
    pipeline = sum(amounts.values())
    for model in ATTRIBUTION_MODELS:
        per_opportunity: dict[str, Decimal] = {}
        shares: dict[str, float] = {}
        for name, opp, credit, share in credits:
            if name == model:
                assert isinstance(credit, Decimal) and credit == credit.quantize(Decimal("0.01"))
                per_opportunity[opp] = per_opportunity.get(opp, Decimal(0)) + credit
                shares[opp] = shares.get(opp, 0.0) + share
        assert per_opportunity == amounts, model
        assert all(abs(s - 1) < 1e-9 for s in shares.values()), model
        assert sum(per_opportunity.values()) == pipeline == kpi[model]


def _hand_touches(con, lookback_days: int) -> dict[str, list[tuple]]:
    """Each opportunity's touches, read from the activities and the touch-type seed:
    (occurred_at, activity_key, occurred_on, campaign_id, channel), in time order."""
    rows = con.execute("""
        SELECT o.opportunity_id, a.occurred_at, a.activity_key, a.occurred_on, a.campaign_id,
               CASE WHEN a.campaign_id IS NULL THEN t.channel_without_campaign
                    ELSE coalesce(c.channel, 'unknown') END
        FROM marts.fct_opportunities o
        JOIN marts.fct_activities a ON a.primary_account_id = o.primary_account_id
          AND a.occurred_at <= o.created_at
          AND a.occurred_at >= o.created_at - to_days(CAST(? AS INTEGER))
        JOIN seeds.attribution_touch_types t USING (source, activity_type)
        LEFT JOIN staging.stg_ma__campaigns c USING (campaign_id)
        WHERE t.counts_as_touch""", [lookback_days]).fetchall()
    touches: dict[str, list[tuple]] = {}
    for opp, *touch in rows:
        touches.setdefault(opp, []).append(tuple(touch))
    return {opp: sorted(ts, key=lambda t: (t[0], t[1])) for opp, ts in touches.items()}


def _largest_remainder(amount, shares: list) -> list:
    """Cents per share (Fractions or floats summing to 1), leftover cents to the largest
    remainders, ties to the earlier touch."""
    from decimal import Decimal
    from math import floor

    cents = int(amount * 100)
    quotas = [cents * s for s in shares]
    whole = [floor(q) for q in quotas]
    order = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - whole[i]), i))
    for i in order[:cents - sum(whole)]:
        whole[i] += 1
    return [Decimal(c) / 100 for c in whole]


def test_attribution_of_an_opportunity_matches_its_touches_by_hand(built):
    """The touches of every opportunity match the activities; one opportunity with an MQA
    in the middle of its touches is credited as computed here from those activities."""
    from fractions import Fraction

    db, _ = built
    con = duckdb.connect(str(db), read_only=True)
    opps = con.execute("""
        SELECT opportunity_id, primary_account_id, created_at, created_on, amount_jpy
        FROM marts.fct_opportunities WHERE primary_account_id IS NOT NULL
        ORDER BY opportunity_id""").fetchall()
    counted = dict(con.execute("SELECT opportunity_id, count(*) FROM "
                               "marts.fct_attribution_touches GROUP BY 1").fetchall())
    settings = _dbt_vars()
    lookback = settings["attribution_lookback_days"]
    by_hand = _hand_touches(con, lookback)
    assert counted == {opp: len(touches) for opp, touches in by_hand.items()}
    chosen = None
    for opp in opps:
        touches = by_hand.get(opp[0], [])
        if chosen is None and len(touches) >= 5:
            (mqa_on,) = con.execute("""
                SELECT max(qualified_on) FROM marts.fct_mqa_events
                WHERE account_id = ? AND qualified_on <= ? AND qualified_on >= ? - ?""",
                                    [opp[1], opp[3], opp[3], lookback]).fetchone()
            before = [i for i, t in enumerate(touches) if mqa_on and t[2] <= mqa_on]
            if before and 0 < before[-1] < len(touches) - 1 and len({t[3] for t in touches}) > 2:
                chosen = (opp, touches, before[-1])
    assert chosen is not None, "no opportunity with an MQA between its first and last touch"
    (opp_id, _, _, created_on, amount), touches, mqa = chosen
    n = len(touches)
    anchors = {0, mqa, n - 1}
    rest = Fraction(str(settings["attribution_w_shaped_rest_share"]))
    w_shaped = [(1 - rest) / 3 if i in anchors else rest / (n - 3) for i in range(n)]
    half_life = settings["attribution_half_life_days"]
    decay = [2 ** (-(created_on - t[2]).days / half_life) for t in touches]
    shares = {
        "first_touch": [Fraction(int(i == 0)) for i in range(n)],
        "last_touch": [Fraction(int(i == n - 1)) for i in range(n)],
        "linear": [Fraction(1, n)] * n,
        "w_shaped": w_shaped,
        "time_decay": [d / sum(decay) for d in decay],
    }
    expected: dict[tuple, object] = {}
    for model, model_shares in shares.items():
        credits = _largest_remainder(amount, model_shares)
        for touch, share, credit in zip(touches, model_shares, credits, strict=True):
            if share > 0:  # the mart has a row for every campaign and channel credited
                key = (model, touch[3], touch[4])
                expected[key] = expected.get(key, 0) + credit
    got = {(m, c, ch): credit for m, c, ch, credit in con.execute("""
        SELECT attribution_model, campaign_id, channel, credit_jpy
        FROM marts.mart_attribution WHERE opportunity_id = ?""", [opp_id]).fetchall()}
    con.close()
    assert got == expected
    assert sum(w_shaped) == 1 and len(got) > 10


def test_allocate_amount_gives_leftover_cents_to_the_largest_remainders(built):
    from decimal import Decimal

    rows = [("a", 1, 100.00, 1 / 3), ("a", 2, 100.00, 1 / 3), ("a", 3, 100.00, 1 / 3),
            ("b", 1, 0.01, 0.25), ("b", 2, 0.01, 0.5), ("b", 3, 0.01, 0.25),
            ("c", 1, 10.00, 0.1234), ("c", 2, 10.00, 0.3333), ("c", 3, 10.00, 0.5433),
            ("d", 1, -5.00, 0.3), ("d", 2, -5.00, 0.7)]
    values = ", ".join(f"('{k}', {i}, cast({a} as decimal(18, 2)), {s!r})"
                       for k, i, a, s in rows)
    sql = compile_inline(
        "select k, i, {{ allocate_amount('a', 's', 'k', 'i') }} as credit "
        f"from (values {values}) v(k, i, a, s)")
    db, _ = built
    con = duckdb.connect(str(db), read_only=True)
    got = {(k, i): c for k, i, c in con.execute(sql).fetchall()}
    con.close()
    cents = {("a", 1): 3334, ("a", 2): 3333, ("a", 3): 3333,
             ("b", 1): 0, ("b", 2): 1, ("b", 3): 0,
             ("c", 1): 124, ("c", 2): 333, ("c", 3): 543,
             ("d", 1): -150, ("d", 2): -350}
    assert got == {key: Decimal(c) / 100 for key, c in cents.items()}


def test_funnel_cohorts_match_a_count_from_the_facts(built):
    """For the funnel month whose MQA and deal cohorts went on most, those cohorts (all
    tiers) and how many of them went on agree with a count made here from fct_mqa_events
    and fct_opportunities (reached through dim_abm_accounts: the funnel counts ABM
    accounts, customers and prospects); every rate lies in [0, 1]."""
    db, _ = built
    window = timedelta(days=int(_dbt_vars()["funnel_window_days"]))
    con = duckdb.connect(str(db), read_only=True)
    (month,) = con.execute("""
        SELECT cohort_month FROM marts.kpi_abm_funnel GROUP BY 1
        ORDER BY sum(mqa_then_opportunity_accounts + opportunity_then_won_accounts) DESC, 1
        LIMIT 1""").fetchone()
    members = {a for (a,) in con.execute(
        "SELECT account_key FROM intermediate.int_account_tiers_monthly WHERE month = ?",
        [month]).fetchall()}
    deals = con.execute("""
        SELECT a.account_key, o.created_on, o.closed_on, o.is_won FROM marts.fct_opportunities o
        JOIN marts.dim_abm_accounts a ON o.primary_account_id = a.crm_account_id""").fetchall()
    qualified = con.execute("SELECT account_key, qualified_on FROM marts.fct_mqa_events").fetchall()
    row = con.execute("""
        SELECT sum(mqa_accounts), sum(mqa_then_opportunity_accounts), sum(mqa_then_won_accounts),
               sum(opportunity_accounts), sum(opportunity_then_won_accounts), max(window_days)
        FROM marts.kpi_abm_funnel WHERE cohort_month = ?""", [month]).fetchone()
    rates = con.execute("""
        SELECT engagement_rate, mqa_rate, opportunity_rate, won_rate, engaged_to_opportunity_rate,
               engaged_to_won_rate, mqa_to_won_rate FROM marts.kpi_abm_funnel""").fetchall()
    con.close()

    def entered(events: list[tuple[str, date]]) -> dict[str, date]:
        """Each member's first day in the cohort: its first event of the month."""
        first: dict[str, date] = {}
        for account, day in events:
            if account in members and (day.year, day.month) == (month.year, month.month):
                first[account] = min(day, first.get(account, day))
        return first

    def went_on(cohort: dict[str, date]) -> tuple[int, int]:
        """Members with a deal created in their window; members that won one in it."""
        to_deal, to_won = set(), set()
        for account, created, closed, won in deals:
            start = cohort.get(account)
            if start is None or not start <= created <= start + window:
                continue
            to_deal.add(account)
            if won and closed <= start + window:
                to_won.add(account)
        return len(to_deal), len(to_won)

    mqa_cohort = entered(qualified)
    deal_cohort = entered([(a, created) for a, created, _, _ in deals])
    expected = (len(mqa_cohort), *went_on(mqa_cohort), len(deal_cohort), went_on(deal_cohort)[1])
    assert expected[1] > 0 and expected[4] > 0  # a cohort that went on, not an empty month
    assert tuple(row[:5]) == expected
    assert row[5] == window.days
    assert all(0 <= r <= 1 for rs in rates for r in rs if r is not None)
