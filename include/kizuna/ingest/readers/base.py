"""The readers' shared interface: delivered files in, two tables of text out.

A reader loads a chunk of one entity's files into the in-memory DuckDB engine as

- ``delivered(_file, _row_number, <columns as text>)``: every record it could read, its
  columns named by the source's mapping and :mod:`kizuna.identifiers`;
- ``unreadable(_file, _row_number, raw_text, reason)``: every line it could not read,

and returns a :class:`ReadResult` saying what it saw per file. Typing and quarantine
happen afterwards, the same for every format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kizuna.contract import LINEAGE_COLUMNS
from kizuna.identifiers import column_name, literal, quote, unique_names
from kizuna.ingest.discovery import DeliveredFile
from kizuna.ingest.encodings import detect_encoding, transcode_to_utf8
from kizuna.sources.config import DeliverySpec

#: Columns the loader adds while reading and typing; a delivered column never takes one.
RESERVED_COLUMNS = (*LINEAGE_COLUMNS, "_file", "_pos", "_k", "_reasons", "_raw_text",
                    "_kizuna_file", "file_row_number")


@dataclass
class ReadResult:
    """What a reader saw in a chunk of files (relative paths as keys)."""

    columns: list[str] = field(default_factory=list)  # every column of ``delivered``
    headers: dict[str, list[str]] = field(default_factory=dict)  # columns each file named
    missing_required: dict[str, list[str]] = field(default_factory=dict)
    undecodable: set[str] = field(default_factory=set)  # bytes invalid in their encoding
    encodings: dict[str, str] = field(default_factory=dict)  # encoding read (auto: detected)


@dataclass(frozen=True)
class Part:
    """Files read alike: their column names and the engine table holding their rows."""

    names: list[str]
    relation: str
    files: list[str]


class Reader(ABC):
    """Reads one entity's files (one format) into ``delivered`` and ``unreadable``."""

    def __init__(self, eng: duckdb.DuckDBPyConnection, spec: DeliverySpec, tmpdir: Path):
        self.eng = eng
        self.spec = spec
        self.tmpdir = tmpdir
        self.result = ReadResult()

    @abstractmethod
    def parts(self, files: Sequence[DeliveredFile]) -> list[Part]:
        """Read ``files`` into engine tables, one per group of files read alike, adding
        their unreadable lines to ``unreadable``."""

    def read(self, files: Sequence[DeliveredFile]) -> ReadResult:
        self.result = ReadResult()
        self.eng.execute("DROP TABLE IF EXISTS delivered")
        self.eng.execute("DROP TABLE IF EXISTS unreadable")
        self.eng.execute("CREATE TABLE unreadable (_file VARCHAR, _row_number BIGINT, "
                         "raw_text VARCHAR, reason VARCHAR)")
        parts = self.parts(files)
        cols: list[str] = []
        for part in parts:
            cols += [n for n in part.names if n not in cols]
        self.result.columns = cols
        col_defs = "".join(f", {quote(c)} VARCHAR" for c in cols)
        self.eng.execute(f"CREATE TABLE delivered (_file VARCHAR, _row_number BIGINT{col_defs})")
        required = [c.name for c in self.spec.entity.columns if c.required]
        for part in parts:
            exprs = "".join(
                f", {quote(c)}" if c in part.names else f", NULL::VARCHAR AS {quote(c)}"
                for c in cols)
            self.eng.execute(f"INSERT INTO delivered SELECT _file, _row_number{exprs} "
                             f"FROM {part.relation}")
            absent = [r for r in required if r not in part.names]
            for rel in part.files:
                self.result.headers[rel] = part.names
                if absent:
                    self.result.missing_required[rel] = absent
        return self.result

    def column_names(self, delivered: Sequence[str]) -> list[str]:
        """Delivered names as column names: the source's mapping to the contract, then
        :func:`kizuna.identifiers.column_name`, unique and clear of the loader's own."""
        mapping = {column_name(k): v for k, v in self.spec.columns.items()}
        return unique_names([mapping.get(column_name(h), column_name(h)) for h in delivered],
                            reserved=RESERVED_COLUMNS)

    def prepare(self, f: DeliveredFile, transcode_utf8: bool = False) -> Path:
        """The path DuckDB reads: the file itself if it is UTF-8, else a UTF-8 copy
        (``transcode_utf8``: also a UTF-8 file, e.g. with a BOM or invalid bytes)."""
        enc = self.spec.encoding
        if enc == "auto":
            enc = detect_encoding(f.path)
        self.result.encodings[f.relpath] = enc
        if enc == "cp932":
            path, bad = transcode_to_utf8(f.path, "cp932", self.tmpdir)
        elif transcode_utf8:
            path, bad = transcode_to_utf8(f.path, "utf-8-sig", self.tmpdir)
        else:
            return f.path
        if bad:
            self.result.undecodable.add(f.relpath)
        return path


def file_list(members: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """SQL for a table function's file list and a map from read path to relative path."""
    paths = "[" + ", ".join(literal(p) for p, _ in members) + "]"
    relmap = "MAP {" + ", ".join(f"{literal(p)}: {literal(r)}" for p, r in members) + "}"
    return paths, relmap
