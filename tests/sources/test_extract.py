"""API extractors against local servers that answer like HubSpot, Salesforce and Marketo:
paging, increments, deletes, retries, and re-runs after a kill."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest

from kizuna.sources.extract import Credentials, ExtractError, RetryPolicy, extract_object
from kizuna.sources.extract.landing import read_cursor
from kizuna.sources.extract.mock import MARKETO_TYPES, HubSpotMock, MarketoMock, SalesforceMock
from kizuna.sources.extract.run import extractor

FAST = RetryPolicy(max_attempts=3, backoff_factor=0.01, max_delay=2)
T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
DAY1, DAY2 = date(2026, 1, 5), date(2026, 1, 6)
END1, END2 = T0 + timedelta(days=1), T0 + timedelta(days=2)
NOW = T0 + timedelta(days=30)


def ts(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def rows(landing: Path, vendor: str, table: str, day: date) -> list[dict[str, Any]]:
    folder = landing / vendor / table / day.isoformat()
    assert (folder / "_SUCCESS").exists(), f"{folder} is not marked complete"
    out = []
    for part in sorted(folder.glob("part-*.jsonl")):
        out += [json.loads(line) for line in part.read_text().splitlines()]
    return out


# -- HubSpot -----------------------------------------------------------------------------
def contact(i: int, hours: float, archived_at: float | None = None) -> dict[str, Any]:
    rec = {"id": str(100 + i), "createdAt": ts(-48), "updatedAt": ts(hours),
           "archived": archived_at is not None,
           "properties": {"email": f"p{i}@example.co.jp", "firstname": f"F{i}",
                          "lastname": f"L{i}", "lastmodifieddate": ts(hours),
                          "hs_object_id": str(100 + i)}}
    if archived_at is not None:
        rec["archivedAt"] = ts(archived_at)
    return rec


def deal(i: int, hours: float) -> dict[str, Any]:
    return {"id": str(900 + i), "createdAt": ts(-48), "updatedAt": ts(hours), "archived": False,
            "properties": {"dealname": f"Deal {i}", "amount": "1000000", "dealstage": "qualified",
                           "pipeline": "default", "hs_lastmodifieddate": ts(hours)}}


@pytest.fixture
def hubspot() -> Any:
    objects = {"contacts": [contact(i, i) for i in range(7)] + [contact(7, -10, archived_at=3)],
               "companies": [], "deals": [deal(1, 2), deal(2, 5)]}
    links = {("deals", "companies"): {"901": ["501"], "902": ["501", "502"]},
             ("deals", "contacts"): {"901": ["101"]},
             ("contacts", "companies"): {"101": ["501"]}}
    with HubSpotMock(objects, links, page_size=3) as api:
        yield api


def hubspot_ex(api: HubSpotMock) -> Any:
    return extractor("hubspot", Credentials(host=api.url, password=api.token), FAST)


def test_hubspot_first_run_pages_every_record_into_fivetran_tables(hubspot, tmp_path):
    ex = hubspot_ex(hubspot)
    res = extract_object(ex, "contacts", tmp_path, DAY1, END1, now=NOW)
    got = rows(tmp_path, "hubspot", "contact", DAY1)
    assert sorted(r["id"] for r in got) == [str(100 + i) for i in range(8)]
    assert len(hubspot.calls("/crm/v3/objects/contacts")) >= 3  # 7 live records, 3 a page
    deleted = [r for r in got if r["_fivetran_deleted"]]
    assert [r["id"] for r in deleted] == ["107"]
    assert {"property_email", "property_firstname", "_fivetran_synced"} <= set(got[0])
    assert res.rows == {"contact": 8, "contact_company": 1}
    assert rows(tmp_path, "hubspot", "contact_company", DAY1) == [
        {"contact_id": "101", "company_id": "501", "type_id": 5, "category": "HUBSPOT_DEFINED",
         "_fivetran_synced": got[0]["_fivetran_synced"]}]

    extract_object(ex, "deals", tmp_path, DAY1, END1, now=NOW)
    deals = rows(tmp_path, "hubspot", "deal", DAY1)
    assert {d["deal_id"]: d["deal_pipeline_stage_id"] for d in deals} == {
        "901": "qualified", "902": "qualified"}
    links = rows(tmp_path, "hubspot", "deal_company", DAY1)
    pairs = {(r["deal_id"], r["company_id"]) for r in links}
    assert pairs == {("901", "501"), ("902", "501"), ("902", "502")}


def test_hubspot_second_run_searches_only_records_modified_since_the_cursor(hubspot, tmp_path):
    ex = hubspot_ex(hubspot)
    extract_object(ex, "contacts", tmp_path, DAY1, END1, now=NOW)
    assert read_cursor(tmp_path, "hubspot", "contacts").cursor == END1
    hubspot.objects["contacts"][2] = contact(2, 30)  # changed on day 2
    hubspot.objects["contacts"].append(contact(8, 40))  # new on day 2
    hubspot.objects["contacts"].append(contact(9, 50))  # after the window: next run
    extract_object(ex, "contacts", tmp_path, DAY2, END2, now=NOW)
    assert sorted(r["id"] for r in rows(tmp_path, "hubspot", "contact", DAY2)) == ["102", "108"]
    search = hubspot.calls("/crm/v3/objects/contacts/search")[0].body
    filters = search["filterGroups"][0]["filters"]
    assert [(f["propertyName"], f["operator"]) for f in filters] == [
        ("lastmodifieddate", "GTE"), ("lastmodifieddate", "LT")]
    assert int(filters[0]["value"]) == int(END1.timestamp() * 1000)


def test_hubspot_429_is_retried_after_the_seconds_it_asks_for(hubspot, tmp_path):
    hubspot.fault("/crm/v3/objects/deals", status=429, headers={"Retry-After": "1"},
                  body={"status": "error", "errorType": "RATE_LIMIT"})
    started = time.monotonic()
    extract_object(hubspot_ex(hubspot), "deals", tmp_path, DAY1, END1, now=NOW)
    assert time.monotonic() - started >= 1.0
    assert len(rows(tmp_path, "hubspot", "deal", DAY1)) == 2


def test_hubspot_deal_stage_history_lands_each_entry_once_in_batches_of_50(tmp_path):
    def staged(i: int, *hours: float) -> dict[str, Any]:
        rec = deal(i, max(hours))
        rec["propertiesWithHistory"] = {"dealstage": [  # newest first, as HubSpot lists
            {"value": f"stage{n}", "timestamp": ts(h), "sourceType": "CRM_UI",
             "sourceId": "u1"} for n, h in sorted(enumerate(hours), reverse=True)]}
        return rec

    deals = [staged(i, -30, 2) for i in range(60)]
    with HubSpotMock({"deals": deals}, page_size=100) as api:
        ex = hubspot_ex(api)
        res = extract_object(ex, "deals", tmp_path, DAY1, END1, now=NOW)
        reads = api.calls("/crm/v3/objects/deals/batch/read")
        assert [len(r.body["inputs"]) for r in reads] == [50, 10]
        assert reads[0].body["propertiesWithHistory"] == ["dealstage"]
        assert res.rows["deal_stage"] == 120
        api.objects["deals"][0] = staged(0, -30, 2, 30)  # a third stage on day 2
        extract_object(ex, "deals", tmp_path, DAY2, END2, now=NOW)
    assert rows(tmp_path, "hubspot", "deal_stage", DAY2) == [
        {"deal_id": "900", "date_entered": ts(30), "value": "stage2", "source": "CRM_UI",
         "source_id": "u1", "_fivetran_synced": ANY}]
    first = rows(tmp_path, "hubspot", "deal_stage", DAY1)
    assert {(r["deal_id"], r["value"]) for r in first if r["deal_id"] == "900"} == {
        ("900", "stage0"), ("900", "stage1")}


def test_hubspot_marketing_emails_updated_in_the_window_land_in_email_campaign(tmp_path):
    def campaign(cid: int, hours: float) -> dict[str, Any]:
        return {"id": cid, "appId": 113, "appName": "Batch", "contentId": 9, "name": f"M{cid}",
                "subject": f"S{cid}", "type": "BATCH_EMAIL", "subType": None, "numIncluded": 10,
                "numQueued": 0, "counters": {"sent": 10},
                "lastUpdatedTime": int((T0 + timedelta(hours=hours)).timestamp() * 1000)}

    with HubSpotMock({}, email_campaigns=[campaign(42, -5), campaign(43, 3),
                                          campaign(44, 30)], page_size=2) as api:
        ex = hubspot_ex(api)
        extract_object(ex, "email_campaigns", tmp_path, DAY1, END1, now=NOW,
                       initial_since=T0)
        assert len(api.calls("/email/public/v1/campaigns/by-id")) == 2  # paged by offset
        extract_object(ex, "email_campaigns", tmp_path, DAY2, END2, now=NOW)
    got = rows(tmp_path, "hubspot", "email_campaign", DAY1)
    assert [(c["id"], c["name"], c["subject"], c["type"], c["app_name"]) for c in got] == [
        (43, "M43", "S43", "BATCH_EMAIL", "Batch")]
    assert [c["id"] for c in rows(tmp_path, "hubspot", "email_campaign", DAY2)] == [44]


# -- Salesforce ----------------------------------------------------------------------------
def opportunity(i: int, hours: float, deleted: bool = False) -> dict[str, Any]:
    return {"Id": f"006{i:015d}", "AccountId": f"001{i % 3:015d}", "Name": f"Opp {i}",
            "StageName": "Prospecting", "Amount": 1_000_000.0 + i, "IsDeleted": deleted,
            "IsWon": False, "SystemModstamp": ts(hours)}


@pytest.fixture
def salesforce() -> Any:
    data = {"Opportunity": [opportunity(i, i) for i in range(9)]
            + [opportunity(9, 4, deleted=True)]}
    with SalesforceMock(data, batch_size=2) as api:
        yield api


def sf_ex(api: SalesforceMock, **extra: Any) -> Any:
    creds = Credentials(host=api.url, login=api.client_id, password=api.client_secret,
                        extra={"objects": ["Opportunity"], "poll_seconds": 0.01, **extra})
    return extractor("salesforce", creds, FAST)


def test_salesforce_query_all_follows_next_records_url_and_keeps_deleted_rows(salesforce,
                                                                              tmp_path):
    extract_object(sf_ex(salesforce), "opportunity", tmp_path, DAY1, END1, now=NOW)
    got = rows(tmp_path, "salesforce", "opportunity", DAY1)
    assert len(got) == 10 and len({r["id"] for r in got}) == 10
    assert len(salesforce.calls("/queryAll")) == 5  # 10 rows, 2 a batch
    assert {"id", "account_id", "stage_name", "is_deleted", "system_modstamp"} <= set(got[0])
    assert [r["id"] for r in got if r["is_deleted"]] == [f"006{9:015d}"]
    assert [r["_fivetran_deleted"] for r in got].count(True) == 1


def test_salesforce_bulk_query_job_pages_csv_with_the_locator(salesforce, tmp_path):
    ex = sf_ex(salesforce, bulk_objects=["Opportunity"], bulk_max_records=4)
    extract_object(ex, "opportunity", tmp_path, DAY1, END1, now=NOW)
    got = rows(tmp_path, "salesforce", "opportunity", DAY1)
    assert len(got) == 10
    assert len(salesforce.calls("/results")) == 3  # 4 + 4 + 2, the last locator "null"
    assert salesforce.calls("/jobs/query")[0].body["operation"] == "queryAll"
    first = next(r for r in got if r["id"] == f"006{1:015d}")
    assert first["amount"] == 1_000_001.0 and first["is_deleted"] is False
    assert first["account_id"] == f"001{1:015d}"


def test_salesforce_5xx_then_success_and_an_increment_on_system_modstamp(salesforce, tmp_path):
    salesforce.fault("/queryAll", status=503, times=2)
    ex = sf_ex(salesforce)
    extract_object(ex, "opportunity", tmp_path, DAY1, END1, now=NOW)
    assert len(rows(tmp_path, "salesforce", "opportunity", DAY1)) == 10
    salesforce.objects["Opportunity"][0] = {**opportunity(0, 26), "StageName": "Closed Won"}
    extract_object(ex, "opportunity", tmp_path, DAY2, END2, now=NOW)
    got = rows(tmp_path, "salesforce", "opportunity", DAY2)
    assert [(r["id"], r["stage_name"]) for r in got] == [(f"006{0:015d}", "Closed Won")]
    soql = salesforce.calls("/queryAll")[-1].query["q"]
    assert "SystemModstamp >= 2026-01-06T00:00:00Z AND SystemModstamp < 2026-01-07T00:00:00Z" \
        in soql


def test_a_killed_extraction_reruns_with_no_duplicate_and_no_gap(salesforce, tmp_path):
    ex = sf_ex(salesforce, bulk_max_records=4)
    salesforce.fail_after(2, "/queryAll")  # the vendor goes away after page 2
    with pytest.raises(Exception, match="500"):
        extract_object(ex, "opportunity", tmp_path, DAY1, END1, now=NOW, rows_per_part=3)
    folder = tmp_path / "salesforce" / "opportunity" / DAY1.isoformat()
    assert not (folder / "_SUCCESS").exists()
    assert [p.name for p in folder.iterdir()] == ["part-0001.jsonl", "part-0002.jsonl.part"]
    assert read_cursor(tmp_path, "salesforce", "opportunity").cursor is None

    salesforce.heal()
    extract_object(ex, "opportunity", tmp_path, DAY1, END1, now=NOW, rows_per_part=3)
    got = [r["id"] for r in rows(tmp_path, "salesforce", "opportunity", DAY1)]
    assert sorted(got) == sorted(r["Id"] for r in salesforce.objects["Opportunity"])
    assert not list(folder.glob("*.part"))

    salesforce.objects["Opportunity"].append(opportunity(10, 24))  # exactly at the cursor
    extract_object(ex, "opportunity", tmp_path, DAY2, END2, now=NOW)
    assert [r["id"] for r in rows(tmp_path, "salesforce", "opportunity", DAY2)] == [
        f"006{10:015d}"]


def test_a_run_killed_after_its_markers_only_moves_the_cursor(salesforce, tmp_path,
                                                               monkeypatch):
    import kizuna.sources.extract.run as run

    def killed(*args: Any) -> None:
        raise KeyboardInterrupt("killed before the cursor was written")

    ex = sf_ex(salesforce)
    monkeypatch.setattr(run, "write_cursor", killed)
    with pytest.raises(KeyboardInterrupt):
        extract_object(ex, "opportunity", tmp_path, DAY1, END1, now=NOW)
    monkeypatch.undo()
    calls = len(salesforce.requests)
    res = extract_object(ex, "opportunity", tmp_path, DAY1, END1, now=NOW)
    assert res.status == "recovered"
    assert len(salesforce.requests) == calls  # nothing fetched twice
    assert read_cursor(tmp_path, "salesforce", "opportunity").cursor == END1
    assert len(rows(tmp_path, "salesforce", "opportunity", DAY1)) == 10


def test_a_second_window_into_the_same_day_adds_parts_and_keeps_the_first(salesforce,
                                                                          tmp_path):
    ex = sf_ex(salesforce)
    extract_object(ex, "opportunity", tmp_path, DAY1, T0 + timedelta(hours=5), now=NOW)
    extract_object(ex, "opportunity", tmp_path, DAY1, END1, now=NOW)
    folder = tmp_path / "salesforce" / "opportunity" / DAY1.isoformat()
    assert sorted(p.name for p in folder.glob("part-*")) == ["part-0001.jsonl",
                                                             "part-0002.jsonl"]
    assert len(rows(tmp_path, "salesforce", "opportunity", DAY1)) == 10
    marker = json.loads((folder / "_SUCCESS").read_text())
    assert [w[1] for w in marker["windows"]] == ["2026-01-05T05:00:00Z", "2026-01-06T00:00:00Z"]
    again = extract_object(ex, "opportunity", tmp_path, DAY1, END1, now=NOW)
    assert again.status == "up_to_date"
    assert len(rows(tmp_path, "salesforce", "opportunity", DAY1)) == 10


def test_a_window_never_reaches_past_now_less_the_lag(salesforce, tmp_path):
    res = extract_object(sf_ex(salesforce), "opportunity", tmp_path, DAY1, END1,
                         now=T0 + timedelta(hours=3, minutes=5), lag=timedelta(minutes=10))
    assert res.until == T0 + timedelta(hours=2, minutes=55)
    assert len(rows(tmp_path, "salesforce", "opportunity", DAY1)) == 3  # hours 0, 1, 2
    # the next run starts where this one stopped: the row of hour 3 is not lost
    extract_object(sf_ex(salesforce), "opportunity", tmp_path, DAY2, END2, now=NOW)
    assert f"006{3:015d}" in {r["id"] for r in rows(tmp_path, "salesforce", "opportunity",
                                                     DAY2)}


def test_wrong_credentials_fail_with_a_message_that_says_what_to_check(salesforce, tmp_path):
    creds = Credentials(host=salesforce.url, login="cid", password="wrong",
                        extra={"objects": ["Opportunity"]})
    with pytest.raises(Exception, match=r"400|invalid"):
        extract_object(extractor("salesforce", creds, FAST), "opportunity", tmp_path, DAY1,
                       END1, now=NOW)
    with pytest.raises(ExtractError, match="client id and secret"):
        extractor("marketo", Credentials(host=salesforce.url), FAST)


# -- Marketo -------------------------------------------------------------------------------
def activity(i: int, type_id: int, lead: int, hours: float, **attrs: Any) -> dict[str, Any]:
    return {"id": 5000 + i, "marketoGUID": str(5000 + i), "leadId": lead,
            "activityDate": ts(hours).replace(".000", ""), "activityTypeId": type_id,
            "campaignId": 77, "primaryAttributeValueId": 10, "primaryAttributeValue": "Mail 1",
            "attributes": [{"name": k, "value": v} for k, v in attrs.items()]}


@pytest.fixture
def marketo() -> Any:
    acts = [activity(0, 12, 1, 1, **{"Source Type": "Web form"}),
            activity(1, 6, 1, 2, **{"Campaign Run ID": 3}),
            activity(2, 10, 1, 3, Device="iPhone"),
            activity(3, 11, 2, 4, Link="https://example.co.jp/a"),
            activity(4, 13, 2, 5, **{"New Value": "CTO", "Old Value": "CIO"}),
            activity(5, 1, 3, 6, **{"Webpage URL": "/pricing"}),
            activity(6, 11, 1, 30, Link="https://example.co.jp/b")]  # day 2
    leads = [{"id": i, "email": f"l{i}@example.co.jp", "firstName": f"F{i}", "lastName": "L",
              "updatedAt": ts(1), "createdAt": ts(0)} for i in (1, 2, 3)]
    programs = [{"id": 1001, "name": "Webinar", "type": "Event", "channel": "Webinar",
                 "status": "", "createdAt": "2026-01-01T00:00:00Z+0000",
                 "updatedAt": "2026-01-05T03:00:00Z+0000", "folder": {"type": "Folder"}}]
    with MarketoMock(acts, leads, programs, page_size=2) as api:
        yield api


def mk_ex(api: MarketoMock) -> Any:
    creds = Credentials(host=api.url, login=api.client_id, password=api.client_secret)
    return extractor("marketo", creds, FAST)


def test_marketo_pages_activities_into_one_table_per_activity_type(marketo, tmp_path):
    marketo.fault("/rest/v1/activities.json", status=200, body=MarketoMock.rate_limited())
    ex = mk_ex(marketo)
    res = extract_object(ex, "activities", tmp_path, DAY1, END1, now=NOW)
    assert res.rows["activity_click_email"] == 1 and res.rows["activity_send_email"] == 1
    clicks = rows(tmp_path, "marketo", "activity_click_email", DAY1)
    assert clicks[0]["link"] == "https://example.co.jp/a" and clicks[0]["lead_id"] == 2
    assert {"id", "lead_id", "activity_date", "activity_type_id", "campaign_id",
            "primary_attribute_value_id", "primary_attribute_value"} <= set(clicks[0])
    sends = rows(tmp_path, "marketo", "activity_send_email", DAY1)
    assert sends[0]["campaign_run_id"] == 3
    assert rows(tmp_path, "marketo", "activity_delete_lead", DAY1) == []  # complete, empty
    assert all(len(c.query["activityTypeIds"].split(",")) <= 10
               for c in marketo.calls("/rest/v1/activities.json"))
    assert len(marketo.calls("/identity/oauth/token")) == 1
    assert marketo.calls("/rest/v1/activities.json")[0].headers["authorization"].startswith(
        "Bearer ")
    extract_object(ex, "activities", tmp_path, DAY2, END2, now=NOW)
    assert [r["id"] for r in rows(tmp_path, "marketo", "activity_click_email", DAY2)] == [5006]


def test_marketo_leads_are_those_created_or_changed_in_the_window(marketo, tmp_path):
    extract_object(mk_ex(marketo), "leads", tmp_path, DAY1, END1, now=NOW)
    got = rows(tmp_path, "marketo", "lead", DAY1)
    assert sorted(r["id"] for r in got) == [1, 2]
    assert {"email", "first_name", "updated_at", "created_at"} <= set(got[0])


def test_marketo_programs_by_updated_at(marketo, tmp_path):
    extract_object(mk_ex(marketo), "programs", tmp_path, DAY1, END1, now=NOW)
    got = rows(tmp_path, "marketo", "program", DAY1)
    assert [(p["id"], p["name"], p["channel"]) for p in got] == [(1001, "Webinar", "Webinar")]
    extract_object(mk_ex(marketo), "programs", tmp_path, DAY2, END2, now=NOW)
    assert rows(tmp_path, "marketo", "program", DAY2) == []


def test_marketo_rate_limit_that_never_clears_fails_the_run_without_moving_the_cursor(
        marketo, tmp_path):
    marketo.fault("/rest/v1/activities.json", status=200, times=99,
                  body=MarketoMock.rate_limited())
    with pytest.raises(ExtractError, match="606"):
        extract_object(mk_ex(marketo), "activities", tmp_path, DAY1, END1, now=NOW)
    assert read_cursor(tmp_path, "marketo", "activities").cursor is None


KILLED_CHILD = """
import sys
from datetime import datetime
from pathlib import Path
from kizuna.sources.extract import Credentials, RetryPolicy, extract_object, extractor
url, landing = sys.argv[1], Path(sys.argv[2])
creds = Credentials(host=url, login="cid", password="secret", extra={"objects": ["Opportunity"]})
ex = extractor("salesforce", creds, RetryPolicy(max_attempts=1))
extract_object(ex, "opportunity", landing, datetime.fromisoformat("2026-01-05").date(),
               datetime.fromisoformat("2026-01-06T00:00:00+00:00"),
               now=datetime.fromisoformat("2026-02-04T00:00:00+00:00"), rows_per_part=3)
"""


def test_a_process_killed_mid_page_leaves_no_complete_folder_and_its_rerun_has_every_row_once(
        salesforce, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    salesforce.hold_after(3, "/queryAll")  # the 4th page never comes: the process is killed
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, salesforce.url,
                              str(tmp_path)])
    try:
        deadline = time.monotonic() + 60
        while len(salesforce.calls("/queryAll")) < 4:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    salesforce.heal()
    folder = tmp_path / "salesforce" / "opportunity" / DAY1.isoformat()
    assert not (folder / "_SUCCESS").exists()
    assert (folder / "part-0001.jsonl").exists()  # a part was complete when it died
    assert read_cursor(tmp_path, "salesforce", "opportunity").cursor is None

    extract_object(sf_ex(salesforce), "opportunity", tmp_path, DAY1, END1, now=NOW,
                   rows_per_part=3)
    got = [r["id"] for r in rows(tmp_path, "salesforce", "opportunity", DAY1)]
    assert sorted(got) == sorted(r["Id"] for r in salesforce.objects["Opportunity"])


def test_an_object_too_wide_for_a_query_url_goes_as_a_bulk_job_without_order_by(tmp_path):
    wide = {f"Custom_Field_Number_{i:04d}__c": f"v{i}" for i in range(700)}
    account = {"Id": "001000000000000001", "IsDeleted": False,
               "SystemModstamp": ts(1), **wide}
    with SalesforceMock({"Account": [account]}) as api:
        creds = Credentials(host=api.url, login=api.client_id, password=api.client_secret,
                            extra={"objects": ["Account"], "poll_seconds": 0.01})
        extract_object(extractor("salesforce", creds, FAST), "account", tmp_path, DAY1, END1,
                       now=NOW)
        assert not api.calls("/queryAll") and len(api.calls("/jobs/query")) >= 1
        assert "ORDER BY" not in api.calls("/jobs/query")[0].body["query"]
    got = rows(tmp_path, "salesforce", "account", DAY1)
    assert got[0]["custom_field_number_0699_c"] == "v699"


def test_hubspot_email_events_land_in_the_common_table_and_their_type_table(tmp_path):
    def event(i: int, kind: str, hours: float, **own: Any) -> dict[str, Any]:
        return {"id": f"e{i}", "created": int((T0 + timedelta(hours=hours)).timestamp() * 1000),
                "type": kind, "recipient": "p1@example.co.jp", "portalId": 62515,
                "appId": 113, "emailCampaignId": 42, "sentBy": {"id": "s1", "created": 1},
                **own}

    events = [event(1, "SENT", 1, subject="Webinar"), event(2, "OPEN", 2, duration=1200,
              browser={"name": "Chrome"}), event(3, "CLICK", 3, url="https://example.co.jp/p"),
              event(4, "CLICK", 24)]  # exactly at the window's end: the next window's
    with HubSpotMock({}, email_events=events, page_size=2) as api:
        res = extract_object(hubspot_ex(api), "email_events", tmp_path, DAY1, END1, now=NOW)
        assert len(api.calls("/email/public/v1/events")) == 2
    assert res.rows["email_event"] == 3
    common = rows(tmp_path, "hubspot", "email_event", DAY1)
    assert {(e["id"], e["type"], e["email_campaign_id"], e["sent_by_id"]) for e in common} == {
        ("e1", "SENT", 42, "s1"), ("e2", "OPEN", 42, "s1"), ("e3", "CLICK", 42, "s1")}
    opened = rows(tmp_path, "hubspot", "email_event_open", DAY1)
    assert opened == [{"id": "e2", "duration": 1200, "browser": '{"name": "Chrome"}',
                       "_fivetran_synced": opened[0]["_fivetran_synced"]}]
    assert rows(tmp_path, "hubspot", "email_event_click", DAY1)[0]["url"].endswith("/p")
    assert rows(tmp_path, "hubspot", "email_event_bounce", DAY1) == []


def test_marketo_bulk_export_gives_the_same_activity_rows_as_the_rest_api(marketo, tmp_path):
    rest = extract_object(mk_ex(marketo), "activities", tmp_path / "rest", DAY1, END1, now=NOW)
    creds = Credentials(host=marketo.url, login=marketo.client_id,
                        password=marketo.client_secret,
                        extra={"bulk_activities": True, "poll_seconds": 0.01})
    since = T0 - timedelta(days=40)  # two jobs: a job spans 31 days at most
    bulk = extract_object(extractor("marketo", creds, FAST), "activities", tmp_path / "bulk",
                          DAY1, END1, now=NOW, initial_since=since)
    assert len(marketo.calls("/export/create.json")) == 2
    assert bulk.rows == rest.rows
    for table, n in rest.rows.items():
        if n:
            def strip(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
                return sorted(({k: str(v) for k, v in r.items() if k != "_fivetran_synced"}
                               for r in rs), key=lambda r: r["id"])
            assert strip(rows(tmp_path / "bulk", "marketo", table, DAY1)) == strip(
                rows(tmp_path / "rest", "marketo", table, DAY1)), table


def test_marketo_logs_in_again_when_its_token_is_refused_mid_run(marketo, tmp_path):
    ex = mk_ex(marketo)
    extract_object(ex, "programs", tmp_path, DAY1, END1, now=NOW)
    marketo.revoke_tokens()  # the token the extractor holds is now answered with 601
    extract_object(ex, "activities", tmp_path, DAY1, END1, now=NOW)
    assert len(marketo.calls("/identity/oauth/token")) == 2
    assert len(rows(tmp_path, "marketo", "activity_click_email", DAY1)) == 1


def test_marketo_program_costs_and_tags_and_smart_campaigns_land_as_fivetran_tables(tmp_path):
    programs = [{"id": 1001, "name": "Webinar", "type": "Event", "channel": "Webinar",
                 "createdAt": "2026-01-01T00:00:00Z+0000",
                 "updatedAt": "2026-01-05T03:00:00Z+0000", "folder": {"type": "Folder"},
                 "costs": [{"startDate": "2026-01-01", "cost": 300000, "note": "venue"},
                           {"startDate": "2026-02-01", "cost": 50000}],
                 "tags": [{"tagType": "Product", "tagValue": "P-02"}]}]
    smart = [{"id": 7, "name": "Register", "type": "trigger", "isActive": True,
              "createdAt": "2026-01-01T00:00:00Z+0000",
              "updatedAt": "2026-01-05T04:00:00Z+0000", "parentProgramId": 1001,
              "folder": {"type": "Program", "id": 1001}},
             {"id": 8, "name": "Later", "type": "batch", "isActive": False,
              "updatedAt": "2026-01-06T04:00:00Z+0000", "folder": {"type": "Program",
                                                                   "id": 1002}}]
    with MarketoMock([], [], programs, smart_campaigns=smart) as api:
        ex = mk_ex(api)
        extract_object(ex, "programs", tmp_path, DAY1, END1, now=NOW)
        assert len(api.calls("/rest/asset/v1/program/1001.json")) == 1  # browsing has no tags
        extract_object(ex, "smart_campaigns", tmp_path, DAY1, END1, now=NOW)
        extract_object(ex, "smart_campaigns", tmp_path, DAY2, END2, now=NOW)
    costs = rows(tmp_path, "marketo", "program_cost", DAY1)
    assert [(c["program_id"], c["index"], c["cost"], c["note"], c["start_date"])
            for c in costs] == [(1001, 0, 300000, "venue", "2026-01-01"),
                                (1001, 1, 50000, None, "2026-02-01")]
    tags = rows(tmp_path, "marketo", "program_tag", DAY1)
    assert [(t["program_id"], t["tag_type"], t["tag_value"]) for t in tags] == [
        (1001, "Product", "P-02")]
    day1 = rows(tmp_path, "marketo", "campaign", DAY1)
    assert [(c["id"], c["program_id"], c["active"], c["type"]) for c in day1] == [
        (7, 1001, True, "trigger")]
    # no parentProgramId: the program folder it sits in is its program
    assert [(c["id"], c["program_id"]) for c in rows(tmp_path, "marketo", "campaign", DAY2)
            ] == [(8, 1002)]


def test_marketo_custom_activity_types_land_by_name_or_in_activity_custom(tmp_path):
    types = [*MARKETO_TYPES,
             {"id": 100001, "name": "Download Content", "apiName": "downloadContent_c",
              "isCustom": True, "primaryAttribute": {"name": "Asset ID"},
              "attributes": [{"name": "Asset"}]},
             {"id": 100005, "name": "Product Trial", "apiName": "productTrial_c",
              "primaryAttribute": {"name": "Trial ID"}, "attributes": [{"name": "Plan"}]}]
    acts = [activity(0, 100001, 1, 2, Asset="whitepaper.pdf"),
            activity(1, 100005, 2, 3, Plan="pro"), activity(2, 10, 1, 4, Device="PC")]
    with MarketoMock(acts, [], types=types) as api:
        res = extract_object(mk_ex(api), "activities", tmp_path, DAY1, END1, now=NOW)
    assert res.rows["activity_download_content"] == 1 and res.rows["activity_custom"] == 1
    assert rows(tmp_path, "marketo", "activity_download_content", DAY1)[0]["asset"] == \
        "whitepaper.pdf"
    other = rows(tmp_path, "marketo", "activity_custom", DAY1)[0]
    assert (other["activity_type_name"], other["api_name"], other["lead_id"]) == (
        "Product Trial", "productTrial_c", 2)
    assert json.loads(other["attributes"]) == {"Plan": "pro"}
