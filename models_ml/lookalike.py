"""Lookalikes: which ordinary customers (一般顧客) and prospects resemble the good
customers (優良顧客), and which good customers they resemble most.

Positive-unlabelled learning (Elkan & Noto, 2008): the good customers the seed rule
(customer_segments) names are the labelled positives; every other account is
unlabelled — some of them are of the same kind, they have just not bought enough yet. A
classifier g(x) = P(labelled | x) is trained on positives vs unlabelled; held-out
positives estimate c = P(labelled | positive) as the mean of g on them, and
P(positive | x) = g(x) / c. Nearest neighbours in the same (scaled, weighted) feature
space name the three most similar good customers.

The features leave out what defines the label (ARR, tenure, products owned: being a
customer for years is the rule itself) and what only a CRM account can have (deals,
contacts, sales touches: every company is scored, prospects too), so companies are
compared on what a good customer *is like* and any company shows: size, industry,
growth, listing and group, how they engage with marketing.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.utils import Tags, _safe_indexing, get_tags, indexable
from sklearn.utils.validation import check_consistent_length, check_is_fitted, validate_data

from models_ml.features import FeatureSpec
from models_ml.propensity import binary_target, make_logistic_regression

#: Features the good-customer rule is made of, or that only customers can have: left out.
LABEL_DEFINING = (
    "arr_jpy", "tenure_days", "is_customer", "products_owned", "owns_platform",
    "add_ons_owned", "owns_services", "days_to_renewal", "eligible_products",
    "eligible_add_ons", "products_churned", "won_deals", "won_deals_365d", "days_since_win",
    "relationship_quality_score",  # its tenure component is the rule's tenure
)
#: Point-in-time features about this month only (the profile is about the long run).
SHORT_TERM_SUFFIXES = ("_14d", "_prev_60d", "_7d")
EXCLUDED = ("cutoff_month", "fiscal_year_end_share", "account_age_days")
#: What only a CRM account can have (sales touches, contacts, deals, the tier sales gave
#: it): a prospect is zero or null on every one by construction, so with these the model
#: learns "is in the CRM" and ranks every prospect below every customer (measured on the
#: default world: no prospect in the top 200, and the truth's potential good customers
#: ranked worse than by size, ROC AUC 0.69 against 0.73). Left out, companies are compared
#: on what every company has: firmographics and marketing engagement.
CRM_RELATIONSHIP = (
    "sales_calls_30d", "proposals_30d", "meetings_held_90d", "two_way_touches_90d",
    "engaged_contacts_90d", "known_contacts", "known_required_roles",
    "engaged_required_roles", "buying_group_coverage", "opportunities_total",
    "opportunities_90d", "opportunities_365d", "open_opportunities", "open_max_stage",
    "open_pipeline_jpy", "lost_deals", "lost_deals_365d", "days_since_opportunity",
    "days_since_loss", "deal_size_index", "products_lost_90d", "lost_deals_reproposed",
    "reproposal_rate", "multithreading_contacts", "reactivations", "meetings_365d",
    "meeting_acceptance_rate", "abm_tier",
)


def lookalike_spec(account_spec: FeatureSpec) -> FeatureSpec:
    """The lookalike model's inputs: the account features minus the label's own and
    minus what only a CRM account can have (prospects are scored too)."""
    dropped = {*LABEL_DEFINING, *EXCLUDED, *CRM_RELATIONSHIP}
    keep = tuple(c for c in account_spec.numeric
                 if c not in dropped and not c.endswith(SHORT_TERM_SUFFIXES))
    return FeatureSpec(keep, tuple(c for c in account_spec.categorical if c not in dropped))


def holdout_mask(account_ids: pd.Series, share: float = 0.25) -> np.ndarray:
    """A stable pseudo-random subset of accounts (by a hash of the id): the same accounts
    are held out in every training run, so versions are compared on the same positives."""
    buckets = account_ids.map(
        lambda a: int(hashlib.sha256(str(a).encode()).hexdigest()[:8], 16) % 1000)
    return (buckets < share * 1000).to_numpy()


class ElkanNotoClassifier(ClassifierMixin, BaseEstimator):
    """Positive-unlabelled classifier: fit(X, y) with y = s, the labelled positives (the
    greater of two classes: 1 against 0) and the unlabelled rows.

    ``predict_proba`` estimates P(positive | x) = g(x) / c, clipped to [0, 1]. Set
    ``holdout`` (a boolean mask of rows) at fit time to choose which positives estimate c;
    by default a random ``holdout_share`` of them. ``X`` is whatever ``estimator`` takes
    (a data frame for the lookalike's pipeline): it validates it.
    """

    def __init__(self, estimator: BaseEstimator | None = None, holdout_share: float = 0.25,
                 random_state: int = 0):
        self.estimator = estimator
        self.holdout_share = holdout_share
        self.random_state = random_state

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # labelled or not: two classes by design
        tags.input_tags.sparse = get_tags(self._estimator()).input_tags.sparse
        return tags

    def _estimator(self) -> BaseEstimator:
        return self.estimator if self.estimator is not None else LogisticRegression(max_iter=2000)

    def fit(self, X: pd.DataFrame, y: ArrayLike, holdout: ArrayLike | None = None
            ) -> ElkanNotoClassifier:
        X, y = indexable(X, y)
        self.classes_, s = binary_target(y, "Elkan-Noto (labelled positives and unlabelled "
                                            "rows)")
        held = np.asarray(self._random_holdout(s) if holdout is None else holdout,
                          dtype=bool) & (s == 1)
        if held.sum() == 0 or (s[~held] == 1).sum() == 0:
            raise ValueError("Elkan-Noto needs labelled positives both to train on and to "
                             f"hold out: {int((s == 1).sum())} positives of class "
                             f"{self.classes_[1]!r}, {int(held.sum())} held out")
        self.estimator_ = clone(self._estimator())
        self.estimator_.fit(_safe_indexing(X, np.flatnonzero(~held)), s[~held])
        g = self.estimator_.predict_proba(_safe_indexing(X, np.flatnonzero(held)))[:, 1]
        self.c_ = float(np.mean(g))
        self.n_holdout_ = int(held.sum())
        self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _random_holdout(self, s: np.ndarray) -> np.ndarray:
        """``holdout_share`` of the positives at random, at least one, and one kept."""
        positives = np.flatnonzero(s == 1)
        n = min(max(1, round(self.holdout_share * len(positives))), len(positives) - 1)
        holdout = np.zeros(len(s), dtype=bool)
        if n > 0:
            rng = np.random.default_rng(self.random_state)
            holdout[rng.choice(positives, size=n, replace=False)] = True
        return holdout

    def labelled_proba(self, X: pd.DataFrame) -> np.ndarray:
        """g(x) = P(labelled | x)."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)[:, 1]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = np.clip(self.labelled_proba(X) / self.c_, 0.0, 1.0)
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p >= 0.5).astype(int)]


def make_lookalike(spec: FeatureSpec, random_state: int = 0) -> ElkanNotoClassifier:
    """Elkan-Noto over a regularised logistic regression (few positives: a linear g)."""
    return ElkanNotoClassifier(make_logistic_regression(spec, C=0.3), random_state=random_state)


class GoodCustomerNeighbours(BaseEstimator):
    """The good customers nearest to an account, in the lookalike model's feature space:
    features as its logistic regression sees them (log-scaled, standardised, one-hot),
    each weighted by the size of its coefficient, so similarity is about what matters.

    ``fit(X, y)``: the good customers' features and their ids. ``model`` is a fitted
    :class:`ElkanNotoClassifier` over :func:`make_lookalike`'s pipeline; without one the
    space is the features' own (numbers).
    """

    def __init__(self, model: ElkanNotoClassifier | None = None, n_neighbors: int = 3):
        self.model = model
        self.n_neighbors = n_neighbors

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True  # the ids the neighbours are named by
        return tags

    def fit(self, X: pd.DataFrame, y: ArrayLike) -> GoodCustomerNeighbours:
        if self.model is None:
            X, y = validate_data(self, X, y)
            self.encode_, self.weights_ = None, np.ones(X.shape[1])
        else:
            validate_data(self, X, y, skip_check_array=True)
            check_consistent_length(X, y)
            check_is_fitted(self.model)
            pipeline: Pipeline = self.model.estimator_
            self.encode_ = pipeline.named_steps["encode"]
            self.weights_ = np.abs(pipeline.named_steps["model"].coef_.ravel())
        self.ids_ = np.asarray(y)
        k = min(self.n_neighbors, len(self.ids_))
        self.nn_ = NearestNeighbors(n_neighbors=k).fit(self._space(X))
        return self

    def _space(self, X: pd.DataFrame) -> np.ndarray:
        if self.encode_ is None:
            return np.asarray(X, dtype=float) * self.weights_
        Z = self.encode_.transform(X)
        Z = Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z)
        return Z * self.weights_

    def kneighbors(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(ids, distances) of the nearest good customers, nearest first."""
        check_is_fitted(self)
        if self.encode_ is None:
            X = validate_data(self, X, reset=False)
        else:
            validate_data(self, X, skip_check_array=True, reset=False)
        distance, index = self.nn_.kneighbors(self._space(X))
        return self.ids_[index], distance

    def __setstate__(self, state: dict[str, object]) -> None:
        # versions stored before this was a scikit-learn estimator named its parts so
        if "encode" in state:
            encode: Any = state.pop("encode")
            state = {**state, "model": None, "encode_": encode, "weights_": state.pop("weights"),
                     "n_features_in_": encode.n_features_in_,
                     "feature_names_in_": encode.feature_names_in_}
        super().__setstate__(state)
