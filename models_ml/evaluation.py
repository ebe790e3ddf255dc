"""How good the scores are: metrics, the simulator's oracle, lift and calibration charts.

Binary metrics (all from ``sklearn.metrics`` where it has them): ROC AUC, PR AUC
(average precision), lift and precision in the top decile, Brier score. Ranking metrics
read a scorer's ranking score (its decision function when it has one: the rule-based
score ranks by itself), the Brier score its probability.

On simulated data the truth folder gives the ceiling: the oracle scores every account
with the simulator's true ``p_opportunity_90d`` of its company at the cutoff
(``truth/propensity.csv``), accounts mapped to companies by ``truth/account_company.csv``
(never by the warehouse's identity resolution, which is what is being measured), and is
measured against the same realised labels as the models.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

METRICS = ("roc_auc", "pr_auc", "top_decile_lift", "top_decile_precision", "brier")


def top_fraction(score: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    """A boolean mask of the top ``fraction`` of rows by score (ties broken by order)."""
    n = max(1, round(len(score) * fraction))
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    mask = np.zeros(len(score), dtype=bool)
    mask[order[:n]] = True
    return mask


def binary_metrics(y: np.ndarray, score: np.ndarray,
                   probability: np.ndarray | None = None) -> dict[str, float]:
    """ROC AUC, PR AUC, top-decile lift and precision (on ``score``), Brier (on
    ``probability``; NaN without one)."""
    y = np.asarray(y).astype(int)
    score = np.asarray(score, dtype=float)
    top = top_fraction(score)
    base = y.mean()
    precision = y[top].mean()
    return {
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
        "top_decile_lift": float(precision / base) if base > 0 else float("nan"),
        "top_decile_precision": float(precision),
        "brier": float(brier_score_loss(y, probability)) if probability is not None
        else float("nan"),
        "n_rows": len(y),
        "n_positives": int(y.sum()),
    }


def metric_table(y: np.ndarray, scorers: Mapping[str, tuple[np.ndarray, np.ndarray | None]]
                 ) -> pd.DataFrame:
    """One row per scorer: ``scorers`` maps a name to (ranking score, probability)."""
    rows = {name: binary_metrics(y, score, prob) for name, (score, prob) in scorers.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


# --- the simulator's truth -----------------------------------------------------------

def truth_account_companies(truth_dir: Path) -> pd.DataFrame:
    """truth/account_company.csv: account_id -> the company it really is."""
    return pd.read_csv(truth_dir / "account_company.csv", dtype=str)


def true_companies(truth_dir: Path, accounts: pd.DataFrame) -> pd.Series:
    """The company each ABM account of ``accounts`` (account_key, account_id, key_source)
    really is: its CRM account's company in truth/account_company.csv, else the
    company-database record the account is keyed by; NaN for a company known only from
    its leads (the truth names no such company)."""
    companies = truth_account_companies(truth_dir).drop_duplicates("account_id")
    by_account = accounts["account_id"].map(companies.set_index("account_id")["corporate_number"])
    by_key = accounts["account_key"].where(accounts["key_source"] == "company_database")
    return by_account.where(accounts["account_id"].notna(), by_key)


def oracle_propensity(truth_dir: Path, accounts: pd.DataFrame) -> pd.DataFrame:
    """The simulator's true probability for ``accounts`` (account_key, account_id,
    key_source, cutoff_date).

    Returns the rows with ``p_oracle`` and ``had_opportunity_truth``; accounts whose
    company has no truth row at the cutoff get NaN.
    """
    truth = pd.read_csv(truth_dir / "propensity.csv", dtype={"corporate_number": str},
                        parse_dates=["cutoff_date"])
    truth["had_opportunity_truth"] = truth["had_opportunity_90d"].astype(str).str.lower() \
        == "true"
    out = accounts[["account_key", "cutoff_date"]].assign(
        corporate_number=true_companies(truth_dir, accounts).to_numpy())
    out = out.merge(truth[["corporate_number", "cutoff_date", "p_opportunity_90d",
                           "had_opportunity_truth"]],
                    on=["corporate_number", "cutoff_date"], how="left")
    return out.rename(columns={"p_opportunity_90d": "p_oracle"})


def truth_companies(truth_dir: Path) -> pd.DataFrame:
    return pd.read_csv(truth_dir / "companies.csv", dtype={"corporate_number": str})


def truth_flag(values: pd.Series) -> pd.Series:
    return values.astype(str).str.lower() == "true"


def cumulative_lift(y: np.ndarray, score: np.ndarray, steps: int = 10) -> pd.DataFrame:
    """Cumulative lift of ``score``: one row per top ``100 / steps`` percent of the rows by
    score (``top_percent``), with the positive rate there over the base rate (``lift``)."""
    y = np.asarray(y).astype(int)
    base = y.mean()
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    hits = np.cumsum(y[order])
    rows = []
    for step in range(1, steps + 1):
        n = max(1, round(len(y) * step / steps))
        rows.append({"top_percent": 100 * step / steps,
                     "lift": hits[n - 1] / n / base if base > 0 else float("nan")})
    return pd.DataFrame(rows)


def calibration_points(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed rate against mean predicted probability, one row per quantile bin
    (``sklearn.calibration.calibration_curve``)."""
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(np.asarray(y).astype(int), probability,
                                            n_bins=bins, strategy="quantile")
    return pd.DataFrame({"predicted": predicted, "observed": observed})


# --- charts --------------------------------------------------------------------------

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def lift_chart(y: np.ndarray, scores: Mapping[str, np.ndarray], path: Path,
               title: str = "Cumulative lift") -> Path:
    """Cumulative lift by decile of each score (PNG)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, score in scores.items():
        lift = cumulative_lift(y, score)
        ax.plot(lift["top_percent"], lift["lift"], marker="o", label=name)
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("top % of accounts by score")
    ax.set_ylabel("cumulative lift (x base rate)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def calibration_plot(y: np.ndarray, probabilities: Mapping[str, np.ndarray], path: Path,
                     title: str = "Calibration", bins: int = 10) -> Path:
    """Observed rate against predicted probability, by quantile bin (PNG)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    top = 0.0
    for name, p in probabilities.items():
        points = calibration_points(y, p, bins)
        ax.plot(points["predicted"], points["observed"], marker="o", label=name)
        top = max(top, float(points["predicted"].max()), float(points["observed"].max()))
    ax.plot([0, top], [0, top], color="grey", lw=0.8, ls="--", label="perfect")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed rate")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
