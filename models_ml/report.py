"""The evaluation report of the champions (``kizuna ml evaluate``, the demo summary).

For each propensity model: the metric table of the model and its baselines on its
evaluation cutoffs (stored with the version), plus, when the simulator's truth folder is
there, the oracle's figures on the same accounts and labels, and how well the
warehouse's label agrees with the simulator's. Lookalike: held-out good customers, and
against the truth, recall of the true potential good customers in the top k against a
firmographic-size ranking. Lead scoring: the model against the behaviour score, with
conversion in the top and bottom deciles, and its calibration by decile. Cross-sell: hit
rates on held-out latest purchases against popularity, and against the truth, how the
scores of products not owned on the data date match the true needs and the purchases of
the next 180 days. Charts: a lift chart and a calibration plot per propensity model (PNG,
in ``reports/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from kizuna.settings import Settings, get_settings
from kizuna.warehouse import connection
from models_ml import cross_sell, evaluation
from models_ml.datasets import load_good_customers
from models_ml.features import load_account_features, load_product_features, set_aside_text
from models_ml.recipes import PROPENSITY_MODELS, RECIPES
from models_ml.recipes.cross_sell import CROSS_SELL
from models_ml.recipes.lead_scoring import LEAD_OPPORTUNITY_90D
from models_ml.recipes.lookalike import LOOKALIKE
from models_ml.registry import Registry

#: Short names of the scorers in the report's tables (they fit an 80-column terminal) ...
SCORER_NAMES = {
    "model": "model",
    "logistic_regression": "logistic",
    "gradient_boosting": "trees",
    "engagement_score": "rule score",
    "oracle": "oracle",
    "firmographic_size": "size",
    "popularity": "popularity",
    "behaviour_score": "behaviour",
}
#: ... and what each is: the legend under the tables and in the charts.
SCORER_LABELS = {
    "model": "model = the chosen estimator (trees, or logistic when they do not beat it)",
    "gradient_boosting": "trees = calibrated gradient boosting, not chosen",
    "logistic_regression": "logistic = logistic regression on the same features",
    "engagement_score": "rule score = the rule-based engagement score",
    "oracle": "oracle = the simulator's true probability",
    "firmographic_size": "size = firmographic size (employees)",
    "popularity": "popularity = products by how often they were bought",
    "behaviour_score": "behaviour = the lead's behaviour score (activity points, 90 days)",
}


@dataclass
class Report:
    """What ``kizuna ml evaluate`` shows. Every table has one row per scorer (``model``,
    its baselines, ``oracle``) and one column per metric, plus ``n_rows`` and
    ``n_positives``; ``lookalike`` and ``cross_sell`` hold one table per evaluation."""

    propensity: dict[str, pd.DataFrame] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    cutoffs: dict[str, str] = field(default_factory=dict)
    label_agreement: dict[str, float] = field(default_factory=dict)
    lookalike: dict[str, pd.DataFrame] = field(default_factory=dict)
    cross_sell: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: The lead model: its metric table (with conversion in the top and bottom deciles)
    #: and its calibration by decile, both on its evaluation cutoffs.
    lead_scoring: dict[str, pd.DataFrame] = field(default_factory=dict)
    charts: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def evaluate(settings: Settings | None = None, registry: Registry | None = None,
             truth_dir: Path | None = None, charts: bool = True, k_values=(50, 100, 200)
             ) -> Report:
    """Build the report; ``truth_dir`` defaults to ``KIZUNA_HOME/truth`` when it exists."""
    s = settings or get_settings()
    registry = registry or Registry()
    truth_dir = truth_dir if truth_dir is not None else s.home / "truth"
    has_truth = (truth_dir / "propensity.csv").exists()
    report = Report()
    if not has_truth:
        report.notes.append(f"no simulator truth in {truth_dir}: no oracle figures")
    for name in PROPENSITY_MODELS:
        champion = registry.champion(name)
        if champion is None:
            report.notes.append(f"no {name} champion: kizuna ml train says why")
            continue
        rows = champion.evaluation_rows()
        table = pd.DataFrame.from_dict(champion.meta.metrics, orient="index")
        report.versions[name] = champion.version
        report.cutoffs[name] = champion.meta.evaluation_cutoffs_text
        if rows is not None and "account_key" not in rows:
            report.notes.append(f"{champion.version} was evaluated on CRM accounts, before "
                                "accounts were companies: no oracle figures (train again)")
            rows = None
        if has_truth and name == "opportunity_90d" and rows is not None:
            oracle = evaluation.oracle_propensity(truth_dir, rows)
            known = oracle["p_oracle"].notna().to_numpy()
            y = rows["label"].to_numpy()[known]
            p = oracle["p_oracle"].to_numpy()[known]
            if 0 < y.sum() < len(y):
                table.loc["oracle"] = evaluation.binary_metrics(y, p, p)
                report.label_agreement[name] = float(
                    (oracle["had_opportunity_truth"][known].to_numpy() == y.astype(bool)).mean())
            else:
                report.notes.append("no simulator truth for the evaluation cutoffs: no oracle")
        report.propensity[name] = table
        if charts and rows is not None:
            if "oracle" in table.index:
                rows = rows.assign(oracle=oracle["p_oracle"].fillna(0.0).to_numpy())
            report.charts += _charts(name, rows, s.reports)
    if has_truth and "won_90d" in report.propensity:
        report.notes.append("won_90d has no oracle: the simulator's truth gives the true "
                            "probability of an opportunity only")
    for recipe in RECIPES:
        champion = registry.champion(recipe.name)
        if champion is None:
            if recipe.name not in PROPENSITY_MODELS:  # those are noted above
                report.notes.append(f"no {recipe.name} champion: kizuna ml train says why")
        elif champion.meta.set_aside:
            report.notes.append(f"{recipe.name}: features set aside, "
                                f"{set_aside_text(champion.meta.set_aside)}")
    lead = registry.champion(LEAD_OPPORTUNITY_90D.name)
    if lead is not None:
        report.versions[lead.model_name] = lead.version
        report.cutoffs[lead.model_name] = lead.meta.evaluation_cutoffs_text
        report.lead_scoring = {
            "scorers": pd.DataFrame.from_dict(lead.meta.metrics, orient="index"),
            "calibration by decile": pd.DataFrame(
                lead.meta.details.get("calibration_by_decile", [])),
        }
    with connection(s) as wh:
        features = load_account_features(wh, scoring_only=True)
        products = load_product_features(wh, scoring_only=True)
        good = load_good_customers(wh)
    report.lookalike = _lookalike(registry, features, good, truth_dir if has_truth else None,
                                  k_values)
    report.cross_sell = _cross_sell(registry, products, features,
                                    truth_dir if has_truth else None)
    return report


def _charts(name: str, rows: pd.DataFrame, reports: Path) -> list[Path]:
    y = rows["label"].to_numpy()
    scores = {SCORER_LABELS[c]: rows[c].to_numpy()
              for c in ("model", "logistic_regression", "gradient_boosting", "engagement_score",
                        "oracle")
              if c in rows}
    probabilities = {SCORER_LABELS[c]: rows[c].to_numpy()
                     for c in ("model", "logistic_regression", "gradient_boosting") if c in rows}
    dates = pd.to_datetime(rows["cutoff_date"])
    first, last = dates.min().date(), dates.max().date()
    when = f"cutoff {first}" if first == last else f"cutoffs {first}..{last}"
    return [
        evaluation.lift_chart(y, scores, reports / f"ml_lift_{name}.png",
                              f"{name}: cumulative lift on {when}"),
        evaluation.calibration_plot(y, probabilities, reports / f"ml_calibration_{name}.png",
                                    f"{name}: calibration on {when}"),
    ]


def _lookalike(registry: Registry, features: pd.DataFrame, good: set[str],
               truth_dir: Path | None, k_values) -> dict[str, pd.DataFrame]:
    champion = registry.champion(LOOKALIKE.name)
    if champion is None:
        return {}
    out = {"held-out good customers":
           pd.DataFrame.from_dict(champion.meta.metrics, orient="index")}
    if truth_dir is None:
        return out
    artifact = champion.load()
    rows = features[~features["account_id"].isin(good)].reset_index(drop=True)
    p = artifact.model.labelled_proba(artifact.spec.frame(rows))
    flags = rows[["account_key"]].assign(
        corporate_number=evaluation.true_companies(truth_dir, rows).to_numpy()).merge(
        evaluation.truth_companies(truth_dir), on="corporate_number", how="left")
    y = evaluation.truth_flag(flags["is_potential_good"]).to_numpy()
    size = rows["employees"].fillna(0).to_numpy()
    table = {}
    for scorer, score in (("model", p), ("firmographic_size", size)):
        order = np.argsort(-score, kind="stable")
        metrics = {f"recall_at_{k}": float(y[order[:k]].sum() / max(1, y.sum()))
                   for k in k_values}
        metrics["roc_auc"] = float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else np.nan
        metrics["n_rows"], metrics["n_positives"] = len(y), int(y.sum())
        table[scorer] = metrics
    out["true potential good customers"] = pd.DataFrame.from_dict(table, orient="index")
    return out


def _cross_sell(registry: Registry, products: pd.DataFrame, features: pd.DataFrame,
                truth_dir: Path | None) -> dict[str, pd.DataFrame]:
    champion = registry.champion(CROSS_SELL.name)
    if champion is None:
        return {}
    out = {"held-out latest purchases":
           pd.DataFrame.from_dict(champion.meta.metrics, orient="index")}
    if truth_dir is None:
        return out
    artifact = champion.load()
    rows = cross_sell.candidate_rows(products, features).reset_index(drop=True)
    rows["model"] = artifact.model.predict_proba(artifact.spec.frame(rows))[:, 1]
    rows["popularity"] = rows["product_id"].map(artifact.baselines["popularity"]).fillna(0.0)
    truth = evaluation.truth_account_companies(truth_dir)
    needs = pd.read_csv(truth_dir / "product_needs.csv", dtype={"corporate_number": str})
    rows = rows.merge(truth, on="account_id", how="left").merge(
        needs, on=["corporate_number", "product_id"], how="left")
    bought = evaluation.truth_flag(rows["buys_next_180d"]).to_numpy()
    table = {}
    for scorer in ("model", "popularity"):
        table[scorer] = {
            "buys_next_180d_roc_auc": float(roc_auc_score(bought, rows[scorer]))
            if 0 < bought.sum() < len(bought) else np.nan,
            "need_spearman_within_account": within_account_spearman(rows, scorer, "need"),
            "need_spearman_overall": float(rows[[scorer, "need"]].corr("spearman").iloc[0, 1]),
            "n_rows": len(rows), "n_positives": int(bought.sum()),
        }
    out["truth after the data date"] = pd.DataFrame.from_dict(table, orient="index")
    return out


def within_account_spearman(rows: pd.DataFrame, score: str, truth: str) -> float:
    """Mean over accounts of the rank correlation of ``score`` and ``truth`` among the
    account's rows (accounts with fewer than two rows, or ties throughout, are skipped)."""
    ranks = rows[["account_id"]].assign(
        s=rows.groupby("account_id")[score].rank(), t=rows.groupby("account_id")[truth].rank())
    per_account = ranks.groupby("account_id")[["s", "t"]].corr().xs("s", level=1)["t"]
    return float(per_account.mean())
