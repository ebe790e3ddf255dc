"""The vendor-world test classes compare each raw table their world's vendors carry."""

from __future__ import annotations

import pytest

from adapters.vendor_world import VendorWorldTests, compared_entities


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cls = metafunc.cls
    if cls is not None and issubclass(cls, VendorWorldTests) and "entity" in metafunc.fixturenames:
        metafunc.parametrize("entity", compared_entities(cls.case), ids=lambda e: e.table)
