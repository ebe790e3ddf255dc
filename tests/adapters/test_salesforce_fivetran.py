"""Salesforce as Fivetran lands it -> the raw contract, through the real loader.

The vendor rows are written as JSON lines in the shape of Fivetran's Salesforce tables
(snake_case objects and fields as the open dbt_salesforce package reads them, plus
``_fivetran_deleted``); timestamps come as ISO ``Z``, `` UTC`` and epoch milliseconds.
Lookup objects (users, stage list, price books, line items, contact roles) arrive in an
earlier sync than the records that use them. Every row must end up mapped or excluded
with its reason, and the mapped rows must load into raw through the loader and gate.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kizuna.ingest.adapt import NOT_SELECTED, AdaptReport, adapt_window
from kizuna.warehouse import connection

DAY = date(2026, 3, 2)
END = date(2026, 3, 3)
EARLIER = date(2026, 3, 1)
MS = 1772409600000  # 2026-03-02T00:00:00Z in epoch milliseconds

A1, A2, A3, A4, A5 = (f"0015g00000Acc{n:03d}AAA" for n in range(1, 6))
C1, C2, C3, C4 = (f"0035g00000Con{n:03d}AAA" for n in range(1, 5))
L1, L2, L3, L4 = (f"00Q5g00000Lea{n:03d}AAA" for n in range(1, 5))
O1, O2, O3, O4, O5, O6, O7 = (f"0065g00000Opp{n:03d}AAA" for n in range(1, 8))
CP1, CP2, CP3, CP4, CP5 = (f"7015g00000Cam{n:03d}AAA" for n in range(1, 6))
P1, P2, P3 = (f"01t5g00000Pro{n:03d}AAA" for n in range(1, 4))
U1 = "0055g00000Usr001AAA"


def _drop(landing: Path, table: str, rows: list[dict[str, Any]], day: date = DAY) -> None:
    folder = landing / "salesforce" / table / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    synced = {"_fivetran_synced": "2026-03-02T06:00:00.000Z"}
    (folder / "part-0001.jsonl").write_text(
        "".join(json.dumps({**synced, **r}, ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8")
    (folder / "_SUCCESS").touch()


def _write_tables(landing: Path) -> None:
    ok = {"is_deleted": False, "_fivetran_deleted": False}
    # lookups, synced the day before
    _drop(landing, "user", [{"id": U1, "name": "Hanae Ono", "is_active": True}], EARLIER)
    _drop(landing, "opportunity_stage", [
        {"id": "01J1", "master_label": "Prospecting", "is_closed": False, "is_won": False},
        {"id": "01J2", "master_label": "Closed Won", "is_closed": True, "is_won": True},
        {"id": "01J3", "master_label": "Closed Lost", "is_closed": True, "is_won": False},
    ], EARLIER)
    _drop(landing, "opportunity_line_item", [
        {"id": "00k1", "opportunity_id": O1, "product_2_id": P1, "total_price": 2000, **ok},
        {"id": "00k2", "opportunity_id": O2, "product_2_id": P1, "total_price": 100, **ok},
        {"id": "00k3", "opportunity_id": O2, "product_2_id": P2, "total_price": 500, **ok},
    ], EARLIER)
    _drop(landing, "opportunity_contact_role", [
        {"id": "00K1", "opportunity_id": O1, "contact_id": C1, "role": "Economic Buyer",
         "is_primary": True, **ok},
        {"id": "00K2", "opportunity_id": O2, "contact_id": C2, "role": "Business User",
         "is_primary": False, **ok},
    ], EARLIER)
    _drop(landing, "pricebook_2", [
        {"id": "01s1", "name": "Standard Price Book", "is_standard": True, **ok},
        {"id": "01s2", "name": "Partners", "is_standard": False, **ok},
    ], EARLIER)
    _drop(landing, "pricebook_entry", [
        {"id": "01u1", "pricebook_2_id": "01s1", "product_2_id": P1, "unit_price": 50000,
         "currency_iso_code": "JPY", "is_active": True, **ok},
        {"id": "01u2", "pricebook_2_id": "01s2", "product_2_id": P2, "unit_price": 20.5,
         "currency_iso_code": "USD", "is_active": True, **ok},
    ], EARLIER)

    _drop(landing, "account", [
        {"id": A1, "name": "Example KK", "website": "http://example.co.jp",
         "abm_tier_c": "TIER 1", "owner_id": U1, "industry": "Retail",
         "created_date": "2025-05-01T00:00:00.000Z", "system_modstamp": str(MS + 3_600_000),
         **ok},
        {"id": A2, "name": "Hard deleted", "created_date": "2025-05-01T00:00:00.000Z",
         "system_modstamp": str(MS), "is_deleted": False, "_fivetran_deleted": True},
        {"id": A3, "name": "Example K.K.", "master_record_id": A1, "is_deleted": True,
         "_fivetran_deleted": False, "created_date": "2025-05-01T00:00:00.000Z",
         "system_modstamp": str(MS)},
        {"id": A4, "name": "Jiro Suzuki", "is_person_account": True,
         "created_date": "2025-05-01T00:00:00.000Z", "system_modstamp": str(MS), **ok},
        {"id": A5, "name": "Fifth Corp", "website": "www.fifth.example/jp/",
         "abm_tier_c": "Tier 3", "created_date": str(MS - 86_400_000 * 30),
         "last_modified_date": "2026-03-02 02:00:00 UTC", **ok},
    ])
    _drop(landing, "contact", [
        {"id": C1, "account_id": A1, "last_name": "Sato", "first_name": "Aoi",
         "email": "aoi@example.co.jp", "title": "CIO", "department": "IT",
         "lead_source": "Seminar", "has_opted_out_of_email": False,
         "created_date": "2025-06-01T00:00:00.000Z", "system_modstamp": str(MS), **ok},
        {"id": C2, "account_id": A5, "last_name": "Ono", "email": "ono@fifth.example",
         "lead_source": "Partner Referral", "has_opted_out_of_email": True,
         "created_date": "2025-06-01T00:00:00.000Z",
         "system_modstamp": "2026-03-02 01:00:00 UTC", **ok},
        {"id": C3, "account_id": A1, "last_name": "Gone", "is_deleted": True,
         "_fivetran_deleted": False, "created_date": "2025-06-01T00:00:00.000Z",
         "system_modstamp": str(MS)},
        {"id": C4, "account_id": A1, "last_name": "Kato", "email": "kato@example.co.jp",
         "created_date": "2026-02-27T00:00:00.000Z", "system_modstamp": str(MS), **ok},
    ])
    _drop(landing, "lead", [
        {"id": L1, "last_name": "Mori", "company": "Prospect Inc", "email": "mori@prospect.example",
         "lead_source": "Web", "is_converted": False, "created_date": str(MS - 3_600_000),
         "system_modstamp": str(MS), **ok},
        {"id": L2, "last_name": "Kato", "company": "Example KK", "is_converted": True,
         "converted_contact_id": C4, "created_date": "2026-02-01T00:00:00.000Z",
         "system_modstamp": "2026-02-27T00:00:00.000Z", **ok},
        {"id": L3, "last_name": "Purged", "company": "X", "is_deleted": False,
         "_fivetran_deleted": True, "created_date": "2026-02-01T00:00:00.000Z",
         "system_modstamp": str(MS)},
        {"id": L4, "last_name": "Abe", "company": "Card Co", "lead_source": "Sansan",
         "mobile_phone": "080-0000-1111", "is_converted": False,
         "created_date": "2026-03-01 10:00:00 UTC", "system_modstamp": str(MS), **ok},
    ])
    _drop(landing, "opportunity", [
        {"id": O1, "account_id": A1, "stage_name": "Closed Won", "is_won": True,
         "is_closed": True, "amount": 2000.0, "currency_iso_code": "USD",
         "close_date": "2026-03-01", "created_date": str(MS - 86_400_000 * 40),
         "system_modstamp": str(MS + 7_200_000), **ok},
        {"id": O2, "account_id": A5, "stage_name": "Id. Decision Makers", "is_won": False,
         "is_closed": False, "amount": 800000, "currency_iso_code": "JPY", "probability": 60,
         "close_date": "2026-04-30", "created_date": "2026-02-01 00:00:00 UTC",
         "system_modstamp": str(MS), **ok},
        {"id": O3, "account_id": A1, "stage_name": "Verbal Commit", "is_won": False,
         "is_closed": False, "amount": None, "created_date": "2026-02-10T00:00:00.000Z",
         "system_modstamp": str(MS), **ok},
        {"id": O4, "account_id": None, "stage_name": "Prospecting", "is_won": False,
         "is_closed": False, "created_date": "2026-02-10T00:00:00.000Z",
         "system_modstamp": str(MS), **ok},
        {"id": O5, "account_id": A1, "stage_name": "Prospecting", "is_deleted": True,
         "_fivetran_deleted": False, "created_date": "2026-02-10T00:00:00.000Z",
         "system_modstamp": str(MS)},
        {"id": O6, "account_id": A1, "stage_name": "Prospecting", "is_won": False,
         "is_closed": False, "amount": 100, "currency_iso_code": "GBP",
         "created_date": "2026-02-10T00:00:00.000Z", "system_modstamp": str(MS), **ok},
        {"id": O7, "account_id": A5, "stage_name": "Closed Lost", "is_won": False,
         "is_closed": True, "amount": 50000, "currency_iso_code": "JPY",
         "loss_reason_c": "No budget", "close_date": "2026-03-01",
         "created_date": "2026-01-10T00:00:00.000Z", "system_modstamp": str(MS), **ok},
    ])
    _drop(landing, "opportunity_history", [
        {"id": "0081", "opportunity_id": O1, "stage_name": "Prospecting", "amount": 1500,
         "currency_iso_code": "USD", "created_date": "2026-03-01T00:00:00.000Z", **ok},
        {"id": "0082", "opportunity_id": O1, "stage_name": "Closed Won", "amount": 2000,
         "currency_iso_code": "USD", "created_date": str(MS + 60_000), **ok},
        {"id": "0083", "opportunity_id": O7, "stage_name": "Closed Lost", "amount": 50000,
         "currency_iso_code": "JPY", "created_date": "2026-03-02 03:00:00 UTC", **ok},
        {"id": "0084", "opportunity_id": O5, "stage_name": "Prospecting",
         "created_date": str(MS), "is_deleted": False, "_fivetran_deleted": True},
        {"id": "0085", "opportunity_id": O2, "stage_name": "Id. Decision Makers",
         "created_date": None, **ok},
    ])
    _drop(landing, "task", [
        {"id": "00T1", "who_id": C1, "what_id": O1, "account_id": A1, "task_subtype": "Call",
         "type": "Call", "call_type": "Inbound", "status": "Completed", "is_closed": True,
         "completed_date_time": "2026-03-02T01:00:00.000Z", **ok},
        {"id": "00T2", "who_id": C2, "account_id": A5, "task_subtype": "ListEmail",
         "subject": "Newsletter", "status": "Completed", "is_closed": True,
         "completed_date_time": str(MS + 600_000), **ok},
        {"id": "00T3", "who_id": L1, "what_id": O2, "account_id": None, "task_subtype": "Task",
         "type": "Meeting", "subject": "Onsite", "status": "Completed", "is_closed": True,
         "activity_date": "2026-03-02", **ok},
        {"id": "00T4", "who_id": C1, "account_id": A1, "task_subtype": "Call", "type": "Call",
         "status": "Open", "is_closed": False, "activity_date": "2026-03-09", **ok},
        {"id": "00T5", "who_id": C1, "account_id": A1, "task_subtype": "Call",
         "status": "Completed", "is_closed": True, "completed_date_time": str(MS),
         "is_deleted": False, "_fivetran_deleted": True},
        {"id": "00T6", "who_id": C1, "account_id": A1, "task_subtype": "Task", "type": "Other",
         "subject": "Update notes", "status": "Completed", "is_closed": True,
         "completed_date_time": str(MS), **ok},
    ])
    _drop(landing, "event", [
        {"id": "00U1", "who_id": C1, "account_id": A1, "subject": "Review", "type": "Meeting",
         "start_date_time": "2026-03-02 05:00:00 UTC", "is_all_day_event": False,
         "is_child": False, **ok},
        {"id": "00U2", "who_id": C4, "account_id": A1, "subject": "Review", "type": "Meeting",
         "start_date_time": "2026-03-02 05:00:00 UTC", "is_child": True, **ok},
        {"id": "00U3", "who_id": C1, "account_id": A1, "subject": "Lunch",
         "start_date_time": "2026-03-02 03:00:00 UTC", "is_deleted": True,
         "_fivetran_deleted": False, "is_child": False},
        {"id": "00U4", "who_id": C2, "what_id": A5, "account_id": None, "subject": "Phone",
         "type": "Call", "start_date_time": str(MS + 9_000_000), "is_child": False, **ok},
    ])
    _drop(landing, "campaign", [
        {"id": CP1, "name": "Osaka seminar", "type": "Seminar", "start_date": "2026-03-01",
         "end_date": "2026-03-01", "actual_cost": 300000, "currency_iso_code": "JPY", **ok},
        {"id": CP2, "name": "Newsletter", "type": "Email", "start_date": "2026-03-01", **ok},
        {"id": CP3, "name": "Search ads", "type": "Advertisement", "actual_cost": 1000,
         "currency_iso_code": "USD", **ok},
        {"id": CP4, "name": "Old", "type": "Email", "is_deleted": True,
         "_fivetran_deleted": False},
        {"id": CP5, "name": "Seoul webinar", "type": "Webinar", "actual_cost": 500000,
         "currency_iso_code": "KRW", **ok},
    ])
    _drop(landing, "campaign_member", [
        {"id": "00v1", "campaign_id": CP1, "contact_id": C1, "lead_id": None,
         "status": "Attended", "has_responded": True, "created_date": "2026-02-25T00:00:00.000Z",
         "first_responded_date": "2026-03-01", **ok},
        {"id": "00v2", "campaign_id": CP2, "contact_id": None, "lead_id": L1,
         "status": "Opened", "has_responded": False, "created_date": str(MS - 86_400_000),
         "last_modified_date": str(MS + 300_000), **ok},
        {"id": "00v3", "campaign_id": CP3, "contact_id": C2, "lead_id": None,
         "status": "Responded", "has_responded": True, "created_date": str(MS),
         "first_responded_date": "2026-03-02", **ok},
        {"id": "00v4", "campaign_id": CP1, "contact_id": None, "lead_id": L2,
         "status": "Registered", "has_responded": False,
         "created_date": "2026-02-20T00:00:00.000Z", **ok},
        {"id": "00v5", "campaign_id": CP2, "contact_id": C1, "lead_id": None,
         "status": "Bounced", "has_responded": False, "created_date": str(MS), **ok},
        {"id": "00v6", "campaign_id": CP2, "contact_id": C2, "status": "Opened",
         "created_date": str(MS), "is_deleted": False, "_fivetran_deleted": True},
        {"id": "00v7", "campaign_id": "7015g00000Cam999AAA", "contact_id": C1,
         "status": "Responded", "has_responded": True, "created_date": str(MS), **ok},
        {"id": "00v8", "campaign_id": CP1, "contact_id": None, "lead_id": None,
         "status": "Registered", "created_date": str(MS), **ok},
    ])
    _drop(landing, "asset", [
        {"id": "02i1", "account_id": A1, "product_2_id": P1, "status": "Installed",
         "lifecycle_start_date": "2026-01-01", "lifecycle_end_date": "2026-12-31",
         "current_mrr": 50000, "currency_iso_code": "JPY", "is_competitor_product": False,
         "system_modstamp": str(MS), **ok},
        {"id": "02i2", "account_id": None, "contact_id": C2, "product_2_id": P2,
         "status": "Obsolete", "install_date": "2025-02-01", "price": 300, "quantity": 2,
         "currency_iso_code": "USD", "system_modstamp": str(MS), **ok},
        {"id": "02i3", "account_id": A1, "product_2_id": None, "install_date": "2025-02-01",
         "system_modstamp": str(MS), **ok},
        {"id": "02i4", "account_id": A1, "product_2_id": P1, "install_date": "2025-02-01",
         "system_modstamp": str(MS), "is_deleted": True, "_fivetran_deleted": False},
        {"id": "02i5", "account_id": A1, "product_2_id": P1, "install_date": "2025-02-01",
         "system_modstamp": str(MS), "is_deleted": False, "_fivetran_deleted": True},
    ])
    _drop(landing, "product_2", [
        {"id": P1, "name": "Kizuna Cloud", "family": "Software", "is_active": True, **ok},
        {"id": P2, "name": "Training", "family": "Services", "is_active": True, **ok},
        {"id": P3, "name": "Removed", "is_deleted": True, "_fivetran_deleted": False},
    ])


@pytest.fixture
def fivetran_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text(
        "vendors:\n"
        "  salesforce:\n"
        "    adapter: salesforce_fivetran\n"
        "    timezone: UTC\n"
        "    currency_rates: {USD: 150}\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    _write_tables(kizuna_home / "landing")
    return kizuna_home


def _counts(report: AdaptReport, table: str, target: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for counts in report.counts.values():
        for c in counts:
            if c.vendor_table == table and c.target_table == target:
                key = None if c.outcome == "mapped" else c.reason
                out[key] = out.get(key, 0) + c.rows
    return out


def test_every_fivetran_salesforce_row_is_mapped_or_excluded_with_its_reason(
        fivetran_home: Path) -> None:
    report = adapt_window(DAY, END)
    deleted = "deleted in Salesforce"
    expected = {
        ("account", "crm_accounts"): {
            None: 2, deleted: 1, "merged into another account in Salesforce": 1,
            "person account: a consumer, not a company": 1},
        ("contact", "crm_contacts"): {None: 3, deleted: 1},
        ("contact", "ma_leads"): {None: 3, deleted: 1},
        ("lead", "ma_leads"): {
            None: 2, deleted: 1, "converted lead: the person continues as its contact": 1},
        ("opportunity", "crm_opportunities"): {
            None: 4, deleted: 1, "opportunity has no account": 1,
            "no exchange rate for currency GBP": 1},
        ("opportunity_history", "crm_opportunity_history"): {
            None: 3, deleted: 1, "no date the change was made": 1},
        ("task", "crm_activities"): {
            None: 3, deleted: 1, "open task: not done yet": 1,
            "a task of type other: no call, e-mail, meeting or proposal": 1},
        ("event", "crm_activities"): {
            None: 2, deleted: 1,
            "invitee copy of a group event (the organiser's event is kept)": 1},
        ("campaign", "ma_campaigns"): {
            None: 3, deleted: 1, "no exchange rate for currency KRW": 1},
        ("campaign_member", "ma_activities"): {
            None: 4, deleted: 1, "campaign member names neither a lead nor a contact": 1,
            "campaign not delivered: its type is unknown": 1,
            "member status bounced (email campaign): no response to record": 1},
        ("product_2", "crm_products"): {None: 2, deleted: 1},
        ("asset", "crm_contracts"): {None: 2, deleted: 2, "asset names no product": 1},
    }
    got = {key: _counts(report, *key) for key in expected}
    assert got == expected
    assert report.unknown_columns == {}  # every delivered column is documented
    assert not any(NOT_SELECTED in str(c.reason) for cs in report.counts.values() for c in cs)
    # only the synced day is adapted; the earlier sync's lookups are read, not mapped
    assert {day for _, day in report.counts} == {DAY}


def test_adapted_fivetran_salesforce_rows_load_through_the_ordinary_loader(
        fivetran_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, END)
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        accounts = {r[0]: r[1:] for r in wh.query(
            "SELECT account_id, domain, owner, abm_tier, created_at, updated_at "
            "FROM raw.crm_accounts")}
        opps = {r[0]: r[1:] for r in wh.query(
            "SELECT opportunity_id, product_id, stage, amount_jpy, is_closed, is_won, "
            "lost_reason, created_at, updated_at FROM raw.crm_opportunities")}
        history = wh.query("SELECT opportunity_id, stage, amount_jpy, changed_at "
                           "FROM raw.crm_opportunity_history ORDER BY changed_at")
        roles = dict(wh.query("SELECT contact_id, buying_role FROM raw.crm_contacts"))
        leads = {r[0]: r[1:] for r in wh.query(
            "SELECT lead_id, lead_source, opt_out, phone, created_at FROM raw.ma_leads")}
        crm_acts = {r[0]: r[1:] for r in wh.query(
            "SELECT activity_id, activity_type, account_id, contact_id, occurred_at, outcome "
            "FROM raw.crm_activities")}
        ma_acts = wh.query("SELECT activity_id, lead_id, activity_type, occurred_at "
                           "FROM raw.ma_activities ORDER BY activity_id")
        campaigns = {r[0]: r[1:] for r in wh.query(
            "SELECT campaign_id, channel, cost_jpy FROM raw.ma_campaigns")}
        products = dict(wh.query("SELECT product_id, list_price_jpy FROM raw.crm_products"))
        contracts = {r[0]: r[1:] for r in wh.query(
            "SELECT contract_id, account_id, started_on, annual_amount_jpy, status "
            "FROM raw.crm_contracts")}

    assert set(accounts) == {A1, A5}
    assert accounts[A1][:3] == ("example.co.jp", "Hanae Ono", "tier_1")
    assert accounts[A1][4] == datetime(2026, 3, 2, 1)  # epoch milliseconds, UTC
    assert accounts[A5][:3] == ("fifth.example", None, "tier_3")
    assert accounts[A5][3] == datetime(2026, 1, 31) and accounts[A5][4] == datetime(2026, 3, 2, 2)

    assert set(opps) == {O1, O2, O3, O7}
    assert opps[O1][:2] == (P1, "closed_won") and opps[O1][3:5] == (True, True)
    assert float(opps[O1][2]) == pytest.approx(2000 * 150)
    assert opps[O1][7] == datetime(2026, 3, 2, 2)
    assert opps[O2][:2] == (P2, "proposal") and float(opps[O2][2]) == pytest.approx(800_000)
    assert opps[O3][:4] == (None, "negotiation", None, False)
    assert opps[O7][1:6] == ("closed_lost", pytest.approx(50_000), True, False, "No budget")
    assert [(h[0], h[1]) for h in history] == [
        (O1, "prospecting"), (O1, "closed_won"), (O7, "closed_lost")]
    assert float(history[0][2]) == pytest.approx(1500 * 150)
    assert history[1][3] == datetime(2026, 3, 2, 0, 1)

    assert roles == {C1: "economic_buyer", C2: "user", C4: None}
    assert set(leads) == {L1, L4, C1, C2, C4}
    assert leads[L1][0] == "web_form" and leads[L4][:3] == ("business_card", None,
                                                             "080-0000-1111")
    assert leads[C1][:2] == ("event", False) and leads[C2][:2] == (None, True)
    assert leads[L4][3] == datetime(2026, 3, 1, 10)  # " UTC" suffix

    assert crm_acts["00T1"] == ("call", A1, C1, datetime(2026, 3, 2, 1), "inbound")
    assert crm_acts["00T2"][:2] == ("email", A5) and crm_acts["00T2"][4] == "sent"
    assert crm_acts["00T3"][:4] == ("meeting", A5, None, datetime(2026, 3, 2))
    assert crm_acts["00U1"][:4] == ("meeting", A1, C1, datetime(2026, 3, 2, 5))
    assert crm_acts["00U4"][:3] == ("call", A5, C2)

    assert [(a[0], a[1], a[2]) for a in ma_acts] == [
        ("00v1:attendance", C1, "event_attendance"),
        ("00v1:registration", C1, "event_registration"),
        ("00v2:open", L1, "email_open"),
        ("00v2:send", L1, "email_send"),
        ("00v3:response", C2, "form_submit"),
        ("00v4:registration", C4, "event_registration"),
    ]
    assert ma_acts[2][3] == datetime(2026, 3, 2, 0, 5)  # no response date: last modified
    assert ma_acts[3][3] == datetime(2026, 3, 1)  # sent when the member was added

    assert {c: v[0] for c, v in campaigns.items()} == {CP1: "seminar", CP2: "email",
                                                       CP3: "ads"}
    assert float(campaigns[CP3][1]) == pytest.approx(150_000)
    assert float(products[P1]) == pytest.approx(50_000)
    assert float(products[P2]) == pytest.approx(20.5 * 150, abs=1)
    assert set(contracts) == {"02i1", "02i2"}
    assert contracts["02i1"][0] == A1 and str(contracts["02i1"][1]) == "2026-01-01"
    assert float(contracts["02i1"][2]) == pytest.approx(50_000 * 12)
    assert contracts["02i2"][0] == A5 and contracts["02i2"][3] == "churned"  # via contact
    assert float(contracts["02i2"][2]) == pytest.approx(300 * 2 * 150)
