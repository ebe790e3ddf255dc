"""The world as Fivetran lands HubSpot (CRM and marketing e-mail in one tool), through the
adapter to the target list (see tests/adapters/vendor_world.py)."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.vendor_world import BuildsThroughTests, WorldCase
from kizuna.simulator.config import SimulationConfig

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("world_hubspot_fivetran")]

MERGED = ("HubSpot keeps one contact per e-mail address: a lead and the CRM contact with its "
          "address are one record, under the lead's id, and a CRM contact without a lead is a "
          "contact of its own; contacts without a company are leads only")


class TestHubSpotFivetran(BuildsThroughTests):
    case = WorldCase(
        config=SimulationConfig(seed=11, n_accounts=120, start=date(2025, 11, 1),
                                end=date(2026, 3, 31)),
        vendors={"hubspot": "hubspot_fivetran"},
        folder_days=7,
        not_compared={
            "ma_leads": MERGED,
            "crm_contacts": MERGED,
            "ma_activities": "HubSpot's e-mail events name the recipient's address, not the "
                             "lead, and the shape has no web visits, forms, events or cards",
            "ma_campaigns": "HubSpot's e-mail campaigns are the world's e-mail campaigns only, "
                            "without dates or cost",
        },
        changed={
            "crm_opportunity_history": {
                "amount_jpy": ("null", "HubSpot's deal stage history records the stage and "
                                       "when it was entered, not the amount at the time"),
            },
        },
        excluded={
            "no primary company: a lead only, not a CRM contact":
                "SELECT count(*) FROM wh.raw.ma_leads WHERE lead_id NOT IN "
                "(SELECT contact_id FROM wh.raw.crm_contacts)",
        },
    )
