"""Names from delivered files reach SQL only through kizuna.identifiers: any header, JSON key
or Parquet field name loads or quarantines its rows with a reason, never crashes the
loader and never runs as SQL."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kizuna.identifiers import MAX_IDENTIFIER_BYTES, column_name, quote, unique_names

DAY = date(2026, 1, 5)
LEADS = {"lead_id": "L1", "email": "a@example.co.jp", "last_name": "山田", "first_name": "太郎",
         "created_at": "2026-01-05 10:00:00", "updated_at": "2026-01-05 10:00:00"}
HOSTILE = ['"', '""', "'", "\x00", "a\x00b", "select", "from", "order", "😀", "", " ", "a" * 300,
           "あ" * 40, "lead_id", "LEAD_ID", "_batch_id", "_file", "filename", "file_row_number",
           "*", "$.a", "a.b", "a\nb", "\ufeffemail", 'x"); DROP TABLE audit.load_batches; --',
           "x'); DROP TABLE raw.ma_leads; --", "\\", "a\\\"b"]
names = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=70)), min_size=1,
                 max_size=6)


def test_column_name_folds_case_separators_and_control_characters():
    assert column_name(" Last-Name.Kana/2 ") == "last_name_kana_2"
    assert column_name("\ufeffE\x00mail\x07") == "email"
    assert column_name("Ｅｍａｉｌ") == "ｅｍａｉｌ"  # full width stays: the mapping decides


def test_long_names_fit_postgres_and_stay_distinct():
    a, b = column_name("x" * 100 + "a"), column_name("x" * 100 + "b")
    assert len(a.encode()) <= MAX_IDENTIFIER_BYTES and len(b.encode()) <= MAX_IDENTIFIER_BYTES
    assert a != b
    assert len(column_name("あ" * 100).encode()) <= MAX_IDENTIFIER_BYTES


def test_unique_names_fill_blanks_and_number_repeats_clear_of_reserved():
    assert unique_names(["a", "A", "", "a", "_batch_id"], reserved=["_batch_id"]) == [
        "a", "A_2", "column_3", "a_3", "_batch_id_2"]


def test_quote_doubles_quotes_and_refuses_nul():
    assert quote('a"b') == '"a""b"'
    with pytest.raises(ValueError, match="NUL"):
        quote("a\x00b")


def _write(fmt: str, path: Path, extras: list[str]) -> list[str]:
    """One leads file with the contract's columns and ``extras``; returns extra values."""
    if fmt == "jsonl":  # an object holds a key once
        extras[:] = [k for k in dict.fromkeys(extras) if k not in LEADS]
    values = [f"v{i}" for i in range(len(extras))]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([*LEADS, *extras])
        w.writerow([*LEADS.values(), *values])
        path.write_text(buf.getvalue(), encoding="utf-8")
    elif fmt == "jsonl":
        row = {**dict(zip(extras, values, strict=True)), **LEADS}
        path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        cols = [*LEADS, *extras]
        data = pa.Table.from_arrays([pa.array([v]) for v in [*LEADS.values(), *values]],
                                    names=cols)
        pq.write_table(data, path)
    return values


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(extras=['x"); DROP TABLE audit.load_batches; --', "x", "X", ""], fmt="csv")
@example(extras=["", "*", 'a"b', "a\\b", "😀"], fmt="jsonl")
@example(extras=["a\x00b", "select", "a" * 300], fmt="parquet")
@given(extras=names, fmt=st.sampled_from(["csv", "jsonl", "parquet"]))
def test_any_delivered_name_loads_or_quarantines_and_never_runs_as_sql(extras, fmt):
    from kizuna.ingest import ensure_schema, load_files
    from kizuna.ingest.discovery import DeliveredFile
    from kizuna.sources.config import DeliverySpec, delivery_spec
    from kizuna.warehouse import DuckDBWarehouse

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"part-0001.{fmt}"
        values = _write(fmt, path, extras)
        base = delivery_spec("ma_leads")
        spec = DeliverySpec(**{**base.__dict__, "format": fmt})
        wh = DuckDBWarehouse(Path(":memory:"))
        try:
            ensure_schema(wh)
            wh.execute("CREATE TABLE audit.sentinel AS SELECT 1 AS x")
            tables_before = set(wh.query("SELECT table_schema || '.' || table_name "
                                         "FROM information_schema.tables"))
            f = DeliveredFile(path, f"ma/leads/{DAY}/{path.name}", "ma_leads", DAY,
                              path.stat().st_size)
            (batch,), _ = load_files(wh, spec, [f])
            tables_after = set(wh.query("SELECT table_schema || '.' || table_name "
                                        "FROM information_schema.tables"))
            raw = wh.query_arrow("SELECT * FROM raw.ma_leads").to_pylist()
            reasons = [r[0] for r in wh.query("SELECT reason FROM quarantine.rejected_rows")]
        finally:
            wh.close()
    assert tables_before <= tables_after  # nothing dropped, nothing ran
    assert batch.rows_in_file == batch.rows_loaded + batch.rows_quarantined == 1
    assert len(raw) == batch.rows_loaded and len(reasons) == batch.rows_quarantined
    assert all(reasons)
    clean = all(n == n.strip() and n.isprintable() for n in extras)
    if raw and (clean or fmt != "csv"):
        # every extra value is kept, each in a column of its own
        kept = [v for k, v in raw[0].items() if isinstance(v, str) and v.startswith("v")
                and v[1:].isdigit()]
        assert sorted(kept) == sorted(values)
