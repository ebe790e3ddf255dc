"""Import files: a list's rows in a vendor's format, written whole, with a delta beside.

A file is rendered in memory (:func:`render`), compared with what was last exported to the
same file (``audit.export_records``), then written atomically under
``<exports>/<data date>/<target>/``; the records added, changed or removed since then go
to ``<target>/delta/<file>`` with two leading columns, ``kizuna_change`` and
``kizuna_record_key`` (a removed record has only these).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from kizuna.activation.formats import FileFormat, Row, format_value
from kizuna.activation.records import (
    Delta,
    ExportResult,
    delta,
    previous_records,
    previous_sha256,
    record_hash,
    replace_records,
)
from kizuna.warehouse import Warehouse

log = logging.getLogger(__name__)

#: What stands in for a character the file's encoding cannot hold (〓, the geta mark).
REPLACEMENT = "\u3013"
#: Rows with replaced characters named in a file's message, at most.
MESSAGE_ROWS = 10


@dataclass(frozen=True)
class Replacement:
    """A character the file's encoding could not hold: which record, column and character."""

    record_key: str
    column: str
    character: str


@dataclass(frozen=True)
class Rendered:
    """A file's bytes, its records (key -> values as written) and any replaced characters."""

    data: bytes
    records: dict[str, list[str]]
    replacements: list[Replacement]

    @property
    def hashes(self) -> dict[str, str]:
        return {key: record_hash(values) for key, values in self.records.items()}


def encodable(text: str, encoding: str) -> tuple[str, list[str]]:
    """``text`` with every character ``encoding`` cannot hold replaced by
    :data:`REPLACEMENT`, and those characters."""
    try:
        text.encode(encoding)
        return text, []
    except UnicodeEncodeError:
        pass
    kept, lost = [], []
    for ch in text:
        try:
            ch.encode(encoding)
            kept.append(ch)
        except UnicodeEncodeError:
            kept.append(REPLACEMENT)
            lost.append(ch)
    return "".join(kept), lost


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    # CRLF (RFC 4180, what Excel writes); quotes only where a value needs them
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def render(fmt: FileFormat, rows: list[Row], key: str) -> Rendered:
    """The file ``fmt`` makes of ``rows`` (in their order), records keyed by ``key``."""
    records: dict[str, list[str]] = {}
    replacements: list[Replacement] = []
    for row in rows:
        if fmt.where is not None and not fmt.where(row):
            continue
        values = [format_value(v) for v in fmt.values(row)]
        record_key = str(row[key])
        if fmt.encoding != "utf-8":
            for i, value in enumerate(values):
                values[i], lost = encodable(value, fmt.encoding)
                replacements += [Replacement(record_key, fmt.headers[i], ch) for ch in lost]
        records[record_key] = values
    text = _csv([fmt.headers, *records.values()])
    return Rendered(text.encode(fmt.encoding), records, replacements)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)  # an importer never reads half a file


def _delta_file(fmt: FileFormat, rendered: Rendered, change: Delta) -> bytes:
    rows = [["kizuna_change", "kizuna_record_key", *fmt.headers]]
    for kind, keys in (("added", change.added), ("changed", change.changed)):
        rows += [[kind, k, *rendered.records[k]] for k in keys]
    rows += [["removed", k, *([""] * len(fmt.headers))] for k in change.removed]
    return _csv(rows).encode(fmt.encoding)


def _message(replacements: list[Replacement], encoding: str) -> str | None:
    if not replacements:
        return None
    keys = list(dict.fromkeys(r.record_key for r in replacements))
    shown = "; ".join(
        f"{k}: " + ", ".join(sorted({f"{r.column} {r.character!r} (U+{ord(r.character):04X})"
                                     for r in replacements if r.record_key == k}))
        for k in keys[:MESSAGE_ROWS])
    more = f"; and {len(keys) - MESSAGE_ROWS} more rows" if len(keys) > MESSAGE_ROWS else ""
    return (f"{len(replacements)} character(s) {encoding} cannot encode replaced by "
            f"{REPLACEMENT} in {len(keys)} row(s): {shown}{more}")


def write_file(wh: Warehouse, fmt: FileFormat, rows: list[Row], key: str, folder: Path,
               data_date: date, exported_at: datetime) -> ExportResult:
    """Write ``fmt``'s file of ``rows`` under ``folder`` (and its delta when records
    changed), remember its records; the row of ``audit.exports`` it makes."""
    rendered = render(fmt, rows, key)
    sha = hashlib.sha256(rendered.data).hexdigest()
    before = previous_sha256(wh, fmt.target, fmt.path)
    hashes = rendered.hashes
    change = delta(previous_records(wh, fmt.target, fmt.path), hashes)
    status = "new" if before is None else "unchanged" if before == sha else "changed"
    path = folder / fmt.path
    _write(path, rendered.data)
    delta_path = folder / fmt.target / "delta" / fmt.file_name
    if change.size or not delta_path.exists():
        _write(delta_path, _delta_file(fmt, rendered, change))
    if change.size:
        replace_records(wh, fmt.target, fmt.path, hashes, data_date, exported_at)
    message = _message(rendered.replacements, fmt.encoding)
    if message:
        log.warning("%s: %s", path, message)
    return ExportResult(uuid.uuid4().hex, exported_at, data_date, fmt.list_name, fmt.target,
                        fmt.path, str(path), len(rendered.records), sha, status, change,
                        message)
