"""The Great Expectations run: a frame of many batches in, results per batch out.

Raw rows are validated as pandas frames (GX's SQL datasource does not work on DuckDB),
many batches per frame with the batch id as a column: one GX run per chunk of ~500k rows,
not one per file. GX reports every failing row (result format COMPLETE, indexed by batch
and row number), so one run gives a result per batch x expectation. Data Docs are kept
under ``<KIZUNA_REPORTS>/data_docs``.

``great_expectations`` takes seconds to import, so it is imported inside functions only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from kizuna.contract import entity
from kizuna.gate.suites import Derived, Suite
from kizuna.identifiers import quote
from kizuna.ledger import SAMPLE_ROWS, BatchRef, CheckResult, mostly_success
from kizuna.settings import Settings, get_settings
from kizuna.warehouse import Warehouse

log = logging.getLogger(__name__)

DATA_DOCS_SITE = "kizuna"


@cache
def _gx() -> Any:
    """Import Great Expectations once, with Kizuna's custom expectation registered."""
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    import kizuna.gate.expectations  # noqa: F401  (registers the expectation with GX)

    return gx


def gx_context(settings: Settings) -> Any:
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


def reference_keys(wh: Warehouse, d: Derived) -> pa.Table:
    ref = entity(d.ref_table or "")
    col = quote(d.ref_column or "")
    return wh.query_arrow(
        f"SELECT DISTINCT {col} AS k FROM raw.{quote(ref.table)} "
        f"WHERE {col} IS NOT NULL AND _batch_id IN ("
        "SELECT batch_id FROM audit.load_batches WHERE source_table = ? "
        "AND status IN ('loaded', 'published'))",
        [ref.table],
    )


def frame_with_derived(data: pa.Table, batches: Sequence[BatchRef], suite: Suite,
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
class Outcome:
    """What one chunk's GX run found, per batch."""

    results: list[CheckResult] = field(default_factory=list)
    # (batch_id, row_number) -> reasons, for rows failing a row-level rule
    moves: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    result_ids: list[Any] = field(default_factory=list)


def _value_of(frame: Any, pos: int, col: str, kinds: Mapping[str, str]) -> Any:
    """A value for people: timestamps say they are UTC (raw stores UTC), dates are dates."""
    value = frame[col].iat[pos]
    text = _json(value)
    if not isinstance(text, str) or not hasattr(value, "hour"):
        return text
    if kinds.get(col) == "date":
        return text[:10]
    return f"{text} UTC"


def run_suite(ctx: Any, suite: Suite, frame: Any, batches: Sequence[BatchRef],
            run_name: str, now: datetime) -> Outcome:
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

    out = Outcome()
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


def prune_results(ctx: Any, suite_name: str, settings: Settings, keep: int = 30) -> None:
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
    ctx = ctx or gx_context(s)
    if resource_identifiers is not None:
        suites = {k.expectation_suite_identifier for k in resource_identifiers}
        ctx.build_data_docs(site_names=[DATA_DOCS_SITE],
                            resource_identifiers=[*suites, *resource_identifiers])
    else:
        ctx.build_data_docs(site_names=[DATA_DOCS_SITE])
    return data_docs_dir(s) / "index.html"


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
