"""The sources file is checked when it is read: every misspelling names its key and the
nearest valid name, instead of silently falling back to the defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kizuna.sources.config import (
    SourceConfigError,
    delivery_specs,
    read_config,
    vendor_names,
)

VALID = """\
ma:
  format: csv
  encoding: utf-8-sig
  timezone: Asia/Tokyo
  entities:
    activities: {format: jsonl, encoding: utf-8}
crm:
  encoding: cp932
  timezone: Asia/Tokyo
  done_marker: _SUCCESS
  entities:
    accounts:
      columns: {Kaisha Mei: account_name}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "key_path", "nearest"), [
    pytest.param("cmr:\n  timezone: Asia/Tokyo\n", "cmr", "'crm'", id="source"),
    pytest.param("crm:\n  timezon: Asia/Tokyo\n", "crm.timezon", "'timezone'", id="source key"),
    pytest.param("crm:\n  entities:\n    acounts: {}\n", "crm.entities.acounts", "'accounts'",
                 id="entity"),
    pytest.param("ma:\n  entities:\n    activities: {encodng: utf-8}\n",
                 "ma.entities.activities.encodng", "'encoding'", id="entity key"),
    pytest.param("crm:\n  entities:\n    accounts:\n      columns: {Kaisha Mei: acount_name}\n",
                 "crm.entities.accounts.columns.'Kaisha Mei'", "'account_name'",
                 id="column target"),
    pytest.param("crm:\n  columns: {Shoudan: oportunity_id}\n", "crm.columns.'Shoudan'",
                 "'opportunity_id'", id="source-level column target"),
    pytest.param("crm:\n  timezone: Asia/Tokio\n", "crm.timezone", "'Asia/Tokyo'",
                 id="timezone"),
    pytest.param("firmo:\n  format: parquett\n", "firmo.format", "'parquet'", id="format"),
    pytest.param("vendor:\n  hubspot: {}\n", "vendor", "'vendors'", id="reserved key"),
])
def test_a_misspelling_names_the_file_the_key_and_the_nearest_name(tmp_path, text, key_path,
                                                                 nearest):
    path = write(tmp_path, text)
    with pytest.raises(SourceConfigError) as err:
        delivery_specs(path)
    message = str(err.value)
    assert str(path) in message
    assert f": {key_path}" in message
    assert f"did you mean {nearest}?" in message


def test_a_name_nothing_resembles_lists_the_valid_names(tmp_path):
    path = write(tmp_path, "salesforce:\n  timezone: UTC\n")
    with pytest.raises(SourceConfigError, match=r"salesforce.*valid: ma, crm, firmo, vendors"):
        delivery_specs(path)


def test_a_valid_file_gives_each_entity_its_merged_spec(tmp_path):
    specs = delivery_specs(write(tmp_path, VALID))
    assert (specs["ma_activities"].format, specs["ma_activities"].encoding) == ("jsonl", "utf-8")
    assert (specs["ma_leads"].format, specs["ma_leads"].encoding) == ("csv", "utf-8-sig")
    assert specs["crm_accounts"].columns == {"Kaisha Mei": "account_name"}
    assert specs["crm_contacts"].timezone == "Asia/Tokyo"
    assert specs["firmo_companies"].timezone == "UTC"  # a source not named takes the defaults


def test_source_level_columns_apply_where_the_entity_has_the_column(tmp_path):
    specs = delivery_specs(write(tmp_path, "crm:\n  columns: {Torihikisaki ID: account_id}\n"))
    assert specs["crm_contacts"].columns == {"Torihikisaki ID": "account_id"}
    assert specs["crm_products"].columns == {}  # crm_products has no account_id


def test_vendors_is_reserved_and_its_content_left_to_the_vendor_adapters(tmp_path):
    path = write(tmp_path, VALID + "vendors:\n  hubspot: {adapter: anything, whatever: 1}\n")
    assert vendor_names(path) == ("hubspot",)
    assert "crm_accounts" in delivery_specs(path)


def test_the_shipped_sources_file_is_valid():
    config = read_config(Path(__file__).resolve().parents[2] / "include" / "kizuna" / "sources"
                         / "sources.yml")
    assert config.specs["crm_accounts"].timezone == "Asia/Tokyo"


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "crm:\n  timezone: [Asia/Tokyo\n")
    with pytest.raises(SourceConfigError, match=r"not valid YAML \(line \d+"):
        delivery_specs(path)


def test_a_missing_file_is_a_config_error_naming_it(tmp_path):
    with pytest.raises(SourceConfigError, match="does not exist"):
        delivery_specs(tmp_path / "nope.yml")


def test_a_fixed_file_is_read_again(tmp_path):
    path = write(tmp_path, "crm:\n  timezone: UTC\n")
    assert delivery_specs(path)["crm_accounts"].timezone == "UTC"
    path.write_text("crm:\n  timezone: Asia/Tokyo\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert delivery_specs(path)["crm_accounts"].timezone == "Asia/Tokyo"
