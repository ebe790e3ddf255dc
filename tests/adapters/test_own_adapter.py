"""A team's own adapter, kept beside its sources file: a funnel export whose only date
fills both created_at and updated_at (one column feeding two), day/month/year dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from kizuna.ingest.adapt import adapt_window
from kizuna.sources.adapters import AdapterError
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


def _funnel_api(home: Path, view_sql: str) -> None:
    """The same funnel as its API lands it (JSON lines, other spellings, a deleted flag),
    mapped by an adapter on the funnel export's adapter."""
    own = home / "config" / "adapters" / "funnel_api"
    (own / "views").mkdir(parents=True)
    (own / "adapter.yml").write_text(
        "base: ../funnel\n"
        "tables:\n"
        "  lead_record:\n"
        "    format: jsonl\n"
        "    columns: [lead, email, company_name, stage, date, is_deleted]\n"
        "views:\n"
        "  lead_record: leads\n", encoding="utf-8")
    (own / "views" / "lead_record.sql").write_text(view_sql, encoding="utf-8")
    (home / "config" / "sources.yml").write_text(
        "vendors:\n  funnel_api:\n    adapter: ./adapters/funnel_api\n", encoding="utf-8")
    folder = home / "landing" / "funnel_api" / "lead_record" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "part-0001.jsonl").write_text(
        '{"lead": "F-1", "email": "ana@empresa.com.br", "company_name": "Empresa Ltda",'
        ' "stage": "MQL", "date": "31/03/2026", "is_deleted": false}\n'
        '{"lead": "F-2", "email": "joao@outra.com.br", "company_name": "Outra SA",'
        ' "stage": "SQL", "date": "01/04/2026", "is_deleted": true}\n', encoding="utf-8")
    (folder / "_SUCCESS").touch()


def test_an_adapter_on_a_base_maps_through_the_bases_sql(funnel_home: Path) -> None:
    # e_mail is the view's email (spelt alike); company and a deleted lead's stage are set
    _funnel_api(funnel_home, "select * exclude (stage), company_name as company,\n"
                "    if(kz_bool(is_deleted) = 'true', 'Spam', stage) as stage\n"
                "from lead_record\n")
    adp = vendor_specs()["funnel_api"].adapter
    assert adp.entities == {"ma_leads": ("lead_record",)} and adp.base is not None
    report = adapt_window(DAY, date(2026, 4, 2))
    assert [(c.vendor_table, c.outcome, c.reason, c.rows)
            for cs in report.counts.values() for c in cs] == [
        ("lead_record", "excluded", "marked as spam in the funnel", 1),
        ("lead_record", "mapped", None, 1)]
    landed = funnel_home / "landing" / "ma" / "leads" / DAY.isoformat() / "funnel_api.parquet"
    con = duckdb.connect()
    assert con.execute(
        "SELECT lead_id, email, company_name, created_at, vendor_file, vendor_row "
        f"FROM read_parquet('{landed}')").fetchall() == [
        ("F-1", "ana@empresa.com.br", "Empresa Ltda", "2026-03-31",
         f"funnel_api/lead_record/{DAY.isoformat()}/part-0001.jsonl", 1)]
    with connection() as wh:
        kept = wh.query("SELECT raw_text FROM quarantine.vendor_excluded_rows")
    assert len(kept) == 1 and '"company_name":"Outra SA"' in kept[0][0]  # as delivered


def test_a_view_returning_a_column_neither_adapter_knows_is_an_error(
        funnel_home: Path) -> None:
    _funnel_api(funnel_home, "select *, company_name as compnay from lead_record\n")
    with pytest.raises(AdapterError, match=r"views/lead_record\.sql returns \['compnay'\]"):
        adapt_window(DAY, date(2026, 4, 2))
