"""The identity-resolution cascade on small hand-made records (kizuna.identity)."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from kizuna.identity import (
    MatchSettings,
    Reference,
    _decide,
    _Open,
    company_frame,
    probabilistic_links,
    resolve,
    resolve_accounts,
    resolve_leads,
)
from kizuna.simulator.corporate_number import make

YAMADA = make("011001000001")
TOYO_TOKYO = make("011001000002")
TOYO_OSAKA = make("121001000003")
HOLDINGS = make("011001000004")
SUBSIDIARY = make("011001000005")


def cn(value: object) -> str | None:
    return None if pd.isna(value) else str(value)


@pytest.fixture(scope="module")
def companies() -> pd.DataFrame:
    rows = [
        (YAMADA, "株式会社山田精機", "ヤマダセイキ", "東京都", "E29", None, "yamada-seiki.co.jp"),
        (TOYO_TOKYO, "東洋商事株式会社", "トウヨウショウジ", "東京都", "I50", None,
         "toyo-shoji.co.jp"),
        (TOYO_OSAKA, "株式会社東洋商事", "トウヨウショウジ", "大阪府", "G39", None,
         "toyo-shoji-osaka.co.jp"),
        (HOLDINGS, "株式会社アオバホールディングス", "アオバホールディングス", "東京都", "L72",
         None, "aoba-holdings.co.jp"),
        (SUBSIDIARY, "アオバ物流株式会社", "アオバブツリュウ", "東京都", "H44", HOLDINGS,
         "aoba-butsuryu.co.jp"),
    ]
    return pd.DataFrame(rows, columns=["corporate_number", "company_name", "company_name_kana",
                                       "prefecture", "industry_code", "parent_corporate_number",
                                       "domain"])


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.from_seeds()


def test_seeds_exclude_free_mail_and_know_area_codes(reference):
    assert {"gmail.com", "yahoo.co.jp", "docomo.ne.jp"} <= reference.personal_mail_domains
    assert reference.prefecture("06-1234-5678") == "大阪府"
    assert reference.prefecture("076-123-4567") is None  # 石川県 and 富山県 share 076
    assert reference.division("ＩＴ") == "G"


def test_accounts_resolve_by_domain_name_and_contacts(companies, reference):
    accounts = pd.DataFrame([
        ("A1", "ﾔﾏﾀﾞ精機", "https://www.yamada-seiki.co.jp/", "製造"),  # domain
        ("A2", "㈱山田精機", None, "製造"),  # unique name
        ("A3", "東洋商事", None, "商社"),  # two 東洋商事: industry tells (I = 商社)
        ("A4", "東洋商事（株）", None, None),  # two 東洋商事: a contact's domain tells
        ("A5", "東洋商事", None, None),  # two 東洋商事 and nothing else: ambiguous
        ("A6", "既に番号で特定", None, None),  # linked by corporate number in dbt
    ], columns=["account_id", "account_name", "domain", "industry"])
    contacts = pd.DataFrame([("A4", "k.sato@toyo-shoji-osaka.co.jp"),
                             ("A4", "sato@gmail.com")], columns=["account_id", "email"])
    res = resolve_accounts(accounts, contacts, companies, reference, skip=["A6"])
    got = {r.account_id: (cn(r.corporate_number), r.match_method)
           for r in res.links.itertuples()}
    assert got == {
        "A1": (YAMADA, "domain"),
        "A2": (YAMADA, "name"),
        "A3": (TOYO_TOKYO, "name_industry"),
        "A4": (TOYO_OSAKA, "name_contact_domain"),
        "A5": (None, "ambiguous_name"),
    }
    listed = res.candidates[res.candidates["record_id"] == "A5"]
    assert set(listed["corporate_number"]) == {TOYO_TOKYO, TOYO_OSAKA}


def test_leads_resolve_by_mail_domain_name_and_phone(companies, reference):
    leads = pd.DataFrame([
        ("L1", "t.suzuki@yamada-seiki.co.jp", "", None),  # business domain
        ("L2", "taro@gmail.com", "山田精機株式会社", None),  # free mail: by name
        ("L3", "hanako@yahoo.co.jp", "東洋商事", "06-6123-4567"),  # name + Osaka phone
        ("L4", "jiro@docomo.ne.jp", "東洋商事", None),  # ambiguous: listed, not linked
        ("L5", "m.ito@aoba-holdings.co.jp", "アオバ物流", None),  # subsidiary on parent domain
        ("L6", "m.ito@aoba-holdings.co.jp", None, None),  # the group's domain, no name
        ("L7", "gakusei@gmail.com", "学生", None),
        ("L8", None, None, None),
    ], columns=["lead_id", "email", "company_name", "phone"])
    res = resolve_leads(leads, companies, reference)
    got = {r.lead_id: (cn(r.corporate_number), r.match_method) for r in res.links.itertuples()}
    assert got["L1"] == (YAMADA, "email_domain")
    assert got["L2"] == (YAMADA, "name")
    assert got["L3"] == (TOYO_OSAKA, "name_prefecture")
    assert got["L4"] == (None, "ambiguous_name")
    assert got["L5"] == (SUBSIDIARY, "email_domain_name")
    assert got["L6"][1] in ("ambiguous_email_domain", "probabilistic")
    assert got["L7"] == (None, "no_company")
    assert got["L8"] == (None, "unmatched")
    assert set(res.candidates.loc[res.candidates["record_id"] == "L4", "corporate_number"]) \
        == {TOYO_TOKYO, TOYO_OSAKA}


def test_a_person_known_at_one_company_of_the_name_decides(companies, reference):
    """Open leads take the one company their person is known at (a CRM contact there, or
    a lead linked with certainty) that bears, or else resembles, the name they typed."""
    accounts = pd.DataFrame([("A1", "東洋商事", "toyo-shoji-osaka.co.jp", None),
                             ("A2", "山田精機", "yamada-seiki.co.jp", None)],
                            columns=["account_id", "account_name", "domain", "industry"])
    contacts = pd.DataFrame([
        ("A1", "h.sato@toyo-shoji-osaka.co.jp", "佐藤", "花子"),
        ("A2", "k.ito@yamada-seiki.co.jp", "伊藤", "健"),
        ("A1", "k.ito@toyo-shoji-osaka.co.jp", "伊藤", "健"),  # a namesake at 東洋商事 (大阪)
    ], columns=["account_id", "email", "last_name", "first_name"])
    leads = pd.DataFrame([
        ("L1", "hanako@gmail.com", "東洋商事", None, "佐藤 花子", None),  # one field
        ("L2", "jiro@docomo.ne.jp", "東洋商事", None, "田中", "次郎"),  # nobody knows him
        ("L3", "hanako@gmail.com", None, None, "佐藤", "花子"),  # no company name
        ("L4", None, "(株)山田精器", None, "伊藤", "健"),  # a slip: only 山田精機 resembles
        ("L5", "ken@gmail.com", "東洋商事", None, "伊藤", "健"),  # two 東洋商事, one 伊藤健
        ("L6", "t.kato@toyo-shoji.co.jp", "", None, "加藤", "徹"),  # taught by its domain
        ("L7", None, "東洋商事", None, "加藤", "徹"),  # ... where 加藤徹 is known
    ], columns=["lead_id", "email", "company_name", "phone", "last_name", "first_name"])
    _, res = resolve(accounts, contacts, leads, companies, reference)
    got = {r.lead_id: (cn(r.corporate_number), r.match_method) for r in res.links.itertuples()}
    assert got["L1"] == (TOYO_OSAKA, "person_name")
    assert got["L2"] == (None, "ambiguous_name")
    assert got["L3"][0] is None
    assert got["L4"] == (YAMADA, "person_similar_name")
    assert got["L5"] == (TOYO_OSAKA, "person_name")  # the 伊藤健 of 山田精機 is not a 東洋商事
    assert got["L7"] == (TOYO_TOKYO, "person_name")
    assert not set(res.candidates["record_id"]) & {"L1", "L4", "L5", "L7"}


def test_a_free_mail_domain_never_names_a_company(reference):
    companies = pd.DataFrame([(make("011001000009"), "グーグル株式会社", "グーグル", "東京都",
                               "G39", None, "gmail.com")],
                             columns=["corporate_number", "company_name", "company_name_kana",
                                      "prefecture", "industry_code", "parent_corporate_number",
                                      "domain"])
    leads = pd.DataFrame([("L1", "someone@gmail.com", None, None)],
                         columns=["lead_id", "email", "company_name", "phone"])
    links = resolve_leads(leads, companies, reference).links
    assert links["corporate_number"].isna().all()


def pairs(*rows: tuple[str, str, float, float]) -> pd.DataFrame:
    return pd.DataFrame({
        "source_dataset_l": ["records"] * len(rows),
        "unique_id_l": [r[0] for r in rows],
        "source_dataset_r": ["companies"] * len(rows),
        "unique_id_r": [f"{r[1]}:name_key" for r in rows],
        "match_weight": [r[2] for r in rows],
        "match_probability": [r[3] for r in rows],
    })


def test_probabilistic_links_need_probability_and_a_clear_margin():
    settings = MatchSettings(match_threshold=0.7, margin_bits=3.0)
    decided, candidates = _decide(pairs(
        ("clear", "C1", 10.0, 0.999), ("clear", "C2", 2.0, 0.5),
        ("close", "C1", 10.0, 0.999), ("close", "C2", 8.5, 0.99),
        ("weak", "C1", 0.5, 0.6),
        ("alone", "C3", 4.0, 0.75),
    ), settings)
    assert decided == {"clear": ("C1", 0.999), "alone": ("C3", 0.75)}
    close = candidates[candidates["record_id"] == "close"]
    assert list(close["corporate_number"]) == ["C1", "C2"]
    assert list(close["candidate_rank"]) == [1, 2]


def test_a_company_seen_under_several_names_counts_once():
    decided, _ = _decide(pairs(("r", "C1", 10.0, 0.999), ("r", "C1", 9.0, 0.99)),
                         MatchSettings())
    assert decided == {"r": ("C1", 0.999)}


def test_a_company_database_without_domains_still_gets_scored(companies, caplog):
    # the 法人番号 publication has no web domains: splink's EM blocked on the domain finds no
    # pairs, and that failed session must not take the domain comparison out of the model
    # (then EM blocked on the name took the name out too: SQL with no weights to sum)
    no_domains = company_frame(companies.assign(domain=None))
    typed = [_Open(f"L{i}", name, f"mail{i}.example.co.jp", None, None, "unmatched")
             for i, name in enumerate(["ヤマダセイキ", "山田精", "東洋商事", "アオバ物流",
                                       "アオバホールディングス", "トウヨウ商事"])]
    with caplog.at_level(logging.WARNING, logger="kizuna.identity"):
        _, candidates = probabilistic_links(typed[1:2], typed, no_domains,
                                            MatchSettings(candidate_floor=0.0))
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]
    assert candidates.loc[candidates["candidate_rank"] == 1, "corporate_number"].tolist() == [
        YAMADA]


def test_the_legal_form_on_the_lead_tells_companies_of_one_name_apart(reference):
    kk_before, kk_after, yugen = make("011001000006"), make("011001000007"), make("011001000008")
    companies = pd.DataFrame([
        (kk_before, "株式会社山田商店", "ヤマダショウテン", "東京都", None, None, None),
        (kk_after, "山田商店株式会社", "ヤマダショウテン", "大阪府", None, None, None),
        (yugen, "有限会社山田商店", "ヤマダショウテン", "愛知県", None, None, None),
    ], columns=["corporate_number", "company_name", "company_name_kana", "prefecture",
                "industry_code", "parent_corporate_number", "domain"])
    leads = pd.DataFrame([
        ("L1", None, "山田商店（有）", None),  # the only 有限会社, whichever side it is written
        ("L2", None, "(株)山田商店", None),  # two 株式会社: the place is not trusted
        ("L3", None, "Yamada Shoten Co., Ltd.", None),  # English: any form may write so
        ("L4", None, "山田商店", None),
    ], columns=["lead_id", "email", "company_name", "phone"])
    links = resolve_leads(leads, companies, reference, MatchSettings(match_threshold=1.1)).links
    got = {r.lead_id: (cn(r.corporate_number), r.match_method) for r in links.itertuples()}
    assert got["L1"] == (yugen, "name_legal_form")
    assert got["L2"] == got["L4"] == (None, "ambiguous_name")
    assert got["L3"][0] is None
