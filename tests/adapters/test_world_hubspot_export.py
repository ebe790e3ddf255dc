"""The world as HubSpot's own CSV exports (Contacts, Companies, Deals), through the adapter
to the target list (see tests/adapters/vendor_world.py)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from adapters.vendor_world import BuildsThroughTests, WorldCase, WorldRun
from kizuna.contract import ENTITIES
from kizuna.identifiers import literal
from kizuna.simulator.config import SimulationConfig

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("world_hubspot_export")]

MERGED = ("HubSpot keeps one contact per e-mail address: a lead and the CRM contact with its "
          "address are one record, under the lead's id, and a CRM contact without a lead is a "
          "contact of its own; contacts without a company are leads only")
MINUTE = "the export writes date-times to the minute"
#: What the exports cannot carry at all, delivered as the world wrote it: raw table -> why.
NATIVE = {
    "ma_activities": "HubSpot exports no e-mail events, page views or form submissions as a "
                     "file of events (a recipients export has no event times)",
    "ma_campaigns": "a HubSpot campaign export has no channel, product, dates or cost",
    "crm_contracts": "HubSpot has no contract object",
    "crm_activities": "the adapter reads the contacts, companies and deals exports; calls "
                      "and meetings are not among them",
    "crm_products": "the adapter reads the contacts, companies and deals exports; the "
                    "product library is not among them",
    "firmo_companies": "the company database is not HubSpot's",
}
#: The lead each CRM contact is merged into (SQL over the world's tables, ``{table}``).
MERGED_INTO = ("(SELECT min(lead_id) AS lead_id, lower(email) AS email FROM {ma_leads} "
               "WHERE email IS NOT NULL GROUP BY lower(email))")


def _minute(col: str) -> tuple[str, str]:
    return f"date_trunc('minute', {col})", MINUTE


class TestHubSpotExport(BuildsThroughTests):
    case = WorldCase(
        config=SimulationConfig(seed=7, n_accounts=120, start=date(2025, 10, 1),
                                end=date(2026, 2, 28)),
        vendors={"hubspot": "hubspot_export"},
        folder_days=7,
        not_compared={"ma_leads": MERGED, "crm_contacts": MERGED},  # see the merge test below
        changed={
            "crm_accounts": {
                "account_name": ("trim(account_name)", "the adapter trims text fields"),
                "domain": ("nullif(regexp_replace(regexp_replace(lower(trim(domain)), "
                           "'^[a-z]+://', ''), '^www\\.|[/?#:].*$', '', 'g'), '')",
                           "HubSpot's company domain is the website's host, without www"),
                "created_at": _minute("created_at"),
                "updated_at": _minute("updated_at"),
            },
            "crm_opportunities": {
                "created_at": _minute("created_at"),
                "updated_at": _minute("updated_at"),
            },
            "crm_opportunity_history": {
                "changed_at": _minute("changed_at"),
                "amount_jpy": ("null", "the Date entered columns say when a deal entered a "
                                       "stage, not its amount then"),
            },
        },
        excluded={
            "no associated company: a lead only, not a CRM contact":
                "SELECT count(*) FROM {ma_leads} WHERE lead_id NOT IN (SELECT m.lead_id FROM "
                f"{MERGED_INTO} m JOIN {{crm_contacts}} c ON lower(c.email) = m.email)",
        },
    )

    def test_contacts_are_the_worlds_leads_and_crm_contacts_merged_by_address(
            self, world: WorldRun, con: duckdb.DuckDBPyConnection) -> None:
        """Every lead comes back as it was (lead source and times as the export carries
        them), a CRM contact without a lead's address comes back as a contact and as a
        lead of its own, and a lead with a CRM contact's address comes back as that CRM
        contact, with its company."""
        tables = {e.table: f"read_parquet({literal(str(world.native / e.source / e.name))}"
                           " || '/*/*.parquet')" for e in ENTITIES}
        merged_into = MERGED_INTO.format(**tables)
        con.execute(f"CREATE TEMP VIEW leads AS SELECT * FROM {tables['ma_leads']}")
        con.execute(f"CREATE TEMP VIEW crm AS SELECT c.*, m.lead_id AS merged_into FROM "
                    f"{tables['crm_contacts']} c LEFT JOIN {merged_into} m "
                    "ON lower(c.email) = m.email")
        lead_cols = ("lead_id, email, last_name, first_name, company_name, department, "
                     "job_title, phone, lead_source, opt_out, created_at, updated_at")
        leads_back = """SELECT lead_id, email, last_name, first_name, company_name, department,
                job_title, phone,
                CASE lead_source WHEN 'business_card' THEN 'import' ELSE lead_source END,
                opt_out, date_trunc('minute', created_at), date_trunc('minute', updated_at)
            FROM leads"""
        own_contacts = """SELECT contact_id, trim(email), last_name, first_name, NULL,
                department, title, NULL, NULL, NULL,
                date_trunc('minute', min(updated_at) OVER (PARTITION BY contact_id)),
                date_trunc('minute', updated_at)
            FROM crm WHERE merged_into IS NULL"""
        contact_cols = ("contact_id, account_id, email, last_name, first_name, department, "
                        "title, buying_role, updated_at")
        contacts_back = """SELECT contact_id, account_id, trim(email), last_name, first_name,
                department, title, buying_role, date_trunc('minute', updated_at)
            FROM crm WHERE merged_into IS NULL
            UNION ALL
            SELECT l.lead_id, c.account_id, l.email, l.last_name, l.first_name, l.department,
                l.job_title, NULL, date_trunc('minute', l.updated_at)
            FROM leads l JOIN (SELECT merged_into, arg_max(account_id, updated_at) AS account_id
                               FROM crm WHERE merged_into IS NOT NULL GROUP BY ALL) c
                ON l.lead_id = c.merged_into"""
        differences = {}
        for table, cols, expected in (
                ("ma_leads", lead_cols, f"{leads_back} UNION ALL {own_contacts}"),
                ("crm_contacts", contact_cols, contacts_back)):
            types = dict(con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE "
                "table_catalog = 'wh' AND table_schema = 'raw' AND table_name = ?",
                [table]).fetchall())
            casts = ", ".join(f"CAST({c} AS {types[c]})" for c in cols.split(", "))
            typed = f"SELECT {casts} FROM ({expected}) AS e ({cols})"
            differences[table] = (
                con.execute(f"{typed} EXCEPT ALL SELECT {cols} FROM wh.raw.{table} LIMIT 5"
                            ).fetchall(),
                con.execute(f"SELECT {cols} FROM wh.raw.{table} EXCEPT ALL {typed} LIMIT 5"
                            ).fetchall())
        assert differences == {"ma_leads": ([], []), "crm_contacts": ([], [])}
        # the merge is real in this world: some CRM contacts came back as leads' contacts
        merged = con.execute("SELECT count(*) FROM crm WHERE merged_into IS NOT NULL"
                             ).fetchone()[0]
        assert merged > 0

    def test_what_the_exports_cannot_carry_comes_as_the_world_wrote_it(
            self, con: duckdb.DuckDBPyConnection) -> None:
        """The tables the exports cannot carry come from the world's own files, every
        other table from the HubSpot exports only."""
        from_exports = {
            e.table: con.execute(
                f"SELECT count(*) > 0, bool_and(_source_file LIKE '%/hubspot.parquet') "
                f"FROM wh.raw.{e.table}").fetchone()
            for e in ENTITIES}
        assert {t for t, (rows, _) in from_exports.items() if not rows} == set()
        assert {t for t, (_, vendor) in from_exports.items() if not vendor} == set(NATIVE)
