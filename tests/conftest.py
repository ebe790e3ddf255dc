"""Shared fixtures: isolated Kizuna and Airflow homes, small simulated worlds.

Airflow reads AIRFLOW_HOME when it is first imported, so the test session's home is set
here, before any test module imports it. Nothing is read from or written to the
developer's own landing/, warehouse/ or .airflow/.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

# the shared vendor-world test class asserts with pytest's messages too
pytest.register_assert_rewrite("adapters.vendor_world")

_SESSION_ROOT = Path(tempfile.mkdtemp(prefix="kizuna-tests-"))
atexit.register(shutil.rmtree, _SESSION_ROOT, ignore_errors=True)
os.environ.update({
    "AIRFLOW_HOME": str(_SESSION_ROOT / "airflow"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(Path(__file__).resolve().parents[1] / "dags"),
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    # a loaded machine can take longer than Airflow's 30 s to import a Cosmos DAG file
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    # each pytest worker has its own Airflow home (so the DAG modules run side by side on
    # the workers) and its own Cosmos cache: two workers never write one task's parse state
    "AIRFLOW__COSMOS__CACHE_DIR": str(_SESSION_ROOT / "cosmos"),
    "DO_NOT_TRACK": "1",
    "KIZUNA_TASK_RETRIES": "0",
    "KIZUNA_HOME": str(_SESSION_ROOT / "home"),
})

#: How the team deployment's PostgreSQL makes the warehouse role (the test cluster does too).
INIT_SQL = Path(__file__).resolve().parents[1] / "deploy" / "postgres-init.sql"

# A small world: 200 accounts, six months of history. Built once per session.
SMALL_WORLD = {"seed": 7, "n_accounts": 200, "start": date(2025, 10, 1),
               "end": date(2026, 3, 31)}


@pytest.fixture(scope="session")
def small_world_config() -> dict:
    return dict(SMALL_WORLD)


@pytest.fixture
def kizuna_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh KIZUNA_HOME (landing/, warehouse/) for one test."""
    monkeypatch.setenv("KIZUNA_HOME", str(tmp_path))
    monkeypatch.delenv("KIZUNA_LANDING", raising=False)
    monkeypatch.delenv("KIZUNA_DUCKDB_PATH", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def ml_scored_marts() -> set[str]:
    """The marts the ML scoring task fills (dbt tag ``ml_scores``): empty after a dbt build
    alone, and on a world too young to train on; tests/ml checks them."""
    import json

    from kizuna.transform import MANIFEST_PATH, parse

    if not MANIFEST_PATH.exists():
        parse()
    scored = {n["name"] for n in json.loads(MANIFEST_PATH.read_text())["nodes"].values()
              if "ml_scores" in n.get("tags", [])}
    assert "mart_target_accounts" in scored
    return scored


@pytest.fixture(scope="session")
def default_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict]]:
    """The demo's default world (seed 42, 2,000 accounts), loaded into DuckDB and built:
    (warehouse file, truth folder, seconds per step). Built once per worker: tests that
    use it share the xdist group ``default_world``, so one worker builds it.
    """
    import time
    from datetime import timedelta

    from kizuna.pipeline import build_warehouse
    from kizuna.pipeline import load_and_gate as load_window
    from kizuna.simulator import SimulationConfig, simulate

    home = tmp_path_factory.mktemp("default-world")
    cfg = SimulationConfig(seed=42, n_accounts=2000)
    mp = pytest.MonkeyPatch()
    mp.setenv("KIZUNA_HOME", str(home))
    mp.setenv("KIZUNA_WAREHOUSE", "duckdb")
    mp.setenv("KIZUNA_LANDING", str(home / "landing"))
    mp.setenv("KIZUNA_DUCKDB_PATH", str(home / "warehouse" / "kizuna.duckdb"))
    timings = {}
    try:
        t0 = time.monotonic()
        simulate(cfg, out_dir=home)
        timings["simulate"] = time.monotonic() - t0
        t0 = time.monotonic()
        load_window(cfg.start, cfg.end + timedelta(days=1))
        timings["load"] = time.monotonic() - t0
        t0 = time.monotonic()
        results = build_warehouse()
        timings["build"] = time.monotonic() - t0
    finally:
        mp.undo()
    failed = [r for r in results if r.status not in ("success", "pass", "no-op")]
    assert failed == []
    yield home / "warehouse" / "kizuna.duckdb", home / "truth", timings


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Landing and truth folders of the small simulated world (read-only for tests)."""
    from kizuna.simulator import SimulationConfig, simulate

    out = tmp_path_factory.mktemp("small-world")
    simulate(SimulationConfig(**SMALL_WORLD), out_dir=out)
    yield out


@dataclass(frozen=True)
class BuiltWorld:
    """A world loaded into DuckDB and built: its home (landing/, truth/, warehouse/), the
    warehouse file and dbt's results."""

    home: Path
    warehouse: Path
    results: list

    def environment(self, home: Path | None = None) -> dict[str, str]:
        """The ``KIZUNA_*`` settings that reach this world (or a copy under ``home``)."""
        home = home or self.home
        return {"KIZUNA_HOME": str(home), "KIZUNA_WAREHOUSE": "duckdb",
                "KIZUNA_LANDING": str(self.home / "landing"),
                "KIZUNA_DUCKDB_PATH": str(home / "warehouse" / self.warehouse.name)}


@pytest.fixture(scope="session")
def small_world_built(small_world: Path, small_world_config: dict,
                      tmp_path_factory: pytest.TempPathFactory) -> BuiltWorld:
    """The small world loaded into DuckDB and built (dbt, identity, dbt), its truth beside it
    (the build measures itself against it). Built once per session: tests that use it share
    the xdist group ``small_world_duckdb``, so one worker builds it. Read it only: a test
    that changes tables works on ``small_world_copy``.
    """
    from datetime import timedelta

    from kizuna.pipeline import build_warehouse, load_and_gate

    home = tmp_path_factory.mktemp("small-world-built")
    shutil.copytree(small_world / "landing", home / "landing")
    shutil.copytree(small_world / "truth", home / "truth")
    built = BuiltWorld(home, home / "warehouse" / "kizuna.duckdb", [])
    mp = pytest.MonkeyPatch()
    for key, value in built.environment().items():
        mp.setenv(key, value)
    try:
        load_and_gate(small_world_config["start"], small_world_config["end"] + timedelta(days=1))
        built.results.extend(build_warehouse())
    finally:
        mp.undo()
    return built


@pytest.fixture
def small_world_copy(small_world_built: BuiltWorld, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built small world's warehouse for a test that changes tables, with the
    settings pointing at it: the copy's path. The file keeps its name: dbt's views name the
    database by the file's stem."""
    copy = tmp_path / "warehouse" / small_world_built.warehouse.name
    copy.parent.mkdir(parents=True)
    for source in (small_world_built.warehouse,
                   small_world_built.warehouse.with_name(copy.name + ".wal")):
        if source.exists():
            shutil.copy2(source, copy.with_name(source.name))
    for key, value in small_world_built.environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    return copy


#: A world old enough to train on (300 accounts, 15 months) whose company database
#: delivers names and numbers only, as when a company has not bought one: these columns
#: are left empty (corporate number, name and domain remain).
NAMES_ONLY_WORLD = {"seed": 42, "n_accounts": 300, "start": date(2025, 1, 1),
                    "end": date(2026, 3, 31)}
NAMES_ONLY_BLANKED = ("industry_code", "employees", "revenue_jpy", "revenue_growth_rate",
                      "parent_corporate_number", "listed", "prefecture")


def blank_company_database(landing: Path) -> int:
    """Empty :data:`NAMES_ONLY_BLANKED` in every company-database file; the files changed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((landing / "firmo" / "companies").glob("*/*.parquet"))
    for f in files:
        table = pq.read_table(f)
        for col in NAMES_ONLY_BLANKED:
            i = table.schema.get_field_index(col)
            table = table.set_column(i, col, pa.nulls(table.num_rows, table.schema.field(col).type))
        pq.write_table(table, f)
    return len(files)


@dataclass(frozen=True)
class TrainedWorld:
    """A built world, a copy of its warehouse taken before any model was trained (under
    ``untrained``, a home of its own with no models), and the output of ``kizuna ml train``
    and ``kizuna ml score`` run on the world itself."""

    world: BuiltWorld
    untrained: Path
    train_output: str
    train_exit_code: int
    score_output: str
    score_exit_code: int


@pytest.fixture(scope="session")
def names_only_world(tmp_path_factory: pytest.TempPathFactory) -> TrainedWorld:
    """:data:`NAMES_ONLY_WORLD` simulated, its company database blanked, loaded, built,
    copied (untrained), then trained and scored through the command line. Built once per
    session: tests that use it share the xdist group ``names_only_world``. The ML tests and
    the report read it; none changes it."""
    from datetime import timedelta

    from typer.testing import CliRunner

    from kizuna.cli import app
    from kizuna.pipeline import build_warehouse, load_and_gate
    from kizuna.simulator import SimulationConfig, simulate

    home = tmp_path_factory.mktemp("names-only-world")
    cfg = SimulationConfig(**NAMES_ONLY_WORLD)
    built = BuiltWorld(home, home / "warehouse" / "kizuna.duckdb", [])
    untrained = home / "untrained"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in built.environment().items():
            mp.setenv(key, value)
        for var in ("KIZUNA_MODELS", "KIZUNA_REPORTS"):
            mp.delenv(var, raising=False)
        simulate(cfg, out_dir=home)
        assert blank_company_database(home / "landing") > 0
        load_and_gate(cfg.start, cfg.end + timedelta(days=1))
        built.results.extend(build_warehouse())
        (untrained / "warehouse").mkdir(parents=True)
        for source in (built.warehouse, built.warehouse.with_name(built.warehouse.name + ".wal")):
            if source.exists():
                shutil.copy2(source, untrained / "warehouse" / source.name)
        runner = CliRunner()
        trained = runner.invoke(app, ["ml", "train"])
        scored = runner.invoke(app, ["ml", "score"]) if trained.exit_code == 0 else trained
    return TrainedWorld(built, untrained, trained.output, trained.exit_code,
                        scored.output, scored.exit_code)


def _pg_bindir() -> Path | None:
    import subprocess

    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        cand = Path(out.stdout.strip())
        if (cand / "pg_ctl").exists():
            return cand
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throw-away PostgreSQL cluster on loopback, with the login roles ``kizuna`` and
    ``kizuna_bi`` (read-only BI).

    The roles are made by the team deployment's own ``deploy/postgres-init.sql``, with
    passwords drawn for this session; TCP logins must give it (scram-sha-256), so a test
    reaches the warehouse only with the settings it was handed. Uses the server binaries
    from Debian's ``postgresql`` package (``.ci/run`` installs it). Runs as the ``postgres``
    user when the tests run as root. Tests take a database of their own from it
    (``postgres_database``), so no test sees another's tables.
    """
    import getpass
    import secrets
    import socket
    import subprocess

    if os.environ.get("KIZUNA_SKIP_POSTGRES") == "1":
        pytest.skip("KIZUNA_SKIP_POSTGRES=1: PostgreSQL tests not run")
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries not found: install Debian's 'postgresql' "
                    "package (.ci/run does), or set KIZUNA_SKIP_POSTGRES=1 to skip these tests")
    root = Path(tempfile.mkdtemp(prefix="kizuna-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    superuser = "postgres" if as_root else getpass.getuser()

    def run(*args: str, script: str | None = None, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *args], check=check, capture_output=True, cwd=root,
                              input=script, text=True, env=env)

    # the superuser over the socket, everyone else over TCP with a password
    run(str(bindir / "initdb"), "-D", str(data), "-U", superuser, "--auth-local=trust",
        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "start",
        "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
              "-c synchronous_commit=off -c full_page_writes=off")
    try:
        psql = [str(bindir / "psql"), "-h", str(sock), "-p", str(port), "-U", superuser,
                "-d", "postgres", "-v", "ON_ERROR_STOP=1", "--no-psqlrc"]

        def run_script(text: str, env: dict[str, str]) -> subprocess.CompletedProcess:
            return run(*psql, script=text, check=False, env=env)

        password, bi_password = secrets.token_hex(16), secrets.token_hex(16)
        init = run_script(INIT_SQL.read_text(), {**os.environ, "KIZUNA_PG_PASSWORD": password,
                                                 "KIZUNA_BI_PASSWORD": bi_password})
        assert init.returncode == 0, init.stderr
        yield PostgresCluster(port=port, password=password, run_script=run_script,
                              create_database=lambda name: run(
                                  *psql, "-c", f"CREATE DATABASE {name} OWNER kizuna"),
                              bi_password=bi_password)
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, cwd=root)
        shutil.rmtree(root, ignore_errors=True)


class PostgresCluster:
    """A running test cluster: hands out empty databases owned by ``kizuna``."""

    def __init__(self, port: int, password: str, create_database, run_script,
                 bi_password: str) -> None:
        self.port = port
        self.password = password
        #: the password of the read-only BI role kizuna_bi (deploy/postgres-init.sql)
        self.bi_password = bi_password
        self._create_database = create_database
        #: run_script(sql, env): psql as the superuser reads ``sql``; the finished process
        self.run_script = run_script
        self._count = 0

    def new_database(self) -> dict[str, str]:
        """Creates an empty database; returns the ``KIZUNA_PG_*`` settings that reach it."""
        self._count += 1
        name = f"kizuna_{self._count}"
        self._create_database(name)
        return {"KIZUNA_PG_HOST": "127.0.0.1", "KIZUNA_PG_PORT": str(self.port),
                "KIZUNA_PG_USER": "kizuna", "KIZUNA_PG_PASSWORD": self.password,
                "KIZUNA_PG_DATABASE": name}


@pytest.fixture
def postgres_database(postgres_cluster: PostgresCluster) -> dict[str, str]:
    """An empty PostgreSQL database of this test's own: its ``KIZUNA_PG_*`` settings."""
    return postgres_cluster.new_database()
