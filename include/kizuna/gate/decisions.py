"""The gate's decisions: which loaded batches are published, which rejected, and why.

Flow, per entity and data-interval window (after the loads, before dbt):

1. The loader has written each new file as a batch with status ``loaded`` and recorded
   its own checks in ``audit.dq_results`` (:mod:`kizuna.ledger`).
2. :func:`validate_entity` reads the entity's ``loaded`` batches from raw, adds the
   derived columns the suite names and runs the suite (:mod:`kizuna.gate.runner`).
3. Rows failing a row-level expectation move from raw to quarantine with the rule as
   their reason (the batch's counts move with them). GX's ``mostly`` says when a rule
   fails for the batch: a batch with any failed critical check (loader or GX) is
   ``rejected`` (its rows stay in raw and never reach staging), every other batch is
   ``published``.
4. Results go to ``audit.dq_results``; the Data Docs are rebuilt once per gate run
   (:func:`validate_window` validates every entity with one GX context).
5. If any batch of the window is rejected, :class:`QualityGateError` says which file,
   rule, column and sample rows, and what to do.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from kizuna import ledger
from kizuna.contract import ENTITIES
from kizuna.gate.runner import (
    Outcome,
    build_data_docs,
    data_docs_dir,
    frame_with_derived,
    gx_context,
    prune_results,
    reference_keys,
    run_suite,
)
from kizuna.gate.suites import load_suite, parse_derived
from kizuna.identifiers import quote
from kizuna.ledger import BatchRef, CheckResult, Rule
from kizuna.raw import ensure_raw_tables
from kizuna.settings import Settings, business_timezone, get_settings
from kizuna.warehouse import Warehouse, connection

log = logging.getLogger(__name__)

#: Rows of one entity validated in one GX run (whole batches; a larger batch is one run).
CHUNK_ROWS = 500_000


class QualityGateError(RuntimeError):
    """Critical checks failed: batches were rejected. The message says where and what to do."""


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


def _apply(wh: Warehouse, table: str, chunk: Sequence[BatchRef], outcome: Outcome,
           frame: Any, run_id: str, now: datetime) -> dict[str, str]:
    """Write one chunk's results, move failing rows to quarantine, decide each batch."""
    ids = [b.batch_id for b in chunk]
    loader_failed = ledger.failed_critical(wh, ids, "loader")
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
        for batch_id, number in keys:
            moved_per_batch.setdefault(batch_id, []).append(number)
    with wh.transaction():
        ledger.replace_results(wh, ids, "great_expectations", outcome.results, run_id, now)
        if quarantine is not None:
            ledger.move_to_quarantine(wh, table, quarantine, moved_per_batch)
        ledger.decide(wh, decisions)
    return decisions


def _rejections(wh: Warehouse, table: str, start: date, end: date) -> list[str]:
    """One paragraph per rejected batch of the window: file, then each failed critical check."""
    rejected = ledger.batches_in(wh, table, "rejected", start, end)
    if not rejected:
        return []
    suite_rules = load_suite(table)
    out = []
    for batch, _ in rejected:
        batch_id, source_file, interval = batch.batch_id, batch.source_file, batch.data_interval
        checks = ledger.failed_critical_checks(wh, batch_id)
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


@dataclass
class _GxRun:
    """One GX context for a whole gate run, made when a first entity has rows to validate;
    the validation results each entity stored, for one Data Docs build at the end."""

    settings: Settings
    ctx: Any = None
    result_ids: dict[str, list[Any]] = field(default_factory=dict)

    def context(self) -> Any:
        if self.ctx is None:
            self.ctx = gx_context(self.settings)
        return self.ctx

    def build_docs(self, reports: Sequence[GateReport]) -> None:
        """Prune each validated suite's old results, then build the Data Docs once."""
        stored = [key for ids in self.result_ids.values() for key in ids]
        if not stored:
            return
        try:
            for table in self.result_ids:
                prune_results(self.ctx, table, self.settings)
            index = str(build_data_docs(self.settings, self.ctx, stored))
        except Exception:  # Data Docs are for people; never let them fail the gate
            log.exception("could not build Data Docs for %s", ", ".join(self.result_ids))
            return
        for report in reports:
            if report.table in self.result_ids:
                report.data_docs = index


def validate_entity(table: str, start: date, end: date, settings: Settings | None = None,
                    data_docs: bool = True, raise_on_reject: bool = True) -> GateReport:
    """Run the gate on one entity's ``loaded`` batches of ``[start, end)`` (see module doc).

    Raises :class:`QualityGateError` when any batch of the window is rejected (also one
    rejected by an earlier run and not yet superseded by a corrected delivery).
    """
    s = settings or get_settings()
    gx_run = _GxRun(s)
    report = _validate_entity(table, start, end, gx_run)
    if data_docs:
        gx_run.build_docs([report])
    if report.rejected_in_window and raise_on_reject:
        raise QualityGateError(rejection_message(table, start, end, report.rejected_in_window,
                                                 s))
    return report


def _validate_entity(table: str, start: date, end: date, gx_run: _GxRun) -> GateReport:
    """The gate on one entity, validating with ``gx_run``'s context (no Data Docs)."""
    s = gx_run.settings
    t0 = time.monotonic()
    suite = load_suite(table)
    report = GateReport(table)
    now = datetime.now(UTC).replace(tzinfo=None)
    run_id = f"gate {table} {start}..{end} {now:%Y-%m-%dT%H:%M:%S}"
    with connection(s) as wh:
        ensure_raw_tables(wh)  # referential checks read the other raw tables
        ledger.ensure_ledger(wh)
        batches = ledger.batches_in(wh, table, "loaded", start, end)
        report.batches = len(batches)
        with_rows = [(b, n) for b, n in batches if n > 0]
        empty = [b for b, n in batches if n == 0]
        if with_rows:
            tz = business_timezone()
            refs = {d.name: reference_keys(wh, d) for d in suite.derived if d.kind == "in"}
            ctx = gx_run.context()
            for chunk in _chunks(with_rows):
                ids = [b.batch_id for b in chunk]
                data = wh.query_arrow(
                    f"SELECT * FROM raw.{quote(table)} WHERE _batch_id IN "
                    f"({', '.join('?' for _ in ids)})", ids)
                frame = frame_with_derived(data, chunk, suite, refs, tz)
                outcome = run_suite(ctx, suite, frame, chunk, f"{start}_to_{end}", now)
                gx_run.result_ids.setdefault(table, []).extend(outcome.result_ids)
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
            failed = ledger.failed_critical(wh, ids, "loader")
            decisions = {b: ("rejected by the quality gate: " + failed[b] if b in failed else "")
                         for b in ids}
            with wh.transaction():
                ledger.decide(wh, decisions)
            report.rejected += sum(1 for m in decisions.values() if m)
            report.published += sum(1 for m in decisions.values() if not m)
        report.rejected_in_window = _rejections(wh, table, start, end)
    report.seconds = round(time.monotonic() - t0, 2)
    log.info("quality gate %s %s..%s: %d batches, %d published, %d rejected, %d rows checked, "
             "%d rows quarantined, %d warnings (%.1fs)", table, start, end, report.batches,
             report.published, report.rejected, report.rows_checked, report.rows_quarantined,
             report.warnings, report.seconds)
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
    """Run the gate on several entities with one GX context and one Data Docs build; raise
    once, naming every rejected batch."""
    s = settings or get_settings()
    gx_run = _GxRun(s)  # one GX context and one Data Docs build for every entity
    reports = [_validate_entity(table, start, end, gx_run)
               for table in tables or [e.table for e in ENTITIES]]
    if data_docs:
        gx_run.build_docs(reports)
    failed = [r for r in reports if r.rejected_in_window]
    if failed:
        raise QualityGateError("\n\n".join(
            rejection_message(r.table, start, end, r.rejected_in_window, s) for r in failed))
    return reports
