"""What an extractor lands is what the Fivetran-shaped adapters read."""

from __future__ import annotations

import pytest

from kizuna.sources.adapters import adapter
from kizuna.sources.extract.base import snake_case
from kizuna.sources.extract.salesforce import OBJECTS


@pytest.mark.parametrize(("field", "column"), [
    ("StageName", "stage_name"), ("Product2Id", "product_2_id"), ("Pricebook2Id",
     "pricebook_2_id"), ("Foo__c", "foo_c"), ("createdAt", "created_at"),
    ("SystemModstamp", "system_modstamp"), ("HasOptedOutOfEmail", "has_opted_out_of_email"),
])
def test_field_names_as_loading_tools_name_columns(field: str, column: str) -> None:
    assert snake_case(field) == column


def test_the_salesforce_extractor_lands_every_table_the_fivetran_adapter_reads() -> None:
    landed = {snake_case(o) for o in OBJECTS}
    assert set(adapter("salesforce_fivetran").tables) <= landed
