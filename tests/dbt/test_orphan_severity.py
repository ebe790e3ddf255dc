"""The quality gate and dbt agree on orphan references: a reference the gate records as a
warning (sources deliver independently, so a row may name a key that never arrived) is
never an error in dbt, where the same reference is tested with ``relationships``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kizuna.gate.suites import Reference, references


def gate_references() -> list[Reference]:
    refs = references()
    assert refs, "the suites check no reference"
    return refs


@dataclass(frozen=True)
class RelationshipsTest:
    name: str
    model: str
    column: str
    to: str
    field: str
    severity: str  # dbt's: error | warn
    raw_upstream: frozenset[str]  # raw tables the tested model is built from
    to_raw_upstream: frozenset[str]  # raw tables the referenced model is built from


def relationships_tests(manifest: dict[str, Any]) -> list[RelationshipsTest]:
    nodes = {**manifest["nodes"], **manifest["sources"]}

    @cache
    def raw_upstream(uid: str) -> frozenset[str]:
        node = nodes.get(uid)
        if node is None:
            return frozenset()
        if node["resource_type"] == "source":
            return frozenset([node["identifier"]]) if node["schema"] == "raw" else frozenset()
        out: set[str] = set()
        for parent in node.get("depends_on", {}).get("nodes", []):
            out |= raw_upstream(parent)
        return frozenset(out)

    out = []
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or meta.get("name") != "relationships":
            continue
        attached = node.get("attached_node")
        if attached is None:  # a test on a source: the gate's own reference checks
            continue
        others = [p for p in node["depends_on"]["nodes"] if p != attached]
        assert len(others) == 1, node["name"]
        out.append(RelationshipsTest(
            node["name"], nodes[attached]["name"], node["column_name"],
            nodes[others[0]]["name"], meta["kwargs"]["field"],
            str(node["config"]["severity"]).lower(),
            raw_upstream(attached), raw_upstream(others[0])))
    return out


def carries(test: RelationshipsTest, ref: Reference) -> bool:
    """True when the dbt test checks the gate's reference: the same column names, the tested
    model built from the referring raw table and the referenced one from the referred."""
    return (test.column == ref.column and test.field == ref.ref_column
            and ref.table in test.raw_upstream and ref.ref_table in test.to_raw_upstream)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A manifest parsed from the project as it is now (not the DAGs' published one)."""
    from kizuna.transform import run_dbt

    target: Path = tmp_path_factory.mktemp("dbt-parse")
    run_dbt(["parse"], quiet=True, target_path=target)
    return json.loads((target / "manifest.json").read_text())


def test_every_reference_the_gate_lets_through_is_a_warning_in_dbt(manifest):
    refs = gate_references()
    tests = relationships_tests(manifest)
    warned = [r for r in refs if r.severity == "warning"]
    pairs = [(t, r) for r in warned for t in tests if carries(t, r)]
    # the gate checks these references and dbt tests several of them downstream
    assert {(r.table, r.column) for r in warned} >= {
        ("crm_contacts", "account_id"), ("crm_opportunities", "account_id"),
        ("crm_contracts", "account_id"), ("crm_activities", "account_id"),
        ("ma_activities", "lead_id"), ("ma_activities", "campaign_id"),
        ("crm_opportunities", "product_id")}
    assert {r.table for _, r in pairs} >= {"crm_contacts", "crm_opportunities", "crm_contracts",
                                          "crm_activities", "crm_opportunity_history"}
    errors = sorted({f"{t.model}.{t.column} -> {t.to}.{t.field} is an error in dbt; the gate's "
                     f"{r.table}.{r.rule} is a warning" for t, r in pairs if t.severity != "warn"})
    assert errors == [], "\n".join(errors)


def test_a_critical_gate_reference_may_stay_an_error_in_dbt(manifest):
    """The agreement is one way: nothing else in dbt was made lenient for it."""
    tests = relationships_tests(manifest)
    refs = gate_references()
    lenient = [t for t in tests if t.severity == "warn"
               and not any(carries(t, r) for r in refs if r.severity == "warning")]
    assert lenient == []
