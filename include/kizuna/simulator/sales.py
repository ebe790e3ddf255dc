"""The CRM's people and touchpoints: contacts and sales activities.

Grain: ``Sales.contacts`` one row per contact (a person sales has met, on one account);
``Sales.contact_versions`` one row per delivered contact version (creation, then title or
department changes the CRM learns after a lag); ``Sales.activities`` one row per sales
activity.

Relationship quality shows here: good relationships bring more contacts (multithreading),
accepted meetings, replies and inbound calls; poor ones declined meetings and silence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kizuna.contract import CRM_ACTIVITY_OUTCOMES
from kizuna.simulator.accounts import AccountIndex
from kizuna.simulator.clock import SECONDS_PER_DAY, Clock, business_seconds
from kizuna.simulator.companies import Companies
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.deals import Deals
from kizuna.simulator.engagement import Engagement
from kizuna.simulator.names import serial_ids
from kizuna.simulator.people import People

OUTCOMES = CRM_ACTIVITY_OUTCOMES
# P(buying role | title index 0..6)
_ROLE_P = np.array([
    [0.00, 0.00, 0.05, 0.25, 0.70],
    [0.00, 0.00, 0.10, 0.40, 0.50],
    [0.00, 0.05, 0.15, 0.40, 0.40],
    [0.02, 0.08, 0.35, 0.40, 0.15],
    [0.10, 0.30, 0.35, 0.25, 0.00],
    [0.30, 0.45, 0.20, 0.05, 0.00],
    [0.70, 0.25, 0.05, 0.00, 0.00],
])


@dataclass
class Sales:
    contacts: pd.DataFrame
    contact_versions: pd.DataFrame
    activities: pd.DataFrame


def build_sales(cfg: SimulationConfig, clock: Clock, companies: Companies, people: People,
                accounts: AccountIndex, deals: Deals,
                engagement: Engagement, rng: np.random.Generator) -> Sales:
    s = cfg.sales
    hist = people.history
    rel = companies.frame["relationship"].to_numpy()
    first_acct_day = accounts.first_day
    h_company = hist["company"].to_numpy()
    h_from = hist["valid_from"].to_numpy()
    h_to = hist["valid_to"].to_numpy()

    cands: list[pd.DataFrame] = []
    # 1. contacts known before start
    live = np.flatnonzero((h_from < clock.start) & (h_to >= clock.start)
                          & (first_acct_day[h_company] < clock.start))
    comp = h_company[live]
    cust = deals.customer_since[comp] < clock.start
    p = (s.initial_contact_base + s.initial_contact_customer * cust
         + s.initial_contact_relationship * rel[comp])
    pick = live[rng.random(len(live)) < p]
    lo = np.maximum(h_from[pick], first_acct_day[h_company[pick]])
    day = lo + (rng.random(len(pick)) * (clock.start - lo)).astype(np.int64)
    cands.append(pd.DataFrame({"hist": pick, "day": day}))
    # 2. people introduced around new opportunities (multithreading)
    opps = deals.opportunities
    opps = opps[opps["created"] <= clock.end]
    o_comp = opps["company"].to_numpy()
    o_day = opps["created"].to_numpy()
    by_company = hist.reset_index().groupby("company")["index"].apply(np.asarray)
    rows_h, rows_d = [], []
    for c, d in zip(o_comp, o_day, strict=True):
        if c not in by_company.index:
            continue
        hrows = by_company[c]
        hrows = hrows[(h_from[hrows] <= d) & (h_to[hrows] > d)]
        if not len(hrows):
            continue
        pr = s.contacts_per_new_opportunity + s.contacts_relationship * rel[c]
        chosen = hrows[rng.random(len(hrows)) < pr][:3]
        rows_h.append(chosen)
        rows_d.append(d + (rng.random(len(chosen)) * 14).astype(np.int64))
    if rows_h:
        cands.append(pd.DataFrame({"hist": np.concatenate(rows_h), "day": np.concatenate(rows_d)}))
    # 3. quote requests handed over from marketing
    leads = engagement.leads
    forms = engagement.quote_forms
    f_person = leads["person"].to_numpy()[forms["lead"].to_numpy()]
    f_day = (forms["sec"].to_numpy() // SECONDS_PER_DAY) + rng.integers(1, 6, len(forms))
    key = hist["person"].to_numpy() * 100_000 + h_from
    pos = np.searchsorted(key, f_person * 100_000 + f_day, side="right") - 1
    ok = (pos >= 0) & (hist["person"].to_numpy()[np.maximum(pos, 0)] == f_person)
    pos, f_day = pos[ok], f_day[ok]
    ok = (first_acct_day[h_company[pos]] <= f_day) & (rng.random(len(pos)) < s.lead_handoff_share)
    cands.append(pd.DataFrame({"hist": pos[ok], "day": f_day[ok]}))

    c = pd.concat(cands, ignore_index=True)
    c = c[c["day"] <= clock.end]
    c["person"] = hist["person"].to_numpy()[c["hist"]]
    c["company"] = h_company[c["hist"]]
    c["spell"] = hist["spell"].to_numpy()[c["hist"]]
    c = c.sort_values(["day", "hist"], kind="stable").drop_duplicates(["person", "spell"])
    c = c.reset_index(drop=True)
    n = len(c)
    c["sec"] = c["day"] * SECONDS_PER_DAY + business_seconds(rng, n)
    c["account"] = accounts.pick(c["company"].to_numpy(), c["day"].to_numpy(), rng.random(n),
                                 0.2)
    title0 = hist["title"].to_numpy()[c["hist"]]
    cum = np.cumsum(_ROLE_P[title0], axis=1)
    c["role"] = (rng.random(n)[:, None] * cum[:, -1:] > cum[:, :-1]).sum(axis=1)
    c = c.sort_values(["sec", "person"], kind="stable").reset_index(drop=True)
    c["contact_id"] = serial_ids("CON", np.arange(1, n + 1), 7)

    # versions: creation, then each later change in the same spell, learnt after a lag
    versions = [pd.DataFrame({"contact": np.arange(n), "hist": c["hist"], "sec": c["sec"]})]
    h_person = hist["person"].to_numpy()
    h_spell = hist["spell"].to_numpy()
    nxt = c["hist"].to_numpy() + 1
    cont = np.arange(n)
    while len(cont):
        ok = ((nxt < len(hist)) & (h_person[np.minimum(nxt, len(hist) - 1)]
                                   == c["person"].to_numpy()[cont])
              & (h_spell[np.minimum(nxt, len(hist) - 1)] == c["spell"].to_numpy()[cont]))
        cont, nxt = cont[ok], nxt[ok]
        if not len(cont):
            break
        lag = rng.geometric(1 / s.contact_update_lag_days, len(cont))
        sec = ((h_from[nxt] + lag) * SECONDS_PER_DAY + business_seconds(rng, len(cont)))
        versions.append(pd.DataFrame({"contact": cont, "hist": nxt, "sec": sec}))
        nxt = nxt + 1
    v = pd.concat(versions, ignore_index=True).sort_values(["contact", "sec"], kind="stable")
    v["sec"] = v.groupby("contact")["sec"].cummax()
    v = v.drop_duplicates(["contact", "sec"], keep="last")
    v = v[v["sec"] // SECONDS_PER_DAY <= clock.end].reset_index(drop=True)

    activities = _activities(cfg, clock, rel, accounts, c, deals, rng)
    return Sales(contacts=c, contact_versions=v, activities=activities)


def _activities(cfg: SimulationConfig, clock: Clock, rel: np.ndarray,
                accounts: AccountIndex, contacts: pd.DataFrame,
                deals: Deals, rng: np.random.Generator) -> pd.DataFrame:
    t = deals.touches
    comp = np.repeat(t["company"].to_numpy(), t["count"].to_numpy())
    day = np.repeat(t["day"].to_numpy(), t["count"].to_numpy())
    stage = np.repeat(t["stage"].to_numpy(), t["count"].to_numpy())
    cust = np.repeat(t["customer"].to_numpy(), t["count"].to_numpy())
    n = len(comp)
    # activity type by situation
    probs = np.where((stage >= 2)[:, None], [[0.35, 0.2, 0.15, 0.3]],
                     np.where((stage >= 0)[:, None], [[0.35, 0.3, 0.0, 0.35]],
                              np.where(cust[:, None], [[0.3, 0.3, 0.0, 0.4]],
                                       [[0.1, 0.45, 0.0, 0.45]])))
    cum = np.cumsum(probs, axis=1)
    type_ = (rng.random(n)[:, None] > cum[:, :-1]).sum(axis=1)
    r = rel[comp]
    u = rng.random((n, 2))
    outcome = np.full(n, OUTCOMES.index("completed"))
    meet = type_ == 0
    p_ok = 0.55 + 0.4 * r
    outcome[meet] = np.where(u[meet, 0] < p_ok[meet], 0, np.where(
        u[meet, 1] < 0.6, OUTCOMES.index("declined"), OUTCOMES.index("no_show")))
    call = type_ == 1
    inbound = u[:, 1] < cfg.sales.inbound_relationship * r
    outcome[call] = np.where(inbound[call], OUTCOMES.index("inbound"), np.where(
        u[call, 0] < 0.35 + 0.4 * r[call], 0, OUTCOMES.index("no_answer")))
    prop = type_ == 2
    outcome[prop] = np.where(u[prop, 0] < 0.25 + 0.5 * r[prop], OUTCOMES.index("accepted"),
                             np.where(u[prop, 1] < 0.5, OUTCOMES.index("declined"),
                                      OUTCOMES.index("pending")))
    mail = type_ == 3
    outcome[mail] = np.where(u[mail, 0] < 0.1 + 0.5 * r[mail], OUTCOMES.index("replied"),
                             OUTCOMES.index("sent"))
    # account, then a contact of it known by then (good relationships: more of them)
    acct = accounts.pick(comp, day, rng.random(n), 0.1)
    cs = contacts.sort_values(["account", "day", "contact_id"], kind="stable")
    c_acct = cs["account"].to_numpy()
    c_day = cs["day"].to_numpy()
    c_idx = cs.index.to_numpy()
    key = c_acct * 100_000 + c_day
    seg_start = np.searchsorted(c_acct, acct, side="left")
    seg_known = np.searchsorted(key, acct * 100_000 + day, side="right")
    known = seg_known - seg_start
    gamma = 1.0 + 3.0 * (1 - r)
    pick = seg_start + np.floor(rng.random(n) ** gamma * known).astype(np.int64)
    contact = np.where(known > 0, c_idx[np.minimum(pick, len(c_idx) - 1)], -1)
    sec = day * SECONDS_PER_DAY + business_seconds(rng, n)
    a = pd.DataFrame({"account": acct, "contact": contact, "type": type_, "sec": sec,
                      "outcome": outcome})
    a = a.sort_values(["sec", "account"], kind="stable").reset_index(drop=True)
    a["activity_id"] = serial_ids("ACT", np.arange(1, len(a) + 1), 8)
    return a
