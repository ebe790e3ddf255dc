"""Cross-sell: for every account and every product it does not own, how likely a deal
for that product is within the label window; the account x product matrix.

One row per account x cutoff x product it could buy: not owned, nor included in a
product it owns (seed ml_product_inclusions: Pro includes Core)
(marts.mart_account_product_features, with the account's point-in-time features beside
it); the label is a deal for the product
created in the window. Gradient-boosted trees learn how products follow each other
(add-ons after a platform, Pro after Core), which industries and sizes buy what, and how
interest in a product (its page, its campaigns) announces a deal.

Evaluated by holding out each account's latest purchase: for accounts whose latest won
deal was created after the evaluation cutoff, the products they did not own at the last
cutoff before that deal are ranked, and the purchased one should come first (hit rate at
1 and 3), against a popularity baseline (products ranked by how often they were bought
before the evaluation cutoff).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, TargetEncoder

from models_ml.features import FeatureSpec

#: Product-level inputs (mart_account_product_features).
PRODUCT_NUMERIC = ("list_price_jpy", "was_owned", "opportunities_before", "open_opportunities",
                   "lost_deals", "days_since_lost", "product_page_visits_30d",
                   "product_page_visits_180d", "campaign_responses_180d", "interest_365d",
                   "interest_share_365d")
PRODUCT_CATEGORICAL = ("product_id", "product_family")
#: Account-level inputs (mart_account_features at the same cutoff).
ACCOUNT_NUMERIC = ("employees", "revenue_growth_rate", "is_listed", "is_customer",
                   "products_owned", "owns_platform", "add_ons_owned", "owns_services",
                   "deal_size_index", "engagement_score", "relationship_quality_score",
                   "opportunities_365d", "known_contacts", "ma_touches_30d", "pricing_visits_30d")
ACCOUNT_CATEGORICAL = ("industry_division",)

SPEC = FeatureSpec(PRODUCT_NUMERIC + ACCOUNT_NUMERIC, PRODUCT_CATEGORICAL + ACCOUNT_CATEGORICAL)
LABEL = "label_opportunity_90d"
GBM_PARAMS = {"learning_rate": 0.1, "max_iter": 200, "max_depth": 3, "min_samples_leaf": 50,
              "l2_regularization": 1.0, "early_stopping": False}


def candidate_rows(products: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Account x cutoff x product rows of the products the account could buy (neither
    owned nor included in an owned product), with the account's features (CRM accounts
    only: a prospect has no product rows)."""
    cols = ["account_key", "account_id", "cutoff_date", *ACCOUNT_NUMERIC, *ACCOUNT_CATEGORICAL]
    accounts = accounts[accounts["account_id"].notna()]
    rows = products[(products["is_owned"] == 0) & (products["is_included"] == 0)]
    return rows.merge(accounts[cols], on=["account_id", "cutoff_date"], how="inner")


def make_cross_sell_model(random_state: int = 0, spec: FeatureSpec = SPEC) -> Pipeline:
    """Gradient boosting over ``spec``'s columns (:data:`SPEC`, or fewer when some were set
    aside): products one-hot, industries target-encoded, numbers as they are."""
    targets = TargetEncoder(cv=KFold(5, shuffle=True, random_state=random_state))
    encode = ColumnTransformer(
        [("products", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
          [c for c in spec.categorical if c in PRODUCT_CATEGORICAL]),
         ("industry", targets, [c for c in spec.categorical if c not in PRODUCT_CATEGORICAL]),
         ("numbers", "passthrough", list(spec.numeric))],
        verbose_feature_names_out=False,
    )
    return Pipeline([("encode", encode),
                     ("trees", HistGradientBoostingClassifier(random_state=random_state,
                                                              **GBM_PARAMS))])


def latest_purchases(opportunities: pd.DataFrame, after: pd.Timestamp,
                     cutoffs: pd.Series) -> pd.DataFrame:
    """Each account's latest won deal, when it was created after ``after``, with the last
    cutoff before its creation (the state it is predicted from)."""
    won = opportunities[opportunities["is_won"].astype(bool)
                        & (opportunities["created_on"] > after)]
    won = won.sort_values(["account_id", "created_on", "opportunity_id"])
    latest = won.groupby("account_id", as_index=False).tail(1)
    points = np.sort(pd.to_datetime(cutoffs.unique()))
    idx = np.searchsorted(points, latest["created_on"].to_numpy(), side="left") - 1
    latest = latest.assign(state_cutoff=[points[i] if i >= 0 else pd.NaT for i in idx])
    latest = latest[latest["state_cutoff"] >= after]
    return latest[["account_id", "product_id", "created_on", "state_cutoff"]]


def hit_rates(candidates: pd.DataFrame, purchases: pd.DataFrame, score: str,
              ks: tuple[int, ...] = (1, 3)) -> dict[str, float]:
    """Share of held-out purchases ranked in the top k of their account's candidates."""
    rows = candidates.merge(
        purchases.rename(columns={"product_id": "bought", "state_cutoff": "cutoff_date"}),
        on=["account_id", "cutoff_date"], how="inner")
    rows = rows.sort_values(["account_id", score, "product_id"], ascending=[True, False, True])
    rows["rank"] = rows.groupby("account_id").cumcount() + 1
    hit = rows[rows["product_id"] == rows["bought"]]
    n = rows["account_id"].nunique()
    out = {f"hit_rate_at_{k}": float((hit["rank"] <= k).sum() / n) if n else float("nan")
           for k in ks}
    out["n_rows"] = int(n)
    out["n_positives"] = len(hit)
    out["mean_candidates"] = float(rows.groupby("account_id").size().mean()) if n else 0.0
    return out


def popularity(opportunities: pd.DataFrame, until: pd.Timestamp) -> pd.Series:
    """Won deals per product created up to ``until``, as shares: the popularity baseline."""
    won = opportunities[opportunities["is_won"].astype(bool)
                        & (opportunities["created_on"] <= until)]
    counts = won["product_id"].value_counts()
    return counts / counts.sum()
