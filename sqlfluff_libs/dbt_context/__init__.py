"""What sqlfluff's jinja templater needs, beyond its dbt builtins, to render our models.

sqlfluff lints the dbt project without a database or dbt itself (see .sqlfluff). Its
builtins cover ref, source, config, this and is_incremental; this module adds the rest:

- ``var``: the project's real vars from dbt_project.yml (the builtin returns a string,
  which breaks arithmetic such as ``-var('decay_window_days')``); an unknown name is a
  templating error, as it is in dbt. A var written as ``{{ env_var('X', 'default') }}``
  gives its default, as dbt does with X unset; so does ``env_var`` called in a macro.
- ``dbt``: the cross-database macros we call, rendered as dbt-duckdb renders them.
- ``adapter.dispatch``: picks ``duckdb__<name>``, else ``default__<name>``, from our
  macros, as dbt does on DuckDB.

Every public name here becomes a name in the templates. A model that calls a ``dbt.*``
macro not listed below fails to render: add it here.
"""

from pathlib import Path as _Path
from typing import Any as _Any

import jinja2 as _jinja2
import yaml as _yaml

_PROJECT_FILE = _Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"
_MISSING = object()


def _project_vars() -> dict[str, _Any]:
    with _PROJECT_FILE.open(encoding="utf-8") as f:
        return _yaml.safe_load(f).get("vars") or {}


_VARS = _project_vars()


def var(name: str, default: _Any = _MISSING) -> _Any:
    """dbt's var(): the value from dbt_project.yml, else the default, else an error."""
    if name in _VARS:
        value = _VARS[name]
        if isinstance(value, str) and "{{" in value:
            return _jinja2.Environment().from_string(value).render(env_var=_env_var_default)
        return value
    if default is _MISSING:
        raise _jinja2.TemplateRuntimeError(f"var {name!r} is not defined in {_PROJECT_FILE.name}")
    return default


def _env_var_default(name: str, default: str = "") -> str:
    return default


def env_var(name: str, default: str = "") -> str:
    """dbt's env_var() in a macro (the person_hash secret): its default, as with X unset."""
    return _env_var_default(name, default)


class _CrossDatabaseMacros:
    """dbt.<macro>(...) as dbt-duckdb renders it."""

    @staticmethod
    def datediff(first_date: str, second_date: str, datepart: str) -> str:
        return f"(date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp))"

    @staticmethod
    def dateadd(datepart: str, interval: _Any, from_date_or_timestamp: str) -> str:
        return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {datepart})"

    @staticmethod
    def date_trunc(datepart: str, date: str) -> str:
        return f"date_trunc('{datepart}', {date})"

    @staticmethod
    def concat(fields: list[str]) -> str:
        return " || ".join(fields)

    @staticmethod
    def split_part(string_text: str, delimiter_text: str, part_number: int) -> str:
        return f"split_part({string_text}, {delimiter_text}, {part_number})"

    @staticmethod
    def bool_or(expression: str) -> str:
        return f"bool_or({expression})"

    @staticmethod
    def type_string() -> str:
        return "text"

    @staticmethod
    def type_bigint() -> str:
        return "bigint"

    @staticmethod
    def type_int() -> str:
        return "integer"

    @staticmethod
    def type_float() -> str:
        return "float"

    @staticmethod
    def type_numeric() -> str:
        return "numeric(28, 6)"

    @staticmethod
    def type_timestamp() -> str:
        return "timestamp"

    @staticmethod
    def type_boolean() -> str:
        return "boolean"


dbt = _CrossDatabaseMacros()


class _Adapter:
    """adapter.dispatch(name, namespace): the DuckDB implementation of one of our macros."""

    @staticmethod
    @_jinja2.pass_context
    def dispatch(
        context: _jinja2.runtime.Context, macro_name: str, macro_namespace: str | None = None
    ) -> _Any:
        for prefix in ("duckdb__", "default__"):
            implementation = context.resolve_or_missing(prefix + macro_name)
            if implementation is not _jinja2.runtime.missing:
                return implementation
        raise _jinja2.TemplateRuntimeError(f"no duckdb__ or default__ macro for {macro_name!r}")

    @staticmethod
    def get_columns_in_relation(relation: _Any) -> list[_Any]:
        """No database when linting: a relation has no columns yet (a model's first run)."""
        return []


adapter = _Adapter()
