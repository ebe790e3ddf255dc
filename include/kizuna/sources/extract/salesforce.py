"""Salesforce: the CRM objects an ABM warehouse needs, deleted rows included.

Each object's fields come from its ``describe``; rows modified in the window are read
with ``SystemModstamp >= since and SystemModstamp < until`` through ``queryAll`` (so rows
in the recycle bin arrive with ``IsDeleted = true``): the REST endpoint follows
``nextRecordsUrl``; objects named in the connection's extra ``bulk_objects`` go through a
Bulk API 2.0 query job instead (``operation: queryAll``, polled until ``JobComplete``, CSV
results paged with ``Sforce-Locator``), as do objects whose query is too long for a URL.
Tables and columns follow Fivetran's Salesforce schema: the object's name and field names
in snake case (``Opportunity.StageName`` -> ``opportunity.stage_name``, ``Product2`` ->
``product_2``).

Connection: host = the instance URL; login/password = a connected app's client id and
secret (OAuth 2.0 client credentials flow), or extra ``access_token``; extra
``api_version`` (default ``v62.0``), ``objects`` to read fewer or more objects.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth, OAuth2ClientCredentials
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from kizuna.sources.extract.base import (
    Credentials,
    ExtractError,
    RetryPolicy,
    Row,
    check,
    http_session,
    iso,
    snake_case,
)

# every object the salesforce_fivetran adapter reads (line items give an opportunity its
# product, contact roles a contact's buying role, assets the contracts)
OBJECTS: tuple[str, ...] = ("Account", "Contact", "Lead", "Opportunity", "OpportunityHistory",
                            "OpportunityLineItem", "OpportunityContactRole", "OpportunityStage",
                            "Task", "Event", "Campaign", "CampaignMember", "Product2",
                            "PricebookEntry", "Pricebook2", "Asset", "User")
# compound fields (their parts are fields of their own) and blobs: not in a query's columns
SKIPPED_TYPES = {"address", "location", "base64"}
MAX_REST_SOQL = 15_000  # a longer query would not fit a GET URL: it goes as a bulk job
NUMERIC = {"int": int, "double": float, "currency": float, "percent": float}


class Salesforce:
    vendor = "salesforce"

    def __init__(self, credentials: Credentials, policy: RetryPolicy) -> None:
        extra = credentials.extra
        self.version = str(extra.get("api_version", "v62.0"))
        self.bulk = set(extra.get("bulk_objects") or [])
        self.sobjects = list(extra.get("objects") or OBJECTS)
        self.poll_seconds = float(extra.get("poll_seconds", 5))
        self.max_records = int(extra.get("bulk_max_records", 50_000))
        session = http_session(policy)
        base = credentials.base_url
        auth: Any
        if extra.get("access_token"):
            auth = BearerTokenAuth(str(extra["access_token"]))
        elif credentials.login and credentials.password:
            auth = OAuth2ClientCredentials(
                access_token_url=f"{base}/services/oauth2/token",
                client_id=credentials.login, client_secret=credentials.password,
                session=session,
            )
        else:
            raise ExtractError("Salesforce connection needs login and password (a connected "
                               "app's client id and secret) or extra access_token")
        self.client = RESTClient(base_url=f"{base}/services/data/{self.version}",
                                 auth=auth, session=session)
        self._describe: dict[str, list[dict[str, Any]]] = {}

    def objects(self) -> list[str]:
        return [snake_case(o) for o in self.sobjects]

    def tables(self, obj: str) -> list[str]:
        return [obj]

    def _sobject(self, obj: str) -> str:
        for name in self.sobjects:
            if snake_case(name) == obj:
                return name
        raise ValueError(f"unknown Salesforce object {obj!r}; known: {self.objects()}")

    def fields(self, sobject: str) -> list[dict[str, Any]]:
        if sobject not in self._describe:
            resp = check(self.client.get(f"/sobjects/{sobject}/describe"),
                         f"Salesforce describe {sobject}")
            self._describe[sobject] = [f for f in resp.json()["fields"]
                                       if f.get("type") not in SKIPPED_TYPES]
        return self._describe[sobject]

    def soql(self, sobject: str, since: datetime | None, until: datetime,
             ordered: bool = True) -> str:
        """The window's query; bulk jobs get no ORDER BY (it stops Salesforce chunking)."""
        names = ", ".join(f["name"] for f in self.fields(sobject))
        where = f"SystemModstamp < {iso(until)}"
        if since is not None:
            where = f"SystemModstamp >= {iso(since)} AND {where}"
        order = " ORDER BY SystemModstamp" if ordered else ""
        return f"SELECT {names} FROM {sobject} WHERE {where}{order}"

    def rows(self, obj: str, since: datetime | None, until: datetime) -> Iterator[Row]:
        sobject = self._sobject(obj)
        query = self.soql(sobject, since, until)
        if sobject in self.bulk or len(query) > MAX_REST_SOQL:
            records = self._bulk(sobject, self.soql(sobject, since, until, ordered=False))
        else:
            records = self._rest(query)
        synced = datetime.now(UTC).isoformat()
        for rec in records:
            row = {snake_case(k): v for k, v in rec.items() if k != "attributes"}
            row["_fivetran_deleted"] = bool(row.get("is_deleted"))
            row["_fivetran_synced"] = synced
            yield obj, row

    def _rest(self, query: str) -> Iterator[dict[str, Any]]:
        for page in self.client.paginate(
            "/queryAll", params={"q": query}, data_selector="records",
            paginator=JSONLinkPaginator(next_url_path="nextRecordsUrl"),
        ):
            yield from page

    def _bulk(self, sobject: str, query: str) -> Iterator[dict[str, Any]]:
        job = check(self.client.post("/jobs/query", json={
            "operation": "queryAll", "query": query, "contentType": "CSV",
            "columnDelimiter": "COMMA", "lineEnding": "LF",
        }), f"Salesforce bulk query job for {sobject}").json()
        job_id = job["id"]
        state = job.get("state")
        while state not in ("JobComplete", "Failed", "Aborted"):
            time.sleep(self.poll_seconds)
            info = check(self.client.get(f"/jobs/query/{job_id}"),
                         f"Salesforce bulk job {job_id}").json()
            state = info.get("state")
            if state in ("Failed", "Aborted"):
                raise ExtractError(f"Salesforce bulk query job {job_id} for {sobject} ended "
                                   f"{state}: {info.get('errorMessage')!r}")
        types = {f["name"]: f.get("type") for f in self.fields(sobject)}
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": self.max_records}
            if locator:
                params["locator"] = locator
            resp = check(self.client.get(f"/jobs/query/{job_id}/results", params=params),
                         f"Salesforce bulk results of job {job_id}")
            for rec in csv.DictReader(io.StringIO(resp.content.decode("utf-8"))):
                yield {k: _typed(v, types.get(k)) for k, v in rec.items()}
            locator = resp.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                break


def _typed(value: str, kind: str | None) -> Any:
    """A Bulk API CSV value typed like the REST API's JSON (empty means null)."""
    if value == "":
        return None
    if kind == "boolean":
        return value.lower() == "true"
    if kind in NUMERIC:
        try:
            return NUMERIC[kind](value)
        except ValueError:
            return value
    return value
