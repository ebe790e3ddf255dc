"""The report's sections: each reads its query (:mod:`kizuna.report.queries`) and turns the
frames into Altair charts (Vega-Lite specs) and small tables of formatted text.

A section whose data is absent carries the reason instead (:class:`Section.absent`).
Amounts are formatted in the reporting currency (yen by default) with Japanese
conventions (CLDR's ``ja_JP``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd
from babel.numbers import format_currency, get_currency_symbol

from kizuna.report import queries
from kizuna.warehouse import Warehouse

LOCALE = "ja_JP"
TIER_ORDER = ["tier_1", "tier_2", "tier_3", "untiered"]
FUNNEL_STAGES = {"target_accounts": "target", "engaged_accounts": "engaged",
                 "mqa_accounts": "MQA", "opportunity_accounts": "opportunity",
                 "won_accounts": "won"}
#: What each KPI of kpi_targets_vs_actuals is called in the report.
KPI_LABELS = {"engaged_accounts": "engaged accounts エンゲージ企業数",
              "mqa_accounts": "MQA accounts MQA 企業数",
              "opportunities_created": "opportunities created 商談創出数",
              "pipeline_created_jpy": "pipeline created パイプライン金額",
              "won_amount_jpy": "won amount 受注金額",
              "win_rate": "win rate 受注率"}
SCORER_LABELS = {"model": "model (the chosen estimator)", "logistic_regression": "logistic",
                 "gradient_boosting": "gradient boosting (not chosen)",
                 "engagement_score": "rule score", "popularity": "popularity",
                 "firmographic_size": "firmographic size", "perfect": "perfect calibration"}


@dataclass(frozen=True)
class Table:
    """A table of formatted cells; ``numeric`` columns are right-aligned."""

    columns: list[str]
    rows: list[list[str]]
    numeric: frozenset[str] = frozenset()
    caption: str = ""
    wrap: frozenset[str] = frozenset()  # columns of long text that may wrap


@dataclass
class Section:
    key: str
    title: str
    title_ja: str
    intro: str
    charts: list[dict[str, Any]] = field(default_factory=list)  # Vega-Lite specs
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    absent: str | None = None  # why the section has no data


@dataclass(frozen=True)
class Formats:
    """How numbers read in the report: amounts in ``currency``."""

    currency: str = "JPY"

    @property
    def symbol(self) -> str:
        return str(get_currency_symbol(self.currency, LOCALE))

    def amount(self, value: Any) -> str:
        if _missing(value):
            return "-"
        return str(format_currency(round(float(value)), self.currency, locale=LOCALE,
                                   format="¤#,##0", currency_digits=False))

    def axis_label(self) -> str:
        """A Vega expression for an axis of amounts: the symbol and thousands separators."""
        return f"'{self.symbol}' + format(datum.value, ',.0f')"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def number(value: Any, digits: int = 0) -> str:
    return "-" if _missing(value) else f"{float(value):,.{digits}f}"


def percent(value: Any, digits: int = 1) -> str:
    return "-" if _missing(value) else f"{100 * float(value):.{digits}f}%"


def text(value: Any) -> str:
    return "-" if _missing(value) or value == "" else str(value)


def day(value: Any) -> str:
    return "-" if _missing(value) else str(pd.Timestamp(value).date())


def iso_dates(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Date columns as ISO strings, which Vega-Lite parses as temporal values."""
    return df.assign(**{c: pd.to_datetime(df[c]).dt.strftime("%Y-%m-%d") for c in columns})


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.to_dict()


# --------------------------------------------------------------------------- sections

def fill_funnel(wh: Warehouse, fmt: Formats, section: Section) -> None:
    df = queries.funnel(wh)
    long = iso_dates(df, "cohort_month").melt(
        id_vars=["cohort_month", "abm_tier"], value_vars=list(FUNNEL_STAGES),
        var_name="stage", value_name="accounts")
    long["stage"] = long["stage"].map(FUNNEL_STAGES)
    stages = list(FUNNEL_STAGES.values())
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("yearmonth(cohort_month):O", title="month 月"),
        xOffset=alt.XOffset("stage:N", sort=stages),
        y=alt.Y("accounts:Q", title="accounts 企業数"),
        color=alt.Color("stage:N", sort=stages, title="stage ステージ"),
        tooltip=["abm_tier:N", alt.Tooltip("yearmonth(cohort_month):T", title="month"),
                 "stage:N", "accounts:Q"],
    ).properties(width=640, height=110)
    section.charts.append(spec(bars.facet(
        row=alt.Row("abm_tier:N", sort=TIER_ORDER, title=None)).resolve_scale(y="independent")))
    complete = df[df["is_window_complete"].astype(bool)]
    latest = complete if not complete.empty else df
    month = latest["cohort_month"].max()
    rows = latest[latest["cohort_month"] == month].sort_values("abm_tier")
    section.tables.append(Table(
        ["tier", "targets", "engaged", "MQA", "deals", "won", "engaged / targets",
         "engaged -> MQA", "MQA -> deal", "deal -> won"],
        [[r.abm_tier, number(r.target_accounts), number(r.engaged_accounts),
          number(r.mqa_accounts), number(r.opportunity_accounts), number(r.won_accounts),
          percent(r.engagement_rate), percent(r.mqa_rate), percent(r.opportunity_rate),
          percent(r.won_rate)] for r in rows.itertuples()],
        numeric=frozenset({"targets", "engaged", "MQA", "deals", "won", "engaged / targets",
                           "engaged -> MQA", "MQA -> deal", "deal -> won"}),
        caption=f"Conversion of the cohorts of {day(month)[:7]}"
                + (" (the latest month whose follow-up window has closed)"
                   if not complete.empty else " (follow-up window still open)")))


def fill_engagement(wh: Warehouse, fmt: Formats, section: Section) -> None:
    data = queries.engagement(wh)
    trend = iso_dates(data.trend, "as_of_date")
    base = alt.Chart(trend).encode(
        x=alt.X("as_of_date:T", title="scoring date 集計日"),
        color=alt.Color("abm_tier:N", sort=TIER_ORDER, title="tier ティア"))
    points = base.mark_line(point=True).encode(
        y=alt.Y("points_7d:Q", title="points, last 7 days 直近7日ポイント"),
        tooltip=["as_of_date:T", "abm_tier:N", "points_7d:Q", "engaged_accounts:Q"],
    ).properties(width=640, height=220, title="Engagement points エンゲージメント")
    surging = base.mark_bar().encode(
        y=alt.Y("surging_accounts:Q", title="surging accounts 急上昇企業数"),
        tooltip=["as_of_date:T", "abm_tier:N", "surging_accounts:Q"],
    ).properties(width=640, height=140, title="Surging accounts 急上昇")
    section.charts.append(spec(alt.vconcat(points, surging)))
    if data.surging.empty:
        section.notes.append("No account is surging on the data date.")
    else:
        section.tables.append(Table(
            ["account 企業", "tier", "customer", "points 7d", "weekly baseline", "surge",
             "people 30d"],
            [[r.account_name, r.abm_tier, "yes" if r.is_customer else "no",
              number(r.points_7d), number(r.baseline_weekly_points, 1),
              "-" if _missing(r.surge_ratio) else f"x{float(r.surge_ratio):.1f}",
              number(r.engaged_people_30d)] for r in data.surging.itertuples()],
            numeric=frozenset({"points 7d", "weekly baseline", "surge", "people 30d"}),
            caption="Surging on the data date, strongest surge first"))


def mqa_reasons(row: Any) -> str:
    """Why the account qualified, in words: its scores, people and surge, then the
    propensity model's strongest reason when it has been scored."""
    parts = [f"fit {number(row.fit_score)}", f"engagement {number(row.engagement_score)}",
             f"grade {row.grade}", f"{number(row.engaged_people_90d)} people engaged in 90 days"]
    if not _missing(row.buying_group_coverage):
        parts.append(f"buying group {percent(row.buying_group_coverage, 0)} covered")
    if row.is_surging:
        parts.append("surging this week")
    reasons = [text(r) for r in (row.top_reason, row.reason_2) if text(r) != "-"]
    return "; ".join(parts) + ("" if not reasons else " — " + "; ".join(reasons))


def fill_mqa(wh: Warehouse, fmt: Formats, section: Section) -> None:
    df = queries.mqa_list(wh)
    scatter = alt.Chart(df[["account_name", "fit_score", "engagement_score", "grade",
                            "abm_tier"]]).mark_circle(size=80).encode(
        x=alt.X("fit_score:Q", title="fit score フィット", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("engagement_score:Q", title="engagement score エンゲージメント",
                scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("abm_tier:N", sort=TIER_ORDER, title="tier ティア"),
        tooltip=["account_name:N", "grade:N", "fit_score:Q", "engagement_score:Q"],
    ).properties(width=420, height=300, title="MQA: fit x engagement")
    section.charts.append(spec(scatter))
    section.tables.append(Table(
        ["account 企業", "tier", "owner 担当", "MQA since", "grade", "offer next", "why 理由"],
        [[r.account_name, r.abm_tier, text(r.owner), day(r.qualified_on), r.grade,
          text(r.next_best_product), mqa_reasons(r)] for r in df.itertuples()],
        wrap=frozenset({"why 理由"}),
        caption=f"{len(df):,} MQA accounts"
                + (f" (the first {queries.MQA_LIMIT})" if len(df) == queries.MQA_LIMIT else "")
                + f" on {day(df['as_of_date'].max())}"))


def fill_kpi(wh: Warehouse, fmt: Formats, section: Section) -> None:
    df = iso_dates(queries.kpi_targets(wh), "month")
    df["kpi"] = df["metric"].map(KPI_LABELS).fillna(df["metric"])
    base = alt.Chart().encode(x=alt.X("yearmonth(month):O", title="month 月"))
    actual = base.mark_bar(opacity=0.75).encode(
        y=alt.Y("actual:Q", title=None),
        color=alt.condition("datum.gap >= 0", alt.value("#3b8b5a"), alt.value("#c4553d")),
        tooltip=["kpi:N", alt.Tooltip("yearmonth(month):T", title="month"),
                 alt.Tooltip("target:Q", format=",.2f"), alt.Tooltip("actual:Q", format=",.2f"),
                 alt.Tooltip("gap:Q", format=",.2f")])
    target = base.mark_line(point=alt.OverlayMarkDef(color="#333"), strokeDash=[4, 3],
                            color="#333").encode(y="target:Q")
    layered = alt.layer(actual, target, data=df).properties(width=280, height=150)
    section.charts.append(spec(layered.facet(
        facet=alt.Facet("kpi:N", title=None, sort=list(KPI_LABELS.values())), columns=2,
    ).resolve_scale(y="independent")))
    latest = df[df["month"] == df["month"].max()]

    def value(metric: str, v: Any) -> str:
        if metric.endswith("_jpy"):
            return fmt.amount(v)
        return percent(v) if metric.endswith("_rate") else number(v)

    section.tables.append(Table(
        ["KPI", "target 目標", "actual 実績", "gap ギャップ", "attainment 達成率"],
        [[r.kpi, value(r.metric, r.target), value(r.metric, r.actual),
          value(r.metric, r.gap), percent(r.attainment)] for r in latest.itertuples()],
        numeric=frozenset({"target 目標", "actual 実績", "gap ギャップ", "attainment 達成率"}),
        caption=f"{df['month'].max()[:7]}: bars are actuals (green on or above target, red "
                "below), the dashed line the target"))


def fill_quality(wh: Warehouse, fmt: Formats, section: Section) -> None:
    data = queries.data_quality(wh)
    ents = data.entities.copy()
    ents["pass_rate"] = ents["published"] / ents["delivered"].where(ents["delivered"] > 0)
    outcome = ents.melt(id_vars=["entity"], value_vars=["published", "quarantined",
                                                        "held_back"],
                        var_name="outcome", value_name="rows")
    bars = alt.Chart(outcome).mark_bar().encode(
        y=alt.Y("entity:N", title=None),
        x=alt.X("rows:Q", stack="normalize", title="share of delivered rows",
                axis=alt.Axis(format="%")),
        color=alt.Color("outcome:N", sort=["published", "quarantined", "held_back"],
                        scale=alt.Scale(range=["#3b8b5a", "#d9a21b", "#c4553d"])),
        tooltip=["entity:N", "outcome:N", alt.Tooltip("rows:Q", format=",")],
    ).properties(width=560, height=alt.Step(18), title="Rows by outcome 行の行き先")
    section.charts.append(spec(bars))
    section.tables.append(Table(
        ["entity", "days", "batches", "rejected", "rows delivered", "published", "quarantined",
         "held back", "pass rate", "reconciled"],
        [[r.entity, number(r.days), number(r.batches), number(r.batches_rejected),
          number(r.delivered), number(r.published), number(r.quarantined),
          number(r.held_back), percent(r.pass_rate, 2), "yes" if r.reconciled else "NO"]
         for r in ents.itertuples()],
        numeric=frozenset({"days", "batches", "rejected", "rows delivered", "published",
                           "quarantined", "held back", "pass rate"})))
    if data.failing_rules.empty:
        section.notes.append("No quality rule failed on any delivered row.")
    else:
        section.tables.append(Table(
            ["entity", "rule", "severity", "checked by", "batches failed", "rows failed",
             "rows checked"],
            [[r.entity, r.rule, r.severity, r.checked_by, number(r.batches_failed),
              number(r.rows_failed), number(r.rows_checked)]
             for r in data.failing_rules.itertuples()],
            numeric=frozenset({"batches failed", "rows failed", "rows checked"}),
            caption="Rules that failed (rows failed, most first)"))


def fill_models(wh: Warehouse, fmt: Formats, section: Section) -> None:
    data = queries.models(wh)
    for name, why in data.missing.items():
        section.notes.append(f"{name}: {why}")
    shown = ("roc_auc", "pr_auc", "top_decile_lift", "brier")
    metrics = data.metrics[data.metrics["metric"].isin(shown)]
    wide = metrics.pivot_table(index=["model_name", "scorer"], columns="metric",
                               values="value", aggfunc="first").reset_index()
    counts = metrics.groupby(["model_name", "scorer"])[["n_rows", "n_positives"]].max()
    wide = wide.merge(counts.reset_index(), on=["model_name", "scorer"], how="left")
    section.tables.append(Table(
        ["model", "scorer", *shown, "rows", "positives"],
        [[r["model_name"], SCORER_LABELS.get(r["scorer"], r["scorer"]),
          *[number(r.get(m), 3) for m in shown], number(r["n_rows"]),
          number(r["n_positives"])] for _, r in wide.iterrows()],
        numeric=frozenset({*shown, "rows", "positives"}),
        caption="roc_auc, pr_auc and top_decile_lift: higher is better; brier: lower is better"))
    if data.lift.empty:
        section.notes.append("No evaluation rows are stored with the champions: no curves.")
        return
    lift = data.lift.assign(scorer=data.lift["scorer"].map(SCORER_LABELS))
    lift_chart = alt.Chart(lift).mark_line(point=True).encode(
        x=alt.X("top_percent:Q", title="top % of accounts by score 上位%"),
        y=alt.Y("lift:Q", title="cumulative lift (x base rate) リフト"),
        color=alt.Color("scorer:N", title="scorer"),
        tooltip=["model_name:N", "scorer:N", "top_percent:Q",
                 alt.Tooltip("lift:Q", format=".2f")],
    ).properties(width=300, height=220)
    section.charts.append(spec(lift_chart.facet(column=alt.Column("model_name:N",
                                                                    title="cumulative lift"))))
    cal = data.calibration
    if not cal.empty:
        top = float(cal[["predicted", "observed"]].max().max())
        perfect = pd.DataFrame([{"model_name": m, "scorer": "perfect", "predicted": p,
                                 "observed": p} for m in cal["model_name"].unique()
                                for p in (0.0, top)])
        cal = pd.concat([cal, perfect], ignore_index=True)
        cal["scorer"] = cal["scorer"].map(SCORER_LABELS)
        cal_chart = alt.Chart(cal).mark_line(point=True).encode(
            x=alt.X("predicted:Q", title="predicted probability 予測確率"),
            y=alt.Y("observed:Q", title="observed rate 実績率"),
            color=alt.Color("scorer:N", title="scorer"),
            strokeDash=alt.condition("datum.scorer === 'perfect calibration'",
                                     alt.value([4, 3]), alt.value([1, 0])),
            tooltip=["model_name:N", "scorer:N", alt.Tooltip("predicted:Q", format=".3f"),
                     alt.Tooltip("observed:Q", format=".3f")],
        ).properties(width=300, height=220)
        section.charts.append(spec(cal_chart.facet(column=alt.Column("model_name:N",
                                                                       title="calibration"))))


def fill_cross_sell(wh: Warehouse, fmt: Formats, section: Section) -> None:
    df = queries.cross_sell(wh)
    accounts = list(dict.fromkeys(df["account_name"]))
    base = alt.Chart(df).encode(
        x=alt.X("product_name:N", title="product 製品", sort=None,
                axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("account_name:N", title=None, sort=accounts))
    owned = base.mark_rect(color="#d0d0d0").transform_filter(
        "datum.cross_sell_score === null")
    scored = base.mark_rect().transform_filter("datum.cross_sell_score !== null").encode(
        color=alt.Color("cross_sell_score:Q", title="score",
                        scale=alt.Scale(scheme="oranges", domain=[0, 100])),
        tooltip=["account_name:N", "product_name:N", "cross_sell_score:Q", "product_rank:Q"])
    labels = base.mark_text(fontSize=10).encode(text="matrix_cell:N")
    section.charts.append(spec(alt.layer(owned, scored, labels).properties(
        width=alt.Step(70), height=alt.Step(18))))


def fill_attribution(wh: Warehouse, fmt: Formats, section: Section) -> None:
    df = queries.attribution(wh)
    models = list(dict.fromkeys(df["attribution_model"]))
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("channel:N", title="channel チャネル", axis=alt.Axis(labelAngle=-30)),
        xOffset=alt.XOffset("attribution_model:N", sort=models),
        y=alt.Y("pipeline_jpy:Q", title=f"pipeline credited ({fmt.symbol})",
                axis=alt.Axis(labelExpr=fmt.axis_label())),
        color=alt.Color("attribution_model:N", sort=models, title="model"),
        tooltip=["channel:N", "attribution_model:N",
                 alt.Tooltip("pipeline_jpy:Q", format=",.0f", title=f"pipeline {fmt.symbol}"),
                 alt.Tooltip("won_jpy:Q", format=",.0f", title=f"won {fmt.symbol}")],
    ).properties(width=alt.Step(9), height=260)
    section.charts.append(spec(chart))
    linear = df[df["attribution_model"] == ("linear" if "linear" in models else models[0])]
    section.tables.append(Table(
        ["channel", "opportunities", "pipeline パイプライン", "won 受注", "cost 費用",
         "pipeline / cost"],
        [[r.channel, number(r.opportunities, 1), fmt.amount(r.pipeline_jpy),
          fmt.amount(r.won_jpy), fmt.amount(r.cost_jpy),
          "-" if _missing(r.cost_jpy) or not r.cost_jpy
          else f"x{float(r.pipeline_jpy) / float(r.cost_jpy):,.1f}"]
         for r in linear.itertuples()],
        numeric=frozenset({"opportunities", "pipeline パイプライン", "won 受注", "cost 費用",
                           "pipeline / cost"}),
        caption=f"Credit by the {linear['attribution_model'].iloc[0]} model"))


@dataclass(frozen=True)
class Recipe:
    """A section: its titles and what it says it shows; ``fill`` reads its query and adds
    the charts, tables and notes."""

    key: str
    title: str
    title_ja: str
    intro: str
    fill: Callable[[Warehouse, Formats, Section], None]


#: The sections in page order.
RECIPES: Sequence[Recipe] = (
    Recipe("funnel", "ABM funnel by tier and month", "ABM ファネル（ティア別・月別）",
           "Accounts at each stage per cohort month and ABM tier (marts.kpi_abm_funnel): "
           "targeted, engaged that month, qualified as MQA, with a deal created, with a deal "
           "won.",
           fill_funnel),
    Recipe("engagement", "Engagement trend and surging accounts",
           "エンゲージメント推移と急上昇企業",
           "Behaviour points of the last 7 days summed per scoring date and tier, and the "
           "accounts whose week is well above their own baseline "
           "(marts.mart_account_engagement).",
           fill_engagement),
    Recipe("mqa", "Marketing qualified accounts", "MQA 一覧（理由つき）",
           "The accounts that are MQA on the data date (marts.mart_account_scores), since "
           "when, why, and the product to offer next when scored.",
           fill_mqa),
    Recipe("kpi", "KPI against target", "KPI 目標対実績とギャップ",
           "Each month's actual against its target for all tiers together, and the gap "
           "(marts.kpi_targets_vs_actuals; targets in the seed kpi_targets).",
           fill_kpi),
    Recipe("quality", "Data quality per entity", "データ品質（エンティティ別）",
           "What the quality gate did with every delivered row, per raw entity "
           "(marts.kpi_data_quality, from the gate's audit tables): published, quarantined "
           "or held back with its batch.",
           fill_quality),
    Recipe("models", "Lift and calibration of each model", "モデルのリフトとキャリブレーション",
           "Each champion against its baselines on its evaluation cutoffs, later than any it "
           "was trained on (ml.model_registry, ml.model_metrics); lift and calibration "
           "curves of the propensity models on those rows.",
           fill_models),
    Recipe("cross_sell", "Cross-sell heat map", "クロスセル ヒートマップ（企業 × 製品）",
           "The cross-sell score (0-100) of each product for the accounts with the best "
           "offers; 'owned' where the account has the product, 'included' where a product it "
           "owns includes it (marts.mart_cross_sell_matrix).",
           fill_cross_sell),
    Recipe("attribution", "Attribution", "アトリビューション（チャネル別）",
           "The pipeline credited to each channel by each attribution model "
           "(marts.kpi_campaign_attribution); every model's credits add up to the whole "
           "pipeline.",
           fill_attribution),
)


def build_sections(wh: Warehouse, fmt: Formats) -> list[Section]:
    """Every section; one whose data is absent says why (``Section.absent``)."""
    out = []
    for recipe in RECIPES:
        section = Section(recipe.key, recipe.title, recipe.title_ja, recipe.intro)
        try:
            recipe.fill(wh, fmt, section)
        except queries.DataAbsent as absent:
            section = Section(recipe.key, recipe.title, recipe.title_ja, recipe.intro,
                              absent=absent.reason)
        out.append(section)
    return out
