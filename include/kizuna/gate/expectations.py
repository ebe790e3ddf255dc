"""Kizuna's custom Great Expectations expectation: valid Japanese corporate numbers.

An ordinary module: importing it imports Great Expectations (seconds) and registers the
expectation with GX, so only the gate's runner imports it, inside its functions.
"""

from __future__ import annotations

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer

from kizuna.gate.corporate_number import corporate_number_valid


class ColumnValuesValidCorporateNumber(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_corporate_number"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return pd.Series(corporate_number_valid(column), index=column.index)

class ExpectColumnValuesToBeValidCorporateNumber(ColumnMapExpectation):
    """Expect values to be Japanese corporate numbers (法人番号) with a valid check digit.

    13 digits; the first is 9 - (sum of the 12-digit base's digits, weighted 1 and 2
    alternately from the right) mod 9.
    """

    map_metric = "column_values.valid_corporate_number"
    success_keys = ("mostly",)
    args_keys = ("column",)

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None,
                               runtime_configuration=None, **kwargs):
        kw = dict(configuration.kwargs) if configuration else {}
        template = ("$column values must be corporate numbers (法人番号: 13 digits, the "
                    "first a valid check digit)")
        mostly = kw.get("mostly")
        if isinstance(mostly, int | float) and mostly < 1:
            kw["mostly_pct"] = f"{mostly * 100:g}"
            template += ", at least $mostly_pct % of the time"
        return [RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": template + ".", "params": kw,
                             "styling": (runtime_configuration or {}).get("styling")})]
