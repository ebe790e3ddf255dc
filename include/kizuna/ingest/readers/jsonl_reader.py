"""JSON lines: each line read as text and validated by DuckDB's JSON functions.

A line that is not a JSON object is unreadable. Every key of any object becomes a column;
a nested value stays JSON text, a scalar becomes its text.
"""

from __future__ import annotations

from collections.abc import Sequence

from kizuna.identifiers import literal, quote, text_expression
from kizuna.ingest.discovery import DeliveredFile
from kizuna.ingest.encodings import is_utf8, starts_with_bom
from kizuna.ingest.readers.base import Part, Reader, file_list


def key_value_sql(key: str) -> str:
    """SQL for the text of ``key`` in the JSON object ``j``.

    A JSON path addresses most keys fast; DuckDB's path syntax cannot name an empty key,
    reads ``*`` as a wildcard even when quoted and a SQL literal cannot hold NUL, so those
    keys are found by ``json_each`` instead.
    """
    if key and "*" not in key and "\x00" not in key:
        path = literal('$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"')
        return (f"CASE WHEN json_type(j, {path}) IN ('OBJECT', 'ARRAY') "
                f"THEN json_extract(j, {path})::VARCHAR ELSE json_extract_string(j, {path}) END")
    return (f"(SELECT CASE WHEN e.type IN ('OBJECT', 'ARRAY') THEN e.value::VARCHAR "
            f"ELSE e.value ->> '$' END FROM json_each(j) AS e WHERE e.key = {text_expression(key)} "
            "LIMIT 1)")


class JsonLinesReader(Reader):
    def parts(self, files: Sequence[DeliveredFile]) -> list[Part]:
        # DuckDB stops at the first invalid byte of a line-per-row read (CSV reads send
        # such lines to the rejects table instead), so JSON lines are transcoded first.
        # The line ending is set, not sniffed: sniffed from a file opening with CRLF,
        # DuckDB dropped the text after a lone CR and a line holding only NUL.
        members = [(str(self.prepare(f, transcode_utf8=not is_utf8(f.path)
                                     or starts_with_bom(f.path))), f.relpath)
                   for f in files if f.size > 0]
        if not members:
            return []
        paths, relmap = file_list(members)
        self.eng.execute(
            f"""CREATE OR REPLACE TEMP TABLE jsonl_lines AS
            SELECT {relmap}[_kizuna_file] AS _file,
                   row_number() OVER (PARTITION BY _kizuna_file ORDER BY _pos) AS _row_number,
                   line,
                   -- CASE, not AND: DuckDB evaluates both sides of AND.
                   CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END
                       AS _is_object
            FROM (SELECT *, row_number() OVER () AS _pos
                  FROM read_csv({paths}, columns={{'line': 'VARCHAR'}}, header=false,
                                delim='\\x01', quote='', escape='', new_line='\\n',
                                auto_detect=false,
                                filename='_kizuna_file', parallel=false, strict_mode=false))"""
        )
        self.eng.execute(
            """INSERT INTO unreadable
            SELECT _file, _row_number, line, 'unreadable line: not a JSON object'
            FROM jsonl_lines
            -- a line of JSON whitespace alone is blank, not a row
            WHERE trim(line, ' \t\r') <> '' AND NOT _is_object"""
        )
        self.eng.execute(
            """CREATE OR REPLACE TEMP TABLE jsonl_objects AS
            SELECT _file, _row_number, line::JSON AS j FROM jsonl_lines WHERE _is_object"""
        )
        keys = [r[0] for r in self.eng.execute(
            "SELECT DISTINCT unnest(json_keys(j)) FROM jsonl_objects ORDER BY 1").fetchall()]
        names = self.column_names(keys)
        exprs = "".join(f", {key_value_sql(k)} AS {quote(n)}"
                        for k, n in zip(keys, names, strict=True))
        self.eng.execute(f"CREATE OR REPLACE TEMP TABLE jsonl_part AS "
                         f"SELECT _file, _row_number{exprs} FROM jsonl_objects")
        return [Part(names, "jsonl_part", [rel for _, rel in members])]
