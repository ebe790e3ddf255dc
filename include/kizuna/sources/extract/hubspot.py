"""HubSpot CRM v3: contacts, companies and deals with their associations.

Objects are read with the list endpoint on a first run (everything, paged with ``after``)
and with the search endpoint afterwards (``lastmodifieddate`` / ``hs_lastmodifieddate``
in ``[since, until)``, sorted ascending, paged with ``after`` in the body). Archived
(deleted) records come from the list endpoint with ``archived=true`` and land with
``_fivetran_deleted = true`` when they were archived in the window. Associations
(``deal_company``, ``deal_contact``, ``contact_company``) are read for the records of each
page with the v4 batch endpoint. Tables and columns follow Fivetran's HubSpot schema:
``contact``/``company`` with ``id`` and ``property_<name>``; ``deal`` with ``deal_id``,
``deal_pipeline_id``, ``deal_pipeline_stage_id``, ``owner_id``.

Connection: host = ``https://api.hubapi.com`` (or a test server), password = a private
app's access token; extra ``properties`` = ``{"contacts": [...], ...}`` to read more.
The search endpoint returns at most 10,000 records per query: a window with more is
split in halves until each half fits.
"""

from __future__ import annotations

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
    http_session,
    parse_ts,
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
SEARCH_LIMIT = 10_000  # HubSpot's cap on the results of one search query
PAGE = 100


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
        return list(OBJECTS)

    def tables(self, obj: str) -> list[str]:
        return [OBJECTS[obj][0]] + [a[1] for a in ASSOCIATIONS.get(obj, [])]

    def properties(self, obj: str) -> list[str]:
        return list((self.extra.get("properties") or {}).get(obj) or OBJECTS[obj][2])

    def rows(self, obj: str, since: datetime | None, until: datetime) -> Iterator[Row]:
        pages = self._list(obj, until) if since is None else self._search(obj, since, until)
        for records in pages:
            yield from self._records(obj, records, deleted=False)
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


_SECOND = datetime(2000, 1, 1, 0, 0, 1) - datetime(2000, 1, 1)
