"""SATORI customer and action-history CSV exports -> ma_leads and ma_activities.

The files are written as SATORI's screens export them: CP932, Japanese headers, JST times
as 2026/03/02 09:30:00 (one customers file with an older header set, in UTF-8 with a BOM).
Every row must end up mapped or excluded with its reason, and the mapped rows must load
through the ordinary loader.
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
CUSTOMERS = ["カスタマーID", "メールアドレス", "苗字", "名前", "会社名", "部署名", "役職",
             "電話番号", "流入元", "配信ステータス", "タグ", "登録日時", "最終更新日時"]
CUSTOMERS_OLDER = ["カスタマーID", "メールアドレス", "姓", "名", "企業名", "部署名", "役職",
                   "登録経路", "配信停止", "登録日時", "最終更新日時"]
ACTIONS = ["アクションID", "カスタマーID", "メールアドレス", "アクション日時", "アクション", "URL",
           "キャンペーンID", "キャンペーン名", "メールID"]


def _drop(landing: Path, table: str, name: str, header: list[str], rows: list[list[str]],
          encoding: str = "cp932") -> None:
    folder = landing / "satori" / table / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([header, *rows])
    (folder / name).write_bytes(text.getvalue().encode(encoding))
    (folder / "_SUCCESS").touch()


@pytest.fixture
def satori_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text("vendors:\n  satori:\n    adapter: satori\n    timezone: Asia/Tokyo\n",
                       encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    landing = kizuna_home / "landing"
    _drop(landing, "customers", "customer_list.csv", CUSTOMERS, [
        ["1001", "aoi.sato@aoba.example.jp", "佐藤", "葵", "株式会社青葉商事", "営業部", "部長",
         "03-1234-5678", "フォーム", "配信可", "資料請求", "2026/03/02 09:00:00",
         "2026/03/02 10:00:00"],
        ["1003", "", "", "", "", "", "", "", "", "", "", "2026/03/02 09:05:00", ""],
        ["1004", "ken@midori.example.jp", "鈴木", "健", "みどり工業株式会社", "", "", "",
         "セミナー", "配信停止", "", "2026/03/01 18:00:00", "2026/03/02 08:00:00"],
        ["1005", "mai@sora.example.jp", "高橋", "舞", "株式会社ソラ", "", "", "", "名刺",
         "配信可", "", "2026/03/02 11:00:00", ""],
        ["1006", "noreg@umi.example.jp", "渡辺", "", "", "", "", "", "", "", "", "", ""],
    ])
    _drop(landing, "customers", "customer_list_older.csv", CUSTOMERS_OLDER, [
        ["2001", "taro@kawa.example.jp", "中村", "太郎", "株式会社カワ", "総務部", "", "一括登録",
         "○", "2026/03/02 07:00:00", "2026/03/02 07:30:00"],
        ["", "nobody@kawa.example.jp", "山本", "", "株式会社カワ", "", "", "フォーム", "",
         "2026/03/02 07:00:00", ""],
    ], encoding="utf-8-sig")
    _drop(landing, "actions", "action_history.csv", ACTIONS, [
        ["A1", "1001", "", "2026/03/02 09:30:00", "メール配信", "", "55", "3月ニュース", "M9"],
        ["A2", "1001", "", "2026/03/02 09:40:00", "メール開封", "", "55", "3月ニュース", "M9"],
        ["A3", "1001", "", "2026/03/02 09:41:00", "メールクリック",
         "https://aoba.example.jp/pricing", "55", "3月ニュース", "M9"],
        ["A4", "1004", "", "2026/03/02 10:00:00", "ページ閲覧", "https://example.com/p", "", "",
         ""],
        ["A5", "1004", "", "2026/03/02 10:05:00", "フォーム送信", "https://example.com/f", "", "",
         ""],
        ["A6", "", "AOI.SATO@aoba.example.jp", "2026/03/02 10:10:00", "ファイルダウンロード",
         "https://example.com/whitepaper.pdf", "", "", ""],
        ["A7", "", "stranger@else.example", "2026/03/02 10:20:00", "イベント申込", "", "", "", ""],
        ["A8", "", "", "2026/03/02 10:30:00", "ページ閲覧", "https://example.com/", "", "", ""],
        ["A9", "1001", "", "2026/03/02 10:40:00", "ポップアップ表示", "", "", "", ""],
        ["A10", "1004", "", "2026/03/02 10:50:00", "配信停止", "", "", "", ""],
        ["", "1005", "", "2026/03/02 11:10:00", "イベント参加", "", "", "", ""],
    ])
    return kizuna_home


def _counts(report, table: str, target: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for counts in report.counts.values():
        for c in counts:
            if c.vendor_table == table and c.target_table == target:
                key = None if c.outcome == "mapped" else c.reason
                out[key] = out.get(key, 0) + c.rows
    return out


def test_every_satori_row_is_mapped_or_excluded_with_its_reason(satori_home: Path) -> None:
    report = adapt_window(DAY, date(2026, 3, 3))
    leads = _counts(report, "customers", "ma_leads")
    acts = _counts(report, "actions", "ma_activities")
    assert leads == {
        None: 4,
        "anonymous customer (no e-mail address): a web visitor, not a lead": 1,
        "no registration date (登録日時)": 1,
        "no customer ID": 1,
    }
    assert acts == {
        None: 8,
        "action ポップアップ表示 has no contract activity type": 1,
        "anonymous visitor (no customer ID or e-mail address): not a lead": 1,
        "e-mail address is no known customer": 1,
    }
    assert NOT_SELECTED not in {**leads, **acts}


def test_adapted_satori_rows_load_through_the_ordinary_loader(satori_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, date(2026, 3, 3))
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        leads = {r[0]: r[1:] for r in wh.query(
            "SELECT lead_id, lead_source, opt_out, last_name, company_name, created_at, "
            "updated_at FROM raw.ma_leads")}
        acts = {r[0]: r[1:] for r in wh.query(
            "SELECT activity_id, lead_id, activity_type, occurred_at, campaign_id, url "
            "FROM raw.ma_activities")}
    assert set(leads) == {"satori-1001", "satori-1004", "satori-1005", "satori-2001"}
    assert leads["satori-1001"][:2] == ("web_form", False)
    assert leads["satori-1004"][:2] == ("event", True)
    assert leads["satori-1005"][0] == "business_card"
    assert leads["satori-2001"][:4] == ("import", True, "中村", "株式会社カワ")  # older headers
    assert str(leads["satori-1001"][4]).startswith("2026-03-02 00:00:00")  # JST -> UTC
    assert str(leads["satori-1001"][5]).startswith("2026-03-02 01:00:00")
    assert {k: v[1] for k, v in acts.items() if k.startswith("satori-A")} == {
        "satori-A1": "email_send", "satori-A2": "email_open", "satori-A3": "email_click",
        "satori-A4": "web_visit", "satori-A5": "form_submit", "satori-A6": "content_download",
        "satori-A10": "unsubscribe"}
    assert acts["satori-A6"][0] == "satori-1001"  # found by e-mail address
    # the campaign ID as SATORI shows it: the key of the campaigns file kept beside SATORI
    assert acts["satori-A3"][3:] == ("55", "https://aoba.example.jp/pricing")
    assert str(acts["satori-A1"][2]).startswith("2026-03-02 00:30:00")
    # an action without an ID of its own: a stable one from customer, time, kind (and URL)
    stable = "satori-" + hashlib.md5("1005|2026/03/02 11:10:00|イベント参加".encode()).hexdigest()
    assert acts[stable][:2] == ("satori-1005", "event_attendance")
