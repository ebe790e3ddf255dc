"""Local HTTP servers that answer like HubSpot, Salesforce and Marketo, with data passed in.

For tests and for serving a simulated world: each server runs in a thread on
``127.0.0.1`` (a free port), follows the vendor's documented request and response shapes
(paging, modification-time filters, deleted rows, tokens) and can be told to misbehave:
``fault(...)`` answers the next matching requests with an error (429 with ``Retry-After``,
5xx, Marketo's 606), ``fail_after(n, ...)`` fails every matching request after ``n`` good
ones (a vendor going down mid-extraction), ``hold_after(n, ...)`` keeps them waiting (a
client to kill mid-page), both until ``heal()``. ``requests`` logs what came in.

    with HubSpotMock(objects={"contacts": [...]}) as api:
        Credentials(host=api.url, password=api.token)
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from kizuna.sources.extract.base import parse_ts


@dataclass
class Fault:
    path: str  # substring of the request path
    status: int = 500
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


Route = Callable[[Request], Reply]


class MockAPI:
    """A threaded HTTP server with routes, faults and a request log."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self._fail_after: tuple[int, str] | None = None
        self._hold_after: tuple[int, str] | None = None
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration ----------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Route) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def fault(self, path: str, status: int = 500, times: int = 1,
              headers: dict[str, str] | None = None, body: Any = None) -> None:
        with self._lock:
            self.faults.append(Fault(path, status, times, headers or {}, body))

    def fail_after(self, good: int, path: str) -> None:
        """Every request whose path contains ``path`` fails with 500 after ``good`` more."""
        with self._lock:
            self._fail_after = (good, path)

    def hold_after(self, good: int, path: str) -> None:
        """Requests whose path contains ``path`` wait, after ``good`` more, until ``heal()``."""
        with self._lock:
            self._released.clear()
            self._hold_after = (good, path)

    def heal(self) -> None:
        with self._lock:
            self._fail_after = None
            self._hold_after = None
            self.faults.clear()
        self._released.set()

    def calls(self, path: str) -> list[Request]:
        return [r for r in self.requests if path in r.path]

    # -- lifecycle --------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, port: int = 0) -> MockAPI:
        """Serve on ``127.0.0.1:port`` (0: a free port)."""
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _serve(self) -> None:
                api._handle(self)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> MockAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ----------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            ctype = h.headers.get("Content-Type", "")
            if "json" in ctype:
                body = json.loads(raw)
            else:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        req = Request(h.command, parsed.path,
                      {k: v[-1] for k, v in parse_qs(parsed.query).items()}, body,
                      {k.lower(): v for k, v in h.headers.items()})
        with self._lock:
            self.requests.append(req)
            reply = self._faulty(req)
            held = self._held(req)
        if held:
            self._released.wait(timeout=60)
        if reply is None:
            reply = self._dispatch(req)
        payload = reply.body if isinstance(reply.body, bytes | str) else json.dumps(reply.body)
        data = payload.encode() if isinstance(payload, str) else payload
        h.send_response(reply.status)
        h.send_header("Content-Type", reply.content_type)
        h.send_header("Content-Length", str(len(data)))
        for k, v in reply.headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _faulty(self, req: Request) -> Reply | None:
        for f in self.faults:
            if f.path in req.path and f.times > 0:
                f.times -= 1
                return Reply(f.status, f.body if f.body is not None else {"error": "fault"},
                             f.headers)
        if self._fail_after and self._fail_after[1] in req.path:
            good, path = self._fail_after
            if good <= 0:
                return Reply(500, {"error": "the server went away"})
            self._fail_after = (good - 1, path)
        return None

    def _held(self, req: Request) -> bool:
        if not self._hold_after or self._hold_after[1] not in req.path:
            return False
        good, path = self._hold_after
        self._hold_after = (good - 1, path)
        return good <= 0

    def _dispatch(self, req: Request) -> Reply:
        for method, pattern, handler in self.routes:
            m = pattern.match(req.path)
            if m and method == req.method:
                req.query.update(m.groupdict())
                return handler(req)
        return Reply(404, {"message": f"no route for {req.method} {req.path}"})


def _bearer(req: Request) -> str | None:
    auth = req.headers.get("authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else None


# -- HubSpot ---------------------------------------------------------------------------
HUBSPOT_MODIFIED = {"contacts": "lastmodifieddate"}  # others: hs_lastmodifieddate


class HubSpotMock(MockAPI):
    """HubSpot CRM v3 objects (list, search, batch read with property history, batch
    update), v4 association batch reads, legacy e-mail events and e-mail campaigns.

    ``objects``: ``{"contacts": [{"id", "properties", "createdAt", "updatedAt",
    "archived", "archivedAt"?, "propertiesWithHistory"?}]}`` (the history, newest first, is
    served only by a batch read that asks for it); ``associations``: ``{("deals",
    "companies"): {"<deal id>": ["<company id>", ...]}}``; ``email_campaigns``: each
    marketing e-mail as ``campaigns/{id}`` answers, with ``lastUpdatedTime`` (ms);
    ``pipelines``: ``{"deals": [{"id", "label", "updatedAt", "stages": [{"id", "label",
    "metadata": {"isClosed", "probability"}}]}]}``.
    """

    def __init__(self, objects: dict[str, list[dict[str, Any]]],
                 associations: dict[tuple[str, str], dict[str, list[str]]] | None = None,
                 token: str = "pat-test", page_size: int | None = None,
                 email_events: list[dict[str, Any]] | None = None,
                 email_campaigns: list[dict[str, Any]] | None = None,
                 pipelines: dict[str, list[dict[str, Any]]] | None = None) -> None:
        super().__init__()
        self.pipelines = pipelines or {}
        self.objects = objects
        self.email_events = email_events or []
        self.email_campaigns = email_campaigns or []
        self.associations = associations or {}
        self.token = token
        self.page_size = page_size
        self.route("GET", r"/crm/v3/objects/(?P<obj>\w+)", self._list)
        self.route("POST", r"/crm/v3/objects/(?P<obj>\w+)/search", self._search)
        self.route("POST", r"/crm/v3/objects/(?P<obj>\w+)/batch/update", self._batch_update)
        self.route("POST", r"/crm/v3/objects/(?P<obj>\w+)/batch/read", self._batch_read)
        self.route("GET", r"/crm/v3/pipelines/(?P<obj>\w+)", self._pipelines)
        self.route("GET", r"/email/public/v1/campaigns/by-id", self._campaign_ids)
        self.route("GET", r"/email/public/v1/campaigns/(?P<cid>[^/]+)", self._campaign)
        self.route("POST", r"/crm/v4/associations/(?P<obj>\w+)/(?P<to>\w+)/batch/read",
                   self._assoc)
        self.route("GET", r"/email/public/v1/events", self._events)

    def _auth(self, req: Request) -> Reply | None:
        if _bearer(req) != self.token:
            return Reply(401, {"status": "error", "category": "INVALID_AUTHENTICATION",
                               "message": "Authentication credentials not found."})
        return None

    def _page(self, rows: list[dict[str, Any]], after: str | None, limit: int
              ) -> dict[str, Any]:
        limit = min(self.page_size or limit, 100)
        start = int(after or 0)
        out: dict[str, Any] = {"results": rows[start:start + limit]}
        if start + limit < len(rows):
            nxt = str(start + limit)
            out["paging"] = {"next": {"after": nxt, "link": f"?after={nxt}"}}
        return out

    @staticmethod
    def _shape(r: dict[str, Any], props: list[str] | None) -> dict[str, Any]:
        shaped = {k: v for k, v in r.items() if k != "propertiesWithHistory"}
        if props:
            shaped["properties"] = {k: v for k, v in r.get("properties", {}).items()
                                    if k in props or k == "hs_object_id"}
        return shaped

    def _list(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        archived = req.query.get("archived", "false") == "true"
        props = req.query["properties"].split(",") if req.query.get("properties") else None
        rows = [self._shape(r, props) for r in self.objects.get(req.query["obj"], [])
                if bool(r.get("archived")) == archived]
        return Reply(body=self._page(rows, req.query.get("after"),
                                     int(req.query.get("limit", 10))))

    def _search(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        obj = req.query["obj"]
        body = req.body or {}
        rows = [r for r in self.objects.get(obj, []) if not r.get("archived")]
        for group in body.get("filterGroups", []):
            for f in group.get("filters", []):
                prop, op, value = f["propertyName"], f["operator"], int(f["value"])

                def stamp(r: dict[str, Any], prop: str = prop) -> int:
                    return int(parse_ts(r["properties"][prop]).timestamp() * 1000)

                if op == "GTE":
                    rows = [r for r in rows if stamp(r) >= value]
                elif op == "LT":
                    rows = [r for r in rows if stamp(r) < value]
                else:
                    return Reply(400, {"status": "error", "message": f"operator {op}"})
        for s in body.get("sorts", []):
            prop = s["propertyName"]
            rows.sort(key=lambda r: parse_ts(r["properties"][prop]),
                      reverse=s.get("direction") == "DESCENDING")
        rows = [self._shape(r, body.get("properties")) for r in rows]
        page = self._page(rows, body.get("after"), int(body.get("limit", 10)))
        page["total"] = len(rows)
        return Reply(body=page)

    def _batch_update(self, req: Request) -> Reply:
        """Update the properties of up to 100 records by id: 200 when every id exists, else
        207 (multi-status) with the unknown ids in ``errors``, the others updated. An empty
        string clears a property."""
        if (denied := self._auth(req)) is not None:
            return denied
        inputs = (req.body or {}).get("inputs") or []
        if not inputs or len(inputs) > 100:
            return Reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                               "message": f"inputs: 1 to 100, not {len(inputs)}"})
        by_id = {str(r["id"]): r for r in self.objects.setdefault(req.query["obj"], [])
                 if not r.get("archived")}
        now = "2026-01-01T00:00:00.000Z"
        results, missing = [], []
        for item in inputs:
            record = by_id.get(str(item["id"]))
            if record is None:
                missing.append(str(item["id"]))
                continue
            record.setdefault("properties", {}).update(item.get("properties") or {})
            record["updatedAt"] = now
            results.append(record)
        body: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                "startedAt": now, "completedAt": now}
        if not missing:
            return Reply(body=body)
        body.update(numErrors=1, errors=[{
            "status": "error", "category": "OBJECT_NOT_FOUND",
            "message": f"Could not get some {req.query['obj']} objects, they may be deleted "
                       "or not exist.", "context": {"ids": missing}}])
        return Reply(207, body)

    def _batch_read(self, req: Request) -> Reply:
        """Records by id; ``propertiesWithHistory`` adds each named property's history,
        and then at most 50 inputs are taken (100 otherwise)."""
        if (denied := self._auth(req)) is not None:
            return denied
        body = req.body or {}
        inputs = body.get("inputs") or []
        history = body.get("propertiesWithHistory") or []
        cap = 50 if history else 100
        if not inputs or len(inputs) > cap:
            return Reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                               "message": f"inputs: 1 to {cap}, not {len(inputs)}"})
        by_id = {str(r["id"]): r for r in self.objects.get(req.query["obj"], [])
                 if not r.get("archived")}
        results = []
        for item in inputs:
            record = by_id.get(str(item["id"]))
            if record is None:
                continue
            shaped = self._shape(record, body.get("properties"))
            if history:
                kept = record.get("propertiesWithHistory") or {}
                shaped["propertiesWithHistory"] = {p: kept.get(p, []) for p in history}
            results.append(shaped)
        return Reply(body={"status": "COMPLETE", "results": results,
                           "startedAt": "2026-01-01T00:00:00Z",
                           "completedAt": "2026-01-01T00:00:00Z"})

    def _pipelines(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        return Reply(body={"results": self.pipelines.get(req.query["obj"], [])})

    def _campaign_ids(self, req: Request) -> Reply:
        """``{"campaigns": [{"id", "appId", "appName", "lastUpdatedTime"}], "hasMore",
        "offset"}``, paged by ``offset``."""
        if (denied := self._auth(req)) is not None:
            return denied
        start = int(req.query.get("offset") or 0)
        size = min(self.page_size or int(req.query.get("limit", 10)), 1000)
        page = self.email_campaigns[start:start + size]
        return Reply(body={"campaigns": [
            {k: c.get(k) for k in ("id", "appId", "appName", "lastUpdatedTime")} for c in page],
            "hasMore": start + size < len(self.email_campaigns),
            "offset": str(start + len(page))})

    def _campaign(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        for c in self.email_campaigns:
            if str(c["id"]) == req.query["cid"]:
                return Reply(body={k: v for k, v in c.items() if k != "lastUpdatedTime"})
        return Reply(404, {"status": "error", "message": "campaign not found"})

    def _events(self, req: Request) -> Reply:
        """Legacy email events: ``startTimestamp``/``endTimestamp`` (ms, inclusive),
        ``{"events", "hasMore", "offset"}``."""
        if (denied := self._auth(req)) is not None:
            return denied
        lo = int(req.query.get("startTimestamp", 0))
        hi = int(req.query.get("endTimestamp", 2**62))
        rows = sorted((e for e in self.email_events if lo <= int(e["created"]) <= hi),
                      key=lambda e: (int(e["created"]), e["id"]))
        start = int(req.query.get("offset") or 0)
        size = min(self.page_size or int(req.query.get("limit", 100)), 1000)
        page = rows[start:start + size]
        return Reply(body={"events": page, "hasMore": start + size < len(rows),
                           "offset": str(start + len(page))})

    def _assoc(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        links = self.associations.get((req.query["obj"], req.query["to"]), {})
        results = []
        for item in (req.body or {}).get("inputs", []):
            targets = links.get(str(item["id"]), [])
            if targets:
                results.append({"from": {"id": str(item["id"])}, "to": [
                    {"toObjectId": int(t) if str(t).isdigit() else t, "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": None}]}
                    for t in targets]})
        return Reply(body={"status": "COMPLETE", "results": results,
                           "startedAt": "2026-01-01T00:00:00Z",
                           "completedAt": "2026-01-01T00:00:00Z"})


# -- Salesforce ------------------------------------------------------------------------
_SOQL = re.compile(
    r"SELECT (?P<fields>.+?) FROM (?P<obj>\w+)(?: WHERE (?P<where>.+?))?"
    r"(?: ORDER BY (?P<order>\w+))?$", re.S)
_COND = re.compile(r"(\w+) (>=|<|>|<=|=) (\S+)")


def _compare(left: datetime, op: str, right: datetime) -> bool:
    return {">=": left >= right, "<": left < right, ">": left > right, "<=": left <= right,
            "=": left == right}[op]


class SalesforceMock(MockAPI):
    """Salesforce REST ``query``/``queryAll`` (``nextRecordsUrl``), ``describe``, OAuth
    client credentials, Bulk API 2.0 query jobs (CSV results paged with
    ``Sforce-Locator``), and sObject Collections updates (kept in ``objects``).
    ``objects``: ``{"Opportunity": [{"Id", "SystemModstamp", "IsDeleted", ...}]}``; the
    first record's keys and value types make the describe."""

    def __init__(self, objects: dict[str, list[dict[str, Any]]], client_id: str = "cid",
                 client_secret: str = "secret", batch_size: int = 2000,
                 version: str = "v62.0") -> None:
        super().__init__()
        self.objects = objects
        self.client_id, self.client_secret = client_id, client_secret
        self.batch_size = batch_size
        self.version = version
        self.tokens: set[str] = set()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        data = f"/services/data/{version}"
        self.route("POST", r"/services/oauth2/token", self._token)
        self.route("GET", data + r"/sobjects/(?P<obj>\w+)/describe", self._describe)
        self.route("GET", data + r"/(?P<kind>query|queryAll)", self._query)
        self.route("GET", data + r"/(?P<kind>query|queryAll)/(?P<cursor>[\w-]+)", self._more)
        self.route("POST", data + r"/jobs/query", self._create_job)
        self.route("GET", data + r"/jobs/query/(?P<job>\w+)", self._job)
        self.route("GET", data + r"/jobs/query/(?P<job>\w+)/results", self._results)
        self.route("PATCH", data + r"/composite/sobjects", self._update_collection)

    def _auth(self, req: Request) -> Reply | None:
        if _bearer(req) not in self.tokens:
            return Reply(401, [{"message": "Session expired or invalid",
                                "errorCode": "INVALID_SESSION_ID"}])
        return None

    def _token(self, req: Request) -> Reply:
        form = req.body or {}
        if (form.get("grant_type") != "client_credentials"
                or form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret):
            return Reply(400, {"error": "invalid_client",
                               "error_description": "invalid client credentials"})
        token = f"00D!tok{len(self.tokens) + 1}"
        self.tokens.add(token)
        return Reply(body={"access_token": token, "instance_url": "", "token_type": "Bearer",
                           "issued_at": "0", "signature": "x"})

    def _describe(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        rows = self.objects.get(req.query["obj"])
        if not rows:
            return Reply(404, [{"errorCode": "NOT_FOUND", "message": "unknown object"}])

        def kind(v: Any) -> str:
            return ("boolean" if isinstance(v, bool) else "int" if isinstance(v, int)
                    else "double" if isinstance(v, float) else "string")

        return Reply(body={"name": req.query["obj"], "fields": [
            {"name": k, "type": "id" if k == "Id" else kind(v)} for k, v in rows[0].items()]})

    def select(self, soql: str, include_deleted: bool) -> list[dict[str, Any]]:
        m = _SOQL.match(soql.strip())
        if not m:
            raise ValueError(f"unsupported SOQL: {soql}")
        fields = [f.strip() for f in m["fields"].split(",")]
        rows = list(self.objects.get(m["obj"], []))
        if not include_deleted:
            rows = [r for r in rows if not r.get("IsDeleted")]
        for col, op, value in _COND.findall(m["where"] or ""):
            rows = [r for r in rows if _compare(parse_ts(r[col]), op, parse_ts(value))]
        if m["order"]:
            rows.sort(key=lambda r: parse_ts(r[m["order"]]))
        return [{f: r.get(f) for f in fields} for r in rows]

    def _records(self, kind: str, rows: list[dict[str, Any]], obj: str, start: int,
                 cursor: str) -> Reply:
        batch = rows[start:start + self.batch_size]
        done = start + self.batch_size >= len(rows)
        body: dict[str, Any] = {"totalSize": len(rows), "done": done, "records": [
            {"attributes": {"type": obj, "url": f"/services/data/{self.version}/sobjects/"
                            f"{obj}/{r.get('Id')}"}, **r} for r in batch]}
        if not done:
            body["nextRecordsUrl"] = (f"/services/data/{self.version}/{kind}/"
                                      f"{cursor}-{start + self.batch_size}")
        return Reply(body=body)

    def _query(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        try:
            rows = self.select(req.query["q"], req.query["kind"] == "queryAll")
        except (ValueError, KeyError) as e:
            return Reply(400, [{"errorCode": "MALFORMED_QUERY", "message": str(e)}])
        cursor = f"01g{len(self.cursors):05d}"
        self.cursors[cursor] = rows
        obj = _SOQL.match(req.query["q"].strip())["obj"]  # type: ignore[index]
        self.cursors[cursor + "obj"] = [{"obj": obj}]
        return self._records(req.query["kind"], rows, obj, 0, cursor)

    def _more(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        cursor, start = req.query["cursor"].rsplit("-", 1)
        rows = self.cursors.get(cursor)
        if rows is None:
            return Reply(400, [{"errorCode": "INVALID_QUERY_LOCATOR", "message": "gone"}])
        obj = self.cursors[cursor + "obj"][0]["obj"]
        return self._records(req.query["kind"], rows, obj, int(start), cursor)

    def _update_collection(self, req: Request) -> Reply:
        """sObject Collections update: up to 200 records by ``id``, each with an
        ``attributes.type``; one SaveResult per record in order (``allOrNone`` false: a
        record that fails fails alone; true: any failure rolls every record back). A null
        value clears the field; an updated record gets a new ``SystemModstamp``."""
        if (denied := self._auth(req)) is not None:
            return denied
        body = req.body or {}
        records = body.get("records") or []
        if not records or len(records) > 200:
            return Reply(400, [{"errorCode": "EXCEEDED_ID_LIMIT", "message":
                                "record limit reached. cannot submit more than 200 records "
                                "into this call"}])
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        results: list[dict[str, Any]] = []
        changes: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for rec in records:
            kind = (rec.get("attributes") or {}).get("type")
            if not kind:
                return Reply(400, [{"errorCode": "INVALID_TYPE", "message":
                                    "every record needs attributes.type"}])
            target = next((r for r in self.objects.get(kind, [])
                           if str(r.get("Id")) == str(rec.get("id"))), None)
            if target is None or target.get("IsDeleted"):
                code, why = (("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
                             if target is None else ("ENTITY_IS_DELETED", "entity is deleted"))
                results.append({"success": False, "errors": [
                    {"statusCode": code, "message": why, "fields": []}]})
                continue
            changes.append((target, {k: v for k, v in rec.items()
                                     if k not in ("attributes", "id")}))
            results.append({"id": target["Id"], "success": True, "errors": []})
        if body.get("allOrNone") and len(changes) < len(records):
            return Reply(body=[r if not r["success"] else {"id": r["id"], "success": False,
                               "errors": [{"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                           "message": "Record rolled back because not all "
                                           "records were valid and the request was using "
                                           "AllOrNone header", "fields": []}]}
                               for r in results])
        for target, values in changes:
            target.update(values)
            target["SystemModstamp"] = now
        return Reply(body=results)

    def _create_job(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        spec = req.body or {}
        if re.search(r"\b(ORDER BY|LIMIT|OFFSET|GROUP BY)\b", spec.get("query", "")):
            return Reply(400, [{"errorCode": "INVALIDJOB",
                                "message": "ORDER BY, LIMIT, OFFSET, GROUP BY: not in bulk"}])
        job_id = f"750{len(self.jobs):012d}"
        rows = self.select(spec["query"], spec.get("operation") == "queryAll")
        self.jobs[job_id] = {"rows": rows, "polls": 0, "operation": spec.get("operation")}
        return Reply(body={"id": job_id, "operation": spec.get("operation"),
                           "object": "", "state": "UploadComplete", "contentType": "CSV",
                           "apiVersion": 62.0, "lineEnding": "LF", "columnDelimiter": "COMMA"})

    def _job(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        job = self.jobs[req.query["job"]]
        job["polls"] += 1
        state = "InProgress" if job["polls"] < 2 else "JobComplete"
        return Reply(body={"id": req.query["job"], "state": state,
                           "numberRecordsProcessed": len(job["rows"])})

    def _results(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        job = self.jobs[req.query["job"]]
        if job["polls"] < 2:
            return Reply(400, [{"errorCode": "INVALIDJOBSTATE", "message": "not complete"}])
        size = int(req.query.get("maxRecords", 10_000))
        start = int(base64.b64decode(req.query["locator"]).decode()) if req.query.get(
            "locator") else 0
        rows = job["rows"][start:start + size]
        out = io.StringIO()
        if job["rows"]:
            writer = csv.DictWriter(out, fieldnames=list(job["rows"][0]), lineterminator="\n")
            writer.writeheader()
            for r in rows:
                writer.writerow({k: ("" if v is None else str(v).lower() if isinstance(v, bool)
                                     else v) for k, v in r.items()})
        nxt = start + size
        locator = base64.b64encode(str(nxt).encode()).decode() if nxt < len(job["rows"]) \
            else "null"
        return Reply(body=out.getvalue(), content_type="text/csv", headers={
            "Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(rows))})


# -- Marketo ---------------------------------------------------------------------------
MARKETO_TYPES: list[dict[str, Any]] = [
    {"id": 1, "name": "Visit Webpage", "primaryAttribute": {"name": "Webpage ID"},
     "attributes": [{"name": "Webpage URL"}, {"name": "Client IP Address"}]},
    {"id": 2, "name": "Fill Out Form", "primaryAttribute": {"name": "Webform ID"},
     "attributes": [{"name": "Form Fields"}, {"name": "Webpage ID"}]},
    {"id": 6, "name": "Send Email", "primaryAttribute": {"name": "Mailing ID"},
     "attributes": [{"name": "Campaign Run ID"}, {"name": "Step ID"}]},
    {"id": 7, "name": "Email Delivered", "primaryAttribute": {"name": "Mailing ID"},
     "attributes": [{"name": "Campaign Run ID"}]},
    {"id": 10, "name": "Open Email", "primaryAttribute": {"name": "Mailing ID"},
     "attributes": [{"name": "Device"}, {"name": "Is Mobile Device"}]},
    {"id": 11, "name": "Click Email", "primaryAttribute": {"name": "Mailing ID"},
     "attributes": [{"name": "Link"}, {"name": "Device"}]},
    {"id": 12, "name": "New Lead", "primaryAttribute": {"name": "Lead ID"},
     "attributes": [{"name": "Source Type"}]},
    {"id": 13, "name": "Change Data Value", "primaryAttribute": {"name": "Attribute Name"},
     "attributes": [{"name": "New Value"}, {"name": "Old Value"}, {"name": "Reason"}]},
    {"id": 37, "name": "Delete Lead", "primaryAttribute": {"name": "Lead ID"},
     "attributes": []},
    {"id": 46, "name": "Interesting Moment", "primaryAttribute": {"name": "Milestone ID"},
     "attributes": []},
]


class MarketoMock(MockAPI):
    """Marketo identity token, activity types, paging tokens, activities
    (``nextPageToken``/``moreResult``), leads by id, programs and smart campaigns by
    ``updatedAt`` (browsing programs returns no ``tags``: a program by id has them); lead
    updates (kept in ``leads``) and static list membership (``lists``: list id -> lead
    ids).
    Errors come as HTTP 200 with ``success: false`` (601 invalid token, 606 rate limit)."""

    def __init__(self, activities: list[dict[str, Any]], leads: list[dict[str, Any]],
                 programs: list[dict[str, Any]] | None = None, client_id: str = "cid",
                 client_secret: str = "secret", page_size: int = 300,
                 types: list[dict[str, Any]] | None = None,
                 smart_campaigns: list[dict[str, Any]] | None = None,
                 lists: dict[str, list[int | str]] | None = None) -> None:
        super().__init__()
        self.activities = activities
        self._dated_key: tuple[int, int] | None = None
        self._dated_cache: list[tuple[datetime, dict[str, Any]]] = []
        self.leads = {str(lead["id"]): lead for lead in leads}  # ids as a query names them
        self.programs = programs or []
        self.smart_campaigns = smart_campaigns or []
        self.client_id, self.client_secret = client_id, client_secret
        self.page_size = page_size
        self.types = types or MARKETO_TYPES
        self.tokens: set[str] = set()
        self.route("GET", r"/identity/oauth/token", self._token)
        self.route("GET", r"/rest/v1/activities/types\.json", self._types)
        self.route("GET", r"/rest/v1/activities/pagingtoken\.json", self._paging_token)
        self.route("GET", r"/rest/v1/activities\.json", self._activities)
        self.route("GET", r"/rest/v1/leads\.json", self._leads)
        self.route("POST", r"/rest/v1/leads\.json", self._sync_leads)
        #: static lists: list id -> member lead ids
        self.lists: dict[str, set[str]] = {str(k): {str(i) for i in v}
                                           for k, v in (lists or {}).items()}
        self.route("POST", r"/rest/v1/lists/(?P<list>\d+)/leads\.json", self._list_add)
        self.route("DELETE", r"/rest/v1/lists/(?P<list>\d+)/leads\.json", self._list_remove)
        self.route("GET", r"/rest/asset/v1/programs\.json", self._programs)
        self.route("GET", r"/rest/asset/v1/program/(?P<pid>[^/]+)\.json", self._program)
        self.route("GET", r"/rest/asset/v1/smartCampaigns\.json", self._smart_campaigns)
        self.exports: dict[str, dict[str, Any]] = {}
        self.route("POST", r"/bulk/v1/activities/export/create\.json", self._export_create)
        self.route("POST", r"/bulk/v1/activities/export/(?P<job>[\w-]+)/enqueue\.json",
                   self._export_enqueue)
        self.route("GET", r"/bulk/v1/activities/export/(?P<job>[\w-]+)/status\.json",
                   self._export_status)
        self.route("GET", r"/bulk/v1/activities/export/(?P<job>[\w-]+)/file\.json",
                   self._export_file)

    def _dated(self) -> list[tuple[datetime, dict[str, Any]]]:
        """Activities in date order with their parsed dates (parsed again if a test edits
        the list)."""
        key = (id(self.activities), len(self.activities))
        if self._dated_key != key:
            self._dated_cache = sorted(((parse_ts(a["activityDate"]), a)
                                        for a in self.activities),
                                       key=lambda p: (p[0], p[1]["id"]))
            self._dated_key = key
        return self._dated_cache

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on (error 601)."""
        self.tokens.clear()

    @staticmethod
    def rate_limited() -> dict[str, Any]:
        """The body Marketo sends (HTTP 200) when the 100 calls / 20 s limit is hit."""
        return {"requestId": "e42b#14272d07d78", "success": False, "errors": [
            {"code": "606", "message": "Max rate limit '100' exceeded with in '20' secs"}]}

    def _auth(self, req: Request) -> Reply | None:
        if _bearer(req) not in self.tokens:
            return Reply(body={"requestId": "x", "success": False,
                               "errors": [{"code": "601", "message": "Access token invalid"}]})
        return None

    def _ok(self, **body: Any) -> Reply:
        return Reply(body={"requestId": "1#1", "success": True, **body})

    def _token(self, req: Request) -> Reply:
        q = req.query
        if (q.get("grant_type") != "client_credentials" or q.get("client_id") != self.client_id
                or q.get("client_secret") != self.client_secret):
            return Reply(401, {"error": "unauthorized", "error_description": "Bad client"})
        token = f"cdf01657-{len(self.tokens) + 1}:ab"
        self.tokens.add(token)
        return Reply(body={"access_token": token, "token_type": "bearer",
                           "expires_in": 3599, "scope": "api@example.com"})

    def _types(self, req: Request) -> Reply:
        return self._auth(req) or self._ok(result=self.types)

    @staticmethod
    def _encode(since: str, offset: int) -> str:
        return base64.b32encode(f"{since}|{offset}".encode()).decode()

    def _paging_token(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        since = parse_ts(req.query["sinceDatetime"]).isoformat()
        return self._ok(nextPageToken=self._encode(since, 0))

    def _activities(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        since_s, offset_s = base64.b32decode(req.query["nextPageToken"]).decode().split("|")
        since, offset = parse_ts(since_s), int(offset_s)
        ids = {int(i) for i in req.query.get("activityTypeIds", "").split(",") if i}
        if len(ids) > 10:
            return Reply(body={"success": False, "errors": [
                {"code": "1003", "message": "activityTypeIds: at most 10"}]})
        rows = [a for at, a in self._dated() if at >= since
                and (not ids or a["activityTypeId"] in ids)]
        page = rows[offset:offset + self.page_size]
        more = offset + self.page_size < len(rows)
        body: dict[str, Any] = {"nextPageToken": self._encode(
            since_s, offset + len(page)), "moreResult": more}
        if page:
            body["result"] = page
        return self._ok(**body)

    def _leads(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        if req.query.get("filterType") != "id":
            return Reply(body={"success": False, "errors": [
                {"code": "1003", "message": "filterType not supported here"}]})
        ids = [i.strip() for i in req.query["filterValues"].split(",") if i.strip()]
        if len(ids) > 300:
            return Reply(body={"success": False, "errors": [
                {"code": "1003", "message": "filterValues: at most 300"}]})
        fields = req.query.get("fields", "id,email,firstName,lastName,updatedAt,createdAt")
        result = [{f: self.leads[i].get(f) for f in fields.split(",")}
                  for i in ids if i in self.leads]
        return self._ok(result=result)

    def _sync_leads(self, req: Request) -> Reply:
        """Sync leads, ``action: updateOnly`` (the only action served), up to 300 by
        ``lookupField`` ``id`` or ``email``: ``updated`` with the lead's id, or ``skipped``
        (1004: lead not found). A null value clears the field."""
        if (denied := self._auth(req)) is not None:
            return denied
        body = req.body or {}
        inputs = body.get("input") or []
        by = body.get("lookupField", "email")
        if body.get("action") != "updateOnly" or by not in ("id", "email"):
            return Reply(body={"success": False, "errors": [{"code": "1003", "message":
                               "this mock serves action updateOnly by id or email"}]})
        if len(inputs) > 300:
            return Reply(body={"success": False, "errors": [
                {"code": "1003", "message": "input: at most 300 records"}]})
        by_email = {str(lead.get("email") or "").lower(): lead for lead in self.leads.values()}
        result: list[dict[str, Any]] = []
        for seq, item in enumerate(inputs):
            key = str(item.get(by) or "")
            lead = self.leads.get(key) if by == "id" else by_email.get(key.lower())
            if lead is None:
                result.append({"seq": seq, "status": "skipped", "reasons": [
                    {"code": "1004", "message": "Lead not found"}]})
                continue
            lead.update({k: v for k, v in item.items() if k != by})
            result.append({"seq": seq, "id": _int_or(str(lead["id"])), "status": "updated"})
        return self._ok(result=result)

    def _list_ids(self, req: Request) -> list[str]:
        ids = [str(i["id"]) for i in (req.body or {}).get("input") or []]
        return ids or ([req.query["id"]] if req.query.get("id") else [])

    def _list_add(self, req: Request) -> Reply:
        """Add leads to a static list: ``added``, or ``skipped`` (1004: lead not found)."""
        return self._auth(req) or self._membership(req, add=True)

    def _list_remove(self, req: Request) -> Reply:
        """Remove leads from a static list: ``removed``, or ``skipped`` (1015: not in list)."""
        return self._auth(req) or self._membership(req, add=False)

    def _membership(self, req: Request, add: bool) -> Reply:
        members = self.lists.get(req.query["list"])
        if members is None:
            return Reply(body={"success": False, "errors": [
                {"code": "1013", "message": "Static list not found"}]})
        ids = self._list_ids(req)
        if len(ids) > 300:
            return Reply(body={"success": False, "errors": [
                {"code": "1003", "message": "input: at most 300 leads"}]})
        result: list[dict[str, Any]] = []
        for i in ids:
            if i not in self.leads:
                result.append({"id": _int_or(i), "status": "skipped", "reasons": [
                    {"code": "1004", "message": "Lead not found"}]})
            elif add:
                members.add(i)
                result.append({"id": _int_or(i), "status": "added"})
            elif i in members:
                members.discard(i)
                result.append({"id": _int_or(i), "status": "removed"})
            else:
                result.append({"id": _int_or(i), "status": "skipped", "reasons": [
                    {"code": "1015", "message": "Lead not in list"}]})
        return self._ok(result=result)

    def _programs(self, req: Request) -> Reply:
        return self._browse(req, [{k: v for k, v in p.items() if k != "tags"}
                                  for p in self.programs])

    def _smart_campaigns(self, req: Request) -> Reply:
        return self._browse(req, self.smart_campaigns)

    def _program(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        found = [p for p in self.programs if str(p["id"]) == req.query["pid"]]
        if not found:
            return self._ok(result=[], warnings=["No assets found for the given search "
                                                 "criteria."])
        return self._ok(result=[{"tags": [], "costs": [], **found[0]}], warnings=[])

    def _browse(self, req: Request, rows: list[dict[str, Any]]) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        if "earliestUpdatedAt" in req.query:
            lo = parse_ts(req.query["earliestUpdatedAt"])
            rows = [p for p in rows if parse_ts(p["updatedAt"]) >= lo]
        if "latestUpdatedAt" in req.query:
            hi = parse_ts(req.query["latestUpdatedAt"])
            rows = [p for p in rows if parse_ts(p["updatedAt"]) <= hi]
        offset, size = int(req.query.get("offset", 0)), int(req.query.get("maxReturn", 20))
        page = rows[offset:offset + size]
        if not page:
            return self._ok(warnings=["No assets found for the given search criteria."])
        return self._ok(result=page, warnings=[])

    # bulk activity export: create -> enqueue -> Queued, Processing, Completed -> file
    def _export_create(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        spec = (req.body or {}).get("filter", {})
        lo, hi = (parse_ts(spec["createdAt"][k]) for k in ("startAt", "endAt"))
        if hi - lo > timedelta(days=31):
            return Reply(body={"success": False, "errors": [
                {"code": "1003", "message": "createdAt range is more than 31 days"}]})
        job = f"e{len(self.exports):03d}-export"
        ids = set(spec.get("activityTypeIds") or [])
        self.exports[job] = {"polls": 0, "queued": False, "rows": [
            a for at, a in self._dated() if lo <= at <= hi  # the range is inclusive
            and (not ids or a["activityTypeId"] in ids)]}
        return self._ok(result=[{"exportId": job, "format": "CSV", "status": "Created"}])

    def _export_enqueue(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        self.exports[req.query["job"]]["queued"] = True
        return self._ok(result=[{"exportId": req.query["job"], "status": "Queued"}])

    def _export_status(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        job = self.exports[req.query["job"]]
        job["polls"] += 1
        state = ("Created" if not job["queued"] else
                 ["Queued", "Processing"][job["polls"] - 1] if job["polls"] < 3 else "Completed")
        return self._ok(result=[{"exportId": req.query["job"], "status": state}])

    def _export_file(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        out = io.StringIO()
        cols = ["marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId",
                "primaryAttributeValueId", "primaryAttributeValue", "attributes"]
        writer = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
        writer.writeheader()
        for a in self.exports[req.query["job"]]["rows"]:
            writer.writerow({
                **{c: a.get(c) for c in cols[1:-1]},
                "marketoGUID": a.get("marketoGUID") or a["id"],
                "attributes": json.dumps({x["name"]: x["value"] for x in a.get("attributes", [])}),
            })
        return Reply(body=out.getvalue(), content_type="text/csv")


def _int_or(value: str) -> int | str:
    return int(value) if value.isdigit() else value
