"""The team deployment (docker-compose.yml, the Dockerfile, deploy/) starts the same DAGs on
PostgreSQL with every Airflow 3 service, in order, as any UID, with no secret written down.

No Docker engine runs the tests: the compose file is validated against the Compose
Specification's JSON schema (tests/fixtures/compose-spec/) after compose's own variable
substitution, and the image's entry path is run as UID 50000 with no passwd entry.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import jsonschema
import pytest
import yaml

from kizuna.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
INIT_SQL = PROJECT_ROOT / "deploy" / "postgres-init.sql"
INIT_SH = PROJECT_ROOT / "deploy" / "airflow-init.sh"
SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "compose-spec" / "compose-spec.json"

#: Every secret the stack reads from .env: required, with no default anywhere.
SECRETS = ("AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_DB_PASSWORD", "AIRFLOW_FERNET_KEY",
           "AIRFLOW_JWT_SECRET", "KIZUNA_PG_PASSWORD", "KIZUNA_HASH_SECRET",
           "KIZUNA_ERASURE_KEY")
#: Secrets that may be left empty (then kizuna_bi is a group role with no login).
OPTIONAL_SECRETS = ("KIZUNA_BI_PASSWORD",)
#: A .env with every secret filled in.
FILLED = {name: f"{name.lower().replace('_', '')}0123" for name in SECRETS}
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker")
RUNS_AS = "${AIRFLOW_UID:-50000}:0"


class MissingVariable(ValueError):
    """A ``${NAME:?message}`` compose would refuse to start without."""


_SUBSTITUTION = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution (``${X}``, ``${X:-default}``, ``${X:?error}``, ``$$``)."""
    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        value = env.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise MissingVariable(f"{name}: {arg}")
        if (op == ":-" and not value) or (op == "-" and value is None):
            return arg
        return value or ""
    return _SUBSTITUTION.sub(one, text)


def resolved(env: Mapping[str, str] | None = None) -> dict:
    """docker-compose.yml as compose sees it with ``env`` (default: every secret filled):
    parsed first, then every string value substituted (so ``${X:-8}`` stays a string)."""
    env = FILLED if env is None else env

    def walk(node: object) -> object:
        if isinstance(node, str):
            return interpolate(node, env)
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node
    return walk(yaml.safe_load(COMPOSE.read_text()))  # type: ignore[return-value]


@pytest.fixture(scope="module")
def compose() -> dict:
    """The file with its variables unresolved: what the conventions are written in."""
    return yaml.safe_load(COMPOSE.read_text())


def variables() -> Iterator[tuple[str, str | None, str]]:
    """(name, operator, argument) of every ``${...}`` in the compose file."""
    for match in _SUBSTITUTION.finditer(COMPOSE.read_text()):
        if match.group("name"):
            yield match.group("name"), match.group("op"), match.group("arg") or ""


def test_compose_file_follows_the_compose_specification():
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(resolved())]
    assert errors == []


def test_a_misspelt_key_fails_the_schema():
    """The schema check can fail: an unknown key in a service is refused."""
    schema = json.loads(SCHEMA.read_text())
    broken = resolved()
    broken["services"]["airflow-scheduler"]["healthcheckk"] = {}
    with pytest.raises(jsonschema.ValidationError, match="healthcheckk"):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_compose_refuses_to_start_without_each_secret(secret, value):
    """`cp .env.example .env` with a secret left empty stops compose, naming the secret."""
    env = {k: v for k, v in FILLED.items() if k != secret}
    if value is not None:
        env[secret] = value
    with pytest.raises(MissingVariable, match=rf"^{secret}: set {secret} in \.env"):
        resolved(env)


def test_no_secret_has_a_default():
    seen = set()
    for name, op, arg in variables():
        if re.search(r"PASSWORD|SECRET|KEY", name):
            assert name in SECRETS + OPTIONAL_SECRETS, f"{name}: list it in SECRETS"
            seen.add(name)
            if name in OPTIONAL_SECRETS:
                assert (op, arg) == (":-", ""), f"{name} defaults to {arg!r}"
            else:
                assert op in (":?", None), f"${{{name}{op}{arg}}} has a default"
    assert seen == set(SECRETS + OPTIONAL_SECRETS)
    for name in SECRETS:  # each secret's first use is the required one
        first = next((op for n, op, _ in variables() if n == name))
        assert first == ":?", name


def test_env_example_lists_every_variable_with_empty_secrets():
    example = dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
                   if line and not line.startswith("#"))
    assert {name for name, _, _ in variables()} <= set(example)
    assert {name: example[name] for name in SECRETS + OPTIONAL_SECRETS} == dict.fromkeys(
        SECRETS + OPTIONAL_SECRETS, "")
    assert example["AIRFLOW_UID"] == "50000"
    # filled in as the example says, it is a .env compose starts with
    filled = {**example, **FILLED}
    assert resolved(filled)["services"]["airflow-worker"]["user"] == "50000:0"


def test_every_airflow_3_service_is_there(compose):
    services = compose["services"]
    assert {"postgres", "redis", "warehouse-init", "airflow-init", *AIRFLOW_SERVICES} == set(
        services)
    commands = {name: " ".join(services[name]["command"]) for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-apiserver": "airflow api-server", "airflow-scheduler": "airflow scheduler",
        "airflow-dag-processor": "airflow dag-processor",
        "airflow-triggerer": "airflow triggerer", "airflow-worker": "airflow celery worker"}


def test_services_wait_for_a_healthy_database_and_one_finished_init(compose):
    services = compose["services"]
    for name in AIRFLOW_SERVICES:
        waits = services[name]["depends_on"]
        assert waits["postgres"] == {"condition": "service_healthy"}, name
        assert waits["redis"] == {"condition": "service_healthy"}, name
        assert waits["airflow-init"] == {"condition": "service_completed_successfully"}, name
    worker = services["airflow-worker"]["depends_on"]
    assert worker["warehouse-init"] == {"condition": "service_completed_successfully"}
    for init in ("airflow-init", "warehouse-init"):
        assert services[init]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert services[init]["restart"] == "no"  # runs once per `up`, never in a loop
    # nothing waits on a bare start, nor on the health of a service that reports none
    for name, svc in services.items():
        for target, how in (svc.get("depends_on") or {}).items():
            assert isinstance(how, dict), f"{name} -> {target}: give a condition"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} -> {target}"
            else:
                assert how["condition"] == "service_completed_successfully"
                assert services[target]["restart"] == "no", f"{name} -> {target}"


def test_only_the_init_migrates():
    subprocess.run(["bash", "-n", str(INIT_SH)], check=True)  # it parses
    script = INIT_SH.read_text()
    assert "airflow db migrate" in script
    for name, svc in resolved()["services"].items():
        if name != "airflow-init":
            assert "migrate" not in json.dumps(svc), name
    assert resolved()["services"]["airflow-init"]["command"] == [
        "bash", "/opt/kizuna/deploy/airflow-init.sh"]


def test_every_long_running_service_reports_its_health():
    services = resolved()["services"]
    for name in ("postgres", "redis", *AIRFLOW_SERVICES):
        check = services[name]["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and check["retries"] >= 3, name
    assert services["airflow-scheduler"]["environment"][
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "True"
    # the image has no curl: the HTTP checks use its Python
    probes = {name: " ".join(services[name]["healthcheck"]["test"]) for name in AIRFLOW_SERVICES}
    assert "localhost:8974/health" in probes["airflow-scheduler"]
    assert "/api/v2/monitor/health" in probes["airflow-apiserver"]
    for name, job in (("airflow-dag-processor", "DagProcessorJob"),
                      ("airflow-triggerer", "TriggererJob")):
        assert f"airflow jobs check --job-type {job} --hostname \"${{HOSTNAME}}\"" in (
            services[name]["healthcheck"]["test"][1])


def test_airflow_services_run_as_airflow_uid_in_group_0(compose):
    services = compose["services"]
    for name in AIRFLOW_SERVICES:
        assert services[name]["user"] == RUNS_AS, name
        assert services[name]["image"] == "${KIZUNA_IMAGE:-kizuna:latest}", name
    # the init starts as root to hand the bind mounts to that UID, then drops to it
    init = services["airflow-init"]
    assert init["user"] == "0:0"
    assert init["environment"]["AIRFLOW_UID"] == "${AIRFLOW_UID:-50000}"
    assert 'setpriv --reuid "$uid" --regid 0 --clear-groups' in INIT_SH.read_text()
    assert re.search(r"^USER 50000:0$", DOCKERFILE.read_text(), re.MULTILINE)
    assert resolved({**FILLED, "AIRFLOW_UID": "1234"})["services"]["airflow-worker"][
        "user"] == "1234:0"


def test_secrets_and_keys_reach_the_services_that_need_them():
    services = resolved()["services"]
    for name in ("airflow-init", *AIRFLOW_SERVICES):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__FERNET_KEY"] == FILLED["AIRFLOW_FERNET_KEY"], name
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == FILLED["AIRFLOW_JWT_SECRET"], name
        assert FILLED["AIRFLOW_DB_PASSWORD"] in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["KIZUNA_WAREHOUSE"] == "postgres", name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/kizuna/dags", name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert "AIRFLOW_ADMIN_PASSWORD" not in env or name == "airflow-init", name
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == FILLED[
        "AIRFLOW_DB_PASSWORD"]
    worker = services["airflow-worker"]["environment"]
    for name in ("KIZUNA_PG_PASSWORD", "KIZUNA_HASH_SECRET", "KIZUNA_ERASURE_KEY"):
        assert worker[name] == FILLED[name]


def test_only_the_workers_and_the_warehouse_init_get_the_warehouse_password():
    """Tasks run on the workers: they alone need the password (Python tasks read
    KIZUNA_PG_PASSWORD, dbt tasks the connection kizuna_warehouse); warehouse-init sets the
    role's password with it. The scheduler, DAG processor and API server never see it."""
    services = resolved()["services"]
    holders = {name for name, svc in services.items()
               if FILLED["KIZUNA_PG_PASSWORD"] in json.dumps(svc)}
    assert holders == {"warehouse-init", "airflow-worker"}
    assert services["airflow-worker"]["environment"]["AIRFLOW_CONN_KIZUNA_WAREHOUSE"] == (
        f"postgres://kizuna:{FILLED['KIZUNA_PG_PASSWORD']}@postgres:5432/kizuna")
    init = services["warehouse-init"]
    assert init["command"][-2:] == ["-f", "/deploy/postgres-init.sql"]
    assert "./deploy/postgres-init.sql:/deploy/postgres-init.sql:ro" in init["volumes"]


def test_no_warehouse_password_is_written_in_the_init_script():
    sql = INIT_SQL.read_text()
    assert "\\getenv kizuna_password KIZUNA_PG_PASSWORD" in sql
    assert "PASSWORD :'kizuna_password'" in sql
    assert not re.search(r"\bPASSWORD\s+'", sql, re.IGNORECASE)  # no literal


def test_logs_data_folders_and_state_are_on_volumes(compose):
    services = compose["services"]
    binds = {name: {v.split(":")[0]: v.split(":")[1] for v in services[name]["volumes"]}
             for name in ("airflow-init", *AIRFLOW_SERVICES)}
    for name, mounts in binds.items():
        assert mounts["./logs"] == "/opt/airflow/logs", name  # task logs: workers write,
        # the API server shows them
    for folder in ("landing", "reports", "models", "exports"):
        assert binds["airflow-worker"][f"./{folder}"] == f"/data/{folder}"
    assert binds["airflow-worker"]["kizuna-data"] == "/data"
    # the init hands every bind-mounted folder of every service to AIRFLOW_UID
    every_bind = {src for mounts in binds.values() for src in mounts if src.startswith("./")}
    assert every_bind <= set(binds["airflow-init"])
    # the admin's password file: written by the init, read by the API server, no one else
    auth = {name for name, mounts in binds.items() if "airflow-auth" in mounts}
    assert auth == {"airflow-init", "airflow-apiserver"}
    assert set(compose["volumes"]) == {"postgres-data", "kizuna-data", "airflow-auth"}
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_postgres_writers_are_not_held_to_one_slot():
    """The pool kizuna_duckdb is one slot on DuckDB; on PostgreSQL the init sizes it from
    KIZUNA_POSTGRES_WRITERS (8 unless .env says)."""
    services = resolved()["services"]
    assert services["airflow-init"]["environment"]["KIZUNA_POSTGRES_WRITERS"] == "8"
    script = INIT_SH.read_text()
    assert 'slots="${KIZUNA_POSTGRES_WRITERS:-8}"' in script
    assert 'airflow pools set kizuna_duckdb "$slots"' in script


# --- the image ---------------------------------------------------------------------------

def dockerfile_env() -> dict[str, str]:
    """The variables the Dockerfile's ENV instructions set."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(item.split("=", 1) for item in shlex.split(line[4:]))
    return env


def dockerignore() -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore's patterns as Docker reads them: anchored at the context's root, ``*``
    within a name, ``**`` across folders, ``!`` to keep again; the last match wins."""
    rules = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            else:
                regex += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
                i += 1
        rules.append((keep, re.compile(regex + "$")))
    return rules


def left_out(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    out = False
    for keep, regex in rules:
        if any(regex.match(p) for p in prefixes):  # a folder's pattern covers its files
            out = not keep
    return out


@pytest.mark.parametrize("path", [
    ".venv/bin/python", ".git/HEAD", ".env", ".env.production",
    ".airflow/simple_auth_manager_passwords.json.generated",
    "simple_auth_manager_passwords.json.generated", "truth/companies.csv",
    "landing/ma/activities/2026-01-05/part-0001.csv", "warehouse/kizuna.duckdb",
    "secrets/erasure.key", "models/propensity/model.joblib", "reports/index.html",
    "include/kizuna/__pycache__/cli.cpython-311.pyc", "dbt_project/target/manifest.json",
    "dbt_project/logs/dbt.log", "logs/dag_id=x/attempt=1.log"])
def test_the_image_leaves_out_environments_data_and_secrets(path):
    assert left_out(path, dockerignore())


def test_the_image_keeps_what_the_dags_run():
    rules = dockerignore()
    needed = ["requirements.txt", "pyproject.toml", "README.md", "deploy/airflow-init.sh",
              "deploy/postgres-init.sql"]
    for folder in ("include", "dags", "dbt_project", "models_ml", "expectations"):
        needed += [str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / folder).rglob("*")
                   if p.is_file() and not left_out(str(p.relative_to(PROJECT_ROOT)), [
                       (False, re.compile(r".*__pycache__.*|dbt_project/(target|logs)/.*|"
                                          r"expectations/uncommitted/.*"))])]
    assert len(needed) > 100
    assert [p for p in needed if left_out(p, rules)] == []
    assert not left_out(".env.example", rules)


def test_the_image_installs_the_pinned_lock_and_names_its_user():
    text = DOCKERFILE.read_text()
    assert "uv pip install --system --no-cache -r requirements.txt" in text
    assert "python:3.11" in text
    env = dockerfile_env()
    assert env["HOME"] == "/home/airflow" and env["USER"] == env["LOGNAME"] == "airflow"
    assert env["AIRFLOW_HOME"] == "/opt/airflow" and env["KIZUNA_HOME"] == "/data"


ENTRY = """
import os, sys
from airflow.utils.platform import getuser  # every Airflow job records it when it starts
import kizuna
print("user", getuser())
print("kizuna", kizuna.__file__)
print("home writable", os.access(os.environ["HOME"], os.W_OK))
sys.argv = ["airflow", "version"]
from airflow.__main__ import main
main()
"""


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) not found")
@pytest.mark.skipif(os.geteuid() != 0,
                    reason="switching to UID 50000 needs root (CI runs the tests as root)")
def test_image_entry_runs_as_uid_50000_with_no_passwd_entry():
    """Airflow's entry path and the kizuna CLI start as UID 50000 with group 0, a UID with
    no passwd entry, given only the Dockerfile's environment and group-0 folders."""
    uid = 50000
    with pytest.raises(KeyError):
        pwd.getpwuid(uid)  # the case compose's AIRFLOW_UID meets: a UID the image never saw
    as_uid = ["setpriv", f"--reuid={uid}", "--regid=0", "--clear-groups", "--"]
    root = Path(tempfile.mkdtemp(prefix="kizuna-image-"))
    try:
        root.chmod(0o755)
        # the project as the image holds it: code owned by root; dbt_project group-writable
        for name in ("include", "dags", "dbt_project", "models_ml"):
            shutil.copytree(PROJECT_ROOT / name, root / "opt" / "kizuna" / name,
                            ignore=shutil.ignore_patterns("__pycache__", "target", "logs"))
        image_env = {k: (str(root / v.lstrip("/")) if v.startswith("/") else v)
                     for k, v in dockerfile_env().items()}
        # the image's folders, made as its RUN lines make them; here owned by root, so
        # group 0 alone lets the UID write (as for any AIRFLOW_UID)
        for var in ("HOME", "AIRFLOW_HOME", "KIZUNA_HOME"):
            Path(image_env[var]).mkdir(parents=True)
        for path in [root / "opt", *(root / "opt").rglob("*"), root / "home", root / "data"]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        for var in ("HOME", "AIRFLOW_HOME", "KIZUNA_HOME"):
            Path(image_env[var]).chmod(0o775)
        code = root / "opt" / "kizuna"
        env = {**image_env, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
               "PYTHONPATH": f"{code / 'include'}:{code}", "LANG": "C.UTF-8"}

        entry = subprocess.run([*as_uid, sys.executable, "-c", ENTRY], env=env, cwd=code,
                               capture_output=True, text=True, timeout=120)
        assert entry.returncode == 0, entry.stderr[-2000:]
        assert "user airflow" in entry.stdout
        assert f"kizuna {code}/include/kizuna/__init__.py" in entry.stdout
        assert "home writable True" in entry.stdout
        assert importlib.metadata.version("apache-airflow") in entry.stdout
        assert "Permission denied" not in entry.stderr
        # Airflow made its log folder in AIRFLOW_HOME as that UID
        assert (Path(image_env["AIRFLOW_HOME"]) / "logs").stat().st_uid == uid

        cli = subprocess.run([*as_uid, str(Path(sys.executable).parent / "kizuna"), "--help"],
                             env=env, cwd=code, capture_output=True, text=True, timeout=60)
        assert cli.returncode == 0, cli.stderr[-2000:]
        assert "Usage" in cli.stdout

        # without the names the Dockerfile sets, that UID has none: what made every
        # Airflow service fail to start
        bare = {k: v for k, v in env.items() if k not in ("USER", "LOGNAME")}
        nameless = subprocess.run([*as_uid, sys.executable, "-c",
                                   "import getpass; getpass.getuser()"],
                                  env=bare, capture_output=True, text=True, timeout=60)
        assert nameless.returncode != 0 and "uid not found" in nameless.stderr
    finally:
        shutil.rmtree(root)


# --- Debian's docker-compose (v1), where installed ------------------------------------------

@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose (Debian's v1) not installed; the schema checks above")
def test_compose_file_validates_with_docker_compose(tmp_path):
    env = {**os.environ, **FILLED}
    subprocess.run(["docker-compose", "-f", str(COMPOSE), "--project-directory",
                    str(PROJECT_ROOT), "config", "-q"], check=True, env=env, cwd=tmp_path)
    config = yaml.safe_load(subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "--project-directory", str(PROJECT_ROOT),
         "config"], check=True, env=env, cwd=tmp_path, capture_output=True,
        text=True).stdout)["services"]
    assert config["airflow-worker"]["environment"]["AIRFLOW_CONN_KIZUNA_WAREHOUSE"] == (
        f"postgres://kizuna:{FILLED['KIZUNA_PG_PASSWORD']}@postgres:5432/kizuna")
    assert config["airflow-worker"]["depends_on"]["airflow-init"] == {
        "condition": "service_completed_successfully"}


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose (Debian's v1) not installed; the schema checks above")
def test_docker_compose_refuses_to_start_without_a_secret(tmp_path):
    env = {k: v for k, v in {**os.environ, **FILLED}.items() if k != "AIRFLOW_JWT_SECRET"}
    # from a folder with no .env, so a developer's own .env cannot fill it in
    done = subprocess.run(["docker-compose", "-f", str(COMPOSE), "--project-directory",
                           str(tmp_path), "config", "-q"], env=env, cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "set AIRFLOW_JWT_SECRET in .env" in done.stderr


# --- the warehouse's init script, on the session's PostgreSQL -------------------------------

@pytest.mark.postgres
def test_init_script_makes_the_role_with_the_password_from_the_environment(postgres_cluster):
    """The test cluster's role was made by deploy/postgres-init.sql: it logs in with the
    session's password and with no other."""
    import psycopg2

    def login(password: str) -> None:
        psycopg2.connect(host="127.0.0.1", port=postgres_cluster.port, user="kizuna",
                         password=password, dbname="kizuna").close()

    login(postgres_cluster.password)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        login("kizuna")


@pytest.mark.postgres
def test_init_script_run_again_changes_the_password(postgres_cluster):
    """warehouse-init runs at every start: a new password in .env replaces the old one, and
    nothing else changes (no 'already exists')."""
    import psycopg2

    def login(password: str) -> None:
        psycopg2.connect(host="127.0.0.1", port=postgres_cluster.port, user="kizuna",
                         password=password, dbname="kizuna").close()

    def init(password: str) -> None:
        done = postgres_cluster.run_script(INIT_SQL.read_text(), {
            **os.environ, "KIZUNA_PG_PASSWORD": password,
            "KIZUNA_BI_PASSWORD": postgres_cluster.bi_password})
        assert done.returncode == 0, done.stderr

    try:
        init("changed0123")
        login("changed0123")
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            login(postgres_cluster.password)
    finally:
        init(postgres_cluster.password)  # the session's other tests log in with it
    login(postgres_cluster.password)


@pytest.mark.postgres
@pytest.mark.parametrize("password", [None, ""])
def test_init_script_stops_before_creating_anything_without_a_password(
        postgres_cluster, password):
    env = {k: v for k, v in os.environ.items() if k != "KIZUNA_PG_PASSWORD"}
    if password is not None:
        env["KIZUNA_PG_PASSWORD"] = password
    done = postgres_cluster.run_script(INIT_SQL.read_text(), env)
    assert done.returncode != 0
    assert "KIZUNA_PG_PASSWORD is not set" in done.stderr
    assert "already exists" not in done.stderr  # it stopped before CREATE ROLE
