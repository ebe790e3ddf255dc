"""A simulated world's vendor files served from the local mock APIs (``mock.py``).

``kizuna simulate --as hubspot=hubspot_fivetran`` (or ``salesforce_export``,
``marketo_export``) writes the world as a vendor's tables; here each vendor's tables become
the objects its mock API serves, so the extractors, the extract DAG and the ``*_fivetran``
adapters can be run on the same world, with the same truth, as the files. One function per
vendor does the conversion:

- HubSpot, from the ``hubspot_fivetran`` tables: contacts, companies and deals as CRM v3
  objects (every ``property_<name>`` a property, values as text as HubSpot sends them, the
  deal's stage and pipeline as ``dealstage``/``pipeline``, ``hs_is_closed`` and
  ``hs_is_closed_won`` from the pipeline's stage list as HubSpot computes them), the
  deal -> company and contact -> company associations, each deal's stage history (the
  ``deal_stage`` rows, served as the ``dealstage`` property's history), the pipeline's
  stages (``deal_pipeline_stage``: closed, and a probability of 1.0 when won), the marketing
  e-mail events (a click with its URL) and the marketing e-mails they name
  (``email_campaign``, last updated the day they were delivered).
- Salesforce, from the ``salesforce_export`` CSVs: each file an sObject under its API name,
  columns as API field names, checkboxes as booleans and the standard number fields as
  numbers; objects the export writes without ``SystemModstamp`` (users, stages, price
  books, products) get their delivery date as the modification stamp.
- Marketo, from the ``marketo_export`` files: leads, activities (``activityTypeId``, the
  attributes as name/value pairs), activity types (custom ones included), programs (their
  costs and tags) and smart campaigns (one written without ``updatedAt`` was updated
  the day it was delivered); a *New Lead* activity
  per lead at its creation, which Marketo logs and through which the extractor finds the
  leads to read.

An API serves each record as it is now: a record the files deliver in several versions
is served in its latest one. Tables of the export the API path does not read are not
served (:data:`NOT_SERVED` says why).
"""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kizuna.sources.extract.base import Credentials, parse_ts
from kizuna.sources.extract.mock import (
    MARKETO_TYPES,
    HubSpotMock,
    MarketoMock,
    MockAPI,
    SalesforceMock,
)

#: The writer each vendor's world must be written with, and the adapter that reads what
#: the extractor lands from its API.
WRITERS: dict[str, str] = {"hubspot": "hubspot_fivetran", "salesforce": "salesforce_export",
                           "marketo": "marketo_export"}
API_ADAPTERS: dict[str, str] = {"hubspot": "hubspot_fivetran",
                                "salesforce": "salesforce_fivetran",
                                "marketo": "marketo_fivetran"}
#: Tables of the world's files that no extractor reads, and why (none today).
NOT_SERVED: dict[str, str] = {}
#: Salesforce's standard number fields among the export's columns (the rest are text,
#: checkboxes booleans): the export's CSV does not say a field's type.
SALESFORCE_NUMBERS = frozenset({
    "Amount", "Probability", "ExpectedRevenue", "TotalOpportunityQuantity", "Quantity",
    "UnitPrice", "TotalPrice", "ListPrice", "Price", "DurationInMinutes", "SortOrder",
    "DefaultProbability", "NumberOfEmployees", "AnnualRevenue",
})
HUBSPOT_TOKEN = "pat-kizuna-local"
CLIENT_ID, CLIENT_SECRET = "kizuna-local", "kizuna-local-secret"


class ServeError(ValueError):
    """The folder is not a world written as vendors, or not in a shape the APIs serve."""


@dataclass
class VendorObjects:
    """What one vendor's mock serves: the mock's constructor arguments, the rows per
    object, and the connection extra the extractor needs to read them all."""

    vendor: str
    kwargs: dict[str, Any]
    rows: dict[str, int]
    extra: dict[str, Any] = field(default_factory=dict)

    def mock(self) -> MockAPI:
        kind = {"hubspot": HubSpotMock, "salesforce": SalesforceMock,
                "marketo": MarketoMock}[self.vendor]
        return kind(**self.kwargs)


# -- reading the world's files ---------------------------------------------------------
def _read(landing: Path, vendor: str, table: str) -> Iterator[dict[str, Any]]:
    """Every row of ``landing/<vendor>/<table>/<day>/part-*``, in folder order, each with
    ``_day``, the date folder it was delivered in."""
    root = landing / vendor / table
    for day in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        for path in sorted(day.glob("part-*")):
            if path.suffix == ".csv":
                with path.open(encoding="utf-8", newline="") as f:
                    for row in csv.DictReader(f):
                        yield {**row, "_day": day.name}
            elif path.suffix == ".jsonl":
                with path.open(encoding="utf-8") as f:
                    for line in f:
                        if line.strip():
                            yield {**json.loads(line), "_day": day.name}


def _latest(rows: Iterator[dict[str, Any]], key: str, stamp: str | None
            ) -> list[dict[str, Any]]:
    """One row per ``key``: the latest version (by ``stamp``, then delivery date), in the
    order the keys first appeared."""
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        k = row[key]
        old = out.get(k)
        if old is None or _version(row, stamp) >= _version(old, stamp):
            out[k] = row
    return list(out.values())


def _version(row: dict[str, Any], stamp: str | None) -> tuple[str, str]:
    return (str(row.get(stamp) or "") if stamp else "", row["_day"])


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _text(value: Any) -> str | None:
    """A property value as HubSpot sends it: text, booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- HubSpot ---------------------------------------------------------------------------
def hubspot_objects(landing: Path, vendor: str = "hubspot") -> VendorObjects:
    """CRM v3 objects, associations and e-mail events from the ``hubspot_fivetran`` tables."""
    stages = {r["stage_id"]: r for r in _read(landing, vendor, "deal_pipeline_stage")}

    def record(rid: str, props: dict[str, Any], created: str, modified: str
               ) -> dict[str, Any]:
        props = {k: _text(v) for k, v in props.items()}
        props["hs_object_id"] = rid
        return {"id": rid, "properties": props, "createdAt": props.get(created) or
                props.get(modified), "updatedAt": props.get(modified), "archived": False}

    def properties(row: dict[str, Any]) -> dict[str, Any]:
        return {k.removeprefix("property_"): v for k, v in row.items()
                if k.startswith("property_")}

    contacts, companies, deals = [], [], []
    contact_company: dict[str, list[str]] = {}
    for row in _latest(_read(landing, vendor, "contact"), "id", "property_lastmodifieddate"):
        contacts.append(record(str(row["id"]), properties(row), "createdate",
                               "lastmodifieddate"))
        if row.get("property_associatedcompanyid"):
            contact_company[str(row["id"])] = [str(row["property_associatedcompanyid"])]
    for row in _latest(_read(landing, vendor, "company"), "id",
                       "property_hs_lastmodifieddate"):
        companies.append(record(str(row["id"]), properties(row), "createdate",
                                "hs_lastmodifieddate"))
    history: dict[str, list[dict[str, Any]]] = {}
    for row in _read(landing, vendor, "deal_stage"):
        history.setdefault(str(row["deal_id"]), []).append({
            "value": row.get("value"), "timestamp": row["date_entered"],
            "sourceType": row.get("source"), "sourceId": row.get("source_id")})
    for row in _latest(_read(landing, vendor, "deal"), "deal_id",
                       "property_hs_lastmodifieddate"):
        stage = stages.get(row.get("deal_pipeline_stage_id") or "")
        props = {**properties(row), "dealstage": row.get("deal_pipeline_stage_id"),
                 "pipeline": row.get("deal_pipeline_id")}
        if stage is not None:  # HubSpot computes these from the pipeline's stage list
            props["hs_is_closed"] = _true(stage["is_closed"])
            props["hs_is_closed_won"] = _true(stage["closed_won"])
        deal = record(str(row["deal_id"]), props, "createdate", "hs_lastmodifieddate")
        entries = history.get(str(row["deal_id"]), [])
        # HubSpot lists a property's history newest first
        deal["propertiesWithHistory"] = {"dealstage": sorted(
            entries, key=lambda e: parse_ts(e["timestamp"]), reverse=True)}
        deals.append(deal)
    deal_company: dict[str, list[str]] = {}
    for row in _read(landing, vendor, "deal_company"):
        targets = deal_company.setdefault(str(row["deal_id"]), [])
        if str(row["company_id"]) not in targets:
            targets.append(str(row["company_id"]))
    urls = {r["id"]: r.get("url") for r in _read(landing, vendor, "email_event_click")}
    events = []
    for row in _read(landing, vendor, "email_event"):
        event = {"id": row["id"], "created": int(row["created"]), "type": row["type"],
                 "recipient": row.get("recipient"),
                 "emailCampaignId": row.get("email_campaign_id"),
                 "filteredEvent": _true(row.get("filtered_event"))}
        if row["id"] in urls:
            event["url"] = urls[row["id"]]
        events.append(event)
    pipelines: dict[str, dict[str, Any]] = {}
    for row in _read(landing, vendor, "deal_pipeline_stage"):
        stamp = f"{row['_day']}T00:00:00Z"
        pipeline = pipelines.setdefault(str(row["pipeline_id"]), {
            "id": str(row["pipeline_id"]), "label": str(row["pipeline_id"]), "displayOrder": 0,
            "archived": False, "createdAt": stamp, "updatedAt": stamp, "stages": []})
        meta: dict[str, Any] = {"isClosed": _text(_true(row["is_closed"]))}
        if _true(row["closed_won"]) or _true(row["is_closed"]):  # open ones: none written
            meta["probability"] = "1.0" if _true(row["closed_won"]) else "0.0"
        pipeline["stages"].append({
            "id": row["stage_id"], "label": row.get("label"), "archived": False,
            "displayOrder": int(row.get("display_order") or 0), "metadata": meta,
            "createdAt": stamp, "updatedAt": stamp})
    campaigns = []
    for row in _latest(_read(landing, vendor, "email_campaign"), "id", None):
        day = parse_ts(f"{row['_day']}T00:00:00Z")
        campaigns.append({
            "id": row["id"], "name": row.get("name"), "subject": row.get("subject"),
            "type": row.get("type"), "subType": row.get("sub_type"),
            "appName": row.get("app_name"), "numIncluded": row.get("num_included"),
            "numQueued": row.get("num_queued"),
            "lastUpdatedTime": int(day.timestamp() * 1000)})
    objects = {"contacts": contacts, "companies": companies, "deals": deals}
    wanted = {name: sorted({p for r in rows for p in r["properties"]} - {"hs_object_id"})
              for name, rows in objects.items()}
    return VendorObjects(
        "hubspot",
        {"objects": objects, "associations": {("deals", "companies"): deal_company,
                                              ("contacts", "companies"): contact_company},
         "email_events": events, "email_campaigns": campaigns,
         "pipelines": {"deals": list(pipelines.values())}, "token": HUBSPOT_TOKEN},
        {**{k: len(v) for k, v in objects.items()},
         "deal -> company": sum(map(len, deal_company.values())),
         "contact -> company": sum(map(len, contact_company.values())),
         "deal stage history": sum(map(len, history.values())),
         "deal pipeline stages": sum(len(p["stages"]) for p in pipelines.values()),
         "email events": len(events), "email campaigns": len(campaigns)},
        {"properties": wanted},
    )


# -- Salesforce ------------------------------------------------------------------------
def _sf_value(field_name: str, value: str) -> Any:
    if value == "":
        return None
    if value in ("true", "false"):
        return value == "true"
    if field_name in SALESFORCE_NUMBERS:
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def salesforce_objects(landing: Path, vendor: str = "salesforce") -> VendorObjects:
    """sObjects from the ``salesforce_export`` CSVs (one folder per object)."""
    from kizuna.sources.extract.salesforce import OBJECTS

    api_names = {name.lower(): name for name in OBJECTS}
    objects: dict[str, list[dict[str, Any]]] = {}
    root = landing / vendor
    for folder in sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        if folder not in api_names:
            raise ServeError(f"{root / folder}: not a Salesforce object the extractor reads "
                             f"(it reads {', '.join(OBJECTS)})")
        rows = []
        for row in _latest(_read(landing, vendor, folder), "Id", "SystemModstamp"):
            day = row.pop("_day")
            rec = {k: _sf_value(k, v) for k, v in row.items()}
            rec.setdefault("IsDeleted", False)
            # an object written without a modification stamp was modified when delivered
            rec.setdefault("SystemModstamp", f"{day}T00:00:00.000Z")
            rows.append(rec)
        if rows:
            objects[api_names[folder]] = rows
    return VendorObjects(
        "salesforce",
        {"objects": objects, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        {k: len(v) for k, v in objects.items()},
        {"objects": list(objects), "poll_seconds": 0.2},
    )


# -- Marketo ---------------------------------------------------------------------------
def _mk_value(value: str | None) -> str | None:
    """Bulk extract CSV writes an empty field as the text null."""
    return None if value in (None, "", "null") else value


def _mk_int(value: str | None) -> int | str | None:
    v = _mk_value(value)
    return int(v) if v is not None and v.isdigit() else v


def marketo_objects(landing: Path, vendor: str = "marketo") -> VendorObjects:
    """Leads, activities, activity types and programs from the ``marketo_export`` files."""
    types = [{k: v for k, v in t.items() if k != "_day"}
             for t in _read(landing, vendor, "activity_types")]
    new_lead = next(t for t in MARKETO_TYPES if t["name"] == "New Lead")
    if not any(t["id"] == new_lead["id"] for t in types):
        types.append(new_lead)
    leads = []
    for row in _latest(_read(landing, vendor, "leads"), "id", "updatedAt"):
        lead: dict[str, Any] = {k: _mk_value(v) for k, v in row.items() if k != "_day"}
        if lead.get("unsubscribed") is not None:
            lead["unsubscribed"] = lead["unsubscribed"] == "true"
        leads.append(lead)
    activities = []
    for row in _read(landing, vendor, "activities"):
        attrs = json.loads(_mk_value(row.get("attributes")) or "{}")
        activities.append({
            "id": row["marketoGUID"], "marketoGUID": row["marketoGUID"],
            "leadId": row["leadId"], "activityDate": row["activityDate"],
            "activityTypeId": int(row["activityTypeId"]),
            "campaignId": _mk_int(row.get("campaignId")),
            "primaryAttributeValueId": _mk_value(row.get("primaryAttributeValueId")),
            "primaryAttributeValue": _mk_value(row.get("primaryAttributeValue")),
            "attributes": [{"name": k, "value": v} for k, v in attrs.items()],
        })
    created = [{
        "id": f"new-lead-{lead['id']}", "marketoGUID": f"new-lead-{lead['id']}",
        "leadId": lead["id"], "activityDate": lead.get("createdAt") or lead["updatedAt"],
        "activityTypeId": new_lead["id"], "campaignId": None,
        "primaryAttributeValueId": lead["id"], "primaryAttributeValue": None,
        "attributes": [{"name": "Source Type", "value": lead.get("leadSource")}],
    } for lead in leads]
    programs = [{k: v for k, v in p.items() if k != "_day"}
                for p in _latest(_read(landing, vendor, "programs"), "id", "updatedAt")]
    for p in programs:  # the Asset API's date form is parsed as the mock filters on it
        parse_ts(p["updatedAt"])
    smart_campaigns = []
    for row in _latest(_read(landing, vendor, "smart_campaigns"), "id", "updatedAt"):
        sc = {k: v for k, v in row.items() if k != "_day"}
        sc.setdefault("updatedAt", f"{row['_day']}T00:00:00Z+0000")
        sc.setdefault("createdAt", sc["updatedAt"])
        smart_campaigns.append(sc)
    return VendorObjects(
        "marketo",
        {"activities": activities + created, "leads": leads, "programs": programs,
         "smart_campaigns": smart_campaigns, "types": types, "client_id": CLIENT_ID,
         "client_secret": CLIENT_SECRET},
        {"leads": len(leads), "activities": len(activities),
         "New Lead activities": len(created), "activity types": len(types),
         "programs": len(programs), "smart campaigns": len(smart_campaigns)},
    )


CONVERTERS = {"hubspot": hubspot_objects, "salesforce": salesforce_objects,
              "marketo": marketo_objects}


# -- a world's vendors -----------------------------------------------------------------
def world_vendors(world: Path) -> dict[str, str]:
    """Landing folder -> vendor for every vendor ``world/sources.yml`` names whose writer
    an API serves (``hubspot_fivetran``, ``salesforce_export``, ``marketo_export``)."""
    sources = world / "sources.yml"
    if not sources.is_file():
        raise ServeError(f"{sources} not found: write the world first with kizuna simulate "
                         f"--out {world} --as hubspot=hubspot_fivetran (or salesforce_export, "
                         "marketo_export)")
    named = (yaml.safe_load(sources.read_text(encoding="utf-8")) or {}).get("vendors") or {}
    out: dict[str, str] = {}
    for folder, spec in named.items():
        writer = str((spec or {}).get("adapter"))
        vendor = next((v for v, w in WRITERS.items() if w == writer), None)
        if vendor is None:
            raise ServeError(f"{sources}: vendor {folder} is written as {writer}; the mock "
                             "APIs serve " + ", ".join(f"{v} from {w}" for v, w in
                                                       WRITERS.items()))
        out[folder] = vendor
    if not out:
        raise ServeError(f"{sources} names no vendor: simulate with --as "
                         "hubspot=hubspot_fivetran (or salesforce_export, marketo_export)")
    return out


@dataclass
class Served:
    """One vendor's mock API, running."""

    vendor: str
    folder: str
    objects: VendorObjects
    api: MockAPI

    @property
    def conn_id(self) -> str:
        from kizuna.sources.extract import CONN_IDS

        return CONN_IDS[self.vendor]

    def credentials(self) -> Credentials:
        """The Airflow connection's fields the extractor reads (host, login, password)."""
        kw = self.objects.kwargs
        if self.vendor == "hubspot":
            return Credentials(host=self.api.url, password=kw["token"],
                               extra=dict(self.objects.extra))
        return Credentials(host=self.api.url, login=kw["client_id"],
                           password=kw["client_secret"], extra=dict(self.objects.extra))

    def airflow_command(self) -> str:
        """The ``airflow connections add`` line that points the extract DAG here."""
        c = self.credentials()
        parts = ["airflow", "connections", "add", self.conn_id, "--conn-type", "http",
                 "--conn-host", c.host]
        if c.login:
            parts += ["--conn-login", c.login]
        parts += ["--conn-password", c.password or ""]
        if c.extra:
            parts += ["--conn-extra", json.dumps(c.extra, ensure_ascii=False,
                                                 separators=(",", ":"))]
        return " ".join(shlex.quote(p) for p in parts)


class WorldServer:
    """Every vendor of a world written by ``kizuna simulate --as ...``, each served by its
    mock API on ``127.0.0.1`` (``port``, ``port + 1`` ... or free ports), until
    :meth:`stop`::

        with WorldServer(Path("world")) as served:
            for s in served.vendors.values():
                extractor(s.vendor, s.credentials())
    """

    def __init__(self, world: Path, port: int = 0) -> None:
        self.world = Path(world)
        self.port = port  # the first vendor's; the next ones follow (0: free ports)
        landing = self.world / "landing"
        self.vendors: dict[str, Served] = {}
        for folder, vendor in world_vendors(self.world).items():
            objects = CONVERTERS[vendor](landing, folder)
            self.vendors[vendor] = Served(vendor, folder, objects, objects.mock())

    def start(self) -> WorldServer:
        for i, s in enumerate(self.vendors.values()):
            s.api.start(self.port + i if self.port else 0)
        return self

    def stop(self) -> None:
        for s in self.vendors.values():
            s.api.stop()

    def __enter__(self) -> WorldServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def api_home(world: Path, home: Path) -> Path:
    """Make ``home`` the place the extractors land a served world into: the world's
    entities no vendor delivers (copied into ``home/landing``), and ``home/sources.yml``:
    the world's settings, each served vendor read from ``landing/<vendor>/`` by its
    ``*_fivetran`` adapter. Returns the sources file (set ``KIZUNA_SOURCES`` to it)."""
    import shutil

    vendors = world_vendors(world)
    sources = yaml.safe_load((world / "sources.yml").read_text(encoding="utf-8"))
    named = sources.pop("vendors")
    sources["vendors"] = {vendor: {**named[folder], "adapter": API_ADAPTERS[vendor]}
                          for folder, vendor in vendors.items()}
    def adapted(folder: str, names: list[str]) -> list[str]:  # what a load of the files made
        return [n for n in names if Path(n).stem in vendors]

    for path in sorted((world / "landing").iterdir()):
        if path.is_dir() and path.name not in vendors:
            shutil.copytree(path, home / "landing" / path.name, dirs_exist_ok=True,
                            ignore=adapted)
    target = home / "sources.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(sources, sort_keys=False), encoding="utf-8")
    return target
