"""Marketo: activities, the leads they touch, and programs.

Login: the identity endpoint's OAuth token (``/identity/oauth/token``, client
credentials), renewed when it expires, sent as a bearer header. Activities: a paging
token for ``since`` (``/rest/v1/activities/pagingtoken.json``), then
``/rest/v1/activities.json`` with up to ten ``activityTypeIds`` a call, paged with
``nextPageToken`` until ``moreResult`` is false; rows at or after ``until`` are left for
the next window. Type names and attributes come from ``/rest/v1/activities/types.json``.
Custom activity types (``isCustom``, an ``apiName``, or an id from 100000) are read too:
one whose table the marketo_fivetran adapter reads (``activity_download_content`` ...)
lands there, as a loading tool lands it; any other in ``activity_custom`` with its type's
name and its attributes as one JSON text, so the adapter maps it by name or counts it
excluded with its reason. Leads: those with a *New Lead* or *Change Data Value* activity
in the window, read by id from ``/rest/v1/leads.json`` (300 a call). Programs:
``/rest/asset/v1/programs.json`` filtered on ``updatedAt``, paged by offset; a program's
``costs`` (periods of ``startDate``, ``cost``, ``note``) land in ``program_cost`` and its
tags, which browsing does not return, are read by id (``/rest/asset/v1/program/{id}.json``)
into ``program_tag``. Smart campaigns (``/rest/asset/v1/smartCampaigns.json``, by
``updatedAt``, paged by offset) land in ``campaign`` with their parent program: the
contract has no entity for them (they are the automation inside a program, not a
campaign), but an activity names its smart campaign, and only they lead it to its program.

With extra ``bulk_activities: true`` activities come from bulk export jobs instead
(``/bulk/v1/activities/export``: create with a ``createdAt`` range of at most 31 days,
enqueue, poll the status, read the CSV file), which spares the daily call quota.

Marketo answers rate limits with HTTP 200 and ``success: false`` (error 606: too many
calls in 20 s; 615: too many concurrent calls): those are retried with backoff like 429.

Tables follow Fivetran's Marketo schema: ``lead`` (field names in snake case),
``activity_<type name in snake case>`` (``activity_send_email``, ``activity_click_email``
...; ``id``, ``lead_id``, ``activity_date``, ``activity_type_id``, ``campaign_id``,
``primary_attribute_value_id``, ``primary_attribute_value`` and the type's attributes),
``program``, ``program_cost``, ``program_tag``, ``campaign`` (smart campaigns).

Connection: host = the REST endpoint (``https://<munchkin>.mktorest.com``), login/password
= client id and secret; extra ``activity_types`` (names) and ``lead_fields``.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pendulum
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
from dlt.sources.helpers.rest_client.paginators import (
    JSONResponseCursorPaginator,
    OffsetPaginator,
)
from requests import Response

from kizuna.sources.extract.base import (
    Credentials,
    ExtractError,
    RetryPolicy,
    Row,
    check,
    chunks,
    http_session,
    iso,
    parse_ts,
    snake_case,
)

OBJECTS: tuple[str, ...] = ("activities", "leads", "programs", "smart_campaigns")
#: The activity types an ABM warehouse reads by default (Marketo's standard names).
ACTIVITY_TYPES: tuple[str, ...] = (
    "New Lead", "Change Data Value", "Delete Lead", "Merge Leads", "Send Email",
    "Email Delivered", "Email Bounced", "Unsubscribe Email", "Open Email", "Click Email",
    "Visit Webpage", "Fill Out Form", "Click Link", "Change Status in Progression",
    "Add to List", "Interesting Moment",
)
LEAD_CHANGE_TYPES = ("New Lead", "Change Data Value")
LEAD_FIELDS: tuple[str, ...] = (
    "id", "email", "firstName", "lastName", "company", "title", "department", "phone",
    "leadSource", "unsubscribed", "createdAt", "updatedAt",
)
CUSTOM_TYPE_IDS = 100_000  # Marketo numbers custom activity types from here
CUSTOM_TABLE = "activity_custom"  # custom types no adapter table is named for
#: Smart campaign fields (Asset API) -> Fivetran's campaign column
SMART_CAMPAIGN_FIELDS: dict[str, str] = {
    "id": "id", "name": "name", "description": "description", "type": "type",
    "status": "status", "createdAt": "created_at", "updatedAt": "updated_at",
    "isActive": "active", "isSystem": "is_system", "isRequestable": "is_requestable",
    "isCommunicationLimitEnabled": "is_communication_limit_enabled",
    "qualificationRuleType": "qualification_rule_type",
    "qualificationRuleInterval": "qualification_rule_interval",
    "qualificationRuleUnit": "qualification_rule_unit", "maxMembers": "max_members",
    "workspace": "workspace_name", "computedUrl": "computed_url", "flowId": "flow_id",
    "smartListId": "smart_list_id",
}
RETRY_CODES = {"606", "615"}  # rate limit, concurrency limit: wait and try again
TOKEN_CODES = {"601", "602"}  # access token invalid, expired: log in again
RENEWED = "X-Kizuna-Token-Renewed"  # marks the one re-send after a new token


def _rate_limited(response: Response | None, exc: BaseException | None) -> bool:
    if response is None or response.status_code != 200:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict) or body.get("success", True):
        return False
    return any(str(e.get("code")) in RETRY_CODES for e in body.get("errors", []))


class MarketoIdentity(OAuth2ClientCredentials):
    """Marketo's identity token: a GET with the client id and secret as query parameters."""

    def obtain_token(self) -> None:
        response = self.session.get(self.access_token_url, params={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret,
        })
        body = check(response, "Marketo identity token").json()
        if "access_token" not in body:
            raise ExtractError(f"Marketo identity endpoint gave no token: {body!r}; check "
                               "the connection's client id and secret")
        self.parse_native_representation(str(body["access_token"]))
        # renew a minute early: a token that expires mid-page fails with error 601/602
        self.token_expiry = pendulum.now().add(seconds=max(int(body.get("expires_in", 3600))
                                                           - 60, 0))


def _ok(body: dict[str, Any], what: str) -> dict[str, Any]:
    if not body.get("success", False):
        raise ExtractError(f"Marketo {what} failed: {body.get('errors')!r}; 606/615 are rate "
                           "limits (raise max_attempts or wait), 601/602 an invalid token")
    return body


class ActivityPaginator(JSONResponseCursorPaginator):
    """``nextPageToken`` until ``moreResult`` is false; a ``success: false`` answer that
    retrying did not cure stops the extraction with Marketo's error codes."""

    def __init__(self) -> None:
        super().__init__(cursor_path="nextPageToken", cursor_param="nextPageToken",
                         has_more_path="moreResult")

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        _ok(response.json(), "activities")
        super().update_state(response, data)


class Marketo:
    vendor = "marketo"

    def __init__(self, credentials: Credentials, policy: RetryPolicy) -> None:
        if not (credentials.login and credentials.password):
            raise ExtractError("Marketo connection needs login and password (the API "
                               "user's client id and secret)")
        extra = credentials.extra
        self.type_names = list(extra.get("activity_types") or ACTIVITY_TYPES)
        self.lead_fields = list(extra.get("lead_fields") or LEAD_FIELDS)
        self.bulk_activities = bool(extra.get("bulk_activities", False))
        self.poll_seconds = float(extra.get("poll_seconds", 30))
        session = http_session(policy, retry_if=_rate_limited)
        base = credentials.base_url
        self.auth = MarketoIdentity(access_token_url=f"{base}/identity/oauth/token",
                                    client_id=credentials.login,
                                    client_secret=credentials.password, session=session)
        self.session = session
        session.hooks["response"].append(self._renew_token)
        self.client = RESTClient(base_url=base, session=session, auth=self.auth)
        self._types: list[dict[str, Any]] | None = None

    def objects(self) -> list[str]:
        return list(OBJECTS)

    def _renew_token(self, response: Response, *args: Any, **kwargs: Any) -> Response:
        """A token Marketo no longer accepts (601/602, e.g. revoked or expired early): get
        a new one and send the request once more."""
        if response.request.headers.get(RENEWED) or "json" not in response.headers.get(
                "Content-Type", ""):
            return response
        try:
            body = response.json()
        except ValueError:
            return response
        if not isinstance(body, dict) or not any(
                str(e.get("code")) in TOKEN_CODES for e in body.get("errors") or []):
            return response
        self.auth.obtain_token()
        again = response.request.copy()
        again.headers["Authorization"] = f"Bearer {self.auth.access_token}"
        again.headers[RENEWED] = "1"
        return self.session.send(again, **kwargs)

    def activity_types(self) -> list[dict[str, Any]]:
        """The selected activity types this instance knows (``types.json``), and every
        custom one."""
        if self._types is None:
            body = _ok(check(self.client.get("/rest/v1/activities/types.json"),
                             "Marketo activity types").json(), "activity types")
            wanted = {n.lower() for n in self.type_names}
            self._types = [t for t in body.get("result", [])
                           if t["name"].lower() in wanted or _custom(t)]
        return self._types

    def table_of(self, kind: dict[str, Any]) -> str:
        """The landing table of an activity type's rows."""
        table = f"activity_{snake_case(kind['name'])}"
        if _custom(kind) and table not in _adapter_tables():
            return CUSTOM_TABLE
        return table

    def tables(self, obj: str) -> list[str]:
        if obj == "activities":
            tables = dict.fromkeys(self.table_of(t) for t in self.activity_types())
            return [*tables, *([] if CUSTOM_TABLE in tables else [CUSTOM_TABLE])]
        return {"leads": ["lead"], "programs": ["program", "program_cost", "program_tag"],
                "smart_campaigns": ["campaign"]}[obj]

    def rows(self, obj: str, since: datetime | None, until: datetime) -> Iterator[Row]:
        since = since or datetime(2000, 1, 1, tzinfo=UTC)  # Marketo keeps no older activity
        if obj == "activities":
            yield from self._activity_rows(since, until)
        elif obj == "leads":
            yield from self._lead_rows(since, until)
        elif obj == "programs":
            yield from self._program_rows(since, until)
        elif obj == "smart_campaigns":
            yield from self._smart_campaign_rows(since, until)
        else:
            raise ValueError(f"unknown Marketo object {obj!r}; known: {OBJECTS}")

    # -- activities -----------------------------------------------------------------
    def activities(self, type_ids: list[int], since: datetime, until: datetime
                   ) -> Iterator[dict[str, Any]]:
        for ids in chunks(sorted(type_ids), 10):
            token = _ok(check(self.client.get("/rest/v1/activities/pagingtoken.json",
                                              params={"sinceDatetime": iso(since)}),
                              "Marketo paging token").json(), "paging token")["nextPageToken"]
            for page in self.client.paginate(
                "/rest/v1/activities.json",
                params={"activityTypeIds": ",".join(map(str, ids)), "nextPageToken": token},
                data_selector="result",
                paginator=ActivityPaginator(),
            ):
                for act in page:
                    if since <= parse_ts(act["activityDate"]) < until:
                        yield act

    def exported_activities(self, type_ids: list[int], since: datetime, until: datetime
                            ) -> Iterator[dict[str, Any]]:
        """The same activities through bulk export jobs (create, enqueue, poll, CSV file),
        one job per 31 days at most (Marketo's limit on a job's ``createdAt`` range)."""
        start = since
        while start < until:
            end = min(start + timedelta(days=31), until)
            job = _ok(check(self.client.post("/bulk/v1/activities/export/create.json", json={
                "format": "CSV", "filter": {
                    "createdAt": {"startAt": iso(start), "endAt": iso(end)},
                    "activityTypeIds": sorted(type_ids)}}),
                "Marketo activity export").json(), "activity export")["result"][0]
            job_id = job["exportId"]
            base = f"/bulk/v1/activities/export/{job_id}"
            _ok(check(self.client.post(f"{base}/enqueue.json"), "Marketo export enqueue")
                .json(), "export enqueue")
            while True:
                status = _ok(check(self.client.get(f"{base}/status.json"),
                                   "Marketo export status").json(), "export status")
                state = status["result"][0]["status"]
                if state == "Completed":
                    break
                if state in ("Failed", "Cancelled"):
                    raise ExtractError(f"Marketo activity export {job_id} {state}: "
                                       f"{status['result'][0].get('errorMsg')!r}")
                time.sleep(self.poll_seconds)
            text = check(self.client.get(f"{base}/file.json"), "Marketo export file").text
            for rec in csv.DictReader(io.StringIO(text)):
                if not start <= parse_ts(rec["activityDate"]) < end:
                    continue  # the job's range includes its end; the window does not
                guid = rec.get("marketoGUID")
                attrs = json.loads(rec.get("attributes") or "{}")
                yield {
                    "id": int(guid) if guid and guid.isdigit() else guid, "marketoGUID": guid,
                    "leadId": _int(rec.get("leadId")), "activityDate": rec.get("activityDate"),
                    "activityTypeId": _int(rec.get("activityTypeId")),
                    "campaignId": _int(rec.get("campaignId")),
                    "primaryAttributeValueId": _int(rec.get("primaryAttributeValueId")),
                    "primaryAttributeValue": rec.get("primaryAttributeValue") or None,
                    "attributes": [{"name": k, "value": v} for k, v in attrs.items()],
                }
            start = end

    def _activity_rows(self, since: datetime, until: datetime) -> Iterator[Row]:
        types = {t["id"]: t for t in self.activity_types()}
        synced = datetime.now(UTC).isoformat()
        read = self.exported_activities if self.bulk_activities else self.activities
        for act in read(list(types), since, until):
            kind = types[act["activityTypeId"]]
            row: dict[str, Any] = {
                "id": act.get("id"), "marketo_guid": act.get("marketoGUID"),
                "lead_id": act.get("leadId"), "activity_date": act.get("activityDate"),
                "activity_type_id": act.get("activityTypeId"),
                "campaign_id": act.get("campaignId"),
                "primary_attribute_value_id": act.get("primaryAttributeValueId"),
                "primary_attribute_value": act.get("primaryAttributeValue"),
                "_fivetran_synced": synced,
            }
            table = self.table_of(kind)
            if table == CUSTOM_TABLE:  # columns vary by type: the attributes as one text
                row.update(activity_type_name=kind["name"], api_name=kind.get("apiName"),
                           attributes=json.dumps({a["name"]: a.get("value") for a in
                                                  act.get("attributes") or []},
                                                 ensure_ascii=False, sort_keys=True))
            else:
                for attr in act.get("attributes") or []:
                    row.setdefault(snake_case(attr["name"]), attr.get("value"))
            yield table, row

    # -- leads ----------------------------------------------------------------------
    def _lead_rows(self, since: datetime, until: datetime) -> Iterator[Row]:
        all_types = _ok(check(self.client.get("/rest/v1/activities/types.json"),
                              "Marketo activity types").json(), "activity types")["result"]
        change_ids = [t["id"] for t in all_types if t["name"] in LEAD_CHANGE_TYPES]
        lead_ids = sorted({a["leadId"] for a in self.activities(change_ids, since, until)})
        synced = datetime.now(UTC).isoformat()
        for ids in chunks(lead_ids, 300):
            body = _ok(check(self.client.get("/rest/v1/leads.json", params={
                "filterType": "id", "filterValues": ",".join(map(str, ids)),
                "fields": ",".join(self.lead_fields),
            }), "Marketo leads").json(), "leads")
            for lead in body.get("result", []):
                row = {snake_case(k): v for k, v in lead.items()}
                row["_fivetran_synced"] = synced
                yield "lead", row

    # -- programs -------------------------------------------------------------------
    def _assets(self, path: str, since: datetime, until: datetime
                ) -> Iterator[dict[str, Any]]:
        """Assets (programs, smart campaigns) updated in ``[since, until)``, paged by
        offset (200 at most a call)."""
        for page in self.client.paginate(
            path, params={"earliestUpdatedAt": iso(since), "latestUpdatedAt": iso(until)},
            data_selector="result",
            paginator=OffsetPaginator(limit=200, offset_param="offset",
                                      limit_param="maxReturn", total_path=None,
                                      stop_after_empty_page=True),
        ):
            _ok(page.response.json(), path)
            for asset in page:
                if parse_ts(asset["updatedAt"]) < until:  # latestUpdatedAt is inclusive
                    yield asset

    def _program_rows(self, since: datetime, until: datetime) -> Iterator[Row]:
        synced = datetime.now(UTC).isoformat()
        for program in self._assets("/rest/asset/v1/programs.json", since, until):
            row = {snake_case(k): v for k, v in program.items()
                   if not isinstance(v, dict | list)}
            row["_fivetran_deleted"] = False
            row["_fivetran_synced"] = synced
            yield "program", row
            full = program
            if "tags" not in program or "costs" not in program:  # browsing omits tags
                full = {**_ok(check(self.client.get(
                    f"/rest/asset/v1/program/{program['id']}.json"),
                    f"Marketo program {program['id']}").json(), "program")["result"][0],
                    **{k: program[k] for k in ("costs",) if program.get(k) is not None}}
            # a period's position is its key, as Fivetran's program_cost has it
            for index, cost in enumerate(full.get("costs") or []):
                yield "program_cost", {
                    "program_id": program["id"], "index": index, "cost": cost.get("cost"),
                    "note": cost.get("note"), "start_date": cost.get("startDate"),
                    "_fivetran_synced": synced}
            for tag in full.get("tags") or []:
                yield "program_tag", {
                    "program_id": program["id"], "tag_type": tag.get("tagType"),
                    "tag_value": tag.get("tagValue"), "_fivetran_synced": synced,
                    "_fivetran_deleted": False}

    # -- smart campaigns ------------------------------------------------------------
    def _smart_campaign_rows(self, since: datetime, until: datetime) -> Iterator[Row]:
        synced = datetime.now(UTC).isoformat()
        for sc in self._assets("/rest/asset/v1/smartCampaigns.json", since, until):
            row = {col: sc.get(field) for field, col in SMART_CAMPAIGN_FIELDS.items()}
            folder = sc.get("folder") or {}
            folder_id = folder.get("id", folder.get("value"))
            row.update(folder_id=folder_id, folder_type=folder.get("type"),
                       program_id=sc.get("parentProgramId") or (
                           folder_id if str(folder.get("type")).lower() == "program"
                           else None),
                       _fivetran_deleted=False, _fivetran_synced=synced)
            yield "campaign", row



def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _custom(kind: dict[str, Any]) -> bool:
    """A custom activity type (one a team defined), as ``types.json`` describes it."""
    return bool(kind.get("isCustom") or kind.get("apiName")
                or int(kind.get("id") or 0) >= CUSTOM_TYPE_IDS)


def _adapter_tables() -> set[str]:
    """The activity tables the marketo_fivetran adapter reads (a custom type's rows land
    under its own name only where the adapter reads that table)."""
    from kizuna.sources.adapters import adapter

    return {t for t in adapter("marketo_fivetran").tables if t.startswith("activity_")}
