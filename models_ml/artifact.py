"""What a trained version is: its fitted estimators (:class:`ModelArtifact`, stored as
``model.joblib``), its metadata (:class:`VersionMeta`, stored as ``meta.json``) and what
training it came to (:class:`Outcome`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from models_ml.features import FeatureSpec
from models_ml.lookalike import GoodCustomerNeighbours

#: Scorer -> metric -> value (None where a metric has no value): a metric table as JSON.
MetricTable = dict[str, dict[str, float | None]]


def metric_table_json(metrics: pd.DataFrame) -> MetricTable:
    """One row per scorer, one column per metric, as JSON-ready floats."""
    return {scorer: {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
            for scorer, row in metrics.iterrows()}


@dataclass(frozen=True)
class ModelArtifact:
    """A version's fitted estimators and what scoring needs besides."""

    spec: FeatureSpec
    #: Scores the scoring date: fitted on every labelled row.
    model: Any
    #: Fitted on the training cutoffs only: what a challenger is compared with.
    evaluation_model: Any
    #: The baselines' fitted state, by name (a fitted estimator, popularity shares).
    baselines: dict[str, Any] = field(default_factory=dict)
    #: The nearest good customers (lookalike).
    neighbours: GoodCustomerNeighbours | None = None

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ModelArtifact:
        """An artifact stored as a dict of estimators, by earlier versions of Kizuna."""
        baselines = {name: doc[key] for name, key in (
            ("logistic_regression", "logistic_regression"),
            ("engagement_score", "engagement_baseline"), ("popularity", "popularity"))
            if key in doc}
        return cls(FeatureSpec.from_dict(doc["spec"]), doc["model"], doc["evaluation_model"],
                   baselines, doc.get("neighbours"))


@dataclass(frozen=True)
class VersionMeta:
    """What a version says about itself: how it was trained and evaluated, how well it did."""

    estimator: str
    label: str
    features: FeatureSpec
    evaluation_cutoff: str
    evaluation_cutoffs_text: str
    training_cutoffs: list[str]
    training_cutoffs_text: str
    data_fingerprint: str
    metrics: MetricTable
    primary_metric: str
    primary_value: float
    #: Hyperparameters, when the recipe fixes them.
    params: dict[str, Any] | None = None
    #: Inputs set aside before fitting (all null or constant on the training rows):
    #: column -> why. ``features`` is what the model learnt from and scoring reads.
    set_aside: dict[str, str] = field(default_factory=dict)
    #: The model's own figures (rows, positives, AUC by cutoff...), shown as they are.
    details: dict[str, Any] = field(default_factory=dict)
    #: Set by the registry when the version is saved.
    model_name: str = ""
    model_version: str = ""
    created_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """meta.json's document: the fields, ``details`` among them at the top level."""
        doc = asdict(self)
        doc["features"] = self.features.to_dict()
        doc["created_at"] = self.created_at.isoformat() if self.created_at else None
        details = doc.pop("details")
        if self.params is None:
            doc.pop("params")
        return {**doc, **details}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> VersionMeta:
        """The metadata in ``doc`` (a meta.json); what an older version lacks is left empty."""
        known = set(cls.__dataclass_fields__) - {"details"}
        created = doc.get("created_at")
        return cls(
            estimator=doc.get("estimator", ""),
            label=doc.get("label", ""),
            features=FeatureSpec.from_dict(doc.get("features", {"numeric": []})),
            evaluation_cutoff=doc.get("evaluation_cutoff", ""),
            evaluation_cutoffs_text=doc.get("evaluation_cutoffs_text",
                                            doc.get("evaluation_cutoff", "")),
            training_cutoffs=doc.get("training_cutoffs", []),
            training_cutoffs_text=doc.get("training_cutoffs_text", ""),
            data_fingerprint=doc.get("data_fingerprint", ""),
            metrics=doc.get("metrics", {}),
            primary_metric=doc.get("primary_metric", ""),
            primary_value=doc.get("primary_value", float("nan")),
            params=doc.get("params"),
            set_aside=doc.get("set_aside", {}),
            details={k: v for k, v in doc.items() if k not in known},
            model_name=doc.get("model_name", ""),
            model_version=doc.get("model_version", ""),
            created_at=datetime.fromisoformat(created) if created else None,
        )


@dataclass(frozen=True)
class Outcome:
    """What training one model came to: a version, its metrics and whether it became
    champion and why; or, when the data does not support the model, why it was skipped."""

    model_name: str
    #: None when the model was skipped.
    version: str | None
    is_champion: bool
    decision: str
    metrics: MetricTable
    seconds: float
    primary_metric: str = "roc_auc"
    #: Inputs set aside before fitting: column -> why.
    set_aside: dict[str, str] = field(default_factory=dict)
    #: Why the model was not trained (None: it was).
    skipped: str | None = None

    @classmethod
    def skip(cls, model_name: str, reason: str, seconds: float) -> Outcome:
        """A model the data does not support: not trained, and why."""
        return cls(model_name, None, False, f"not trained: {reason}", {}, seconds,
                   skipped=reason)

    def to_dict(self) -> dict[str, Any]:
        """The outcome as JSON (a DAG task's return value, the CLI's lines)."""
        return {"model_name": self.model_name, "version": self.version,
                "is_champion": self.is_champion, "decision": self.decision,
                "primary_metric": self.primary_metric, "metrics": self.metrics,
                "seconds": round(self.seconds, 1), "set_aside": dict(self.set_aside),
                "skipped": self.skipped}
