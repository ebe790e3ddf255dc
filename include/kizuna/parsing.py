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
  true/false, 1/0, yes/no, t/f, y/n, はい/いいえ;
* amounts (money in the reporting currency, ``KIZUNA_CURRENCY``) with up to 2 decimal
  places, typed ``DECIMAL(18, 2)``: ``1234.5``, ``1,234.50`` (comma thousands, point
  decimals), ``1.234,50`` and ``1234,50`` (point thousands, comma decimals: only with 1 or 2
  decimals after the comma, where the reading is unambiguous), with a sign and with the
  currency's code or symbol before or after (``R$ 1.234,50``, ``1,200,000円``, ``BRL -7``).

What is refused, and why (the row goes to quarantine with the text): an amount with more
than 2 decimal places (``1.234`` may be 1234 or 1.234: the sender must say), another
currency's symbol or code (``$12`` when the reporting currency is JPY: amounts are never
mixed), words and multipliers (``12.5万``, ``1.2k``), exponents (``1e6``), separators that
do not group thousands (``12,34,567``) and spaces inside the number (``1 234,50``).
"""

from __future__ import annotations

import functools
import re

from kizuna.contract import AMOUNT_PRECISION, AMOUNT_SCALE, LogicalType

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


@functools.cache
def currency_marks(currency: str) -> tuple[str, ...]:
    """What may stand before or after an amount in ``currency``: its ISO code and its
    symbols in the CLDR locales exports come from (``R$``, ``¥``, ``￥``, ``US$``...),
    longest first; ``円`` as well for JPY."""
    from babel.numbers import get_currency_symbol

    marks = {currency}
    for locale in ("en", "ja_JP", "pt_BR", "es", "de", "fr", "zh", "ko"):
        marks.add(get_currency_symbol(currency, locale))
    if currency == "JPY":
        marks.add("円")
    # a bare letter run that is not the code (CHF's "CHF" is the code) stays refused
    return tuple(sorted(marks, key=lambda m: (-len(m), m)))


def _amount(v: str, currency: str) -> str:
    marks = "|".join(re.escape(m).replace("'", "''") for m in currency_marks(currency))
    # sign, then the currency mark before or after the number, with optional spaces
    bare = (f"regexp_replace(regexp_replace({v}, '^([+-]?) *(?:{marks}) *', '\\1'), "
            f"' *(?:{marks})$', '')")

    def shaped(pattern: str) -> str:
        return f"regexp_full_match(b, '[+-]?{pattern}')"

    point_decimals = r"(\.[0-9]{1,10})?"  # zeros past the 2nd place are harmless
    point_thousands = r"[0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,2})?"
    # each intermediate is bound once by a one-element list_transform (DuckDB's let), so
    # the expression stays small enough to plan quickly
    number = (
        f"list_transform([{bare}], lambda b: "
        f"CASE WHEN {shaped('[0-9]+' + point_decimals)} THEN b "
        f"WHEN {shaped('[0-9]{1,3}(,[0-9]{3})+' + point_decimals)} THEN replace(b, ',', '') "
        f"WHEN {shaped(point_thousands)} "
        f"OR {shaped('[0-9]+,[0-9]{1,2}')} "
        "THEN replace(replace(b, '.', ''), ',', '.') END)[1]"
    )
    return (
        f"list_transform([try_cast({number} AS DECIMAL(38, 10))], lambda e: "
        f"CASE WHEN e = round(e, {AMOUNT_SCALE}) "
        f"AND abs(e) < {10 ** (AMOUNT_PRECISION - AMOUNT_SCALE)} "
        f"THEN CAST(e AS DECIMAL({AMOUNT_PRECISION}, {AMOUNT_SCALE})) END)[1]"
    )


def _excel_serial(v: str) -> str:
    # 5-digit serials cover 1927-2173; anything else is not a date someone meant.
    return f"CASE WHEN regexp_full_match({v}, '[1-9][0-9]{{4}}(\\.[0-9]+)?') THEN {v} END"


def typed(col: str, logical: LogicalType, timezone: str = "UTC", currency: str = "JPY") -> str:
    """Expression giving ``col`` (text) as ``logical``, or NULL where it does not parse;
    amounts are read in ``currency``."""
    if logical == "text":
        return f"nullif({col}, '')"
    v = folded(col)
    if logical == "amount":
        return _amount(v, currency)
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


def parse_failed(col: str, logical: LogicalType, timezone: str = "UTC",
                 currency: str = "JPY") -> str:
    """True where a value was delivered (not blank) but does not parse as ``logical``."""
    if logical == "text":
        return "false"
    return (f"({folded(col)} IS NOT NULL "
            f"AND ({typed(col, logical, timezone, currency)}) IS NULL)")
