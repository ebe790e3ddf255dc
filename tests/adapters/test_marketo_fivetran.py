"""Marketo as a loading tool lands it -> the raw contract, through the real loader.

The vendor rows are written in the shape of Fivetran's Marketo tables (column names of the
open dbt_marketo package: lead, one activity_<type> table per activity type, program,
program_cost, campaign); the activity tables are stacked into one entity. Every row must
end up mapped or excluded with its reason, and the mapped rows must load into raw through
the ordinary loader and gate.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kizuna.ingest.adapt import NOT_SELECTED, AdaptReport, adapt_window
from kizuna.warehouse import connection

DAY = date(2026, 3, 2)
NEXT = date(2026, 3, 3)


def _drop(landing: Path, table: str, rows: list[dict]) -> None:
    folder = landing / "marketo" / table / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0001.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (folder / "_SUCCESS").touch()


def _act(id_: str, lead: int, at: str, type_id: int, **more: object) -> dict:
    return {"id": id_, "lead_id": lead, "activity_date": at, "activity_type_id": type_id,
            "_fivetran_synced": "2026-03-02T06:00:00.000Z", **more}


@pytest.fixture
def marketo_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text(
        "vendors:\n"
        "  marketo:\n"
        "    adapter: marketo_fivetran\n"
        "    timezone: UTC\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    landing = kizuna_home / "landing"
    _drop(landing, "lead", [
        {"id": 2001, "email": "aoi.sato@example.co.jp", "first_name": "Aoi",
         "last_name": "Sato", "company": "Example KK", "title": "Manager", "department": "IT",
         "lead_source": "Website", "unsubscribed": False, "_fivetran_deleted": False,
         "created_at": "2026-02-01 09:00:00 UTC", "updated_at": "2026-03-02T01:00:00.000Z"},
        {"id": 2002, "email": "ken@other.example", "first_name": "Ken", "mobile_phone": "090-1",
         "inferred_company": "Other KK", "lead_source": "Trade Show", "unsubscribed": True,
         "created_at": "2026-02-03T10:00:00Z", "updated_at": "2026-03-01T10:00:00Z"},
        {"id": 2003, "email": "gone@example.co.jp", "_fivetran_deleted": True,
         "created_at": "2026-02-03T10:00:00Z", "updated_at": "2026-03-02T02:00:00Z"},
        {"id": 2004, "email": "deleted@example.co.jp", "created_at": "2026-02-03T10:00:00Z",
         "updated_at": "2026-03-02T02:00:00Z"},
        {"id": 2005, "email": "aoi.dup@example.co.jp", "created_at": "2026-02-15T10:00:00Z",
         "updated_at": "2026-03-01T02:00:00Z"},
        {"id": 2006, "email": "mika@example.co.jp", "original_source_type": "List import",
         "created_at": "2026-03-02T03:00:00Z", "updated_at": "2026-03-02T03:00:00Z"},
    ])
    _drop(landing, "activity_send_email", [
        _act("s1", 2001, "2026-03-02T00:00:00.000Z", 6, campaign_id=601, email_template_id=88,
             primary_attribute_value_id=88, action_result="succeeded"),
        _act("s2", 2001, "2026-03-02T00:00:00.000Z", 6, campaign_id=601, email_template_id=89,
             action_result="skipped"),
    ])
    _drop(landing, "activity_email_delivered", [
        _act("d1", 2001, "2026-03-02T00:00:10.000Z", 7, campaign_id=601, email_template_id=88),
    ])
    _drop(landing, "activity_open_email", [
        _act("o1", 2001, "2026-03-02 00:05:00 UTC", 10, campaign_id=601, email_template_id=88),
        _act("o2", 2004, "2026-03-02 00:06:00 UTC", 10, campaign_id=601, email_template_id=88),
    ])
    _drop(landing, "activity_click_email", [
        _act("c1", 2001, "2026-03-02T00:10:00Z", 11, campaign_id=601, email_template_id=88,
             link="https://example.com/pricing", link_id="L1"),
    ])
    _drop(landing, "activity_email_bounced", [
        _act("b1", 2002, "2026-03-02T00:00:20Z", 8, campaign_id=601, category="1",
             details="550 unknown user", email="ken@other.example"),
    ])
    _drop(landing, "activity_unsubscribe_email", [
        _act("u1", 2002, "2026-03-02T01:00:00Z", 9, campaign_id=601, email_template_id=88,
             referrer_url="https://example.com/unsubscribe"),
    ])
    _drop(landing, "activity_visit_webpage", [
        _act("v1", 2002, "2026-03-02T02:00:00Z", 1, webpage_id=12,
             primary_attribute_value="/pricing.html",
             webpage_url="https://example.com/pricing.html"),
        _act("v2", 2003, "2026-03-02T02:01:00Z", 1, webpage_id=12),
    ])
    _drop(landing, "activity_fill_out_form", [
        _act("f1", 2002, "2026-03-02T02:05:00Z", 2, webform_id=33,
             referrer_url="https://example.com/contact", form_fields="{}"),
    ])
    _drop(landing, "activity_click_link", [
        _act("l1", 2006, "2026-03-02T03:10:00Z", 3, link_id=55,
             primary_attribute_value="https://example.com/whitepaper.pdf"),
    ])
    _drop(landing, "activity_change_status_in_progression", [
        _act("p1", 2002, "2026-03-02T04:00:00Z", 104, primary_attribute_value_id=9102,
             primary_attribute_value="Webinar Q1", new_status="Registered",
             old_status="Invited"),
        _act("p2", 2002, "2026-03-02T05:00:00Z", 104, primary_attribute_value_id=9102,
             new_status="Attended", old_status="Registered"),
        _act("p3", 2006, "2026-03-02T05:30:00Z", 104, primary_attribute_value_id=9103,
             new_status="Engaged"),
        _act("p4", 2006, "2026-03-02T05:40:00Z", 104, primary_attribute_value_id=9102,
             new_status="Invited"),
    ])
    # custom types no adapter table is named for, as the extractor lands them
    _drop(landing, "activity_custom", [
        _act("k1", 2006, "2026-03-02T05:50:00Z", 100007, activity_type_name="Content Download",
             api_name="contentDownload_c", primary_attribute_value_id=77,
             attributes='{"File": "guide.pdf"}'),
        _act("k2", 2006, "2026-03-02T05:55:00Z", 100008, activity_type_name="Product Trial",
             api_name="productTrial_c", attributes='{"Plan": "pro"}'),
    ])
    _drop(landing, "activity_delete_lead", [_act("x1", 2004, "2026-03-02T06:00:00Z", 37)])
    _drop(landing, "activity_merge_leads", [
        _act("m1", 2001, "2026-03-02T06:00:00Z", 32, merge_ids="[2005]"),
    ])
    _drop(landing, "campaign", [
        {"id": 601, "name": "Send newsletter", "type": "batch", "program_id": 9101},
    ])
    _drop(landing, "program", [
        {"id": 9101, "name": "March newsletter", "channel": "Email Blast", "type": "program",
         "created_at": "2026-02-20T09:00:00Z", "_fivetran_deleted": False},
        {"id": 9102, "name": "Webinar Q1", "channel": "Webinar", "type": "webinar",
         "start_date": "2026-03-10 00:00:00 UTC", "end_date": "2026-03-11 00:00:00 UTC"},
        {"id": 9103, "name": "Guide download", "channel": "Content", "type": "program"},
        {"id": 9104, "name": "Old program", "channel": "Email Blast", "_fivetran_deleted": True},
        {"id": 9105, "name": "Data cleanup", "channel": "Operational", "type": "program"},
    ])
    _drop(landing, "program_cost", [
        {"program_id": 9101, "index": 0, "cost": 1000, "start_date": "2026-03-01T00:00:00Z"},
        {"program_id": 9101, "index": 1, "cost": 250.5, "note": "design"},
        {"program_id": 9102, "index": 0, "cost": 80000},
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


def test_every_fivetran_marketo_row_is_mapped_or_excluded_with_its_reason(
        marketo_home: Path) -> None:
    report = adapt_window(DAY, NEXT)
    assert _counts(report, "lead", "ma_leads") == {
        None: 3, "deleted in Marketo": 1, "deleted in Marketo (Delete Lead activity)": 1,
        "merged into another lead in Marketo": 1}
    deleted = "lead deleted in Marketo"
    expected = {
        "activity_send_email": {None: 1, "action skipped in Marketo": 1},
        "activity_email_delivered": {"Email Delivered has no contract activity type": 1},
        "activity_open_email": {None: 1, deleted: 1},
        "activity_click_email": {None: 1},
        "activity_email_bounced": {"Email Bounced has no contract activity type": 1},
        "activity_unsubscribe_email": {None: 1},
        "activity_visit_webpage": {None: 1, deleted: 1},
        "activity_fill_out_form": {None: 1},
        "activity_click_link": {None: 1},
        "activity_change_status_in_progression": {
            None: 3, "program status Invited has no contract activity type": 1},
        "activity_custom": {None: 1, "Product Trial has no contract activity type": 1},
    }
    assert {t: _counts(report, t, "ma_activities") for t in expected} == expected
    assert _counts(report, "program", "ma_campaigns") == {
        None: 3, "deleted in Marketo": 1, "operational program, not a campaign": 1}
    assert report.rows("mapped", "ma_activities") == 11
    assert report.rows("excluded") == 3 + 7 + 2
    reasons = {r for cs in report.counts.values() for c in cs for r in [c.reason]}
    assert NOT_SELECTED not in reasons
    with connection() as wh:
        excluded = wh.query("SELECT count(*) FROM quarantine.vendor_excluded_rows")[0][0]
    assert excluded == report.rows("excluded")


def test_adapted_fivetran_marketo_rows_load_through_the_ordinary_loader(
        marketo_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, NEXT)
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        leads = {r[0]: r[1:] for r in wh.query(
            "SELECT lead_id, lead_source, opt_out, created_at, updated_at, company_name, phone "
            "FROM raw.ma_leads")}
        acts = {r[0]: r[1:] for r in wh.query(
            "SELECT activity_id, activity_type, occurred_at, lead_id, campaign_id, asset_id, "
            "url FROM raw.ma_activities")}
        camps = {r[0]: r[1:] for r in wh.query(
            "SELECT campaign_id, channel, started_on, ended_on, cost_jpy FROM raw.ma_campaigns")}
        failed = wh.query("SELECT entity, rule, unexpected_sample FROM audit.dq_results "
                          "WHERE NOT success ORDER BY ALL")
    assert failed == []  # not even a warning: every rule holds for the adapted rows
    assert {k: v[0] for k, v in leads.items()} == {
        "2001": "web_form", "2002": "event", "2006": "import"}
    assert leads["2002"][1] is True and leads["2001"][1] is False
    assert str(leads["2001"][2]) == "2026-02-01 09:00:00"  # " UTC"
    assert str(leads["2001"][3]) == "2026-03-02 01:00:00"  # ".000Z"
    assert leads["2002"][4:] == ("Other KK", "090-1")  # inferred company, mobile phone
    assert {k: v[0] for k, v in acts.items()} == {
        "s1": "email_send", "o1": "email_open", "c1": "email_click", "u1": "unsubscribe",
        "v1": "web_visit", "f1": "form_submit", "l1": "web_visit",
        "p1": "event_registration", "p2": "event_attendance", "p3": "content_download",
        "k1": "content_download"}
    assert str(acts["o1"][1]) == "2026-03-02 00:05:00"
    assert acts["s1"][2:5] == ("2001", "9101", "88")  # smart campaign 601 -> program 9101
    assert acts["p1"][3] == "9102" and acts["v1"][3] is None
    assert acts["c1"][5] == "https://example.com/pricing"
    assert acts["v1"][5] == "https://example.com/pricing.html"
    assert acts["l1"][4:] == ("55", "https://example.com/whitepaper.pdf")
    assert acts["k1"][4] == "77"  # a custom type's primary attribute is its asset
    assert {k: v[0] for k, v in camps.items()} == {
        "9101": "email", "9102": "webinar", "9103": "content"}
    assert float(camps["9101"][3]) == pytest.approx(1251, abs=1)  # 1000 + 250.5, whole yen
    assert float(camps["9102"][3]) == pytest.approx(80000)
    assert camps["9103"][3] is None
    assert str(camps["9102"][1]) == "2026-03-10" and str(camps["9102"][2]) == "2026-03-11"


def test_re_adapting_a_fivetran_marketo_day_writes_the_same_files(marketo_home: Path) -> None:
    first = adapt_window(DAY, NEXT)
    again = adapt_window(DAY, NEXT)
    assert first.written and not again.written and again.unchanged == len(first.written)
