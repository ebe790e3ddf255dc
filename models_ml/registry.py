"""The model registry: versioned artifacts, their metadata, and a champion per model.

Layout under ``KIZUNA_HOME/models/``::

    <model_name>/<version>/model.joblib      the fitted estimators (evaluation + scoring)
    <model_name>/<version>/meta.json         metrics, features, cutoffs, data fingerprint
    <model_name>/<version>/evaluation.parquet  the evaluation rows with every scorer's score
    <model_name>/champion.json               the version scoring uses

and one row per version in ``ml.model_registry`` (plus its metrics in
``ml.model_metrics``) for BI; ``features`` there names the inputs and those set aside.
A version becomes champion only when it beats its baselines on the recipe's gate metrics
(PR AUC and top-decile lift for the propensity and lookalike models: a model no better
than a rule publishes no scores) and is better than the champion on the same evaluation:
the champion's evaluation model is scored on the challenger's evaluation rows and the
primary metric compared (see :func:`decide`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import joblib
import pandas as pd

from kizuna.settings import Settings, get_settings
from kizuna.warehouse import Warehouse
from models_ml.artifact import ModelArtifact, VersionMeta
from models_ml.store import ensure_ml_tables, replace_rows

log = logging.getLogger(__name__)


class NoChampionError(RuntimeError):
    """Scoring found no champion for a model: train first (or on more data)."""


@dataclass(frozen=True)
class ModelVersion:
    model_name: str
    version: str
    path: Path
    meta: VersionMeta

    def load(self) -> ModelArtifact:
        """The artifact: the fitted estimators and what they need."""
        artifact = joblib.load(self.path / "model.joblib")
        return ModelArtifact.from_dict(artifact) if isinstance(artifact, dict) else artifact

    def evaluation_rows(self) -> pd.DataFrame | None:
        path = self.path / "evaluation.parquet"
        return pd.read_parquet(path) if path.exists() else None


def models_dir(settings: Settings | None = None) -> Path:
    s = settings or get_settings()
    return Path(os.environ.get("KIZUNA_MODELS", s.home / "models"))


class Registry:
    """Artifacts of every model under one root (``KIZUNA_HOME/models`` by default)."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else models_dir()

    def save(self, model_name: str, artifact: ModelArtifact, meta: VersionMeta,
             evaluation: pd.DataFrame | None = None) -> ModelVersion:
        """Store a new version; returns it (not yet champion)."""
        created = datetime.now(UTC)
        version = f"{model_name}-{created:%Y%m%dT%H%M%S%f}-{meta.data_fingerprint[:8]}"
        path = self.root / model_name / version
        path.mkdir(parents=True, exist_ok=False)
        meta = dataclasses.replace(meta, model_name=model_name, model_version=version,
                                   created_at=created)
        joblib.dump(artifact, path / "model.joblib", compress=3)
        if evaluation is not None:
            evaluation.to_parquet(path / "evaluation.parquet", index=False)
        (path / "meta.json").write_text(json.dumps(meta.to_json(), indent=2, default=str),
                                        encoding="utf-8")
        log.debug("saved %s", version)
        return ModelVersion(model_name, version, path, meta)

    def get(self, model_name: str, version: str) -> ModelVersion:
        path = self.root / model_name / version
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        return ModelVersion(model_name, version, path, VersionMeta.from_json(meta))

    def versions(self, model_name: str) -> list[ModelVersion]:
        base = self.root / model_name
        if not base.exists():
            return []
        return [self.get(model_name, p.name) for p in sorted(base.iterdir())
                if (p / "meta.json").exists()]

    def champion(self, model_name: str) -> ModelVersion | None:
        pointer = self.root / model_name / "champion.json"
        if not pointer.exists():
            return None
        return self.get(model_name, json.loads(pointer.read_text())["version"])

    def require_champion(self, model_name: str) -> ModelVersion:
        champion = self.champion(model_name)
        if champion is None:
            if self.versions(model_name):
                raise NoChampionError(
                    f"no {model_name} champion: no version trained so far beat its "
                    "baselines (ml.model_registry's decision says why, per version); train "
                    "again on more data (`kizuna ml train`)")
            raise NoChampionError(
                f"no trained {model_name} model in {self.root}: run `kizuna ml train` (or the "
                "kizuna_ml_train DAG) before scoring")
        return champion

    def set_champion(self, version: ModelVersion, decision: str) -> None:
        pointer = self.root / version.model_name / "champion.json"
        tmp = pointer.with_suffix(".part")
        tmp.write_text(json.dumps({"version": version.version, "decision": decision,
                                   "since": datetime.now(UTC).isoformat()}, indent=2))
        tmp.replace(pointer)
        log.info("champion of %s: %s (%s)", version.model_name, version.version, decision)


def beats_baselines(metrics: pd.DataFrame, baselines: Sequence[str],
                    gate_metrics: Sequence[str]) -> tuple[bool, str]:
    """Whether the model (row ``model`` of ``metrics``) is strictly better than every one of
    ``baselines`` on every one of ``gate_metrics`` (a missing value is not better), and the
    figures that say so, or those where it is not."""
    wins, losses = [], []
    for metric in gate_metrics:
        model = float(metrics.loc["model", metric])
        for baseline in baselines:
            value = float(metrics.loc[baseline, metric])
            if model > value:
                wins.append(f"{metric} {model:.4f} > {baseline} {value:.4f}")
            else:
                losses.append(f"{metric} {model:.4f} <= {baseline} {value:.4f}")
    if losses:
        return False, f"does not beat its baselines on the evaluation rows: {'; '.join(losses)}"
    if not wins:
        return True, "no baseline to beat"
    return True, f"beats its baselines: {'; '.join(wins)}"


def decide(challenger_value: float, champion_value: float | None, metric: str,
           champion: ModelVersion | None, reason_if_none: str = "first version",
           baselines: tuple[bool, str] = (True, "")) -> tuple[bool, str]:
    """Whether the challenger replaces the champion, and why: it must beat its baselines
    (``baselines``: :func:`beats_baselines`' verdict) and then the champion, strictly."""
    beats, figures = baselines
    if not beats:
        stays = (f"champion {champion.version} stays" if champion is not None
                 else "no champion yet")
        return False, f"not champion: {figures}; {stays}"
    also = f"; {figures}" if figures else ""
    if champion is None or champion_value is None:
        return True, f"{reason_if_none}{also}"
    if challenger_value > champion_value:
        return True, (f"better than {champion.version} on the same evaluation: {metric} "
                      f"{challenger_value:.4f} > {champion_value:.4f}{also}")
    return False, (f"not better than champion {champion.version} on the same evaluation: "
                   f"{metric} {challenger_value:.4f} <= {champion_value:.4f}")


def record(wh: Warehouse, version: ModelVersion, is_champion: bool, decision: str) -> None:
    """Write the version to ml.model_registry and its metrics to ml.model_metrics."""
    ensure_ml_tables(wh)
    meta = version.meta
    row = pd.DataFrame([{
        "model_name": version.model_name,
        "model_version": version.version,
        "created_at": pd.Timestamp(meta.created_at).tz_convert(None),
        "estimator": meta.estimator,
        "evaluation_cutoff": meta.evaluation_cutoff,
        "evaluation_cutoffs": meta.evaluation_cutoffs_text,
        "training_cutoffs": meta.training_cutoffs_text,
        "feature_count": len(meta.features.columns),
        "features": json.dumps({**meta.features.to_dict(), "set_aside": meta.set_aside},
                               ensure_ascii=False),
        "metrics": json.dumps(meta.metrics, default=float),
        "primary_metric": meta.primary_metric,
        "primary_value": meta.primary_value,
        "data_fingerprint": meta.data_fingerprint,
        "artifact_path": str(version.path),
        "is_champion": is_champion,
        "decision": decision,
    }])
    metric_rows = [
        {"model_name": version.model_name, "model_version": version.version,
         "evaluation_cutoff": meta.evaluation_cutoff, "scorer": scorer,
         "metric": metric, "value": float(value),
         "n_rows": int(values.get("n_rows") or 0),
         "n_positives": int(values.get("n_positives") or 0)}
        for scorer, values in meta.metrics.items()
        for metric, value in values.items()
        if metric not in ("n_rows", "n_positives") and value is not None
    ]
    with wh.transaction():
        if is_champion:
            wh.execute("UPDATE ml.model_registry SET is_champion = false WHERE model_name = ?",
                       [version.model_name])
    replace_rows(wh, "model_registry", row, {"model_version": version.version})
    if metric_rows:
        replace_rows(wh, "model_metrics", pd.DataFrame(metric_rows),
                     {"model_version": version.version})
