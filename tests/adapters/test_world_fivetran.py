"""The world as Fivetran lands it: Salesforce (the CRM) and Marketo (the MA tool) as Parquet
tables, snake_case and typed, through the adapters to raw (see tests/adapters/vendor_world.py).
One world carries both connectors. Every raw row is compared with the world's (changed
only where stated, the contacts Salesforce adds as leads included), so raw holds what the
Salesforce and Marketo exports land, whose world builds through to the target list
(tests/adapters/test_world_salesforce_marketo.py): this one is not built again."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from adapters.salesforce_world import SALESFORCE_CHANGED
from adapters.vendor_world import VendorWorldTests, WorldCase, WorldRun
from kizuna.identifiers import literal
from kizuna.simulator.config import SimulationConfig

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("world_fivetran")]


class TestFivetran(VendorWorldTests):
    case = WorldCase(
        config=SimulationConfig(seed=11, n_accounts=120, start=date(2025, 11, 1),
                                end=date(2026, 3, 31)),
        vendors={"salesforce": "salesforce_fivetran", "marketo": "marketo_fivetran"},
        folder_days=7,
        # Marketo's side changes nothing: Parquet keeps types and nulls, and the custom
        # activity tables keep what the export shape loses (a download's asset)
        changed=SALESFORCE_CHANGED,
        # every Salesforce contact (version) is an MA lead as well, beside Marketo's
        extra_rows={"ma_leads": ("crm_contacts", "salesforce")},
        # Marketo logs an Email Delivered activity for every send; the contract has no
        # such type
        excluded={"Email Delivered has no contract activity type":
                  "SELECT count(*) FROM {ma_activities} WHERE activity_type = 'email_send'"},
    )

    def test_custom_activity_types_and_program_tags_carry_assets_and_products(
            self, world: WorldRun, con: duckdb.DuckDBPyConnection) -> None:
        """The values only Marketo's custom activity tables and program_tag carry are in
        this world, so the row-by-row comparison with the world checks them."""
        native = world.native / "ma"
        got = con.execute(
            "SELECT (SELECT count(*) FROM wh.raw.ma_activities WHERE activity_type = "
            "'content_download' AND asset_id IS NOT NULL), (SELECT count(*) FROM "
            "wh.raw.ma_activities WHERE activity_type = 'business_card_scan'), (SELECT "
            "count(*) FROM wh.raw.ma_campaigns WHERE product_id IS NOT NULL)").fetchone()
        want = con.execute(
            f"SELECT (SELECT count(*) FROM read_parquet({literal(str(native / 'activities'))}"
            " || '/*/*.parquet') WHERE activity_type = 'content_download' AND asset_id IS NOT "
            f"NULL), (SELECT count(*) FROM read_parquet({literal(str(native / 'activities'))}"
            " || '/*/*.parquet') WHERE activity_type = 'business_card_scan'), (SELECT count(*) "
            f"FROM read_parquet({literal(str(native / 'campaigns'))} || '/*/*.parquet') "
            "WHERE product_id IS NOT NULL)").fetchone()
        assert got == want
        assert got is not None and min(got) > 0
