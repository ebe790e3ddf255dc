"""HubSpot CRM v3: contacts, companies and deals with their associations.

Objects are read with the list endpoint on a first run (everything, paged with ``after``)
and with the search endpoint afterwards (``lastmodifieddate`` / ``hs_lastmodifieddate``
in ``[since, until)``, sorted ascending, paged with ``after`` in the body). Archived
(deleted) records come from the list endpoint with ``archived=true`` and land with
``_fivetran_deleted = true`` when they were archived in the window. Associations
(``deal_company``, ``deal_contact``, ``contact_company``) are read for the records of each
page with the v4 batch endpoint. Marketing e-mail events (legacy email events API, by
``created`` time, paged by ``offset``) land in ``email_event`` and ``email_event_<type>``
(``email_event_open``, ``email_event_click`` ...). A deal's stage history comes with the
deals of each page (batch read with ``propertiesWithHistory=dealstage``, 50 deals a call,
HubSpot's cap when history is asked for): each stage entered in the window lands in
``deal_stage`` (``deal_id``, ``date_entered``, ``value``, ``source``, ``source_id``), so every
entry lands once whatever the windows. Marketing e-mails (the campaigns e-mail events name:
``/email/public/v1/campaigns/by-id``, paged by ``offset``, then each campaign updated in the
window by id) land in ``email_campaign``. The deal pipelines' stages
(``/crm/v3/pipelines/deals``: a stage's ``isClosed`` and ``probability``, 1.0 when won)
land in ``deal_pipeline_stage`` when their pipeline changed in the window; a stage history
entry names a stage by id, and only they say what it means. Tables and columns follow Fivetran's
HubSpot schema: ``contact``/``company`` with ``id`` and ``property_<name>``; ``deal`` with
``deal_id``, ``deal_pipeline_id``, ``deal_pipeline_stage_id``, ``owner_id``.

Connection: host = ``https://api.hubapi.com`` (or a test server), password = a private
app's access token; extra ``properties`` = ``{"contacts": [...], ...}`` to read more.
The search endpoint returns at most 10,000 records per query: a window with more is
split in halves until each half fits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from kizuna.sources.extract.base import (
    Credentials,
    ExtractError,
    RetryPolicy,
    Row,
    check,
    chunks,
    http_session,
    parse_ts,
    snake_case,
)

#: object -> (landing table, modification-time property, default properties)
OBJECTS: dict[str, tuple[str, str, list[str]]] = {
    "contacts": ("contact", "lastmodifieddate", [
        "email", "firstname", "lastname", "company", "jobtitle", "phone", "lifecyclestage",
        "hs_lead_status", "createdate", "lastmodifieddate", "associatedcompanyid",
        "hs_merged_object_ids",
    ]),
    "companies": ("company", "hs_lastmodifieddate", [
        "name", "domain", "industry", "numberofemployees", "annualrevenue", "city", "state",
        "country", "createdate", "hs_lastmodifieddate", "hubspot_owner_id",
    ]),
    "deals": ("deal", "hs_lastmodifieddate", [
        "dealname", "amount", "dealstage", "pipeline", "closedate", "createdate",
        "hs_lastmodifieddate", "hubspot_owner_id", "hs_is_closed", "hs_is_closed_won",
        "closed_lost_reason",
    ]),
}
#: object -> [(associated object, landing table, from column, to column)]
ASSOCIATIONS: dict[str, list[tuple[str, str, str, str]]] = {
    "contacts": [("companies", "contact_company", "contact_id", "company_id")],
    "deals": [("companies", "deal_company", "deal_id", "company_id"),
              ("contacts", "deal_contact", "deal_id", "contact_id")],
}
#: Marketing e-mail event types (legacy email events API) -> landing table suffix
EMAIL_EVENT_TYPES: dict[str, str] = {
    "SENT": "sent", "DROPPED": "dropped", "PROCESSED": "processed", "DELIVERED": "delivered",
    "DEFERRED": "deferred", "BOUNCE": "bounce", "OPEN": "open", "CLICK": "click",
    "PRINT": "print", "FORWARD": "forward", "STATUSCHANGE": "status_change",
    "SPAMREPORT": "spam_report", "SUPPRESSED": "suppressed",
}
#: Columns every event has (in ``email_event``); the rest go to the type's own table.
EMAIL_EVENT_COMMON = ("id", "created", "type", "recipient", "portalId", "appId",
                      "appName", "emailCampaignId", "sentBy", "obsoletedBy", "causedBy",
                      "filteredEvent")
SEARCH_LIMIT = 10_000  # HubSpot's cap on the results of one search query
PAGE = 100
HISTORY_BATCH = 50  # batch read's cap on inputs when propertiesWithHistory is asked for
#: object -> (property whose history is read, landing table)
HISTORIES: dict[str, tuple[str, str]] = {"deals": ("dealstage", "deal_stage")}
#: Marketing e-mail (email campaign) fields as Fivetran's email_campaign names them
EMAIL_CAMPAIGN_FIELDS = ("id", "appId", "appName", "contentId", "name", "subject", "type",
                         "subType", "numIncluded", "numQueued")


def _ms(ts: datetime) -> str:
    return str(int(ts.timestamp() * 1000))


class HubSpot:
    vendor = "hubspot"

    def __init__(self, credentials: Credentials, policy: RetryPolicy) -> None:
        if not credentials.password:
            raise ExtractError("HubSpot connection has no password: set it to a private "
                               "app's access token")
        self.extra = credentials.extra
        self.client = RESTClient(
            base_url=credentials.base_url,
            auth=BearerTokenAuth(credentials.password),
            session=http_session(policy),
            data_selector="results",
        )

    def objects(self) -> list[str]:
        return [*OBJECTS, "email_events", "email_campaigns", "deal_pipelines"]

    def tables(self, obj: str) -> list[str]:
        if obj == "deal_pipelines":
            return ["deal_pipeline_stage"]
        if obj == "email_events":
            return ["email_event"] + [f"email_event_{t}" for t in EMAIL_EVENT_TYPES.values()]
        if obj == "email_campaigns":
            return ["email_campaign"]
        history = [HISTORIES[obj][1]] if obj in HISTORIES else []
        return [OBJECTS[obj][0]] + [a[1] for a in ASSOCIATIONS.get(obj, [])] + history

    def properties(self, obj: str) -> list[str]:
        return list((self.extra.get("properties") or {}).get(obj) or OBJECTS[obj][2])

    def rows(self, obj: str, since: datetime | None, until: datetime) -> Iterator[Row]:
        if obj == "email_events":
            yield from self._email_events(since, until)
            return
        if obj == "email_campaigns":
            yield from self._email_campaigns(since, until)
            return
        if obj == "deal_pipelines":
            yield from self._pipeline_stages(since, until)
            return
        pages = self._list(obj, until) if since is None else self._search(obj, since, until)
        for records in pages:
            yield from self._records(obj, records, deleted=False)
            if obj in HISTORIES:
                yield from self._history(obj, [str(r["id"]) for r in records], since, until)
        for records in self._archived(obj, since, until):
            yield from self._records(obj, records, deleted=True)

    # -- reading --------------------------------------------------------------------
    def _list(self, obj: str, until: datetime) -> Iterator[list[dict[str, Any]]]:
        params = {"limit": PAGE, "properties": ",".join(self.properties(obj)),
                  "archived": "false"}
        for page in self.client.paginate(
            f"/crm/v3/objects/{obj}", params=params,
            paginator=JSONResponseCursorPaginator(cursor_path="paging.next.after",
                                                  cursor_param="after"),
        ):
            yield [r for r in page if parse_ts(r["updatedAt"]) < until]

    def _search(self, obj: str, since: datetime, until: datetime
                ) -> Iterator[list[dict[str, Any]]]:
        prop = OBJECTS[obj][1]
        body: dict[str, Any] = {
            "filterGroups": [{"filters": [
                {"propertyName": prop, "operator": "GTE", "value": _ms(since)},
                {"propertyName": prop, "operator": "LT", "value": _ms(until)},
            ]}],
            "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
            "properties": self.properties(obj),
            "limit": PAGE,
        }
        first = check(self.client.post(f"/crm/v3/objects/{obj}/search", json=body),
                      f"HubSpot search {obj}").json()
        if int(first.get("total", 0)) > SEARCH_LIMIT and until - since > _SECOND:
            middle = since + (until - since) / 2
            yield from self._search(obj, since, middle)
            yield from self._search(obj, middle, until)
            return
        yield first.get("results", [])
        after = (first.get("paging") or {}).get("next", {}).get("after")
        if after is None:
            return
        for page in self.client.paginate(
            f"/crm/v3/objects/{obj}/search", method="POST", json={**body, "after": after},
            paginator=JSONResponseCursorPaginator(cursor_path="paging.next.after",
                                                  cursor_body_path="after"),
        ):
            yield list(page)

    def _archived(self, obj: str, since: datetime | None, until: datetime
                  ) -> Iterator[list[dict[str, Any]]]:
        params = {"limit": PAGE, "properties": ",".join(self.properties(obj)),
                  "archived": "true"}
        for page in self.client.paginate(
            f"/crm/v3/objects/{obj}", params=params,
            paginator=JSONResponseCursorPaginator(cursor_path="paging.next.after",
                                                  cursor_param="after"),
        ):
            kept = []
            for r in page:
                at = parse_ts(r.get("archivedAt") or r["updatedAt"])
                if (since is None or since <= at) and at < until:
                    kept.append(r)
            yield kept

    def _associations(self, obj: str, to: str, ids: list[str]) -> dict[str, list[dict]]:
        if not ids:
            return {}
        resp = check(self.client.post(
            f"/crm/v4/associations/{obj}/{to}/batch/read",
            json={"inputs": [{"id": i} for i in ids]},
        ), f"HubSpot associations {obj} -> {to}")
        out: dict[str, list[dict]] = {}
        for result in resp.json().get("results", []):
            out[str(result["from"]["id"])] = result.get("to", [])
        return out

    def _history(self, obj: str, ids: list[str], since: datetime | None, until: datetime
                 ) -> Iterator[Row]:
        """The values ``obj``'s history property took in ``[since, until)``, for the records
        ``ids`` (read in this window because they changed in it: a value set in the window
        changed its record then, so each value lands in exactly one window)."""
        prop, table = HISTORIES[obj]
        synced = datetime.now(UTC).isoformat()
        for batch in chunks(ids, HISTORY_BATCH):
            body = check(self.client.post(f"/crm/v3/objects/{obj}/batch/read", json={
                "inputs": [{"id": i} for i in batch], "properties": [prop],
                "propertiesWithHistory": [prop]}), f"HubSpot {obj} {prop} history").json()
            for record in body.get("results", []):
                for entry in (record.get("propertiesWithHistory") or {}).get(prop) or []:
                    at = parse_ts(entry["timestamp"])
                    if (since is not None and at < since) or at >= until:
                        continue
                    yield table, {"deal_id": str(record["id"]), "date_entered": entry[
                        "timestamp"], "value": entry.get("value"),
                        "source": entry.get("sourceType"), "source_id": entry.get("sourceId"),
                        "_fivetran_synced": synced}

    def _pipeline_stages(self, since: datetime | None, until: datetime) -> Iterator[Row]:
        """Every stage of each deal pipeline updated in the window (one call: the
        pipelines API neither pages nor filters)."""
        synced = datetime.now(UTC).isoformat()
        body = check(self.client.get("/crm/v3/pipelines/deals"),
                     "HubSpot deal pipelines").json()
        for pipeline in body.get("results", []):
            stamps = [parse_ts(x["updatedAt"]) for x in [pipeline, *pipeline.get("stages", [])]
                      if x.get("updatedAt")]
            changed = max(stamps) if stamps else None
            if changed is not None and ((since is not None and changed < since)
                                        or changed >= until):
                continue
            for stage in pipeline.get("stages") or []:
                meta = stage.get("metadata") or {}
                closed = str(meta.get("isClosed", "")).lower() == "true"
                probability = meta.get("probability")
                yield "deal_pipeline_stage", {
                    "stage_id": stage["id"], "pipeline_id": pipeline["id"],
                    "label": stage.get("label"), "probability": probability,
                    "closed_won": closed and probability is not None
                    and float(probability) == 1.0,
                    "is_closed": closed, "active": not stage.get("archived", False),
                    "display_order": stage.get("displayOrder"),
                    "_fivetran_deleted": bool(pipeline.get("archived")),
                    "_fivetran_synced": synced}

    def _email_campaigns(self, since: datetime | None, until: datetime) -> Iterator[Row]:
        """Marketing e-mails updated in the window: their ids from ``campaigns/by-id``
        (``lastUpdatedTime`` in ms), then each by id for its name, subject and type."""
        synced = datetime.now(UTC).isoformat()
        lo, hi = (int(_ms(since)) if since else None), int(_ms(until))
        for page in self.client.paginate(
            "/email/public/v1/campaigns/by-id", params={"limit": 1000},
            data_selector="campaigns",
            paginator=JSONResponseCursorPaginator(cursor_path="offset", cursor_param="offset",
                                                  has_more_path="hasMore"),
        ):
            for ref in page:
                updated = int(ref.get("lastUpdatedTime") or 0)
                if (lo is not None and updated < lo) or updated >= hi:
                    continue
                campaign = check(self.client.get(f"/email/public/v1/campaigns/{ref['id']}"),
                                 f"HubSpot e-mail campaign {ref['id']}").json()
                row = {snake_case(k): campaign.get(k) for k in EMAIL_CAMPAIGN_FIELDS}
                row["_fivetran_synced"] = synced
                yield "email_campaign", row

    def _email_events(self, since: datetime | None, until: datetime) -> Iterator[Row]:
        """Marketing e-mail events created in the window (``startTimestamp`` and
        ``endTimestamp`` are inclusive, so the end is checked here), paged by ``offset``
        until ``hasMore`` is false: one row in ``email_event`` and one in the type's table."""
        params: dict[str, Any] = {"limit": 1000, "endTimestamp": int(_ms(until)) - 1}
        if since is not None:
            params["startTimestamp"] = _ms(since)
        synced = datetime.now(UTC).isoformat()
        for page in self.client.paginate(
            "/email/public/v1/events", params=params, data_selector="events",
            paginator=JSONResponseCursorPaginator(cursor_path="offset", cursor_param="offset",
                                                  has_more_path="hasMore"),
        ):
            for event in page:
                if int(event["created"]) >= int(_ms(until)):
                    continue
                common = {snake_case(k): _flat(event.get(k)) for k in EMAIL_EVENT_COMMON}
                for ref in ("sentBy", "obsoletedBy", "causedBy"):
                    value = event.get(ref) or {}
                    common[f"{snake_case(ref)}_id"] = value.get("id")
                    common[f"{snake_case(ref)}_created"] = value.get("created")
                    common.pop(snake_case(ref), None)
                common["_fivetran_synced"] = synced
                yield "email_event", common
                suffix = EMAIL_EVENT_TYPES.get(str(event.get("type")))
                if suffix:
                    own = {snake_case(k): _flat(v) for k, v in event.items()
                           if k not in EMAIL_EVENT_COMMON}
                    yield f"email_event_{suffix}", {"id": event["id"], **own,
                                                    "_fivetran_synced": synced}

    # -- shaping --------------------------------------------------------------------
    def _records(self, obj: str, records: list[dict[str, Any]], deleted: bool
                 ) -> Iterator[Row]:
        table = OBJECTS[obj][0]
        synced = datetime.now(UTC).isoformat()
        for r in records:
            yield table, self._row(obj, r, deleted, synced)
        if deleted:
            return
        ids = [str(r["id"]) for r in records]
        for to, assoc_table, from_col, to_col in ASSOCIATIONS.get(obj, []):
            for from_id, targets in self._associations(obj, to, ids).items():
                for target in targets:
                    for kind in target.get("associationTypes") or [{}]:
                        yield assoc_table, {
                            from_col: from_id, to_col: str(target["toObjectId"]),
                            "type_id": kind.get("typeId"), "category": kind.get("category"),
                            "_fivetran_synced": synced,
                        }

    def _row(self, obj: str, r: dict[str, Any], deleted: bool, synced: str) -> dict[str, Any]:
        props = r.get("properties") or {}
        row: dict[str, Any] = {f"property_{k}": v for k, v in props.items()}
        row.update({"_fivetran_deleted": deleted, "_fivetran_synced": synced,
                    "is_deleted": deleted, "created_at": r.get("createdAt"),
                    "updated_at": r.get("updatedAt")})
        if obj == "deals":
            row.update({"deal_id": str(r["id"]), "deal_pipeline_id": props.get("pipeline"),
                        "deal_pipeline_stage_id": props.get("dealstage"),
                        "owner_id": props.get("hubspot_owner_id")})
        else:
            row["id"] = str(r["id"])
        return row


def _flat(value: Any) -> Any:
    """Nested values (browser, location) as JSON text, as loading tools land them."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True) \
        if isinstance(value, dict | list) else value


_SECOND = datetime(2000, 1, 1, 0, 0, 1) - datetime(2000, 1, 1)
