"""Opportunities and contracts, driven by latent fit, intent, need and relationship.

Grain: ``Deals.opportunities`` one row per opportunity; ``Deals.opp_events`` one row per
opportunity change (creation, stage move, close); ``Deals.contracts`` one row per
contract term; ``Deals.contract_events`` one row per contract status change;
``Deals.touches`` one row per account-company x day with sales touches (counts).

Mechanics (per company i, product p, day t, intent state s):

* a new opportunity for p opens with probability ``1 - exp(-lambda)`` where
  ``log lambda = A[i,p](t, owned, last loss) + B[i](s)``; ``A`` holds fit, need (with a
  threshold), relationship, cross-sell (add-ons need a platform; Pro is an upgrade of
  Core), value potential for customers, the fiscal calendar (Jan-Mar budgets, stronger
  for large companies; August and December lulls) and re-proposals after a loss (more
  likely with a good relationship); ``B = intent_effect[s] * sigmoid((fit - c) / w)``, so
  intent matters mostly for high-fit companies. Only companies with a CRM account, and
  products not owned, not under an open opportunity and not in a post-loss cooldown,
  are eligible.
* an open opportunity moves with a fixed daily rate per stage; a move advances with a
  per-opportunity probability (set at creation from fit, relationship, need and intent)
  or loses. Advancing out of negotiation wins.
* a win starts a 12-month contract; at its end the contract renews with a probability
  from relationship, value potential and need, else churns (services and a Core made
  redundant by Pro expire).

``DealRules`` holds these rules as functions of state so the truth module can run them
forward from any cutoff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kizuna.contract import OPPORTUNITY_STAGES
from kizuna.simulator.accounts import AccountIndex
from kizuna.simulator.clock import SECONDS_PER_DAY, Clock, business_seconds
from kizuna.simulator.companies import (
    ANALYTICS,
    CORE,
    INTEGRATION,
    N_PRODUCTS,
    PRO,
    PRODUCTS,
    SUPPORT,
    Companies,
    sigmoid,
)
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.intent import N_STATES, IntentPath
from kizuna.simulator.vocabulary import LOST_REASONS

STAGES = OPPORTUNITY_STAGES
WON, LOST = 4, 5
NEVER = 10**7  # a day number far in the future
LONG_AGO = -(10**7)
LIST_PRICE = np.array([p[3] for p in PRODUCTS], dtype=float)
_ADDONS = np.array([ANALYTICS, INTEGRATION, SUPPORT])


class DealRules:
    """The rules of deals as vectorised functions of (company index, state, day)."""

    def __init__(self, cfg: SimulationConfig, clock: Clock, companies: Companies,
                 account_day: np.ndarray):
        d = cfg.deals
        f = companies.frame
        self.p = d
        self.clock = clock
        fit = f["fit"].to_numpy()
        rel = f["relationship"].to_numpy()
        value = f["value"].to_numpy()
        need = companies.need
        self.fit, self.rel, self.value, self.need = fit, rel, value, need
        self.log_emp_z = f["log_emp_z"].to_numpy()
        self.employees = f["employees"].to_numpy()
        self.account_day = account_day
        self.static = (d.base_log_hazard + np.asarray(d.product_log_hazard)[None, :]
                       + d.fit_effect * (fit[:, None] - 0.5)
                       + d.need_effect * (need - 0.5)
                       + d.need_threshold_effect * (need > d.need_threshold)
                       + d.relationship_effect * (rel[:, None] - 0.5))
        gate = sigmoid((fit - d.intent_fit_gate_center) / d.intent_fit_gate_width)
        self.intent_factor = np.exp(np.asarray(d.intent_effect)[None, :] * gate[:, None])
        self.customer_term = d.value_effect_customer * (value - 0.5)
        self.reproposal_term = d.reproposal_effect + d.reproposal_relationship_effect * (rel - 0.5)
        self.renew_p = sigmoid(d.renew_intercept + d.renew_relationship * (rel[:, None] - 0.5)
                               + d.renew_value * (value[:, None] - 0.5)
                               + d.renew_need * (need - 0.5))
        self.move_rate = np.asarray(d.stage_move_rate)
        # season term per calendar month, per company (Jan-Mar stronger for large firms)
        q4 = d.fiscal_q4_effect + d.fiscal_q4_size_effect * np.clip(self.log_emp_z, -2, 2)
        self.season = np.zeros((13, len(fit)))
        for m in (1, 2, 3):
            self.season[m] = q4
        self.season[8] = d.summer_effect
        self.season[12] = d.year_end_effect

    def product_rates(self, idx: np.ndarray, owned: np.ndarray, open_: np.ndarray,
                      last_loss: np.ndarray, day: int, static: np.ndarray | None = None
                      ) -> np.ndarray:
        """exp(A) for eligible (company, product) pairs, 0 elsewhere; shape (m, products).

        ``idx`` are company indices (repeated for Monte Carlo paths); the state arrays
        have one row per entry of ``idx``. ``static`` may pass ``self.static[idx]``
        precomputed."""
        d = self.p
        month = self.clock.month_of(day)
        a = ((self.static[idx] if static is None else static)
             + (self.season[month, idx] + self.clock.log_activity(day))[:, None])
        platform = owned[:, CORE] | owned[:, PRO]
        a[:, _ADDONS] += np.where(platform, d.addon_with_platform, d.addon_without_platform)[:,
                                                                                         None]
        a[:, PRO] += np.where(owned[:, CORE], d.upgrade_from_core, 0.0)
        customer = owned.any(axis=1)
        a += np.where(customer, self.customer_term[idx], 0.0)[:, None]
        since_loss = day - last_loss
        reprop = (since_loss >= d.loss_cooldown_days) & (since_loss < d.reproposal_window_days)
        a += np.where(reprop, self.reproposal_term[idx][:, None], 0.0)
        eligible = (~owned & ~open_ & (since_loss >= d.loss_cooldown_days)
                    & (self.account_day[idx] <= day)[:, None])
        eligible[:, CORE] &= ~owned[:, PRO]
        return np.where(eligible, np.exp(a), 0.0)

    def advance_probability(self, idx: np.ndarray, product: np.ndarray,
                            state: np.ndarray) -> np.ndarray:
        """Probability that a stage move of this opportunity advances (else it is lost)."""
        d = self.p
        win = sigmoid(d.win_intercept + d.win_fit * (self.fit[idx] - 0.5)
                      + d.win_relationship * (self.rel[idx] - 0.5)
                      + d.win_need * (self.need[idx, product] - 0.5)
                      + np.asarray(d.win_intent)[state])
        return win ** (1 / 4)

    def renew_probability(self, idx: np.ndarray, product: np.ndarray,
                          owned: np.ndarray) -> np.ndarray:
        """Renewal probability at a contract's end; a Core made redundant by Pro lapses."""
        p = self.renew_p[idx, product]
        return np.where((product == CORE) & owned[:, PRO], 0.0, p)


@dataclass
class _Table:
    """Column-wise growing record table."""

    chunks: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **cols: np.ndarray | int | float) -> None:
        n = max(np.size(v) for v in cols.values())
        for k, v in cols.items():
            arr = np.asarray(v)
            self.chunks.setdefault(k, []).append(np.broadcast_to(arr, (n,)).copy()
                                                 if arr.ndim == 0 else arr)

    def frame(self, columns: list[str]) -> pd.DataFrame:
        if not self.chunks:
            return pd.DataFrame({c: [] for c in columns})
        return pd.DataFrame({k: np.concatenate(v) for k, v in self.chunks.items()})


@dataclass
class Snapshot:
    """Deal state at the end of a day (what the truth needs to look forward), one row per
    company with an account by then (``companies``), in compact types: the truth reads
    one per monthly cutoff, so at scale these are kept small."""

    day: int
    companies: np.ndarray  # company index of each row
    intent: np.ndarray
    owned: np.ndarray  # (rows, products)
    open_stage: np.ndarray  # stage of the open opportunity or -1 (int8)
    open_advance: np.ndarray  # its advance probability
    last_loss: np.ndarray  # int32 day numbers (LONG_AGO: never lost)
    contract_end: np.ndarray  # int32 day numbers (NEVER: no contract)


@dataclass
class Deals:
    opportunities: pd.DataFrame
    opp_events: pd.DataFrame
    contracts: pd.DataFrame
    contract_events: pd.DataFrame
    touches: pd.DataFrame
    customer_since: np.ndarray
    snapshots: list[Snapshot]


def simulate_deals(cfg: SimulationConfig, clock: Clock, companies: Companies,
                   rules: DealRules, intent: IntentPath, accounts: AccountIndex,
                   cutoffs: list[int],
                   rng: np.random.Generator, tick: Callable[[int, int], None] | None = None
                   ) -> Deals:
    """Run deals from the burn-in start to the horizon end.

    ``accounts`` says which account a company's deals land on."""
    d = cfg.deals
    n = companies.n
    P = N_PRODUCTS
    owned = np.zeros((n, P), dtype=bool)
    open_opp = np.full((n, P), -1, dtype=np.int64)
    last_loss = np.full((n, P), LONG_AGO, dtype=np.int64)
    contract_end = np.full((n, P), NEVER, dtype=np.int64)
    current_contract = np.full((n, P), -1, dtype=np.int64)
    customer_since = np.full(n, NEVER, dtype=np.int64)

    # opportunity store (preallocated, grown on demand)
    cap = 1024
    o = {k: np.zeros(cap, dtype=t) for k, t in (
        ("company", np.int64), ("product", np.int64), ("account", np.int64),
        ("created", np.int64), ("amount", np.int64), ("stage", np.int64),
        ("advance", float), ("expected_close", np.int64), ("intent", np.int64))}
    n_opps = 0
    opp_events = _Table()
    contracts = _Table()
    contract_events = _Table()
    touches = _Table()
    n_contracts = 0
    contract_amount = np.zeros(1024, dtype=np.int64)
    snapshots: list[Snapshot] = []
    cutoff_set = set(cutoffs)

    def new_contracts(comp: np.ndarray, prod: np.ndarray, start: np.ndarray,
                      amount: np.ndarray, created_sec: np.ndarray, status_day: np.ndarray
                      ) -> np.ndarray:
        nonlocal n_contracts, contract_amount
        k = len(comp)
        ids = np.arange(n_contracts, n_contracts + k)
        n_contracts += k
        if n_contracts > len(contract_amount):
            contract_amount = np.resize(contract_amount, max(2 * len(contract_amount),
                                                             n_contracts))
        contract_amount[ids] = amount
        acct = accounts.primary[comp]
        contracts.add(contract=ids, company=comp, product=prod, account=acct, started_on=start,
                      ended_on=start + 364, amount=amount)
        contract_events.add(contract=ids, day=status_day, sec=created_sec,
                            status=np.zeros(k, dtype=np.int64))
        return ids

    # --- customers at the start of the burn-in -------------------------------------
    acct_first = accounts.first_day
    eligible0 = acct_first <= clock.sim_start - 30
    p_cust = sigmoid(d.initial_customer_intercept + d.initial_customer_fit * (rules.fit - 0.5)
                     + d.initial_customer_value * (rules.value - 0.5)
                     + d.initial_customer_relationship * (rules.rel - 0.5))
    cust = np.flatnonzero(eligible0 & (rng.random(n) < p_cust))
    tenure = rng.uniform(30, 8 * 365, len(cust)).astype(np.int64)
    since = np.maximum(clock.sim_start - tenure, acct_first[cust] + 1)
    customer_since[cust] = since
    pro = (rules.value[cust] > 0.55) & (rng.random(len(cust)) < 0.6)
    first_prod = np.where(pro, PRO, CORE)
    own0 = np.zeros((len(cust), P), dtype=bool)
    own0[np.arange(len(cust)), first_prod] = True
    for j in (ANALYTICS, INTEGRATION, SUPPORT):
        own0[:, j] = rng.random(len(cust)) < rules.need[cust, j] * rules.value[cust] * 0.9
    ci, cj = np.nonzero(own0)
    comp0 = cust[ci]
    span = clock.sim_start - since[ci]
    offset = np.where(cj == first_prod[ci], 0, (rng.random(len(ci)) * span).astype(np.int64))
    first_start = since[ci] + offset
    terms = (clock.sim_start - first_start) // 365  # completed terms before sim_start
    amount0 = _amounts(rules, comp0, cj, rng, d.amount_noise_sd)
    for k_term in range(int(terms.max(initial=0)) + 1):
        sel = terms >= k_term
        starts = first_start[sel] + 365 * k_term
        amt = np.round(amount0[sel] * (1.03 ** k_term) / 10_000).astype(np.int64) * 10_000
        secs = business_seconds(rng, int(sel.sum()))
        ids = new_contracts(comp0[sel], cj[sel], starts, amt, starts * SECONDS_PER_DAY - 86400
                            * 20 + secs, starts - 20)
        done = terms[sel] > k_term
        contract_events.add(contract=ids[done], day=starts[done] + 364,
                            sec=(starts[done] + 364) * SECONDS_PER_DAY + secs[done],
                            status=np.ones(int(done.sum()), dtype=np.int64))
        cur = ~done
        owned[comp0[sel][cur], cj[sel][cur]] = True
        contract_end[comp0[sel][cur], cj[sel][cur]] = starts[cur] + 364
        current_contract[comp0[sel][cur], cj[sel][cur]] = ids[cur]

    # --- the day loop -------------------------------------------------------------------
    n_days = clock.horizon_end - clock.sim_start + 1
    for day, states in intent.replay():
        if tick is not None and (day - clock.sim_start) % 30 == 0:
            tick(day - clock.sim_start, n_days)
        # 1. open opportunities move
        oc, op = np.nonzero(open_opp >= 0)
        if len(oc):
            ids = open_opp[oc, op]
            stage = o["stage"][ids]
            moves = rng.random(len(ids)) < rules.move_rate[stage]
            adv = rng.random(len(ids)) < o["advance"][ids]
            mv = np.flatnonzero(moves)
            if len(mv):
                ids_m, oc_m, op_m = ids[mv], oc[mv], op[mv]
                new_stage = np.where(adv[mv], stage[mv] + 1, LOST)
                o["stage"][ids_m] = new_stage
                secs = day * SECONDS_PER_DAY + business_seconds(rng, len(mv))
                # amounts are re-estimated at proposal and discounted at negotiation
                factor = np.where(new_stage == 2, np.exp(rng.normal(0, 0.1, len(mv))),
                                  np.where(new_stage == 3, rng.uniform(0.88, 1.0, len(mv)), 1.0))
                o["amount"][ids_m] = (np.round(o["amount"][ids_m] * factor / 10_000)
                                      .astype(np.int64) * 10_000)
                slip = (new_stage < WON) & (o["expected_close"][ids_m] < day + 7)
                o["expected_close"][ids_m[slip]] = day + rng.integers(14, 46, int(slip.sum()))
                closed = new_stage >= WON
                o["expected_close"][ids_m[closed]] = day
                reason = np.full(len(mv), -1)
                lost = new_stage == LOST
                if lost.any():
                    reason[lost] = _lost_reasons(rules, oc_m[lost], op_m[lost], clock.month_of(
                        day), rng)
                opp_events.add(opp=ids_m, day=day, sec=secs, stage=new_stage,
                               amount=o["amount"][ids_m],
                               close_date=o["expected_close"][ids_m], reason=reason)
                open_opp[oc_m[closed], op_m[closed]] = -1
                last_loss[oc_m[lost], op_m[lost]] = day
                won = new_stage == WON
                if won.any():
                    wc, wp, wid = oc_m[won], op_m[won], ids_m[won]
                    start = day + rng.integers(1, 21, len(wid))
                    cids = new_contracts(wc, wp, start, o["amount"][wid], secs[won] + 3600,
                                         np.full(len(wid), day))
                    owned[wc, wp] = True
                    contract_end[wc, wp] = start + 364
                    current_contract[wc, wp] = cids
                    customer_since[wc] = np.minimum(customer_since[wc], start)
        # 2. contracts ending today renew or lapse
        ec, ep = np.nonzero(owned & (contract_end == day))
        if len(ec):
            renew = rng.random(len(ec)) < rules.renew_probability(ec, ep, owned[ec])
            secs = day * SECONDS_PER_DAY + business_seconds(rng, len(ec))
            old = current_contract[ec, ep]
            status = np.where(renew, 1, np.where((ep == SUPPORT) | (ep == CORE) & owned[ec, PRO],
                                                 3, 2))
            contract_events.add(contract=old, day=day, sec=secs, status=status)
            if renew.any():
                rc, rp = ec[renew], ep[renew]
                prev_amount = contract_amount[old[renew]].astype(float)
                amt = prev_amount * np.exp(rng.normal(0.02, d.renewal_uplift_sd, len(rc)))
                amt = np.round(amt / 10_000).astype(np.int64) * 10_000
                cids = new_contracts(rc, rp, np.full(len(rc), day + 1), amt, secs[renew] + 60,
                                     np.full(len(rc), day))
                contract_end[rc, rp] = day + 365
                current_contract[rc, rp] = cids
            lapsed = ~renew
            owned[ec[lapsed], ep[lapsed]] = False
            contract_end[ec[lapsed], ep[lapsed]] = NEVER
        # 3. new opportunities, at companies with an account (the others are not eligible:
        # their draws are made, never used)
        live = np.flatnonzero(acct_first <= day)
        u = rng.random((n, P))
        rates = rules.product_rates(live, owned[live], open_opp[live] >= 0, last_loss[live],
                                    day)
        lam = rates * rules.intent_factor[live, states[live]][:, None]
        hc, np_ = np.nonzero(u[live] < -np.expm1(-lam))
        nc = live[hc]
        if len(nc):
            k = len(nc)
            if n_opps + k > cap:
                cap = max(cap * 2, n_opps + k)
                for key in o:
                    o[key] = np.resize(o[key], cap)
            ids = np.arange(n_opps, n_opps + k)
            n_opps += k
            o["company"][ids] = nc
            o["product"][ids] = np_
            o["account"][ids] = accounts.pick(nc, day, rng.random(k), 0.15)
            o["created"][ids] = day
            o["amount"][ids] = _amounts(rules, nc, np_, rng, d.amount_noise_sd)
            o["stage"][ids] = 0
            o["advance"][ids] = rules.advance_probability(nc, np_, states[nc])
            o["intent"][ids] = states[nc]
            o["expected_close"][ids] = day + np.maximum(
                21, np.round(rng.normal(sum(1 / rules.move_rate), 15, k))).astype(np.int64)
            open_opp[nc, np_] = ids
            opp_events.add(opp=ids, day=day,
                           sec=day * SECONDS_PER_DAY + business_seconds(rng, k),
                           stage=np.zeros(k, dtype=np.int64), amount=o["amount"][ids],
                           close_date=o["expected_close"][ids], reason=np.full(k, -1))
        # 4. sales touches (only what will be delivered)
        if clock.start <= day <= clock.end:
            has_acct = acct_first <= day
            n_open = (open_opp >= 0).sum(axis=1)
            is_cust = np.any(owned, axis=1)
            lam_t = np.where(has_acct, np.where(is_cust, cfg.sales.activity_rate_customer,
                                                cfg.sales.activity_rate_prospect)
                             + n_open * cfg.sales.activity_rate_open_opportunity, 0.0)
            lam_t *= clock.activity_factor(day)
            cnt = rng.poisson(lam_t)
            tc = np.flatnonzero(cnt)
            if len(tc):
                stage_max = np.where(open_opp[tc] >= 0, o["stage"][np.maximum(open_opp[tc], 0)],
                                     -1).max(axis=1)
                touches.add(company=tc, day=day, count=cnt[tc], stage=stage_max,
                            customer=is_cust[tc])
        if day in cutoff_set:
            rows = np.flatnonzero(acct_first <= day)
            oo = open_opp[rows]
            ostage = np.where(oo >= 0, o["stage"][np.maximum(oo, 0)], -1).astype(np.int8)
            oadv = np.where(oo >= 0, o["advance"][np.maximum(oo, 0)], 0.0)
            snapshots.append(Snapshot(day, rows, states[rows], owned[rows], ostage, oadv,
                                      last_loss[rows].astype(np.int32),
                                      contract_end[rows].astype(np.int32)))

    opps = pd.DataFrame({k: v[:n_opps] for k, v in o.items()})
    opps.index.name = "opp"
    return Deals(
        opportunities=opps.drop(columns=["stage", "expected_close"]),
        opp_events=opp_events.frame(["opp", "day", "sec", "stage", "amount", "close_date",
                                     "reason"]),
        contracts=contracts.frame(["contract", "company", "product", "account", "started_on",
                                   "ended_on", "amount"]),
        contract_events=contract_events.frame(["contract", "day", "sec", "status"]),
        touches=touches.frame(["company", "day", "count", "stage", "customer"]),
        customer_since=customer_since,
        snapshots=snapshots,
    )


def _amounts(rules: DealRules, comp: np.ndarray, prod: np.ndarray, rng: np.random.Generator,
             noise_sd: float) -> np.ndarray:
    d = rules.p
    size = (rules.employees[comp] / d.size_ref) ** d.size_elasticity
    amount = (LIST_PRICE[prod] * size * (0.5 + rules.value[comp])
              * np.exp(rng.normal(0, noise_sd, len(comp))))
    return np.maximum(10_000, np.round(amount / 10_000) * 10_000).astype(np.int64)


def _lost_reasons(rules: DealRules, comp: np.ndarray, prod: np.ndarray, month: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Index into LOST_REASONS, weighted by what explains a loss at this company."""
    w = np.stack([
        1.0 + 2.0 * (1 - rules.value[comp]),  # 価格
        np.full(len(comp), 1.5),  # 競合
        1.0 + 2.0 * (1 - rules.need[comp, prod]),  # 時期尚早
        np.full(len(comp), 1.8 if month in (4, 5, 6) else 0.6),  # 予算凍結
        0.5 + 2.5 * (1 - rules.fit[comp]),  # 機能不足
    ], axis=1)
    assert w.shape[1] == len(LOST_REASONS)
    cum = np.cumsum(w, axis=1)
    u = rng.random(len(comp)) * cum[:, -1]
    return (u[:, None] > cum[:, :-1]).sum(axis=1)


N_INTENT_STATES = N_STATES
