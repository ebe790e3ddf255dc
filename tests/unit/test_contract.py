"""The raw contract in code, the dbt sources and the source configuration agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kizuna.contract import ENTITIES, entity
from kizuna.settings import DBT_PROJECT_DIR
from kizuna.sources.config import SourceConfigError, delivery_specs


def dbt_sources() -> dict[str, dict]:
    doc = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/_sources.yml").read_text())
    out = {}
    for src in doc["sources"]:
        for t in src["tables"]:
            out[t.get("identifier", t["name"])] = t
    return out


@pytest.mark.parametrize("ent", ENTITIES, ids=lambda e: e.table)
def test_every_entity_is_a_dbt_source_with_the_contract_columns(ent):
    table = dbt_sources()[ent.table]
    assert [c["name"] for c in table["columns"]] == ent.column_names
    assert all(c.get("description") for c in table["columns"])


def test_every_raw_source_checks_freshness_on_the_column_the_loader_stamps():
    """dbt source freshness reads each raw table's newest ``loaded_at_field``: it must be
    the lineage column every raw table has (``_loaded_at``), with both thresholds."""
    from kizuna.contract import LINEAGE_COLUMNS

    doc = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/_sources.yml").read_text())
    raw = {src["name"]: src for src in doc["sources"] if src.get("schema") == "raw"}
    assert set(raw) == {e.source for e in ENTITIES}
    for name, src in raw.items():
        assert src["loaded_at_field"] == "_loaded_at" and "_loaded_at" in LINEAGE_COLUMNS
        freshness = src["config"]["freshness"]
        assert freshness["warn_after"]["count"] < freshness["error_after"]["count"], name
        assert freshness["warn_after"]["period"] == freshness["error_after"]["period"], name


@pytest.mark.parametrize("ent", ENTITIES, ids=lambda e: e.table)
def test_every_entity_has_one_staging_model(ent):
    path = DBT_PROJECT_DIR / "models" / "staging" / ent.source / f"stg_{ent.source}__{ent.name}.sql"
    assert path.exists(), path


def test_every_entity_has_a_delivery_spec():
    specs = delivery_specs()
    assert set(specs) == {e.table for e in ENTITIES}
    assert specs["crm_accounts"].encoding == "cp932"
    assert specs["ma_activities"].format == "jsonl"
    assert specs["ma_leads"].timezone == "Asia/Tokyo"


def test_unknown_entity_names_the_known_ones():
    with pytest.raises(KeyError, match="crm_accounts"):
        entity("crm_acounts")


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("crm:\n  format: xlsx\n", "crm.format: 'xlsx' is not one of csv, jsonl, parquet"),
    ("crm:\n  encoding: latin-9\n", "crm.encoding: 'latin-9' is not one of"),
    ("crm:\n  entities:\n    accounts:\n      columns: {ID: account_key}\n", "account_key"),
    ("crm:\n  fromat: csv\n", "unknown key 'fromat'; did you mean 'format'"),
])
def test_a_malformed_source_config_names_the_problem(tmp_path: Path, yaml_text, message):
    path = tmp_path / "sources.yml"
    path.write_text(yaml_text)
    with pytest.raises(SourceConfigError, match=message):
        delivery_specs(path)


def test_shift_jis_is_read_as_cp932(tmp_path: Path):
    path = tmp_path / "sources.yml"
    path.write_text("crm:\n  encoding: Shift_JIS\n")
    assert delivery_specs(path)["crm_contacts"].encoding == "cp932"
