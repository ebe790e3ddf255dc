"""Push the lead hand-offs to Marketo: lead fields, and the MQA static list's members.

1. **Lead fields** (:data:`~kizuna.activation.formats.MARKETO_LEAD_FIELDS`, the
   ``kizuna*`` custom fields the list import carries): ``POST /rest/v1/leads.json`` with
   ``action: updateOnly`` (Marketo owns its leads: no lead is created), 300 a call, looked
   up by ``id`` (the lead id is Marketo's own when the MA source is Marketo) or by
   ``email`` (another MA tool's leads, known to Marketo by address). Marketo answers one
   result per input, in order: ``updated`` with the lead's id, or ``skipped`` with reasons
   (1004: lead not found). A lead that left the hand-offs has its fields set to null,
   by its Marketo id.
2. **The MQA list** (when a static list id is configured): every lead Marketo updated is
   added (``POST /rest/v1/lists/{listId}/leads.json``), every lead that left is removed
   (``DELETE`` on the same path), 300 a call.

Only what changed since the last successful push is sent (``audit.export_records``, target
``marketo_api``: object ``leads`` keyed by lead id; ``lead_ids``, Marketo's id of each
lead pushed, keyed by that id with the hash of our lead id, so that a lead that left can
be cleared without its address; ``list_<id>``, the list's members). A lead Marketo skips
is named in the result's message and sent again next time.

Connection: that of the Marketo extractor (REST endpoint, client id and secret); extra
``lookup_field`` (``id``, the default, or ``email``) and ``mqa_list_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Literal

from kizuna.activation.formats import MARKETO_LEAD_FIELDS, Row
from kizuna.activation.push import audit, fields, fields_hash, plan, settle
from kizuna.activation.records import ExportResult, record_hash
from kizuna.sources.extract.base import Credentials, ExtractError, RetryPolicy, check, chunks
from kizuna.warehouse import Warehouse

TARGET = "marketo_api"
LEADS = "leads"
LEAD_IDS = "lead_ids"
#: Marketo's cap on the records of one lead or list membership call.
BATCH = 300
LOOKUP_FIELDS = ("id", "email")
Method = Literal["POST", "DELETE"]
Call = Callable[[Method, str, dict[str, Any], str], list[dict[str, Any]]]


def push_handoffs(wh: Warehouse, credentials: Credentials, rows: list[Row], data_date: date,
                  exported_at: datetime, policy: RetryPolicy | None = None
                  ) -> list[ExportResult]:
    """Send the changed leads of the hand-offs ``rows`` and bring the MQA list (extra
    ``mqa_list_id``) in line; the pushes' audit rows (leads, then the list)."""
    from kizuna.sources.extract.marketo import Marketo

    lookup = str(credentials.extra.get("lookup_field", "id"))
    if lookup not in LOOKUP_FIELDS:
        raise ExtractError(f"Marketo connection extra lookup_field is {lookup!r}: use one of "
                           f"{LOOKUP_FIELDS}")
    client = Marketo(credentials, policy or RetryPolicy.from_extra(credentials.extra)).client

    def call(method: Method, path: str, body: dict[str, Any], what: str) -> list[dict[str, Any]]:
        answer = check(client.request(path, method=method, json=body), what).json()
        if not answer.get("success"):
            raise ExtractError(f"{what} failed: {answer.get('errors')!r}; check the "
                               "connection's fields and the API user's permissions")
        return list(answer.get("result") or [])

    current = {str(r["lead_id"]): fields(r, MARKETO_LEAD_FIELDS) for r in rows}
    lookups = {str(r["lead_id"]): str(r["lead_id"] if lookup == "id" else r["email"])
               for r in rows}
    p = plan(wh, TARGET, LEADS, {k: fields_hash(v) for k, v in current.items()})
    known = plan(wh, TARGET, LEAD_IDS, {})  # Marketo id -> hash of our lead id
    marketo_id = {h: k for k, h in known.previous.items()}
    refused: dict[str, str] = {}
    taken: dict[str, str] = {}  # our lead id -> Marketo's, for the leads it updated

    def sync(keys: list[str], by: str, inputs: list[dict[str, Any]]) -> None:
        for batch_keys, batch in zip(chunks(keys, BATCH), chunks(inputs, BATCH), strict=True):
            results = call("POST", "/rest/v1/leads.json", {
                "action": "updateOnly", "lookupField": by, "input": list(batch)},
                "Marketo lead update")
            for key, result in zip(batch_keys, results, strict=True):
                if result.get("status") == "updated":
                    taken[key] = str(result["id"])
                else:
                    refused[key] = _reasons(result)

    updates = [{lookup: _id(lookups[k]) if lookup == "id" else lookups[k], **current[k]}
               for k in p.to_update]
    sync(p.to_update, lookup, updates)
    # a lead that left is cleared by its Marketo id (its address may be gone: an erasure)
    gone = {k: marketo_id[record_hash([k])] for k in p.change.removed
            if record_hash([k]) in marketo_id}
    cleared = dict.fromkeys(MARKETO_LEAD_FIELDS)
    sync(list(gone), "id", [{"id": _id(gone[k]), **cleared} for k in gone])
    sent = settle(wh, p, refused, data_date, exported_at)

    # Marketo's ids of the leads it holds our fields on: the MQA list's members
    left = {record_hash([k]) for k in sent.removed}
    ids = {mid: h for mid, h in known.previous.items() if h not in left}
    ids.update({mid: record_hash([k]) for k, mid in taken.items() if k not in gone})
    settle(wh, plan(wh, TARGET, LEAD_IDS, ids), (), data_date, exported_at)
    results = [audit(p, "lead_handoffs", f"{client.base_url}/rest/v1/leads.json",
                     updates + [{"id": gone[k]} for k in gone], sent, refused, data_date,
                     exported_at, "Marketo leads")]

    list_id = credentials.extra.get("mqa_list_id")
    if list_id is not None:
        results.append(_sync_list(wh, str(list_id), ids, call, data_date, exported_at,
                                  client.base_url))
    return results


def _sync_list(wh: Warehouse, list_id: str, members: dict[str, str],
               call: Call,
               data_date: date, exported_at: datetime, base_url: str) -> ExportResult:
    """Make the static list's members ``members`` (Marketo id -> hash of our lead id):
    add the new ones, remove those that left."""
    path = f"/rest/v1/lists/{list_id}/leads.json"
    p = plan(wh, TARGET, f"list_{list_id}", members)
    refused: dict[str, str] = {}
    changes: list[tuple[Method, list[str], str]] = [("POST", p.change.added, "added"),
                                                    ("DELETE", p.change.removed, "removed")]
    for method, keys, done in changes:
        for batch in chunks(keys, BATCH):
            results = call(method, path, {"input": [{"id": _id(k)} for k in batch]},
                           f"Marketo list {list_id} membership")
            refused.update(_statuses(batch, results, done))
    sent = settle(wh, p, refused, data_date, exported_at)
    inputs = [{"id": k, "change": "add"} for k in p.change.added]
    inputs += [{"id": k, "change": "remove"} for k in p.change.removed]
    return audit(p, "lead_handoffs", base_url + path, inputs, sent, refused, data_date,
                 exported_at, f"Marketo list {list_id}")


def _statuses(keys: Sequence[str], results: list[dict[str, Any]], done: str
              ) -> dict[str, str]:
    """Marketo id -> reason, for the leads a list call did not do ``done`` to."""
    by_id = {str(r.get("id")): r for r in results}
    return {k: _reasons(by_id.get(k) or {"reasons": [{"message": "no result"}]})
            for k in keys if (by_id.get(k) or {}).get("status") != done}


def _reasons(result: dict[str, Any]) -> str:
    reasons = result.get("reasons") or [{"message": result.get("status")}]
    return "; ".join(f"{r.get('code')}: {r.get('message')}" if r.get("code")
                     else str(r.get("message")) for r in reasons)


def _id(value: str) -> int | str:
    """Marketo's lead ids are integers."""
    return int(value) if value.isdigit() else value
