"""Typing delivered text into the contract's types, with a reason for every row that fails.

The casts themselves (formats, time zones, booleans) are :mod:`kizuna.parsing`'s; this
module writes the SELECT lists the loader runs over ``delivered``.
"""

from __future__ import annotations

from kizuna.identifiers import literal, quote
from kizuna.parsing import parse_failed, typed
from kizuna.sources.config import DeliverySpec


def typing_sql(spec: DeliverySpec, present: list[str]) -> tuple[str, str, list[str]]:
    """SELECT lists for the typed contract columns and the failure reasons (a list per
    row), and the delivered columns beyond the contract (kept as text)."""
    tz = spec.timezone
    typed_cols = []
    reasons = []
    for col in spec.entity.columns:
        ref = quote(col.name) if col.name in present else "NULL::VARCHAR"
        typed_cols.append(f"{typed(ref, col.type, tz)} AS {quote(col.name)}")
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
                f"CASE WHEN {parse_failed(ref, col.type, tz)} "
                f"THEN {literal(f'cannot parse {col.name} as {col.type}: ')} || {ref} END"
            )
    extras = [c for c in present if c not in spec.entity.column_names]
    reason_list = (
        "list_filter([" + ", ".join(reasons or ["NULL::VARCHAR"]) + "], lambda x: x IS NOT NULL)"
    )
    return ", ".join(typed_cols), reason_list, extras
