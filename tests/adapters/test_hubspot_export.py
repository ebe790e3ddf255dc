"""HubSpot's own CSV exports (Contacts, Companies, Deals index pages) -> the raw contract.

The files are written as HubSpot's export writes them: UTF-8 with a BOM, property labels
as headers, labels as values, date-times in the portal's time zone as 2026-03-02 10:30 (a
few in the US M/D/Y form or as epoch milliseconds), association columns with ';'-separated
IDs and "Date entered <stage> (<pipeline>)" columns. Every row must end up mapped or
excluded with its reason, and the mapped rows must load through the ordinary loader.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from kizuna.ingest.adapt import NOT_SELECTED, adapt_window
from kizuna.warehouse import connection

DAY = date(2026, 3, 2)
ENTERED = 'Date entered "{} (Sales Pipeline)"'


def _drop(landing: Path, table: str, rows: list[dict[str, str]], day: date = DAY) -> None:
    folder = landing / "hubspot" / table / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    header = list(dict.fromkeys(k for r in rows for k in r))
    text = io.StringIO()
    writer = csv.DictWriter(text, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    (folder / f"hubspot-crm-exports-all-{table}-{day.isoformat()}.csv").write_bytes(
        text.getvalue().encode("utf-8-sig"))
    (folder / "_SUCCESS").touch()


@pytest.fixture
def hubspot_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text(
        "vendors:\n"
        "  hubspot:\n"
        "    adapter: hubspot_export\n"
        "    timezone: Asia/Tokyo\n"
        "    currency_rates: {USD: 150}\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    landing = kizuna_home / "landing"
    _drop(landing, "contacts", [
        {"Record ID": "101", "First Name": "Aoi", "Last Name": "Sato",
         "Email": "aoi.sato@example.co.jp", "Company Name": "Example KK",
         "Job Title": "部長", "Create Date": "2026-02-01 09:00",
         "Last Modified Date": "2026-03-02 10:30", "Original Source": "Organic Search",
         "Original Source Drill-Down 1": "google", "Unsubscribed from all email": "No",
         "Buying Role": "Decision Maker", "Associated Company IDs": "9001;9002",
         "Associated Company IDs (Primary)": "", "Associated Company": "Example KK;Sub KK"},
        {"Record ID": "102", "First Name": "Ken", "Email": "ken@other.example",
         "Create Date": "03/01/2026 09:30 AM", "Last Modified Date": "03/02/2026 08:00 AM",
         "Original Source": "Offline Sources", "Original Source Drill-Down 1": "IMPORT",
         "Unsubscribed from all email": "Yes", "Associated Company IDs": ""},
        {"Record ID": "103", "First Name": "Mai", "Email": "mai@sub.example.jp",
         "Create Date": "1772409600000", "Last Modified Date": "2026-03-02 11:00",
         "Original Source": "Offline Sources", "Original Source Drill-Down 1": "Event",
         "Associated Company IDs": "9001;9002", "Associated Company IDs (Primary)": "9002"},
        {"Record ID": "", "First Name": "Ghost", "Create Date": "2026-03-02 11:00"},
        {"Record ID": "105", "First Name": "Nao", "Create Date": "",
         "Last Modified Date": "2026-03-02 12:00", "Associated Company IDs": "9001"},
    ])
    _drop(landing, "companies", [
        {"Record ID": "9001", "Company name": "Example KK",
         "Company Domain Name": "Example.co.jp", "Ideal Customer Profile Tier": "Tier 1",
         "Industry": "Computer Software", "Company owner": "Kenji Tanaka",
         "Create Date": "01/15/2026 09:30 AM", "Last Modified Date": "2026-03-02 09:00"},
        {"Record ID": "9002", "Company name": "Sub KK", "Company Domain Name": "",
         "Website URL": "https://www.sub.example.jp/about", "Ideal Customer Profile Tier": "",
         "Create Date": "2026-02-01 10:00", "Last Modified Date": "2026-03-02 09:30"},
        {"Record ID": "", "Company name": "No id", "Create Date": "2026-02-01 10:00"},
    ])
    _drop(landing, "deals", [
        {"Record ID": "5001", "Deal Name": "Example KK - license", "Deal Stage": "Closed Won",
         "Pipeline": "Sales Pipeline", "Amount": "1,200.50", "Deal currency code": "USD",
         "Close Date": "2026-03-01", "Create Date": "2026-02-10 10:00",
         "Last Modified Date": "2026-03-02 09:00", "Associated Company IDs": "9001",
         ENTERED.format("Appointment Scheduled"): "2026-02-10 10:00",
         ENTERED.format("Closed Won"): "2026-03-01 15:00"},
        {"Record ID": "5002", "Deal Stage": "qualifiedtobuy", "Amount": "300000",
         "Create Date": "2026-02-11 10:00", "Last Modified Date": "2026-03-02 09:10",
         "Associated Company IDs": "9001;9002", "Associated Company IDs (Primary)": "9002",
         ENTERED.format("Qualified To Buy"): "2026-02-12 10:00"},
        {"Record ID": "5003", "Deal Stage": "Appointment Scheduled",
         "Create Date": "2026-02-12 10:00", "Last Modified Date": "2026-03-02 09:20"},
        {"Record ID": "5004", "Deal Stage": "Custom Stage Foo", "Create Date": "2026-02-12 10:00",
         "Last Modified Date": "2026-03-02 09:30", "Associated Company IDs": "9001"},
        {"Record ID": "5005", "Deal Stage": "Contract Sent", "Amount": "500",
         "Deal currency code": "EUR", "Create Date": "2026-02-13 10:00",
         "Last Modified Date": "2026-03-02 09:40", "Associated Company IDs": "9001",
         ENTERED.format("Contract Sent"): "2026-02-20 10:00"},
        {"Record ID": "5006", "Deal Stage": "Closed Lost", "Amount": "",
         "Amount in company currency": "80,000",
         "Closed Lost Reason": "Price", "Close Date": "03/02/2026",
         "Create Date": "2026-02-14 10:00", "Last Modified Date": "2026-03-02 09:50",
         "Associated Company IDs": "9001",
         ENTERED.format("Closed Lost"): "2026-03-02 09:00"},
    ])
    return kizuna_home


def _counts(report, table: str, target: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for counts in report.counts.values():
        for c in counts:
            if c.vendor_table == table and c.target_table == target:
                key = None if c.outcome == "mapped" else c.reason
                out[key] = out.get(key, 0) + c.rows
    return out


def test_every_exported_row_is_mapped_or_excluded_with_its_reason(hubspot_home: Path) -> None:
    report = adapt_window(DAY, date(2026, 3, 3))
    got = {
        "leads": _counts(report, "contacts", "ma_leads"),
        "contacts": _counts(report, "contacts", "crm_contacts"),
        "accounts": _counts(report, "companies", "crm_accounts"),
        "deals": _counts(report, "deals", "crm_opportunities"),
        "history": _counts(report, "deals", "crm_opportunity_history"),
    }
    assert got == {
        "leads": {None: 3, "no Record ID": 1, "no Create Date": 1},
        "contacts": {None: 3, "no Record ID": 1,
                     "no associated company: a lead only, not a CRM contact": 1},
        "accounts": {None: 2, "no Record ID": 1},
        "deals": {None: 3, "deal has no associated company": 1,
                  "deal stage Custom Stage Foo has no contract stage": 1,
                  "no exchange rate for currency EUR": 1},
        "history": {None: 4, 'no "Date entered" stage dates in the export': 2},
    }
    assert all(NOT_SELECTED not in counts for counts in got.values())


def test_exported_rows_load_through_the_ordinary_loader(hubspot_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, date(2026, 3, 3))
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        deals = {r[0]: r[1:] for r in wh.query(
            "SELECT opportunity_id, account_id, stage, amount_jpy, is_won, is_closed, "
            "close_date, created_at, lost_reason FROM raw.crm_opportunities")}
        history = wh.query("SELECT opportunity_id, stage, changed_at "
                           "FROM raw.crm_opportunity_history ORDER BY changed_at")
        accounts = {r[0]: r[1:] for r in wh.query(
            "SELECT account_id, abm_tier, domain, created_at FROM raw.crm_accounts")}
        leads = {r[0]: r[1:] for r in wh.query(
            "SELECT lead_id, lead_source, opt_out, created_at FROM raw.ma_leads")}
        contacts = {r[0]: r[1:] for r in wh.query(
            "SELECT contact_id, account_id, buying_role FROM raw.crm_contacts")}
    assert set(deals) == {"5001", "5002", "5006"}
    assert float(deals["5001"][2]) == pytest.approx(1200.50 * 150, abs=1)  # USD converted
    assert deals["5001"][1] == "closed_won" and deals["5001"][3:5] == (True, True)
    assert str(deals["5001"][5]) == "2026-03-01"
    assert str(deals["5001"][6]).startswith("2026-02-10 01:00:00")  # JST -> UTC
    assert deals["5002"][:2] == ("9002", "qualification")  # the primary association
    assert float(deals["5002"][2]) == pytest.approx(300000)
    assert deals["5006"][1] == "closed_lost" and deals["5006"][3:5] == (False, True)
    assert str(deals["5006"][5]) == "2026-03-02" and deals["5006"][7] == "Price"
    assert float(deals["5006"][2]) == pytest.approx(80000)  # in the portal's currency
    assert [(h[0], h[1]) for h in history] == [
        ("5001", "prospecting"), ("5002", "qualification"), ("5005", "negotiation"),
        ("5001", "closed_won"), ("5006", "closed_lost")]
    assert str(history[3][2]).startswith("2026-03-01 06:00:00")
    assert accounts["9001"][:2] == ("tier_1", "example.co.jp")
    assert str(accounts["9001"][2]).startswith("2026-01-15 00:30:00")  # M/D/Y AM, JST
    assert accounts["9002"][:2] == (None, "sub.example.jp")  # from the website URL
    assert leads["101"][:2] == ("web_form", False) and leads["102"][:2] == ("import", True)
    assert leads["103"][0] == "event"
    assert str(leads["103"][2]).startswith("2026-03-02 00:00:00")  # epoch ms is UTC
    assert contacts == {"101": ("9001", "decision_maker"), "103": ("9002", None),
                        "105": ("9001", None)}


def test_stage_dates_a_later_export_repeats_come_in_once(hubspot_home: Path) -> None:
    """Every export of a deal repeats the dates of the stages it entered before: the next
    day's export (and a second row of the deal in one file) adds only the new ones."""
    from kizuna.pipeline import load_and_gate

    next_day = date(2026, 3, 3)
    appointment, qualified = ENTERED.format("Appointment Scheduled"), ENTERED.format(
        "Qualified To Buy")
    _drop(hubspot_home / "landing", "deals", [
        {"Record ID": "5001", "Deal Stage": "Closed Won", "Amount": "1,200.50",
         "Deal currency code": "USD", "Create Date": "2026-02-10 10:00",
         "Last Modified Date": "2026-03-03 08:00", "Associated Company IDs": "9001",
         appointment: "2026-02-10 10:00", ENTERED.format("Closed Won"): "2026-03-01 15:00"},
        {"Record ID": "5002", "Deal Stage": "contractsent", "Amount": "300000",
         "Create Date": "2026-02-11 10:00", "Last Modified Date": "2026-03-03 09:00",
         "Associated Company IDs": "9002", qualified: "2026-02-12 10:00",
         ENTERED.format("Contract Sent"): "2026-03-03 09:00"},
        {"Record ID": "5007", "Deal Stage": "appointmentscheduled",
         "Create Date": "2026-03-03 08:00", "Last Modified Date": "2026-03-03 08:00",
         "Associated Company IDs": "9001", appointment: "2026-03-03 08:00"},
        {"Record ID": "5007", "Deal Stage": "qualifiedtobuy",
         "Create Date": "2026-03-03 08:00", "Last Modified Date": "2026-03-03 09:30",
         "Associated Company IDs": "9001", appointment: "2026-03-03 08:00",
         qualified: "2026-03-03 09:30"},
    ], day=next_day)
    report = load_and_gate(DAY, next_day + timedelta(days=1))
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    counts = adapt_window(next_day, next_day + timedelta(days=1))
    assert _counts(counts, "deals", "crm_opportunity_history") == {
        None: 3, "no new stage date: each came with an earlier export row of the deal": 1}
    with connection() as wh:
        history = wh.query("SELECT opportunity_id, stage, changed_at "
                           "FROM raw.crm_opportunity_history ORDER BY opportunity_id, changed_at")
    assert [(h[0], h[1]) for h in history] == [
        ("5001", "prospecting"), ("5001", "closed_won"), ("5002", "qualification"),
        ("5002", "negotiation"), ("5005", "negotiation"), ("5006", "closed_lost"),
        ("5007", "prospecting"), ("5007", "qualification")]
    assert str(history[3][2]).startswith("2026-03-03 00:00:00")  # 09:00 JST
