"""Run the dbt project (``dbt_project/``) in-process against the configured warehouse.

The Airflow DAGs run dbt through Cosmos; the CLI and tests use :func:`run_dbt`, which
calls dbt's programmatic runner (no subprocess, no 3-4 s of imports per call).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kizuna.settings import DBT_PROJECT_DIR, Settings, get_settings

log = logging.getLogger(__name__)

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


class DbtError(RuntimeError):
    """A dbt command failed; the message lists the failing nodes."""


@dataclass(frozen=True)
class NodeResult:
    name: str
    status: str
    message: str | None


def dbt_environment(settings: Settings | None = None) -> dict[str, str]:
    """Environment the dbt profile reads (target, DuckDB path, Postgres credentials)."""
    s = settings or get_settings()
    return {"KIZUNA_WAREHOUSE": s.warehouse, **s.dbt_env()}


def run_dbt(
    args: Sequence[str],
    settings: Settings | None = None,
    quiet: bool = False,
    check: bool = True,
) -> list[NodeResult]:
    """Run one dbt command (``["build"]``, ``["parse"]``...) and return per-node results."""
    from dbt.cli.main import dbtRunner

    s = settings or get_settings()
    # the profile reads these; put them back afterwards, or a later caller with other
    # settings (another warehouse, another test's home) would find this call's values
    env = dbt_environment(s)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    cli = [
        *args,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", s.dbt_target,
    ]
    if quiet:
        cli = ["--quiet", *cli]
    log.info("dbt %s", " ".join(args))
    try:
        res = dbtRunner().invoke(cli)
    finally:
        release_dbt_connections()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nodes: list[NodeResult] = []
    result = res.result
    for r in getattr(result, "results", None) or []:
        node = getattr(r, "node", None)
        nodes.append(NodeResult(getattr(node, "name", str(node)), str(r.status),
                                getattr(r, "message", None)))
    if check and not res.success:
        failed = [f"{n.name}: {n.status} ({n.message})" for n in nodes
                  if n.status not in ("success", "pass", "warn", "skipped", "RunStatus.Success")]
        detail = "; ".join(failed[:20]) or str(res.exception)
        raise DbtError(f"dbt {' '.join(args)} failed: {detail}")
    return nodes


def cosmos_profile() -> Any:
    """The Cosmos profile every dbt task group of the DAGs uses (dbt_project/profiles.yml)."""
    from cosmos import ProfileConfig

    return ProfileConfig(
        profile_name="kizuna",
        target_name=get_settings().dbt_target,
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


def cosmos_operator_args(pool: str) -> dict[str, Any]:
    """Arguments of every Cosmos dbt task: no `dbt deps`, the one-slot warehouse ``pool``,
    dbt's environment, and dbt-duckdb's file handle closed when the task ends."""
    return {
        "install_deps": False,
        "pool": pool,
        # The DAGs render from the manifest `kizuna dbt-parse` writes; a task need not
        # rewrite manifest.json and run_results.json (about a third of a small task's time).
        "dbt_cmd_flags": ["--no-write-json"],
        "env": dbt_environment(),
        "callback": "kizuna.transform.release_dbt_connections",
    }


def release_dbt_connections(*_: Any, **__: Any) -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process.

    dbt-duckdb holds the warehouse file open (with its own settings) after a command; the
    loader or a later dbt call in the same process could then not open it. Also used as
    the Cosmos post-execution callback, whose signature it accepts.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # the postgres-only install
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if env is not None:
        try:
            env.close()
        except Exception:  # already closed
            log.debug("dbt-duckdb environment was already closed")


def parse(settings: Settings | None = None) -> None:
    """Write ``dbt_project/target/manifest.json`` (the DAGs render from it)."""
    run_dbt(["parse"], settings=settings, quiet=True)


def require_manifest() -> None:
    """Fail DAG parsing with a clear message when the dbt manifest has not been built."""
    if not MANIFEST_PATH.exists():
        raise FileNotFoundError(
            f"{MANIFEST_PATH} is missing: the transform DAG renders from dbt's manifest. "
            "Run `kizuna dbt-parse` (make demo and make test do it) and reload the DAGs."
        )
