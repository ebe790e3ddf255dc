"""国税庁 法人番号公表サイト full-data and diff files -> firmo_companies, through the real loader.

The files are written as the site publishes them (30 columns in the resource definition's
order, no header line, the Unicode edition in UTF-8 and the Shift_JIS edition in CP932);
every row must end up mapped or excluded with its reason, and the mapped rows must load
through the ordinary loader.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from kizuna.ingest.adapt import NOT_SELECTED, adapt_window
from kizuna.simulator.corporate_number import make
from kizuna.sources.adapters import adapter
from kizuna.warehouse import connection

DAY = date(2026, 3, 2)
COLUMNS = adapter("nta_houjin").tables["zenken"].columns
A, B, C, D, E, F, G, H = (make(f"0104010{n:05d}") for n in range(1, 9))


def _row(seq: int, number: str, process: str, update: str, name: str, **more: str) -> list[str]:
    values = {"sequenceNumber": str(seq), "corporateNumber": number, "process": process,
              "correct": "0", "updateDate": update, "changeDate": update, "name": name,
              "kind": "301", "prefectureName": "東京都", "cityName": "千代田区",
              "streetNumber": "丸の内１丁目１－１", "prefectureCode": "13", "cityCode": "101",
              "postCode": "1000005", "assignmentDate": "2015-10-05", "latest": "1",
              "hihyoji": "0", **more}
    return [values.get(c, "") for c in COLUMNS]


def _drop(landing: Path, table: str, rows: list[list[str]], encoding: str = "utf-8",
          header: bool = False, day: date = DAY, newline: str = "\r\n",
          quoting: int = csv.QUOTE_ALL) -> None:
    folder = landing / "nta" / table / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=newline, quoting=quoting)
    if header:
        writer.writerow(COLUMNS)
    writer.writerows(rows)
    (folder / f"13_tokyo_{table}_20260302.csv").write_bytes(text.getvalue().encode(encoding))
    (folder / "_SUCCESS").touch()


@pytest.fixture
def nta_home(kizuna_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = kizuna_home / "sources.yml"
    sources.write_text(
        "vendors:\n"
        "  nta:\n"
        "    adapter: nta_houjin\n"
        "    timezone: Asia/Tokyo\n"
        "    tables: {sabun: {encoding: cp932}}\n", encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(sources))
    landing = kizuna_home / "landing"
    _drop(landing, "zenken", [
        _row(1, A, "01", "2026-02-20", "株式会社青葉商事", furigana="アオバショウジ"),
        _row(2, B, "12", "2026-02-25", "株式会社みどり工業", prefectureName="大阪府",
             hihyoji="1"),
        _row(3, C, "71", "2026-02-10", "株式会社旧社", closeDate="2026-02-01",
             closeCause="11", successorCorporateNumber=B),
        _row(4, D, "99", "2026-02-12", "株式会社削除"),
        _row(5, "12345", "01", "2026-02-12", "株式会社桁違い"),
        _row(6, E, "01", "2025-12-01", "合同会社ソラ", kind="305"),
    ])
    _drop(landing, "sabun", [
        _row(1, A, "11", "2026-03-02", "株式会社青葉ホールディングス",
             furigana="アオバホールディングス", changeCause="商号変更"),
        _row(2, F, "12", "2026-03-02", "株式会社過去", latest="0"),
        _row(3, G, "21", "2026-03-02", "株式会社清算", closeDate="2026-03-01", closeCause="01"),
        _row(4, H, "22", "2026-03-02", "株式会社復活"),
    ], encoding="cp932")
    return kizuna_home


def _counts(report, table: str, target: str = "firmo_companies") -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for counts in report.counts.values():
        for c in counts:
            if c.vendor_table == table and c.target_table == target:
                key = None if c.outcome == "mapped" else c.reason
                out[key] = out.get(key, 0) + c.rows
    return out


def test_every_nta_row_is_mapped_or_excluded_with_its_reason(nta_home: Path) -> None:
    report = adapt_window(DAY, date(2026, 3, 3))
    assert _counts(report, "zenken") == {
        None: 2,
        "superseded by a later row for the same corporate number": 1,
        "closed company (登記記録の閉鎖等, process 71, closed 2026-02-01)": 1,
        "deleted by the NTA (process 99)": 1,
        "corporate number is not 13 digits": 1,
    }
    assert _counts(report, "sabun") == {
        None: 2,
        "a past record (latest = 0), not the current one": 1,
        "closed company (登記記録の閉鎖等, process 21, closed 2026-03-01)": 1,
    }
    assert NOT_SELECTED not in {**_counts(report, "zenken"), **_counts(report, "sabun")}
    with connection() as wh:
        excluded = wh.query("SELECT count(*) FROM quarantine.vendor_excluded_rows")[0][0]
    assert excluded == report.rows("excluded") == 6


def test_files_are_read_as_published_without_a_header_line(nta_home: Path) -> None:
    """The NTA's files have no header: every line is a record (a header line someone
    added is left out, saying so)."""
    day = date(2026, 3, 3)
    _drop(nta_home / "landing", "zenken", [
        _row(1, A, "01", "2026-03-03", "株式会社一"), _row(2, B, "01", "2026-03-03", "株式会社二"),
        _row(3, E, "01", "2026-03-03", "株式会社三")], header=True, day=day)
    report = adapt_window(day, date(2026, 3, 4))
    assert _counts(report, "zenken") == {
        None: 3, "a header line (the NTA publishes its files without one)": 1}
    assert "nta/zenken" not in report.unknown_columns


def test_files_with_lf_line_ends_are_read_by_the_strict_reader(
        nta_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A file unpacked or rewritten with LF line ends (fields unquoted, empty ones empty)
    reads as strictly as the published CRLF one: the header line put above it ends as
    its lines do."""
    day = date(2026, 3, 3)
    _drop(nta_home / "landing", "zenken", [
        _row(1, A, "01", "2026-03-03", "株式会社一"), _row(2, B, "01", "2026-03-03", "株式会社二")],
        day=day, newline="\n", quoting=csv.QUOTE_MINIMAL)
    with caplog.at_level("WARNING"):
        report = adapt_window(day, date(2026, 3, 4))
    assert _counts(report, "zenken") == {None: 2}
    assert [r.getMessage() for r in caplog.records if "leniently" in r.getMessage()] == []


def test_adapted_nta_rows_load_through_the_ordinary_loader(nta_home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    report = load_and_gate(DAY, date(2026, 3, 3))
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]
    with connection() as wh:
        rows = {r[0]: r[1:] for r in wh.query(
            "SELECT corporate_number, company_name, company_name_kana, prefecture, "
            "updated_at, industry_code, employees FROM raw.firmo_companies")}
    assert set(rows) == {A, B, E, H}
    assert rows[A][:3] == ("株式会社青葉ホールディングス", "アオバホールディングス", "東京都")
    assert str(rows[A][3]).startswith("2026-03-01 15:00:00")  # 2026-03-02 JST in UTC
    assert rows[B][2] == "大阪府" and rows[A][4:] == (None, None)
