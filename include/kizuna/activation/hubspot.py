"""Push the target list to HubSpot: company properties through the CRM v3 batch update.

Each company on the target list with a CRM record (its ``account_id``, a HubSpot company id
when the CRM is HubSpot) gets the properties of :data:`PROPERTIES` (custom company
properties to create once in HubSpot). Only records that changed since the last successful
push are sent (``audit.export_records``, target ``hubspot_api``): pushing the same scores
twice sends nothing the second time. A company that left the list has its properties
cleared (HubSpot clears a property set to an empty string). A record HubSpot refuses (an
unknown id) is named in the result's message and sent again next time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import date, datetime
from typing import Any

from kizuna.activation.formats import Row, format_value
from kizuna.activation.records import (
    Delta,
    ExportResult,
    delta,
    previous_records,
    record_hash,
    replace_records,
)
from kizuna.sources.extract.base import Credentials, RetryPolicy, check, chunks, http_session
from kizuna.warehouse import Warehouse

log = logging.getLogger(__name__)

TARGET = "hubspot_api"
OBJECT = "companies"
#: HubSpot's cap on the inputs of one batch request.
BATCH = 100
#: HubSpot company property -> target list column.
PROPERTIES: dict[str, str] = {
    "kizuna_tier": "target_tier",
    "kizuna_rank": "target_rank",
    "kizuna_score": "target_score",
    "kizuna_mqa": "is_mqa",
    "kizuna_next_best_product": "next_best_product",
}


def properties(row: Row) -> dict[str, str]:
    return {name: format_value(row.get(column)) for name, column in PROPERTIES.items()}


def push_targets(wh: Warehouse, credentials: Credentials, rows: list[Row], data_date: date,
                 exported_at: datetime, policy: RetryPolicy | None = None) -> ExportResult:
    """Send the changed companies of the target list ``rows``; the push's audit row."""
    current = {str(r["account_id"]): properties(r) for r in rows if r.get("account_id")}
    hashes = {k: record_hash(list(v.values())) for k, v in current.items()}
    previous = previous_records(wh, TARGET, OBJECT)
    change = delta(previous, hashes)
    cleared = dict.fromkeys(PROPERTIES, "")
    inputs = [{"id": k, "properties": current[k]} for k in change.added + change.changed]
    inputs += [{"id": k, "properties": cleared} for k in change.removed]
    url = f"{credentials.base_url}/crm/v3/objects/{OBJECT}/batch/update"
    refused: dict[str, str] = {}
    if inputs:
        session = http_session(policy or RetryPolicy.from_extra(credentials.extra))
        headers = {"Authorization": f"Bearer {credentials.password}"}
        for batch in chunks(inputs, BATCH):
            answer = check(session.post(url, json={"inputs": list(batch)}, headers=headers),
                           "HubSpot batch update of companies").json()
            refused.update(_refused(answer))
    sent = Delta([k for k in change.added if k not in refused],
                 [k for k in change.changed if k not in refused],
                 [k for k in change.removed if k not in refused])
    # what HubSpot now holds; a refused record stays different, so it is sent again
    state = dict(previous)
    state.update({k: hashes[k] for k in sent.added + sent.changed})
    for k in sent.removed:
        del state[k]
    if change.size:
        replace_records(wh, TARGET, OBJECT, state, data_date, exported_at)
    payload = json.dumps(inputs, sort_keys=True, ensure_ascii=False).encode()
    message = None
    if refused:
        message = (f"HubSpot refused {len(refused)} of {len(inputs)} companies: "
                   + "; ".join(f"{k}: {why}" for k, why in sorted(refused.items())[:10]))
        log.warning(message)
    log.info("HubSpot: %d companies updated, %d cleared (of %d on the list)",
             len(sent.added) + len(sent.changed), len(sent.removed), len(current))
    return ExportResult(uuid.uuid4().hex, exported_at, data_date, "target_accounts", TARGET,
                        OBJECT, url, len(inputs), hashlib.sha256(payload).hexdigest(),
                        "unchanged" if not inputs else "changed", sent, message)


def _refused(answer: dict[str, Any]) -> dict[str, str]:
    """Company id -> HubSpot's reason, for the inputs of a 207 multi-status answer."""
    out: dict[str, str] = {}
    for error in answer.get("errors") or []:
        for key in ("ids", "id"):
            ids = (error.get("context") or {}).get(key) or []
            for i in ids if isinstance(ids, list) else [ids]:
                out[str(i)] = str(error.get("message") or error.get("category"))
    return out
