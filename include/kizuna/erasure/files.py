"""Files that hold a person: rewritten without their rows, in their own format.

- Delivered files (CSV in UTF-8, UTF-8 with BOM or CP932, JSONL, Parquet): the rows whose
  e-mail column (any column whose name holds ``mail``) normalises to an erased address, or
  whose ``lead_id`` / ``contact_id`` is one of the person's records, are left out; every
  other row keeps its values, the file its encoding, BOM, delimiter, line ending and (for
  Parquet) schema. The new file is written beside the old one under a hidden name and moved
  over it (atomic on one file system), with the old modification time, so the loader's
  discovery does not take it for an upload in progress.
- Export files (CSV): rows where any cell is an erased address or one of the person's ids
  (the lead hand-offs, and their delta files whose ``removed`` rows carry only the key).
- Any other text file (GX Data Docs and validation results, reports): each occurrence of an
  erased address is replaced by :data:`REDACTED`, since such pages are not row-shaped.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kizuna.normalise import normalise_email

log = logging.getLogger(__name__)

REDACTED = "[erased]"
#: Contract columns that hold a lead or contact id (the loader's person columns).
ID_COLUMNS = ("lead_id", "contact_id")
#: Suffixes of delivered files, by format.
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet",)
#: Text files scrubbed in place (pages and results, not data files).
TEXT_SUFFIXES = (".html", ".htm", ".json", ".js", ".md", ".txt", ".xml", ".yml", ".yaml",
                 ".log")


@dataclass(frozen=True)
class Person:
    """What identifies the people being erased: normalised e-mail addresses and record ids."""

    emails: frozenset[str]
    ids: frozenset[str]

    def email_matches(self, value: object) -> bool:
        return isinstance(value, str) and normalise_email(value) in self.emails

    def id_matches(self, value: object) -> bool:
        return value is not None and str(value).strip() in self.ids

    def any_cell_matches(self, cells: Iterable[object]) -> bool:
        return any(self.id_matches(c) or self.email_matches(c) for c in cells)


@dataclass(frozen=True)
class Rewrite:
    """One file rewritten: where (relative to its root), rows removed, and its old and new
    SHA-256 and size (what the ledger knew it by, and what it is now)."""

    relpath: str
    rows_removed: int
    old_sha256: str
    new_sha256: str
    new_bytes: int


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _replace_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` over ``path`` in one move, keeping its times and mode."""
    stat = path.stat()
    tmp = path.with_name(f".{path.name}.erasing")  # hidden: discovery leaves it alone
    tmp.write_bytes(data)
    os.chmod(tmp, stat.st_mode & 0o7777)
    os.utime(tmp, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(tmp, path)


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding to write it back in (UTF-8 with or without BOM, or CP932)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp932", errors="replace"), "cp932"


def _line_ending(text: str) -> str:
    return "\r\n" if "\r\n" in text[:65536] else "\n"


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


RowTest = Callable[[Sequence[str], Sequence[object]], bool]


def person_row_test(person: Person) -> RowTest:
    """A delivered row is the person's when an e-mail column or an id column says so."""
    def test(header: Sequence[str], values: Sequence[object]) -> bool:
        for name, value in zip(header, values, strict=False):
            key = name.strip().lower()
            if ("mail" in key and person.email_matches(value)) or (
                    key in ID_COLUMNS and person.id_matches(value)):
                return True
        return False
    return test


def any_cell_test(person: Person) -> RowTest:
    """An exported row is the person's when any cell is their address or one of their ids."""
    return lambda header, values: person.any_cell_matches(values)


def _rewrite_csv(data: bytes, is_theirs: RowTest) -> tuple[bytes, int]:
    text, encoding = _decode(data)
    if not text.strip():
        return data, 0
    ending = _line_ending(text)
    delimiter = _delimiter(text.split("\n", 1)[0])
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header, body = rows[0], rows[1:]
    kept = [r for r in body if not is_theirs(header, r)]
    removed = len(body) - len(kept)
    if not removed:
        return data, 0
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=ending).writerows([header, *kept])
    new = out.getvalue()
    if not text.endswith(("\n", "\r")):
        new = new[: -len(ending)]
    return new.encode(encoding, errors="replace"), removed


def _rewrite_jsonl(data: bytes, is_theirs: RowTest, person: Person) -> tuple[bytes, int]:
    text, encoding = _decode(data)
    kept, removed = [], 0
    for line in text.splitlines(keepends=True):
        try:
            record = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            record = None
            # an unreadable line cannot be read by column: look for the address in it
            if any(e in line.lower() for e in person.emails):
                removed += 1
                continue
        if isinstance(record, dict) and is_theirs(list(record), list(record.values())):
            removed += 1
            continue
        kept.append(line)
    if not removed:
        return data, 0
    return "".join(kept).encode(encoding, errors="replace"), removed


def _rewrite_parquet(path: Path, is_theirs: RowTest) -> tuple[bytes, int]:
    table = pq.read_table(path)
    header = table.column_names
    rows = zip(*(table.column(c).to_pylist() for c in header), strict=True)
    keep = [not is_theirs(header, list(r)) for r in rows]
    removed = keep.count(False)
    if not removed:
        return path.read_bytes(), 0
    sink = pa.BufferOutputStream()
    pq.write_table(table.filter(pa.array(keep, pa.bool_())), sink)
    return sink.getvalue().to_pybytes(), removed


def rewrite_file(path: Path, root: Path, person: Person, is_theirs: RowTest) -> Rewrite | None:
    """Rewrite one data file without the person's rows; ``None`` when it has none (or is
    not a data file)."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        old = path.read_bytes()
        new, removed = _rewrite_parquet(path, is_theirs)
    elif suffix in CSV_SUFFIXES or suffix in JSONL_SUFFIXES:
        old = path.read_bytes()
        if suffix in CSV_SUFFIXES:
            new, removed = _rewrite_csv(old, is_theirs)
        else:
            new, removed = _rewrite_jsonl(old, is_theirs, person)
    else:
        return None
    if not removed:
        return None
    _replace_atomically(path, new)
    log.info("%s: %d rows removed", path, removed)
    return Rewrite(path.relative_to(root).as_posix(), removed, _sha256(old), _sha256(new),
                   len(new))


def header_names(path: Path) -> list[str] | None:
    """A data file's column names, lower case (CSV: its first line, JSONL: the first
    record's keys, Parquet: its schema); ``None`` when it is not a data file."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return [n.lower() for n in pq.read_schema(path).names]
    if suffix not in CSV_SUFFIXES and suffix not in JSONL_SUFFIXES:
        return None
    with path.open("rb") as f:
        first = f.readline()
    text, _ = _decode(first)
    if suffix in CSV_SUFFIXES:
        return [c.strip().lower() for c in next(csv.reader([text], delimiter=_delimiter(text)),
                                                 [])]
    try:
        record = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return [text.lower()]  # unreadable: let the row test look at every line
    return [str(k).lower() for k in record] if isinstance(record, dict) else []


def might_hold(path: Path, person: Person) -> bool:
    """Whether a delivered file can hold the person, without parsing every row: it has an
    e-mail column, or an id column and (text files) one of the ids somewhere in its bytes.
    An address can be written in other forms (full-width, upper case), an id cannot."""
    names = header_names(path)
    if names is None:
        return False
    if any("mail" in n for n in names):
        return True
    if not any(n in ID_COLUMNS or "lead_id" in n or "contact_id" in n for n in names):
        return False
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    data = path.read_bytes()
    return any(i.encode() in data for i in person.ids)


def data_files(root: Path) -> list[Path]:
    """Every file under ``root`` that is not hidden (markers and uploads in progress are
    skipped by suffix in :func:`rewrite_file`)."""
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def ids_in_files(root: Path, person: Person) -> set[str]:
    """The lead and contact ids of rows carrying the person's address in delivered files,
    also those never loaded (a file still pending, a row quarantined)."""
    found: set[str] = set()

    def collect(header: Sequence[str], values: Sequence[object]) -> bool:
        named = {h.strip().lower(): v for h, v in zip(header, values, strict=False)}
        if any("mail" in k and person.email_matches(v) for k, v in named.items()):
            found.update(str(named[c]).strip() for c in ID_COLUMNS if named.get(c))
        return False

    for path in data_files(root):
        suffix = path.suffix.lower()
        if not any("mail" in n for n in header_names(path) or []):
            continue
        if suffix in PARQUET_SUFFIXES:
            _rewrite_parquet(path, collect)
        elif suffix in CSV_SUFFIXES:
            _rewrite_csv(path.read_bytes(), collect)
        elif suffix in JSONL_SUFFIXES:
            _rewrite_jsonl(path.read_bytes(), collect, person)
    return found


def scrub_text_file(path: Path, person: Person, skip_suffixes: Sequence[str] = ()) -> int:
    """Replace every occurrence of the person's addresses in a text file; occurrences."""
    if path.suffix.lower() not in TEXT_SUFFIXES or path.suffix.lower() in skip_suffixes:
        return 0
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return 0
    pattern = re.compile("|".join(re.escape(e) for e in sorted(person.emails)), re.IGNORECASE)
    new, n = pattern.subn(REDACTED, text)
    if n:
        _replace_atomically(path, new.encode("utf-8"))
    return n
