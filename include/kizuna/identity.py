"""Identity resolution (名寄せ): CRM accounts and MA leads to company-database records.

Runs between two dbt steps. dbt first builds staging and the deterministic links SQL can
make portably (lead -> CRM contact by e-mail, ``int_lead_contact_matches``; account ->
company by a corporate number with a valid check digit, ``int_account_corporate_numbers``).
This module then resolves the rest and writes three tables to the ``identity`` schema,
which dbt reads as the source ``identity``:

``identity.account_company_links``
    One row per CRM account the corporate number did not resolve: the company it is
    (``corporate_number``, null when unresolved), ``match_method``, ``match_confidence``.
``identity.lead_company_links``
    One row per MA lead: the company the person worked at when the lead was written, or,
    when the company database does not know it, the CRM account it is (``account_id``).
``identity.match_candidates``
    One row per ambiguous record and candidate company: what a person should look at.

The cascade, for every record the previous step left open:

1. registrable web or e-mail domain (free-mail, ISP and mobile-carrier domains from the
   ``personal_mail_domains`` seed never count) -> the company with that domain. A
   domain shared by a group (subsidiaries mailing from the parent's domain) decides
   only together with the name;
2. normalised company name (:func:`kizuna.normalise.company_name_key`: NFKC, legal form
   removed, long vowels and punctuation folded) against the registered name, its
   katakana reading and the romanised domain label; several companies of one name are
   told apart by prefecture (a lead's office phone area code), the account's contacts'
   e-mail domains or its industry, the legal form written in Japanese (株式会社, 有限会社,
   合同会社 ...), or left ambiguous;
3. a probabilistic match (splink, Fellegi-Sunter on DuckDB) of what is left, on name
   similarity (character-level Jaro-Winkler: DuckDB's own works on bytes, which is wrong
   for kanji), domain, prefecture and industry. A link is made only when the best
   company is likely (``match_threshold``) and clearly ahead of the next one
   (``margin_bits``); otherwise the record stays unlinked and its candidates are listed;
4. for a lead still open, the person (:func:`person_links`): a CRM contact or a linked
   lead of the same person name at exactly one company that bears (or, when none does,
   resembles) the lead's company name.

Where the company database has no web domain for a company (the 法人番号 publication has
none), step 1 has nothing to match; the domain is then learnt from what is already linked
with certainty (:func:`learned_domains`): the web and contacts' business e-mail domains of
CRM accounts whose corporate number (or a name one company bears) names the company, and
the business e-mail domains of leads the cascade linked to it by domain or such a name. A
domain is learnt only when every such record agrees on one company (free mail never
counts), and accounts and leads are resolved again with it. A learnt domain is a guess, not
a publication (a group's people may all mail from one member's domain), so it decides only
with a name that agrees (:meth:`CompanyIndex.domain_decides`): a record naming another
company, or a lead whose name resembles nothing of the domain's company, is left to the
name steps.

Leads the company database leaves unmatched (all of them when there is none) go through
the same cascade once more against the CRM accounts no company was found for: the
account's web domain or its contacts' e-mail domain and its name stand in for a company's
(:func:`account_frame`), and the link names the account, not a company (methods
``account_<method>``). So a warehouse without a company database still links leads to
accounts; an empty input of any kind (no companies, leads, contacts or accounts, a single
company, columns with no values) links what it can and never stops the run.

Everything runs in an in-memory DuckDB, whatever the warehouse is: the frames are small
(tens of thousands of rows), the name normalisation needs Python anyway, and one code
path serves DuckDB and PostgreSQL alike. Results are rounded and the engine runs on one
thread, so a re-run writes the same tables.
"""

from __future__ import annotations

import csv
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from kizuna.contract import LogicalType
from kizuna.normalise import (
    company_name_key,
    domain_label_key,
    email_domain,
    legal_form,
    nfkc,
    person_name_key,
    phone_area_code,
    registrable_domain,
)
from kizuna.settings import DBT_PROJECT_DIR, Settings, get_settings

if TYPE_CHECKING:
    from splink import SettingsCreator

    from kizuna.warehouse import Warehouse

log = logging.getLogger(__name__)

SCHEMA = "identity"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds" / "reference"

#: Columns of the tables this module writes (dbt's on-run-start hook creates the same,
#: empty, so that a plain ``dbt build`` works before the first identity run).
TABLES: dict[str, tuple[tuple[str, LogicalType], ...]] = {
    "account_company_links": (("account_id", "text"), ("corporate_number", "text"),
                              ("match_method", "text"), ("match_confidence", "float")),
    "lead_company_links": (("lead_id", "text"), ("corporate_number", "text"),
                           ("match_method", "text"), ("match_confidence", "float"),
                           ("account_id", "text"), ("prospect_key", "text")),
    "match_candidates": (("record_type", "text"), ("record_id", "text"),
                         ("corporate_number", "text"), ("match_probability", "float"),
                         ("candidate_rank", "int")),
}

# Confidence of each deterministic method: its measured precision on the simulated world
# (tests/dbt/test_identity_accuracy.py), rounded down.
CONFIDENCE = {
    "domain": 0.99,
    "email_domain": 0.99,
    "email_domain_name": 0.98,
    "name": 0.95,
    "name_contact_domain": 0.97,
    "name_prefecture": 0.93,
    "name_legal_form": 0.95,
    "name_industry": 0.9,
    "person_name": 0.98,
    "person_similar_name": 0.95,
}
# Confidence of the same methods when a lead resolves straight to a CRM account (no
# company database to tell a group's companies apart: subsidiaries mailing from the
# parent's domain land on the parent's account; 67 of 72 domain links right on a simulated
# world without one).
ACCOUNT_CONFIDENCE = {
    "email_domain": 0.9,
    "email_domain_name": 0.95,
    "name": 0.95,
    "name_prefecture": 0.9,
    "name_legal_form": 0.9,
}
# Lead links certain enough to teach a company its e-mail domain (learned_domains): the
# domain steps themselves and a name only one company bears.
DOMAIN_TEACHING_METHODS = frozenset({"email_domain", "email_domain_name", "name"})
# Account links as certain (besides a corporate number): a domain, a name one company
# bears, a name its contacts' domain tells apart (precision >= 0.99 on the simulated world).
ACCOUNT_DOMAIN_TEACHING_METHODS = frozenset({"domain", "name", "name_contact_domain"})
# A learnt domain is a guess, not a publication (a group's people may all mail from one
# member's domain): it decides only with a name that agrees. A name no company bears must
# resemble the domain's company (normalised insert/delete similarity of the keys, or of the
# domain's label for a romanised name; it forgives a dropped or swapped kanji, which
# Jaro-Winkler on two or three characters does not) at least this much: on the
# 2,000-account Japanese world 0.65 kept 846 of 851 right links of such leads and 4 of 27
# wrong ones (Jaro-Winkler >= 0.7: 844 and 10); on the 120-account one, all 4 of 4 right.
LEARNT_DOMAIN_NAME_SIMILARITY = 0.65
# Lead links certain enough to say where a person works (person_links).
PERSON_TEACHING_METHODS = frozenset({"email_domain", "email_domain_name", "name",
                                     "name_prefecture", "name_legal_form"})
# How much a lead's company name no company bears must resemble (normalised insert/delete
# similarity) the one company its person is known at: on the 2,000-account world every
# link at 0.7 or more was right (60 of 60), below it 1 of 11 (names sharing a long
# ホールディングス or 樹脂 with another company).
PERSON_NAME_SIMILARITY = 0.7
# The lead methods person_links looks at again (what the cascade left open).
PERSON_OPEN_METHODS = frozenset({"ambiguous_name", "ambiguous_email_domain", "unmatched"})
# Company names people type when they have none.
NO_COMPANY = frozenset({"個人", "フリーランス", "学生", "なし", "無職", "自営業", "-", "n/a",
                        "none"})


@dataclass(frozen=True)
class Reference:
    """Reference data the cascade reads (the dbt seeds under ``seeds/reference``)."""

    personal_mail_domains: frozenset[str]
    area_prefectures: dict[str, str]  # area codes of one prefecture only
    industry_divisions: dict[str, str]  # CRM industry word (NFKC) -> JSIC division

    @classmethod
    def from_seeds(cls, folder: Path = SEEDS_DIR) -> Reference:
        def rows(name: str) -> list[dict[str, str]]:
            with (folder / f"{name}.csv").open(encoding="utf-8") as f:
                return list(csv.DictReader(f))

        areas: dict[str, set[str]] = defaultdict(set)
        for r in rows("phone_area_codes"):
            areas[r["area_code"]].add(r["prefecture"])
        return cls(
            personal_mail_domains=frozenset(r["domain"].strip().lower()
                                            for r in rows("personal_mail_domains")),
            area_prefectures={code: next(iter(p)) for code, p in areas.items() if len(p) == 1},
            industry_divisions={nfkc(r["crm_industry"]): r["industry_division"]
                                for r in rows("crm_industry_divisions")},
        )

    def business_domain(self, domain: str | None) -> str | None:
        return domain if domain and domain not in self.personal_mail_domains else None

    def prefecture(self, phone: str | None) -> str | None:
        code = phone_area_code(phone)
        return self.area_prefectures.get(code) if code else None

    def division(self, industry: str | None) -> str | None:
        return self.industry_divisions.get(nfkc(industry)) if isinstance(industry, str) else None


@dataclass(frozen=True)
class MatchSettings:
    """Tunables of the probabilistic step."""

    # Least match probability to link, and how far (in match weight, log2 of the Bayes
    # factor) the best company must be ahead of the next. With a margin of 3 bits every
    # link at 0.6 or more was right on the 2,000-account worlds (Japanese: 129 of 129 at
    # 0.65, a misspelt name and the phone's prefecture; native: none between 0.13 and 0.73);
    # at 0.13 and below 5 of 108 were wrong. Records below either bar are left ambiguous.
    match_threshold: float = 0.6
    margin_bits: float = 3.0
    candidate_floor: float = 0.3  # candidates listed for an ambiguous record
    seed: int = 42


@dataclass
class Resolution:
    """Links of one record type, and the candidates of the ambiguous ones."""

    links: pd.DataFrame
    candidates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["record_id", "corporate_number", "match_probability", "candidate_rank"]))

    def method_counts(self) -> dict[str, int]:
        return self.links["match_method"].value_counts().to_dict()


# --------------------------------------------------------------------------- companies


def company_frame(companies: pd.DataFrame) -> pd.DataFrame:
    """One row per company-database record with its matching keys.

    Columns: corporate_number, name_key, kana_key, label_key (romanised domain label),
    domain (registrable), group_domain (the group parent's domain for a subsidiary: the
    one its people may mail from), prefecture, division (JSIC letter), parent, legal_form
    (:func:`kizuna.normalise.legal_form`: the form and whether it precedes the name).
    """
    c = companies
    out = pd.DataFrame({
        "corporate_number": c["corporate_number"].astype(str),
        "name_key": c["company_name"].map(company_name_key),
        "kana_key": c["company_name_kana"].map(company_name_key),
        "domain": c["domain"].map(registrable_domain),
        "prefecture": c["prefecture"].where(c["prefecture"].notna(), None),
        "division": c["industry_code"].map(lambda x: x[:1].upper() if isinstance(x, str) and x
                                           else None),
        "parent": c["parent_corporate_number"].where(c["parent_corporate_number"].notna(),
                                                     None),
    })
    out["label_key"] = out["domain"].map(domain_label_key)
    out["legal_form"] = c["company_name"].map(legal_form)
    own = dict(zip(out["corporate_number"], out["domain"], strict=True))
    out["group_domain"] = [own.get(p) or d if p else d
                           for p, d in zip(out["parent"], out["domain"], strict=True)]
    return out.reset_index(drop=True)


def account_frame(accounts: pd.DataFrame, contacts: pd.DataFrame,
                  reference: Reference) -> pd.DataFrame:
    """CRM accounts in :func:`company_frame`'s columns, for leads to be matched against
    when the company database does not know their company.

    ``corporate_number`` holds the account_id; the domain is the account's registrable web
    domain, else its contacts' most common business e-mail domain; the name forms are the
    account name and its domain label; prefecture and parent are unknown. Accounts are
    ordered by account_id, so of two accounts with one domain the first keeps it.
    """
    mails = _contact_domains(contacts, reference)
    rows = []
    for acc, name, dom, industry in sorted(zip(accounts["account_id"], accounts["account_name"],
                                               accounts["domain"], accounts["industry"],
                                               strict=True), key=lambda r: str(r[0])):
        if not isinstance(acc, str):
            continue
        domain = registrable_domain(dom) or _most_common(mails.get(acc, []))
        rows.append((acc, company_name_key(name), None, domain, None,
                     reference.division(industry), None, legal_form(name)))
    out = pd.DataFrame(rows, columns=["corporate_number", "name_key", "kana_key", "domain",
                                      "prefecture", "division", "parent", "legal_form"])
    out["label_key"] = out["domain"].map(domain_label_key)
    out["group_domain"] = out["domain"]
    return out


def _contact_domains(contacts: pd.DataFrame, reference: Reference) -> dict[str, list[str]]:
    """Business e-mail domains of each account's contacts (free mail left out)."""
    out: dict[str, list[str]] = defaultdict(list)
    for acc, mail in zip(contacts["account_id"], contacts["email"], strict=True):
        d = reference.business_domain(email_domain(mail))
        if d and isinstance(acc, str):
            out[acc].append(d)
    return out


def _most_common(values: list[str]) -> str | None:
    return max(sorted(set(values)), key=values.count) if values else None


class CompanyIndex:
    """Look-ups from domain and name key to companies."""

    def __init__(self, frame: pd.DataFrame, learned: dict[str, str] | None = None) -> None:
        self.frame = frame
        self.by_domain: dict[str, str] = {}
        for cn, d in zip(frame["corporate_number"], frame["domain"], strict=True):
            if d:
                self.by_domain.setdefault(d, cn)
        # domains learnt from linked records (learned_domains: company -> domain): they
        # serve the domain step only (not the romanised name: a company of the same name
        # without a learnt domain would not be seen), and yield to a name one company bears
        self.learned_domains: set[str] = set()
        for cn, d in sorted((learned or {}).items()):
            if d not in self.by_domain:
                self.by_domain[d] = cn
                self.learned_domains.add(d)
        self.by_key: dict[str, set[str]] = defaultdict(set)
        for col in ("name_key", "kana_key", "label_key"):
            for cn, k in zip(frame["corporate_number"], frame[col], strict=True):
                if k:
                    self.by_key[k].add(cn)
        self.children: dict[str, set[str]] = defaultdict(set)
        for cn, p in zip(frame["corporate_number"], frame["parent"], strict=True):
            if p:
                self.children[p].add(cn)
        self.attrs = frame.set_index("corporate_number")

    def training_frame(self) -> pd.DataFrame:
        """The frame with each learnt domain in its company's ``domain`` (and
        ``group_domain``), for the probabilistic step to learn from: records sharing a
        company's domain show how people type its name (splink's EM learns the name
        weights from them; without a domain it has no pairs to learn them from, the
        法人番号 publication giving none). Records are scored against :attr:`frame`: a
        learnt domain there would outweigh the name (a group's people mailing from one
        member's domain: 26 of 28 such links wrong on the 2,000-account Japanese world)."""
        learnt = {self.by_domain[d]: d for d in self.learned_domains}
        if not learnt:
            return self.frame
        out = self.frame.copy()
        taught = out["corporate_number"].map(learnt)
        out["domain"] = out["domain"].where(out["domain"].notna(), taught)
        out["group_domain"] = out["group_domain"].where(out["group_domain"].notna(), taught)
        return out

    def domain_decides(self, domain: str, key: str | None, similar: bool = True) -> bool:
        """Whether ``domain`` alone names the company of a record whose name has ``key``.

        A published domain always does. A learnt one does when the record gives no company
        name (262 of 268 such leads right on the 2,000-account Japanese world), a name the
        domain's company (or its group) bears, or, with ``similar``, a name no company bears
        that resembles it (:data:`LEARNT_DOMAIN_NAME_SIMILARITY`); a name other companies
        bear (124 of 124 wrong there), and with ``similar`` one resembling nothing, leaves
        the record to the name steps.
        """
        if domain not in self.learned_domains or not key:
            return True
        owner = self.by_domain[domain]
        named = self.by_key.get(key)
        if named:
            return bool(named & self.domain_group(owner))
        if not similar:
            return True
        from rapidfuzz.distance import Indel

        forms = self.keys_of(owner) | {domain_label_key(domain) or ""}
        return max(Indel.normalized_similarity(key, form) for form in forms if form) >= (
            LEARNT_DOMAIN_NAME_SIMILARITY)

    def same_legal_form(self, candidates: set[str], name: object) -> set[str]:
        """The candidates whose registered name has the legal form ``name`` is written
        with; none when ``name`` has no form in Japanese (an English "Co., Ltd." is written
        by a 株式会社 and a 有限会社 alike). Where the form stands is not compared: people
        write 株式会社 before the name of a 後株 company as often as not (on the
        2,000-account Japanese world it told 前株 from 後株 wrongly 142 times in 1,003)."""
        form, place = legal_form(name)
        if place is None:
            return set()
        return {c for c in candidates if self.attrs.at[c, "legal_form"][0] == form}

    def keys_of(self, cn: str) -> set[str]:
        row = self.attrs.loc[cn]
        return {k for k in (row["name_key"], row["kana_key"], row["label_key"])
                if isinstance(k, str) and k}

    def domain_group(self, cn: str) -> set[str]:
        """The company and the subsidiaries that may mail from its domain."""
        return {cn} | self.children.get(cn, set())


# --------------------------------------------------------------------------- cascade


@dataclass
class _Open:
    """A record the deterministic steps left open, with what splink compares."""

    record_id: str
    name_key: str | None
    mail_domain: str | None
    prefecture: str | None
    division: str | None
    reason: str  # the method to record if splink cannot decide either
    candidates: set[str] = field(default_factory=set)


def resolve_accounts(accounts: pd.DataFrame, contacts: pd.DataFrame, companies: pd.DataFrame,
                     reference: Reference, skip: Iterable[str] = (),
                     settings: MatchSettings | None = None,
                     learned: dict[str, str] | None = None) -> Resolution:
    """Resolve CRM accounts (``skip``: those already linked by corporate number).

    ``accounts``: account_id, account_name, domain, industry; ``contacts``: account_id,
    email; ``companies``: the stg_firmo__companies columns; ``learned``: domains learnt
    for companies without one (:func:`learned_domains`).
    """
    index = CompanyIndex(company_frame(companies), learned)
    skip = set(skip)
    contact_domains = _contact_domains(contacts, reference)
    links: list[tuple[str, str | None, str, float]] = []
    open_: list[_Open] = []
    seen: list[_Open] = []
    for acc, name, dom, industry in zip(accounts["account_id"], accounts["account_name"],
                                        accounts["domain"], accounts["industry"], strict=True):
        web = registrable_domain(dom)
        key = company_name_key(name)
        division = reference.division(industry)
        mails = contact_domains.get(acc, [])
        mail = _most_common(mails) or web
        seen.append(_Open(acc, key, mail, None, division, ""))
        if acc in skip:
            continue
        cands = index.by_key.get(key, set()) if key else set()
        # a CRM account's name is typed with care (often in English): only a name other
        # companies bear overrules a learnt domain
        if web and web in index.by_domain and index.domain_decides(web, key, similar=False):
            links.append((acc, index.by_domain[web], "domain", CONFIDENCE["domain"]))
            continue
        if len(cands) == 1:
            links.append((acc, next(iter(cands)), "name", CONFIDENCE["name"]))
            continue
        if cands:
            by_mail = {c for c in cands if set(mails) & {index.attrs.at[c, "domain"],
                                                         index.attrs.at[c, "group_domain"]}}
            if len(by_mail) == 1:
                links.append((acc, by_mail.pop(), "name_contact_domain",
                              CONFIDENCE["name_contact_domain"]))
                continue
            by_industry = {c for c in cands if division and index.attrs.at[c, "division"]
                           == division}
            if len(by_industry) == 1:
                links.append((acc, by_industry.pop(), "name_industry",
                              CONFIDENCE["name_industry"]))
                continue
            formed = index.same_legal_form(cands, name)
            if len(formed) == 1:
                links.append((acc, formed.pop(), "name_legal_form",
                              CONFIDENCE["name_legal_form"]))
                continue
        open_.append(_Open(acc, key, mail, None, division,
                           "ambiguous_name" if cands else "unmatched", cands))
    return _finish("account", links, open_, seen, index, settings or MatchSettings())


def resolve_leads(leads: pd.DataFrame, companies: pd.DataFrame, reference: Reference,
                  settings: MatchSettings | None = None,
                  learned: dict[str, str] | None = None) -> Resolution:
    """Resolve every MA lead to the company the person worked at when it was written.

    ``leads``: lead_id, email, company_name, phone; ``learned``: domains learnt for
    companies without one (:func:`learned_domains`).
    """
    return _resolve_leads(leads, CompanyIndex(company_frame(companies), learned), reference,
                          settings or MatchSettings())


def resolve_leads_to_accounts(leads: pd.DataFrame, accounts: pd.DataFrame,
                              contacts: pd.DataFrame, reference: Reference,
                              settings: MatchSettings | None = None) -> Resolution:
    """Resolve leads straight to CRM accounts (:func:`account_frame`), for leads whose
    company the company database does not know.

    Links: lead_id, account_id (null when unresolved), match_method (``account_`` and the
    cascade's method when linked), match_confidence. Candidates are not listed: the review
    queue names companies, and these would be accounts.
    """
    index = CompanyIndex(account_frame(accounts, contacts, reference))
    res = _resolve_leads(leads, index, reference, settings or MatchSettings())
    links = res.links.rename(columns={"corporate_number": "account_id"})
    linked = links["account_id"].notna()
    if not linked.any():
        return Resolution(links)
    deterministic = linked & links["match_method"].isin(list(ACCOUNT_CONFIDENCE))
    links.loc[deterministic, "match_confidence"] = links.loc[deterministic, "match_method"].map(
        ACCOUNT_CONFIDENCE)
    links.loc[linked, "match_method"] = "account_" + links.loc[linked, "match_method"]
    return Resolution(links)


def _resolve_leads(leads: pd.DataFrame, index: CompanyIndex, reference: Reference,
                   settings: MatchSettings) -> Resolution:
    links: list[tuple[str, str | None, str, float]] = []
    open_: list[_Open] = []
    seen: list[_Open] = []
    for lead, mail, name, phone in zip(leads["lead_id"], leads["email"], leads["company_name"],
                                       leads["phone"], strict=True):
        domain = reference.business_domain(email_domain(mail))
        key = company_name_key(name)
        prefecture = reference.prefecture(phone)
        seen.append(_Open(lead, key, domain, prefecture, None, ""))
        if domain and domain in index.by_domain and index.domain_decides(domain, key):
            owner = index.by_domain[domain]
            group = index.domain_group(owner)
            if len(group) == 1:
                links.append((lead, owner, "email_domain", CONFIDENCE["email_domain"]))
                continue
            named = {c for c in group if key and key in index.keys_of(c)}
            if len(named) == 1:
                links.append((lead, named.pop(), "email_domain_name",
                              CONFIDENCE["email_domain_name"]))
                continue
            open_.append(_Open(lead, key, domain, prefecture, None, "ambiguous_email_domain",
                               group))
            continue
        if key is None or key in NO_COMPANY or (isinstance(name, str)
                                                 and nfkc(name).lower() in NO_COMPANY):
            links.append((lead, None, "no_company" if key else "unmatched", 0.0))
            continue
        cands = index.by_key.get(key, set())
        if len(cands) == 1:
            links.append((lead, next(iter(cands)), "name", CONFIDENCE["name"]))
            continue
        if cands and prefecture:
            here = {c for c in cands if index.attrs.at[c, "prefecture"] == prefecture}
            if len(here) == 1:
                links.append((lead, here.pop(), "name_prefecture", CONFIDENCE["name_prefecture"]))
                continue
        if cands:
            # companies of one name often differ in their legal form (株式会社山田商店,
            # 山田商店株式会社, 有限会社山田商店), which people copy from the business card
            formed = index.same_legal_form(cands, name)
            if len(formed) == 1:
                links.append((lead, formed.pop(), "name_legal_form",
                              CONFIDENCE["name_legal_form"]))
                continue
        open_.append(_Open(lead, key, domain, prefecture, None,
                           "ambiguous_name" if cands else "unmatched", cands))
    return _finish("lead", links, open_, seen, index, settings)


def learned_domains(companies: pd.DataFrame, accounts: pd.DataFrame, contacts: pd.DataFrame,
                    account_companies: dict[str, str], leads: pd.DataFrame,
                    lead_links: pd.DataFrame, reference: Reference) -> dict[str, str]:
    """Domains the company database lacks, learnt from records linked with certainty:
    company (corporate_number) -> registrable domain.

    Teachers: CRM accounts whose company ``account_companies`` names (by corporate number,
    or linked by one of :data:`ACCOUNT_DOMAIN_TEACHING_METHODS`: the account's web domain
    and its contacts' business e-mail domains) and leads linked by one of
    :data:`DOMAIN_TEACHING_METHODS` (their business e-mail domain). A domain is learnt
    only when every teacher with it names the same company, no company of the database
    already has it, and that company has no domain of its own; free-mail domains never
    count. A company taught several domains keeps the one most records taught (the first
    in order on a tie).
    """
    has_domain = set(companies.loc[companies["domain"].notna(), "corporate_number"])
    taken = {d for d in companies["domain"].map(registrable_domain) if d}
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def teach(domain: str | None, company: object) -> None:
        if domain and isinstance(company, str) and company:
            votes[domain][company] += 1

    for acc, web in zip(accounts["account_id"], accounts["domain"], strict=True):
        teach(reference.business_domain(registrable_domain(web)),
              account_companies.get(acc) if isinstance(acc, str) else None)
    for acc, mail in zip(contacts["account_id"], contacts["email"], strict=True):
        teach(reference.business_domain(email_domain(mail)),
              account_companies.get(acc) if isinstance(acc, str) else None)
    certain = lead_links[lead_links["match_method"].isin(list(DOMAIN_TEACHING_METHODS))
                         & lead_links["corporate_number"].notna()]
    company_of_lead = dict(zip(certain["lead_id"], certain["corporate_number"], strict=True))
    for lead, mail in zip(leads["lead_id"], leads["email"], strict=True):
        teach(reference.business_domain(email_domain(mail)), company_of_lead.get(lead))
    taught: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for domain, companies_of in sorted(votes.items()):
        if len(companies_of) == 1 and domain not in taken:
            ((company, n),) = companies_of.items()
            if company not in has_domain:
                taught[company].append((-n, domain))
    return {company: min(domains)[1] for company, domains in taught.items()}


def person_links(leads: pd.DataFrame, lead_res: Resolution, contacts: pd.DataFrame,
                 account_companies: dict[str, str], index: CompanyIndex) -> Resolution:
    """``lead_res`` with the leads the cascade left open linked where the person is known.

    People who give a free-mail address, or none, and a company name several companies
    bear (or a slip of one) are often known elsewhere under their own name. A person is
    known at a company where a CRM contact of the same name
    (:func:`kizuna.normalise.person_name_key`) works at an account of that company
    (``account_companies``), or where a lead of the same name was linked by one of
    :data:`PERSON_TEACHING_METHODS`. An open lead (:data:`PERSON_OPEN_METHODS`) takes the
    one company the person is known at that bears the lead's company name
    (``person_name``), or, when no company bears it, the one that resembles it
    (:data:`PERSON_NAME_SIMILARITY`, ``person_similar_name``); several such companies, or
    none, or no company name at all (a person's name alone is too common) leave it open.
    Needs ``last_name`` and ``first_name`` in ``leads`` and ``contacts``; without them
    nothing changes.
    """
    names = ("last_name", "first_name")
    if not set(names) <= set(leads.columns) or not set(names) <= set(contacts.columns):
        return lead_res
    known: dict[str, set[str]] = defaultdict(set)
    for acc, last, first in zip(contacts["account_id"], contacts["last_name"],
                                contacts["first_name"], strict=True):
        person = person_name_key(last, first)
        company = account_companies.get(acc) if isinstance(acc, str) else None
        if person and company:
            known[person].add(company)
    links = lead_res.links
    certain = links[links["match_method"].isin(list(PERSON_TEACHING_METHODS))
                    & links["corporate_number"].notna()]
    company_of_lead = dict(zip(certain["lead_id"], certain["corporate_number"], strict=True))
    person_of_lead: dict[str, str] = {}
    for lead, last, first in zip(leads["lead_id"], leads["last_name"], leads["first_name"],
                                 strict=True):
        person = person_name_key(last, first)
        if person:
            person_of_lead[lead] = person
            if lead in company_of_lead:
                known[person].add(company_of_lead[lead])
    name_of_lead = dict(zip(leads["lead_id"], leads["company_name"], strict=True))
    from rapidfuzz.distance import Indel

    decided: dict[str, tuple[str, str]] = {}
    open_ = links[links["corporate_number"].isna()
                  & links["match_method"].isin(list(PERSON_OPEN_METHODS))]
    for lead in open_["lead_id"]:
        companies = known.get(person_of_lead.get(lead, ""), set())
        if not companies:
            continue
        key = company_name_key(name_of_lead.get(lead))
        if not key:  # a name alone is too common (1 of 5 right on the 2,000-account world)
            continue
        exact = {c for c in companies if key in index.keys_of(c)}
        if len(exact) == 1:
            decided[lead] = (exact.pop(), "person_name")
            continue
        if exact or key in index.by_key:
            continue
        # a name no company bears (a slip) that resembles where the person is known
        similar = {c for c in companies
                   if max(Indel.normalized_similarity(key, form) for form in index.keys_of(c))
                   >= PERSON_NAME_SIMILARITY}
        if len(similar) == 1:
            decided[lead] = (similar.pop(), "person_similar_name")
    if not decided:
        return lead_res
    links = links.copy()
    hit = links["lead_id"].isin(list(decided))
    links.loc[hit, "corporate_number"] = links.loc[hit, "lead_id"].map(
        {k: v[0] for k, v in decided.items()})
    links.loc[hit, "match_method"] = links.loc[hit, "lead_id"].map(
        {k: v[1] for k, v in decided.items()})
    links.loc[hit, "match_confidence"] = links.loc[hit, "match_method"].map(CONFIDENCE)
    candidates = lead_res.candidates[~lead_res.candidates["record_id"].isin(list(decided))]
    log.info("leads linked where the person is known: %s",
             links.loc[hit, "match_method"].value_counts().to_dict())
    return Resolution(links, candidates.reset_index(drop=True))


def resolve(accounts: pd.DataFrame, contacts: pd.DataFrame, leads: pd.DataFrame,
            companies: pd.DataFrame, reference: Reference, linked: Iterable[str] = (),
            settings: MatchSettings | None = None,
            account_companies: dict[str, str] | None = None) -> tuple[Resolution, Resolution]:
    """The whole cascade: accounts to companies (``linked``: accounts dbt already linked by
    corporate number, ``account_companies`` their companies), leads to companies (again
    with the domains :func:`learned_domains` finds, when it finds any), then the leads left
    unmatched to the CRM accounts left without a company. Returns the account and lead
    resolutions; the lead links carry ``account_id`` (set only by that last step).
    """
    linked = set(linked)
    account_res = resolve_accounts(accounts, contacts, companies, reference, skip=linked,
                                   settings=settings)
    lead_res = resolve_leads(leads, companies, reference, settings=settings)
    learned: dict[str, str] = {}
    if not companies.empty and companies["domain"].isna().any():
        known = dict(account_companies or {})
        certain = account_res.links[account_res.links["match_method"].isin(
            list(ACCOUNT_DOMAIN_TEACHING_METHODS))]
        known.update(zip(certain["account_id"], certain["corporate_number"], strict=True))
        learned = learned_domains(companies, accounts, contacts, known, leads, lead_res.links,
                                  reference)
        if learned:
            log.info("domains learnt for %d companies without one", len(learned))
            # accounts too: an account's web domain may now be a company's
            account_res = resolve_accounts(accounts, contacts, companies, reference,
                                           skip=linked, settings=settings, learned=learned)
            lead_res = resolve_leads(leads, companies, reference, settings=settings,
                                     learned=learned)
    if not companies.empty:
        account_company = dict(account_companies or {})
        resolved = account_res.links[account_res.links["corporate_number"].notna()]
        account_company.update(zip(resolved["account_id"], resolved["corporate_number"],
                                   strict=True))
        lead_res = person_links(leads, lead_res, contacts, account_company,
                                CompanyIndex(company_frame(companies), learned))
    links = lead_res.links.assign(account_id=pd.Series(None, index=lead_res.links.index,
                                                       dtype=object))
    with_company = linked | set(account_res.links.loc[account_res.links["corporate_number"]
                                                      .notna(), "account_id"])
    open_accounts = accounts[~accounts["account_id"].isin(with_company)]
    unmatched = links.loc[links["corporate_number"].isna()
                          & (links["match_method"] == "unmatched"), "lead_id"]
    open_leads = leads[leads["lead_id"].isin(unmatched)]
    if not open_leads.empty and not open_accounts.empty:
        direct = resolve_leads_to_accounts(open_leads, open_accounts, contacts, reference,
                                           settings).links
        direct = direct[direct["account_id"].notna()].set_index("lead_id")
        if direct.empty:
            return account_res, Resolution(
                _with_prospect_keys(links, leads, reference, not companies.empty),
                lead_res.candidates)
        hit = links["lead_id"].isin(direct.index)
        for col in ("account_id", "match_method", "match_confidence"):
            links.loc[hit, col] = links.loc[hit, "lead_id"].map(direct[col])
        log.info("lead resolution to CRM accounts: %s",
                 direct["match_method"].value_counts().to_dict())
    return account_res, Resolution(
        _with_prospect_keys(links, leads, reference, not companies.empty),
        lead_res.candidates)


def _with_prospect_keys(links: pd.DataFrame, leads: pd.DataFrame, reference: Reference,
                        has_company_database: bool) -> pd.DataFrame:
    """``links`` with ``prospect_key`` set for the leads left without company or account
    (:func:`prospect_keys`, by name only without a company database); ambiguous leads
    keep none, their company being one of the known ones."""
    open_ = links["corporate_number"].isna() & links["account_id"].isna() & (
        links["match_method"] == "unmatched")
    keys = prospect_keys(leads[leads["lead_id"].isin(links.loc[open_, "lead_id"])], reference,
                         by_name=not has_company_database)
    links = links.assign(prospect_key=links["lead_id"].map(keys))
    log.info("leads known by their own domain or name only: %d, %d companies",
             links["prospect_key"].notna().sum(), links["prospect_key"].nunique())
    return links


def prospect_keys(leads: pd.DataFrame, reference: Reference,
                  by_name: bool = True) -> dict[str, str]:
    """A company key for leads no company and no CRM account was found for, from what the
    leads themselves say: their business e-mail domain and their normalised company name.

    Leads sharing a domain are one company; a name joins its domain's company when every
    lead of that name that has a business domain has the same one (a name seen with two
    domains is two companies' and joins neither). The key is ``domain:<registrable
    domain>`` or, for a company known by name only, ``name:<name key>``; a lead with
    neither (free mail and no company name) gets none.
    """
    import networkx as nx  # type: ignore[import-untyped]  # no stubs in the lock

    graph = nx.Graph()
    domains_of_name: dict[str, set[str]] = defaultdict(set)
    seen: list[tuple[str, str | None, str | None]] = []
    for lead, mail, name in zip(leads["lead_id"], leads["email"], leads["company_name"],
                                strict=True):
        domain = reference.business_domain(email_domain(mail))
        key = company_name_key(name)
        if key in NO_COMPANY or (isinstance(name, str) and nfkc(name).lower() in NO_COMPANY):
            key = None
        seen.append((lead, domain, key))
        if domain:
            graph.add_node(f"domain:{domain}")
        if key:
            graph.add_node(f"name:{key}")
            if domain:
                domains_of_name[key].add(domain)
    for key, domains in domains_of_name.items():
        if len(domains) == 1:
            graph.add_edge(f"name:{key}", f"domain:{next(iter(domains))}")
    component_key: dict[str, str] = {}
    for component in nx.connected_components(graph):
        # named by its domain (the most stable identifier), else by its name
        first = min(component, key=lambda n: (not n.startswith("domain:"), n))
        component_key.update(dict.fromkeys(component, first))
    keys = {}
    for lead, domain, key in seen:
        node = f"domain:{domain}" if domain else (f"name:{key}" if key else None)
        if node and (by_name or component_key[node].startswith("domain:")):
            keys[lead] = component_key[node]
    return keys


def _finish(record_type: str, links: list[tuple[str, str | None, str, float]],
            open_: list[_Open], seen: list[_Open], index: CompanyIndex,
            settings: MatchSettings) -> Resolution:
    """Run the probabilistic step on the open records and put everything together."""
    decided, candidates = probabilistic_links(open_, seen, index.frame, settings,
                                              index.training_frame())
    for rec in open_:
        if rec.record_id in decided:
            cn, p = decided[rec.record_id]
            links.append((rec.record_id, cn, "probabilistic", round(p, 4)))
        else:
            links.append((rec.record_id, None, rec.reason, 0.0))
    frame = pd.DataFrame(links, columns=[f"{record_type}_id", "corporate_number",
                                         "match_method", "match_confidence"])
    frame = frame.sort_values(f"{record_type}_id", kind="stable").reset_index(drop=True)
    unresolved = set(frame.loc[frame["corporate_number"].isna(), f"{record_type}_id"])
    candidates = candidates[candidates["record_id"].isin(unresolved)].reset_index(drop=True)
    # records the cascade found several names for, but splink saw no candidate of
    listed = set(candidates["record_id"])
    extra = [(r.record_id, cn, None) for r in open_
             if r.record_id in unresolved and r.record_id not in listed
             for cn in sorted(r.candidates)]
    if extra:
        more = pd.DataFrame(extra, columns=["record_id", "corporate_number", "match_probability"])
        more["candidate_rank"] = more.groupby("record_id").cumcount() + 1
        candidates = pd.concat([candidates, more], ignore_index=True)
    log.info("%s resolution: %s", record_type, frame["match_method"].value_counts().to_dict())
    return Resolution(frame, candidates)


# --------------------------------------------------------------------------- splink


def _jaro_winkler_udf(left: pa.Array, right: pa.Array) -> pa.Array:
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    a = left.to_pylist()
    b = right.to_pylist()
    ok = [x is not None and y is not None for x, y in zip(a, b, strict=True)]
    scores = process.cpdist([x or "" for x in a], [y or "" for y in b],
                            scorer=JaroWinkler.normalized_similarity, workers=1)
    return pa.array([float(s) if k else None for s, k in zip(scores, ok, strict=True)],
                    type=pa.float64())


def _splink_settings(n_companies: int, extra: Iterable[str]) -> SettingsCreator:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    jw = "kizuna_jaro_winkler(name_key_l, name_key_r)"
    name = cl.CustomComparison(
        output_column_name="name_key",
        comparison_levels=[
            cll.NullLevel("name_key"),
            cll.ExactMatchLevel("name_key"),
            cll.CustomLevel(f"{jw} >= 0.92", "Jaro-Winkler >= 0.92"),
            cll.CustomLevel(f"{jw} >= 0.85", "Jaro-Winkler >= 0.85"),
            cll.CustomLevel(f"{jw} >= 0.75", "Jaro-Winkler >= 0.75"),
            cll.ElseLevel(),
        ],
    )
    domain = cl.CustomComparison(
        output_column_name="mail_domain",
        comparison_levels=[
            cll.NullLevel("mail_domain"),
            cll.CustomLevel("mail_domain_l = mail_domain_r", "same domain"),
            cll.CustomLevel("group_domain_l = group_domain_r", "same group domain"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1.0 / max(n_companies, 2),
        comparisons=[name, domain, *(cl.ExactMatch(col) for col in extra)],
        blocking_rules_to_generate_predictions=[
            block_on("substr(name_key, 1, 2)"),
            block_on("substr(name_key, length(name_key) - 1, 2)", "substr(name_key, 1, 1)"),
            block_on("mail_domain"),
            block_on("group_domain"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _records(records: list[_Open]) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": [r.record_id for r in records],
        "name_key": [r.name_key for r in records],
        "mail_domain": [r.mail_domain for r in records],
        "group_domain": [r.mail_domain for r in records],
        "prefecture": [r.prefecture for r in records],
        "division": [r.division for r in records],
    }, columns=["unique_id", "name_key", "mail_domain", "group_domain", "prefecture",
                "division"])


def probabilistic_links(open_: list[_Open], training: list[_Open], companies: pd.DataFrame,
                        settings: MatchSettings, training_companies: pd.DataFrame | None = None
                        ) -> tuple[dict[str, tuple[str, float]], pd.DataFrame]:
    """Score open records against every company (splink); return the links made
    (record -> (corporate_number, probability)) and the candidates of the others.

    The model's m and u probabilities are estimated (EM, random sampling) on
    ``training`` (every record of the type, the easy ones included: they show how
    people really type names) against ``training_companies`` (default ``companies``;
    :meth:`CompanyIndex.training_frame`); only the open records are then scored.
    """
    empty = pd.DataFrame(columns=["record_id", "corporate_number", "match_probability",
                                  "candidate_rank"])
    open_ = [r for r in open_ if r.name_key or r.mail_domain]
    if not open_ or companies.empty:
        return {}, empty
    import duckdb
    from duckdb.func import FunctionNullHandling, PythonUDFType
    from splink import DuckDBAPI, Linker, block_on
    from splink.internals.exceptions import SplinkException  # splink 5 exports none

    right = _name_forms(companies)
    training = [r for r in training if r.name_key or r.mail_domain]
    if right.empty or not training:  # nothing to compare with (splink divides by the pairs)
        return {}, empty
    # prefecture and industry count only where the records have them (leads: prefecture
    # from a phone; accounts: industry from the CRM) and so do the companies
    extra = [col for col in ("prefecture", "division")
             if any(getattr(r, col) for r in training) and companies[col].notna().any()]

    con = duckdb.connect()
    con.execute("SET threads = 1")  # deterministic sums in EM: a re-run writes the same
    con.create_function("kizuna_jaro_winkler", _jaro_winkler_udf, ["VARCHAR", "VARCHAR"],
                        "DOUBLE", type=PythonUDFType.ARROW,
                        null_handling=FunctionNullHandling.SPECIAL)
    try:
        db = DuckDBAPI(connection=con)
        companies_in = db.register(right, dataset_display_name="companies")
        taught_in = companies_in if training_companies is None else db.register(
            _name_forms(training_companies), table_name="training_companies",
            dataset_display_name="companies")
        records_in = db.register(_records(training), dataset_display_name="records")
        trainer = Linker([records_in, taught_in], _splink_settings(len(companies), extra),
                         log_level=logging.ERROR)
        trainer.training.estimate_u_using_random_sampling(max_pairs=5e5, seed=settings.seed)
        for rule in (block_on("mail_domain"), block_on("substr(name_key, 1, 2)")):
            before = trainer.misc.save_model_to_json()
            try:
                trainer.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=5e5)
            except Exception as exc:  # too few pairs to train on: keep the other rule's
                log.info("splink EM blocked on %s skipped: %s",
                         rule.get_blocking_rule("duckdb").blocking_rule_sql,
                         str(exc).splitlines()[0][:200])
                # splink 5 removes the comparisons a session deactivates (those on the
                # rule's columns) from the linker before it fails, which leaves a model
                # without them (none at all after both rules: SQL with an empty sum of
                # weights); go on from the model as it was before the session
                trainer = Linker([records_in, taught_in], before, log_level=logging.ERROR)
        model = trainer.misc.save_model_to_json()
        scorer = Linker([db.register(_records(open_), table_name="open_records",
                                     dataset_display_name="records"), companies_in],
                        model, log_level=logging.ERROR)
        pairs = scorer.inference.predict(threshold_match_probability=settings.candidate_floor,
                                         warning_mode="never").as_pandas_dataframe()
    except (SplinkException, ZeroDivisionError, duckdb.Error) as exc:
        # a model splink cannot fit (a handful of records, columns with no values): the
        # deterministic links stand and these records stay open, as when nothing is likely
        log.warning("probabilistic matching of %d records skipped, splink could not fit a "
                    "model on %d records and %d company names: %s", len(open_), len(training),
                    len(right), str(exc).splitlines()[0][:300])
        return {}, empty
    finally:
        con.close()
    return _decide(pairs, settings)


def _name_forms(companies: pd.DataFrame) -> pd.DataFrame:
    """splink's right-hand records: one per name form of a company (registered name,
    reading, romaji), ``unique_id`` = ``<corporate_number>:<form>``."""
    parts = []
    for col in ("name_key", "kana_key", "label_key"):
        part = companies[["corporate_number", col, "domain", "group_domain", "prefecture",
                          "division"]].rename(columns={col: "name_key", "domain": "mail_domain"})
        part = part[part["name_key"].notna()]
        part.insert(0, "unique_id", part["corporate_number"] + ":" + col)
        parts.append(part)
    right = pd.concat(parts, ignore_index=True).drop_duplicates(["corporate_number", "name_key"])
    return right.drop(columns=["corporate_number"])


def _decide(pairs: pd.DataFrame, settings: MatchSettings
            ) -> tuple[dict[str, tuple[str, float]], pd.DataFrame]:
    if pairs.empty:
        return {}, pd.DataFrame(columns=["record_id", "corporate_number", "match_probability",
                                         "candidate_rank"])
    left_is_record = pairs["source_dataset_l"] == "records"
    frame = pd.DataFrame({
        "record_id": pairs["unique_id_l"].where(left_is_record, pairs["unique_id_r"]),
        "company": pairs["unique_id_r"].where(left_is_record, pairs["unique_id_l"]),
        "match_weight": pairs["match_weight"].round(6),
        "match_probability": pairs["match_probability"].round(6),
    })
    frame["corporate_number"] = frame["company"].str.split(":").str[0]
    best = (frame.sort_values(["record_id", "match_weight", "corporate_number"],
                              ascending=[True, False, True], kind="stable")
            .drop_duplicates(["record_id", "corporate_number"]))
    best["candidate_rank"] = best.groupby("record_id").cumcount() + 1
    decided: dict[str, tuple[str, float]] = {}
    for rid, grp in best.groupby("record_id", sort=True):
        top = grp.iloc[0]
        runner_up = grp.iloc[1]["match_weight"] if len(grp) > 1 else -math.inf
        if (top["match_probability"] >= settings.match_threshold
                and top["match_weight"] - runner_up >= settings.margin_bits):
            decided[str(rid)] = (str(top["corporate_number"]), float(top["match_probability"]))
    candidates = best[best["candidate_rank"] <= 5][
        ["record_id", "corporate_number", "match_probability", "candidate_rank"]]
    return decided, candidates.reset_index(drop=True)


# --------------------------------------------------------------------------- warehouse


def _ddl(wh: Warehouse, table: str) -> str:
    cols = ", ".join(f'"{name}" {wh.sql_type(kind)}' for name, kind in TABLES[table])
    return f'CREATE TABLE "{SCHEMA}"."{table}" ({cols})'


def _to_arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    types = {"text": pa.string(), "float": pa.float64(), "int": pa.int64()}
    cols = TABLES[table]
    return pa.table({name: pa.array([None if pd.isna(v) else v for v in frame[name]],
                                    type=types[kind]) for name, kind in cols})


def run(settings: Settings | None = None, match: MatchSettings | None = None
        ) -> dict[str, dict[str, int]]:
    """Read staging and the dbt-made links from the warehouse, resolve, write ``identity``.

    Returns the number of records per match method, per record type.
    """
    from kizuna.warehouse import connection

    s = settings or get_settings()
    reference = Reference.from_seeds()
    with connection(s) as wh:
        def frame(sql: str) -> pd.DataFrame:
            return wh.query_arrow(sql).to_pandas()

        companies = frame("SELECT corporate_number, company_name, company_name_kana, "
                          "prefecture, industry_code, parent_corporate_number, domain "
                          "FROM staging.stg_firmo__companies")
        accounts = frame("SELECT account_id, account_name, domain, industry "
                         "FROM staging.stg_crm__accounts")
        contacts = frame("SELECT account_id, email, last_name, first_name "
                         "FROM staging.stg_crm__contacts")
        leads = frame("SELECT lead_id, email, company_name, phone, last_name, first_name "
                      "FROM staging.stg_ma__leads")
        linked = frame("SELECT account_id, corporate_number "
                       "FROM intermediate.int_account_corporate_numbers WHERE is_linked")
    account_res, lead_res = resolve(
        accounts, contacts, leads, companies, reference, linked=linked["account_id"],
        settings=match,
        account_companies=dict(zip(linked["account_id"], linked["corporate_number"],
                                   strict=True)))
    candidates = pd.concat([
        account_res.candidates.assign(record_type="account"),
        lead_res.candidates.assign(record_type="lead"),
    ], ignore_index=True)
    with connection(s) as wh, wh.transaction():
        wh.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        for table, data in (("account_company_links", account_res.links),
                            ("lead_company_links", lead_res.links),
                            ("match_candidates", candidates)):
            wh.execute(f'DROP TABLE IF EXISTS "{SCHEMA}"."{table}"')
            wh.execute(_ddl(wh, table))
            wh.append_arrow(SCHEMA, table, _to_arrow(data, table))
    return {"account": account_res.method_counts(), "lead": lead_res.method_counts()}
