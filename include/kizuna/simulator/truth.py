"""Ground truth: what really happened and what was really likely, for checking models.

Grain of each file is in ``TRUTH_README`` (written to ``truth/README.md``).

``p_opportunity_90d`` is the probability that a company gets at least one new
opportunity in the 90 days after a cutoff, given the world's state at the end of the
cutoff day and nothing later. It is computed by forward recursion, not by peeking:

* The company's intent is a Markov chain; ``alpha[s]`` holds P(intent = s and no new
  opportunity so far). Each day ``alpha <- alpha @ M(t)`` (the day's transition
  matrices), then ``alpha[s] *= exp(-sum_p lambda[p](t, s))`` (survival of the day's
  opportunity hazard in state s). So intent is integrated out exactly.
* The hazard also depends on deal state that can change within the window without a
  new opportunity: open opportunities move through stages and close (a win makes a
  product owned, which opens cross-sell; a loss starts a cooldown), and contracts
  renew or lapse. For companies where none of that can happen in the window the
  recursion above is exact. For the others it is averaged over ``mc_samples`` Monte
  Carlo paths of those deal events, drawn from the same rules as the world, with fresh
  randomness (never the world's own draws): a Rao-Blackwellised Monte Carlo whose only
  noise comes from those paths.
* ``p = 1 - mean over paths of sum_s alpha[s]`` after 90 days.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from kizuna.simulator.clock import Clock
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.deals import LOST, NEVER, WON, DealRules, Snapshot
from kizuna.simulator.intent import N_STATES, transition_matrices

# Monte Carlo paths run at once (about 1 kB each). A fixed number, so the blocks, and
# with them the fresh draws of each path, depend on the world only.
MAX_PATHS = 1_000_000


def propensity_at(cfg: SimulationConfig, clock: Clock, rules: DealRules, snap: Snapshot,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(company indices with an account at the cutoff, P(new opportunity in window))."""
    c = snap.day
    window = cfg.truth.window_days
    comp = snap.companies
    ends_in_window = snap.owned & (snap.contract_end > c) & (snap.contract_end <= c + window)
    uncertain = (snap.open_stage >= 0).any(axis=1) | ends_in_window.any(axis=1)
    reps = np.where(uncertain, cfg.truth.mc_samples, 1)
    p = np.empty(len(comp))
    for lo, hi in _blocks(reps, MAX_PATHS):
        p[lo:hi] = _propensity_paths(cfg, clock, rules, snap, np.arange(lo, hi), reps[lo:hi],
                                     rng)
    return comp, p


def _blocks(reps: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Consecutive row ranges holding at most ``limit`` paths (at least one row each)."""
    cum = np.cumsum(reps)
    out, lo = [], 0
    while lo < len(reps):
        done = int(cum[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(cum, done + limit, side="right")))
        out.append((lo, hi))
        lo = hi
    return out


def _propensity_paths(cfg: SimulationConfig, clock: Clock, rules: DealRules, snap: Snapshot,
                      rows: np.ndarray, reps: np.ndarray, rng: np.random.Generator
                      ) -> np.ndarray:
    """P(new opportunity in window) for snapshot ``rows``, each averaged over ``reps``
    paths."""
    c = snap.day
    window = cfg.truth.window_days
    comp = snap.companies[rows]
    pos = np.repeat(np.arange(len(rows)), reps)
    at = rows[pos]  # snapshot row of each path
    idx = comp[pos]
    m = len(idx)
    owned = snap.owned[at]
    stage = snap.open_stage[at].astype(np.int64)
    adv = snap.open_advance[at]
    last_loss = snap.last_loss[at].astype(np.int64)
    cend = snap.contract_end[at].astype(np.int64)
    # states x paths: each state's probabilities contiguous, updated in place
    alpha = np.zeros((N_STATES, m))
    alpha[snap.intent[at], np.arange(m)] = 1.0
    moved = np.empty_like(alpha)
    scratch = np.empty(m)
    intent_factor = np.ascontiguousarray(rules.intent_factor[idx].T)
    static = rules.static[idx]
    fit = rules.fit[comp]
    # contract ends inside the window are known at the cutoff; bucket them by day
    ei, ep = np.nonzero(owned & (cend > c) & (cend <= c + window))
    end_day = cend[ei, ep]
    order = np.argsort(end_day, kind="stable")
    ei, ep, end_day = ei[order], ep[order], end_day[order]
    oi, op = np.nonzero(stage >= 0)  # open opportunities, shrinking as they close
    # the hazard of a path changes only when its state does, when a cooldown or
    # re-proposal window ends, or when the month (season) changes: cache it
    d = rules.p
    boundary: dict[int, list[np.ndarray]] = {}

    def mark(rows: np.ndarray, days: np.ndarray) -> None:
        for day in np.unique(days):
            boundary.setdefault(int(day), []).append(rows[days == day])

    since = c - last_loss
    for lag in (d.loss_cooldown_days, d.reproposal_window_days):
        bi, bp = np.nonzero((since < lag) & (since + window >= lag))
        mark(bi, last_loss[bi, bp] + lag)
    mats: dict[int, list[list[np.ndarray]]] = {}  # this month's only: t only moves on
    base = np.zeros(m)
    survive: dict[float, np.ndarray] = {}
    rate_month = -1
    for t in range(c + 1, c + window + 1):
        month = clock.month_of(t)
        if month not in mats:
            mats.clear()
            mat = transition_matrices(cfg.intent, fit, month)
            mats[month] = [[np.ascontiguousarray(mat[pos, s, u]) for u in range(N_STATES)]
                           for s in range(N_STATES)]
            del mat
        # intent moves (exact, integrated out): alpha <- alpha @ M, per path
        _propagate(alpha, mats[month], moved, scratch)
        alpha, moved = moved, alpha
        dirty: list[np.ndarray] = boundary.pop(t, [])
        # open opportunities move (sampled)
        if len(oi):
            st = stage[oi, op]
            moves = rng.random(len(oi)) < rules.move_rate[st]
            advance = rng.random(len(oi)) < adv[oi, op]
            new = np.where(advance, st + 1, LOST)
            mv = np.flatnonzero(moves)
            mi, mp, new = oi[mv], op[mv], new[mv]
            stage[mi, mp] = np.where(new >= WON, -1, new)
            won = new == WON
            owned[mi[won], mp[won]] = True
            cend[mi[won], mp[won]] = NEVER  # a new 12-month term ends after the window
            lost = new == LOST
            last_loss[mi[lost], mp[lost]] = t
            mark(mi[lost], np.full(int(lost.sum()), t + d.loss_cooldown_days))
            keep = np.ones(len(oi), dtype=bool)
            keep[mv[new >= WON]] = False
            oi, op = oi[keep], op[keep]
            dirty.append(mi[new >= WON])
        # contracts ending today renew or lapse (sampled)
        lo, hi = np.searchsorted(end_day, [t, t + 1])
        if hi > lo:
            ti, tp = ei[lo:hi], ep[lo:hi]
            live = owned[ti, tp] & (cend[ti, tp] == t)
            ti, tp = ti[live], tp[live]
            renew = rng.random(len(ti)) < rules.renew_probability(idx[ti], tp, owned[ti])
            cend[ti[renew], tp[renew]] = t + 365
            owned[ti[~renew], tp[~renew]] = False
            cend[ti[~renew], tp[~renew]] = NEVER
            dirty.append(ti[~renew])
        # hazard without the day's calendar factor (weekends are quiet), per path
        cal = clock.log_activity(t)
        if month != rate_month:
            base = rules.product_rates(idx, owned, stage >= 0, last_loss, t, static).sum(
                axis=1) * np.exp(-cal)
            survive = {}
            rate_month = month
        elif dirty:
            rows = np.unique(np.concatenate(dirty))
            if len(rows):
                base[rows] = rules.product_rates(idx[rows], owned[rows], stage[rows] >= 0,
                                                 last_loss[rows], t, static[rows]).sum(
                    axis=1) * np.exp(-cal)
                for c_val, arr in survive.items():
                    arr[:, rows] = np.exp(-(base[rows] * np.exp(c_val))[None, :]
                                          * intent_factor[:, rows])
        if cal not in survive:
            survive[cal] = np.exp(-(base * np.exp(cal))[None, :] * intent_factor)
        alpha *= survive[cal]
    p_path = 1.0 - alpha.sum(axis=0)
    return np.bincount(pos, weights=p_path, minlength=len(comp)) / reps


def _propagate(alpha: np.ndarray, mat: list[list[np.ndarray]], out: np.ndarray,
               scratch: np.ndarray) -> None:
    """out <- alpha @ M for each path (states x paths); ``mat[s][u]`` holds M[s, u] of
    every path. In place: at scale, fresh temporaries cost more than the arithmetic."""
    for u in range(N_STATES):
        np.multiply(alpha[0], mat[0][u], out=out[u])
        np.multiply(alpha[1], mat[1][u], out=scratch)
        out[u] += scratch
        np.multiply(alpha[2], mat[2][u], out=scratch)
        out[u] += scratch


def propensity_table(cfg: SimulationConfig, clock: Clock, rules: DealRules,
                     snapshots: list[Snapshot], opp_company: np.ndarray, opp_day: np.ndarray,
                     corporate_numbers: np.ndarray, rng: np.random.Generator,
                     tick: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per company with an account x monthly cutoff."""
    window = cfg.truth.window_days
    frames = []
    order = np.lexsort((opp_day, opp_company))
    oc, od = opp_company[order], opp_day[order]
    for k, snap in enumerate(snapshots):
        if tick is not None:
            tick(k, len(snapshots))
        comp, p = propensity_at(cfg, clock, rules, snap, rng)
        in_window = (od > snap.day) & (od <= snap.day + window)
        had = np.zeros(len(corporate_numbers), dtype=bool)
        had[oc[in_window]] = True
        frames.append(pd.DataFrame({
            "corporate_number": corporate_numbers[comp],
            "cutoff_date": str(np.datetime64(snap.day, "D")),
            "p_opportunity_90d": np.round(p, 6),
            "had_opportunity_90d": had[comp],
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["corporate_number", "cutoff_date", "p_opportunity_90d", "had_opportunity_90d"])


def cutoff_days(cfg: SimulationConfig, clock: Clock) -> list[int]:
    """The 1st of each month from start + first_cutoff_after_days to end."""
    return clock.month_starts(clock.start + cfg.truth.first_cutoff_after_days, clock.end)


TRUTH_README = """# Truth of the simulated world

These files describe what really happened in the simulated world and what was really
likely. No pipeline loads them; they exist so anyone can check identity resolution,
effective dating, scores and models against reality. CSV, UTF-8, one header row;
booleans are `true` / `false`, dates `YYYY-MM-DD`, empty means none.

The world keeps running {horizon} days past the last landing date (`{end}`): what
happens then (opportunities, wins) exists only here.

## companies.csv — one row per company in the company database
- `corporate_number`: 法人番号 (13 digits, valid check digit).
- `is_customer`: holds at least one contract in force on `{end}`.
- `is_good_customer` (優良顧客): a customer on `{end}` whose contracts in force add up to
  at least {acv:,} JPY a year and who has been a customer for at least {tenure} days.
- `is_potential_good`: not a good customer, but with the latent profile of one: value
  potential >= {v}, relationship quality >= {r} and fit >= {f}. These are the
  ordinary customers and prospects a lookalike / cross-sell model should find.
- `fit` (0-1): latent fit with the product, mostly explained by industry, size and
  growth, plus noise.
- `relationship_quality` (0-1): latent quality of the relationship with the vendor
  (drives meeting acceptance, multithreading, re-proposals after a loss, renewals).

## lead_company.csv — one row per MA lead and per CRM contact
- `record_type`: `ma_lead` or `crm_contact`; `record_id`: lead_id or contact_id.
- `person_id`: the real person behind the record (several records can share one).
- `corporate_number`: the company the person worked at when the record was last
  written (for a lead: when it was created; for a contact: the account's company).
  Empty for people with no company (students, freelancers).

## account_company.csv — one row per CRM account
- `account_id`, `corporate_number`: the company the account really is (duplicate
  accounts map to the same company).

## contact_history.csv — one row per person x interval
- `person_id`, `corporate_number`, `department`, `title`: what was true in the interval.
- `valid_from`, `valid_to`: half-open `[valid_from, valid_to)`; `valid_to` of one row is
  the `valid_from` of the person's next row; `valid_to` is empty for the row current on
  `{end}`. People with no company have no rows.

## propensity.csv — one row per company with a CRM account x monthly cutoff
- `cutoff_date`: the 1st of each month from start + {first} days to `{end}`.
- `p_opportunity_90d`: probability of at least one new opportunity created in
  `(cutoff, cutoff + {window} days]`, given the world's state at the end of the cutoff
  day and nothing later. Computed by forward recursion over the latent intent Markov
  chain (exact), with the deal events that can change eligibility inside the window
  (open opportunities closing, contracts renewing) averaged over {mc} Monte Carlo
  paths drawn from the world's rules with fresh randomness. This is the oracle: the
  best any model could do; its ROC AUC against `had_opportunity_90d` is the ceiling.
- `had_opportunity_90d`: whether a new opportunity was in fact created in the window.

## product_needs.csv — one row per company x product
- `need` (0-1): latent need for the product (industry, size, noise).
- `buys_next_180d`: an opportunity for the product was won in the {buys} days after
  `{end}`.
"""
