"""What each section of the report reads: one query function per section, marts only.

Every function takes an open warehouse (DuckDB or PostgreSQL: the SQL is plain enough for
both) and returns pandas frames. When the data a section needs is not there, the function
raises :class:`DataAbsent` with the reason in words (a mart not built yet, no model
trained, a world without opportunities), and the report prints that reason instead of a
chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from kizuna.warehouse import Warehouse

#: The MQA list and the heat map show this many accounts (the best first).
MQA_LIMIT = 50
HEATMAP_ACCOUNTS = 30
SURGING_LIMIT = 25
#: The propensity models whose evaluation rows draw lift and calibration curves.
CURVE_MODELS = ("opportunity_90d", "won_90d")
#: The scorers a propensity model is compared with on its evaluation rows (the trees only
#: when the logistic regression was chosen over them).
CURVE_SCORERS = ("model", "logistic_regression", "gradient_boosting", "engagement_score")


class DataAbsent(LookupError):
    """The data a section reads is not in the warehouse; ``reason`` says why, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def frame(wh: Warehouse, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """The query's rows; PostgreSQL's NUMERIC (decimals) as floats, as DuckDB's DOUBLE."""
    df = wh.query_arrow(sql, params).to_pandas()
    for col in df.columns:
        if df[col].dtype == object and df[col].map(lambda v: isinstance(v, Decimal)).any():
            df[col] = df[col].astype(float)
    return df


def require(wh: Warehouse, schema: str, table: str, builds: str) -> None:
    """Raise DataAbsent when ``schema.table`` does not exist; ``builds`` says what makes it."""
    if not wh.columns(schema, table):
        raise DataAbsent(f"{schema}.{table} is not in the warehouse yet: {builds}.")


BUILD = "run the transform (kizuna build, or the kizuna_transform DAG)"
SCORE = "train and score the models (kizuna ml train, kizuna ml score)"


def funnel(wh: Warehouse) -> pd.DataFrame:
    """kpi_abm_funnel: one row per cohort month per tier with the accounts at each stage."""
    require(wh, "marts", "kpi_abm_funnel", BUILD)
    df = frame(wh, """
        SELECT cohort_month, abm_tier, is_window_complete, target_accounts, engaged_accounts,
               mqa_accounts, opportunity_accounts, won_accounts, engagement_rate, mqa_rate,
               opportunity_rate, won_rate
        FROM marts.kpi_abm_funnel ORDER BY cohort_month, abm_tier""")
    if df.empty:
        raise DataAbsent("kpi_abm_funnel has no month yet: no engagement activity was loaded.")
    return df


@dataclass(frozen=True)
class Engagement:
    #: One row per scoring date per tier: points of the week, engaged and surging accounts.
    trend: pd.DataFrame
    #: The accounts surging on the data date, strongest surge first.
    surging: pd.DataFrame


def engagement(wh: Warehouse) -> Engagement:
    """mart_account_engagement by scoring date and tier, and the accounts surging now."""
    require(wh, "marts", "mart_account_engagement", BUILD)
    trend = frame(wh, """
        SELECT e.as_of_date, coalesce(a.abm_tier, 'untiered') AS abm_tier,
               sum(e.points_7d) AS points_7d,
               sum(CASE WHEN e.points_7d > 0 THEN 1 ELSE 0 END) AS engaged_accounts,
               sum(CASE WHEN e.is_surging THEN 1 ELSE 0 END) AS surging_accounts
        FROM marts.mart_account_engagement e
        JOIN marts.dim_abm_accounts a USING (account_key)
        GROUP BY 1, 2 ORDER BY 1, 2""")
    if trend.empty:
        raise DataAbsent("mart_account_engagement has no scoring date yet: no engagement "
                         "activity was loaded.")
    surging = frame(wh, f"""
        SELECT a.account_name, coalesce(a.abm_tier, 'untiered') AS abm_tier, a.is_customer,
               e.points_7d, e.baseline_weekly_points, e.surge_ratio, e.engaged_people_30d
        FROM marts.mart_account_engagement e
        JOIN marts.dim_abm_accounts a USING (account_key)
        WHERE e.is_latest AND e.is_surging
        ORDER BY e.surge_ratio DESC NULLS LAST, e.points_7d DESC, a.account_key
        LIMIT {SURGING_LIMIT}""")
    return Engagement(trend, surging)


def mqa_list(wh: Warehouse) -> pd.DataFrame:
    """The accounts that are MQA on the data date (mart_account_scores), with what
    qualified them, since when (fct_mqa_events) and the model's reasons when scored
    (mart_target_accounts)."""
    require(wh, "marts", "mart_account_scores", BUILD)
    require(wh, "marts", "fct_mqa_events", BUILD)
    has_targets = bool(wh.columns("marts", "mart_target_accounts"))
    reasons = ("t.top_reason, t.reason_2, t.next_best_product" if has_targets else
               "NULL AS top_reason, NULL AS reason_2, NULL AS next_best_product")
    joined = ("LEFT JOIN marts.mart_target_accounts t ON t.account_key = s.account_key"
              if has_targets else "")
    df = frame(wh, f"""
        SELECT a.account_name, coalesce(a.abm_tier, 'untiered') AS abm_tier, a.owner,
               s.as_of_date, s.fit_score, s.engagement_score, s.grade, s.engaged_people_90d,
               s.buying_group_coverage, s.is_surging, m.qualified_on, {reasons}
        FROM marts.mart_account_scores s
        JOIN marts.dim_abm_accounts a ON a.account_key = s.account_key
        LEFT JOIN marts.fct_mqa_events m
            ON m.account_key = s.account_key AND m.is_current_mqa
        {joined}
        WHERE s.is_latest AND s.is_mqa
        ORDER BY s.fit_score * s.engagement_score DESC, a.account_key
        LIMIT {MQA_LIMIT}""")
    if df.empty:
        (scored,) = wh.query("SELECT count(*) FROM marts.mart_account_scores "
                             "WHERE is_latest")[0]
        raise DataAbsent(f"no account is an MQA on the data date ({scored:,} accounts scored: "
                         "none has both the fit and the engagement the thresholds ask for).")
    return df


def kpi_targets(wh: Warehouse) -> pd.DataFrame:
    """kpi_targets_vs_actuals for all tiers together: target, actual and gap by month."""
    require(wh, "marts", "kpi_targets_vs_actuals", BUILD)
    df = frame(wh, """
        SELECT month, metric, target, actual, gap, attainment
        FROM marts.kpi_targets_vs_actuals WHERE abm_tier = 'all'
        ORDER BY metric, month""")
    if df.empty:
        raise DataAbsent("kpi_targets_vs_actuals is empty: no KPI target (seed kpi_targets) "
                         "covers a month of the data.")
    return df


@dataclass(frozen=True)
class Quality:
    #: One row per raw entity: batches, rows delivered, published, quarantined, held back.
    entities: pd.DataFrame
    #: One row per entity and rule that failed somewhere: batches and rows failed.
    failing_rules: pd.DataFrame


def data_quality(wh: Warehouse) -> Quality:
    """kpi_data_quality (the gate's audit tables, per entity, day and rule) per entity."""
    require(wh, "marts", "kpi_data_quality", BUILD)
    entities = frame(wh, """
        WITH days AS (
            SELECT entity, interval_date, max(batches) AS batches,
                   max(batches_rejected) AS batches_rejected, max(rows_in_file) AS delivered,
                   max(rows_published) AS published, max(rows_quarantined) AS quarantined,
                   max(rows_held_back) AS held_back,
                   min(CASE WHEN is_reconciled THEN 1 ELSE 0 END) AS reconciled
            FROM marts.kpi_data_quality GROUP BY 1, 2)
        SELECT entity, count(*) AS days, sum(batches) AS batches,
               sum(batches_rejected) AS batches_rejected, sum(delivered) AS delivered,
               sum(published) AS published, sum(quarantined) AS quarantined,
               sum(held_back) AS held_back, min(reconciled) AS reconciled
        FROM days GROUP BY 1 ORDER BY 1""")
    if entities.empty:
        raise DataAbsent("kpi_data_quality is empty: nothing has been loaded through the "
                         "quality gate yet.")
    failing = frame(wh, """
        SELECT entity, rule, severity, checked_by, sum(batches_failed) AS batches_failed,
               sum(rows_failed) AS rows_failed, sum(rows_checked) AS rows_checked
        FROM marts.kpi_data_quality
        GROUP BY 1, 2, 3, 4 HAVING sum(rows_failed) > 0 OR sum(batches_failed) > 0
        ORDER BY 6 DESC, 1, 2""")
    return Quality(entities, failing)


@dataclass(frozen=True)
class Models:
    #: The champions' metrics (ml.model_metrics): model x scorer x metric.
    metrics: pd.DataFrame
    #: Cumulative lift by top decile: model x scorer x decile.
    lift: pd.DataFrame
    #: Predicted against observed rate by bin: model x scorer x bin.
    calibration: pd.DataFrame
    #: Models without a champion, each with the reason.
    missing: dict[str, str]


def models(wh: Warehouse, models_root: Path | None = None) -> Models:
    """The champions (ml.model_registry) with their metrics against the baselines
    (ml.model_metrics), and the lift and calibration of the propensity models on their
    evaluation rows (stored beside each version, see models_ml.registry)."""
    from models_ml.evaluation import calibration_points, cumulative_lift
    from models_ml.registry import Registry

    require(wh, "ml", "model_registry", SCORE)
    registered = frame(wh, """
        SELECT model_name, model_version, is_champion, decision, evaluation_cutoffs
        FROM ml.model_registry ORDER BY model_name, created_at""")
    if registered.empty:
        raise DataAbsent("no model has been trained yet: run kizuna ml train (or the "
                         "kizuna_ml_train DAG); the sections on scores fill in after "
                         "kizuna ml score.")
    champions = registered[registered["is_champion"].astype(bool)]
    missing = {
        name: "no version beat its baselines yet (latest decision: "
              f"{group['decision'].iloc[-1]})"
        for name, group in registered.groupby("model_name")
        if name not in set(champions["model_name"])}
    if champions.empty:
        raise DataAbsent("no model is champion yet: "
                         + "; ".join(f"{k}: {v}" for k, v in missing.items()))
    metrics = frame(wh, """
        SELECT m.model_name, m.scorer, m.metric, m.value, m.n_rows, m.n_positives
        FROM ml.model_metrics m
        JOIN ml.model_registry r
          ON r.model_version = m.model_version AND r.is_champion
        ORDER BY 1, 2, 3""")
    registry = Registry(models_root)
    lifts, calibrations = [], []
    for name in CURVE_MODELS:
        champion = registry.champion(name)
        rows = champion.evaluation_rows() if champion is not None else None
        if rows is None or rows.empty:
            continue
        y = rows["label"].to_numpy()
        for scorer in (s for s in CURVE_SCORERS if s in rows):
            score = rows[scorer].to_numpy()
            lifts.append(cumulative_lift(y, score).assign(model_name=name, scorer=scorer))
            if scorer != "engagement_score":  # a rule score is a rank, not a probability
                calibrations.append(calibration_points(y, score)
                                    .assign(model_name=name, scorer=scorer))
    return Models(metrics,
                  pd.concat(lifts, ignore_index=True) if lifts else pd.DataFrame(),
                  pd.concat(calibrations, ignore_index=True) if calibrations else pd.DataFrame(),
                  missing)


def cross_sell(wh: Warehouse) -> pd.DataFrame:
    """mart_cross_sell_matrix for the accounts with the best offers: account x product."""
    require(wh, "marts", "mart_cross_sell_matrix", BUILD)
    df = frame(wh, f"""
        WITH best AS (
            SELECT account_id, max(cross_sell_score) AS best_score
            FROM marts.mart_cross_sell_matrix
            WHERE cross_sell_score IS NOT NULL
            GROUP BY 1
            ORDER BY 2 DESC, 1
            LIMIT {HEATMAP_ACCOUNTS})
        SELECT m.account_name, m.product_name, m.product_family, m.cross_sell_score,
               m.matrix_cell, m.product_rank, b.best_score
        FROM marts.mart_cross_sell_matrix m JOIN best b USING (account_id)
        ORDER BY b.best_score DESC, m.account_id, m.product_id""")
    if df.empty:
        raise DataAbsent("mart_cross_sell_matrix is empty: no cross-sell model has scored "
                         f"yet: {SCORE}.")
    return df


def attribution(wh: Warehouse) -> pd.DataFrame:
    """kpi_campaign_attribution: pipeline and won amount credited per model and channel."""
    require(wh, "marts", "kpi_campaign_attribution", BUILD)
    (opportunities,) = wh.query("SELECT count(*) FROM marts.fct_opportunities")[0] \
        if wh.columns("marts", "fct_opportunities") else (0,)
    if not opportunities:
        raise DataAbsent("no opportunity in the CRM data: nothing to attribute.")
    return frame(wh, """
        SELECT attribution_model, channel,
               sum(attributed_pipeline_jpy) AS pipeline_jpy,
               sum(attributed_won_jpy) AS won_jpy,
               sum(attributed_opportunities) AS opportunities,
               sum(cost_jpy) AS cost_jpy
        FROM marts.kpi_campaign_attribution
        GROUP BY 1, 2 ORDER BY 1, 3 DESC""")
