"""What the ingest DAG tests read after a dag.test() run: task states, the batches in
the warehouse, and the asset events in Airflow's metadata database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def states(run: Any) -> dict[tuple[str, int], str]:
    return {(ti.task_id, ti.map_index): str(getattr(ti.state, "value", ti.state))
            for ti in run.get_task_instances()}


def succeeded(run: Any) -> bool:
    return str(run.state) in ("success", "DagRunState.SUCCESS")


def batches(home: Path) -> dict[str, str]:
    """source_file -> status of every batch in ``audit.load_batches``."""
    path = home / "warehouse" / "kizuna.duckdb"
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute(
            "SELECT source_file, status FROM audit.load_batches").fetchall())
    finally:
        con.close()


def raw_asset_events(run_id: str) -> int:
    """How many times the run marked the ``kizuna_raw`` asset updated."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return int(session.scalar(
            select(func.count()).select_from(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == "kizuna_raw", AssetEvent.source_run_id == run_id)) or 0)
