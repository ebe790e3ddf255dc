"""The world as Fivetran lands Salesforce (Parquet, snake_case, typed), with the MA tool's
tables as the world wrote them, through the adapters to the target list (see
tests/adapters/vendor_world.py)."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.salesforce_world import SALESFORCE_CHANGED
from adapters.vendor_world import VendorWorldTests, WorldCase
from kizuna.simulator.config import SimulationConfig

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("world_salesforce_fivetran")]


class TestSalesforceFivetran(VendorWorldTests):
    case = WorldCase(
        config=SimulationConfig(seed=11, n_accounts=120, start=date(2025, 11, 1),
                                end=date(2026, 3, 31)),
        vendors={"salesforce": "salesforce_fivetran"},
        folder_days=7,
        changed=SALESFORCE_CHANGED,
        # every Salesforce contact (version) is an MA lead as well, beside the MA tool's
        extra_rows={"ma_leads": ("crm_contacts", "salesforce")},
    )
