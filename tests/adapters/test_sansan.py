"""Sansan business-card downloads -> ma_leads and ma_activities, through the real loader.

Two downloads are written as Sansan's card list gives them: CP932 with the current headers
(名刺ID, 名刺交換日) and UTF-8 with an older header set (no card ID, 交換日, TEL); every card
must end up mapped or excluded with its reason in both entities, and the mapped rows must
load through the ordinary loader.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path

import pytest

from kizuna.ingest.adapt import NOT_SELECTED, adapt_window
from kizuna.warehouse import connection

DAY = date(2026, 3, 2)
CURRENT = ["名刺ID", "会社名", "部署名", "役職", "姓", "名", "メールアドレス", "電話番号",
           "携帯電話", "名刺交換日", "所有者", "登録日時", "更新日時"]
OLDER = ["会社名", "部署名", "役職", "姓", "名", "メールアドレス", "TEL", "交換日", "所有者"]


def _drop(landing: Path, name: str, header: list[str], rows: list[list[str]],
          encoding: str) -> None:
    folder = landing / "sansan" / "cards" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows([header, *rows])
    (folder / name).write_bytes(text.getvalue().encode(encoding))
    (folder / "_SUCCESS").touch()


@pytest.fixture
def sansan_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text("vendors:\n  sansan:\n    adapter: sansan\n    timezone: Asia/Tokyo\n",
                       encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    landing = kizuna_home / "landing"
    _drop(landing, "cards_20260302.csv", CURRENT, [
        ["C001", "株式会社青葉商事", "営業部", "部長", "佐藤", "葵", "aoi.sato@aoba.example.jp",
         "03-1234-5678", "090-1111-2222", "2026/03/02", "田中 一郎", "2026/03/02 10:15",
         "2026/03/02 10:20"],
        ["C002", "みどり工業株式会社", "情報システム部", "課長", "鈴木", "健", "", "",
         "080-3333-4444", "2026-03-01", "田中 一郎", "2026-03-02 09:00:00", ""],
        ["C003", "", "", "", "", "", "", "", "", "2026/03/02", "田中 一郎", "2026/03/02 11:00", ""],
        ["C004", "株式会社ソラ", "", "", "高橋", "真", "makoto@sora.example.jp", "", "", "",
         "山田 花子", "2026/03/02 12:00", ""],
        ["", "株式会社名無し", "", "", "伊藤", "", "", "", "", "2026/03/02", "山田 花子",
         "2026/03/02 12:30", ""],
    ], "cp932")
    _drop(landing, "cards_older_layout.csv", OLDER, [
        ["合同会社ウミ", "総務部", "", "渡辺", "太郎", "Taro.Watanabe@umi.example.jp",
         "06-1111-2222", "2026年3月2日", "山田 花子"],
        ["株式会社カワ", "", "", "中村", "", "nakamura@kawa.example.jp", "", "03/01/2026",
         "山田 花子"],
    ], "utf-8")
    return kizuna_home


def _counts(report, target: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for counts in report.counts.values():
        for c in counts:
            if c.vendor_table == "cards" and c.target_table == target:
                key = None if c.outcome == "mapped" else c.reason
                out[key] = out.get(key, 0) + c.rows
    return out


def test_every_card_is_mapped_or_excluded_with_its_reason(sansan_home: Path) -> None:
    report = adapt_window(DAY, date(2026, 3, 3))
    assert _counts(report, "ma_leads") == {
        None: 5,
        "card not digitised yet (no name, e-mail or company)": 1,
        "card has neither a card ID nor an e-mail address": 1,
    }
    assert _counts(report, "ma_activities") == {
        None: 4,
        "card not digitised yet (no name, e-mail or company)": 1,
        "card has neither a card ID nor an e-mail address": 1,
        "no exchange date (名刺交換日): no scan to record": 1,
    }
    assert NOT_SELECTED not in {**_counts(report, "ma_leads"), **_counts(report, "ma_activities")}


def test_adapted_cards_load_through_the_ordinary_loader(sansan_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, date(2026, 3, 3))
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    by_mail = "sansan-mail-" + hashlib.md5(b"taro.watanabe@umi.example.jp").hexdigest()
    with connection() as wh:
        leads = {r[0]: r[1:] for r in wh.query(
            "SELECT lead_id, lead_source, created_at, updated_at, phone, company_name "
            "FROM raw.ma_leads")}
        scans = dict(wh.query("SELECT lead_id, occurred_at FROM raw.ma_activities "
                              "WHERE activity_type = 'business_card_scan'"))
    assert set(leads) == {"sansan-C001", "sansan-C002", "sansan-C004", by_mail,
                          "sansan-mail-" + hashlib.md5(b"nakamura@kawa.example.jp").hexdigest()}
    assert {v[0] for v in leads.values()} == {"business_card"}
    assert str(leads["sansan-C001"][1]).startswith("2026-03-02 01:15:00")  # JST -> UTC
    assert str(leads["sansan-C001"][2]).startswith("2026-03-02 01:20:00")
    assert leads["sansan-C002"][3] == "080-3333-4444"  # the mobile where no office line
    assert leads[by_mail][3] == "06-1111-2222" and leads[by_mail][4] == "合同会社ウミ"
    assert str(scans["sansan-C001"]).startswith("2026-03-01 15:00:00")  # exchange day, JST
    assert str(scans[by_mail]).startswith("2026-03-01 15:00:00")  # 2026年3月2日
    kawa = "sansan-mail-" + hashlib.md5(b"nakamura@kawa.example.jp").hexdigest()
    assert str(scans[kawa]).startswith("2026-02-28 15:00:00")  # 03/01/2026, M/D/Y
    assert len(scans) == 4 and "sansan-C004" not in scans
