"""The bad-input corpus: what real MA and CRM exports look like, one case per problem.

Each :class:`Case` is a small file drop written into a fresh landing folder, and what
must come of it after the loader and the quality gate: each file's batch status, rows in
file / loaded / quarantined, the quarantine reasons, the rules that failed, and (for a
rejected batch) what the gate's error message says. Files are defined here as readable
text and written in the encoding the case names; Parquet files are built from a frame.
``test_bad_input.py`` runs every case through the real loader and gate and checks the
expected outcome and the reconciliation ``rows_in_file = rows in raw + rows in
quarantine`` for every batch.

``item`` names the requirement a case covers: 1 (suites and severities), 3 (quarantine
and reconciliation), 5 (robust intake of real exports).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

DAY = "2026-01-05"  # the data interval (date folder) of most cases
TS = "2026-01-05 10:00:00"  # a JST timestamp inside it

LEADS = ("lead_id,email,last_name,first_name,company_name,department,job_title,phone,"
         "lead_source,opt_out,created_at,updated_at")
ACCOUNTS = ("account_id,account_name,corporate_number,domain,industry,owner,abm_tier,"
            "created_at,updated_at")
CONTACTS = ("contact_id,account_id,email,last_name,first_name,department,title,buying_role,"
            "updated_at")
OPPORTUNITIES = ("opportunity_id,account_id,product_id,stage,amount_jpy,created_at,close_date,"
                 "is_closed,is_won,lost_reason,updated_at")
CAMPAIGNS = "campaign_id,name,channel,product_id,started_on,ended_on,cost_jpy"
CRM_ACTIVITIES = "activity_id,account_id,contact_id,activity_type,occurred_at,outcome"


def lead(i: int, email: str | None = None, updated: str = TS, source: str = "web_form") -> str:
    email = f"taro{i}@example.co.jp" if email is None else email
    return (f"L{i},{email},山田,太郎{i},株式会社例,営業部,部長,03-1234-5678,{source},false,"
            f"{TS},{updated}")


def account(i: int, name: str = "株式会社例", number: str = "", updated: str = TS) -> str:
    return f"A{i},{name},{number},example.co.jp,製造業,佐藤,tier_1,{TS},{updated}"


def meeting(i: int, kind: str = "meeting", when: str = TS) -> str:
    return f"C{i},A1,,{kind},{when},completed"


def opportunity(i: int, stage: str = "proposal", amount: str = "1200000",
                close: str = "2026-03-31", won: str = "false") -> str:
    closed = "true" if stage.startswith("closed") else "false"
    return f"O{i},A1,P1,{stage},{amount},{TS},{close},{closed},{won},,{TS}"


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class File:
    """One delivered file, relative to the landing folder."""

    path: str
    content: str | bytes | Callable[[], bytes]
    encoding: str = "utf-8"
    marker: bool = True  # write the folder's done marker (_SUCCESS)
    age_seconds: float | None = None  # set the modification time this long ago

    def data(self) -> bytes:
        if callable(self.content):
            return self.content()
        if isinstance(self.content, bytes):
            return self.content
        return self.content.encode(self.encoding)


@dataclass(frozen=True)
class Outcome:
    """What must become of one file (matched by the end of its path)."""

    file: str
    status: str  # published | rejected | duplicate | empty | superseded | pending | skipped
    rows_in_file: int | None = None
    loaded: int | None = None
    quarantined: int | None = None
    reasons: tuple[str, ...] = ()  # substrings of the quarantine reasons of its rows
    warnings: tuple[str, ...] = ()  # warning rules recorded as failed for it
    critical: tuple[str, ...] = ()  # critical rules failed for it


@dataclass(frozen=True)
class Case:
    name: str
    item: str
    what: str
    files: tuple[File, ...]
    outcomes: tuple[Outcome, ...]
    sources: str | None = None  # a sources.yml replacing the default one
    then: tuple[File, ...] = ()  # delivered after the first run, then loaded again
    then_outcomes: tuple[Outcome, ...] = ()
    gate_error: tuple[str, ...] = ()  # substrings of the quality gate's error message
    raw: tuple[tuple[str, list[tuple]], ...] = ()  # (query, expected rows) on the warehouse
    window: tuple[str, str] = (DAY, "2026-01-06")
    extra: dict[str, object] = field(default_factory=dict)


def _parquet_companies(numbers: list[str], extra: bool = False) -> bytes:
    import pandas as pd

    frame = pd.DataFrame({
        "corporate_number": numbers, "company_name": ["株式会社例"] * len(numbers),
        "employees": [120] * len(numbers), "revenue_jpy": [500_000_000] * len(numbers),
        "updated_at": [pd.Timestamp(TS)] * len(numbers),
    })
    if extra:
        frame["capital_jpy"] = [10_000_000] * len(numbers)
    buf = io.BytesIO()
    frame.to_parquet(buf)
    return buf.getvalue()


UTF8_SOURCES = """
crm:
  format: csv
  encoding: {encoding}
  timezone: Asia/Tokyo
  done_marker: _SUCCESS
"""

CASES: tuple[Case, ...] = (
    # ------------------------------------------------------------------ encodings (item 5)
    Case("utf8", "5", "UTF-8 without a BOM, declared utf-8-sig (MA export).",
         (File(f"ma/leads/{DAY}/part-0001.csv", lines(LEADS, lead(1), lead(2))),),
         (Outcome("part-0001.csv", "published", 2, 2, 0),),
         raw=(("SELECT first_name FROM raw.ma_leads ORDER BY 1", [("太郎1",), ("太郎2",)]),)),
    Case("utf8_bom", "5", "UTF-8 with a BOM (Excel): the first header is still lead_id.",
         (File(f"ma/leads/{DAY}/part-0001.csv", "\ufeff" + lines(LEADS, lead(1))),),
         (Outcome("part-0001.csv", "published", 1, 1, 0),),
         raw=(("SELECT lead_id FROM raw.ma_leads", [("L1",)]),)),
    Case("cp932", "5", "CP932 (Excel's Shift_JIS) with Japanese text.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1, "株式会社髙橋①製作所")), "cp932"),),
         (Outcome("part-0001.csv", "published", 1, 1, 0),),
         raw=(("SELECT account_name FROM raw.crm_accounts", [("株式会社髙橋①製作所",)]),)),
    Case("shift_jis_declared", "5", "The source declares 'Shift_JIS'; read as CP932.",
         (File(f"crm/accounts/{DAY}/part-0001.csv", lines(ACCOUNTS, account(1, "株式会社ソ表")),
               "cp932"),),
         (Outcome("part-0001.csv", "published", 1, 1, 0),),
         sources=UTF8_SOURCES.format(encoding="Shift_JIS"),
         raw=(("SELECT account_name FROM raw.crm_accounts", [("株式会社ソ表",)]),)),
    Case("encoding_detected", "5", "encoding: auto reads a UTF-8 file and a CP932 file.",
         (File(f"crm/accounts/{DAY}/utf8.csv", lines(ACCOUNTS, account(1, "株式会社ユー"))),
          File(f"crm/accounts/{DAY}/sjis.csv", lines(ACCOUNTS, account(2, "株式会社エス")),
               "cp932")),
         (Outcome("utf8.csv", "published", 1, 1, 0), Outcome("sjis.csv", "published", 1, 1, 0)),
         sources=UTF8_SOURCES.format(encoding="auto"),
         raw=(("SELECT account_id, account_name FROM raw.crm_accounts ORDER BY 1",
               [("A1", "株式会社ユー"), ("A2", "株式会社エス")]),)),
    Case("undecodable_bytes", "5", "Bytes that are not CP932: the row is quarantined, not "
         "loaded with replacement characters.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1)).encode("cp932")
               + f"A2,\x82\xff,,,,,,,{TS}\n".encode("latin-1")),),
         (Outcome("part-0001.csv", "published", 2, 1, 1, reasons=("undecodable bytes",)),)),
    Case("invalid_utf8_jsonl", "5", "Invalid UTF-8 inside a JSON-lines export.",
         (File(f"ma/activities/{DAY}/part-0001.jsonl",
               b'{"activity_id":"X1","lead_id":"L1","activity_type":"web_visit",'
               b'"occurred_at":"2026-01-05T10:00:00+09:00"}\n'
               b'{"activity_id":"X2","lead_id":"L1","activity_type":"web_\xff",'
               b'"occurred_at":"2026-01-05T10:00:00+09:00"}\n'),),
         (Outcome("part-0001.jsonl", "published", 2, 1, 1, reasons=("undecodable bytes",),
                  warnings=("lead_id_known",)),)),
    # ------------------------------------------------------------------ CSV shapes (item 5)
    Case("embedded_newlines_and_commas", "5", "Quoted fields holding newlines, commas and "
         "doubled quotes.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, f'A1,"（株）田中,商事\n本社 ""東京""",,,,,,{TS},{TS}',
                     account(2)), "cp932"),),
         (Outcome("part-0001.csv", "published", 2, 2, 0),),
         raw=(("SELECT account_name FROM raw.crm_accounts WHERE account_id = 'A1'",
               [('（株）田中,商事\n本社 "東京"',)]),
              ("SELECT _row_number FROM raw.crm_accounts ORDER BY 1", [(1,), (2,)]))),
    Case("ragged_rows", "3", "Rows with too few and too many fields are quarantined with "
         "their text; the rest of the file is published.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1), "A2,short", account(3) + ",extra,fields",
                     account(4)), "cp932"),),
         (Outcome("part-0001.csv", "published", 4, 2, 2, reasons=("unreadable line",)),),
         raw=(("SELECT row_number, raw_text FROM quarantine.rejected_rows ORDER BY 1",
               [(2, "A2,short"), (3, account(3) + ",extra,fields")]),)),
    Case("unterminated_quote", "3", "A quote that never closes swallows the file's end; "
         "those lines are quarantined, not lost.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1), f'A2,"unterminated,,,,,,,{TS}'), "cp932"),),
         (Outcome("part-0001.csv", "published", 2, 1, 1, reasons=("unreadable line",)),)),
    Case("extra_columns_kept", "5", "A column the contract does not know is kept in raw.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS + ",Sales Region", account(1) + ",関東"), "cp932"),),
         (Outcome("part-0001.csv", "published", 1, 1, 0),),
         raw=(("SELECT sales_region FROM raw.crm_accounts", [("関東",)]),)),
    Case("missing_optional_column", "5", "An optional column missing from the header: "
         "loaded with nulls.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines("account_id,account_name,updated_at", f"A1,株式会社例,{TS}"), "cp932"),),
         (Outcome("part-0001.csv", "published", 1, 1, 0),),
         raw=(("SELECT corporate_number, abm_tier FROM raw.crm_accounts", [(None, None)]),)),
    Case("missing_required_column", "5", "A required column missing from the header: the "
         "batch is rejected (critical) and the gate says which column.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines("account_id,account_name", "A1,株式会社例", "A2,株式会社例"), "cp932"),),
         (Outcome("part-0001.csv", "rejected", 2, 0, 2, reasons=("missing required column",),
                  critical=("required_columns_present",)),),
         gate_error=("crm/accounts/2026-01-05/part-0001.csv", "required_columns_present",
                     "column updated_at", "missing='updated_at'")),
    Case("missing_required_value", "3", "A required value left empty: that row is "
         "quarantined.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1), f",no key,,,,,,{TS},{TS}"), "cp932"),),
         (Outcome("part-0001.csv", "published", 2, 1, 1,
                  reasons=("missing required value: account_id",)),)),
    # ------------------------------------------------------------------ keys and deliveries
    Case("duplicate_keys_new_versions", "5", "One key delivered with two updated_at values: "
         "both kept in raw (staging keeps the latest).",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1, "旧社名", updated="2026-01-05 09:00:00"),
                     account(1, "新社名", updated="2026-01-05 11:00:00")), "cp932"),),
         (Outcome("part-0001.csv", "published", 2, 2, 0),),
         raw=(("SELECT account_name FROM raw.crm_accounts ORDER BY updated_at",
               [("旧社名",), ("新社名",)]),)),
    Case("duplicate_keys_same_version", "1", "One key twice with the same updated_at: "
         "recorded as a warning, published.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1), account(1, "別名")), "cp932"),),
         (Outcome("part-0001.csv", "published", 2, 2, 0,
                  warnings=("account_id_unique_per_version",)),)),
    Case("same_file_twice", "5", "The same content under two names in one delivery: the "
         "second is a duplicate and adds nothing.",
         (File(f"crm/accounts/{DAY}/export.csv", lines(ACCOUNTS, account(1)), "cp932"),
          File(f"crm/accounts/{DAY}/export_copy.csv", lines(ACCOUNTS, account(1)), "cp932")),
         (Outcome("export.csv", "published", 1, 1, 0),
          Outcome("export_copy.csv", "duplicate", 0, 0, 0, warnings=("file_not_duplicate",))),
         raw=(("SELECT count(*) FROM raw.crm_accounts", [(1,)]),)),
    Case("same_file_delivered_again", "5", "The same file again a day later under another "
         "name, and the first file again unchanged: nothing is added.",
         (File(f"crm/accounts/{DAY}/part-0001.csv", lines(ACCOUNTS, account(1)), "cp932"),),
         (Outcome("part-0001.csv", "published", 1, 1, 0),),
         then=(File("crm/accounts/2026-01-06/resent.csv", lines(ACCOUNTS, account(1)),
                    "cp932"),),
         then_outcomes=(Outcome("resent.csv", "duplicate", 0, 0, 0),
                        Outcome(f"{DAY}/part-0001.csv", "published", 1, 1, 0)),
         raw=(("SELECT count(*) FROM raw.crm_accounts", [(1,)]),),
         window=(DAY, "2026-01-07")),
    Case("corrected_file", "5", "A corrected file under the same name supersedes the earlier "
         "batch (and its quarantined rows).",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1, "誤"), "A2,ragged"), "cp932"),),
         (Outcome("part-0001.csv", "published", 2, 1, 1),),
         then=(File(f"crm/accounts/{DAY}/part-0001.csv", lines(ACCOUNTS, account(1, "正")),
                    "cp932"),),
         then_outcomes=(Outcome("part-0001.csv", "published", 1, 1, 0),),
         raw=(("SELECT account_name FROM raw.crm_accounts", [("正",)]),
              ("SELECT count(*) FROM quarantine.rejected_rows", [(0,)]),
              ("SELECT status FROM audit.load_batches ORDER BY status",
               [("published",), ("superseded",)]))),
    Case("empty_file", "5", "A zero-byte file and a header-only file: recorded as empty.",
         (File(f"crm/accounts/{DAY}/part-0001.csv", b""),
          File(f"crm/accounts/{DAY}/part-0002.csv", lines(ACCOUNTS), "cp932")),
         (Outcome("part-0001.csv", "empty", 0, 0, 0, warnings=("file_not_empty",)),
          Outcome("part-0002.csv", "empty", 0, 0, 0, warnings=("file_not_empty",)))),
    Case("half_written_part_file", "5", "An upload still named .part, and a folder without "
         "its done marker: both left pending, nothing loaded.",
         (File(f"crm/accounts/{DAY}/part-0001.csv.part", lines(ACCOUNTS, account(1)), "cp932"),
          File("crm/accounts/2026-01-04/part-0001.csv", lines(ACCOUNTS, account(2)), "cp932",
               marker=False)),
         (Outcome("part-0001.csv.part", "pending"),
          Outcome("2026-01-04/part-0001.csv", "pending")),
         window=("2026-01-04", "2026-01-06")),
    Case("half_written_unstable", "5", "Without a done marker, a file modified seconds ago "
         "waits; one stable for longer than stable_seconds is loaded.",
         (File(f"crm/accounts/{DAY}/fresh.csv", lines(ACCOUNTS, account(1)), "cp932",
               marker=False, age_seconds=1),
          File(f"crm/accounts/{DAY}/stable.csv", lines(ACCOUNTS, account(2)), "cp932",
               marker=False, age_seconds=600)),
         (Outcome("fresh.csv", "pending"), Outcome("stable.csv", "published", 1, 1, 0)),
         sources="crm:\n  format: csv\n  encoding: cp932\n  timezone: Asia/Tokyo\n"
                 "  done_marker: null\n  stable_seconds: 60\n"),
    # ------------------------------------------------------------------ values (item 5)
    Case("date_forms", "5", "Dates as 2024/03/15, ISO with an offset and Excel serial "
         "numbers; full-width digits.",
         (File(f"ma/campaigns/{DAY}/part-0001.csv",
               lines(CAMPAIGNS,
                     "K1,春の展示会,seminar,P1,2024/03/15,2024-03-15T10:00:00+09:00,１２０，０００",
                     "K2,ウェビナー,webinar,,45366,２０２４／０３／１５,¥50000",
                     "K3,広告,ads,,20240315,2024.03.15,\"1,200\"")),),
         (Outcome("part-0001.csv", "published", 3, 3, 0, warnings=("product_id_known",)),),
         raw=(("SELECT campaign_id, started_on::VARCHAR, ended_on::VARCHAR, cost_jpy "
               "FROM raw.ma_campaigns ORDER BY 1",
               [("K1", "2024-03-15", "2024-03-15", 120000),
                ("K2", "2024-03-15", "2024-03-15", 50000),
                ("K3", "2024-03-15", "2024-03-15", 1200)]),)),
    Case("jst_vs_utc", "5", "Timestamps without an offset are JST (the source's zone); with "
         "+09:00 or Z they carry their own; all stored in UTC. Excel serials too.",
         (File(f"crm/activities/{DAY}/part-0001.csv",
               lines(CRM_ACTIVITIES, "C1,A1,,call,2026-01-05 10:00:00,completed",
                     "C2,A1,,call,2026-01-05T10:00:00+09:00,completed",
                     "C3,A1,,call,2026-01-05T01:00:00Z,completed",
                     "C4,A1,,call,46027.41666666667,completed",
                     "C5,A1,,call,２０２６－０１－０５ １０：００：００,completed"), "cp932"),),
         (Outcome("part-0001.csv", "published", 5, 5, 0),),
         raw=(("SELECT DISTINCT date_trunc('second', occurred_at + INTERVAL 500 MILLISECOND)"
               "::VARCHAR FROM raw.crm_activities", [("2026-01-05 01:00:00",)]),)),
    Case("unparsable_values", "3", "A timestamp, a number and a flag that do not parse: "
         "their rows are quarantined with the column and value.",
         (File(f"crm/opportunities/{DAY}/part-0001.csv",
               lines(OPPORTUNITIES, *(opportunity(i) for i in range(10, 14)),
                     f"O2,A1,P1,proposal,1200000,not a date,2026-03-31,false,false,,{TS}",
                     opportunity(3, amount="12.5万"),
                     f"O4,A1,P1,proposal,1000,{TS},2026-03-31,maybe,false,,{TS}"), "cp932"),),
         (Outcome("part-0001.csv", "published", 7, 4, 3,
                  reasons=("cannot parse created_at as timestamp: not a date",
                           "cannot parse amount_jpy as amount: 12.5万",
                           "cannot parse is_closed as bool: maybe"),
                  warnings=("account_id_known",)),)),
    Case("mostly_unparsable", "3", "Most rows of a file do not parse (a wrong date format "
         "for the whole export): quarantined, and the batch is rejected.",
         (File(f"crm/opportunities/{DAY}/part-0001.csv",
               lines(OPPORTUNITIES, opportunity(1),
                     *(f"O{i},A1,P1,proposal,1000,05.01.2026 10:00,2026-03-31,false,false,,{TS}"
                       for i in range(2, 5))), "cp932"),),
         (Outcome("part-0001.csv", "rejected", 4, 1, 3, reasons=("cannot parse created_at",),
                  critical=("values_parse",)),),
         gate_error=("values_parse", "3 of 4 rows", "cannot parse created_at as timestamp: "
                     "05.01.2026 10:00")),
    # ------------------------------------------------------------------ suites (item 1)
    Case("future_timestamp", "1", "A timestamp after the load (a mistyped year): that row is "
         "quarantined by a row-level rule; the file is published.",
         (File(f"crm/activities/{DAY}/part-0001.csv",
               lines(CRM_ACTIVITIES, meeting(1), meeting(2), meeting(3, when="2062-01-05 10:00:00"
                                                                    )), "cp932"),),
         (Outcome("part-0001.csv", "published", 3, 2, 1,
                  reasons=("occurred_at_not_in_future",),
                  warnings=("occurred_at_in_data_interval", "account_id_known")),)),
    Case("mostly_future", "1", "Most rows from the future: the file is wrong, the batch is "
         "rejected (critical) and the DAG stops before dbt.",
         (File(f"crm/activities/{DAY}/part-0001.csv",
               lines(CRM_ACTIVITIES, meeting(1), *(meeting(i, when="2062-01-05 10:00:00")
                                                   for i in (2, 3, 4))), "cp932"),),
         (Outcome("part-0001.csv", "rejected", 4, 1, 3, critical=("occurred_at_not_in_future",)),),
         gate_error=("occurred_at_not_in_future", "column occurred_at", "3 of 4 rows",
                     "occurred_at='2062-01-05 01:00:00 UTC'")),
    Case("unknown_activity_type", "1", "An activity type the contract does not know: that row "
         "is quarantined (it cannot be weighted).",
         (File(f"crm/activities/{DAY}/part-0001.csv",
               lines(CRM_ACTIVITIES, meeting(1), meeting(2), meeting(3, kind="fax")), "cp932"),),
         (Outcome("part-0001.csv", "published", 3, 2, 1,
                  reasons=("activity_type_accepted: activity_type='fax'",)),)),
    Case("renamed_activity_types", "1", "The MA tool renamed its activity types: every row "
         "fails, the batch is rejected.",
         (File(f"ma/activities/{DAY}/part-0001.jsonl", lines(
             *(f'{{"activity_id":"X{i}","lead_id":"L1","activity_type":"EmailOpen",'
               f'"occurred_at":"2026-01-05T10:00:00+09:00"}}' for i in range(3)))),),
         (Outcome("part-0001.jsonl", "rejected", 3, 0, 3, critical=("activity_type_accepted",)),),
         gate_error=("ma/activities/2026-01-05/part-0001.jsonl", "activity_type_accepted",
                     "activity_type='EmailOpen'")),
    Case("negative_amount", "1", "A negative deal amount: that row is quarantined.",
         (File(f"crm/opportunities/{DAY}/part-0001.csv",
               lines(OPPORTUNITIES, opportunity(1), opportunity(2), opportunity(3, amount="-500")),
               "cp932"),),
         (Outcome("part-0001.csv", "published", 3, 2, 1, reasons=("amount_jpy_non_negative",)),)),
    Case("unknown_stage_and_flag_mismatch", "1", "An unknown stage is quarantined; a won flag "
         "that does not match the stage is a warning.",
         (File(f"crm/opportunities/{DAY}/part-0001.csv",
               lines(OPPORTUNITIES, opportunity(1), opportunity(2, stage="closed_won", won="false"),
                     opportunity(3, stage="verbal_commit")), "cp932"),),
         (Outcome("part-0001.csv", "published", 3, 2, 1, reasons=("stage_accepted",),
                  warnings=("stage_matches_is_won",)),)),
    Case("malformed_email", "1", "A malformed e-mail is a warning: the lead is kept.",
         (File(f"ma/leads/{DAY}/part-0001.csv",
               lines(LEADS, lead(1), lead(2, email="taro.example.co.jp"),
                     lead(3, email=" Taro@Example.CO.JP "),
                     lead(4, email="ｔａｒｏ＠example.jp"))),),
         (Outcome("part-0001.csv", "published", 4, 4, 0, warnings=("email_format",)),),
         raw=(("SELECT unexpected_count FROM audit.dq_results WHERE rule = 'email_format'",
               [(2,)]),)),
    Case("mistyped_corporate_number_crm", "1", "A mistyped optional corporate number in the "
         "CRM: a warning, the account is published.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1, number="7000012050002"),
                     account(2, number="7000012050003"), account(3)), "cp932"),),
         (Outcome("part-0001.csv", "published", 3, 3, 0,
                  warnings=("corporate_number_check_digit",)),)),
    Case("invalid_corporate_number_firmo", "1", "An invalid corporate number in the company "
         "database (its key): that row is quarantined. An extra Parquet column is kept.",
         (File(f"firmo/companies/{DAY}/part-0001.parquet",
               lambda: _parquet_companies(["7000012050002", "2021001052596", "1234567890123"],
                                          extra=True)),),
         (Outcome("part-0001.parquet", "published", 3, 2, 1,
                  reasons=("corporate_number_check_digit",)),),
         raw=(("SELECT capital_jpy FROM raw.firmo_companies", [("10000000",), ("10000000",)]),)),
    Case("outside_data_interval", "1", "updated_at far before the file's date folder: a "
         "warning (late delivery or a full export), published.",
         (File(f"crm/accounts/{DAY}/part-0001.csv",
               lines(ACCOUNTS, account(1), account(2, updated="2025-06-01 10:00:00")), "cp932"),),
         (Outcome("part-0001.csv", "published", 2, 2, 0,
                  warnings=("updated_at_in_data_interval",)),)),
    Case("orphan_reference", "1", "A contact of an account never delivered: a warning "
         "(sources deliver independently); one of a delivered account passes.",
         (File(f"crm/accounts/{DAY}/part-0001.csv", lines(ACCOUNTS, account(1)), "cp932"),
          File(f"crm/contacts/{DAY}/part-0001.csv",
               lines(CONTACTS, f"K1,A1,a@example.co.jp,山田,花子,営業部,部長,champion,{TS}",
                     f"K2,A9,b@example.co.jp,田中,一郎,経理部,課長,user,{TS}"), "cp932")),
         (Outcome("accounts/2026-01-05/part-0001.csv", "published", 1, 1, 0),
          Outcome("contacts/2026-01-05/part-0001.csv", "published", 2, 2, 0,
                  warnings=("account_id_known",))),
         raw=(("SELECT unexpected_count FROM audit.dq_results WHERE rule = 'account_id_known'",
               [(1,)]),)),
    Case("broken_json_lines", "3", "JSON lines that are not objects are quarantined; blank "
         "lines are not records.",
         (File(f"ma/activities/{DAY}/part-0001.jsonl", lines(
             *(f'{{"activity_id":"X{i}","lead_id":"L1","activity_type":"web_visit",'
               f'"occurred_at":"2026-01-05T10:00:00+09:00"}}' for i in range(4)),
             '{"activity_id":"X9",', "", "[1, 2]", "null")),),
         (Outcome("part-0001.jsonl", "published", 7, 4, 3,
                  reasons=("not a JSON object",)),)),
)
