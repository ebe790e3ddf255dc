"""Import files rendered from rows: vendor headers, value formats, CP932 and the delta."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from kizuna.activation.formats import CP932, FILES, SALESFORCE, FileFormat, format_value
from kizuna.activation.records import delta
from kizuna.activation.writer import REPLACEMENT, encodable, render

ROWS = [
    {"target_rank": 1, "target_tier": "tier_1", "account_key": "1010001000001",
     "account_id": "0015g00000ABCDE", "account_name": "株式会社髙島屋ホールディングス①",
     "domain": "takashimaya.example", "target_score": Decimal("87.5"), "is_mqa": True,
     "fit_score": 90.0, "scored_on": date(2026, 3, 31), "top_reason": None},
    {"target_rank": 2, "target_tier": "tier_1", "account_key": "domain:yoshinoya.example",
     "account_id": None, "account_name": "𠮷野家テック合同会社", "domain": "yoshinoya.example",
     "target_score": 80.123, "is_mqa": False, "fit_score": 70, "scored_on": date(2026, 3, 31),
     "top_reason": "web visits, 3 people, \"pricing\" page"},
]


def rows_of(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_values_are_written_as_import_tools_read_them():
    assert format_value(None) == ""
    assert format_value(True) == "true" and format_value(False) == "false"
    assert format_value(date(2026, 3, 31)) == "2026-03-31"
    assert format_value(Decimal("87.5")) == format_value(87.5) == "87.50"
    assert format_value(7) == "7"


def test_characters_cp932_cannot_hold_are_replaced_and_named():
    # NEC and IBM extensions (髙, ①, ㈱) are CP932; 𠮷 (outside the BMP) is not
    assert encodable("髙島屋①㈱", "cp932") == ("髙島屋①㈱", [])
    assert encodable("𠮷野家", "cp932") == (f"{REPLACEMENT}野家", ["𠮷"])

    fmt = next(f for f in CP932 if f.list_name == "target_accounts")
    rendered = render(fmt, ROWS, "account_key")

    table = rows_of(rendered.data, "cp932")
    assert table[0][:5] == ["順位", "ターゲット層", "企業キー", "CRM取引先ID", "企業名"]
    assert table[1][4] == "株式会社髙島屋ホールディングス①"
    assert table[2][4] == f"{REPLACEMENT}野家テック合同会社"
    assert [(r.record_key, r.column, r.character) for r in rendered.replacements] == [
        ("domain:yoshinoya.example", "企業名", "𠮷")]
    assert not rendered.data.startswith(b"\xef\xbb\xbf")
    assert rendered.data.count(b"\r\n") == 3


def test_salesforce_rows_with_a_crm_record_update_it_and_the_others_are_inserted():
    update, insert = (next(f for f in SALESFORCE if f.file_name == name) for name in (
        "Account_update_targets.csv", "Account_insert_targets.csv"))
    updates = rows_of(render(update, ROWS, "account_key").data, "utf-8")
    inserts = rows_of(render(insert, ROWS, "account_key").data, "utf-8")
    assert updates[0][0] == "Id" and [r[0] for r in updates[1:]] == ["0015g00000ABCDE"]
    assert inserts[0][:2] == ["Name", "Website"]
    assert [r[0] for r in inserts[1:]] == ["𠮷野家テック合同会社"]  # UTF-8 holds it


def test_a_value_with_quotes_and_commas_stays_one_field():
    fmt = FileFormat("t", "target_accounts", "x.csv", (("key", "account_key"),
                                                      ("reason", "top_reason")))
    table = rows_of(render(fmt, ROWS, "account_key").data, "utf-8")
    assert table[2] == ["domain:yoshinoya.example", 'web visits, 3 people, "pricing" page']


def test_a_delta_names_records_added_changed_and_removed():
    change = delta({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "9", "d": "4"})
    assert (change.added, change.changed, change.removed) == (["d"], ["b"], ["c"])
    assert delta({"a": "1"}, {"a": "1"}).size == 0


def test_every_file_has_unique_headers_and_a_known_encoding():
    for fmt in FILES:
        assert len(set(fmt.headers)) == len(fmt.headers), fmt.path
        assert fmt.encoding in ("utf-8", "cp932")
        "".join(fmt.headers).encode(fmt.encoding)
