"""CSV: DuckDB's strict reader with its rejects table; Python's csv module where it fails.

Where DuckDB's reader would lose records (a quote that never closes) or cannot read a
file at all (a bare CR in an LF file), Python's csv module reads them instead, so they
are quarantined, not lost. In a file whose lines end in LF (or CRLF), a CR that ends no
line is a character of its field, quoted or not.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from kizuna.identifiers import literal
from kizuna.ingest.discovery import DeliveredFile
from kizuna.ingest.readers.base import Part, Reader, file_list

log = logging.getLogger(__name__)


def csv_header(path: Path, delimiter: str) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        first = f.readline()
    if not first.strip():
        return []
    return next(csv.reader([first], delimiter=delimiter))


def csv_records(text: str, delimiter: str) -> list[list[str]]:
    """The records of a CSV text (the header is the first), blank lines skipped.

    Where lines end in LF or CRLF, a lone CR is kept in its field: Python's csv module
    would end the record there, or refuse the text, splitting one row in two.
    """
    lone_cr = "\n" in text and re.search(r"\r(?!\n)", text) is not None
    stand_in = ""
    if lone_cr:  # a character the text does not hold stands for the CR while parsing
        stand_in = next(chr(c) for c in range(0xF0000, 0x10FFFE) if chr(c) not in text)
        text = re.sub(r"\r(?!\n)", stand_in, text)
    try:
        records = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
    except csv.Error:  # not even Python reads it as CSV: keep every line as it is
        records = [[line] for line in re.split(r"\r\n|\n|\r", text) if line.strip()]
    if lone_cr:
        records = [[field.replace(stand_in, "\r") for field in r] for r in records]
    return records


def odd_quotes(path: Path) -> bool:
    """An odd number of double quotes: some quoted field never closes."""
    n = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b'"')
    return n % 2 == 1


def lone_cr_in_lf_lines(path: Path) -> bool:
    """Lines end in LF (or CRLF) and some CR ends no line: DuckDB's strict reader would
    take that CR for a record end now and then (or refuse the file), so such a file is
    read leniently (:func:`csv_records`)."""
    has_lf = has_lone_cr = False
    carry = b""
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            data = carry + chunk
            carry = b"\r" if data.endswith(b"\r") else b""  # its LF may open the next chunk
            body = data[:-1] if carry else data
            has_lf = has_lf or b"\n" in data
            has_lone_cr = has_lone_cr or re.search(rb"\r(?!\n)", body) is not None
            if has_lf and has_lone_cr:
                return True
    return has_lf and (has_lone_cr or carry != b"")


class CsvReader(Reader):
    def parts(self, files: Sequence[DeliveredFile]) -> list[Part]:
        groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for f in files:
            path = self.prepare(f)
            header = csv_header(path, self.spec.delimiter)
            if not header:
                continue  # an empty file: no rows to read
            groups.setdefault(tuple(header), []).append((str(path), f.relpath))
        parts = []
        for i, (delivered, members) in enumerate(groups.items()):
            names = self.column_names(delivered)
            for j, member in enumerate([m for m in members if lone_cr_in_lf_lines(Path(m[0]))]):
                log.info("%s: a CR inside an LF line; reading it leniently", member[1])
                parts.append(Part(names, self._read_lenient(f"{i}_cr{j}", names, *member),
                                  [member[1]]))
                members.remove(member)
            if not members:
                continue
            rels = [rel for _, rel in members]
            try:
                parts.append(Part(names, self._read_strict(f"{i}", names, members), rels))
            except duckdb.Error:
                # One file broke DuckDB's strict reader (e.g. a bare CR inside an LF file):
                # read the group file by file, the broken ones leniently.
                for j, member in enumerate(members):
                    tag = f"{i}_{j}"
                    try:
                        relation = self._read_strict(tag, names, [member])
                    except duckdb.Error as exc:
                        log.warning("%s: strict CSV reader failed (%s); reading it leniently",
                                    member[1], str(exc).splitlines()[0])
                        relation = self._read_lenient(tag, names, *member)
                    parts.append(Part(names, relation, [member[1]]))
        return parts

    def _read_strict(self, tag: str, names: list[str], members: list[tuple[str, str]]) -> str:
        """DuckDB's reader with its rejects table; returns the table of accepted rows."""
        paths, relmap = file_list(members)
        columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
        delim = literal(self.spec.delimiter)
        self.eng.execute(f"DROP TABLE IF EXISTS rej_{tag}; DROP TABLE IF EXISTS scan_{tag}")
        self.eng.execute(
            f"CREATE OR REPLACE TEMP TABLE part_{tag}_scan AS "
            f"SELECT *, row_number() OVER () AS _pos FROM read_csv({paths}, "
            f"columns={columns}, header=true, delim={delim}, "
            "quote='\"', escape='\"', auto_detect=false, filename='_kizuna_file', "
            f"parallel=false, store_rejects=true, rejects_table='rej_{tag}', "
            f"rejects_scan='scan_{tag}', strict_mode=true)"
        )
        # Rejected lines (ragged, unterminated quotes): one row per line, first reason.
        self.eng.execute(
            f"""INSERT INTO unreadable
            SELECT {relmap}[s.file_path], e.line - 1, any_value(e.csv_line),
                   'unreadable line (' || string_agg(DISTINCT e.error_type, ', ') || '): '
                   || any_value(e.error_message)
            FROM rej_{tag} e JOIN scan_{tag} s USING (scan_id, file_id)
            GROUP BY 1, 2"""
        )
        for path, rel in members:
            if odd_quotes(Path(path)):
                self._keep_unterminated_tail(f"part_{tag}_scan", path, rel)
        # Accepted rows get their record number back by skipping rejected numbers.
        self.eng.execute(
            f"""CREATE OR REPLACE TEMP TABLE part_{tag} AS
            WITH acc AS (
                SELECT *, {relmap}[_kizuna_file] AS _file,
                       row_number() OVER (PARTITION BY _kizuna_file ORDER BY _pos) AS _k
                FROM part_{tag}_scan),
            rej AS (SELECT _file, _row_number FROM unreadable),
            totals AS (
                SELECT _file, count(*) + coalesce(
                    (SELECT count(*) FROM rej WHERE rej._file = acc._file), 0) AS n
                FROM acc GROUP BY _file),
            nums AS (
                SELECT _file, unnest(range(1, n + 1)) AS _row_number FROM totals),
            kept AS (
                SELECT _file, _row_number,
                       row_number() OVER (PARTITION BY _file ORDER BY _row_number) AS _k
                FROM nums ANTI JOIN rej USING (_file, _row_number))
            SELECT acc.* EXCLUDE (_kizuna_file, _pos, _k), kept._row_number
            FROM acc JOIN kept USING (_file, _k)"""
        )
        return f"part_{tag}"

    def _read_lenient(self, tag: str, names: list[str], path: str, rel: str) -> str:
        """Python's csv module for a file DuckDB's strict reader cannot read at all.

        Every record with the header's number of fields is accepted, every other one is an
        unreadable line; blank lines are not records (as in DuckDB).
        """
        good: list[list[str | int]] = []
        bad: list[tuple[str, int, str, str]] = []
        delim = self.spec.delimiter
        csv.field_size_limit(1 << 30)
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            text = fh.read()
        if "\ufffd" in text:
            self.result.undecodable.add(rel)
        records = csv_records(text, delim)[1:]
        for k, rec in enumerate(records, start=1):
            if len(rec) == len(names):
                good.append([rel, k, *rec])
            else:
                kind = "MISSING COLUMNS" if len(rec) < len(names) else "TOO MANY COLUMNS"
                bad.append((rel, k, delim.join(rec)[:10_000],
                            f"unreadable line ({kind}): expected {len(names)} fields, found "
                            f"{len(rec)} (read leniently, not by the strict CSV reader)"))
        if bad:
            self.eng.executemany("INSERT INTO unreadable VALUES (?, ?, ?, ?)", bad)
        cols = ["_file", "_row_number", *names]
        data = pa.table({c: pa.array([row[j] for row in good],
                                     pa.int64() if c == "_row_number" else pa.string())
                         for j, c in enumerate(cols)})
        self.eng.register(f"lenient_{tag}", data)
        self.eng.execute(f"CREATE OR REPLACE TEMP TABLE part_{tag} AS "
                         f"SELECT * FROM lenient_{tag}")
        self.eng.unregister(f"lenient_{tag}")
        return f"part_{tag}"

    def _keep_unterminated_tail(self, scan: str, path: str, rel: str) -> None:
        """Quarantine the records DuckDB drops after a quote that never closes.

        DuckDB's reader ends the file inside the open quote and reports no reject, so
        those records would vanish. Python's csv module reads the same text as records up
        to the end of the file; the ones beyond what DuckDB accounted for are kept here.
        """
        row = self.eng.execute(
            f"SELECT (SELECT count(*) FROM {scan} WHERE _kizuna_file = ?) + "
            "(SELECT count(*) FROM unreadable WHERE _file = ?)", [path, rel]).fetchone()
        seen = int(row[0]) if row else 0
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            records = csv_records(fh.read(), self.spec.delimiter)[1:]
        tail = [(rel, k + 1, self.spec.delimiter.join(records[k])[:10_000],
                 "unreadable line (UNTERMINATED QUOTE): a quote opened here never closes; "
                 "the rest of the file is kept in this row")
                for k in range(seen, len(records))]
        if tail:
            self.eng.executemany("INSERT INTO unreadable VALUES (?, ?, ?, ?)", tail)
