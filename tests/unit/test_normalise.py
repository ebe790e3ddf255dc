"""Normalisers for identity resolution, on the variants people really type."""

from __future__ import annotations

import pytest

from kizuna.normalise import (
    company_name_key,
    domain_label_key,
    email_domain,
    legal_form,
    normalise_email,
    person_name_key,
    phone_area_code,
    registrable_domain,
    split_legal_form,
)


@pytest.mark.parametrize("typed", [
    "株式会社山田精機",
    "山田精機株式会社",
    "㈱山田精機",
    "（株）山田精機",
    "(株)山田精機",
    "山田精機(株)",
    "株式会社　山田精機",
    "山田精機 株式会社",
    "山田精機",
    "株式会社山田精機 営業部",
    "山田精機株式会",  # a card scanner cut the last character
])
def test_legal_form_spacing_and_units_fold_away(typed):
    assert company_name_key(typed) == "山田精機"


@pytest.mark.parametrize("typed", [
    "ﾔﾏﾀﾞﾃｸﾉﾛｼﾞｰ",  # half-width kana
    "ヤマダテクノロジ-",  # ASCII hyphen for the long vowel
    "ヤマダテクノロジ―",  # horizontal bar
    "ヤマダテクノロジｰ",  # half-width prolonged sound mark
    "ヤマダテクノロジー株式会社",
    "やまだテクノロジー",  # hiragana
])
def test_kana_width_and_long_vowel_variants_fold(typed):
    assert company_name_key(typed) == "ヤマダテクノロジー"


def test_full_width_latin_letters_and_digits_fold():
    assert company_name_key("ＡＢＣ商事１") == company_name_key("ABC商事1") == "abc商事1"


@pytest.mark.parametrize(("typed", "core", "form"), [
    ("㈱山田精機", "山田精機", "株式会社"),
    ("有限会社 丸一", "丸一", "有限会社"),
    ("森田商会（同）", "森田商会", "合同会社"),
    ("㈲青葉商店", "青葉商店", "有限会社"),
    ("Yamada Seiki Co., Ltd.", "Yamada Seiki", "株式会社"),
    ("Sanwa Kogyo LLC", "Sanwa Kogyo", "合同会社"),
    ("Yamada Zinc", "Yamada Zinc", None),  # "inc" inside a word is not a legal form
    ("", "", None),
    (None, "", None),
])
def test_split_legal_form_keeps_the_form(typed, core, form):
    assert split_legal_form(typed) == (core, form)


@pytest.mark.parametrize(("typed", "expected"), [
    ("株式会社山田精機", ("株式会社", "before")),
    ("㈱山田精機 本社", ("株式会社", "before")),
    ("山田精機(株)", ("株式会社", "after")),
    ("青葉商店有限会", ("有限会社", "after")),  # cut short by a card scanner
    ("(同)サンワ工業", ("合同会社", "before")),
    ("Yamada Seiki Co., Ltd.", ("株式会社", None)),  # English: no place to read
    ("山田精機", (None, None)),
    (None, (None, None)),
])
def test_legal_form_says_which_and_where(typed, expected):
    assert legal_form(typed) == expected


def test_romanised_names_meet_domain_labels():
    assert company_name_key("Yamada Seiki Co., Ltd.") == "yamadaseiki"
    assert domain_label_key("yamada-seiki.co.jp") == "yamadaseiki"


def test_names_of_no_company_give_no_key():
    assert company_name_key("株式会社") is None
    assert company_name_key("  ") is None
    assert company_name_key(float("nan")) is None  # pandas' missing value


@pytest.mark.parametrize(("value", "domain"), [
    ("https://www.Yamada-Seiki.co.jp/about", "yamada-seiki.co.jp"),
    ("www.yamada-seiki.co.jp", "yamada-seiki.co.jp"),
    ("YAMADA-SEIKI.CO.JP", "yamada-seiki.co.jp"),
    ("http://yamada.jp:8080/", "yamada.jp"),
    ("t.suzuki@mail.yamada-seiki.co.jp", "yamada-seiki.co.jp"),
    ("ｙａｍａｄａ.co.jp", "yamada.co.jp"),  # full-width, NFKC first
    ("foo.tokyo.jp", "foo.tokyo.jp"),  # a geographic second-level domain
    ("co.jp", None),
    ("not a domain", None),
    ("", None),
])
def test_registrable_domain(value, domain):
    assert registrable_domain(value) == domain


def test_scanner_look_alikes_fold_to_the_katakana():
    assert company_name_key("株式会社ホ一プテクノ口ジ一") == company_name_key(
        "ホープテクノロジー(株)")
    assert company_name_key("エ一ス工務店") == company_name_key("エース工務店")
    # the kanji 一 is no long-vowel mark to drop: 第一 stays apart from 第
    assert company_name_key("第一商事") != company_name_key("第商事")


def test_person_names_typed_in_one_field_or_two_meet():
    assert person_name_key("佐藤", "陽子") == person_name_key("佐藤 陽子", None) == "佐藤陽子"
    assert person_name_key("佐藤　陽子", "") == "佐藤陽子"  # a full-width space
    assert person_name_key("ｻﾄｳ", "ﾖｳｺ") == "サトウヨウコ"
    assert person_name_key(None, "陽子") is None
    assert person_name_key(" ", float("nan")) is None


def test_email_normalisation():
    assert normalise_email(" Taro.Yamada@Yamada-Seiki.co.jp ") == "taro.yamada@yamada-seiki.co.jp"
    assert normalise_email("no-at-sign") is None
    assert email_domain("taro@docomo.ne.jp") == "docomo.ne.jp"
    assert email_domain(None) is None


@pytest.mark.parametrize(("phone", "code"), [
    ("03-1234-5678", "03"),
    ("045-123-4567", "045"),
    ("0742-12-3456", "0742"),
    ("０３－１２３４－５６７８", "03"),  # full width
    ("+81 3-1234-5678", "03"),
    ("090-1234-5678", None),  # mobile
    ("050-1234-5678", None),  # IP phone
    ("0120-123-456", None),  # free dial
    ("0312345678", None),  # no separators: ambiguous
])
def test_phone_area_code(phone, code):
    assert phone_area_code(phone) == code
