"""Calendar of the simulated world: day numbers, JST timestamps, seasons, business days.

Days are integers (days since 1970-01-01, JST calendar); timestamps are integer seconds
since 1970-01-01 00:00 *JST wall time* (naive). The world runs from ``sim_start``
(``start`` minus the burn-in) to ``horizon_end`` (``end`` plus the horizon).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from kizuna.simulator.config import SimulationConfig

SECONDS_PER_DAY = 86_400

# Japanese holidays that move B2B behaviour most (fixed dates; close enough for a world).
_HOLIDAYS_MD = {(1, 1), (1, 2), (1, 3), (5, 3), (5, 4), (5, 5), (8, 13), (8, 14), (8, 15),
                (12, 29), (12, 30), (12, 31)}


def day_number(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def to_date(day: int) -> date:
    return np.datetime64(int(day), "D").astype(object)


@dataclass(frozen=True)
class Clock:
    """Day numbers of the world and per-day calendar attributes."""

    sim_start: int
    start: int
    end: int
    horizon_end: int
    month: np.ndarray  # 1-12, indexed by day - sim_start
    day_of_month: np.ndarray
    weekday: np.ndarray  # 0 = Monday
    business: np.ndarray  # bool: weekday and not a holiday

    @classmethod
    def from_config(cls, cfg: SimulationConfig) -> Clock:
        start, end = day_number(cfg.start), day_number(cfg.end)
        sim_start = start - cfg.burn_in_days
        horizon_end = end + cfg.horizon_days
        days = np.arange(sim_start, horizon_end + 1).astype("datetime64[D]")
        months = days.astype("datetime64[M]")
        month = (months.astype(np.int64) % 12 + 1).astype(np.int8)
        dom = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
        weekday = ((days.astype(np.int64) + 3) % 7).astype(np.int8)  # 1970-01-01 was Thursday
        holiday = np.array([(int(m), int(d)) in _HOLIDAYS_MD
                            for m, d in zip(month, dom, strict=True)])
        business = (weekday < 5) & ~holiday
        return cls(sim_start, start, end, horizon_end, month, dom.astype(np.int8), weekday,
                   business)

    def idx(self, day: int | np.ndarray) -> int | np.ndarray:
        return day - self.sim_start

    def month_of(self, day: int) -> int:
        return int(self.month[day - self.sim_start])

    def is_business(self, day: int) -> bool:
        return bool(self.business[day - self.sim_start])

    def activity_factor(self, day: int) -> float:
        """Relative B2B activity on a day: weekends and holidays are quiet."""
        return 1.0 if self.is_business(day) else 0.2

    def log_activity(self, day: int) -> float:
        return 0.0 if self.is_business(day) else float(np.log(0.2))

    def month_starts(self, first: int, last: int) -> list[int]:
        """Day numbers of the 1st of each month in [first, last]."""
        months = np.arange(np.datetime64(to_date(first), "M"), np.datetime64(to_date(last), "M")
                           + 1)
        days = months.astype("datetime64[D]").astype(np.int64)
        return [int(d) for d in days if first <= d <= last]


def business_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Times of day for office work: 09:00-19:00, most between 10 and 17."""
    hours = rng.normal(13.5, 2.3, n)
    outside = (hours < 9.0) | (hours >= 19.0)
    hours = np.where(outside, rng.uniform(9.0, 19.0, n), hours)
    return (hours * 3600).astype(np.int64)
