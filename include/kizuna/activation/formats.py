"""The lists that leave the warehouse and each vendor's import format for them.

A **list** is one dbt model of schema ``exports`` (its rows are chosen and shaped there);
a **target** is a tool that imports it. Each target writes one or more CSV files per list,
each a :class:`FileFormat`: which rows, which columns under the vendor's own field names,
and how the file is encoded.

- HubSpot: the company and contact import (columns named by property internal names, which
  the import maps without a manual step; companies are matched by ``domain``, contacts by
  ``email``); the ``kizuna_*`` properties are custom properties to create once.
- Salesforce: Data Loader files (API field names; an update file carries ``Id``, so rows
  without a CRM record go to an insert file); the ``Kizuna_*__c`` fields are custom fields.
- Marketo: a list import of leads (the REST API names of lead fields; leads are matched by
  ``email``): Marketo keeps people, so only the lead hand-offs go there.
- ``cp932``: for Excel and Japanese MA tools: Japanese headers, Windows-31J (CP932) without
  a byte order mark, CRLF. A character CP932 cannot encode becomes 〓 (the geta mark, the
  customary stand-in) and the file's result names the row and column it was in.

Every file is written in a fixed row order with fixed number formats, so the same scores
always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class ExportList:
    """One list: the dbt model it is read from, its record key and its row order."""

    name: str
    model: str
    key: str
    order_by: str


LISTS: tuple[ExportList, ...] = (
    ExportList("mqa_accounts", "export_mqa_accounts", "account_key",
               "target_rank, account_key"),
    ExportList("target_accounts", "export_target_accounts", "account_key", "target_rank"),
    ExportList("lead_handoffs", "export_lead_handoffs", "lead_id", "account_key, lead_id"),
)
LISTS_BY_NAME = {lst.name: lst for lst in LISTS}


@dataclass(frozen=True)
class FileFormat:
    """One import file: ``columns`` are (header, list column or a function of the row);
    ``where`` keeps the rows the file is for (None: all)."""

    target: str
    list_name: str
    file_name: str
    columns: tuple[tuple[str, str | Callable[[Row], Any]], ...]
    where: Callable[[Row], bool] | None = None
    encoding: str = "utf-8"

    @property
    def path(self) -> str:
        """Where the file goes under the data date's folder."""
        return f"{self.target}/{self.file_name}"

    @property
    def headers(self) -> list[str]:
        return [header for header, _ in self.columns]

    def values(self, row: Row) -> list[Any]:
        return [source(row) if callable(source) else row.get(source)
                for _, source in self.columns]


def has(column: str) -> Callable[[Row], bool]:
    return lambda row: row.get(column) is not None


def lacks(column: str) -> Callable[[Row], bool]:
    return lambda row: row.get(column) is None


def always(value: Any) -> Callable[[Row], Any]:
    return lambda row: value


def format_value(value: Any) -> str:
    """A value as import files want it: no value is empty, booleans ``true``/``false``,
    dates ``yyyy-MM-dd`` (Salesforce's and HubSpot's date format), decimals to 2 places."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return f"{value:.2f}"
    return str(value)


# -- HubSpot: company and contact imports (property internal names) ------------------
_HUBSPOT_ACCOUNT = (
    ("name", "account_name"), ("domain", "domain"),
    ("kizuna_account_key", "account_key"), ("kizuna_tier", "target_tier"),
    ("kizuna_rank", "target_rank"), ("kizuna_score", "target_score"),
    ("kizuna_fit_score", "fit_score"), ("kizuna_engagement_score", "engagement_score"),
    ("kizuna_top_reason", "top_reason"), ("kizuna_next_best_product", "next_best_product"),
)
HUBSPOT: tuple[FileFormat, ...] = (
    FileFormat("hubspot", "mqa_accounts", "companies_mqa.csv", (
        *_HUBSPOT_ACCOUNT, ("kizuna_mqa", always(True)), ("kizuna_mqa_date", "qualified_on"),
        ("kizuna_grade", "grade"))),
    FileFormat("hubspot", "target_accounts", "companies_targets.csv", (
        *_HUBSPOT_ACCOUNT, ("kizuna_propensity_score", "propensity_score"),
        ("kizuna_mqa", "is_mqa"), ("kizuna_reason_2", "reason_2"),
        ("kizuna_reason_3", "reason_3"))),
    FileFormat("hubspot", "lead_handoffs", "contacts_handoffs.csv", (
        ("email", "email"), ("firstname", "first_name"), ("lastname", "last_name"),
        ("jobtitle", "job_title"), ("company", "account_name"),
        ("kizuna_account_key", "account_key"), ("kizuna_tier", "target_tier"),
        ("kizuna_mqa_date", "qualified_on"), ("kizuna_next_best_product", "next_best_product"))),
)

# -- Salesforce: Data Loader (API field names; Id for updates) -----------------------
_SALESFORCE_ACCOUNT = (
    ("Kizuna_Account_Key__c", "account_key"), ("Kizuna_Tier__c", "target_tier"),
    ("Kizuna_Rank__c", "target_rank"), ("Kizuna_Score__c", "target_score"),
    ("Kizuna_Fit_Score__c", "fit_score"), ("Kizuna_Engagement_Score__c", "engagement_score"),
    ("Kizuna_Top_Reason__c", "top_reason"),
    ("Kizuna_Next_Best_Product__c", "next_best_product"),
)
_SALESFORCE_MQA = (("Kizuna_MQA__c", always(True)), ("Kizuna_MQA_Date__c", "qualified_on"))
_SALESFORCE_TARGET = (("Kizuna_MQA__c", "is_mqa"),
                      ("Kizuna_Propensity_Score__c", "propensity_score"))
#: Account field -> target list column: what the API push sets on each CRM account.
SALESFORCE_ACCOUNT_FIELDS: dict[str, str] = dict((*_SALESFORCE_ACCOUNT, *_SALESFORCE_TARGET))
_SALESFORCE_NEW_ACCOUNT = (("Name", "account_name"), ("Website", "domain"))
_SALESFORCE_PERSON = (
    ("Email", "email"), ("FirstName", "first_name"), ("LastName", "last_name"),
    ("Title", "job_title"), ("Kizuna_Account_Key__c", "account_key"),
    ("Kizuna_Tier__c", "target_tier"), ("Kizuna_MQA_Date__c", "qualified_on"),
    ("Kizuna_Next_Best_Product__c", "next_best_product"),
)
SALESFORCE: tuple[FileFormat, ...] = (
    FileFormat("salesforce", "mqa_accounts", "Account_update_mqa.csv",
               (("Id", "account_id"), *_SALESFORCE_ACCOUNT, *_SALESFORCE_MQA),
               where=has("account_id")),
    FileFormat("salesforce", "mqa_accounts", "Account_insert_mqa.csv",
               (*_SALESFORCE_NEW_ACCOUNT, *_SALESFORCE_ACCOUNT, *_SALESFORCE_MQA),
               where=lacks("account_id")),
    FileFormat("salesforce", "target_accounts", "Account_update_targets.csv",
               (("Id", "account_id"), *_SALESFORCE_ACCOUNT, *_SALESFORCE_TARGET),
               where=has("account_id")),
    FileFormat("salesforce", "target_accounts", "Account_insert_targets.csv",
               (*_SALESFORCE_NEW_ACCOUNT, *_SALESFORCE_ACCOUNT, *_SALESFORCE_TARGET),
               where=lacks("account_id")),
    # a lead matched to a CRM contact updates the contact; the others become Salesforce leads
    FileFormat("salesforce", "lead_handoffs", "Contact_update_handoffs.csv",
               (("Id", "contact_id"), ("AccountId", "account_id"), ("Department", "department"),
                *_SALESFORCE_PERSON), where=has("contact_id")),
    FileFormat("salesforce", "lead_handoffs", "Lead_insert_handoffs.csv",
               (("Company", "account_name"), *_SALESFORCE_PERSON), where=lacks("contact_id")),
)

# -- Marketo: list import of leads (REST API names of lead fields) -------------------
_MARKETO_KIZUNA = (
    ("kizunaAccountKey", "account_key"), ("kizunaTier", "target_tier"),
    ("kizunaMQADate", "qualified_on"), ("kizunaNextBestProduct", "next_best_product"),
)
#: Lead field -> hand-off column: what the API push sets on each lead (Marketo owns the
#: person's own fields).
MARKETO_LEAD_FIELDS: dict[str, str] = dict(_MARKETO_KIZUNA)
MARKETO: tuple[FileFormat, ...] = (
    FileFormat("marketo", "lead_handoffs", "leads_handoffs.csv", (
        ("email", "email"), ("firstName", "first_name"), ("lastName", "last_name"),
        ("company", "account_name"), ("title", "job_title"), ("department", "department"),
        *_MARKETO_KIZUNA)),
)

# -- CP932 with Japanese headers, for Excel and Japanese MA tools ----------------------
CP932: tuple[FileFormat, ...] = (
    FileFormat("cp932", "mqa_accounts", "MQA企業リスト.csv", (
        ("企業キー", "account_key"), ("CRM取引先ID", "account_id"), ("企業名", "account_name"),
        ("ドメイン", "domain"), ("法人番号", "corporate_number"), ("営業担当", "owner"),
        ("顧客", "is_customer"), ("MQA認定日", "qualified_on"), ("ターゲット層", "target_tier"),
        ("ターゲット順位", "target_rank"), ("ターゲットスコア", "target_score"),
        ("適合度スコア", "fit_score"), ("エンゲージメントスコア", "engagement_score"),
        ("グレード", "grade"), ("主な理由", "top_reason"),
        ("次に提案する製品", "next_best_product")),
        encoding="cp932"),
    FileFormat("cp932", "target_accounts", "ターゲット企業リスト.csv", (
        ("順位", "target_rank"), ("ターゲット層", "target_tier"), ("企業キー", "account_key"),
        ("CRM取引先ID", "account_id"), ("企業名", "account_name"), ("ドメイン", "domain"),
        ("法人番号", "corporate_number"), ("営業担当", "owner"), ("顧客", "is_customer"),
        ("ターゲットスコア", "target_score"), ("適合度スコア", "fit_score"),
        ("商談化見込みスコア", "propensity_score"), ("エンゲージメントスコア", "engagement_score"),
        ("MQA", "is_mqa"), ("理由1", "top_reason"), ("理由2", "reason_2"), ("理由3", "reason_3"),
        ("次に提案する製品", "next_best_product"), ("類似する優良顧客", "resembles")),
        encoding="cp932"),
    FileFormat("cp932", "lead_handoffs", "引き渡しリード.csv", (
        ("リードID", "lead_id"), ("メールアドレス", "email"), ("姓", "last_name"),
        ("名", "first_name"), ("会社名", "account_name"), ("部署", "department"),
        ("役職", "job_title"), ("企業キー", "account_key"), ("CRM取引先ID", "account_id"),
        ("ターゲット層", "target_tier"), ("MQA認定日", "qualified_on"),
        ("次に提案する製品", "next_best_product")),
        encoding="cp932"),
)

#: Every import file of every target.
FILES: tuple[FileFormat, ...] = (*HUBSPOT, *SALESFORCE, *MARKETO, *CP932)
TARGETS: tuple[str, ...] = tuple(dict.fromkeys(f.target for f in FILES))
