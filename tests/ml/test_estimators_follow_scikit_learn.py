"""The custom estimators pass scikit-learn's estimator checks: they clone, validate their
inputs, refuse what they cannot fit and predict the classes they were fitted on."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

from models_ml.lookalike import ElkanNotoClassifier, GoodCustomerNeighbours
from models_ml.propensity import EngagementScoreBaseline

#: Why the engagement score baseline fails a check: its decision function is the
#: engagement score itself (0-100), which ranks accounts as the marts do; it is not a
#: margin around the 0.5 probability threshold, so its sign does not give the class
#: ``predict`` gives (that is ``predict_proba``'s calibrated probability).
SCORE_IS_NOT_A_MARGIN = ("decision_function is the engagement score (0-100), which ranks; "
                         "its sign is not the predicted class")


def expected_failed_checks(estimator: BaseEstimator) -> dict[str, str]:
    if isinstance(estimator, EngagementScoreBaseline):
        return {
            "check_classifiers_train": SCORE_IS_NOT_A_MARGIN,
            "check_classifiers_classes": SCORE_IS_NOT_A_MARGIN,
        }
    return {}


# the engagement score baseline reads a data frame's column by name; the checks pass
# arrays, so it reads the first column by position
@parametrize_with_checks(
    [ElkanNotoClassifier(), EngagementScoreBaseline(column=0), GoodCustomerNeighbours()],
    expected_failed_checks=expected_failed_checks,
)
def test_custom_estimators_pass_scikit_learns_checks(estimator, check):
    check(estimator)
