"""The raw contract: the entities every source delivers, their keys and column types.

This module is the single place the contract lives in code. The simulator writes it,
the loader parses and types it, the quality suites check it and the dbt sources
describe it. Column names are the contract; a vendor export is adapted to them by a
column mapping (see ``kizuna.sources``).

Types are logical: ``text``, ``bool``, ``int`` (counts), ``amount`` (money in the
reporting currency, ``KIZUNA_CURRENCY``, JPY by default: a decimal with 2 places),
``float``, ``date`` and ``timestamp`` (stored in UTC; sources in other time zones are
converted at load). The amount columns keep their historical ``_jpy`` names whatever the
currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LogicalType = Literal["text", "bool", "int", "amount", "float", "date", "timestamp"]

#: Precision and scale of ``amount`` columns in the warehouse: cents of up to 10^16 units.
AMOUNT_PRECISION, AMOUNT_SCALE = 18, 2

#: Lineage columns the loader adds to every raw table.
LINEAGE_COLUMNS: tuple[str, ...] = ("_batch_id", "_loaded_at", "_source_file", "_row_number")


@dataclass(frozen=True)
class Column:
    name: str
    type: LogicalType = "text"
    required: bool = False  # a row without a value here cannot be loaded


@dataclass(frozen=True)
class Entity:
    """One raw entity, e.g. ``ma_activities`` delivered by source ``ma`` as ``activities``."""

    source: str
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str
    # Column whose latest value wins when a key is delivered more than once.
    version_column: str | None = None

    @property
    def table(self) -> str:
        return f"{self.source}_{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.table} has no column {name!r}")


def _cols(*specs: str) -> tuple[Column, ...]:
    """Build columns from ``name[:type][!]`` specs; ``!`` marks a required column."""
    out = []
    for spec in specs:
        required = spec.endswith("!")
        spec = spec.rstrip("!")
        name, _, type_ = spec.partition(":")
        out.append(Column(name, type_ or "text", required))  # type: ignore[arg-type]
    return tuple(out)


ENTITIES: tuple[Entity, ...] = (
    Entity(
        "ma", "leads", ("lead_id",),
        _cols("lead_id!", "email", "last_name", "first_name", "company_name", "department",
              "job_title", "phone", "lead_source", "opt_out:bool", "created_at:timestamp!",
              "updated_at:timestamp!"),
        "People known to the marketing-automation tool, keyed by lead; one row per delivered "
        "version.",
        version_column="updated_at",
    ),
    Entity(
        "ma", "activities", ("activity_id",),
        _cols("activity_id!", "lead_id!", "activity_type!", "occurred_at:timestamp!",
              "campaign_id", "asset_id", "url"),
        "Behaviour events of MA leads (email, web, forms, events, business-card scans).",
    ),
    Entity(
        "ma", "campaigns", ("campaign_id",),
        _cols("campaign_id!", "name", "channel", "product_id", "started_on:date",
              "ended_on:date", "cost_jpy:amount"),
        "Marketing campaigns (email, webinar, seminar, content, ads).",
    ),
    Entity(
        "crm", "accounts", ("account_id",),
        _cols("account_id!", "account_name", "corporate_number", "domain", "industry", "owner",
              "abm_tier", "created_at:timestamp", "updated_at:timestamp!"),
        "Companies in the CRM; one row per delivered version.",
        version_column="updated_at",
    ),
    Entity(
        "crm", "contacts", ("contact_id",),
        _cols("contact_id!", "account_id", "email", "last_name", "first_name", "department",
              "title", "buying_role", "updated_at:timestamp!"),
        "People in the CRM, attached to an account; one row per delivered version.",
        version_column="updated_at",
    ),
    Entity(
        "crm", "opportunities", ("opportunity_id",),
        _cols("opportunity_id!", "account_id!", "product_id", "stage!", "amount_jpy:amount",
              "created_at:timestamp!", "close_date:date", "is_closed:bool", "is_won:bool",
              "lost_reason", "updated_at:timestamp!"),
        "Deals; one row per delivered version.",
        version_column="updated_at",
    ),
    Entity(
        "crm", "opportunity_history", ("opportunity_id", "changed_at"),
        _cols("opportunity_id!", "changed_at:timestamp!", "stage!", "amount_jpy:amount"),
        "Stage and amount changes of deals.",
    ),
    Entity(
        "crm", "contracts", ("contract_id",),
        _cols("contract_id!", "account_id!", "product_id!", "started_on:date!", "ended_on:date",
              "annual_amount_jpy:amount", "status!", "updated_at:timestamp!"),
        "Subscriptions sold to accounts; one row per delivered version. (updated_at is an "
        "addition to the design's contract: without it a re-delivered contract has no order.)",
        version_column="updated_at",
    ),
    Entity(
        "crm", "activities", ("activity_id",),
        _cols("activity_id!", "account_id", "contact_id", "activity_type!",
              "occurred_at:timestamp!", "outcome"),
        "Sales touchpoints: meetings, calls, proposals, e-mails.",
    ),
    Entity(
        "crm", "products", ("product_id",),
        _cols("product_id!", "product_name", "product_family", "list_price_jpy:amount"),
        "The product line.",
    ),
    Entity(
        "firmo", "companies", ("corporate_number",),
        _cols("corporate_number!", "company_name", "company_name_kana", "prefecture",
              "industry_code", "employees:int", "revenue_jpy:amount", "revenue_growth_rate:float",
              "parent_corporate_number", "domain", "listed:bool", "updated_at:timestamp!"),
        "The purchased company database (corporate number, industry, size, group parent); one "
        "row per delivered version.",
        version_column="updated_at",
    ),
)

ENTITIES_BY_TABLE: dict[str, Entity] = {e.table: e for e in ENTITIES}


def entity(table: str) -> Entity:
    """Look up an entity by raw table name (``ma_activities``)."""
    try:
        return ENTITIES_BY_TABLE[table]
    except KeyError:
        known = ", ".join(sorted(ENTITIES_BY_TABLE))
        raise KeyError(f"unknown entity {table!r}; the contract has: {known}") from None


# Accepted values the simulator produces and the quality suites check.
LEAD_SOURCES = ("web_form", "event", "business_card", "import")
MA_ACTIVITY_TYPES = (
    "email_send", "email_open", "email_click", "web_visit", "form_submit", "content_download",
    "event_registration", "event_attendance", "business_card_scan", "unsubscribe",
)
CRM_ACTIVITY_TYPES = ("meeting", "call", "proposal", "email")
CRM_ACTIVITY_OUTCOMES = (
    "completed", "declined", "no_show", "no_answer", "inbound", "sent", "replied", "accepted",
    "pending",
)
CAMPAIGN_CHANNELS = ("email", "webinar", "seminar", "event", "content", "ads")
OPPORTUNITY_STAGES = (
    "prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost",
)
CONTRACT_STATUSES = ("active", "renewed", "churned", "expired")
BUYING_ROLES = ("decision_maker", "economic_buyer", "champion", "influencer", "user")
ABM_TIERS = ("tier_1", "tier_2", "tier_3")
