"""The world as Salesforce's export CSVs (the CRM) and Marketo's exports (the MA tool),
through the adapters to the target list (see tests/adapters/vendor_world.py)."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.salesforce_world import SALESFORCE_CHANGED
from adapters.vendor_world import BuildsThroughTests, WorldCase
from kizuna.simulator.config import SimulationConfig

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("world_salesforce_marketo")]


class TestSalesforceMarketoExports(BuildsThroughTests):
    case = WorldCase(
        config=SimulationConfig(seed=7, n_accounts=200, start=date(2025, 10, 1),
                                end=date(2026, 3, 31)),
        vendors={"salesforce": "salesforce_export", "marketo": "marketo_export"},
        folder_days=7,
        changed={
            "ma_activities": {
                "asset_id": ("case when activity_type = 'content_download' then null "
                             "else asset_id end",
                             "Marketo has no standard content download: it is a custom "
                             "activity type, and the adapter keeps assets only for e-mail, "
                             "web and form activities"),
            },
            **SALESFORCE_CHANGED,
        },
        # every Salesforce contact (version) is an MA lead as well
        extra_rows={"ma_leads": ("crm_contacts", "salesforce")},
    )
