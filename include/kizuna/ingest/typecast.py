"""Typing delivered text into the contract's types, with a reason for every row that fails.

The casts themselves (formats, time zones, booleans, amounts) are :mod:`kizuna.parsing`'s;
this module writes the SELECT lists the loader runs over ``delivered``. Timestamps without
an offset are read in the source's time zone; amounts in the reporting currency
(``KIZUNA_CURRENCY``).
"""

from __future__ import annotations

from kizuna.identifiers import literal, quote
from kizuna.parsing import parse_failed, typed
from kizuna.settings import currency_code
from kizuna.sources.config import DeliverySpec


def typing_sql(spec: DeliverySpec, present: list[str],
               currency: str | None = None) -> tuple[str, str, list[str]]:
    """SELECT lists for the typed contract columns and the failure reasons (a list per
    row), and the delivered columns beyond the contract (kept as text). Amounts are read
    in ``currency`` (default: the reporting currency setting)."""
    tz = spec.timezone
    cur = currency_code(currency)
    typed_cols = []
    reasons = []
    for col in spec.entity.columns:
        ref = quote(col.name) if col.name in present else "NULL::VARCHAR"
        typed_cols.append(f"{typed(ref, col.type, tz, cur)} AS {quote(col.name)}")
        if col.name not in present:
            if col.required:
                reasons.append(literal(f"missing required column: {col.name}"))
            continue
        if col.required:
            reasons.append(
                f"CASE WHEN nullif(trim({ref}), '') IS NULL "
                f"THEN {literal(f'missing required value: {col.name}')} END"
            )
        if col.type != "text":
            reasons.append(
                f"CASE WHEN {parse_failed(ref, col.type, tz, cur)} "
                f"THEN {literal(f'cannot parse {col.name} as {col.type}: ')} || {ref} END"
            )
    extras = [c for c in present if c not in spec.entity.column_names]
    reason_list = (
        "list_filter([" + ", ".join(reasons or ["NULL::VARCHAR"]) + "], lambda x: x IS NOT NULL)"
    )
    return ", ".join(typed_cols), reason_list, extras
