"""SQL expressions (DuckDB dialect) that turn delivered text into typed raw values.

The loader reads every file as text and types it here, in DuckDB, so no Python loop
touches a row. Each logical type of the contract has an expression that yields the
typed value or NULL; a value that was delivered but yields NULL is a parse failure and
sends the row to quarantine with the column and the offending text.

What is accepted, because real exports deliver it:

* digits and separators in full width (``２０２４／０３／１５``) are folded to ASCII;
* dates ``2024-03-15``, ``2024/03/15``, ``2024.03.15``, ``20240315`` and Excel serial
  numbers (``45366``), the date part of a timestamp;
* timestamps with an offset (``2024-03-15T10:00:00+09:00``, ``...Z``) are converted to
  UTC; timestamps without one are read in the source's timezone and converted to UTC;
* integers with thousands separators or a yen sign (``¥1,200,000``), booleans as
  true/false, 1/0, yes/no, t/f, y/n, はい/いいえ.
"""

from __future__ import annotations

from kizuna.contract import LogicalType

_FULL_WIDTH = "０１２３４５６７８９／－：．，＋　ＴＺ"
_HALF_WIDTH = "0123456789/-:.,+ TZ"

# Excel's day 0 is 1899-12-30 (it counts the 1900 leap day that never was).
_EXCEL_EPOCH = "DATE '1899-12-30'"

_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y/%m/%d %H:%M:%S",
                 "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M"]
_LOCAL_TS_FORMATS = [
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d", "%Y%m%d",
]
_OFFSET_TS_FORMATS = [
    "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%S.%f%z", "%Y/%m/%d %H:%M:%S%z",
]
TRUE_WORDS = ("true", "t", "1", "yes", "y", "はい", "有", "○")
FALSE_WORDS = ("false", "f", "0", "no", "n", "いいえ", "無", "×")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"


def folded(col: str) -> str:
    """Trimmed text with full-width digits and separators folded to ASCII; '' -> NULL."""
    return (
        f"nullif(trim(translate({col}, {_quote(_FULL_WIDTH)}, {_quote(_HALF_WIDTH)})), '')"
    )


def _excel_serial(v: str) -> str:
    # 5-digit serials cover 1927-2173; anything else is not a date someone meant.
    return f"CASE WHEN regexp_full_match({v}, '[1-9][0-9]{{4}}(\\.[0-9]+)?') THEN {v} END"


def typed(col: str, logical: LogicalType, timezone: str = "UTC") -> str:
    """Expression giving ``col`` (text) as ``logical``, or NULL where it does not parse."""
    if logical == "text":
        return f"nullif({col}, '')"
    v = folded(col)
    if logical == "int":
        num = f"try_cast(regexp_replace({v}, '[,¥￥円]', '', 'g') AS DOUBLE)"
        return f"CASE WHEN {num} = floor({num}) AND abs({num}) < 9e18 THEN {num}::BIGINT END"
    if logical == "float":
        return f"try_cast(replace({v}, ',', '') AS DOUBLE)"
    if logical == "bool":
        low = f"lower({v})"
        return (
            f"CASE WHEN {low} IN {tuple(TRUE_WORDS)} THEN true "
            f"WHEN {low} IN {tuple(FALSE_WORDS)} THEN false END"
        )
    if logical == "date":
        serial = _excel_serial(v)
        return (
            f"coalesce(try_strptime({v}, {_list(_DATE_FORMATS)})::DATE, "
            f"try_strptime(regexp_replace({v}, 'Z$', '+00:00'), "
            f"{_list(_OFFSET_TS_FORMATS)})::DATE, "
            f"{_EXCEL_EPOCH} + CAST(floor(try_cast({serial} AS DOUBLE)) AS INTEGER))"
        )
    if logical == "timestamp":
        with_offset = (
            f"try_strptime(regexp_replace({v}, 'Z$', '+00:00'), {_list(_OFFSET_TS_FORMATS)})"
        )
        serial = f"try_cast({_excel_serial(v)} AS DOUBLE)"
        local = (
            f"coalesce(try_strptime({v}, {_list(_LOCAL_TS_FORMATS)}), "
            f"{_EXCEL_EPOCH}::TIMESTAMP + to_microseconds(CAST(round({serial} * 86400e6) "
            "AS BIGINT)))"
        )
        return (
            f"coalesce(timezone('UTC', {with_offset}), "
            f"timezone('UTC', timezone({_quote(timezone)}, {local})))"
        )
    raise ValueError(f"unknown logical type {logical!r}")


def parse_failed(col: str, logical: LogicalType, timezone: str = "UTC") -> str:
    """True where a value was delivered (not blank) but does not parse as ``logical``."""
    if logical == "text":
        return "false"
    return f"({folded(col)} IS NOT NULL AND ({typed(col, logical, timezone)}) IS NULL)"
