"""Salesforce's own export files -> the raw contract, through the real loader.

The vendor files are CSVs as the Data Export Service and Data Loader write them: one file
per object, API field names as headers (upper case from Data Loader), date/times in UTC
with ``.000Z`` or ``+0000``, checkboxes as true/false or 1/0. Every row must end up mapped
or excluded with its reason, and the mapped rows must load into raw through the ordinary
loader and gate.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest

from kizuna.ingest.adapt import NOT_SELECTED, AdaptReport, adapt_window
from kizuna.warehouse import connection

DAY = date(2026, 3, 2)
END = date(2026, 3, 3)

# Salesforce ids: the key prefix says the object (001 account, 003 contact, 00Q lead,
# 006 opportunity, 701 campaign, 01t product, 005 user)
A1, A2, A3, A4, A5 = (f"0015g00000Acc{n:03d}AAA" for n in range(1, 6))
C1, C2, C3, C4, C5 = (f"0035g00000Con{n:03d}AAA" for n in range(1, 6))
L1, L2, L3, L4, L5 = (f"00Q5g00000Lea{n:03d}AAA" for n in range(1, 6))
O1, O2, O3, O4, O5, O6, O7 = (f"0065g00000Opp{n:03d}AAA" for n in range(1, 8))
CP1, CP2, CP3, CP4, CP5, CP6 = (f"7015g00000Cam{n:03d}AAA" for n in range(1, 7))
P1, P2, P3, P4 = (f"01t5g00000Pro{n:03d}AAA" for n in range(1, 5))
U1 = "0055g00000Usr001AAA"


def _drop(landing: Path, table: str, rows: list[dict[str, str]],
          encoding: str = "utf-8", data_loader: bool = False) -> None:
    """One object's export file: every row has the same API-name headers (upper case, as
    Data Loader writes them, when ``data_loader``)."""
    folder = landing / "salesforce" / table / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    if data_loader:
        rows = [{k.upper(): v for k, v in r.items()} for r in rows]
    headers = list(dict.fromkeys(k for r in rows for k in r))
    with (folder / f"{table}.csv").open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, headers, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (folder / "_SUCCESS").touch()


def _write_export(landing: Path) -> None:
    _drop(landing, "user", [{"Id": U1, "FirstName": "Taro", "LastName": "Yamada",
                             "Name": "Taro Yamada", "IsActive": "true"}])
    _drop(landing, "account", [
        {"Id": A1, "IsDeleted": "false", "MasterRecordId": "", "Name": "Example KK",
         "Website": "https://www.example.co.jp/about", "Industry": "Manufacturing",
         "OwnerId": U1, "ABM_Tier__c": "Tier 1", "Corporate_Number__c": "4010001008772",
         "CreatedDate": "2025-06-01T09:00:00.000Z", "LastModifiedDate": "",
         "SystemModstamp": "2026-03-02T01:00:00.000Z", "IsPersonAccount": "false"},
        {"Id": A2, "IsDeleted": "0", "MasterRecordId": "", "Name": "Other Corp",
         "Website": "other.example", "Industry": "", "OwnerId": "0055g00000Usr999AAA",
         "ABM_Tier__c": "2", "Corporate_Number__c": "",
         "CreatedDate": "2026-01-10T00:00:00.000+0000",
         "LastModifiedDate": "2026-03-01T12:00:00.000+0000", "SystemModstamp": "",
         "IsPersonAccount": "0"},
        {"Id": A3, "IsDeleted": "true", "MasterRecordId": "", "Name": "Gone KK",
         "CreatedDate": "2025-01-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T00:00:00.000Z"},
        {"Id": A4, "IsDeleted": "1", "MasterRecordId": A1, "Name": "Example K.K.",
         "CreatedDate": "2025-01-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T00:00:00.000Z"},
        {"Id": A5, "IsDeleted": "false", "MasterRecordId": "", "Name": "Jiro Suzuki",
         "IsPersonAccount": "true", "CreatedDate": "2025-01-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T00:00:00.000Z"},
    ])
    _drop(landing, "contact", [
        {"Id": C1, "IsDeleted": "false", "AccountId": A1, "LastName": "Sato",
         "FirstName": "Aoi", "Email": "aoi.sato@example.co.jp", "Department": "IT",
         "Title": "Manager", "LeadSource": "Web", "HasOptedOutOfEmail": "false",
         "Phone": "03-1234-5678", "CreatedDate": "2025-07-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T02:00:00.000Z", "MasterRecordId": ""},
        {"Id": C2, "IsDeleted": "false", "AccountId": A2, "LastName": "Tanaka",
         "FirstName": "Ken", "Email": "ken@other.example", "Department": "Sales",
         "Title": "Director", "LeadSource": "Trade Show", "HasOptedOutOfEmail": "true",
         "CreatedDate": "2026-01-12T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T02:00:00.000Z"},
        {"Id": C3, "IsDeleted": "false", "AccountId": "", "LastName": "Ito",
         "FirstName": "Mei", "Email": "mei@freelance.example", "LeadSource": "名刺",
         "CreatedDate": "2026-02-01T00:00:00.000Z",
         "LastModifiedDate": "2026-03-02T03:00:00.000Z"},
        {"Id": C4, "IsDeleted": "true", "AccountId": A1, "LastName": "Gone",
         "Email": "gone@example.co.jp", "CreatedDate": "2025-01-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T00:00:00.000Z"},
        {"Id": C5, "IsDeleted": "false", "AccountId": A1, "LastName": "Kato",
         "FirstName": "Hanako", "Email": "hanako@example.co.jp",
         "CreatedDate": "2026-02-25T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T04:00:00.000Z"},
    ])
    _drop(landing, "lead", [
        {"Id": L1, "IsDeleted": "false", "LastName": "Mori", "FirstName": "Yuki",
         "Company": "見込商事株式会社", "Email": "yuki@prospect.example", "Title": "CTO",
         "LeadSource": "Webinar", "HasOptedOutOfEmail": "false", "IsConverted": "false",
         "CreatedDate": "2026-02-20T03:00:00.000Z",
         "SystemModstamp": "2026-03-02T02:00:00.000Z"},
        {"Id": L2, "IsDeleted": "false", "LastName": "Abe", "Company": "Card Co",
         "Email": "abe@card.example", "LeadSource": "Business Card",
         "HasOptedOutOfEmail": "1", "IsConverted": "0",
         "CreatedDate": "2026-02-21T03:00:00.000Z",
         "SystemModstamp": "2026-03-02T02:00:00.000Z"},
        {"Id": L3, "IsDeleted": "false", "LastName": "Kato", "FirstName": "Hanako",
         "Company": "Example KK", "Email": "hanako@example.co.jp", "IsConverted": "true",
         "ConvertedContactId": C5, "ConvertedAccountId": A1,
         "CreatedDate": "2026-02-01T00:00:00.000Z",
         "SystemModstamp": "2026-02-25T00:00:00.000Z"},
        {"Id": L4, "IsDeleted": "true", "LastName": "Gone", "Company": "Gone KK",
         "CreatedDate": "2026-02-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T00:00:00.000Z"},
        {"Id": L5, "IsDeleted": "false", "LastName": "Ueda", "Company": "List Co",
         "Email": "ueda@list.example", "LeadSource": "Purchased List",
         "MobilePhone": "090-1111-2222", "IsConverted": "false",
         "CreatedDate": "2026-03-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T05:00:00.000Z"},
    ], encoding="cp932")  # the export's encoding chosen as Shift_JIS
    _drop(landing, "opportunity", [
        {"Id": O1, "IsDeleted": "false", "AccountId": A1, "Name": "Example - Analytics",
         "StageName": "Closed Won", "IsWon": "true", "IsClosed": "true", "Amount": "1200.50",
         "CurrencyIsoCode": "USD", "CloseDate": "2026-03-01", "Probability": "100",
         "CreatedDate": "2026-01-15T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T03:00:00.000Z"},
        # a file re-saved by Excel: the close date as M/D/YYYY
        {"Id": O2, "IsDeleted": "false", "AccountId": A2, "Name": "Other - Services",
         "StageName": "Negotiation/Review", "IsWon": "false", "IsClosed": "false",
         "Amount": "3000000", "CurrencyIsoCode": "JPY", "CloseDate": "3/31/2026",
         "Probability": "90", "CreatedDate": "2026-02-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T03:00:00.000Z"},
        {"Id": O3, "IsDeleted": "false", "AccountId": A1, "Name": "Example - Lost",
         "StageName": "Closed Lost", "IsWon": "false", "IsClosed": "true", "Amount": "",
         "CurrencyIsoCode": "JPY", "CloseDate": "2026-02-28", "Loss_Reason__c": "Price",
         "CreatedDate": "2026-01-20T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T03:00:00.000Z"},
        {"Id": O4, "IsDeleted": "false", "AccountId": A1, "Name": "Example - New",
         "StageName": "ヒアリング", "IsWon": "0", "IsClosed": "0", "Amount": "500000",
         "CurrencyIsoCode": "", "CreatedDate": "2026-03-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T03:00:00.000Z"},
        {"Id": O5, "IsDeleted": "false", "AccountId": "", "StageName": "Prospecting",
         "IsWon": "false", "IsClosed": "false", "CreatedDate": "2026-03-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T03:00:00.000Z"},
        {"Id": O6, "IsDeleted": "true", "AccountId": A1, "StageName": "Prospecting",
         "CreatedDate": "2026-03-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T03:00:00.000Z"},
        {"Id": O7, "IsDeleted": "false", "AccountId": A2, "StageName": "Proposal/Price Quote",
         "IsWon": "false", "IsClosed": "false", "Amount": "10000", "CurrencyIsoCode": "EUR",
         "CreatedDate": "2026-03-01T00:00:00.000Z",
         "SystemModstamp": "2026-03-02T03:00:00.000Z"},
    ])
    _drop(landing, "opportunitystage", [
        {"Id": "01J1", "MasterLabel": "Prospecting", "IsClosed": "false", "IsWon": "false"},
        {"Id": "01J2", "MasterLabel": "Negotiation/Review", "IsClosed": "false",
         "IsWon": "false"},
        {"Id": "01J3", "MasterLabel": "Closed Won", "IsClosed": "true", "IsWon": "true"},
        {"Id": "01J4", "MasterLabel": "Closed Lost", "IsClosed": "true", "IsWon": "false"},
        {"Id": "01J5", "MasterLabel": "Lost - No Budget", "IsClosed": "true",
         "IsWon": "false"},
    ])
    _drop(landing, "opportunityhistory", [
        {"Id": "0085g001", "OpportunityId": O1, "StageName": "Prospecting", "Amount": "1000",
         "CurrencyIsoCode": "USD", "CreatedDate": "2026-03-01T00:00:00.000Z",
         "IsDeleted": "false"},
        {"Id": "0085g002", "OpportunityId": O1, "StageName": "Closed Won", "Amount": "1200.50",
         "CurrencyIsoCode": "USD", "CreatedDate": "2026-03-01T05:00:00.000Z",
         "IsDeleted": "false"},
        {"Id": "0085g003", "OpportunityId": O3, "StageName": "Lost - No Budget",
         "Amount": "", "CurrencyIsoCode": "JPY", "CreatedDate": "2026-03-01T06:00:00.000Z",
         "IsDeleted": "false"},
        {"Id": "0085g004", "OpportunityId": O2, "StageName": "Negotiation/Review",
         "Amount": "3000000", "CurrencyIsoCode": "JPY",
         "CreatedDate": "2026-03-02T01:00:00.000+0000", "IsDeleted": "false"},
        {"Id": "0085g005", "OpportunityId": O6, "StageName": "Prospecting",
         "CreatedDate": "2026-03-01T00:00:00.000Z", "IsDeleted": "true"},
    ])
    _drop(landing, "opportunitylineitem", [
        {"Id": "00k1", "OpportunityId": O1, "Product2Id": P1, "TotalPrice": "1000",
         "IsDeleted": "false"},
        {"Id": "00k2", "OpportunityId": O1, "Product2Id": P2, "TotalPrice": "200.50",
         "IsDeleted": "false"},
        {"Id": "00k3", "OpportunityId": O2, "Product2Id": P2, "TotalPrice": "3000000",
         "IsDeleted": "false"},
    ])
    _drop(landing, "opportunitycontactrole", [
        {"Id": "00K1", "OpportunityId": O1, "ContactId": C1, "Role": "Decision Maker",
         "IsPrimary": "true", "IsDeleted": "false"},
        {"Id": "00K2", "OpportunityId": O2, "ContactId": C2, "Role": "Evaluator",
         "IsPrimary": "false", "IsDeleted": "false"},
    ])
    _drop(landing, "task", [
        {"Id": "00T1", "WhoId": C1, "WhatId": O1, "AccountId": A1, "Subject": "Call",
         "TaskSubtype": "Call", "Type": "Call", "CallType": "Outbound",
         "CallDisposition": "No answer", "Status": "Completed", "IsClosed": "true",
         "CompletedDateTime": "2026-03-02T01:30:00.000Z", "IsDeleted": "false"},
        {"Id": "00T2", "WhoId": C2, "WhatId": A2, "AccountId": "",
         "Subject": "Email: Thanks for your time", "TaskSubtype": "Email", "Type": "",
         "Status": "Completed", "IsClosed": "true",
         "CompletedDateTime": "2026-03-02T02:00:00.000Z", "IsDeleted": "false"},
        {"Id": "00T3", "WhoId": "", "WhatId": O2, "AccountId": "", "Subject": "Send proposal",
         "TaskSubtype": "Task", "Type": "Other", "Status": "Completed", "IsClosed": "true",
         "ActivityDate": "2026-03-02", "CompletedDateTime": "", "IsDeleted": "false"},
        {"Id": "00T4", "WhoId": C1, "WhatId": A1, "AccountId": A1, "Subject": "Update CRM",
         "TaskSubtype": "Task", "Type": "", "Status": "Completed", "IsClosed": "true",
         "CompletedDateTime": "2026-03-02T02:00:00.000Z", "IsDeleted": "false"},
        {"Id": "00T5", "WhoId": C1, "AccountId": A1, "Subject": "Call back",
         "TaskSubtype": "Call", "Type": "Call", "Status": "Not Started", "IsClosed": "false",
         "ActivityDate": "2026-03-05", "IsDeleted": "false"},
        {"Id": "00T6", "WhoId": C1, "AccountId": A1, "Subject": "Call", "TaskSubtype": "Call",
         "Status": "Completed", "IsClosed": "true",
         "CompletedDateTime": "2026-03-02T02:00:00.000Z", "IsDeleted": "true"},
    ], data_loader=True)
    _drop(landing, "event", [
        {"Id": "00U1", "WhoId": C1, "WhatId": O1, "AccountId": A1,
         "Subject": "Kickoff meeting", "Type": "Meeting", "EventSubtype": "Event",
         "StartDateTime": "2026-03-02T04:00:00.000Z", "IsAllDayEvent": "false",
         "IsChild": "false", "IsDeleted": "false"},
        {"Id": "00U2", "WhoId": C2, "WhatId": O1, "AccountId": A1,
         "Subject": "Kickoff meeting", "Type": "Meeting", "EventSubtype": "Event",
         "StartDateTime": "2026-03-02T04:00:00.000Z", "IsAllDayEvent": "false",
         "IsChild": "true", "IsDeleted": "false"},
        {"Id": "00U3", "WhoId": L1, "WhatId": A2, "AccountId": "", "Subject": "Visit",
         "Type": "", "EventSubtype": "Event", "IsAllDayEvent": "true",
         "ActivityDate": "2026-03-02", "IsChild": "false", "IsDeleted": "false"},
        {"Id": "00U4", "WhoId": C1, "AccountId": A1, "Subject": "Lunch",
         "StartDateTime": "2026-03-02T03:00:00.000Z", "IsChild": "false",
         "IsDeleted": "true"},
    ])
    _drop(landing, "campaign", [
        {"Id": CP1, "IsDeleted": "false", "Name": "March webinar", "Type": "Webinar",
         "StartDate": "2026-03-01", "EndDate": "2026-03-01", "ActualCost": "500",
         "CurrencyIsoCode": "USD"},
        {"Id": CP2, "IsDeleted": "false", "Name": "March newsletter", "Type": "Email",
         "StartDate": "2026-03-01", "ActualCost": "", "CurrencyIsoCode": "JPY"},
        {"Id": CP3, "IsDeleted": "false", "Name": "Tokyo Expo", "Type": "Trade Show",
         "StartDate": "2026-04-10", "EndDate": "2026-04-12", "ActualCost": "1,200,000",
         "CurrencyIsoCode": "JPY"},
        {"Id": CP4, "IsDeleted": "false", "Name": "ABM guide", "Type": "Content Syndication",
         "ActualCost": "80000", "CurrencyIsoCode": ""},
        {"Id": CP5, "IsDeleted": "true", "Name": "Old", "Type": "Email"},
        {"Id": CP6, "IsDeleted": "false", "Name": "Berlin fair", "Type": "Conference",
         "ActualCost": "2000", "CurrencyIsoCode": "EUR"},
    ])
    _drop(landing, "campaignmember", [
        {"Id": "00v1", "CampaignId": CP1, "ContactId": C1, "LeadId": "", "Status": "Attended",
         "HasResponded": "true", "CreatedDate": "2026-02-20T00:00:00.000Z",
         "FirstRespondedDate": "2026-03-01", "IsDeleted": "false"},
        {"Id": "00v2", "CampaignId": CP1, "ContactId": "", "LeadId": L1,
         "Status": "Registered", "HasResponded": "false",
         "CreatedDate": "2026-02-21T00:00:00.000Z", "IsDeleted": "false"},
        {"Id": "00v3", "CampaignId": CP1, "ContactId": "", "LeadId": L3, "Status": "No Show",
         "HasResponded": "false", "CreatedDate": "2026-02-22T00:00:00.000Z",
         "IsDeleted": "false"},
        {"Id": "00v4", "CampaignId": CP2, "ContactId": C2, "LeadId": "", "Status": "Sent",
         "HasResponded": "false", "CreatedDate": "2026-03-01T00:00:00.000Z",
         "IsDeleted": "false"},
        {"Id": "00v5", "CampaignId": CP2, "ContactId": "", "LeadId": L2, "Status": "Clicked",
         "HasResponded": "true", "CreatedDate": "2026-03-01T00:00:00.000Z",
         "FirstRespondedDate": "2026-03-02", "IsDeleted": "false"},
        {"Id": "00v6", "CampaignId": CP4, "ContactId": C3, "LeadId": "",
         "Status": "Responded", "HasResponded": "1",
         "CreatedDate": "2026-03-01T00:00:00.000Z", "FirstRespondedDate": "2026-03-02",
         "IsDeleted": "0"},
        {"Id": "00v7", "CampaignId": CP3, "ContactId": "", "LeadId": L5, "Status": "Sent",
         "HasResponded": "false", "CreatedDate": "2026-03-01T00:00:00.000Z",
         "IsDeleted": "false"},
        {"Id": "00v8", "CampaignId": "7015g00000Cam999AAA", "ContactId": C1, "LeadId": "",
         "Status": "Responded", "HasResponded": "true",
         "CreatedDate": "2026-03-01T00:00:00.000Z", "IsDeleted": "false"},
        {"Id": "00v9", "CampaignId": CP1, "ContactId": C2, "LeadId": "", "Status": "Attended",
         "HasResponded": "true", "CreatedDate": "2026-03-01T00:00:00.000Z",
         "IsDeleted": "true"},
        {"Id": "00v10", "CampaignId": CP1, "ContactId": "", "LeadId": "",
         "Status": "Registered", "CreatedDate": "2026-03-01T00:00:00.000Z",
         "IsDeleted": "false"},
    ])
    _drop(landing, "asset", [
        {"Id": "02i1", "AccountId": A1, "Product2Id": P1, "Status": "Installed",
         "InstallDate": "2025-04-01", "UsageEndDate": "2026-03-31", "Price": "1200000",
         "Quantity": "1", "CurrencyIsoCode": "JPY", "IsCompetitorProduct": "false",
         "SystemModstamp": "2026-03-02T00:00:00.000Z", "IsDeleted": "false"},
        # owned through a contact: the contact's account
        {"Id": "02i2", "AccountId": "", "ContactId": C2, "Product2Id": P2,
         "Status": "Purchased", "PurchaseDate": "2024-01-01", "UsageEndDate": "12/31/2025",
         "CurrentMrr": "100", "CurrencyIsoCode": "USD", "IsCompetitorProduct": "0",
         "SystemModstamp": "2026-03-02T00:00:00.000Z", "IsDeleted": "false"},
        {"Id": "02i3", "AccountId": A1, "Product2Id": P2, "Status": "Obsolete",
         "LifecycleStartDate": "2025-01-01", "LifecycleEndDate": "2026-06-30",
         "Price": "", "SystemModstamp": "2026-03-02T00:00:00.000Z", "IsDeleted": "false"},
        {"Id": "02i4", "AccountId": A2, "Product2Id": P1, "IsCompetitorProduct": "true",
         "SystemModstamp": "2026-03-02T00:00:00.000Z", "IsDeleted": "false"},
        {"Id": "02i5", "AccountId": A2, "Product2Id": "", "InstallDate": "2025-01-01",
         "SystemModstamp": "2026-03-02T00:00:00.000Z", "IsDeleted": "false"},
        {"Id": "02i6", "AccountId": A1, "Product2Id": P1, "InstallDate": "2025-01-01",
         "SystemModstamp": "2026-03-02T00:00:00.000Z", "IsDeleted": "true"},
        {"Id": "02i7", "AccountId": "", "ContactId": "", "Product2Id": P1,
         "InstallDate": "2025-01-01", "SystemModstamp": "2026-03-02T00:00:00.000Z",
         "IsDeleted": "false"},
    ])
    _drop(landing, "product2", [
        {"Id": P1, "Name": "Kizuna Analytics", "Family": "Software", "IsActive": "true",
         "IsDeleted": "false"},
        {"Id": P2, "Name": "Onboarding", "Family": "Services", "IsActive": "true",
         "IsDeleted": "false"},
        {"Id": P3, "Name": "Legacy add-on", "Family": "Software", "IsActive": "false",
         "IsDeleted": "false"},
        {"Id": P4, "Name": "Removed", "IsDeleted": "true"},
    ])
    _drop(landing, "pricebook2", [
        {"Id": "01s1", "Name": "Standard Price Book", "IsStandard": "true", "IsDeleted": "false"},
        {"Id": "01s2", "Name": "USD partners", "IsStandard": "false", "IsDeleted": "false"},
    ])
    _drop(landing, "pricebookentry", [
        {"Id": "01u1", "Pricebook2Id": "01s2", "Product2Id": P1, "UnitPrice": "9000",
         "CurrencyIsoCode": "USD", "IsActive": "true", "IsDeleted": "false"},
        {"Id": "01u2", "Pricebook2Id": "01s1", "Product2Id": P1, "UnitPrice": "1200000",
         "CurrencyIsoCode": "JPY", "IsActive": "true", "IsDeleted": "false"},
        {"Id": "01u3", "Pricebook2Id": "01s2", "Product2Id": P2, "UnitPrice": "100",
         "CurrencyIsoCode": "USD", "IsActive": "true", "IsDeleted": "false"},
    ])


@pytest.fixture
def salesforce_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text(
        "vendors:\n"
        "  salesforce:\n"
        "    adapter: salesforce_export\n"
        "    timezone: Asia/Tokyo\n"
        "    currency_rates: {USD: 150}\n"
        "    tables: {lead: {encoding: cp932}}\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    _write_export(kizuna_home / "landing")
    return kizuna_home


def _counts(report: AdaptReport, table: str, target: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for counts in report.counts.values():
        for c in counts:
            if c.vendor_table == table and c.target_table == target:
                key = None if c.outcome == "mapped" else c.reason
                out[key] = out.get(key, 0) + c.rows
    return out


def test_every_salesforce_export_row_is_mapped_or_excluded_with_its_reason(
        salesforce_home: Path) -> None:
    report = adapt_window(DAY, END)
    deleted = "deleted in Salesforce"
    expected = {
        ("account", "crm_accounts"): {
            None: 2, deleted: 1, "merged into another account in Salesforce": 1,
            "person account: a consumer, not a company": 1},
        ("contact", "crm_contacts"): {None: 4, deleted: 1},
        ("contact", "ma_leads"): {None: 4, deleted: 1},
        ("lead", "ma_leads"): {
            None: 3, deleted: 1, "converted lead: the person continues as its contact": 1},
        ("opportunity", "crm_opportunities"): {
            None: 4, deleted: 1, "opportunity has no account": 1,
            "no exchange rate for currency EUR": 1},
        ("opportunityhistory", "crm_opportunity_history"): {None: 4, deleted: 1},
        ("task", "crm_activities"): {
            None: 3, deleted: 1, "open task: not done yet": 1,
            "a task of type task: no call, e-mail, meeting or proposal": 1},
        ("event", "crm_activities"): {
            None: 2, deleted: 1,
            "invitee copy of a group event (the organiser's event is kept)": 1},
        ("campaign", "ma_campaigns"): {
            None: 4, deleted: 1, "no exchange rate for currency EUR": 1},
        ("campaignmember", "ma_activities"): {
            None: 6, deleted: 1, "campaign member names neither a lead nor a contact": 1,
            "campaign not delivered: its type is unknown": 1,
            "member status sent (event campaign): no response to record": 1},
        ("product2", "crm_products"): {None: 3, deleted: 1},
        ("asset", "crm_contracts"): {
            None: 3, deleted: 1, "asset names no product": 1,
            "a competitor's product the account owns, not a sale": 1,
            "asset has neither an account nor a contact's account": 1},
    }
    got = {key: _counts(report, *key) for key in expected}
    assert got == expected
    assert report.unknown_columns == {}  # every delivered column is documented
    assert not any(NOT_SELECTED in str(c.reason) for cs in report.counts.values() for c in cs)
    with connection() as wh:
        excluded = wh.query("SELECT count(*) FROM quarantine.vendor_excluded_rows")[0][0]
    assert excluded == report.rows("excluded") == 27


def test_re_adapting_an_export_day_writes_the_same_files(salesforce_home: Path) -> None:
    first = adapt_window(DAY, END)
    again = adapt_window(DAY, END)
    assert len(first.written) == 10  # one file per contract entity
    assert not again.written and again.unchanged == len(first.written)


def test_adapted_salesforce_export_loads_through_the_ordinary_loader(
        salesforce_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, END)
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        def rows(sql: str) -> list[tuple]:
            return wh.query(sql)

        accounts = {r[0]: r[1:] for r in rows(
            "SELECT account_id, account_name, domain, owner, abm_tier, corporate_number, "
            "created_at, updated_at FROM raw.crm_accounts")}
        opps = {r[0]: r[1:] for r in rows(
            "SELECT opportunity_id, account_id, product_id, stage, amount_jpy, close_date, "
            "is_closed, is_won, lost_reason FROM raw.crm_opportunities")}
        history = rows("SELECT opportunity_id, stage, amount_jpy, changed_at "
                       "FROM raw.crm_opportunity_history ORDER BY changed_at")
        contacts = dict(rows("SELECT contact_id, buying_role FROM raw.crm_contacts"))
        leads = {r[0]: r[1:] for r in rows(
            "SELECT lead_id, lead_source, opt_out, company_name, phone FROM raw.ma_leads")}
        crm_acts = {r[0]: r[1:] for r in rows(
            "SELECT activity_id, activity_type, account_id, contact_id, occurred_at, outcome "
            "FROM raw.crm_activities")}
        ma_acts = rows("SELECT activity_id, lead_id, activity_type, occurred_at, campaign_id "
                       "FROM raw.ma_activities ORDER BY activity_id")
        campaigns = {r[0]: r[1:] for r in rows(
            "SELECT campaign_id, channel, cost_jpy, started_on FROM raw.ma_campaigns")}
        products = {r[0]: r[1:] for r in rows(
            "SELECT product_id, product_family, list_price_jpy FROM raw.crm_products")}
        contracts = {r[0]: r[1:] for r in rows(
            "SELECT contract_id, account_id, product_id, started_on, ended_on, "
            "annual_amount_jpy, status FROM raw.crm_contracts")}

    assert set(accounts) == {A1, A2}
    assert accounts[A1][:5] == ("Example KK", "example.co.jp", "Taro Yamada", "tier_1",
                                "4010001008772")
    assert accounts[A1][5] == datetime(2025, 6, 1, 9)  # .000Z read as UTC, not Tokyo
    assert accounts[A2][1:4] == ("other.example", "0055g00000Usr999AAA", "tier_2")
    assert accounts[A2][6] == datetime(2026, 3, 1, 12)  # +0000, LastModifiedDate fallback

    assert set(opps) == {O1, O2, O3, O4}
    assert opps[O1][:3] == (A1, P1, "closed_won") and opps[O1][5:7] == (True, True)
    assert float(opps[O1][3]) == pytest.approx(1200.50 * 150)  # USD converted
    assert str(opps[O1][4]) == "2026-03-01"
    assert opps[O2][1:3] == (P2, "negotiation") and str(opps[O2][4]) == "2026-03-31"
    assert float(opps[O2][3]) == pytest.approx(3_000_000)
    assert opps[O3][2:] == ("closed_lost", None, date(2026, 2, 28), True, False, "Price")
    assert opps[O4][2] == "qualification" and float(opps[O4][3]) == pytest.approx(500_000)
    assert [(h[0], h[1]) for h in history] == [
        (O1, "prospecting"), (O1, "closed_won"), (O3, "closed_lost"), (O2, "negotiation")]
    assert float(history[1][2]) == pytest.approx(1200.50 * 150)
    assert history[3][3] == datetime(2026, 3, 2, 1)

    assert contacts == {C1: "decision_maker", C2: "influencer", C3: None, C5: None}
    assert set(leads) == {L1, L2, L5, C1, C2, C3, C5}
    assert leads[L1][0] == "event" and leads[L1][2] == "見込商事株式会社"  # read as Shift_JIS
    assert leads[L2][:2] == ("business_card", True)
    assert leads[L5][0] == "import" and leads[L5][3] == "090-1111-2222"
    assert leads[C1][:3] == ("web_form", False, "Example KK")
    assert leads[C3][0] == "business_card" and leads[C2][:2] == ("event", True)

    assert crm_acts["00T1"] == ("call", A1, C1, datetime(2026, 3, 2, 1, 30), "no_answer")
    assert crm_acts["00T2"][:3] == ("email", A2, C2) and crm_acts["00T2"][4] == "sent"
    # a date-only task: midnight in Tokyo; its account through the opportunity
    assert crm_acts["00T3"][:4] == ("proposal", A2, None, datetime(2026, 3, 1, 15))
    assert crm_acts["00U1"][:3] == ("meeting", A1, C1)
    assert crm_acts["00U3"][:3] == ("meeting", A2, None)  # WhoId is a lead: no contact

    assert [(a[0], a[1], a[2]) for a in ma_acts] == [
        ("00v1:attendance", C1, "event_attendance"),
        ("00v1:registration", C1, "event_registration"),
        ("00v2:registration", L1, "event_registration"),
        ("00v3:registration", C5, "event_registration"),  # the converted lead's contact
        ("00v4:send", C2, "email_send"),
        ("00v5:click", L2, "email_click"),  # a click was sent first: two activities
        ("00v5:send", L2, "email_send"),
        ("00v6:download", C3, "content_download"),
    ]
    assert ma_acts[1][3] == datetime(2026, 2, 20) and ma_acts[0][3] == datetime(2026, 2, 28, 15)

    assert set(campaigns) == {CP1, CP2, CP3, CP4}
    assert [campaigns[c][0] for c in (CP1, CP2, CP3, CP4)] == [
        "webinar", "email", "event", "content"]
    assert float(campaigns[CP1][1]) == pytest.approx(500 * 150)
    assert float(campaigns[CP3][1]) == pytest.approx(1_200_000)
    assert campaigns[CP2][1] is None and str(campaigns[CP3][2]) == "2026-04-10"

    assert float(products[P1][1]) == pytest.approx(1_200_000)  # the standard price book
    assert float(products[P2][1]) == pytest.approx(100 * 150)
    assert products[P3] == ("Software", None)

    assert set(contracts) == {"02i1", "02i2", "02i3"}
    assert contracts["02i1"][:2] == (A1, P1) and contracts["02i1"][5] == "active"
    assert (str(contracts["02i1"][2]), str(contracts["02i1"][3])) == ("2025-04-01", "2026-03-31")
    assert float(contracts["02i1"][4]) == pytest.approx(1_200_000)
    assert contracts["02i2"][0] == A2 and contracts["02i2"][5] == "expired"
    assert float(contracts["02i2"][4]) == pytest.approx(100 * 12 * 150)  # MRR in USD, a year
    assert str(contracts["02i2"][3]) == "2025-12-31"
    assert contracts["02i3"][4:] == (None, "churned")
