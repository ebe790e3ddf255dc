"""Erasure's pieces on small files: delivered files rewritten without a person in their own
format, the keyed hash, and the loader keeping erased people out of a new delivery."""

from __future__ import annotations

import codecs
import hashlib
import hmac
import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kizuna.erasure import ErasureRequestError, erase, normalised_addresses
from kizuna.erasure.files import Person, any_cell_test, person_row_test, rewrite_file
from kizuna.suppression import EMAIL, KEY_FILE, keyed_hash

DAY = date(2026, 1, 5)
LEADS_HEADER = ("lead_id,email,last_name,first_name,company_name,department,job_title,phone,"
                "lead_source,opt_out,created_at,updated_at")
TARO = Person(frozenset({"taro@yamada.co.jp"}), frozenset({"L1"}))


def lead(lead_id: str, email: str, last: str = "山田") -> str:
    return (f"{lead_id},{email},{last},太郎,山田製作所,営業部,部長,03-1234-5678,web_form,false,"
            "2026-01-01 09:00:00,2026-01-05 09:00:00")


def drop(home: Path, source: str, entity: str, name: str, data: bytes, day: date = DAY) -> Path:
    folder = home / "landing" / source / entity / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_SUCCESS").touch()
    path = folder / name
    path.write_bytes(data)
    return path


def test_csv_keeps_its_encoding_bom_line_endings_and_other_rows(tmp_path):
    for encoding, bom in (("cp932", b""), ("utf-8", codecs.BOM_UTF8)):
        rows = [LEADS_HEADER, lead("L1", " Taro@YAMADA.co.jp"), lead("L2", "hanako@yamada.co.jp",
                                                                       "佐々木")]
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(bom + "\r\n".join(rows).encode(encoding) + b"\r\n")
        mtime = path.stat().st_mtime_ns

        rewrite = rewrite_file(path, tmp_path, TARO, person_row_test(TARO))

        assert rewrite is not None and rewrite.rows_removed == 1
        expected = bom + "\r\n".join([rows[0], rows[2]]).encode(encoding) + b"\r\n"
        assert path.read_bytes() == expected
        assert rewrite.new_sha256 == hashlib.sha256(expected).hexdigest()
        assert path.stat().st_mtime_ns == mtime  # not taken for an upload in progress
        assert list(tmp_path.glob(".*")) == []


def test_jsonl_and_parquet_lose_only_the_persons_rows(tmp_path):
    lines = [json.dumps({"activity_id": f"A{i}", "lead_id": lid}) + "\n"
             for i, lid in enumerate(["L1", "L2", "L1", "L10"])]
    jsonl = tmp_path / "part.jsonl"
    jsonl.write_text("".join(lines))
    table = pa.table({"lead_id": ["L2", "L1"], "email": ["h@x.jp", "TARO@yamada.co.jp"]})
    parquet = tmp_path / "part.parquet"
    pq.write_table(table, parquet)

    assert rewrite_file(jsonl, tmp_path, TARO, person_row_test(TARO)).rows_removed == 2
    assert rewrite_file(parquet, tmp_path, TARO, person_row_test(TARO)).rows_removed == 1

    assert jsonl.read_text() == lines[1] + lines[3]
    kept = pq.read_table(parquet)
    assert kept.schema == table.schema and kept.column("lead_id").to_pylist() == ["L2"]


def test_export_rows_go_when_any_cell_is_the_person(tmp_path):
    path = tmp_path / "delta.csv"
    path.write_text("kizuna_change,kizuna_record_key,Email\nremoved,L1,\nadded,L2,h@x.jp\n"
                    "added,L3,taro@yamada.co.jp\n")
    assert rewrite_file(path, tmp_path, TARO, any_cell_test(TARO)).rows_removed == 2
    assert path.read_text() == "kizuna_change,kizuna_record_key,Email\nadded,L2,h@x.jp\n"
    assert rewrite_file(path, tmp_path, TARO, any_cell_test(TARO)) is None


def test_the_keyed_hash_is_hmac_sha256_of_the_kind_and_value():
    key = b"secret"
    assert keyed_hash(key, EMAIL, "taro@yamada.co.jp") == hmac.new(
        key, b"email:taro@yamada.co.jp", hashlib.sha256).hexdigest()
    assert keyed_hash(b"other", EMAIL, "taro@yamada.co.jp") != keyed_hash(
        key, EMAIL, "taro@yamada.co.jp")


def test_a_request_names_what_is_not_an_address():
    assert normalised_addresses([" Taro@Yamada.co.jp", "taro@yamada.co.jp", ""]) == [
        "taro@yamada.co.jp"]
    with pytest.raises(ErasureRequestError, match="not-an-address"):
        normalised_addresses(["not-an-address"])


def test_an_erased_person_delivered_again_is_excluded_not_quarantined(kizuna_home):
    from kizuna.pipeline import load_and_gate

    first = "\n".join([LEADS_HEADER, lead("L1", "taro@yamada.co.jp"),
                       lead("L2", "hanako@yamada.co.jp", "佐々木")]) + "\n"
    path = drop(kizuna_home, "ma", "leads", "part-0001.csv", first.encode())
    activities = "".join(json.dumps({"activity_id": f"A{i}", "lead_id": lid,
                                     "activity_type": "web_visit",
                                     "occurred_at": "2026-01-05T10:00:00Z"}) + "\n"
                         for i, lid in enumerate(["L1", "L2"]))
    drop(kizuna_home, "ma", "activities", "part-0001.jsonl", activities.encode())
    load_and_gate(DAY, date(2026, 1, 6), tables=["ma_leads", "ma_activities"])

    report = erase(["TARO@yamada.co.jp"])

    assert report.records_resolved == 1
    assert report.landing_files == {"ma/leads/2026-01-05/part-0001.csv": 1,
                                    "ma/activities/2026-01-05/part-0001.jsonl": 1}
    assert "taro" not in path.read_text()
    assert (kizuna_home / KEY_FILE).stat().st_mode & 0o077 == 0
    # loading the folder again skips the rewritten files: the ledger knows them as they are
    again = load_and_gate(DAY, date(2026, 1, 6), tables=["ma_leads", "ma_activities"])
    assert (again.batches, again.skipped) == ([], 2)
    # a new delivery with the same person under another case, and a new activity of theirs
    day2 = date(2026, 1, 6)
    drop(kizuna_home, "ma", "leads", "part-0001.csv", first.replace(
        "taro@yamada.co.jp", "Taro@Yamada.CO.JP").encode(), day2)
    drop(kizuna_home, "ma", "activities", "part-0001.jsonl", activities.encode(), day2)
    new = load_and_gate(day2, date(2026, 1, 7), tables=["ma_leads", "ma_activities"])

    assert sorted((b.table, b.rows_in_file, b.rows_loaded, b.rows_quarantined, b.rows_excluded)
                  for b in new.batches) == [("ma_activities", 1, 1, 0, 1),
                                            ("ma_leads", 1, 1, 0, 1)]
    con = duckdb.connect(str(kizuna_home / "warehouse" / "kizuna.duckdb"), read_only=True)
    assert con.execute("SELECT DISTINCT lead_id FROM raw.ma_leads").fetchall() == [("L2",)]
    assert con.execute("SELECT DISTINCT lead_id FROM raw.ma_activities").fetchall() == [("L2",)]
    assert con.execute("SELECT count(*) FROM quarantine.rejected_rows").fetchone() == (0,)
    excluded = dict(con.execute(
        "SELECT source_table, rows_excluded FROM audit.load_batches WHERE data_interval = ?",
        [day2]).fetchall())
    assert excluded == {"ma_leads": 1, "ma_activities": 1}
    requests = con.execute("SELECT email_hmac, records_resolved FROM audit.erasure_requests"
                           ).fetchall()
    key = (kizuna_home / KEY_FILE).read_text().strip().encode()
    assert requests == [(keyed_hash(key, EMAIL, "taro@yamada.co.jp"), 1)]
