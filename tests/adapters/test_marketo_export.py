"""Marketo's own exports -> the raw contract, through the real loader.

Leads and activities are written as the Bulk Extract API writes its CSV files (REST field
names as headers, the text null for an empty field, ISO dates with Z or +0000, the
activity's attributes as one JSON text); activity types, programs, smart campaigns and
deleted leads as the REST API returns them, one JSON object per line. Every row must end
up mapped or excluded with its reason, and the mapped rows must load through the ordinary
loader and gate.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from kizuna.ingest.adapt import NOT_SELECTED, AdaptReport, adapt_window
from kizuna.warehouse import connection

DAY = date(2026, 3, 2)
NEXT = date(2026, 3, 3)

LEAD_HEADER = ["id", "email", "firstName", "lastName", "company", "title", "department",
               "phone", "leadSource", "originalSourceType", "unsubscribed", "createdAt",
               "updatedAt"]
LEADS = [
    ["1001", "Aoi.Sato@example.co.jp", "Aoi", "Sato", "Example KK", "Manager", "IT",
     "03-1234-5678", "Website", "null", "false", "2026-02-01T09:00:00Z",
     "2026-03-02T01:00:00Z"],
    ["1002", "ken@other.example", "Ken", "Ito", "Other KK", "null", "null", "null",
     "Trade Show", "null", "true", "2026-02-03T10:00:00+0000", "2026-03-01T10:00:00+0000"],
    ["1003", "mika@example.co.jp", "Mika", "Kato", "Example KK", "null", "null",
     "null", "null", "List import", "null", "2026-03-02 02:00:00 UTC",
     "2026-03-02 03:00:00 UTC"],
    ["1004", "taro@card.example", "Taro", "Mori", "Card KK", "null", "null", "null",
     "名刺", "null", "false", "2026-03-01T08:00:00Z", "2026-03-01T08:00:00Z"],
    ["1005", "gone@example.co.jp", "Gone", "Person", "null", "null", "null", "null",
     "Website", "null", "false", "2026-02-01T09:00:00Z", "2026-03-02T04:00:00Z"],
    ["1006", "aoi.dup@example.co.jp", "Aoi", "Sato", "null", "null", "null", "null",
     "Website", "null", "false", "2026-02-15T09:00:00Z", "2026-03-01T09:00:00Z"],
]
ACTIVITY_HEADER = ["marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId",
                   "primaryAttributeValueId", "primaryAttributeValue", "attributes",
                   "actionResult"]
ACTIVITIES = [
    ["a1", "1001", "2026-03-02T00:00:00Z", "6", "501", "77", "Mar.Newsletter",
     '{"Campaign Run ID":1}', "succeeded"],
    ["a2", "1001", "2026-03-02T00:01:00+0000", "10", "501", "77", "Mar.Newsletter",
     '{"Device":"Mac"}', "null"],
    ["a3", "1001", "2026-03-02T00:02:00Z", "11", "501", "77", "Mar.Newsletter",
     '{"Link":"https://example.com/pricing"}', "succeeded"],
    ["a4", "1001", "2026-03-02T00:03:00Z", "7", "501", "77", "Mar.Newsletter", "{}",
     "succeeded"],
    # attributes in the older [{"name": ..., "value": ...}] form
    ["a5", "1001", "2026-03-02T00:04:00Z", "1", "null", "12", "/pricing.html",
     '[{"name":"Webpage URL","value":"https://example.com/pricing.html"}]', "null"],
    ["a6", "1002", "2026-03-02T01:00:00Z", "2", "null", "33", "Contact Form",
     '{"Referrer URL":"https://example.com/contact"}', "null"],
    ["a7", "1002", "2026-03-02T02:00:00Z", "104", "502", "9002", "Webinar Q1",
     '{"New Status":"Registered","Old Status":"Invited"}', "null"],
    ["a8", "1002", "2026-03-02T03:00:00Z", "104", "502", "9002", "Webinar Q1",
     '{"New Status":"Attended","Old Status":"Registered"}', "null"],
    ["a9", "1002", "2026-03-02T03:30:00Z", "104", "502", "9002", "Webinar Q1",
     '{"New Status":"No Show"}', "null"],
    ["a10", "1003", "2026-03-02T04:00:00Z", "100001", "502", "null", "Expo 2026", "{}",
     "null"],
    ["a11", "1003", "2026-03-02T04:10:00Z", "100002", "null", "null", "?", "{}", "null"],
    ["a12", "1005", "2026-03-02T04:20:00Z", "10", "501", "77", "Mar.Newsletter", "{}",
     "null"],
    ["a13", "1001", "2026-03-02T04:30:00Z", "32", "null", "null", "null",
     '{"Merge IDs":"[1006]"}', "null"],
    ["a14", "1001", "2026-03-02T04:40:00Z", "6", "501", "78", "Mar.Reminder", "{}",
     "skipped"],
    # a smart campaign the smart campaigns table does not know: no program, still mapped
    ["a15", "1003", "2026-03-02T05:00:00Z", "9", "999", "77", "Mar.Newsletter", "{}",
     "null"],
    ["a16", "1001", "2026-03-02T05:10:00Z", "3", "null", "55",
     "https://example.com/whitepaper.pdf", "{}", "null"],
]


def _csv(folder: Path, header: list[str], rows: list[list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    (folder / "part-0001.csv").write_text(out.getvalue(), encoding="utf-8")
    (folder / "_SUCCESS").touch()


def _jsonl(folder: Path, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0001.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (folder / "_SUCCESS").touch()


def _home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text(
        "vendors:\n"
        "  marketo:\n"
        "    adapter: marketo_export\n"
        "    timezone: UTC\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    return kizuna_home / "landing" / "marketo"


@pytest.fixture
def marketo_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    vendor = _home(kizuna_home, monkeypatch)
    day = DAY.isoformat()
    _csv(vendor / "leads" / day, LEAD_HEADER, LEADS)
    _csv(vendor / "activities" / day, ACTIVITY_HEADER, ACTIVITIES)
    _jsonl(vendor / "activity_types" / day, [
        {"id": 7, "name": "Email Delivered", "description": "Email is delivered",
         "primaryAttribute": {"name": "Mailing ID", "dataType": "integer"}},
        {"id": 100001, "name": "Scan Business Card", "description": "Card scanned at a booth",
         "primaryAttribute": {"name": "Event Name", "dataType": "string"}, "attributes": []},
    ])
    _jsonl(vendor / "programs" / day, [
        {"id": 9001, "name": "March newsletter", "type": "Email", "channel": "Email Blast",
         "createdAt": "2026-02-20T09:00:00Z+0000", "updatedAt": "2026-02-21T09:00:00Z+0000",
         "tags": [{"tagType": "Product", "tagValue": "P-01"}],
         "costs": [{"startDate": "2026-03-01", "cost": 1200.5, "note": "agency"},
                   {"startDate": "2026-03-15", "cost": 300}]},
        {"id": 9002, "name": "Webinar Q1", "type": "Event with Webinar", "channel": "Webinar",
         "startDate": "2026-03-10T00:00:00Z+0000", "endDate": "2026-03-11T00:00:00Z+0000",
         "costs": []},
        {"id": 9003, "name": "Expo 2026", "type": "Event", "channel": "Tradeshow",
         "costs": [{"startDate": "2026-03-01", "cost": 500000}]},
        {"id": 9004, "name": "Data cleanup", "type": "Default", "channel": "Operational"},
        {"id": 9005, "name": "Guide download", "type": "Default", "channel": "Gated Content"},
    ])
    _jsonl(vendor / "smart_campaigns" / day, [
        {"id": 501, "name": "Send newsletter", "type": "batch", "parentProgramId": 9001,
         "folder": {"id": 9001, "type": "Program"}},
        {"id": 502, "name": "Webinar registrations", "type": "trigger",
         "folder": {"id": 9002, "type": "Program"}},
    ])
    _jsonl(vendor / "deleted_leads" / day, [
        {"id": 1, "marketoGUID": "d1", "leadId": 1005, "activityDate": "2026-03-02T05:00:00Z",
         "activityTypeId": 37, "primaryAttributeValue": "Gone Person", "attributes": []},
    ])
    return kizuna_home


def _counts(report: AdaptReport, table: str, target: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for counts in report.counts.values():
        for c in counts:
            if c.vendor_table == table and c.target_table == target:
                key = None if c.outcome == "mapped" else c.reason
                out[key] = out.get(key, 0) + c.rows
    return out


def test_every_marketo_export_row_is_mapped_or_excluded_with_its_reason(
        marketo_home: Path) -> None:
    report = adapt_window(DAY, NEXT)
    assert _counts(report, "leads", "ma_leads") == {
        None: 4, "deleted in Marketo": 1, "merged into another lead in Marketo": 1}
    assert _counts(report, "activities", "ma_activities") == {
        None: 10,
        "Email Delivered has no contract activity type": 1,
        "Merge Leads has no contract activity type": 1,
        "program status No Show has no contract activity type": 1,
        "activity type 100002 is neither a standard type nor in the activity types table": 1,
        "lead deleted in Marketo": 1,
        "action skipped in Marketo": 1}
    assert _counts(report, "programs", "ma_campaigns") == {
        None: 4, "operational program, not a campaign": 1}
    reasons = {r for t, e in [("leads", "ma_leads"), ("activities", "ma_activities"),
                              ("programs", "ma_campaigns")] for r in _counts(report, t, e)}
    assert NOT_SELECTED not in reasons
    with connection() as wh:
        excluded = wh.query("SELECT count(*) FROM quarantine.vendor_excluded_rows")[0][0]
    assert excluded == report.rows("excluded") == 9


def test_adapted_marketo_export_rows_load_through_the_ordinary_loader(
        marketo_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, NEXT)
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        leads = {r[0]: r[1:] for r in wh.query(
            "SELECT lead_id, lead_source, opt_out, created_at, updated_at, email, job_title, "
            "phone FROM raw.ma_leads")}
        acts = {r[0]: r[1:] for r in wh.query(
            "SELECT activity_id, activity_type, occurred_at, lead_id, campaign_id, asset_id, "
            "url FROM raw.ma_activities")}
        camps = {r[0]: r[1:] for r in wh.query(
            "SELECT campaign_id, name, channel, product_id, started_on, ended_on, cost_jpy "
            "FROM raw.ma_campaigns")}
        failed = wh.query("SELECT entity, rule FROM audit.dq_results WHERE NOT success "
                          "ORDER BY ALL")
    # not even a warning, but that the CRM has not delivered product P-01 in this test
    assert failed == [("ma_campaigns", "product_id_known")]
    assert set(leads) == {"1001", "1002", "1003", "1004"}
    assert [leads[k][0] for k in ("1001", "1002", "1003", "1004")] == [
        "web_form", "event", "import", "business_card"]
    assert leads["1002"][1] is True and leads["1001"][1] is False and leads["1003"][1] is None
    assert str(leads["1002"][2]) == "2026-02-03 10:00:00"  # +0000 read as UTC
    assert str(leads["1003"][3]) == "2026-03-02 03:00:00"  # " UTC"
    assert leads["1001"][4:] == ("Aoi.Sato@example.co.jp", "Manager", "03-1234-5678")
    assert leads["1002"][5] is None  # the text null is no phone number
    assert {k: v[0] for k, v in acts.items()} == {
        "a1": "email_send", "a2": "email_open", "a3": "email_click", "a5": "web_visit",
        "a6": "form_submit", "a7": "event_registration", "a8": "event_attendance",
        "a10": "business_card_scan", "a15": "unsubscribe", "a16": "web_visit"}
    assert str(acts["a2"][1]) == "2026-03-02 00:01:00"
    assert acts["a1"][2:5] == ("1001", "9001", "77")  # smart campaign 501 -> program 9001
    assert acts["a7"][3] == "9002" and acts["a15"][3] is None
    assert acts["a10"][3] == "9002"  # smart campaign 502 sits in program 9002's folder
    assert acts["a3"][5] == "https://example.com/pricing"
    assert acts["a5"][5] == "https://example.com/pricing.html"
    assert acts["a16"][5] == "https://example.com/whitepaper.pdf"
    assert {k: v[1] for k, v in camps.items()} == {
        "9001": "email", "9002": "webinar", "9003": "event", "9005": "content"}
    assert camps["9001"][2] == "P-01"
    assert float(camps["9001"][5]) == pytest.approx(1501, abs=1)  # 1200.5 + 300, whole yen
    assert float(camps["9003"][5]) == pytest.approx(500000)
    assert camps["9002"][5] is None
    assert str(camps["9002"][3]) == "2026-03-10" and str(camps["9002"][4]) == "2026-03-11"


def test_leads_and_activities_alone_adapt_without_the_lookup_tables(
        kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vendor = _home(kizuna_home, monkeypatch)
    _csv(vendor / "leads" / DAY.isoformat(), LEAD_HEADER, LEADS[:2])
    _csv(vendor / "activities" / DAY.isoformat(), ACTIVITY_HEADER, ACTIVITIES[:4])
    report = adapt_window(DAY, NEXT)
    assert _counts(report, "leads", "ma_leads") == {None: 2}
    # standard ids name the types when no types table came
    assert _counts(report, "activities", "ma_activities") == {
        None: 3, "Email Delivered has no contract activity type": 1}
