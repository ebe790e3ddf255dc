"""Where Kizuna keeps its files and which warehouse it writes to, from the environment.

Every path derives from ``KIZUNA_HOME`` (default: the current directory), so a DAG, the
CLI and the tests agree without passing paths around:

- ``KIZUNA_HOME``: root of the data folders below (default: the current directory);
- ``KIZUNA_LANDING``: file drops ``<source>/<entity>/<date>/`` (``$KIZUNA_HOME/landing``);
- ``KIZUNA_WAREHOUSE``: ``duckdb`` (default) or ``postgres``;
- ``KIZUNA_DUCKDB_PATH``: the DuckDB file (``$KIZUNA_HOME/warehouse/kizuna.duckdb``);
- ``KIZUNA_PG_HOST``/``PORT``/``USER``/``DATABASE``: PostgreSQL (localhost, 5432, kizuna,
  kizuna); ``KIZUNA_PG_PASSWORD`` has no default: set it when the warehouse is PostgreSQL;
- ``KIZUNA_REPORTS``: charts and Data Docs (``$KIZUNA_HOME/reports``);
- ``KIZUNA_TIMEZONE``: the business time zone, an IANA name (``Asia/Tokyo``): the date
  folders and data intervals, and the reporting day of every timestamp in dbt;
- ``KIZUNA_CURRENCY``: the reporting currency, an ISO 4217 code (``JPY``): every amount
  (the contract's ``*_jpy`` columns) is in it;
- ``KIZUNA_LOOKBACK_DAYS``: how many days before its own each daily ingest run looks at
  again (``3``), so a folder completed late or a day no run covered is still loaded;
- ``KIZUNA_DELIVERY_DEADLINE_HOURS``: hours after a day's end (business time) by which its
  date folders must be complete (``24``); a folder incomplete after that is reported;
- ``KIZUNA_FRESHNESS_FAILS``: ``true`` to stop the transform when a source is past its
  ``error_after`` freshness; by default a stale source is recorded and warned about;
- ``KIZUNA_LOCK_WAIT_SECONDS``: how long a step waits for the DuckDB file while another
  process holds it (``300``), logging as it waits; past it the step fails naming the file;
- ``KIZUNA_LANDING_RETENTION_DAYS``: date folders older than this (``90``) whose every file
  is loaded and settled are archived to ``KIZUNA_ARCHIVE`` (``$KIZUNA_HOME/archive``), then
  removed from the landing folder by the maintenance DAG;
- ``KIZUNA_AIRFLOW_RETENTION_DAYS``: Airflow's metadata rows (``airflow db clean``) and
  task logs older than this (``30``) are removed by the maintenance DAG;
- ``KIZUNA_ERASURE_KEY``: the secret of the keyed hash (HMAC-SHA256) that records erased
  people without their data (:mod:`kizuna.suppression`); unset, the first erasure makes
  one in ``$KIZUNA_HOME/secrets/erasure.key``.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The repository root (where dbt_project/ and dags/ live).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DAGS_FOLDER = PROJECT_ROOT / "dags"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


DEFAULT_TIMEZONE = "Asia/Tokyo"
DEFAULT_CURRENCY = "JPY"
#: Days before its own a daily ingest run loads again: a folder whose done marker came a
#: day or two late, or a day the scheduler was down, is picked up by the next run.
DEFAULT_LOOKBACK_DAYS = 3
#: Hours after the end of a business day by which its folders should be complete.
DEFAULT_DELIVERY_DEADLINE_HOURS = 24
#: Seconds a step waits for the DuckDB file while another process holds it.
DEFAULT_LOCK_WAIT_SECONDS = 300
#: Days a settled date folder stays in the landing folder before it is archived.
DEFAULT_LANDING_RETENTION_DAYS = 90
#: Days of Airflow metadata and task logs kept.
DEFAULT_AIRFLOW_RETENTION_DAYS = 30


class MissingPasswordError(ValueError):
    """The warehouse is PostgreSQL and no password is configured."""


class SettingError(ValueError):
    """A setting from the environment has a value Kizuna cannot use."""


@dataclass(frozen=True)
class PostgresSettings:
    host: str = "localhost"
    port: int = 5432
    user: str = "kizuna"
    password: str | None = field(default=None, repr=False)  # never in a log line
    database: str = "kizuna"

    def require_password(self) -> str:
        """The password, or an error that says which variable to set."""
        if not self.password:
            raise MissingPasswordError(
                f"KIZUNA_WAREHOUSE=postgres but KIZUNA_PG_PASSWORD is not set: set it to the "
                f"password of role {self.user!r} on {self.host}:{self.port} (a team "
                "deployment sets it in .env; see README, 'A team deployment')."
            )
        return self.password

    @property
    def dsn(self) -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"password={self.require_password()} dbname={self.database}"
        )


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: Path
    warehouse: str
    duckdb_path: Path
    reports: Path
    postgres: PostgresSettings
    timezone: str = DEFAULT_TIMEZONE
    currency: str = DEFAULT_CURRENCY
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    delivery_deadline_hours: int = DEFAULT_DELIVERY_DEADLINE_HOURS
    freshness_fails: bool = False
    lock_wait_seconds: int = DEFAULT_LOCK_WAIT_SECONDS
    landing_retention_days: int = DEFAULT_LANDING_RETENTION_DAYS
    airflow_retention_days: int = DEFAULT_AIRFLOW_RETENTION_DAYS
    archive: Path | None = None  # None: $KIZUNA_HOME/archive
    erasure_key: str | None = field(default=None, repr=False)  # a secret: never in a log

    @property
    def dbt_target(self) -> str:
        return self.warehouse

    def reporting_env(self) -> dict[str, str]:
        """The business time zone and currency, as the dbt project reads them (its vars
        ``reporting_timezone`` and ``reporting_currency``); nothing secret."""
        return {"KIZUNA_TIMEZONE": self.timezone, "KIZUNA_CURRENCY": self.currency}

    def dbt_env(self) -> dict[str, str]:
        """Environment variables the dbt profile (dbt_project/profiles.yml) and project
        read; the password only when the warehouse is PostgreSQL (then it must be set)."""
        pg = self.postgres
        env = {
            **self.reporting_env(),
            "KIZUNA_DUCKDB_PATH": str(self.duckdb_path),
            "KIZUNA_PG_HOST": pg.host,
            "KIZUNA_PG_PORT": str(pg.port),
            "KIZUNA_PG_USER": pg.user,
            "KIZUNA_PG_DATABASE": pg.database,
        }
        if self.warehouse == "postgres":
            env["KIZUNA_PG_PASSWORD"] = pg.require_password()
        return env


def business_timezone() -> ZoneInfo:
    """The time zone of business dates (date folders, reporting days): ``KIZUNA_TIMEZONE``,
    Asia/Tokyo by default."""
    return ZoneInfo(timezone_name())


def timezone_name(value: str | None = None) -> str:
    """The business time zone's IANA name (``value``, else ``KIZUNA_TIMEZONE``, else
    Asia/Tokyo), checked against the time zone database."""
    name = (value if value is not None else os.environ.get("KIZUNA_TIMEZONE", "")).strip()
    name = name or DEFAULT_TIMEZONE
    # an IANA name only: it is written into SQL and must mean the same to Python and the
    # warehouse (an offset such as "+09:00" would not follow daylight saving)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", name):
        raise SettingError(f"KIZUNA_TIMEZONE={name!r} is not an IANA time zone name; set "
                           "one such as Asia/Tokyo, America/Sao_Paulo or Europe/Berlin.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"KIZUNA_TIMEZONE={name!r} is not in the time zone database; set "
                           "an IANA name such as Asia/Tokyo, America/Sao_Paulo or UTC.") from None
    return name


@functools.cache
def _iso_currencies() -> frozenset[str]:
    from babel.numbers import list_currencies  # CLDR's ISO 4217 codes

    return frozenset(list_currencies())


def currency_code(value: str | None = None) -> str:
    """The reporting currency's ISO 4217 code (``value``, else ``KIZUNA_CURRENCY``, else
    JPY), upper case."""
    code = (value if value is not None else os.environ.get("KIZUNA_CURRENCY", "")).strip()
    code = code.upper() or DEFAULT_CURRENCY
    if not re.fullmatch(r"[A-Z]{3}", code) or code not in _iso_currencies():
        raise SettingError(f"KIZUNA_CURRENCY={code!r} is not an ISO 4217 currency code; set "
                           "one such as JPY, BRL, USD or EUR.")
    return code


def task_defaults() -> dict[str, object]:
    """Airflow default_args for Kizuna tasks: retries from ``KIZUNA_TASK_RETRIES`` (2).

    The demo and the tests set 0, so a failure shows at once instead of after a retry wait.
    """
    return {
        "retries": int(os.environ.get("KIZUNA_TASK_RETRIES", "2")),
        "retry_delay": timedelta(minutes=int(os.environ.get("KIZUNA_RETRY_DELAY_MINUTES", "5"))),
    }


def _non_negative_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise SettingError(f"{name}={raw!r} is not a whole number of 0 or more; set e.g. "
                           f"{name}={default} or unset it for the default ({default}).")
    return value


def _flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingError(f"{name}={raw!r} is not true or false; set {name}=true or unset it.")


def get_settings() -> Settings:
    """Read the settings from the environment (cheap; call it where needed)."""
    env = os.environ
    home = Path(env.get("KIZUNA_HOME", os.getcwd())).resolve()
    warehouse = env.get("KIZUNA_WAREHOUSE", "duckdb").lower()
    if warehouse not in ("duckdb", "postgres"):
        raise ValueError(f"KIZUNA_WAREHOUSE must be 'duckdb' or 'postgres', not {warehouse!r}")
    return Settings(
        home=home,
        landing=Path(env.get("KIZUNA_LANDING", home / "landing")),
        warehouse=warehouse,
        duckdb_path=Path(env.get("KIZUNA_DUCKDB_PATH", home / "warehouse" / "kizuna.duckdb")),
        reports=Path(env.get("KIZUNA_REPORTS", home / "reports")),
        postgres=PostgresSettings(
            host=env.get("KIZUNA_PG_HOST", "localhost"),
            port=int(env.get("KIZUNA_PG_PORT", "5432")),
            user=env.get("KIZUNA_PG_USER", "kizuna"),
            password=env.get("KIZUNA_PG_PASSWORD") or None,
            database=env.get("KIZUNA_PG_DATABASE", "kizuna"),
        ),
        timezone=timezone_name(),
        currency=currency_code(),
        lookback_days=_non_negative_int("KIZUNA_LOOKBACK_DAYS", DEFAULT_LOOKBACK_DAYS),
        delivery_deadline_hours=_non_negative_int("KIZUNA_DELIVERY_DEADLINE_HOURS",
                                                  DEFAULT_DELIVERY_DEADLINE_HOURS),
        freshness_fails=_flag("KIZUNA_FRESHNESS_FAILS"),
        lock_wait_seconds=_non_negative_int("KIZUNA_LOCK_WAIT_SECONDS",
                                            DEFAULT_LOCK_WAIT_SECONDS),
        landing_retention_days=_non_negative_int("KIZUNA_LANDING_RETENTION_DAYS",
                                                 DEFAULT_LANDING_RETENTION_DAYS),
        airflow_retention_days=_non_negative_int("KIZUNA_AIRFLOW_RETENTION_DAYS",
                                                 DEFAULT_AIRFLOW_RETENTION_DAYS),
        archive=Path(env.get("KIZUNA_ARCHIVE", home / "archive")),
        erasure_key=env.get("KIZUNA_ERASURE_KEY") or None,
    )
