"""Identity resolution on data we did not make: no company database, no leads, no contacts,
a single company, columns with no values. It links what it can and never stops."""

from __future__ import annotations

import pandas as pd
import pytest

from kizuna.identity import CompanyIndex, Reference, company_frame, resolve
from kizuna.simulator.corporate_number import make

COMPANY_COLUMNS = ["corporate_number", "company_name", "company_name_kana", "prefecture",
                   "industry_code", "parent_corporate_number", "domain"]
YAMADA = make("011001000001")


def frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=object)


def no_companies() -> pd.DataFrame:
    return frame([], COMPANY_COLUMNS)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.from_seeds()


@pytest.fixture
def accounts() -> pd.DataFrame:
    return frame([
        ("A1", "株式会社山田精機", "https://www.yamada-seiki.co.jp/", "製造"),
        ("A2", "東洋商事株式会社", None, "商社"),
        ("A3", "アオバ物流（株）", None, None),
        ("A4", "ミドリ電機株式会社", None, None),
    ], ["account_id", "account_name", "domain", "industry"])


@pytest.fixture
def contacts() -> pd.DataFrame:
    return frame([("A3", "k.sato@aoba-butsuryu.co.jp"), ("A3", "sato@gmail.com")],
                 ["account_id", "email"])


@pytest.fixture
def leads() -> pd.DataFrame:
    return frame([
        ("L1", "t.suzuki@yamada-seiki.co.jp", "", None),  # the account's web domain
        ("L2", "hanako@gmail.com", "東洋商事（株）", None),  # the account's name
        ("L3", "m.ito@aoba-butsuryu.co.jp", "アオバ", None),  # a contact's e-mail domain
        ("L4", "ken@example-unknown.co.jp", "まるで知らない会社", None),  # nobody
        ("L5", "taro@gmail.com", "個人", None),  # no company
        ("L6", None, None, None),  # nothing at all
    ], ["lead_id", "email", "company_name", "phone"])


def lead_links(res) -> dict[str, tuple[str | None, str]]:
    return {r.lead_id: (None if pd.isna(r.account_id) else r.account_id, r.match_method)
            for r in res.links.itertuples()}


def test_without_a_company_database_leads_resolve_to_crm_accounts(accounts, contacts, leads,
                                                                   reference):
    account_res, lead_res = resolve(accounts, contacts, leads, no_companies(), reference)
    assert set(account_res.links["match_method"]) == {"unmatched"}
    assert account_res.links["corporate_number"].isna().all()
    got = lead_links(lead_res)
    assert got["L1"] == ("A1", "account_email_domain")
    assert got["L2"] == ("A2", "account_name")
    assert got["L3"] == ("A3", "account_email_domain")
    assert got["L4"] == (None, "unmatched")
    assert got["L5"] == (None, "no_company")
    assert got["L6"][0] is None
    assert lead_res.links["corporate_number"].isna().all()


def test_a_company_database_still_wins_over_the_crm(accounts, contacts, leads, reference):
    companies = frame([(YAMADA, "株式会社山田精機", "ヤマダセイキ", "東京都", "E29", None,
                        "yamada-seiki.co.jp")], COMPANY_COLUMNS)
    account_res, lead_res = resolve(accounts, contacts, leads, companies, reference)
    by_account = dict(zip(account_res.links["account_id"], account_res.links["corporate_number"],
                          strict=True))
    assert by_account["A1"] == YAMADA
    links = lead_res.links.set_index("lead_id")
    assert links.at["L1", "corporate_number"] == YAMADA  # dbt takes A1 via the company
    assert pd.isna(links.at["L1", "account_id"])
    assert links.at["L2", "account_id"] == "A2"  # A2 has no company: the account directly
    assert links.at["L2", "match_method"] == "account_name"


@pytest.mark.parametrize("case", ["no_leads", "no_contacts", "no_accounts", "nothing",
                                  "single_company", "null_columns", "nan_columns"])
def test_sparse_inputs_never_stop_identity_resolution(case, accounts, contacts, leads,
                                                      reference):
    companies = frame([(YAMADA, "株式会社山田精機", "ヤマダセイキ", "東京都", "E29", None,
                        "yamada-seiki.co.jp")], COMPANY_COLUMNS)
    if case == "no_leads":
        leads = leads.iloc[0:0]
    elif case == "no_contacts":
        contacts = contacts.iloc[0:0]
    elif case == "no_accounts":
        accounts = accounts.iloc[0:0]
    elif case == "nothing":
        accounts, contacts, leads = accounts.iloc[0:0], contacts.iloc[0:0], leads.iloc[0:0]
        companies = no_companies()
    elif case == "null_columns":  # every column but the keys delivered empty
        companies = companies.assign(**{c: None for c in COMPANY_COLUMNS[1:]})
        accounts = accounts.assign(account_name=None, domain=None, industry=None)
        leads = leads.assign(email=None, company_name=None, phone=None)
        contacts = contacts.assign(email=None)
    elif case == "nan_columns":  # the same, as a reader that types empty columns as float
        companies = companies.assign(**{c: float("nan") for c in COMPANY_COLUMNS[2:]})
        accounts = accounts.assign(domain=float("nan"), industry=float("nan"))
        leads = leads.assign(phone=float("nan"))
    account_res, lead_res = resolve(accounts, contacts, leads, companies, reference)
    assert sorted(account_res.links["account_id"]) == sorted(accounts["account_id"])
    assert sorted(lead_res.links["lead_id"]) == sorted(leads["lead_id"])
    if case in ("no_contacts", "single_company", "nan_columns") and not leads.empty:
        assert lead_res.links["account_id"].notna().any()
    if case == "null_columns":
        assert lead_res.links["corporate_number"].isna().all()
        assert lead_res.links["account_id"].isna().all()


def test_links_straight_to_accounts_say_how_sure_they_are(accounts, contacts, leads, reference):
    _, lead_res = resolve(accounts, contacts, leads, no_companies(), reference)
    conf = dict(zip(lead_res.links["lead_id"], lead_res.links["match_confidence"], strict=True))
    assert conf["L1"] == 0.9  # a group may share one mail domain: below a company's 0.99
    assert conf["L2"] == 0.95
    assert conf["L4"] == 0.0


def test_leads_of_companies_nobody_knows_are_accounts_by_domain_and_name(reference):
    """Prospects the CRM and the company database do not know are companies too: leads
    sharing a business domain are one, a name joins its domain's company, free mail and a
    company name alone make a company by name only when there is no company database."""
    leads = frame([
        ("P1", "a@hikari-kogyo.co.jp", "光工業株式会社", None),
        ("P2", "b@hikari-kogyo.co.jp", "", None),  # same domain, no name
        ("P3", "c@gmail.com", "光工業（株）", None),  # free mail, the name of P1's domain
        ("P4", "d@gmail.com", "青空商店", None),  # free mail, a name nobody has a domain for
        ("P5", "e@gmail.com", "個人", None),  # no company
        ("P6", "f@sora.co.jp", "共通", None),  # a name seen with two domains
        ("P7", "g@umi.co.jp", "共通", None),
    ], ["lead_id", "email", "company_name", "phone"])
    empty = frame([], ["account_id", "account_name", "domain", "industry"])
    no_contacts = frame([], ["account_id", "email"])
    _, lead_res = resolve(empty, no_contacts, leads, no_companies(), reference)
    keys = dict(zip(lead_res.links["lead_id"], lead_res.links["prospect_key"], strict=True))
    assert keys["P1"] == keys["P2"] == keys["P3"] == "domain:hikari-kogyo.co.jp"
    assert keys["P4"].startswith("name:")
    assert pd.isna(keys["P5"])
    assert keys["P6"] == "domain:sora.co.jp" and keys["P7"] == "domain:umi.co.jp"
    # beside a company database, an unknown name without a business domain stays open
    companies = frame([(YAMADA, "株式会社山田精機", "ヤマダセイキ", "東京都", "E", None,
                        "yamada-seiki.co.jp")], COMPANY_COLUMNS)
    _, lead_res = resolve(empty, no_contacts, leads, companies, reference)
    keys = dict(zip(lead_res.links["lead_id"], lead_res.links["prospect_key"], strict=True))
    assert pd.isna(keys["P4"])
    assert keys["P1"] == keys["P3"] == "domain:hikari-kogyo.co.jp"


AOBA = make("011001000002")
MIDORI = make("011001000003")
KAIJO = make("011001000004")
SAKURA_KK = make("011001000005")
SAKURA_YK = make("011001000006")


def _houjin(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """A company database as the 法人番号 publication carries it: no web domain."""
    return frame([(cn, name, kana, "東京都", None, None, None) for cn, name, kana in rows],
                 COMPANY_COLUMNS)


def test_a_company_database_without_domains_learns_them_from_certain_links(reference):
    """A lead whose typed name matches nothing but resembles its company still reaches it
    by its e-mail domain, learnt from a contact of an account whose corporate number names
    the company or from a colleague linked by a name only one company bears; free mail and
    a domain taught for two companies are never learnt. A learnt domain decides only with a
    name that agrees: a lead naming another company, or a name resembling nothing, is left
    to the name steps."""
    companies = _houjin((YAMADA, "株式会社山田精機", "ヤマダセイキ"),
                        (AOBA, "アオバ物流株式会社", "アオバブツリュウ"),
                        (MIDORI, "ミドリ電機株式会社", "ミドリデンキ"),
                        (KAIJO, "海上商事株式会社", "カイジョウショウジ"),
                        (SAKURA_KK, "桜商事株式会社", "サクラショウジ"),
                        (SAKURA_YK, "有限会社桜商事", "サクラショウジ"))
    accounts = frame([("A1", "Yamada Seiki", None, None), ("A4", "海上商事", None, None),
                      ("A2", "Aoba Logistics Co., Ltd.", "https://www.aoba-butsuryu.co.jp/",
                       None)],  # its name in English: matches no registered name
                     ["account_id", "account_name", "domain", "industry"])
    contacts = frame([("A1", "k.sato@yamada-seiki.co.jp"), ("A1", "sato@gmail.com"),
                      ("A4", "x@shared-group.co.jp")], ["account_id", "email"])
    leads = frame([
        ("L1", "t.suzuki@yamada-seiki.co.jp", "山田精機工業", None),  # the contact's domain
        ("L8", "k.abe@yamada-seiki.co.jp", "YSK", None),  # a name like nothing known
        ("L9", "r.mori@aoba-butsuryu.co.jp", "桜商事", None),  # others' name
        ("L10", "a.ono@aoba-butsuryu.co.jp", None, None),  # no name: the domain decides
        ("L2", "m.ito@aoba-butsuryu.co.jp", "アオバ物流（株）", None),  # a unique name
        ("L3", "s.kato@aoba-butsuryu.co.jp", "アオバ", None),  # L2's domain
        ("L4", "h@gmail.com", "ミドリ電機", None),  # teaches nothing: free mail
        ("L5", "j@gmail.com", "みどり", None),
        ("L6", "y@shared-group.co.jp", "ミドリ電機", None),  # the domain A4's contact has
        ("L7", "z@shared-group.co.jp", "不明", None),
    ], ["lead_id", "email", "company_name", "phone"])
    account_companies = {"A1": YAMADA, "A4": KAIJO}
    _, before = resolve(accounts, contacts, leads, companies, reference)
    account_res, after = resolve(accounts, contacts, leads, companies, reference,
                                 account_companies=account_companies)
    # the account's web domain is AOBA's, learnt from L2: accounts resolve again with it
    assert account_res.links.set_index("account_id").loc["A2"].tolist()[:2] == [AOBA,
                                                                                "domain"]
    was = before.links.set_index("lead_id")
    links = after.links.set_index("lead_id")
    assert was.at["L1", "match_method"] != "email_domain"  # without the account's company
    assert links.at["L1", "corporate_number"] == YAMADA
    assert links.at["L1", "match_method"] == "email_domain"
    assert links.at["L8", "match_method"] != "email_domain"
    assert links.at["L9", "match_method"] != "email_domain"
    assert links.at["L9", "corporate_number"] != AOBA
    assert (links.at["L10", "corporate_number"], links.at["L10", "match_method"]) == (
        AOBA, "email_domain")
    assert links.at["L2", "corporate_number"] == AOBA  # by name, then by its own domain
    assert (links.at["L3", "corporate_number"], links.at["L3", "match_method"]) == (
        AOBA, "email_domain")
    assert links.at["L4", "corporate_number"] == MIDORI
    assert links.at["L5", "match_method"] != "email_domain"
    # shared-group.co.jp: KAIJO's by the contact, MIDORI's by L6's name: learnt for neither
    assert pd.isna(links.at["L7", "corporate_number"])
    assert (links.loc[["L4", "L6"], "match_method"] == "name").all()
    # a learnt domain serves the domain step, and yields to a name other companies bear
    # (a group's people may mail from one company's domain) or one like nothing of its own
    index = CompanyIndex(company_frame(companies), {YAMADA: "yamada-seiki.co.jp"})
    assert index.by_domain["yamada-seiki.co.jp"] == YAMADA
    assert not index.domain_decides("yamada-seiki.co.jp", "海上商事")
    assert index.domain_decides("yamada-seiki.co.jp", "山田精機")
    assert index.domain_decides("yamada-seiki.co.jp", None)
    assert index.domain_decides("yamada-seiki.co.jp", "yamadaseiki")  # its domain's label
    assert not index.domain_decides("yamada-seiki.co.jp", "ysk")
    assert index.domain_decides("yamada-seiki.co.jp", "ysk", similar=False)
    assert not index.frame["label_key"].notna().any()  # no romanised name from it


def test_a_learnt_domain_never_takes_one_the_database_has(reference):
    companies = frame([(YAMADA, "株式会社山田精機", "ヤマダセイキ", "東京都", None, None,
                        "yamada-seiki.co.jp"),
                       (AOBA, "アオバ物流株式会社", "アオバブツリュウ", "東京都", None, None,
                        None)], COMPANY_COLUMNS)
    accounts = frame([("A2", "アオバ物流", None, None)],
                     ["account_id", "account_name", "domain", "industry"])
    contacts = frame([("A2", "k@yamada-seiki.co.jp")], ["account_id", "email"])
    leads = frame([("L1", "t@yamada-seiki.co.jp", "", None)],
                  ["lead_id", "email", "company_name", "phone"])
    _, res = resolve(accounts, contacts, leads, companies, reference,
                     account_companies={"A2": AOBA})
    assert res.links.set_index("lead_id").at["L1", "corporate_number"] == YAMADA
