"""Parquet: DuckDB's reader, every column as text (typing follows the contract)."""

from __future__ import annotations

from collections.abc import Sequence

from kizuna.identifiers import quote
from kizuna.ingest.discovery import DeliveredFile
from kizuna.ingest.readers.base import Part, Reader, file_list


class ParquetReader(Reader):
    def parts(self, files: Sequence[DeliveredFile]) -> list[Part]:
        members = [(str(f.path), f.relpath) for f in files if f.size > 0]
        if not members:
            return []
        paths, relmap = file_list(members)
        self.eng.execute(
            f"CREATE OR REPLACE TEMP TABLE parquet_scan AS SELECT * FROM read_parquet({paths}, "
            "filename='_kizuna_file', file_row_number=true, union_by_name=true)"
        )
        # by position: a Parquet field name may hold what no SQL identifier can (NUL)
        described = [r[0] for r in self.eng.execute("DESCRIBE parquet_scan").fetchall()]
        positions = [i for i, c in enumerate(described, start=1)
                     if c not in ("_kizuna_file", "file_row_number")]
        names = self.column_names([described[i - 1] for i in positions])
        exprs = ", ".join(f"#{i}::VARCHAR AS {quote(n)}"
                          for i, n in zip(positions, names, strict=True))
        self.eng.execute(
            f"CREATE OR REPLACE TEMP TABLE parquet_part AS SELECT {relmap}[_kizuna_file] AS _file, "
            f"file_row_number + 1 AS _row_number{', ' + exprs if exprs else ''} FROM parquet_scan"
        )
        return [Part(names, "parquet_part", [rel for _, rel in members])]
