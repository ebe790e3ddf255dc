"""What every push to a vendor API shares: which records changed since the last push,
what the vendor holds after it, and the push's row of ``audit.exports``.

A push sends only the records whose values differ from those last accepted
(``audit.export_records``, keyed by the push's target and object): pushing the same scores
twice sends nothing the second time. A record the vendor refuses keeps its old state, so it
is sent again next time, and the result's message names it with the vendor's reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
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
from kizuna.warehouse import Warehouse

log = logging.getLogger(__name__)

#: Refused records named in a push's message, at most.
MESSAGE_RECORDS = 10


def json_value(value: Any) -> Any:
    """A list value as a JSON API wants it: numbers and booleans typed, dates ISO 8601,
    decimals to 2 places, no value ``None`` (which clears a field in Salesforce and
    Marketo)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        return round(float(value), 2)
    if isinstance(value, datetime | date):
        return format_value(value)
    return str(value)


def fields(row: Row, mapping: dict[str, str]) -> dict[str, Any]:
    """The vendor fields of ``mapping`` (vendor field -> list column) of one row."""
    return {name: json_value(row.get(column)) for name, column in mapping.items()}


def fields_hash(values: dict[str, Any]) -> str:
    """The hash a record is compared by: its values as the import files write them."""
    return record_hash([format_value(v) for v in values.values()])


@dataclass(frozen=True)
class Plan:
    """One object's push: the state last pushed, the records now, and what changed."""

    target: str
    obj: str
    previous: dict[str, str]
    hashes: dict[str, str]
    change: Delta

    @property
    def to_update(self) -> list[str]:
        """Keys to send with their values: added and changed."""
        return self.change.added + self.change.changed


def plan(wh: Warehouse, target: str, obj: str, hashes: dict[str, str]) -> Plan:
    """What to send of ``obj`` for records ``hashes`` (key -> hash) to ``target``."""
    previous = previous_records(wh, target, obj)
    return Plan(target, obj, previous, hashes, delta(previous, hashes))


def settle(wh: Warehouse, p: Plan, refused: Collection[str], data_date: date,
           exported_at: datetime) -> Delta:
    """Record what the vendor now holds (every record sent but those ``refused``); the
    records it took."""
    sent = Delta([k for k in p.change.added if k not in refused],
                 [k for k in p.change.changed if k not in refused],
                 [k for k in p.change.removed if k not in refused])
    state = dict(p.previous)
    state.update({k: p.hashes[k] for k in sent.added + sent.changed})
    for k in sent.removed:
        del state[k]
    if p.change.size:
        replace_records(wh, p.target, p.obj, state, data_date, exported_at)
    return sent


def audit(p: Plan, list_name: str, destination: str, inputs: list[Any], sent: Delta,
          refused: dict[str, str], data_date: date, exported_at: datetime,
          what: str) -> ExportResult:
    """The push's row of ``audit.exports``: ``inputs`` is every record sent (the row
    count; its SHA-256 the checksum); ``what`` names the vendor and object in messages."""
    payload = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str).encode()
    message = None
    if refused:
        shown = sorted(refused.items())[:MESSAGE_RECORDS]
        message = (f"{what}: {len(refused)} of {len(inputs)} refused: "
                   + "; ".join(f"{k}: {why}" for k, why in shown))
        log.warning(message)
    log.info("%s: %d updated, %d cleared (of %d on the list)", what,
             len(sent.added) + len(sent.changed), len(sent.removed), len(p.hashes))
    return ExportResult(uuid.uuid4().hex, exported_at, data_date, list_name, p.target, p.obj,
                        destination, len(inputs), hashlib.sha256(payload).hexdigest(),
                        "unchanged" if not inputs else "changed", sent, message)
