"""CRM accounts: which companies sales knows, the names it typed, and how records change.

Grain: ``Accounts.frame`` one row per account (account_id, company, created day, the
typed name and other typed fields); ``account_versions`` one row per delivered version
(owner changes, corporate number filled in later, ABM tier reviews each April).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kizuna.contract import ABM_TIERS
from kizuna.simulator.clock import SECONDS_PER_DAY, Clock, business_seconds
from kizuna.simulator.companies import Companies
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.names import account_name_variants, cp932_safe, serial_ids
from kizuna.simulator.vocabulary import DIVISIONS, GIVEN_NAMES, SALES_REPS, SURNAMES

TIERS = ABM_TIERS


@dataclass
class Accounts:
    """``frame`` columns: account_id, company, created (day), created_sec, name,
    corporate_number (as typed, may be empty or mistyped), corporate_number_later (filled
    in on ``cn_fill_day``), domain, industry, owner (rep index), duplicate (bool)."""

    frame: pd.DataFrame
    reps: tuple[str, ...]

    def index(self, n_companies: int) -> AccountIndex:
        """Per company: its first account and its duplicate account (if any)."""
        f = self.frame
        dup = f["duplicate"].to_numpy()
        comp = f["company"].to_numpy()
        created = f["created"].to_numpy()
        primary = np.full(n_companies, -1, dtype=np.int64)
        second = np.full(n_companies, -1, dtype=np.int64)
        primary[comp[~dup]] = np.flatnonzero(~dup)
        second[comp[dup]] = np.flatnonzero(dup)
        never = np.iinfo(np.int64).max // 4
        first_day = np.where(primary >= 0, created[np.maximum(primary, 0)], never)
        second_day = np.where(second >= 0, created[np.maximum(second, 0)], never)
        return AccountIndex(primary, first_day, second, second_day)


@dataclass
class AccountIndex:
    """Which account a company's records land on: the first one, sometimes the duplicate."""

    primary: np.ndarray  # account row per company, -1 if none
    first_day: np.ndarray  # its creation day (a far-future day if none)
    second: np.ndarray  # the duplicate account row, -1 if none
    second_day: np.ndarray

    def pick(self, comp: np.ndarray, day: np.ndarray | int, u: np.ndarray,
             share: float) -> np.ndarray:
        """The account of each record: the duplicate (when it exists by ``day``) for a
        ``share`` of records, else the first account."""
        use_second = (self.second[comp] >= 0) & (self.second_day[comp] <= day) & (u < share)
        return np.where(use_second, self.second[comp], self.primary[comp])


def _rep_names(n: int) -> tuple[str, ...]:
    if n <= len(SALES_REPS):
        return SALES_REPS[:n]
    names = list(SALES_REPS)
    seen = set(names)
    n_s, n_g = len(SURNAMES), len(GIVEN_NAMES)
    # (k % n_s, 7k % n_g) repeats after `period` names: shift the given name once per
    # period so every pair comes up, then number the names (a few 100,000s of accounts)
    period = math.lcm(n_s, n_g // math.gcd(7, n_g))
    k = 0
    while len(names) < n:
        cycle = k // period
        s, g = SURNAMES[k % n_s][0], GIVEN_NAMES[(k * 7 + cycle) % n_g][0]
        name = f"{s} {g}" + (f" {cycle // n_g + 1}" if cycle >= n_g else "")
        if name not in seen:
            names.append(name)
            seen.add(name)
        k += 1
    return tuple(names)


def build_accounts(cfg: SimulationConfig, clock: Clock, companies: Companies,
                   rng: np.random.Generator) -> Accounts:
    p = cfg.accounts
    f = companies.frame
    n_dup = round(cfg.n_accounts * p.duplicate_share)
    n_unique = min(cfg.n_accounts - n_dup, companies.n)
    # sales knows larger and better-fitting companies
    w = f["employees"].to_numpy() ** 0.5 * (0.3 + f["fit"].to_numpy())
    chosen = rng.choice(companies.n, n_unique, replace=False, p=w / w.sum())
    is_new = rng.random(n_unique) < p.new_account_share
    created = np.where(is_new, rng.integers(clock.start, clock.end + 1, n_unique),
                       clock.start - rng.integers(1, 10 * 365, n_unique))
    dup_of = rng.choice(n_unique, n_dup, replace=False)
    dup_created = created[dup_of] + (rng.random(n_dup) * (clock.end - created[dup_of])).astype(
        np.int64) + 1
    company = np.concatenate([chosen, chosen[dup_of]])
    created = np.concatenate([created, dup_created])
    duplicate = np.concatenate([np.zeros(n_unique, bool), np.ones(n_dup, bool)])
    n = len(company)
    order = np.lexsort((company, created))
    company, created, duplicate = company[order], created[order], duplicate[order]

    fc = f.iloc[company]
    names = account_name_variants(
        fc["core"].tolist(), fc["legal"].tolist(), fc["legal_first"].to_numpy(),
        fc["romaji"].tolist(), rng, p.typo_rate, p.english_name_rate)
    names = [cp932_safe(x) for x in names]

    numbers = fc["corporate_number"].to_numpy().astype(object)
    u = rng.random((n, 3))
    filled = u[:, 0] < p.corporate_number_share
    typo = filled & (u[:, 1] < p.corporate_number_typo_share)
    typed_cn = np.where(filled, numbers, "").astype(object)
    for k in np.flatnonzero(typo):
        wrong = (int(numbers[k][0]) + 1 + int(u[k, 2] * 7)) % 9 + 1  # another check digit
        typed_cn[k] = f"{wrong}{numbers[k][1:]}"
    # some empty numbers are filled in later by data cleansing
    later = ~filled & (rng.random(n) < 0.12)
    cn_fill_day = np.where(later, rng.integers(clock.start, clock.end + 1, n), -1)
    cn_fill_day = np.where(later, np.maximum(cn_fill_day, created + 1), -1)

    domains = fc["domain"].to_numpy().astype(object)
    u = rng.random((n, 3))
    dom = np.where((u[:, 0] < p.domain_share) & (domains != ""), domains, "").astype(object)
    for k in np.flatnonzero((dom != "") & (u[:, 1] < p.domain_url_share)):
        r = u[k, 2]
        dom[k] = (f"www.{dom[k]}" if r < 0.4 else f"https://www.{dom[k]}/" if r < 0.75
                  else f"http://{dom[k]}" if r < 0.9 else dom[k].upper())

    div = fc["division"].to_numpy()
    u_ind = rng.random(n)
    industry = [DIVISIONS[d][0][int(x * len(DIVISIONS[d][0]))] for d, x in zip(div, u_ind,
                                                                               strict=True)]
    reps = _rep_names(max(3, int(np.ceil(n / p.accounts_per_rep))))
    owner = rng.integers(len(reps), size=n)
    frame = pd.DataFrame({
        "account_id": serial_ids("ACC", np.arange(1, n + 1), 6), "company": company,
        "created": created, "created_sec": created * SECONDS_PER_DAY + business_seconds(rng, n),
        "name": names, "corporate_number": typed_cn, "cn_fill_day": cn_fill_day,
        "domain": dom, "industry": industry, "owner": owner, "duplicate": duplicate,
    })
    return Accounts(frame=frame, reps=reps)


def account_versions(cfg: SimulationConfig, clock: Clock, companies: Companies,
                     accounts: Accounts, is_customer_on: Callable[[int], np.ndarray],
                     acv_on: Callable[[int], np.ndarray], rng: np.random.Generator
                     ) -> pd.DataFrame:
    """One row per account version: account (row), day, sec, owner, tier (-1 none),
    cn_filled (bool). Versions before ``start`` are later collapsed by the writer."""
    p = cfg.accounts
    a = accounts.frame
    n = len(a)
    f = companies.frame
    comp = a["company"].to_numpy()
    created = a["created"].to_numpy()
    events = [pd.DataFrame({"account": np.arange(n), "day": created,
                            "sec": a["created_sec"].to_numpy(), "kind": 0})]
    # owner reassignments
    span_days = clock.end - created
    k_own = rng.poisson(p.owner_change_rate_per_year * np.maximum(span_days, 0) / 365)
    rows = np.repeat(np.arange(n), k_own)
    days = created[rows] + (rng.random(len(rows)) * span_days[rows]).astype(np.int64) + 1
    events.append(pd.DataFrame({"account": rows, "day": days, "sec": 0, "kind": 1,
                                "new_owner": rng.integers(len(accounts.reps), size=len(rows))}))
    fill = a["cn_fill_day"].to_numpy()
    rows = np.flatnonzero(fill >= 0)
    events.append(pd.DataFrame({"account": rows, "day": fill[rows], "sec": 0, "kind": 2}))
    # ABM tier reviews: at start (the current tiers) and each April 1st
    reviews = [d for d in clock.month_starts(clock.start - 366, clock.end)
               if clock.month_of(d) == 4]
    judged = f["log_emp_z"].to_numpy()[comp] * 0.8 + np.log(f["fit"].to_numpy()[comp]) * 0.5
    shares = np.cumsum(p.tier_shares)
    for day in reviews:
        live = np.flatnonzero((created <= day) & ~a["duplicate"].to_numpy())
        acv = acv_on(day)[comp[live]]
        score = (judged[live] + 1.0 * is_customer_on(day)[comp[live]]
                 + 0.5 * np.log1p(acv / 1e6) + rng.normal(0, p.tier_judgement_noise_sd,
                                                          len(live)))
        rank = np.argsort(np.argsort(-score)) / max(len(live), 1)
        tier = np.searchsorted(shares, rank, side="right")
        tier = np.where(tier < 3, tier, -1)
        events.append(pd.DataFrame({"account": live, "day": day, "sec": 0, "kind": 3,
                                    "new_tier": tier}))
    ev = pd.concat(events, ignore_index=True)
    ev = ev[ev["day"] >= ev["account"].map(pd.Series(created))].copy()
    ev.loc[ev["sec"] == 0, "sec"] = (ev.loc[ev["sec"] == 0, "day"] * SECONDS_PER_DAY
                                     + business_seconds(rng, int((ev["sec"] == 0).sum())))
    # a change never precedes the record's creation
    ev["sec"] = np.maximum(ev["sec"], a["created_sec"].to_numpy()[ev["account"]]
                           + 60 * ev["kind"])
    ev = ev.sort_values(["account", "sec", "kind"], kind="stable").reset_index(drop=True)
    ev["owner"] = np.where(ev["kind"] == 0, a["owner"].to_numpy()[ev["account"]],
                           ev["new_owner"])
    ev["owner"] = ev.groupby("account")["owner"].ffill().astype(np.int64)
    ev["tier"] = ev.groupby("account")["new_tier"].ffill().fillna(-1).astype(np.int64)
    ev["cn_filled"] = (ev["kind"] == 2).astype(np.int64)
    ev["cn_filled"] = ev.groupby("account")["cn_filled"].cummax().astype(bool)
    # drop versions that change nothing delivered (a review that keeps the tier)
    key = ev[["owner", "tier", "cn_filled"]].to_numpy()
    acc = ev["account"].to_numpy()
    same = np.concatenate([[False], (acc[1:] == acc[:-1]) & (key[1:] == key[:-1]).all(axis=1)])
    ev = ev[~same]
    return ev[["account", "day", "sec", "owner", "tier", "cn_filled"]].reset_index(drop=True)
