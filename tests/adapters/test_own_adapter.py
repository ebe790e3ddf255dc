"""A team's own adapter, kept beside its sources file: a funnel export whose only date
fills both created_at and updated_at (one column feeding two), day/month/year dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kizuna.ingest.adapt import adapt_window
from kizuna.sources.config import SourceConfigError
from kizuna.sources.vendors import vendor_specs
from kizuna.warehouse import connection

DAY = date(2026, 4, 1)


@pytest.fixture
def funnel_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    own = kizuna_home / "config" / "adapters" / "funnel"
    own.mkdir(parents=True)
    (own / "adapter.yml").write_text(
        "description: A B2B funnel export (one CSV of leads, one date per row).\n"
        "tables:\n"
        "  leads:\n"
        "    format: csv\n"
        "    columns: [Lead, E-mail, Company, Stage, Date]\n"
        "entities:\n"
        "  ma_leads: leads\n", encoding="utf-8")
    (own / "ma_leads.sql").write_text(
        "select\n"
        "    _file,\n"
        "    _row_number,\n"
        "    lead as lead_id,\n"
        "    e_mail as email,\n"
        "    company as company_name,\n"
        "    'import' as lead_source,\n"
        "    strftime(strptime(date, '%d/%m/%Y'), '%Y-%m-%d') as created_at,\n"
        "    strftime(strptime(date, '%d/%m/%Y'), '%Y-%m-%d') as updated_at,\n"
        "    case when lower(stage) = 'spam' then 'marked as spam in the funnel' end\n"
        "        as _excluded\n"
        "from leads\n", encoding="utf-8")
    sources = kizuna_home / "config" / "sources.yml"
    sources.write_text("vendors:\n  funnel:\n    adapter: ./adapters/funnel\n"
                       "    timezone: America/Sao_Paulo\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    folder = kizuna_home / "landing" / "funnel" / "leads" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "export.csv").write_text(
        "Lead,E-mail,Company,Stage,Date\n"
        "F-1,ana@empresa.com.br,Empresa Ltda,MQL,31/03/2026\n"
        "F-2,joao@outra.com.br,Outra SA,SQL,01/04/2026\n"
        "F-3,spam@spam.example,,Spam,01/04/2026\n", encoding="utf-8")
    (folder / "_SUCCESS").touch()
    return kizuna_home


def test_a_teams_own_adapter_maps_one_date_into_two_columns(funnel_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    assert vendor_specs()["funnel"].adapter.name == "funnel"
    report = load_and_gate(DAY, date(2026, 4, 2))
    assert report.rows_loaded("ma_leads") == 2 and report.rows_quarantined() == 0
    with connection() as wh:
        rows = wh.query("SELECT lead_id, created_at, updated_at FROM raw.ma_leads ORDER BY 1")
        excluded = wh.query("SELECT reason FROM quarantine.vendor_excluded_rows")
    # local midnight in São Paulo (UTC-3) is 03:00 UTC
    assert [(r[0], str(r[1]), str(r[2])) for r in rows] == [
        ("F-1", "2026-03-31 03:00:00", "2026-03-31 03:00:00"),
        ("F-2", "2026-04-01 03:00:00", "2026-04-01 03:00:00")]
    assert excluded == [("marked as spam in the funnel",)]


def test_an_adapter_path_that_holds_no_adapter_is_an_error(funnel_home: Path) -> None:
    sources = funnel_home / "config" / "sources.yml"
    sources.write_text("vendors:\n  funnel:\n    adapter: ./adapters/funel\n", encoding="utf-8")
    with pytest.raises(SourceConfigError, match=r"no adapter\.yml in .*adapters/funel"):
        adapt_window(DAY, date(2026, 4, 2))
