"""dbt's partial-parse state is kept per warehouse between in-process dbt commands: dbt
parses the whole project again whenever the connection differs from the one its state
was written with, and a DuckDB file's path is part of the connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.settings import get_settings
from kizuna.transform import dbt_target_folder, parse_state_path


def _settings_for(home: Path, monkeypatch: pytest.MonkeyPatch, duckdb_name: str):
    monkeypatch.setenv("KIZUNA_HOME", str(home))
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "duckdb")
    monkeypatch.setenv("KIZUNA_DUCKDB_PATH", str(home / "warehouse" / duckdb_name))
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    return get_settings()


def test_a_command_starts_from_the_state_the_last_one_on_its_warehouse_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_for(tmp_path, monkeypatch, "kizuna.duckdb")
    with dbt_target_folder(settings=settings) as first:
        # what dbt writes after parsing
        (first / "partial_parse.msgpack").write_bytes(b"state of the first command")
    assert parse_state_path(settings).read_bytes() == b"state of the first command"
    with dbt_target_folder(settings=settings) as second:
        assert second != first
        assert (second / "partial_parse.msgpack").read_bytes() == b"state of the first command"


def test_another_warehouse_keeps_a_state_of_its_own_and_no_secret_names_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = parse_state_path(_settings_for(tmp_path, monkeypatch, "one.duckdb"))
    other = parse_state_path(_settings_for(tmp_path, monkeypatch, "other.duckdb"))
    assert one != other
    assert one.parent == other.parent == tmp_path / "cache" / "dbt"
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    monkeypatch.setenv("KIZUNA_PG_PASSWORD", "s3cret-password")
    postgres = parse_state_path(get_settings())
    assert postgres not in (one, other)
    assert "s3cret" not in str(postgres)


def test_a_given_target_folder_is_used_as_it_is(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_for(tmp_path, monkeypatch, "kizuna.duckdb")
    chosen = tmp_path / "kept-artifacts"
    with dbt_target_folder(chosen, settings) as target:
        assert target == chosen
        (target / "partial_parse.msgpack").write_bytes(b"x")
    assert (chosen / "partial_parse.msgpack").exists()
    assert not parse_state_path(settings).exists()
