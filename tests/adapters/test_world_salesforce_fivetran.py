"""The world as Fivetran lands Salesforce (Parquet, snake_case, typed), with the MA tool's
tables as the world wrote them, through the adapters to the target list (see
tests/adapters/vendor_world.py)."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.vendor_world import VendorWorldTests, WorldCase
from kizuna.simulator.config import SimulationConfig

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("world_salesforce_fivetran")]


class TestSalesforceFivetran(VendorWorldTests):
    case = WorldCase(
        config=SimulationConfig(seed=11, n_accounts=120, start=date(2025, 11, 1),
                                end=date(2026, 3, 31)),
        vendors={"salesforce": "salesforce_fivetran"},
        folder_days=7,
        changed={
            "crm_accounts": {
                "account_name": ("trim(account_name)", "the adapter trims text fields"),
                "domain": ("nullif(regexp_replace(regexp_replace(lower(trim(domain)), "
                           "'^[a-z]+://', ''), '^www\\.|[/?#:].*$', '', 'g'), '')",
                           "Salesforce has a website, read back as its host without www"),
            },
            "crm_contacts": {
                "email": ("trim(email)", "the adapter trims text fields"),
            },
            "crm_contracts": {
                "status": ("case when status = 'churned' then 'churned' when ended_on < "
                           "cast(updated_at as date) then 'expired' else 'active' end",
                           "an asset is installed or obsolete: a term renewed or run out on "
                           "the day it ended reads back active"),
            },
            "crm_activities": {
                "outcome": ("case when activity_type = 'email' then 'sent' "
                            "when outcome in ('inbound', 'no_answer') then outcome "
                            "else 'completed' end",
                            "a done task or event records neither a reply nor acceptance, "
                            "decline, pending or no-show"),
            },
        },
        # every Salesforce contact (version) is an MA lead as well, beside the MA tool's
        extra_rows={"ma_leads": ("crm_contacts", "salesforce")},
    )
