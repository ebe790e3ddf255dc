"""One reader per delivered format, behind one interface (:class:`Reader`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kizuna.ingest.readers.base import Reader, ReadResult
from kizuna.ingest.readers.csv_reader import CsvReader
from kizuna.ingest.readers.jsonl_reader import JsonLinesReader
from kizuna.ingest.readers.parquet_reader import ParquetReader
from kizuna.sources.config import DeliverySpec

READERS: dict[str, type[Reader]] = {
    "csv": CsvReader, "jsonl": JsonLinesReader, "parquet": ParquetReader,
}


def reader_for(spec: DeliverySpec, eng: duckdb.DuckDBPyConnection, tmpdir: Path) -> Reader:
    """The reader of ``spec``'s format."""
    return READERS[spec.format](eng, spec, tmpdir)


__all__ = ["READERS", "ReadResult", "Reader", "reader_for"]
