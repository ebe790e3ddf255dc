"""The quality gate: Great Expectations suites decide which loaded batches are published.

Flow, per entity and data-interval window (the ingest DAG runs it after the loads and
before dbt; :func:`kizuna.load.load_window` runs it too unless told not to):

1. The loader writes each new file as a batch with status ``loaded`` and records its own
   checks (file not a duplicate, not empty, required columns in the header, rows
   readable, required values present, values parse) in ``audit.dq_results``.
2. :func:`validate_entity` reads the entity's ``loaded`` batches from raw as pandas
   DataFrames (many batches per frame, with the batch id as a column: one GX run per
   chunk of ~500k rows, not one per file), adds the derived columns the suite names, and
   runs the suite ``expectations/<entity>.json`` with Great Expectations. GX reports
   every failing row (result format COMPLETE, indexed by batch and row number), so one
   run gives a result per batch x expectation.
3. Every expectation has a **severity** (GX's own field: ``critical`` or ``warning``) and
   a **level** (``meta.level``: ``row`` or ``batch``). Rows failing a row-level
   expectation move from raw to quarantine with the rule as their reason (the batch's
   counts are updated, so ``rows_in_file = rows_loaded + rows_quarantined`` stays
   true). GX's ``mostly`` says when a rule fails for the batch: a batch with any failed
   critical check (loader or GX) is ``rejected`` (its rows stay in raw and never reach
   staging), every other batch is ``published``.
4. Results go to ``audit.dq_results`` (one row per batch x check, grain below) and GX
   Data Docs are rebuilt under ``<KIZUNA_REPORTS>/data_docs``.
5. If any batch of the window is rejected, :class:`QualityGateError` says which file,
   rule, column and sample rows, and what to do.

Derived columns. A suite may name columns that the gate computes for each row, so that
bounds depending on the batch stay plain GX expectations whose limits live in the suite:

- ``<col>__hours_after_load``: hours from the row's load time to ``<col>`` (a value
  above a small tolerance is in the future);
- ``<col>__days_from_interval``: days from the start of the batch's data interval (the
  date folder, 00:00 in ``KIZUNA_TIMEZONE``) to ``<col>``; the interval itself is
  ``[0, 1)``;
- ``<col>__in__<table>.<column>``: true when ``<col>`` is a known key of another raw
  table (batches loaded or published), false for an orphan, null when ``<col>`` is null.

``great_expectations`` takes seconds to import, so it is imported inside functions only.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from kizuna.contract import ENTITIES, entity
from kizuna.settings import EXPECTATIONS_DIR, Settings, get_settings
from kizuna.warehouse import Warehouse, connection

log = logging.getLogger(__name__)

SEVERITIES = ("critical", "warning")
LEVELS = ("row", "batch")
CHECKED_BY = ("loader", "great_expectations")
#: Failing rows shown per batch and check (dq_results.unexpected_sample, error messages).
SAMPLE_ROWS = 5
#: Rows of one entity validated in one GX run (whole batches; a larger batch is one run).
CHUNK_ROWS = 500_000
DATA_DOCS_SITE = "kizuna"

DQ_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS audit.dq_results (
    run_id {text} NOT NULL,
    entity {text} NOT NULL,
    batch_id {text} NOT NULL,
    source_file {text} NOT NULL,
    data_interval {date} NOT NULL,
    rule {text} NOT NULL,
    expectation_type {text} NOT NULL,
    column_name {text},
    severity {text} NOT NULL,
    level {text} NOT NULL,
    checked_by {text} NOT NULL,
    success {bool} NOT NULL,
    element_count {int} NOT NULL,
    unexpected_count {int} NOT NULL,
    rows_quarantined {int} NOT NULL,
    unexpected_sample {text},
    validated_at {timestamp} NOT NULL
)"""


class SuiteError(ValueError):
    """A suite file is malformed; the message names the file, the expectation and the key."""


class QualityGateError(RuntimeError):
    """Critical checks failed: batches were rejected. The message says where and what to do."""


# --------------------------------------------------------------------------- suites


@dataclass(frozen=True)
class Rule:
    """One check as the gate sees it: a GX expectation or one of the loader's checks."""

    name: str
    expectation_type: str
    columns: tuple[str, ...]  # as the suite names them (derived columns included)
    severity: str
    level: str
    mostly: float | None = None
    notes: str = ""

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Delivered columns the check reads (a derived column's source column)."""
        out: list[str] = []
        for c in self.columns:
            d = parse_derived(c)
            src = d.source if d else c
            if src != "_batch_id" and src not in out:
                out.append(src)
        return tuple(out)

    @property
    def column_label(self) -> str | None:
        return ", ".join(self.source_columns) or None


#: The loader's own checks; a suite may override severity, level or mostly per entity
#: in ``meta.kizuna.loader_rules``.
LOADER_RULES: dict[str, Rule] = {
    r.name: r for r in (
        Rule("file_not_duplicate", "loader", (), "warning", "batch", None,
             "The same content was already delivered under another name; nothing is added."),
        Rule("file_not_empty", "loader", (), "warning", "batch", None,
             "The file has at least one data row."),
        Rule("required_columns_present", "loader", (), "critical", "batch", None,
             "The header names every required column of the contract (after the "
             "source's column mapping)."),
        Rule("rows_readable", "loader", (), "critical", "row", 0.5,
             "Every line is a record: no ragged rows, unterminated quotes, broken JSON or "
             "undecodable bytes. Unreadable lines are quarantined; more than half of a "
             "file unreadable rejects it."),
        Rule("required_values_present", "loader", (), "critical", "row", 0.5,
             "Required columns have a value. Rows without one are quarantined; more than "
             "half of a file rejects it."),
        Rule("values_parse", "loader", (), "critical", "row", 0.5,
             "Values parse as the contract's type (dates, timestamps, integers, booleans). "
             "Rows with an unparsable value are quarantined; more than half of a file "
             "rejects it."),
    )
}


@dataclass(frozen=True)
class Derived:
    """A column the gate computes for the suite (see the module docstring)."""

    name: str
    source: str
    kind: str  # hours_after_load | days_from_interval | in
    ref_table: str | None = None
    ref_column: str | None = None


_DERIVED = re.compile(r"^(?P<src>\w+?)__(?P<kind>hours_after_load|days_from_interval)$")
_REFERENCE = re.compile(r"^(?P<src>\w+?)__in__(?P<table>\w+)\.(?P<col>\w+)$")


def parse_derived(name: str) -> Derived | None:
    if m := _DERIVED.match(name):
        return Derived(name, m["src"], m["kind"])
    if m := _REFERENCE.match(name):
        return Derived(name, m["src"], "in", m["table"], m["col"])
    return None


@dataclass(frozen=True)
class Suite:
    """One entity's suite: the GX suite document and the gate's view of each rule."""

    table: str
    path: Path
    document: dict[str, Any]
    rules: tuple[Rule, ...]
    loader_rules: dict[str, Rule]

    @property
    def derived(self) -> list[Derived]:
        out: dict[str, Derived] = {}
        for r in self.rules:
            for c in r.columns:
                if (d := parse_derived(c)) is not None:
                    out[d.name] = d
        return list(out.values())

    def rule(self, name: str) -> Rule:
        for r in (*self.rules, *self.loader_rules.values()):
            if r.name == name:
                return r
        raise KeyError(f"{self.path}: no rule {name!r}")


def _domain_columns(kwargs: dict[str, Any]) -> tuple[str, ...]:
    if "column" in kwargs:
        return (kwargs["column"],)
    if "column_A" in kwargs:
        return (kwargs["column_A"], kwargs["column_B"])
    if "column_list" in kwargs:
        return tuple(kwargs["column_list"])
    return ()


def suite_path(table: str, directory: Path | None = None) -> Path:
    return (directory or EXPECTATIONS_DIR) / f"{table}.json"


@cache
def _read_suite(path: Path, table: str) -> Suite:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"{path} does not exist: every raw entity needs a suite") from None
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path} is not valid JSON: {exc}") from None
    if doc.get("name") != table:
        raise SuiteError(f"{path}: name is {doc.get('name')!r}, expected {table!r}")
    ent = entity(table)
    rules: list[Rule] = []
    for i, exp in enumerate(doc.get("expectations") or []):
        where = f"{path}: expectations[{i}] ({exp.get('type')})"
        meta = exp.get("meta") or {}
        name = meta.get("rule")
        if not name:
            raise SuiteError(f"{where}: meta.rule (the rule's name) is missing")
        if any(r.name == name for r in rules) or name in LOADER_RULES:
            raise SuiteError(f"{where}: rule name {name!r} is used twice")
        severity = exp.get("severity", "critical")
        if severity not in SEVERITIES:
            raise SuiteError(f"{where}: severity {severity!r} is not one of {SEVERITIES}")
        level = meta.get("level", "batch")
        if level not in LEVELS:
            raise SuiteError(f"{where}: meta.level {level!r} is not one of {LEVELS}")
        kwargs = exp.get("kwargs") or {}
        columns = _domain_columns(kwargs)
        if level == "row" and not columns:
            raise SuiteError(f"{where}: a row-level rule needs a column domain")
        known = set(ent.column_names) | {"_batch_id", "_loaded_at", "_source_file",
                                         "_row_number"}
        for c in columns:
            d = parse_derived(c)
            src = d.source if d else c
            if src not in known:
                raise SuiteError(f"{where}: column {c!r} is not a column of {table}")
            if d and d.kind == "in":
                try:
                    ref = entity(d.ref_table or "")
                    ref.column(d.ref_column or "")
                except KeyError as exc:
                    raise SuiteError(f"{where}: {c!r}: {exc.args[0]}") from None
        notes = exp.get("notes") or ""
        rules.append(Rule(name, exp["type"], columns, severity, level, kwargs.get("mostly"),
                          notes if isinstance(notes, str) else " ".join(notes)))
    overrides = ((doc.get("meta") or {}).get("kizuna") or {}).get("loader_rules") or {}
    loader_rules = dict(LOADER_RULES)
    for name, over in overrides.items():
        if name not in LOADER_RULES:
            raise SuiteError(f"{path}: meta.kizuna.loader_rules names unknown rule {name!r}; "
                             f"known: {sorted(LOADER_RULES)}")
        base = LOADER_RULES[name]
        severity = over.get("severity", base.severity)
        if severity not in SEVERITIES:
            raise SuiteError(f"{path}: loader rule {name}: severity {severity!r}")
        loader_rules[name] = Rule(name, "loader", (), severity, over.get("level", base.level),
                                  over.get("mostly", base.mostly), over.get("notes", base.notes))
    return Suite(table, path, doc, tuple(rules), loader_rules)


def load_suite(table: str, directory: Path | None = None) -> Suite:
    """The suite of one raw entity, checked for the keys the gate needs."""
    return _read_suite(suite_path(table, directory).resolve(), table)


def loader_rules(table: str) -> dict[str, Rule]:
    """The loader's checks with this entity's severities (defaults if it has no suite)."""
    try:
        return load_suite(table).loader_rules
    except SuiteError:
        return dict(LOADER_RULES)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BatchRef:
    batch_id: str
    source_file: str
    data_interval: date


@dataclass(frozen=True)
class CheckResult:
    """One row of ``audit.dq_results``: one check of one batch."""

    entity: str
    batch: BatchRef
    rule: Rule
    checked_by: str
    success: bool
    element_count: int
    unexpected_count: int
    rows_quarantined: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> str:
        """One line a data engineer can act on."""
        col = f", column {self.rule.column_label}" if self.rule.column_label else ""
        share = (f"{self.unexpected_count:,} of {self.element_count:,} rows"
                 if self.element_count else "the file")
        mostly = f", tolerated up to {1 - self.rule.mostly:.0%}" if self.rule.mostly else ""
        sample = "; ".join(sample_text(s) for s in self.sample[:SAMPLE_ROWS])
        return (f"rule {self.rule.name} ({self.rule.severity}, {self.rule.level}-level{mostly})"
                f"{col}: {share} failed" + (f". Sample: {sample}" if sample else "")
                + (f". Rule: {self.rule.notes}" if self.rule.notes else ""))


def sample_text(s: dict[str, Any]) -> str:
    row = s.get("row")
    rest = ", ".join(f"{k}={v!r}" for k, v in s.items() if k != "row")
    return f"row {row}: {rest}" if row is not None else rest


def mostly_success(unexpected: int, denominator: int, mostly: float | None) -> bool:
    """GX's rule: success when the share of passing values is at least ``mostly`` (1)."""
    if unexpected == 0:
        return True
    if not mostly or denominator <= 0:
        return False
    return (denominator - unexpected) / denominator >= mostly


def ensure_results_table(wh: Warehouse) -> None:
    types = {k: wh.sql_type(k) for k in ("text", "int", "date", "timestamp", "bool")}  # type: ignore[arg-type]
    wh.execute("CREATE SCHEMA IF NOT EXISTS audit")
    wh.execute(DQ_RESULTS_DDL.format(**types))


def _json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _json(value.item())
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat(sep=" ")
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def write_results(wh: Warehouse, results: Sequence[CheckResult], run_id: str,
                  now: datetime) -> None:
    """Append check results to ``audit.dq_results``."""
    if not results:
        return
    data = pa.table({
        "run_id": [run_id] * len(results),
        "entity": [r.entity for r in results],
        "batch_id": [r.batch.batch_id for r in results],
        "source_file": [r.batch.source_file for r in results],
        "data_interval": pa.array([r.batch.data_interval for r in results], pa.date32()),
        "rule": [r.rule.name for r in results],
        "expectation_type": [r.rule.expectation_type for r in results],
        "column_name": pa.array([r.rule.column_label for r in results], pa.string()),
        "severity": [r.rule.severity for r in results],
        "level": [r.rule.level for r in results],
        "checked_by": [r.checked_by for r in results],
        "success": pa.array([r.success for r in results], pa.bool_()),
        "element_count": pa.array([r.element_count for r in results], pa.int64()),
        "unexpected_count": pa.array([r.unexpected_count for r in results], pa.int64()),
        "rows_quarantined": pa.array([r.rows_quarantined for r in results], pa.int64()),
        "unexpected_sample": pa.array(
            [json.dumps(r.sample, ensure_ascii=False, default=str) if r.sample else None
             for r in results], pa.string()),
        "validated_at": pa.array([now] * len(results), pa.timestamp("us")),
    })
    wh.append_arrow("audit", "dq_results", data)


# --------------------------------------------------------------------------- GX


def corporate_number_valid(values: Any) -> Any:
    """Boolean array: 13 ASCII digits whose first digit is the check digit of the rest.

    check = 9 - (sum_{n=1..12} P_n * Q_n mod 9), P_n the n-th digit of the 12-digit base
    counted from the right, Q_n = 1 for odd n and 2 for even n (National Tax Agency).
    """
    import numpy as np
    import pandas as pd

    s = pd.Series(values, dtype="object").astype("string")
    ok = s.str.fullmatch(r"[0-9]{13}").fillna(False).to_numpy(dtype=bool)
    digits = np.zeros((len(s), 13), dtype=np.int64)
    if ok.any():
        raw = "".join(s[ok].tolist()).encode("ascii")
        digits[ok] = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 13).astype(np.int64) - 48
    weights = np.array([2 if n % 2 == 0 else 1 for n in range(12, 0, -1)], dtype=np.int64)
    check = 9 - (digits[:, 1:] * weights).sum(axis=1) % 9
    return ok & (digits[:, 0] == check)


@cache
def _gx() -> Any:
    """Import Great Expectations once and register Kizuna's custom expectation."""
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import pandas as pd
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import ColumnMapExpectation
    from great_expectations.expectations.metrics.map_metric_provider import (
        ColumnMapMetricProvider,
        column_condition_partial,
    )
    from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
    from great_expectations.render.renderer.renderer import renderer

    class ColumnValuesValidCorporateNumber(ColumnMapMetricProvider):
        condition_metric_name = "column_values.valid_corporate_number"

        @column_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column, **kwargs):
            return pd.Series(corporate_number_valid(column), index=column.index)

    class ExpectColumnValuesToBeValidCorporateNumber(ColumnMapExpectation):
        """Expect values to be Japanese corporate numbers (法人番号) with a valid check digit.

        13 digits; the first is 9 - (sum of the 12-digit base's digits, weighted 1 and 2
        alternately from the right) mod 9.
        """

        map_metric = "column_values.valid_corporate_number"
        success_keys = ("mostly",)
        args_keys = ("column",)

        @classmethod
        @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
        def _prescriptive_renderer(cls, configuration=None, result=None,
                                   runtime_configuration=None, **kwargs):
            kw = dict(configuration.kwargs) if configuration else {}
            template = ("$column values must be corporate numbers (法人番号: 13 digits, the "
                        "first a valid check digit)")
            mostly = kw.get("mostly")
            if isinstance(mostly, int | float) and mostly < 1:
                kw["mostly_pct"] = f"{mostly * 100:g}"
                template += ", at least $mostly_pct % of the time"
            return [RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={"template": template + ".", "params": kw,
                                 "styling": (runtime_configuration or {}).get("styling")})]

    # The classes register themselves with GX when created; keep references alive.
    gx._kizuna_custom = (ColumnValuesValidCorporateNumber,  # type: ignore[attr-defined]
                         ExpectColumnValuesToBeValidCorporateNumber)
    return gx


def _context(settings: Settings) -> Any:
    """GX's file context under ``<reports>/gx``, with the Data Docs site in ``data_docs``."""
    gx = _gx()
    root = settings.reports / "gx"
    root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(data_docs_dir(settings))},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    sites = ctx.list_data_docs_sites() or {}
    changed = False
    for name in list(sites):
        if name != DATA_DOCS_SITE:
            ctx.delete_data_docs_site(name)
            changed = True
    if DATA_DOCS_SITE not in sites:
        ctx.add_data_docs_site(DATA_DOCS_SITE, site)
        changed = True
    elif sites[DATA_DOCS_SITE].get("store_backend") != site["store_backend"]:
        ctx.update_data_docs_site(DATA_DOCS_SITE, site)
        changed = True
    bars = ctx.variables.progress_bars
    if bars is None or (bars.get("globally") if isinstance(bars, dict) else bars.globally):
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                         metric_calculations=False)
        changed = True
    if changed:
        ctx.variables.save()
    return ctx


def data_docs_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).reports / "data_docs"


def _interval_start_utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, dtime(0), tz).astimezone(UTC).replace(tzinfo=None)


def business_timezone() -> ZoneInfo:
    from kizuna.tasks import business_timezone as tz

    return tz()


def _reference_keys(wh: Warehouse, d: Derived) -> pa.Table:
    ref = entity(d.ref_table or "")
    return wh.query_arrow(
        f'SELECT DISTINCT "{d.ref_column}" AS k FROM raw."{ref.table}" '
        f'WHERE "{d.ref_column}" IS NOT NULL AND _batch_id IN ('
        "SELECT batch_id FROM audit.load_batches WHERE source_table = ? "
        "AND status IN ('loaded', 'published'))",
        [ref.table],
    )


def _frame(data: pa.Table, batches: Sequence[BatchRef], suite: Suite,
           refs: dict[str, pa.Table], tz: ZoneInfo) -> Any:
    """The rows of a chunk of batches as a pandas frame with the suite's derived columns."""
    import duckdb
    import pandas as pd

    eng = duckdb.connect()
    try:
        eng.execute("SET TimeZone = 'UTC'")
        eng.register("raw_rows", data)
        eng.register("batches", pa.table({
            "batch_id": [b.batch_id for b in batches],
            "interval_start": pa.array([_interval_start_utc(b.data_interval, tz)
                                        for b in batches], pa.timestamp("us")),
        }))
        exprs: list[str] = []
        joins: list[str] = []
        for i, d in enumerate(suite.derived):
            src = f'CAST(r."{d.source}" AS TIMESTAMP)'
            if d.kind == "hours_after_load":
                exprs.append(f'(epoch_us({src}) - epoch_us(r._loaded_at)) / 3.6e9 AS "{d.name}"')
            elif d.kind == "days_from_interval":
                exprs.append(f'(epoch_us({src}) - epoch_us(b.interval_start)) / 8.64e10 '
                             f'AS "{d.name}"')
            else:
                eng.register(f"ref_{i}", refs[d.name])
                joins.append(f'LEFT JOIN ref_{i} ON CAST(r."{d.source}" AS VARCHAR) = '
                             f'CAST(ref_{i}.k AS VARCHAR)')
                exprs.append(f'CASE WHEN r."{d.source}" IS NULL THEN NULL '
                             f'ELSE ref_{i}.k IS NOT NULL END AS "{d.name}"')
        extra = "".join(", " + e for e in exprs)
        table = eng.sql(
            f"SELECT r.*{extra} FROM raw_rows r JOIN batches b ON r._batch_id = b.batch_id "
            f"{' '.join(joins)} ORDER BY r._batch_id, r._row_number"
        ).to_arrow_table()
    finally:
        eng.close()
    mapping = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(),
               pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=mapping.get, date_as_object=False)


@dataclass
class _Outcome:
    """What one chunk's GX run found, per batch."""

    results: list[CheckResult] = field(default_factory=list)
    # (batch_id, row_number) -> reasons, for rows failing a row-level rule
    moves: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    result_ids: list[Any] = field(default_factory=list)


def _value_of(frame: Any, pos: int, col: str, kinds: dict[str, str]) -> Any:
    """A value for people: timestamps say they are UTC (raw stores UTC), dates are dates."""
    value = frame[col].iat[pos]
    text = _json(value)
    if not isinstance(text, str) or not hasattr(value, "hour"):
        return text
    if kinds.get(col) == "date":
        return text[:10]
    return f"{text} UTC"


def _run_gx(ctx: Any, suite: Suite, frame: Any, batches: Sequence[BatchRef],
            run_name: str, now: datetime) -> _Outcome:
    """Validate a frame of many batches with one GX run; split the results by batch."""
    import pandas as pd
    from great_expectations.core.run_identifier import RunIdentifier

    gx = _gx()
    doc = suite.document
    gx_suite = ctx.suites.add_or_update(gx.ExpectationSuite(
        name=doc["name"], expectations=doc.get("expectations") or [], meta=doc.get("meta"),
        notes=doc.get("notes")))
    source = ctx.data_sources.add_or_update_pandas("kizuna")
    try:
        asset = source.get_asset("raw")
    except (LookupError, ValueError):
        asset = source.add_dataframe_asset("raw")
    try:
        batch_def = asset.get_batch_definition("batches")
    except (LookupError, ValueError, KeyError):
        batch_def = asset.add_batch_definition_whole_dataframe("batches")
    vd = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.table, data=batch_def, suite=gx_suite))
    run_id = RunIdentifier(run_name=run_name, run_time=now.replace(tzinfo=UTC))
    res = vd.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE",
                       "unexpected_index_column_names": ["_batch_id", "_row_number"],
                       "return_unexpected_index_query": False,
                       "partial_unexpected_count": 20},
        run_id=run_id,
    )

    out = _Outcome()
    kinds = {c.name: c.type for c in entity(suite.table).columns}
    batch_ids = frame["_batch_id"].to_numpy()
    rows_per_batch = pd.Series(batch_ids).value_counts().to_dict()
    keys = pd.MultiIndex.from_arrays([frame["_batch_id"], frame["_row_number"].astype("int64")])
    by_rule = {r.expectation_config.meta.get("rule"): r for r in res.results}
    for rule in suite.rules:
        r = by_rule.get(rule.name)
        if r is None:
            continue
        info = r.exception_info or {}
        result = r.result or {}
        failing: dict[str, list[int]] = {}
        error = None
        if info.get("raised_exception"):
            error = str(info.get("exception_message"))
        elif "unexpected_index_list" in result:
            idx = result.get("unexpected_index_list") or []
            if idx:
                pairs = [(e["_batch_id"], int(e["_row_number"])) for e in idx]
                positions = keys.get_indexer(pairs)
                for (b, _), p in zip(pairs, positions, strict=True):
                    failing.setdefault(b, []).append(int(p))
        nonnull: dict[str, int] = {}
        not_null = rule.expectation_type == "expect_column_values_to_not_be_null"
        if len(rule.columns) == 1 and not not_null:
            col = rule.columns[0]
            nonnull = (frame[col].notna().groupby(batch_ids).sum().astype(int).to_dict()
                       if col in frame.columns else {})
        for b in batches:
            n = int(rows_per_batch.get(b.batch_id, 0))
            if n == 0:
                continue
            if error is not None:
                out.results.append(CheckResult(suite.table, b, rule, "great_expectations",
                                               False, n, n, 0, [{"error": error[:500]}]))
                continue
            if "unexpected_index_list" not in result:  # a table-level expectation
                observed = result.get("observed_value")
                sample = [] if r.success else [{"observed": _json(observed)
                                                if not isinstance(observed, list)
                                                else ", ".join(map(str, observed))}]
                out.results.append(CheckResult(suite.table, b, rule, "great_expectations",
                                               bool(r.success), n, 0 if r.success else n, 0,
                                               sample))
                continue
            pos = sorted(failing.get(b.batch_id, []))
            denominator = nonnull.get(b.batch_id, n) if nonnull else n
            ok = mostly_success(len(pos), denominator, rule.mostly)
            sample = []
            for p in pos[:SAMPLE_ROWS]:
                item: dict[str, Any] = {"row": int(frame["_row_number"].iat[p])}
                for c in rule.source_columns:
                    item[c] = _value_of(frame, p, c, kinds)
                sample.append(item)
            moved = 0
            if rule.level == "row" and pos:
                for p in pos:
                    key = (b.batch_id, int(frame["_row_number"].iat[p]))
                    detail = ", ".join(f"{c}={_value_of(frame, p, c, kinds)!r}"
                                       for c in rule.source_columns)
                    out.moves.setdefault(key, []).append(
                        f"quality rule {rule.name}: {detail}"
                        + (f" ({rule.notes})" if rule.notes else ""))
                moved = len(pos)
            out.results.append(CheckResult(suite.table, b, rule, "great_expectations", ok, n,
                                           len(pos), moved, sample))
    out.result_ids = _store_trimmed(ctx, res, suite.table)
    return out


def _store_trimmed(ctx: Any, res: Any, suite_name: str) -> list[Any]:
    """Keep Data Docs small: store the result with its failing-row lists cut to 20."""
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

    store = ctx.validation_results_store
    run_id = res.meta["run_id"]
    keys = [k for k in store.list_keys()
            if isinstance(k, ValidationResultIdentifier)
            and k.expectation_suite_identifier.name == suite_name
            and k.run_id.run_name == run_id.run_name and k.run_id.run_time == run_id.run_time]
    for r in res.results:
        for k in ("unexpected_index_list", "unexpected_list"):
            if isinstance(r.result.get(k), list) and len(r.result[k]) > 20:
                r.result[k] = r.result[k][:20]
    for key in keys:
        store.set(key, res)
    return keys


def _prune_results(ctx: Any, suite_name: str, settings: Settings, keep: int = 30) -> None:
    """Keep the newest ``keep`` validation results of a suite and their Data Docs pages."""
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

    store = ctx.validation_results_store
    keys = [k for k in store.list_keys() if isinstance(k, ValidationResultIdentifier)
            and k.expectation_suite_identifier.name == suite_name]
    keys.sort(key=lambda k: str(k.run_id.run_time))
    pages = data_docs_dir(settings) / "validations"
    for key in keys[:-keep] if len(keys) > keep else []:
        store.remove_key(key)
        page = pages.joinpath(*key.to_tuple()[:-1], f"{key.to_tuple()[-1]}.html")
        page.unlink(missing_ok=True)
        for folder in (page.parent, page.parent.parent):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def build_data_docs(settings: Settings | None = None, ctx: Any = None,
                    resource_identifiers: list[Any] | None = None) -> Path:
    """Build (or refresh) the GX Data Docs site; returns its index.html."""
    s = settings or get_settings()
    ctx = ctx or _context(s)
    if resource_identifiers is not None:
        suites = {k.expectation_suite_identifier for k in resource_identifiers}
        ctx.build_data_docs(site_names=[DATA_DOCS_SITE],
                            resource_identifiers=[*suites, *resource_identifiers])
    else:
        ctx.build_data_docs(site_names=[DATA_DOCS_SITE])
    return data_docs_dir(s) / "index.html"


# --------------------------------------------------------------------------- the gate


@dataclass
class GateReport:
    """What one gate run did for one entity and window."""

    table: str
    batches: int = 0
    published: int = 0
    rejected: int = 0
    rows_checked: int = 0
    rows_quarantined: int = 0
    warnings: int = 0
    seconds: float = 0.0
    data_docs: str | None = None
    rejected_in_window: list[str] = field(default_factory=list)  # error lines

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "rejected_in_window"} | {
            "rejected_in_window": len(self.rejected_in_window)}


def _chunks(batches: Sequence[tuple[BatchRef, int]]) -> Iterable[list[BatchRef]]:
    chunk: list[BatchRef] = []
    rows = 0
    for b, n in batches:
        if chunk and rows + n > CHUNK_ROWS:
            yield chunk
            chunk, rows = [], 0
        chunk.append(b)
        rows += n
    if chunk:
        yield chunk


def _apply(wh: Warehouse, table: str, chunk: Sequence[BatchRef], outcome: _Outcome,
           frame: Any, run_id: str, now: datetime) -> dict[str, str]:
    """Write one chunk's results, move failing rows to quarantine, decide each batch."""
    ids = [b.batch_id for b in chunk]
    marks = ", ".join("?" for _ in ids)
    loader_failed = {r[0]: r[1] for r in wh.query(
        f"SELECT batch_id, string_agg(rule, ', ') FROM audit.dq_results "
        f"WHERE checked_by = 'loader' AND severity = 'critical' AND NOT success "
        f"AND batch_id IN ({marks}) GROUP BY batch_id", ids)}
    gx_failed: dict[str, list[str]] = {}
    for r in outcome.results:
        if r.rule.severity == "critical" and not r.success:
            gx_failed.setdefault(r.batch.batch_id, []).append(r.rule.name)
    decisions: dict[str, str] = {}
    for b in chunk:
        failed = [*([loader_failed[b.batch_id]] if b.batch_id in loader_failed else []),
                  *gx_failed.get(b.batch_id, [])]
        decisions[b.batch_id] = ("rejected by the quality gate: " + ", ".join(failed)
                                 if failed else "")
    quarantine = None
    moved_per_batch: dict[str, list[int]] = {}
    if outcome.moves:
        import pandas as pd

        by_key = pd.Series(range(len(frame)), index=pd.MultiIndex.from_arrays(
            [frame["_batch_id"], frame["_row_number"].astype("int64")]))
        keys = sorted(outcome.moves)
        positions = by_key.reindex(pd.MultiIndex.from_tuples(keys)).to_numpy()
        lineage = {"_batch_id", "_loaded_at", "_source_file", "_row_number"}
        cols = [c for c in frame.columns if c not in lineage and parse_derived(c) is None]
        texts = frame.iloc[positions][cols].to_json(
            orient="records", lines=True, date_format="iso", force_ascii=False).splitlines()
        files = {b.batch_id: b.source_file for b in chunk}
        quarantine = pa.table({
            "batch_id": [k[0] for k in keys],
            "source_table": [table] * len(keys),
            "source_file": [files[k[0]] for k in keys],
            "row_number": pa.array([k[1] for k in keys], pa.int64()),
            "raw_text": texts,
            "reason": ["; ".join(outcome.moves[k]) for k in keys],
            "quarantined_at": pa.array([now] * len(keys), pa.timestamp("us")),
        })
        for b, n in keys:
            moved_per_batch.setdefault(b, []).append(n)
    with wh.transaction():
        wh.execute(f"DELETE FROM audit.dq_results WHERE checked_by = 'great_expectations' "
                   f"AND batch_id IN ({marks})", ids)
        write_results(wh, outcome.results, run_id, now)
        if quarantine is not None:
            wh.append_arrow("quarantine", "rejected_rows", quarantine)
            for batch_id, numbers in moved_per_batch.items():
                for i in range(0, len(numbers), 1000):
                    part = numbers[i:i + 1000]
                    wh.execute(f'DELETE FROM raw."{table}" WHERE _batch_id = ? AND _row_number '
                               f'IN ({", ".join(str(int(n)) for n in part)})', [batch_id])
                wh.execute("UPDATE audit.load_batches SET rows_loaded = rows_loaded - ?, "
                           "rows_quarantined = rows_quarantined + ? WHERE batch_id = ?",
                           [len(numbers), len(numbers), batch_id])
        _decide(wh, decisions)
    return decisions


def _decide(wh: Warehouse, decisions: dict[str, str]) -> None:
    published = [b for b, msg in decisions.items() if not msg]
    for i in range(0, len(published), 500):
        part = published[i:i + 500]
        wh.execute(f"UPDATE audit.load_batches SET status = 'published' WHERE status = 'loaded' "
                   f"AND batch_id IN ({', '.join('?' for _ in part)})", part)
    for batch_id, msg in decisions.items():
        if msg:
            wh.execute("UPDATE audit.load_batches SET status = 'rejected', message = ? "
                       "WHERE batch_id = ? AND status = 'loaded'", [msg, batch_id])


def _rejections(wh: Warehouse, table: str, start: date, end: date) -> list[str]:
    """One paragraph per rejected batch of the window: file, then each failed critical check."""
    rows = wh.query(
        "SELECT batch_id, source_file, data_interval FROM audit.load_batches "
        "WHERE source_table = ? AND status = 'rejected' AND data_interval >= ? "
        "AND data_interval < ? ORDER BY data_interval, source_file", [table, start, end])
    if not rows:
        return []
    suite_rules = load_suite(table)
    out = []
    for batch_id, source_file, interval in rows:
        checks = wh.query(
            "SELECT rule, element_count, unexpected_count, unexpected_sample, column_name FROM "
            "audit.dq_results WHERE batch_id = ? AND severity = 'critical' AND NOT success "
            "ORDER BY checked_by DESC, rule", [batch_id])
        lines = [f"file {source_file} (batch {batch_id}, data interval {interval}):"]
        for rule_name, element, unexpected, sample, column in checks:
            try:
                rule = suite_rules.rule(rule_name)
            except KeyError:
                rule = Rule(rule_name, "?", (), "critical", "batch")
            if column and not rule.columns:  # a loader check names the columns it found
                rule = Rule(rule.name, rule.expectation_type, tuple(column.split(", ")),
                            rule.severity, rule.level, rule.mostly, rule.notes)
            res = CheckResult(table, BatchRef(batch_id, source_file, interval), rule, "",
                              False, int(element), int(unexpected), 0,
                              json.loads(sample) if sample else [])
            lines.append("  - " + res.describe())
        out.append("\n".join(lines))
    return out


def validate_entity(table: str, start: date, end: date, settings: Settings | None = None,
                    data_docs: bool = True, raise_on_reject: bool = True) -> GateReport:
    """Run the gate on one entity's ``loaded`` batches of ``[start, end)`` (see module doc).

    Raises :class:`QualityGateError` when any batch of the window is rejected (also one
    rejected by an earlier run and not yet superseded by a corrected delivery).
    """
    from kizuna.load import ensure_schema

    s = settings or get_settings()
    t0 = time.monotonic()
    suite = load_suite(table)
    report = GateReport(table)
    now = datetime.now(UTC).replace(tzinfo=None)
    run_id = f"gate {table} {start}..{end} {now:%Y-%m-%dT%H:%M:%S}"
    result_ids: list[Any] = []
    ctx = None
    with connection(s) as wh:
        ensure_schema(wh)  # referential checks read the other raw tables
        rows = wh.query(
            "SELECT batch_id, source_file, data_interval, rows_loaded FROM audit.load_batches "
            "WHERE source_table = ? AND status = 'loaded' AND data_interval >= ? "
            "AND data_interval < ? ORDER BY data_interval, source_file", [table, start, end])
        batches = [(BatchRef(r[0], r[1], r[2]), int(r[3])) for r in rows]
        report.batches = len(batches)
        with_rows = [(b, n) for b, n in batches if n > 0]
        empty = [b for b, n in batches if n == 0]
        if with_rows:
            tz = business_timezone()
            refs = {d.name: _reference_keys(wh, d) for d in suite.derived if d.kind == "in"}
            ctx = _context(s)
            for chunk in _chunks(with_rows):
                ids = [b.batch_id for b in chunk]
                data = wh.query_arrow(
                    f'SELECT * FROM raw."{table}" WHERE _batch_id IN '
                    f'({", ".join("?" for _ in ids)})', ids)
                frame = _frame(data, chunk, suite, refs, tz)
                outcome = _run_gx(ctx, suite, frame, chunk, f"{start}_to_{end}", now)
                result_ids += outcome.result_ids
                decisions = _apply(wh, table, chunk, outcome, frame, run_id, now)
                report.rows_checked += len(frame)
                report.rows_quarantined += sum(r.rows_quarantined for r in outcome.results)
                report.warnings += sum(1 for r in outcome.results
                                       if not r.success and r.rule.severity == "warning")
                report.rejected += sum(1 for m in decisions.values() if m)
                report.published += sum(1 for m in decisions.values() if not m)
                del frame, data
        if empty:
            # Nothing reached raw (every row quarantined by the loader): loader checks decide.
            ids = [b.batch_id for b in empty]
            failed = {r[0]: r[1] for r in wh.query(
                "SELECT batch_id, string_agg(rule, ', ') FROM audit.dq_results "
                "WHERE checked_by = 'loader' AND severity = 'critical' AND NOT success "
                f"AND batch_id IN ({', '.join('?' for _ in ids)}) GROUP BY batch_id", ids)}
            decisions = {b: ("rejected by the quality gate: " + failed[b] if b in failed else "")
                         for b in ids}
            with wh.transaction():
                _decide(wh, decisions)
            report.rejected += sum(1 for m in decisions.values() if m)
            report.published += sum(1 for m in decisions.values() if not m)
        report.rejected_in_window = _rejections(wh, table, start, end)
    if data_docs and result_ids:
        try:
            _prune_results(ctx, table, s)
            report.data_docs = str(build_data_docs(s, ctx, result_ids))
        except Exception:  # Data Docs are for people; never let them fail the gate
            log.exception("could not build Data Docs for %s", table)
    report.seconds = round(time.monotonic() - t0, 2)
    log.info("quality gate %s %s..%s: %d batches, %d published, %d rejected, %d rows checked, "
             "%d rows quarantined, %d warnings (%.1fs)", table, start, end, report.batches,
             report.published, report.rejected, report.rows_checked, report.rows_quarantined,
             report.warnings, report.seconds)
    if report.rejected_in_window and raise_on_reject:
        raise QualityGateError(rejection_message(table, start, end, report.rejected_in_window,
                                                 s))
    return report


def rejection_message(table: str, start: date, end: date, paragraphs: Sequence[str],
                      settings: Settings | None = None) -> str:
    docs = data_docs_dir(settings) / "index.html"
    return (
        f"Quality gate: {len(paragraphs)} batch(es) of {table} in {start}..{end} failed critical "
        "checks and were rejected; their rows are held back from staging (raw keeps them, "
        "quarantine keeps the failing rows) and the transform is not started for this "
        "interval.\n" + "\n".join(paragraphs) + "\n"
        "What to do: correct the export (or the column mapping in the sources config) and "
        "deliver the file again under the same name — the new version supersedes the rejected "
        "batch — then clear this task. If the rule is wrong instead, tune its severity or "
        f"'mostly' in expectations/{table}.json. Details: audit.dq_results, "
        f"quarantine.rejected_rows, Data Docs {docs}."
    )


def validate_window(start: date, end: date, tables: Sequence[str] | None = None,
                    settings: Settings | None = None, data_docs: bool = True
                    ) -> list[GateReport]:
    """Run the gate on several entities; raise once, naming every rejected batch."""
    s = settings or get_settings()
    reports = []
    for table in tables or [e.table for e in ENTITIES]:
        reports.append(validate_entity(table, start, end, s, data_docs=data_docs,
                                       raise_on_reject=False))
    failed = [r for r in reports if r.rejected_in_window]
    if failed:
        raise QualityGateError("\n\n".join(
            rejection_message(r.table, start, end, r.rejected_in_window, s) for r in failed))
    return reports


# --------------------------------------------------------------------------- reading results


def entity_summary(wh: Warehouse) -> list[tuple[Any, ...]]:
    """Per entity: batches, rows delivered, rows published, pass rate, quarantined, rejected."""
    return wh.query(
        """SELECT source_table, count(*) AS batches, sum(rows_in_file) AS rows_in_file,
                  sum(CASE WHEN status = 'published' THEN rows_loaded ELSE 0 END) AS published,
                  sum(rows_quarantined) AS quarantined,
                  sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected,
                  sum(CASE WHEN status = 'loaded' THEN 1 ELSE 0 END) AS pending
           FROM audit.load_batches WHERE status <> 'superseded'
           GROUP BY 1 ORDER BY 1""")


def failing_rules(wh: Warehouse, limit: int = 30) -> list[tuple[Any, ...]]:
    """Rules that failed for current batches: entity, rule, severity, batches, rows."""
    return wh.query(
        f"""SELECT r.entity, r.rule, r.severity, r.level, count(*) AS batches,
                   sum(r.unexpected_count) AS rows_failed, max(r.unexpected_sample) AS sample
            FROM audit.dq_results r JOIN audit.load_batches b USING (batch_id)
            WHERE NOT r.success AND b.status <> 'superseded'
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 2 LIMIT {int(limit)}""")
