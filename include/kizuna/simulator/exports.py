"""What each source exports: the world's records shaped as the raw contract's entities.

Grain: one frame per raw table, one row per delivered record version (CRM and MA
exports are "changed since yesterday" deltas), with the contract's columns in contract
order plus ``_day``, the JST day of the folder the row lands in. Everything that existed
before ``start`` lands in the first day's folder as the initial full export (its latest
version); nothing after ``end`` lands at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kizuna.contract import ABM_TIERS as TIERS
from kizuna.contract import (
    BUYING_ROLES,
    CONTRACT_STATUSES,
    CRM_ACTIVITY_TYPES,
    ENTITIES_BY_TABLE,
    LEAD_SOURCES,
)
from kizuna.contract import CAMPAIGN_CHANNELS as CHANNELS
from kizuna.contract import CRM_ACTIVITY_OUTCOMES as OUTCOMES
from kizuna.contract import MA_ACTIVITY_TYPES as ACTIVITY_TYPES
from kizuna.contract import OPPORTUNITY_STAGES as STAGES
from kizuna.simulator.accounts import Accounts
from kizuna.simulator.clock import SECONDS_PER_DAY, Clock
from kizuna.simulator.companies import PRODUCTS, Companies
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.deals import Deals
from kizuna.simulator.engagement import ActivityChunk, Engagement, _history_lookup
from kizuna.simulator.names import (
    cp932_safe,
    email_display_variants,
    serial_ids,
    typed_company_names,
)
from kizuna.simulator.people import DEPT_NAMES, TITLE_NAMES, People
from kizuna.simulator.sales import Sales
from kizuna.simulator.vocabulary import LOST_REASONS, PREFECTURES

PRODUCT_IDS = np.array([p[0] for p in PRODUCTS], dtype=object)


def _fold(frame: pd.DataFrame, clock: Clock, key: list[str] | None) -> pd.DataFrame:
    """Land rows before start in the first folder (latest version per key), drop after end."""
    frame = frame[frame["_day"] <= clock.end]
    early = frame["_day"] < clock.start
    if key is not None and early.any():
        pre = frame[early].drop_duplicates(key, keep="last")
        frame = pd.concat([pre, frame[~early]])
    frame = frame.copy()
    frame.loc[frame["_day"] < clock.start, "_day"] = clock.start
    return frame


def _shape(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    cols = [*ENTITIES_BY_TABLE[table].column_names, "_day"]
    return frame[cols].reset_index(drop=True)


def firmo_companies(clock: Clock, companies: Companies) -> pd.DataFrame:
    f = companies.frame
    v = companies.firmo_versions
    c = v["company"].to_numpy()
    parent = f["parent"].to_numpy()[c]
    numbers = f["corporate_number"].to_numpy()
    out = pd.DataFrame({
        "corporate_number": numbers[c], "company_name": f["name"].to_numpy()[c],
        "company_name_kana": f["kana"].to_numpy()[c],
        "prefecture": f["prefecture"].to_numpy()[c],
        "industry_code": f["industry_code"].to_numpy()[c], "employees": v["employees"],
        "revenue_jpy": v["revenue_jpy"], "revenue_growth_rate": v["revenue_growth_rate"],
        "parent_corporate_number": np.where(parent >= 0, numbers[np.maximum(parent, 0)], ""),
        "domain": f["domain"].to_numpy()[c], "listed": f["listed"].to_numpy()[c],
        "updated_at": v["updated_at"], "_day": v["day"],
    })
    return _shape(_fold(out, clock, ["corporate_number"]), "firmo_companies")


def crm_products(clock: Clock) -> pd.DataFrame:
    out = pd.DataFrame({"product_id": PRODUCT_IDS, "product_name": [p[1] for p in PRODUCTS],
                        "product_family": [p[2] for p in PRODUCTS],
                        "list_price_jpy": [p[3] for p in PRODUCTS], "_day": clock.start})
    return _shape(out, "crm_products")


def crm_accounts(clock: Clock, companies: Companies, accounts: Accounts,
                 versions: pd.DataFrame) -> pd.DataFrame:
    a = accounts.frame
    r = versions["account"].to_numpy()
    true_cn = companies.frame["corporate_number"].to_numpy()[a["company"].to_numpy()[r]]
    typed = a["corporate_number"].to_numpy()[r]
    cn = np.where(versions["cn_filled"].to_numpy(), true_cn, typed)
    tier = versions["tier"].to_numpy()
    out = pd.DataFrame({
        "account_id": a["account_id"].to_numpy()[r], "account_name": a["name"].to_numpy()[r],
        "corporate_number": cn, "domain": a["domain"].to_numpy()[r],
        "industry": np.asarray(a["industry"], dtype=object)[r],
        "owner": np.array(accounts.reps, dtype=object)[versions["owner"].to_numpy()],
        "abm_tier": np.where(tier >= 0, np.array(TIERS, dtype=object)[np.maximum(tier, 0)], ""),
        "created_at": a["created_sec"].to_numpy()[r], "updated_at": versions["sec"],
        "_day": versions["sec"].to_numpy() // SECONDS_PER_DAY,
    })
    return _shape(_fold(out, clock, ["account_id"]), "crm_accounts")


def crm_opportunities(clock: Clock, accounts: Accounts, deals: Deals
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    o = deals.opportunities
    ev = deals.opp_events.sort_values(["opp", "sec"], kind="stable")
    opp = ev["opp"].to_numpy()
    stage = ev["stage"].to_numpy()
    created_sec = ev.groupby("opp")["sec"].transform("min").to_numpy()
    ids = serial_ids("OPP", np.arange(1, len(o) + 1), 7)
    reason = ev["reason"].to_numpy()
    acct_ids = accounts.frame["account_id"].to_numpy()
    opps = pd.DataFrame({
        "opportunity_id": ids[opp], "account_id": acct_ids[o["account"].to_numpy()[opp]],
        "product_id": PRODUCT_IDS[o["product"].to_numpy()[opp]],
        "stage": np.array(STAGES, dtype=object)[stage], "amount_jpy": ev["amount"].to_numpy(),
        "created_at": created_sec, "close_date": ev["close_date"].to_numpy(),
        "is_closed": stage >= 4, "is_won": stage == 4,
        "lost_reason": np.where(reason >= 0, np.array(LOST_REASONS, dtype=object)[
            np.maximum(reason, 0)], ""),
        "updated_at": ev["sec"].to_numpy(), "_day": ev["sec"].to_numpy() // SECONDS_PER_DAY,
    })
    history = pd.DataFrame({
        "opportunity_id": opps["opportunity_id"], "changed_at": opps["updated_at"],
        "stage": opps["stage"], "amount_jpy": opps["amount_jpy"], "_day": opps["_day"],
    })
    return (_shape(_fold(opps, clock, ["opportunity_id"]), "crm_opportunities"),
            _shape(_fold(history, clock, None), "crm_opportunity_history"))


def crm_contracts(clock: Clock, accounts: Accounts, deals: Deals) -> pd.DataFrame:
    c = deals.contracts.set_index("contract").sort_index()
    ev = deals.contract_events.sort_values(["contract", "sec"], kind="stable")
    k = ev["contract"].to_numpy()
    ids = serial_ids("CTR", np.arange(1, len(c) + 1), 7)
    out = pd.DataFrame({
        "contract_id": ids[k],
        "account_id": accounts.frame["account_id"].to_numpy()[c["account"].to_numpy()[k]],
        "product_id": PRODUCT_IDS[c["product"].to_numpy()[k]],
        "started_on": c["started_on"].to_numpy()[k], "ended_on": c["ended_on"].to_numpy()[k],
        "annual_amount_jpy": c["amount"].to_numpy()[k],
        "status": np.array(CONTRACT_STATUSES, dtype=object)[ev["status"].to_numpy()],
        "updated_at": ev["sec"].to_numpy(), "_day": ev["sec"].to_numpy() // SECONDS_PER_DAY,
    })
    return _shape(_fold(out, clock, ["contract_id"]), "crm_contracts")


def crm_contacts(cfg: SimulationConfig, clock: Clock, people: People, accounts: Accounts,
                 sales: Sales, rng: np.random.Generator) -> pd.DataFrame:
    c = sales.contacts
    v = sales.contact_versions
    hist = people.history
    persons = people.persons
    spells = people.spells
    # the address sales holds: the business one (private if the company has none)
    sp = spells.set_index(["person", "spell"])["email"]
    biz = sp.reindex(pd.MultiIndex.from_arrays([c["person"], c["spell"]])).to_numpy()
    email = np.where(pd.isna(biz) | (biz == ""), persons["private_email"].to_numpy()[
        c["person"].to_numpy()], biz)
    email = email_display_variants(email, rng, cfg.sales.email_crm_case_variant,
                                   cfg.sales.email_crm_whitespace)
    k = v["contact"].to_numpy()
    h = v["hist"].to_numpy()
    person = c["person"].to_numpy()[k]
    out = pd.DataFrame({
        "contact_id": c["contact_id"].to_numpy()[k],
        "account_id": accounts.frame["account_id"].to_numpy()[c["account"].to_numpy()[k]],
        "email": email[k], "last_name": persons["surname"].to_numpy()[person],
        "first_name": persons["given"].to_numpy()[person],
        "department": np.array(DEPT_NAMES, dtype=object)[hist["department"].to_numpy()[h]],
        "title": np.array(TITLE_NAMES, dtype=object)[hist["title"].to_numpy()[h]],
        "buying_role": np.array(BUYING_ROLES, dtype=object)[c["role"].to_numpy()[k]],
        "updated_at": v["sec"].to_numpy(), "_day": v["sec"].to_numpy() // SECONDS_PER_DAY,
    })
    return _shape(_fold(out, clock, ["contact_id"]), "crm_contacts")


def crm_activities(clock: Clock, accounts: Accounts, sales: Sales) -> pd.DataFrame:
    a = sales.activities
    contact = a["contact"].to_numpy()
    cid = sales.contacts["contact_id"].to_numpy()
    out = pd.DataFrame({
        "activity_id": a["activity_id"],
        "account_id": accounts.frame["account_id"].to_numpy()[a["account"].to_numpy()],
        "contact_id": np.where(contact >= 0, cid[np.maximum(contact, 0)], ""),
        "activity_type": np.array(CRM_ACTIVITY_TYPES, dtype=object)[a["type"].to_numpy()],
        "occurred_at": a["sec"], "outcome": np.array(OUTCOMES, dtype=object)[
            a["outcome"].to_numpy()],
        "_day": a["sec"].to_numpy() // SECONDS_PER_DAY,
    })
    return _shape(_fold(out, clock, None), "crm_activities")


def ma_campaigns(clock: Clock, engagement: Engagement) -> pd.DataFrame:
    c = engagement.campaigns
    out = pd.DataFrame({
        "campaign_id": c["campaign_id"], "name": c["name"],
        "channel": np.array(CHANNELS, dtype=object)[c["channel"].to_numpy()],
        "product_id": np.where(c["product"] >= 0, PRODUCT_IDS[np.maximum(c["product"], 0)], ""),
        "started_on": c["started_on"], "ended_on": c["ended_on"], "cost_jpy": c["cost"],
        "_day": c["created"],
    })
    return _shape(_fold(out, clock, ["campaign_id"]), "ma_campaigns")


def ma_activities(clock: Clock, chunk: ActivityChunk) -> pd.DataFrame:
    a = chunk.activities
    camp = a["campaign"].to_numpy()
    asset = a["asset"].to_numpy()
    url = a["url"].to_numpy()
    out = pd.DataFrame({
        "activity_id": a["activity_id"],
        "lead_id": a["lead_id"],
        "activity_type": np.array(ACTIVITY_TYPES, dtype=object)[a["type"].to_numpy()],
        "occurred_at": a["sec"],
        "campaign_id": np.where(camp >= 0, chunk.campaign_ids[np.maximum(camp, 0)], ""),
        "asset_id": np.where(asset >= 0, np.array(chunk.assets, dtype=object)[
            np.maximum(asset, 0)], ""),
        "url": np.where(url >= 0, np.array(chunk.urls, dtype=object)[np.maximum(url, 0)], ""),
        "_day": a["sec"].to_numpy() // SECONDS_PER_DAY,
    })
    return _shape(_fold(out, clock, None), "ma_activities")


def ma_leads(cfg: SimulationConfig, clock: Clock, companies: Companies, people: People,
             engagement: Engagement, rng: np.random.Generator) -> pd.DataFrame:
    leads = engagement.leads
    ev = engagement.lead_events
    persons = people.persons
    f = companies.frame
    n = len(leads)
    comp = leads["company"].to_numpy()
    has_comp = comp >= 0
    cc = np.maximum(comp, 0)
    typed = typed_company_names(
        f["core"].to_numpy()[cc].tolist(), f["legal"].to_numpy()[cc].tolist(),
        f["legal_first"].to_numpy()[cc], f["kana"].to_numpy()[cc].tolist(),
        [f["romaji"].to_numpy()[i] for i in cc], leads["source"].to_numpy() == 2, rng,
        blank_rate=0.04)
    solo = np.array(["", "個人", "フリーランス", "学生"], dtype=object)[rng.integers(0, 4, n)]
    company_name = np.where(has_comp, np.array(typed, dtype=object), solo)
    person = leads["person"].to_numpy()
    last = persons["surname"].to_numpy()[person].astype(object)
    first = persons["given"].to_numpy()[person].astype(object)
    joined = rng.random(n) < 0.04  # the whole name typed into one field
    last = np.where(joined, last + " " + first, last)
    first = np.where(joined, "", first)
    # phone: office line by prefecture, a mobile, or nothing
    u = rng.random((n, 2))
    area = np.array([PREFECTURES[i][4] for i in f["pref_idx"].to_numpy()[cc]], dtype=object)
    local_len = 10 - np.char.str_len(area.astype(str))
    mid = rng.integers(1000, 10000, n)
    tail = rng.integers(1000, 10000, n)
    office = [f"{a}-{str(m)[: ll - 4]}-{t}" for a, m, t, ll in zip(area, mid, tail, local_len,
                                                                  strict=True)]
    mobile = [f"0{x}0-{m}-{t}" for x, m, t in zip(rng.choice([7, 8, 9], n), mid, tail,
                                                   strict=True)]
    phone = np.where(u[:, 0] < 0.45, np.where(has_comp & (u[:, 1] < 0.7), office, mobile), "")

    # versions: department and title as of each creation or form refresh; opt-out sticky
    k = ev["lead"].to_numpy()
    day = ev["sec"].to_numpy() // SECONDS_PER_DAY
    kind = ev["kind"].to_numpy()
    h = _history_lookup(people.history, person[k], day)
    same_job = (h >= 0) & (people.history["spell"].to_numpy()[np.maximum(h, 0)]
                           == leads["spell"].to_numpy()[k]) & has_comp[k]
    refresh = (kind <= 1) & same_job
    dept = np.where(refresh, people.history["department"].to_numpy()[np.maximum(h, 0)], -1)
    title = np.where(refresh, people.history["title"].to_numpy()[np.maximum(h, 0)], -1)
    v = pd.DataFrame({"lead": k, "sec": ev["sec"].to_numpy(), "kind": kind,
                      "dept": np.where(refresh | (kind == 0), dept, np.nan),
                      "title": np.where(refresh | (kind == 0), title, np.nan),
                      "opt": (kind == 2).astype(np.int64)})
    v["dept"] = v.groupby("lead")["dept"].ffill()
    v["title"] = v.groupby("lead")["title"].ffill()
    v["opt"] = v.groupby("lead")["opt"].cummax()
    key = v[["dept", "title", "opt"]].to_numpy()
    same = np.concatenate([[False], (k[1:] == k[:-1]) & (key[1:] == key[:-1]).all(axis=1)])
    v = v[~same]
    k = v["lead"].to_numpy()
    dept_i = v["dept"].fillna(-1).to_numpy().astype(np.int64)
    title_i = v["title"].fillna(-1).to_numpy().astype(np.int64)
    # business cards and some forms leave the title out
    drop_title = rng.random(len(v)) < 0.08
    out = pd.DataFrame({
        "lead_id": leads["lead_id"].to_numpy()[k],
        "email": leads["email"].to_numpy()[k],
        "last_name": last[k], "first_name": first[k],
        "company_name": [cp932_safe(x) for x in company_name[k]],
        "department": np.where(dept_i >= 0, np.array(DEPT_NAMES, dtype=object)[
            np.maximum(dept_i, 0)], ""),
        "job_title": np.where((title_i >= 0) & ~drop_title, np.array(
            TITLE_NAMES, dtype=object)[np.maximum(title_i, 0)], ""),
        "phone": phone[k],
        "lead_source": np.array(LEAD_SOURCES, dtype=object)[leads["source"].to_numpy()[k]],
        "opt_out": v["opt"].to_numpy().astype(bool),
        "created_at": leads["sec"].to_numpy()[k], "updated_at": v["sec"].to_numpy(),
        "_day": v["sec"].to_numpy() // SECONDS_PER_DAY,
    })
    return _shape(_fold(out, clock, ["lead_id"]), "ma_leads")
