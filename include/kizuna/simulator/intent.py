"""Latent buying intent: a Markov chain per company over (dormant, researching, in_market).

The state moves once a day with a transition matrix that depends on the company's fit and
the season (research starts more often in Oct-Feb, when next fiscal year's budget is
planned). The chain is exogenous: nothing else in the world changes it, which is what
lets the truth compute opportunity probabilities exactly from the state at a cutoff.

Grain of ``IntentPath``: one initial state per company plus one row per state change
(day, company, new state).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kizuna.simulator.clock import Clock
from kizuna.simulator.config import IntentParams

DORMANT, RESEARCHING, IN_MARKET = 0, 1, 2
N_STATES = 3
_AUTUMN = np.array([m in (10, 11, 12, 1, 2) for m in range(1, 13)])


def transition_matrices(p: IntentParams, fit: np.ndarray, month: int) -> np.ndarray:
    """Daily transition matrices, shape (n, 3, 3): row = today's state, column = tomorrow's.

    ``month`` is the month of the day being moved *into*."""
    n = len(fit)
    enter = p.enter_research * np.exp(p.enter_research_fit * (fit - 0.5))
    if _AUTUMN[month - 1]:
        enter = enter * p.autumn_research_boost
    m = np.zeros((n, N_STATES, N_STATES))
    m[:, DORMANT, RESEARCHING] = np.minimum(enter, 0.5)
    m[:, DORMANT, IN_MARKET] = p.jump_in_market
    m[:, RESEARCHING, IN_MARKET] = p.research_to_market * (0.5 + fit)
    m[:, RESEARCHING, DORMANT] = p.research_to_dormant
    m[:, IN_MARKET, DORMANT] = p.market_to_dormant
    m[:, IN_MARKET, RESEARCHING] = p.market_to_research
    for s in range(N_STATES):
        m[:, s, s] = 1.0 - m[:, s, :].sum(axis=1)
    return m


def stationary_guess(p: IntentParams, fit: np.ndarray) -> np.ndarray:
    """Approximate stationary distribution (n, 3), for the state at the start of the world."""
    m = transition_matrices(p, fit, 6)
    dist = np.tile(np.array([1.0, 0.0, 0.0]), (len(fit), 1))
    for _ in range(400):
        dist = np.einsum("ns,nst->nt", dist, m)
    return dist


def step(states: np.ndarray, matrices: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Next states given today's, the matrices and one uniform number per company."""
    return step_cumulative(states, np.cumsum(matrices, axis=2)[:, :, :-1], u)


def step_cumulative(states: np.ndarray, cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``step`` given the matrices' cumulative rows without their last column."""
    thresholds = cumulative[np.arange(len(states)), states]
    return (u[:, None] > thresholds).sum(axis=1).astype(np.int8)


@dataclass
class IntentPath:
    """The realised intent of every company on every day of the world."""

    initial: np.ndarray  # states on clock.sim_start
    change_day: np.ndarray
    change_company: np.ndarray
    change_state: np.ndarray
    first_day: int
    last_day: int

    def replay(self) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (day, states) for each day; ``states`` is reused, copy it to keep it."""
        states = self.initial.copy()
        bounds = np.searchsorted(self.change_day, np.arange(self.first_day, self.last_day + 2))
        for k, day in enumerate(range(self.first_day, self.last_day + 1)):
            lo, hi = bounds[k], bounds[k + 1]
            states[self.change_company[lo:hi]] = self.change_state[lo:hi]
            yield day, states


def simulate_intent(p: IntentParams, clock: Clock, fit: np.ndarray,
                    rng: np.random.Generator) -> IntentPath:
    n = len(fit)
    init_dist = stationary_guess(p, fit)
    states = (rng.random(n)[:, None] > np.cumsum(init_dist, axis=1)[:, :-1]).sum(axis=1)
    states = states.astype(np.int8)
    initial = states.copy()
    days, comps, news = [], [], []
    month, cumulative = 0, np.zeros((n, N_STATES, N_STATES - 1))
    for day in range(clock.sim_start + 1, clock.horizon_end + 1):
        if clock.month_of(day) != month:  # one month's matrices at a time
            month = clock.month_of(day)
            cumulative = np.cumsum(transition_matrices(p, fit, month), axis=2)[:, :, :-1]
        nxt = step_cumulative(states, cumulative, rng.random(n))
        changed = np.flatnonzero(nxt != states)
        if len(changed):
            days.append(np.full(len(changed), day, dtype=np.int64))
            comps.append(changed)
            news.append(nxt[changed])
        states = nxt
    def cat(xs: list[np.ndarray], dt: type) -> np.ndarray:
        return np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)

    return IntentPath(initial, cat(days, np.int64), cat(comps, np.int64), cat(news, np.int8),
                      clock.sim_start, clock.horizon_end)
