"""Japanese corporate numbers (法人番号).

A corporate number has 13 digits: a check digit followed by a 12-digit base number (for
a registered company, its 会社法人等番号: registry office code, organisation kind and a
serial). The check digit is the FIRST digit:

    check = 9 - (sum_{n=1..12} P_n * Q_n  mod 9)

where ``P_n`` is the n-th digit of the base counted from the right and ``Q_n`` is 1 for
odd ``n`` and 2 for even ``n`` (National Tax Agency, 法人番号の指定等に関する省令).
So the check digit is always 1-9, and a 0 <-> 9 slip in the base is not detected.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_digit", "check_digits", "is_valid", "make"]

_WEIGHTS = np.array([2 if n % 2 == 0 else 1 for n in range(12, 0, -1)], dtype=np.int64)


def check_digit(base12: str) -> int:
    """Check digit (1-9) of a 12-digit base number."""
    if len(base12) != 12 or not base12.isascii() or not base12.isdigit():
        raise ValueError(f"a corporate number base has 12 ASCII digits, got {base12!r}")
    total = sum(int(ch) * (1 if n % 2 else 2) for n, ch in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def check_digits(bases: np.ndarray) -> np.ndarray:
    """Vectorised :func:`check_digit` for an integer array of bases (0 <= base < 10**12)."""
    digits = (np.asarray(bases, dtype=np.int64)[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    return 9 - (digits * _WEIGHTS).sum(axis=1) % 9


def make(base12: str) -> str:
    """The 13-digit corporate number for a 12-digit base: check digit first."""
    return f"{check_digit(base12)}{base12}"


def is_valid(number: str) -> bool:
    """True if ``number`` is 13 ASCII digits whose first digit is the right check digit."""
    if not isinstance(number, str) or len(number) != 13:
        return False
    if not number.isascii() or not number.isdigit():
        return False
    return int(number[0]) == check_digit(number[1:])
