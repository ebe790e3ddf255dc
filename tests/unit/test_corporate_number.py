"""法人番号 check digits, checked against numbers the National Tax Agency publishes."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.simulator.corporate_number import check_digit, check_digits, is_valid, make

# Published corporate numbers (国税庁 法人番号公表サイト).
PUBLISHED = {
    "トヨタ自動車株式会社": "1180301018771",
    "経済産業省": "4000012090001",
    "積水ハウス株式会社": "8120001059652",
    "大和ハウス工業株式会社": "8120001059917",
    "株式会社三菱UFJ銀行": "5010001008846",
    "ソニー株式会社 (旧)": "7010401045660",
}


@pytest.mark.parametrize("number", PUBLISHED.values(), ids=PUBLISHED.keys())
def test_published_numbers_have_the_computed_check_digit(number: str) -> None:
    assert check_digit(number[1:]) == int(number[0])
    assert is_valid(number)
    assert make(number[1:]) == number


def test_a_wrong_check_digit_is_invalid() -> None:
    number = PUBLISHED["トヨタ自動車株式会社"]
    for wrong in "23456789":
        assert not is_valid(wrong + number[1:])


@pytest.mark.parametrize("text", ["", "118030101877", "11803010187711", "118030101877a",
                                  "１180301018771", None, 1180301018771])
def test_malformed_numbers_are_invalid(text: object) -> None:
    assert not is_valid(text)  # type: ignore[arg-type]


def test_check_digit_rejects_a_base_that_is_not_12_digits() -> None:
    with pytest.raises(ValueError, match="12 ASCII digits"):
        check_digit("12345")


def test_vectorised_check_digits_agree_with_the_scalar_one() -> None:
    bases = np.random.default_rng(0).integers(0, 10**12, 500)
    expected = [check_digit(f"{b:012d}") for b in bases]
    assert check_digits(bases).tolist() == expected
    assert set(expected) <= set(range(1, 10))
