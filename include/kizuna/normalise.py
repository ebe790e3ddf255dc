"""Normalisers for identity resolution (名寄せ): company names, domains, e-mail, phones.

Pure functions over one value each (no I/O), so they are easy to test with the variants
people really type:

- :func:`company_name_key` folds a Japanese company name to a matching key: NFKC (full-
  and half-width forms, ㈱ -> (株)), legal form removed (株式会社, (株), ㈱, Co., Ltd.,
  LLC ...), hiragana to katakana, long-vowel and hyphen variants folded, kanji a card
  scanner reads for katakana (口 ロ, 工 エ, 一 ー ...) folded to the katakana, spaces and
  punctuation dropped, a trailing department or branch (営業部, 本社) dropped, lower case.
  :func:`split_legal_form` keeps the legal form it removed, :func:`legal_form` says also
  whether it was written before the name (前株) or after it (後株).
- :func:`registrable_domain` reduces a URL, host or e-mail address to the domain a
  company registers (``https://www.Yamada-Seiki.co.jp/`` -> ``yamada-seiki.co.jp``),
  with the Public Suffix List bundled in ``publicsuffixlist`` (no network).
- :func:`phone_area_code` reads the area code of a Japanese office number.

DuckDB has no NFKC function and PostgreSQL's ``normalize(text, NFKC)`` is not portable,
which is why these live in Python rather than in dbt macros.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = [
    "LEGAL_FORMS",
    "company_name_key",
    "domain_label_key",
    "email_domain",
    "legal_form",
    "normalise_email",
    "person_name_key",
    "phone_area_code",
    "registrable_domain",
    "split_legal_form",
]

# Legal forms as written in full, cut short by a card scanner (株式会), abbreviated (after
# NFKC ㈱ and （株） are already "(株)"), and in English. Tried longest first.
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "株式会社": ("株式会社", "株式会", "(株)", "(株", "株)", "co.,ltd.", "co.,ltd", "co.ltd.",
             "co.ltd", "co.,inc.", "k.k.", "kabushikikaisha", "kabushiki kaisha", "inc.", "inc",
             "corporation", "corp.", "corp"),
    "有限会社": ("有限会社", "有限会", "(有)", "(有", "有)", "ltd.", "ltd", "limited",
             "yugengaisha"),
    "合同会社": ("合同会社", "合同会", "(同)", "(同", "同)", "llc", "l.l.c.", "godo kaisha",
             "g.k."),
    "合資会社": ("合資会社", "(資)", "(資", "資)"),
    "合名会社": ("合名会社", "(名)", "(名", "名)"),
}
_JAPANESE_FORMS = [(form, canonical) for canonical, forms in LEGAL_FORMS.items()
                   for form in forms if not form.isascii()]
_JAPANESE_FORMS.sort(key=lambda x: -len(x[0]))
_ENGLISH_FORMS = [(form, canonical) for canonical, forms in LEGAL_FORMS.items()
                  for form in forms if form.isascii()]
_ENGLISH_FORMS.sort(key=lambda x: -len(x[0]))
# An English form at the end, as a word of its own (not the "inc" of "Zinc"), with any
# spaces or comma before it and spaces inside it ("Co., Ltd." = "co.,ltd.").
_ENGLISH_PATTERNS = [
    (re.compile(r"[\s,]*(?<![a-z0-9])" + r"\s*".join(re.escape(ch) for ch in form if ch != " ")
                + r"\s*$", re.IGNORECASE), canonical)
    for form, canonical in _ENGLISH_FORMS
]

# A trailing word after a space that names a part of the company, not the company.
_TRAILING_UNIT = re.compile(
    r"\s+\S*(?:部|課|室|本社|支社|支店|営業所|事業所|事業部|工場|センター|グループ)$")
# Kanji a card scanner (or a hurried typist) reads for the katakana they look like, each
# folded to the katakana on both sides of a comparison (a confusables skeleton, as in
# Unicode TR 39): 口/ロ, 工/エ, 一/ー, 力/カ, 二/ニ, 夕/タ, 才/オ, 卜/ト.
_LOOK_ALIKES = str.maketrans("口工一力二夕才卜", "ロエーカニタオト")
# Every dash and long-vowel look-alike (after NFKC, ｰ is already ー and － is -).
_DASHES = "-‐‑‒–—―−ー─━﹣"
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fd-\u30ff]")
_DROP = re.compile(
    r"[\s\u3000・･.,，、。'\"’”“`()（）\[\]「」『』【】&＆/／+＋!！?？:：;；~〜～_＿*＊#＃@＠]")


@lru_cache(maxsize=65536)
def nfkc(text: str) -> str:
    """NFKC, plus the characters NFKC leaves alone but people use as look-alikes."""
    return unicodedata.normalize("NFKC", text).replace("〜", "~").strip()


def split_legal_form(name: str | None) -> tuple[str, str | None]:
    """``(name without its legal form, the legal form)``; the form is one of
    :data:`LEGAL_FORMS` (``株式会社`` for ``(株)``, ``㈱`` or ``Co., Ltd.``) or ``None``.

    >>> split_legal_form("㈱山田精機")
    ('山田精機', '株式会社')
    """
    if not isinstance(name, str) or not name:
        return "", None
    text = nfkc(name)
    found: str | None = None
    for form, canonical in _JAPANESE_FORMS:
        if form in text:
            text = text.replace(form, " ", 1)
            found = found or canonical
            break
    for pattern, canonical in _ENGLISH_PATTERNS:
        match = pattern.search(text)
        if match:
            text = text[: match.start()]
            found = found or canonical
            break
    return re.sub(r"\s+", " ", text).strip(), found


@lru_cache(maxsize=65536)
def legal_form(name: str | None) -> tuple[str | None, str | None]:
    """The legal form written in a company name (canonical, as :func:`split_legal_form`
    gives it) and where: ``"before"`` the name (前株: ``株式会社山田精機``, ``(株)山田精機``)
    or ``"after"`` it (後株: ``山田精機株式会社``); the place is ``None`` for a form in
    English (written last whatever the registered name does), both ``None`` without a form.

    >>> legal_form("㈱山田精機 本社")
    ('株式会社', 'before')
    """
    if not isinstance(name, str) or not name:
        return None, None
    text = nfkc(name)
    for form, canonical in _JAPANESE_FORMS:
        at = text.find(form)
        if at >= 0:
            return canonical, "before" if not text[:at].strip() else "after"
    return split_legal_form(text)[1], None


def _hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)


def _fold_dashes(text: str) -> str:
    """A dash after katakana is a long-vowel mark (ー); any other dash is punctuation."""
    out = []
    for i, ch in enumerate(text):
        if ch in _DASHES:
            prev = text[i - 1] if i else ""
            if prev and (_KATAKANA.match(prev) or prev == "ー"):
                out.append("ー")
            continue
        out.append(ch)
    return "".join(out)


@lru_cache(maxsize=65536)
def company_name_key(name: str | None) -> str | None:
    """The matching key of a company name, or ``None`` when nothing is left.

    ``株式会社　ﾔﾏﾀﾞ-ﾃｯｸ`` and ``ヤマダーテック(株)`` both give ``ヤマダーテック``;
    ``Yamada Tech Co., Ltd.`` gives ``yamadatech``.
    """
    core, _ = split_legal_form(name)
    if not core:
        return None
    core = _TRAILING_UNIT.sub("", core)
    core = _hiragana_to_katakana(core)
    core = _fold_dashes(core).translate(_LOOK_ALIKES)  # after: 一 of 第一 is no dash
    core = _DROP.sub("", core).lower()
    return core or None


@lru_cache(maxsize=65536)
def person_name_key(last_name: object, first_name: object) -> str | None:
    """The matching key of a person's name: surname then given name, NFKC, spaces dropped,
    or ``None`` without a surname. A full name typed into one field (``佐藤 陽子``) gives
    the key of the two fields (``佐藤``, ``陽子``).
    """
    if not isinstance(last_name, str) or not last_name.strip():
        return None
    first = first_name if isinstance(first_name, str) else ""
    return re.sub(r"\s+", "", nfkc(last_name + first)).lower() or None


def domain_label_key(domain: str | None) -> str | None:
    """The registrable domain's own label with separators dropped, to compare with a
    romanised company name: ``yamada-seiki.co.jp`` -> ``yamadaseiki``."""
    if not isinstance(domain, str) or not domain:
        return None
    label = domain.split(".")[0]
    return re.sub(r"[-_]", "", label) or None


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()  # the list bundled with the package: no network


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


@lru_cache(maxsize=65536)
def registrable_domain(value: str | None) -> str | None:
    """The registrable domain (public suffix + one label) of a URL, host or e-mail.

    ``https://www.Yamada-Seiki.co.jp/about`` and ``t.suzuki@mail.yamada-seiki.co.jp``
    both give ``yamada-seiki.co.jp``; a bare public suffix or garbage gives ``None``.
    """
    if not isinstance(value, str) or not value:
        return None
    text = nfkc(value).lower().strip()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = _SCHEME.sub("", text)
    text = re.split(r"[/?#:\s]", text, maxsplit=1)[0].strip(".")
    if "." not in text or not re.fullmatch(r"[a-z0-9.-]+", text):
        return None
    return _psl().privatesuffix(text)


def normalise_email(email: str | None) -> str | None:
    """Trimmed, NFKC and lower-cased (local parts are case-insensitive in practice)."""
    if not isinstance(email, str) or not email:
        return None
    text = nfkc(email).strip().lower()
    return text if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) else None


def email_domain(email: str | None) -> str | None:
    """Registrable domain of an e-mail address (``None`` when it is not one)."""
    norm = normalise_email(email)
    return registrable_domain(norm) if norm else None


_MOBILE = re.compile(r"^0[5789]0")


def phone_area_code(phone: str | None) -> str | None:
    """The area code of a Japanese fixed-line number written with separators
    (``03-1234-5678`` -> ``03``, ``0742-12-3456`` -> ``0742``); ``None`` for mobiles
    (070/080/090), IP phones (050), free dial and numbers without separators."""
    if not isinstance(phone, str) or not phone:
        return None
    text = nfkc(phone).strip()
    text = re.sub(r"^\+81[\s-]*", "0", text)
    parts = re.split(r"[-\s()]+", text)
    if len(parts) < 3 or not parts[0].isdigit() or not parts[0].startswith("0"):
        return None
    if _MOBILE.match(parts[0]) or parts[0].startswith(("0120", "0800")):
        return None
    return parts[0]
