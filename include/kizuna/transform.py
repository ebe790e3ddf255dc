"""Run the dbt project (``dbt_project/``) in-process against the configured warehouse.

A :class:`DbtStep` names one dbt command of the pipeline (``kizuna.pipeline`` holds the
steps). The Airflow DAGs run a step as one Cosmos task (:func:`cosmos_task`); the CLI and
tests run it with :func:`run_step`, which calls dbt's programmatic runner (no subprocess,
no 3-4 s of imports per call). Both pass dbt the same arguments.

No secret is ever a field of a DAG's task (Airflow stores task fields in its metadata DB):
on PostgreSQL, Cosmos builds each dbt task's profile from the Airflow connection
:data:`WAREHOUSE_CONN_ID` when the task runs; on DuckDB there is no password at all.

``dbt_project/target/`` holds one thing: the manifest and the partial-parse state every
dbt command starts from (Cosmos copies both into each task's copy of the project), so no
command parses the whole project. Only :func:`parse` writes there, one process at a time,
and it replaces both files atomically, so a task starting at any moment reads a whole
state. Every other dbt command writes its artifacts to a folder of its own; in this
process it starts from the state the last command on the same warehouse left in the home
(:func:`parse_state_path`), as the published one serves only the warehouse it was parsed for.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from kizuna.settings import DBT_PROJECT_DIR, Settings, get_settings

log = logging.getLogger(__name__)

TARGET_DIR = DBT_PROJECT_DIR / "target"
MANIFEST_PATH = TARGET_DIR / "manifest.json"
PARTIAL_PARSE_PATH = TARGET_DIR / "partial_parse.msgpack"
#: Where :func:`parse` lets dbt write, under the lock, before publishing the manifest.
PARSE_WORKDIR = TARGET_DIR / "parse"
PARSE_LOCK = TARGET_DIR / ".parse.lock"
#: The Airflow connection (type postgres) the DAGs' dbt tasks reach PostgreSQL through.
WAREHOUSE_CONN_ID = "kizuna_warehouse"


class DbtError(RuntimeError):
    """A dbt command failed; the message lists the failing nodes."""


@dataclass(frozen=True)
class NodeResult:
    name: str
    status: str
    message: str | None


@dataclass(frozen=True)
class DbtStep:
    """One dbt command of the pipeline, and the Airflow task that runs it.

    ``select`` and ``exclude`` are dbt selectors; ``indirect_selection`` is dbt's rule for
    which tests come with the selected nodes (``None``: dbt's default, ``eager``).
    ``source freshness`` is run by :func:`check_freshness` (its results are recorded).
    """

    task_id: str
    command: Literal["build", "test", "source freshness"]
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    indirect_selection: str | None = None

    def args(self) -> list[str]:
        """The dbt command line of this step (without project, profile and target)."""
        args: list[str] = self.command.split()
        if self.select:
            args += ["--select", *self.select]
        if self.exclude:
            args += ["--exclude", *self.exclude]
        if self.indirect_selection:
            args += ["--indirect-selection", self.indirect_selection]
        return args


@dataclass(frozen=True)
class SourceFreshness:
    """One source table's freshness as ``dbt source freshness`` judged it (a row of
    ``audit.source_freshness``, :func:`kizuna.ledger.record_freshness`)."""

    source_name: str
    table_name: str
    raw_table: str
    status: str  # pass | warn | error | runtime error
    max_loaded_at: datetime | None  # UTC, naive
    age_hours: float | None
    warn_after: str | None  # "2 day"
    error_after: str | None
    message: str | None = None


def dbt_environment(settings: Settings | None = None) -> dict[str, str]:
    """Environment dbt_project/profiles.yml reads (target, DuckDB path, Postgres
    credentials): for :func:`run_dbt`, in this process, never for a DAG's task."""
    s = settings or get_settings()
    return {"KIZUNA_WAREHOUSE": s.warehouse, **s.dbt_env()}


def dbt_task_environment(settings: Settings | None = None) -> dict[str, str]:
    """The ``env`` of the DAGs' dbt tasks: the target, the DuckDB file, the business time
    zone and currency; nothing secret."""
    s = settings or get_settings()
    env = {"KIZUNA_WAREHOUSE": s.warehouse, **s.reporting_env()}
    if s.warehouse == "duckdb":
        env["KIZUNA_DUCKDB_PATH"] = str(s.duckdb_path)
    return env


@contextmanager
def dbt_target_folder(target_path: Path | None = None,
                      settings: Settings | None = None) -> Iterator[Path]:
    """The folder one dbt command writes its artifacts to (never ``dbt_project/target``).

    ``target_path`` if given, else ``$DBT_TARGET_PATH`` if set (keep a build's compiled SQL
    and run results there to read them afterwards), else a temporary folder removed
    afterwards, seeded with the partial-parse state of the last command on the same
    warehouse (or, before any, the published one) so dbt need not parse the project from
    scratch, and whose state is kept for the next command.
    """
    chosen = _chosen_target(target_path)
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        yield Path(chosen)
        return
    kept = parse_state_path(settings or get_settings())
    with tempfile.TemporaryDirectory(prefix="kizuna-dbt-target-") as tmp:
        state = Path(tmp) / PARTIAL_PARSE_PATH.name
        for seed in (kept, PARTIAL_PARSE_PATH):
            with suppress(FileNotFoundError):  # neither: dbt parses in full
                shutil.copyfile(seed, state)
                break
        yield Path(tmp)
        if state.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(state, kept)


def _chosen_target(target_path: Path | None) -> Path | str | None:
    """The artifact folder a caller asked for, if any (else dbt writes to a throw-away one)."""
    return target_path or os.environ.get("DBT_TARGET_PATH")


def parse_state_path(settings: Settings) -> Path:
    """Where the partial-parse state of dbt commands on ``settings``' warehouse is kept.

    dbt parses the whole project again (10-15 s) whenever the connection settings differ
    from those its state was written with, and a DuckDB file's path is one of them: the
    state ``kizuna dbt-parse`` publishes serves only the warehouse it was run for. So each
    home keeps one state per warehouse connection (a hash names it; no secret is written).
    """
    connection = json.dumps(dbt_environment(settings), sort_keys=True)
    key = hashlib.sha256(connection.encode()).hexdigest()[:16]
    return settings.home / "cache" / "dbt" / f"partial_parse-{key}.msgpack"


def run_dbt(
    args: Sequence[str],
    settings: Settings | None = None,
    quiet: bool = False,
    check: bool = True,
    target_path: Path | None = None,
) -> list[NodeResult]:
    """Run one dbt command (``["build"]``, ``["test"]``...) and return per-node results.

    Artifacts go to :func:`dbt_target_folder` (``target_path`` if given).
    """
    s = settings or get_settings()
    with dbt_target_folder(target_path, s) as target:
        return _invoke_dbt(args, s, quiet, check, target,
                           write_json=_chosen_target(target_path) is not None)


def run_step(step: DbtStep, settings: Settings | None = None, quiet: bool = True,
             full_refresh: bool = False) -> list[NodeResult]:
    """Run one pipeline step in this process, as its DAG task runs it; per-node results.

    ``full_refresh`` rebuilds incremental models and snapshots (a ``build`` step only).
    """
    extra = ["--full-refresh"] if full_refresh and step.command == "build" else []
    return run_dbt([*step.args(), *extra], settings=settings, quiet=quiet)


def _invoke_dbt(args: Sequence[str], s: Settings, quiet: bool, check: bool,
                target: Path, write_json: bool) -> list[NodeResult]:
    res = _run_dbt_runner(args, s, quiet, target, write_json)
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


def check_freshness(step: DbtStep, settings: Settings | None = None,
                    quiet: bool = True) -> list[SourceFreshness]:
    """Run a ``source freshness`` step in this process; one result per source table.

    A stale source is a result (``warn`` or ``error``), not an exception, and so is a raw
    table that does not exist yet (``runtime error``, on a new warehouse): the caller
    decides what stops a run. Raises :class:`DbtError` only when dbt itself could not run.
    """
    s = settings or get_settings()
    with dbt_target_folder(settings=s) as target:
        res = _run_dbt_runner(step.args(), s, quiet, target,
                              write_json=_chosen_target(None) is not None)
    results = getattr(res.result, "results", None)
    if results is None:
        raise DbtError(f"dbt {' '.join(step.args())} did not run: {res.exception}")
    out: list[SourceFreshness] = []
    for r in results:
        node = r.node
        if getattr(node, "resource_type", None) != "source":  # the on-run-start hooks
            continue
        threshold = getattr(node, "freshness", None)
        loaded = getattr(r, "max_loaded_at", None)
        if loaded is not None and loaded.tzinfo is not None:
            loaded = loaded.astimezone(UTC).replace(tzinfo=None)
        age = getattr(r, "age", None)
        message = getattr(r, "message", None)
        never = loaded is not None and loaded.year == 1  # dbt's stand-in for an empty table
        if never:
            age, message = None, "no row loaded yet"
        out.append(SourceFreshness(
            source_name=node.source_name, table_name=node.name,
            raw_table=node.identifier,
            # a query that failed (no such table yet) has no freshness verdict
            status=(str(getattr(r.status, "value", r.status)) if loaded is not None
                    else "runtime error"),
            max_loaded_at=None if never else loaded,
            age_hours=None if age is None else round(age / 3600, 3),
            warn_after=_threshold(threshold, "warn_after"),
            error_after=_threshold(threshold, "error_after"),
            message=message))
    return out


def _threshold(threshold: Any, which: str) -> str | None:
    time = getattr(threshold, which, None)
    if time is None or time.count is None or time.period is None:
        return None
    return f"{time.count} {getattr(time.period, 'value', time.period)}"


def _run_dbt_runner(args: Sequence[str], s: Settings, quiet: bool, target: Path,
                    write_json: bool = True) -> Any:
    """dbt's programmatic runner over ``args`` with the project, profile and ``target``
    folder; returns its ``dbtRunnerResult``. Without ``write_json`` dbt writes no JSON
    artifacts (manifest twice, run results, graph): the results are read in this process,
    and serialising the manifest costs about a second of CPU per command."""
    if args and args[0] not in _OFFLINE_COMMANDS:
        wait_for_warehouse(settings=s)
    from dbt.cli.main import dbtRunner

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
        "--target-path", str(target),
    ]
    if quiet:
        cli = ["--quiet", *cli]
    if not write_json:
        cli = ["--no-write-json", *cli]
    log.info("dbt %s", " ".join(args))
    try:
        return dbtRunner().invoke(cli)
    finally:
        release_dbt_connections()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


#: dbt commands that never open the warehouse.
_OFFLINE_COMMANDS = frozenset({"parse", "ls", "list", "deps", "clean"})


def wait_for_warehouse(context: Any = None, settings: Settings | None = None) -> float:
    """Before dbt opens the DuckDB file: wait while another process holds it (a bounded,
    logged wait, :func:`kizuna.warehouse.wait_for_duckdb`); the seconds waited. Nothing to
    wait for on PostgreSQL. Also the Cosmos tasks' ``pre_execute`` hook (``context``).

    dbt fails at once on a held file ("Conflicting lock is held"); waiting here, not after
    dbt failed, keeps one log of the wait and ends with an error naming the file. A writer
    could still take the file in the instant between this check and dbt's own open: the
    profile's ``retries`` (dbt-duckdb's connect attempts) covers that instant. Retrying a
    whole failed dbt command instead would rerun models a lock error did not stop.
    """
    from kizuna.warehouse import wait_for_duckdb

    s = settings or get_settings()
    if s.warehouse != "duckdb":
        return 0.0
    return wait_for_duckdb(s.duckdb_path, s.lock_wait_seconds)


def cosmos_profile(settings: Settings | None = None) -> Any:
    """The Cosmos profile every dbt task of the DAGs uses.

    PostgreSQL: a profile mapping of the Airflow connection :data:`WAREHOUSE_CONN_ID`
    (host, port, login, password, database as its schema), which Cosmos reads when a task
    runs and hands dbt the password in that process's environment only. DuckDB:
    dbt_project/profiles.yml, which needs only the file's path.
    """
    from cosmos import ProfileConfig

    s = settings or get_settings()
    if s.warehouse == "postgres":
        from cosmos.profiles import PostgresUserPasswordProfileMapping

        return ProfileConfig(
            profile_name="kizuna",
            target_name=s.dbt_target,
            # schema and threads as in profiles.yml's postgres output
            profile_mapping=PostgresUserPasswordProfileMapping(
                conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": "public", "threads": 2}),
        )
    return ProfileConfig(
        profile_name="kizuna",
        target_name=s.dbt_target,
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


def cosmos_operator_args(pool: str) -> dict[str, Any]:
    """Arguments of every Cosmos dbt task: no `dbt deps`, the one-slot warehouse ``pool``,
    the non-secret settings dbt reads (:func:`dbt_task_environment`), a bounded wait for
    the DuckDB file before dbt opens it (:func:`wait_for_warehouse`), and dbt-duckdb's file
    handle closed when the task ends."""
    return {
        "install_deps": False,
        "pool": pool,
        # The DAGs render from the manifest `kizuna dbt-parse` writes; a task need not
        # rewrite manifest.json and run_results.json (about a third of a small task's time).
        "dbt_cmd_flags": ["--no-write-json"],
        "env": dbt_task_environment(),
        "callback": "kizuna.transform.release_dbt_connections",
        # dbt fails at once on a DuckDB file another process holds: wait for it first
        "pre_execute": wait_for_warehouse,
    }


def cosmos_task(step: DbtStep, pool: str) -> Any:
    """The Airflow task of ``step``: one Cosmos operator running the step's whole dbt
    command in the task's process (dbt's runner, no subprocess), in ``pool``.

    One task per step, not one per model: each Airflow task costs seconds to start, far more
    than one model's dbt work. When nodes fail, Cosmos raises ``CosmosDbtRunError`` whose
    message names each failing node with dbt's message, so the task's error in the UI still
    says which model or test broke.
    """
    from cosmos import settings as cosmos_settings
    from cosmos.constants import InvocationMode
    from cosmos.operators.local import DbtBuildLocalOperator, DbtTestLocalOperator

    operator = {"build": DbtBuildLocalOperator, "test": DbtTestLocalOperator}[step.command]
    return operator(
        task_id=step.task_id,
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=cosmos_profile(),
        invocation_mode=InvocationMode.DBT_RUNNER,
        select=" ".join(step.select) or None,
        exclude=" ".join(step.exclude) or None,
        indirect_selection=step.indirect_selection,
        # the DAGs mark their own assets; per-node datasets would need the lineage parser
        emit_datasets=False,
        # Without a cache folder a plain Cosmos operator skips dbt's partial parse: each
        # task would parse the whole project (52 s measured on a loaded machine). With it,
        # the task starts from the newer of `kizuna dbt-parse`'s state and its last run's.
        cache_dir=(cosmos_settings.cache_dir / f"kizuna__{step.task_id}"
                   if cosmos_settings.enable_cache else None),
        **cosmos_operator_args(pool),
    )


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
        env: Any = DuckDBConnectionManager._ENV  # typed None in dbt-duckdb; set while open
        DuckDBConnectionManager._ENV = None
    if env is not None:
        try:
            env.close()
        except Exception:  # already closed
            log.debug("dbt-duckdb environment was already closed")


def parse(settings: Settings | None = None) -> None:
    """Write ``dbt_project/target/manifest.json`` and the partial-parse state (every dbt
    command starts from them).

    One process at a time (a file lock) parses into :data:`PARSE_WORKDIR`, then replaces
    the published partial-parse state and manifest by renames: a reader sees the old
    manifest or the new one, never a file half-written.
    """
    from filelock import FileLock

    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    with FileLock(PARSE_LOCK):
        run_dbt(["parse"], settings=settings, quiet=True, target_path=PARSE_WORKDIR)
        # partial-parse state first: a reader that pairs it with the manifest (Cosmos's
        # cache does) never finds a manifest newer than its state
        for published in (PARTIAL_PARSE_PATH, MANIFEST_PATH):
            replace_atomically(PARSE_WORKDIR / published.name, published)


def replace_atomically(source: Path, destination: Path) -> None:
    """Copy ``source`` over ``destination`` by a rename in its folder (atomic on POSIX)."""
    fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the DAG processor may be another user
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
