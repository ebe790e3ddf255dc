"""Identifiers that come from delivered files, made safe for SQL in one place.

Header names (CSV), keys (JSON lines) and field names (Parquet) are data: a vendor may
send a quote, a NUL, an emoji, a SQL keyword, an empty name, a 300-character name or the
same name twice. Every such name becomes a column name through :func:`column_name` and
:func:`unique_names`, and reaches SQL only through :func:`quote` (identifiers) or
:func:`literal` (string literals). Nothing from a file is pasted into SQL any other way.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

#: PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN - 1).
MAX_IDENTIFIER_BYTES = 63
_SEPARATORS = re.compile(r"[\s.\-/]+")


def column_name(header: str) -> str:
    """A delivered name as a column name: without byte-order marks and control characters
    (NUL included), trimmed, lower case, runs of spaces, dots, hyphens and slashes as
    ``_``, at most :data:`MAX_IDENTIFIER_BYTES` bytes. May be empty (see
    :func:`unique_names`)."""
    name = "".join(ch for ch in header.replace("\ufeff", "")
                   if unicodedata.category(ch)[0] != "C" or ch in "\t\n\r")
    name = _SEPARATORS.sub("_", name.strip().lower())
    return _fit(name)


def spelling_key(name: str) -> str:
    """A column name without case and underscores: the key under which a loading tool's
    snake_case name and the API name it comes from are one column (``account_id`` and
    ``AccountId``, ``product_2_id`` and ``Product2Id``, ``abm_tier_c`` and ``ABM_Tier__c``)."""
    return column_name(name).replace("_", "")


def _fit(name: str, suffix: str = "") -> str:
    """``name`` + ``suffix`` within the byte limit; a cut name keeps a hash of the whole."""
    if len((name + suffix).encode()) <= MAX_IDENTIFIER_BYTES:
        return name + suffix
    tag = "_" + hashlib.sha1(name.encode()).hexdigest()[:8] + suffix
    cut = name.encode()[:MAX_IDENTIFIER_BYTES - len(tag.encode())].decode(errors="ignore")
    return cut + tag


def unique_names(names: Iterable[str], reserved: Iterable[str] = ()) -> list[str]:
    """Column names, in order, none empty, none twice and none of ``reserved``: an empty
    name becomes ``column_<position>``, a repeated one gets ``_2``, ``_3``... (compared
    without case, as DuckDB compares identifiers)."""
    taken = {r.lower() for r in reserved}
    out: list[str] = []
    for position, name in enumerate(names, start=1):
        candidate = name or f"column_{position}"
        n = 1
        while candidate.lower() in taken:
            n += 1
            candidate = _fit(name or f"column_{position}", f"_{n}")
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier (DuckDB and PostgreSQL)."""
    if "\x00" in name:
        raise ValueError(f"an identifier cannot hold NUL: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """``value`` as a SQL string literal, for the few places a driver takes no parameter
    (file lists of a table function)."""
    if "\x00" in value:
        raise ValueError(f"a SQL string cannot hold NUL: {value!r}")
    return "'" + value.replace("'", "''") + "'"


def text_expression(value: str) -> str:
    """A DuckDB expression equal to ``value``, NUL included (a JSON key may hold one)."""
    return " || chr(0) || ".join(literal(part) for part in value.split("\x00"))
