"""Suites: one Great Expectations suite per raw entity (``expectations/<entity>.json``),
read into the gate's view of each rule.

Every expectation has a **severity** (GX's own field: ``critical`` or ``warning``) and a
**level** (``meta.level``: ``row`` or ``batch``); ``meta.rule`` names it.

Derived columns. A suite may name columns that the gate computes for each row, so that
bounds depending on the batch stay plain GX expectations whose limits live in the suite:

- ``<col>__hours_after_load``: hours from the row's load time to ``<col>`` (a value
  above a small tolerance is in the future);
- ``<col>__days_from_interval``: days from the start of the batch's data interval (the
  date folder, 00:00 in ``KIZUNA_TIMEZONE``) to ``<col>``; the interval itself is
  ``[0, 1)``;
- ``<col>__in__<table>.<column>``: true when ``<col>`` is a known key of another raw
  table (batches loaded or published), false for an orphan, null when ``<col>`` is null.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kizuna.contract import ENTITIES, entity
from kizuna.ledger import LEVELS, LOADER_RULES, SEVERITIES, Rule
from kizuna.settings import EXPECTATIONS_DIR


class SuiteError(ValueError):
    """A suite file is malformed; the message names the file, the expectation and the key."""


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


def source_columns(columns: tuple[str, ...]) -> tuple[str, ...]:
    """Delivered columns a check reads (a derived column's source column)."""
    out: list[str] = []
    for c in columns:
        d = parse_derived(c)
        src = d.source if d else c
        if src != "_batch_id" and src not in out:
            out.append(src)
    return tuple(out)


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
                          notes if isinstance(notes, str) else " ".join(notes),
                          sources=source_columns(columns)))
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


@dataclass(frozen=True)
class Reference:
    """A reference the gate checks: ``table.column`` names a key ``ref_table.ref_column``
    (a rule on the derived column ``<column>__in__<ref_table>.<ref_column>``)."""

    table: str
    column: str
    ref_table: str
    ref_column: str
    rule: str
    severity: str  # critical | warning


def references(directory: Path | None = None) -> list[Reference]:
    """Every reference between entities the suites check, with the rule's severity: what
    dbt's relationships tests on the same references must agree with (a warning here is a
    warning there), and what ``marts.kpi_orphan_references`` counts."""
    out = []
    for ent in ENTITIES:
        for rule in load_suite(ent.table, directory).rules:
            for col in rule.columns:
                d = parse_derived(col)
                if d is not None and d.kind == "in":
                    out.append(Reference(ent.table, d.source, d.ref_table or "",
                                         d.ref_column or "", rule.name, rule.severity))
    return out
