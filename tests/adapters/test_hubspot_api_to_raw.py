"""HubSpot from its API to raw: the extractor lands Fivetran-shaped tables from a local
server that answers like HubSpot, the hubspot_fivetran adapter maps them, the loader and
the gate load them. The whole vendor path, with no file written by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kizuna.ingest.adapt import NOT_SELECTED
from kizuna.sources.extract import Credentials, RetryPolicy, extract_object
from kizuna.sources.extract.mock import HubSpotMock
from kizuna.sources.extract.run import extractor
from kizuna.warehouse import connection

T0 = datetime(2026, 1, 5, tzinfo=UTC)
DAY = date(2026, 1, 5)


def _ts(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _record(rid: str, hours: float, **props: Any) -> dict[str, Any]:
    return {"id": rid, "createdAt": _ts(-48), "updatedAt": _ts(hours), "archived": False,
            "properties": {"createdate": _ts(-48), "lastmodifieddate": _ts(hours),
                           "hs_lastmodifieddate": _ts(hours), **props}}


@pytest.fixture
def landed(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text("vendors:\n  hubspot:\n    adapter: hubspot_fivetran\n",
                       encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    objects = {
        "contacts": [_record("101", 1, email="aoi@example.co.jp", firstname="Aoi"),
                     _record("102", 2, email="ken@example.com", firstname="Ken"),
                     {**_record("103", 3, email="gone@example.com"), "archived": True,
                      "archivedAt": _ts(4)}],
        "companies": [_record("501", 1, name="Example KK", domain="example.co.jp")],
        "deals": [_record("901", 2, dealname="Big", amount="1200000", dealstage="closedwon",
                          pipeline="default", hs_is_closed="true", hs_is_closed_won="true"),
                  _record("902", 5, dealname="Orphan", amount="5000",
                          dealstage="appointmentscheduled", pipeline="default")],
    }
    # HubSpot lists a property's history newest first
    objects["deals"][0]["propertiesWithHistory"] = {"dealstage": [
        {"value": "1234567", "timestamp": _ts(2), "sourceType": "CRM_UI"},
        {"value": "qualifiedtobuy", "timestamp": _ts(-24), "sourceType": "CRM_UI"},
        {"value": "appointmentscheduled", "timestamp": _ts(-48), "sourceType": "API"}]}
    links = {("deals", "companies"): {"901": ["501"]},
             ("contacts", "companies"): {"101": ["501"]}}
    ms = int(T0.timestamp() * 1000)
    events = [{"id": f"e{i}", "created": ms + i * 60_000, "type": kind,
               "recipient": "aoi@example.co.jp", "emailCampaignId": 42, "portalId": 1}
              for i, kind in enumerate(["SENT", "DELIVERED", "OPEN", "CLICK"], start=1)]
    events[3]["url"] = "https://example.co.jp/pricing"
    landing = kizuna_home / "landing"
    campaigns = [{"id": 42, "appId": 113, "appName": "Batch", "name": "January webinar",
                  "subject": "Join us", "type": "BATCH_EMAIL", "lastUpdatedTime": ms - 3600_000}]
    # a portal's own stage id: only the pipeline's stage list says it is won
    pipelines = {"deals": [{"id": "default", "label": "Sales", "updatedAt": _ts(-72),
                            "stages": [{"id": "1234567", "label": "Signed", "metadata": {
                                "isClosed": "true", "probability": "1.0"}}]}]}
    with HubSpotMock(objects, links, page_size=2, email_events=events,
                     email_campaigns=campaigns, pipelines=pipelines) as api:
        ex = extractor("hubspot", Credentials(host=api.url, password=api.token),
                       RetryPolicy(max_attempts=3, backoff_factor=0.01, max_delay=1))
        for obj in ex.objects():
            extract_object(ex, obj, landing, DAY, T0 + timedelta(days=1),
                           now=T0 + timedelta(days=30))
    return kizuna_home


def test_hubspot_api_records_reach_raw_through_the_adapter(landed: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, DAY + timedelta(days=1))
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        mapping = wh.query("SELECT vendor_table, target_table, outcome, reason, row_count "
                           "FROM audit.vendor_mapping ORDER BY ALL")
        leads = wh.query("SELECT lead_id FROM raw.ma_leads ORDER BY 1")
        contacts = wh.query("SELECT contact_id, account_id FROM raw.crm_contacts")
        deals = wh.query("SELECT opportunity_id, account_id, stage, is_won, amount_jpy "
                         "FROM raw.crm_opportunities")
        acts = wh.query("SELECT activity_type, lead_id, campaign_id, url FROM raw.ma_activities "
                        "ORDER BY occurred_at")
        history = wh.query("SELECT opportunity_id, stage FROM raw.crm_opportunity_history "
                           "ORDER BY changed_at")
        campaigns = wh.query("SELECT campaign_id, name, channel FROM raw.ma_campaigns")
    assert all(m[3] != NOT_SELECTED for m in mapping)
    assert leads == [("101",), ("102",)]  # 103 was archived: excluded as deleted
    assert contacts == [("101", "501")]  # the contact_company association
    assert [(d[0], d[1], d[2], d[3], float(d[4])) for d in deals] == [
        ("901", "501", "closed_won", True, 1200000.0)]
    assert ("deal", "crm_opportunities", "excluded", "deal has no associated company", 1) \
        in mapping
    assert [a[0] for a in acts] == ["email_send", "email_open", "email_click"]
    assert {a[1] for a in acts} == {"101"} and {a[2] for a in acts} == {"42"}
    assert acts[2][3] == "https://example.co.jp/pricing"
    assert ("email_event", "ma_activities", "excluded",
            "e-mail event type DELIVERED has no contract activity type", 1) in mapping
    # the deal's stage history and the marketing e-mail its events name reach raw too
    assert history == [("901", "prospecting"), ("901", "qualification"), ("901", "closed_won")]
    assert campaigns == [("42", "January webinar", "email")]
