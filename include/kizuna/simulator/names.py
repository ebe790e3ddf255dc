"""Text of the world: company names and the ways people misspell them, e-mail addresses.

Official names live in the company database; CRM users and MA leads type variants of
them (legal form moved or abbreviated, full-/half-width forms, long-vowel marks, typos,
scanner slips). These variants are what identity resolution (名寄せ) has to see through.
Functions take pre-drawn uniform numbers so a whole column is generated from one draw.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kizuna.simulator.vocabulary import KANJI_SLIPS, OCR_SLIPS

LEGAL_FORMS = ("株式会社", "有限会社", "合同会社")
LEGAL_ABBREVIATIONS = {"株式会社": ("(株)", "㈱", "（株）"), "有限会社": ("(有)", "㈲", "（有）"),
                       "合同会社": ("(同)", "（同）", "(同)")}
LEGAL_ENGLISH = {"株式会社": "Co., Ltd.", "有限会社": "Ltd.", "合同会社": "LLC"}
_LONG_VOWEL_VARIANTS = ("-", "‐", "ｰ", "－", "―")


def _build_half_width() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in range(0xFF61, 0xFFA0):
        half = chr(code)
        for suffix in ("", "ﾞ", "ﾟ"):
            full = unicodedata.normalize("NFKC", half + suffix)
            if len(full) == 1 and full not in table:
                table[full] = half + suffix
    return table


_HALF_KANA = _build_half_width()


def to_half_width_kana(text: str) -> str:
    """Full-width katakana (and the long-vowel mark) to half-width, other text unchanged."""
    return "".join(_HALF_KANA.get(ch, ch) for ch in text)


def to_full_width_ascii(text: str) -> str:
    """ASCII letters and digits to their full-width forms (Ａ, １)."""
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in text)


def has_katakana(text: str) -> bool:
    return any("\u30a1" <= ch <= "\u30fc" for ch in text)


def official_name(core: str, legal: str, legal_first: bool) -> str:
    """The registered name: 株式会社山田精機 or 山田精機株式会社."""
    return f"{legal}{core}" if legal_first else f"{core}{legal}"


def english_name(romaji_parts: tuple[str, ...], legal: str) -> str:
    words = " ".join(p.capitalize() for p in romaji_parts)
    return f"{words} {LEGAL_ENGLISH[legal]}"


def _typo(core: str, u: float) -> str:
    for right, wrong in KANJI_SLIPS.items():
        if right in core:
            return core.replace(right, wrong, 1)
    if len(core) >= 3:
        i = int(u * (len(core) - 1))
        if u < 0.5:  # drop a character
            return core[:i] + core[i + 1:]
        return core[:i] + core[i + 1] + core[i] + core[i + 2:]  # swap two neighbours
    return core


def _long_vowel(text: str, u: float) -> str:
    return text.replace("ー", _LONG_VOWEL_VARIANTS[int(u * len(_LONG_VOWEL_VARIANTS))])


def _legal_variant(core: str, legal: str, legal_first: bool, u: float, v: float) -> str:
    """How a person writes the legal form: kept, moved, abbreviated, spaced or omitted."""
    if u < 0.40:
        return official_name(core, legal, legal_first)
    if u < 0.55:
        return official_name(core, legal, not legal_first)
    if u < 0.75:
        return core
    if u < 0.92:
        abbr = LEGAL_ABBREVIATIONS[legal][int(v * 3)]
        return f"{abbr}{core}" if legal_first else f"{core}{abbr}"
    space = " " if v < 0.5 else "　"
    return f"{legal}{space}{core}" if legal_first else f"{core}{space}{legal}"


def account_name_variants(
    cores: list[str], legals: list[str], legal_first: np.ndarray, romaji: list[tuple[str, ...]],
    rng: np.random.Generator, typo_rate: float, english_rate: float,
) -> list[str]:
    """Names sales typed into the CRM for these companies (one per company)."""
    u = rng.random((len(cores), 8))
    out = []
    for k, core in enumerate(cores):
        r = u[k]
        legal = legals[k]
        if r[0] < english_rate:
            out.append(english_name(romaji[k], legal))
            continue
        name_core = core
        if r[1] < typo_rate:
            name_core = _typo(name_core, r[2])
        if has_katakana(name_core):
            if r[3] < 0.10:
                name_core = to_half_width_kana(name_core)
            elif r[3] < 0.22 and "ー" in name_core:
                name_core = _long_vowel(name_core, r[4])
        name = _legal_variant(name_core, legal, bool(legal_first[k]), r[5], r[6])
        if r[7] < 0.05:
            name = to_full_width_ascii(name) if name.isascii() else name + " "
        out.append(name)
    return out


def typed_company_names(
    cores: list[str], legals: list[str], legal_first: np.ndarray, kanas: list[str],
    romaji: list[tuple[str, ...]], scanned: np.ndarray, rng: np.random.Generator,
    blank_rate: float,
) -> list[str]:
    """Company names as a lead typed them on a form, or a card scanner read them.

    Noisier than the CRM: readings in katakana, romaji, the business word dropped,
    a department appended, scanner look-alike slips; empty for ``blank_rate``.
    """
    u = rng.random((len(cores), 10))
    out = []
    for k, core in enumerate(cores):
        r = u[k]
        legal = legals[k]
        if r[0] < blank_rate:
            out.append("")
            continue
        if r[1] < 0.04:
            out.append(english_name(romaji[k], legal))
            continue
        if r[1] < 0.10:
            name = kanas[k] if r[2] < 0.5 else to_half_width_kana(kanas[k])
            out.append(name)
            continue
        name_core = core
        if r[3] < 0.08:
            name_core = _typo(name_core, r[4])
        if has_katakana(name_core):
            if r[5] < 0.15:
                name_core = to_half_width_kana(name_core)
            elif r[5] < 0.30 and "ー" in name_core:
                name_core = _long_vowel(name_core, r[6])
        name = _legal_variant(name_core, legal, bool(legal_first[k]), r[7], r[8])
        if scanned[k] and r[9] < 0.35:
            name = "".join(OCR_SLIPS.get(ch, ch) if r[9] < 0.2 else ch for ch in name)
            if r[9] >= 0.2 and len(name) > 3:
                name = name[:-1]  # the scanner cut the last character
        elif r[9] > 0.96:
            name = f"{name} {'営業部' if r[4] < 0.5 else '本社'}"
        out.append(name)
    return out


EMAIL_PATTERNS = ("{g1}.{s}", "{s}-{g}", "{g}.{s}", "{s}_{g1}", "{g1}{s}", "{s}.{g}")


def email_local_parts(
    surname_romaji: np.ndarray, given_romaji: np.ndarray, pattern: np.ndarray,
) -> np.ndarray:
    """Local parts following each company's convention (t.suzuki, suzuki-taro, ...)."""
    out = np.empty(len(surname_romaji), dtype=object)
    for k in range(len(surname_romaji)):
        s, g = surname_romaji[k], given_romaji[k]
        out[k] = EMAIL_PATTERNS[pattern[k]].format(s=s, g=g, g1=g[0])
    return out


def email_display_variants(emails: np.ndarray, rng: np.random.Generator, case_rate: float,
                           space_rate: float) -> np.ndarray:
    """The same addresses as another system holds them: some capitalised, some padded."""
    u = rng.random((len(emails), 2))
    out = np.asarray(emails, dtype=object).copy()
    for k, email in enumerate(out):
        if not email:
            continue
        if u[k, 0] < case_rate:
            local, _, domain = email.partition("@")
            if u[k, 0] < case_rate / 2:
                email = ".".join(p.capitalize() for p in local.split(".")) + "@" + domain
            else:
                email = email.upper() if u[k, 1] < 0.3 else local.capitalize() + "@" + domain
        if u[k, 1] > 1 - space_rate:
            email = f" {email}" if u[k, 1] > 1 - space_rate / 2 else f"{email} "
        out[k] = email
    return out


def cp932_safe(text: str) -> str:
    """Replace characters CP932 cannot hold (none are produced today; a guard for edits)."""
    try:
        text.encode("cp932")
        return text
    except UnicodeEncodeError:
        return "".join(ch if _encodes(ch) else "?" for ch in text)


def _encodes(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def serial_ids(prefix: str, numbers: np.ndarray | range, width: int) -> np.ndarray:
    """Record ids such as MA000000042: ``prefix`` + zero-padded number (object array)."""
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()),
                          width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "").to_numpy(zero_copy_only=False)
