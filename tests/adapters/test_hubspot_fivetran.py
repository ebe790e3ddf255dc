"""HubSpot as a loading tool lands it -> the raw contract, through the real loader.

The vendor rows are written in the shape of Fivetran's HubSpot tables (column names of the
open dbt_hubspot package); every row must end up mapped or excluded with its reason, and
the mapped rows must load into raw through the ordinary loader and gate.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kizuna.ingest.adapt import NOT_SELECTED, adapt_window
from kizuna.sources.vendors import vendor_specs
from kizuna.warehouse import connection

DAY = date(2026, 3, 2)


def _drop(landing: Path, table: str, rows: list[dict], day: date = DAY) -> None:
    folder = landing / "hubspot" / table / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0001.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (folder / "_SUCCESS").touch()


@pytest.fixture
def hubspot_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text(
        "vendors:\n"
        "  hubspot:\n"
        "    adapter: hubspot_fivetran\n"
        "    timezone: UTC\n"
        "    currency_rates: {USD: 150}\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    landing = kizuna_home / "landing"
    ms = 1772409600000  # 2026-03-02T00:00:00Z in epoch milliseconds
    _drop(landing, "contact", [
        {"id": "101", "property_email": "Aoi.Sato@example.co.jp", "property_firstname": "Aoi",
         "property_lastname": "Sato", "property_company": "Example KK",
         "property_createdate": "2026-02-01T09:00:00Z", "property_lastmodifieddate": str(ms),
         "property_associatedcompanyid": "9001", "_fivetran_deleted": False,
         "property_hs_analytics_source": "ORGANIC_SEARCH", "property_hs_email_optout": "false"},
        {"id": "102", "property_email": "ken@other.example", "property_firstname": "Ken",
         "property_createdate": "2026-02-03 10:00:00 UTC", "_fivetran_deleted": False},
        {"id": "103", "property_email": "gone@example.co.jp", "_fivetran_deleted": True,
         "property_createdate": "2026-02-03T10:00:00Z"},
    ])
    _drop(landing, "company", [
        {"id": "9001", "property_name": "Example KK", "property_domain": "example.co.jp",
         "property_createdate": "01/15/2026 09:30 AM", "is_deleted": False,
         "property_hs_ideal_customer_profile": "TIER_1"},
    ])
    _drop(landing, "deal", [
        {"deal_id": "5001", "deal_pipeline_stage_id": "closedwon", "property_amount": "1200.50",
         "property_deal_currency_code": "USD", "property_createdate": "2026-02-10T00:00:00Z",
         "property_closedate": "2026-03-01T00:00:00Z", "is_deleted": False},
        {"deal_id": "5002", "deal_pipeline_stage_id": "qualifiedtobuy", "property_amount": "300000",
         "property_createdate": "2026-02-11T00:00:00Z", "is_deleted": False},
        {"deal_id": "5003", "deal_pipeline_stage_id": "appointmentscheduled",
         "property_createdate": "2026-02-12T00:00:00Z", "is_deleted": False},
        {"deal_id": "5004", "deal_pipeline_stage_id": "closedlost", "is_deleted": True,
         "property_createdate": "2026-02-12T00:00:00Z"},
    ])
    _drop(landing, "deal_company", [
        {"deal_id": "5001", "company_id": "9001", "type_id": "5"},
        {"deal_id": "5002", "company_id": "9001", "type_id": "341"},
        {"deal_id": "5004", "company_id": "9001", "type_id": "5"},
    ])
    _drop(landing, "deal_pipeline_stage", [
        {"stage_id": "closedwon", "label": "Closed Won", "closed_won": True, "is_closed": True},
        {"stage_id": "closedlost", "label": "Closed Lost", "closed_won": False, "is_closed": True},
        {"stage_id": "qualifiedtobuy", "label": "Qualified To Buy", "closed_won": False},
        {"stage_id": "appointmentscheduled", "label": "Appointment Scheduled"},
    ])
    _drop(landing, "email_event", [
        {"id": "e1", "type": "SENT", "created": str(ms), "recipient": "aoi.sato@example.co.jp",
         "email_campaign_id": "77"},
        {"id": "e2", "type": "OPEN", "created": str(ms + 60_000),
         "recipient": "AOI.SATO@example.co.jp", "email_campaign_id": "77"},
        {"id": "e3", "type": "CLICK", "created": str(ms + 120_000),
         "recipient": "aoi.sato@example.co.jp", "email_campaign_id": "77"},
        {"id": "e4", "type": "DELIVERED", "created": str(ms),
         "recipient": "aoi.sato@example.co.jp", "email_campaign_id": "77"},
        {"id": "e5", "type": "open", "created": str(ms), "recipient": "nobody@nowhere.example",
         "email_campaign_id": "77"},
    ])
    _drop(landing, "email_event_click", [{"id": "e3", "url": "https://example.com/pricing"}])
    _drop(landing, "email_campaign", [{"id": "77", "name": "March newsletter"}])
    return kizuna_home


def _counts(report, table: str, target: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for counts in report.counts.values():
        for c in counts:
            if c.vendor_table == table and c.target_table == target:
                key = None if c.outcome == "mapped" else c.reason
                out[key] = out.get(key, 0) + c.rows
    return out


def test_every_hubspot_row_is_mapped_or_excluded_with_its_reason(hubspot_home: Path) -> None:
    report = adapt_window(DAY, date(2026, 3, 3))
    assert _counts(report, "contact", "ma_leads") == {None: 2, "deleted in HubSpot": 1}
    assert _counts(report, "contact", "crm_contacts") == {
        None: 1, "deleted in HubSpot": 1,
        "no primary company: a lead only, not a CRM contact": 1}
    assert _counts(report, "deal", "crm_opportunities") == {
        None: 2, "deal has no associated company": 1, "deleted in HubSpot": 1}
    assert _counts(report, "email_event", "ma_activities") == {
        None: 3, "e-mail event type DELIVERED has no contract activity type": 1,
        "recipient is no known contact": 1}
    assert all(reason != NOT_SELECTED for reason in _counts(report, "deal", "crm_opportunities"))
    # what was written is what the ledger says
    with connection() as wh:
        rows = wh.query("SELECT vendor_table, target_table, outcome, sum(row_count) "
                        "FROM audit.vendor_mapping GROUP BY ALL ORDER BY ALL")
        excluded = wh.query("SELECT count(*) FROM quarantine.vendor_excluded_rows")[0][0]
    assert ("deal", "crm_opportunities", "excluded", 2) in rows
    assert excluded == report.rows("excluded")


def test_adapted_hubspot_rows_load_through_the_ordinary_loader(hubspot_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, date(2026, 3, 3))
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        deals = dict(wh.query("SELECT opportunity_id, amount_jpy FROM raw.crm_opportunities"))
        won = wh.query("SELECT stage, is_won, is_closed, close_date FROM raw.crm_opportunities "
                       "WHERE opportunity_id = '5001'")[0]
        acts = wh.query("SELECT activity_type, occurred_at, lead_id, url FROM raw.ma_activities "
                        "ORDER BY occurred_at")
        lead = wh.query("SELECT updated_at, created_at FROM raw.ma_leads WHERE lead_id = '101'")[0]
        account = wh.query("SELECT abm_tier, created_at FROM raw.crm_accounts")[0]
    assert set(deals) == {"5001", "5002"}
    assert float(deals["5001"]) == pytest.approx(1200.50 * 150, abs=1)  # USD converted
    assert won[:3] == ("closed_won", True, True) and str(won[3]) == "2026-03-01"
    assert [a[0] for a in acts] == ["email_send", "email_open", "email_click"]
    assert str(acts[0][1]).startswith("2026-03-02 00:00:00")  # epoch ms read as UTC
    assert {a[2] for a in acts} == {"101"} and acts[2][3] == "https://example.com/pricing"
    assert str(lead[0]).startswith("2026-03-02 00:00:00")
    assert account[0] == "tier_1" and str(account[1]).startswith("2026-01-15 09:30:00")


def test_re_adapting_a_day_writes_the_same_files(hubspot_home: Path) -> None:
    first = adapt_window(DAY, date(2026, 3, 3))
    again = adapt_window(DAY, date(2026, 3, 3))
    assert first.written and not again.written and again.unchanged == len(first.written)
    assert vendor_specs()["hubspot"].adapter.name == "hubspot_fivetran"


def test_a_misspelt_vendor_folder_or_header_names_the_nearest(hubspot_home: Path) -> None:
    from kizuna.sources.adapters import AdapterError

    landing = hubspot_home / "landing"
    _drop(landing, "contacts", [{"id": "1"}])
    with pytest.raises(AdapterError, match=r"landing/hubspot/contacts.*did you mean 'contact'"):
        adapt_window(DAY, date(2026, 3, 3))
    (landing / "hubspot" / "contacts" / DAY.isoformat() / "part-0001.jsonl").unlink()
    (landing / "hubspot" / "contacts" / DAY.isoformat() / "_SUCCESS").unlink()
    (landing / "hubspot" / "contacts" / DAY.isoformat()).rmdir()
    (landing / "hubspot" / "contacts").rmdir()
    _drop(landing, "company", [{"id": "9002", "property_nmae": "Typo KK"}])
    with pytest.raises(AdapterError, match=r"'property_nmae'.*did you mean 'property_name'"):
        adapt_window(DAY, date(2026, 3, 3))


def test_custom_vendor_columns_are_listed_not_fatal(hubspot_home: Path) -> None:
    _drop(hubspot_home / "landing", "company", [
        {"id": "9003", "property_name": "Custom KK", "property_my_custom_score": "7",
         "property_createdate": "2026-01-01T00:00:00Z"}])
    report = adapt_window(DAY, date(2026, 3, 3))
    assert report.unknown_columns["hubspot/company"] == ["property_my_custom_score"]


def test_amounts_without_a_currency_code_are_in_the_vendors_currency(
        hubspot_home: Path) -> None:
    sources = hubspot_home / "sources.yml"
    sources.write_text(sources.read_text(encoding="utf-8") + "    currency: USD\n",
                       encoding="utf-8")
    adapt_window(DAY, date(2026, 3, 3))
    import duckdb

    path = hubspot_home / "landing/crm/opportunities" / DAY.isoformat() / "hubspot.parquet"
    amounts = dict(duckdb.sql(f"SELECT opportunity_id, amount_jpy FROM '{path}'").fetchall())
    assert amounts == {"5001": "180075", "5002": str(300000 * 150)}  # both USD now
