"""Push the target list to Salesforce: Account fields through REST sObject Collections.

Each account on the target list with a CRM record (its ``account_id``, a Salesforce Account
Id when the CRM is Salesforce) gets the custom fields of
:data:`~kizuna.activation.formats.SALESFORCE_ACCOUNT_FIELDS` (the ``Kizuna_*__c`` fields
the Data Loader files carry; create them once on Account). Records go 200 a call
(``PATCH /services/data/vXX.X/composite/sobjects``, ``allOrNone: false``: one bad record
fails alone); Salesforce answers one SaveResult per record, in order. Only records that
changed since the last successful push are sent (``audit.export_records``, target
``salesforce_api``); an account that left the list has its fields set to null (cleared).
A record Salesforce refuses (a deleted or unknown Id, a validation rule) is named with its
status code in the result's message and sent again next time.

Connection: that of the Salesforce extractor (instance URL; a connected app's client id
and secret, or extra ``access_token``; extra ``api_version``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from kizuna.activation.formats import SALESFORCE_ACCOUNT_FIELDS, Row
from kizuna.activation.push import audit, fields, fields_hash, plan, settle
from kizuna.activation.records import ExportResult
from kizuna.sources.extract.base import Credentials, RetryPolicy, check, chunks
from kizuna.warehouse import Warehouse

TARGET = "salesforce_api"
OBJECT = "Account"
#: Salesforce's cap on the records of one sObject Collections request.
BATCH = 200


def push_targets(wh: Warehouse, credentials: Credentials, rows: list[Row], data_date: date,
                 exported_at: datetime, policy: RetryPolicy | None = None) -> ExportResult:
    """Send the changed accounts of the target list ``rows``; the push's audit row."""
    from kizuna.sources.extract.salesforce import Salesforce

    current = {str(r["account_id"]): fields(r, SALESFORCE_ACCOUNT_FIELDS)
               for r in rows if r.get("account_id")}
    p = plan(wh, TARGET, OBJECT, {k: fields_hash(v) for k, v in current.items()})
    cleared = dict.fromkeys(SALESFORCE_ACCOUNT_FIELDS)
    records = [{"attributes": {"type": OBJECT}, "id": k, **current[k]} for k in p.to_update]
    records += [{"attributes": {"type": OBJECT}, "id": k, **cleared}
                for k in p.change.removed]
    client = Salesforce(credentials, policy or RetryPolicy.from_extra(credentials.extra)).client
    refused: dict[str, str] = {}
    for batch in chunks(records, BATCH):
        answer = check(client.request("/composite/sobjects", method="PATCH", json={
            "allOrNone": False, "records": list(batch)}),
            "Salesforce sObject Collections update of accounts").json()
        refused.update(_refused(batch, answer))
    sent = settle(wh, p, refused, data_date, exported_at)
    return audit(p, "target_accounts", f"{client.base_url}/composite/sobjects", records, sent,
                 refused, data_date, exported_at, "Salesforce accounts")


def _refused(batch: Any, answer: list[dict[str, Any]]) -> dict[str, str]:
    """Record Id -> Salesforce's reason, for each SaveResult that did not succeed (the
    results come in the order of the records sent; a failed one may carry no id)."""
    out: dict[str, str] = {}
    for record, result in zip(batch, answer, strict=True):
        if not result.get("success"):
            out[str(record["id"])] = "; ".join(
                f"{e.get('statusCode')}: {e.get('message')}" for e in result.get("errors") or [])
    return out
