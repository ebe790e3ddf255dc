"""The cross-sell model: for every account and every product it could buy, how likely a
deal for that product is within the label window (:mod:`models_ml.cross_sell`).

Rows: account x cutoff x product candidates; the estimator learns from the cutoffs whose
labels were known by the split (:func:`cross_sell_split`) and is evaluated on each
account's latest purchase after it: the bought product should rank first among the
account's candidates at the last cutoff before the deal. The scoring version learns from
every labelled cutoff. Baseline: popularity (products by how often they were bought before
the split), which a version must beat at 1 and at 3 to become champion. Metrics: hit rate
at 1 (which decides between versions) and at 3. Scores:
``ml.cross_sell_scores``, one row per account x product on the scoring date, owned and
included products among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_ml import reasons
from models_ml.cross_sell import (
    GBM_PARAMS,
    LABEL,
    SPEC,
    candidate_rows,
    hit_rates,
    latest_purchases,
    make_cross_sell_model,
    popularity,
)
from models_ml.datasets import ScoringData, TrainingData, by_cutoff, cutoffs_text
from models_ml.features import FeatureSpec, data_fingerprint
from models_ml.recipe import (
    Baseline,
    Champion,
    Estimator,
    Problem,
    Recipe,
    Rows,
    Scores,
    ScoreTable,
    percentile,
    with_names,
)

NAME = "cross_sell"


@dataclass(frozen=True, kw_only=True)
class CrossSellProblem(Problem):
    #: Each account's latest purchase after the split (its evaluation rows' answer).
    purchases: pd.DataFrame
    #: Each product's share of the won deals created by the split.
    popularity: pd.Series


def cross_sell_split(data: TrainingData, months: int = 6, min_cutoffs: int = 3
                     ) -> tuple[pd.Timestamp, list[pd.Timestamp]]:
    """The cross-sell evaluation cutoff and its training cutoffs.

    Purchases are rarer than opportunities, so the held-out purchases are those after a
    cutoff ``months`` before the propensity evaluation cutoff (or the first cutoff by
    which ``min_cutoffs`` label windows have ended, when history is shorter)."""
    cutoffs = data.cutoffs
    ends = sorted(cutoffs["label_window_end"])
    earliest = ends[min_cutoffs - 1] if len(ends) >= min_cutoffs else data.evaluation_cutoff
    floor = max(data.evaluation_cutoff - pd.DateOffset(months=months), earliest)
    later = cutoffs[(cutoffs["cutoff_date"] >= floor)
                    & (cutoffs["cutoff_date"] <= data.evaluation_cutoff)]["cutoff_date"]
    split = later.min() if len(later) else data.evaluation_cutoff
    training = cutoffs[cutoffs["label_window_end"] <= split]["cutoff_date"].tolist()
    return split, training


def cross_sell_problem(data: TrainingData) -> CrossSellProblem:
    data.require_history()
    rows = candidate_rows(data.products, data.features)
    labelled = rows[rows[LABEL].notna()]
    split, training_cutoffs = cross_sell_split(data)
    train = by_cutoff(labelled[labelled["cutoff_date"].isin(training_cutoffs)])
    everything = by_cutoff(labelled)
    purchases = latest_purchases(data.opportunities, split, data.cutoffs["cutoff_date"])
    held = rows.merge(purchases[["account_id", "state_cutoff"]].rename(
        columns={"state_cutoff": "cutoff_date"}), on=["account_id", "cutoff_date"])
    bought = held[["account_id", "product_id"]].merge(
        purchases[["account_id", "product_id"]].assign(label=1),
        on=["account_id", "product_id"], how="left")["label"].fillna(0)
    return CrossSellProblem(
        spec=SPEC,
        training=Rows(SPEC.frame(train), train[LABEL].astype(int).to_numpy()),
        evaluation=held,
        labels=bought.to_numpy(),
        keys=("account_id", "cutoff_date", "product_id"),
        scoring=Rows(SPEC.frame(everything), everything[LABEL].astype(int).to_numpy()),
        data_fingerprint=data_fingerprint(labelled, [
            "account_id", "cutoff_date", "product_id", LABEL, *SPEC.columns]),
        evaluation_cutoff=split,
        evaluation_cutoffs_text=f"latest purchases created after {split.date()}",
        training_cutoffs=training_cutoffs,
        training_cutoffs_text=cutoffs_text(training_cutoffs),
        details={"training_rows": len(train), "held_out_purchases": len(purchases)},
        purchases=purchases,
        popularity=popularity(data.opportunities, split),
    )


def make_estimator(spec: FeatureSpec, random_state: int) -> Estimator:
    """The cross-sell model over ``spec`` (``models_ml.cross_sell.SPEC`` less what was set
    aside)."""
    return make_cross_sell_model(random_state, spec)


def popularity_baseline(problem: CrossSellProblem) -> tuple[Scores, pd.Series]:
    shares = problem.popularity
    return Scores(problem.evaluation["product_id"].map(shares).fillna(0.0).to_numpy()), shares


def hit_rate_metrics(problem: CrossSellProblem, scores: Mapping[str, Scores]) -> pd.DataFrame:
    """Hit rates at 1 and 3 of the held-out purchases, by scorer."""
    held = problem.evaluation.assign(**{name: s.ranking for name, s in scores.items()})
    return pd.DataFrame.from_dict(
        {name: hit_rates(held, problem.purchases, name) for name in scores}, orient="index")


def score_products(data: ScoringData, champions: Mapping[str, Champion]) -> pd.DataFrame:
    """ml.cross_sell_scores: every candidate product's score, its rank in the account and
    a reason; owned and included products too, marked, without a score."""
    champion = champions[NAME]
    model = champion.artifact.model
    products = data.products
    candidates = candidate_rows(products, data.features).reset_index(drop=True)
    X = champion.inputs(candidates,
                        "marts.mart_account_product_features with mart_account_features")
    p = model.predict_proba(X)[:, 1]
    groups = reasons.usable_groups(reasons.load_templates("cross_sell"),
                                   champion.artifact.spec.columns)
    deltas = reasons.contributions(lambda frame: model.predict_proba(frame)[:, 1], X, groups)
    words = reasons.top_reasons(deltas, groups, with_names(candidates, data.names), k=1)
    scored = candidates[["account_id", "product_id", "cutoff_date", "open_opportunities"]].assign(
        p_opportunity_90d=p, cross_sell_score=np.round(percentile(p), 1),
        reason=[w[0] for w in words])
    scored["product_rank"] = scored.groupby("account_id")["p_opportunity_90d"].rank(
        ascending=False, method="first").astype(int)
    held = products[(products["is_owned"] > 0) | (products["is_included"] > 0)][
        ["account_id", "product_id", "cutoff_date", "open_opportunities", "is_owned"]]
    held = held.assign(is_owned=held["is_owned"] > 0)
    out = pd.concat([scored.assign(is_owned=False), held], ignore_index=True)
    out["is_owned"] = out["is_owned"].astype(bool)
    out["is_included"] = out["cross_sell_score"].isna() & ~out["is_owned"]
    reason = out["reason"].where(~out["is_owned"], "owned")
    return pd.DataFrame({
        "account_id": out["account_id"],
        "product_id": out["product_id"],
        "scored_on": out["cutoff_date"].dt.date,
        "is_owned": out["is_owned"],
        "is_included": out["is_included"],
        "has_open_opportunity": out["open_opportunities"].fillna(0) > 0,
        "cross_sell_score": out["cross_sell_score"],
        "p_opportunity_90d": out["p_opportunity_90d"],
        "product_rank": out["product_rank"].astype("Int64"),
        "reason": reason.where(~out["is_included"], "included in a product it owns"),
        "model_version": champion.version,
    })


CROSS_SELL: Recipe[CrossSellProblem] = Recipe(
    name=NAME,
    estimator="HistGradientBoostingClassifier on account x product rows (products "
              "one-hot, industries target-encoded)",
    label="a deal for the product created in the label window",
    rows=cross_sell_problem,
    make_estimator=make_estimator,
    baselines=(Baseline("popularity", popularity_baseline),),
    metrics=hit_rate_metrics,
    primary_metric="hit_rate_at_1",
    gate_metrics=("hit_rate_at_1", "hit_rate_at_3"),
    scores=ScoreTable("cross_sell_scores", (NAME,), score_products),
    params=GBM_PARAMS,
)
