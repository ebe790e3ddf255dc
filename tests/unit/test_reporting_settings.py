"""The business time zone and reporting currency: checked settings that reach dbt."""

from __future__ import annotations

import pytest

from kizuna.settings import SettingError, currency_code, get_settings, timezone_name
from kizuna.transform import dbt_environment, dbt_task_environment


def test_settings_name_a_real_zone_and_currency():
    assert timezone_name("America/Sao_Paulo") == "America/Sao_Paulo"
    assert currency_code(" brl ") == "BRL"
    for zone in ("+09:00", "Mars/Olympus", "Asia/Tokyo'; drop table x; --"):
        with pytest.raises(SettingError, match="KIZUNA_TIMEZONE"):
            timezone_name(zone)
    with pytest.raises(SettingError, match="ISO 4217"):
        currency_code("YEN")


def test_the_defaults_are_japan(monkeypatch):
    monkeypatch.delenv("KIZUNA_TIMEZONE", raising=False)
    monkeypatch.setenv("KIZUNA_CURRENCY", "")
    settings = get_settings()
    assert (settings.timezone, settings.currency) == ("Asia/Tokyo", "JPY")


def test_dbt_tasks_and_kizuna_build_hand_dbt_the_zone_and_currency(monkeypatch):
    monkeypatch.setenv("KIZUNA_TIMEZONE", "America/Sao_Paulo")
    monkeypatch.setenv("KIZUNA_CURRENCY", "brl")
    monkeypatch.delenv("KIZUNA_WAREHOUSE", raising=False)
    for env in (dbt_task_environment(), dbt_environment()):
        assert env["KIZUNA_TIMEZONE"] == "America/Sao_Paulo"
        assert env["KIZUNA_CURRENCY"] == "BRL"
