"""People: who works where, with which department and title, over time; their addresses.

Grain: ``People.persons`` one row per person (person_id, name, interest, private e-mail);
``People.history`` one row per person x interval of unchanged (company, department,
title), half-open [valid_from, valid_to) in days (valid_to = NEVER while current);
``People.spells`` one row per person x employer (with the business e-mail used there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kizuna.simulator.clock import Clock
from kizuna.simulator.companies import Companies
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.deals import NEVER
from kizuna.simulator.names import email_local_parts, serial_ids
from kizuna.simulator.vocabulary import (
    CARRIER_MAIL_DOMAINS,
    DEPARTMENTS,
    FREE_MAIL_DOMAINS,
    GIVEN_NAMES,
    SURNAMES,
    TITLES,
)

_INIT, _PROMOTION, _TRANSFER, _MOVE = 0, 1, 2, 3
DEPT_NAMES = tuple(d[0] for d in DEPARTMENTS)
TITLE_NAMES = tuple(t[0] for t in TITLES)


@dataclass
class People:
    persons: pd.DataFrame  # person, person_id, surname, given, surname_romaji,
    # given_romaji, interest, private_email, individual
    history: pd.DataFrame  # person, company, department, title, valid_from, valid_to, spell
    spells: pd.DataFrame  # person, spell, company, start, end, email

    def state_on(self, day: int) -> pd.DataFrame:
        """Rows of ``history`` valid on ``day`` (one per employed person)."""
        h = self.history
        return h[(h["valid_from"] <= day) & (h["valid_to"] > day)]


def build_people(cfg: SimulationConfig, clock: Clock, companies: Companies,
                 rng: np.random.Generator) -> People:
    p = cfg.people
    f = companies.frame
    n_comp = companies.n
    emp = f["employees"].to_numpy()
    per_company = 1 + rng.poisson(p.persons_per_log_employee * np.log1p(emp / 10))
    company0 = np.repeat(np.arange(n_comp), per_company)
    n_indiv = round(p.individual_share * len(company0))
    company0 = np.concatenate([company0, np.full(n_indiv, -1)])
    n = len(company0)

    zipf = 1 / np.arange(1, len(SURNAMES) + 1) ** 0.7
    surname = rng.choice(len(SURNAMES), n, p=zipf / zipf.sum())
    given = rng.integers(len(GIVEN_NAMES), size=n)
    dept_w = np.array([d[1] for d in DEPARTMENTS])
    title_w = np.array([t[1] for t in TITLES])
    dept0 = rng.choice(len(DEPARTMENTS), n, p=dept_w / dept_w.sum())
    title0 = rng.choice(len(TITLES), n, p=title_w / title_w.sum())
    relevance = np.array([d[2] for d in DEPARTMENTS])
    interest = np.exp(rng.normal(-p.interest_sd**2 / 2, p.interest_sd, n)) * relevance[dept0]
    private_domains = FREE_MAIL_DOMAINS + CARRIER_MAIL_DOMAINS
    dom_w = np.array([p.free_mail_share / len(FREE_MAIL_DOMAINS)] * len(FREE_MAIL_DOMAINS)
                     + [p.carrier_mail_share / len(CARRIER_MAIL_DOMAINS)]
                     * len(CARRIER_MAIL_DOMAINS))
    private_dom = rng.choice(len(private_domains), n, p=dom_w / dom_w.sum())
    s_rom = np.array([SURNAMES[i][1] for i in surname], dtype=object)
    g_rom = np.array([GIVEN_NAMES[i][1] for i in given], dtype=object)
    digits = rng.integers(1, 99, n)
    private_email = np.array([
        f"{g}.{s}{d:02d}@{private_domains[k]}" if k < len(FREE_MAIL_DOMAINS)
        else f"{s}{g[0]}{d:02d}@{private_domains[k]}"
        for g, s, d, k in zip(g_rom, s_rom, digits, private_dom, strict=True)], dtype=object)
    persons = pd.DataFrame({
        "person": np.arange(n), "person_id": serial_ids("PER", np.arange(1, n + 1), 7),
        "surname": [SURNAMES[i][0] for i in surname],
        "given": [GIVEN_NAMES[i][0] for i in given],
        "surname_romaji": s_rom, "given_romaji": g_rom, "interest": interest,
        "private_email": private_email, "individual": company0 < 0,
    })

    # Career events between history start and end.
    hist_start = clock.start - int(p.history_years_before_start * 365)
    span = clock.end - hist_start
    first_from = hist_start - rng.integers(30, 15 * 365, n)
    rates = np.array([p.promotion_rate_per_year, p.transfer_rate_per_year, p.move_rate_per_year])
    employed = np.flatnonzero(company0 >= 0)
    counts = rng.poisson(rates[None, :] * span / 365, (len(employed), 3))
    ev_person = np.concatenate([np.repeat(employed, counts[:, j]) for j in range(3)])
    ev_type = np.concatenate([np.full(counts[:, j].sum(), j + 1) for j in range(3)])
    m = len(ev_person)
    ev_day = hist_start + rng.integers(1, span + 1, m)
    size_w = emp.astype(float) ** 0.7
    new_company = rng.choice(n_comp, m, p=size_w / size_w.sum())
    ev = pd.DataFrame({
        "person": np.concatenate([employed, ev_person]),
        "day": np.concatenate([first_from[employed], ev_day]),
        "kind": np.concatenate([np.zeros(len(employed), dtype=np.int64), ev_type]),
        "company": np.concatenate([company0[employed], np.where(ev_type == _MOVE, new_company,
                                                                -1)]).astype(float),
        "department": np.concatenate([dept0[employed], np.where(
            ev_type >= _TRANSFER, rng.choice(len(DEPARTMENTS), m, p=dept_w / dept_w.sum()),
            -1)]).astype(float),
        "title_base": np.concatenate([title0[employed], np.where(
            ev_type == _MOVE, np.clip(title0[ev_person] + rng.integers(-1, 2, m), 0,
                                      len(TITLES) - 1), -1)]).astype(float),
    })
    ev = ev.sort_values(["person", "day", "kind"], kind="stable").reset_index(drop=True)
    for col in ("company", "department", "title_base"):
        ev.loc[ev[col] < 0, col] = np.nan
    ev["company"] = ev["company"].ffill().astype(np.int64)
    ev["department"] = ev["department"].ffill().astype(np.int64)
    starts_segment = ev["kind"].isin([_INIT, _MOVE]).to_numpy()
    ev["spell"] = _group_cumsum(ev["person"].to_numpy(), starts_segment.astype(np.int64))
    ev["title_base"] = ev["title_base"].ffill().astype(np.int64)
    seg_key = ev["person"].to_numpy() * 1000 + ev["spell"].to_numpy()
    promos = _group_cumsum(seg_key, (ev["kind"] == _PROMOTION).to_numpy().astype(np.int64))
    ev["title"] = np.minimum(ev["title_base"].to_numpy() + promos, len(TITLES) - 1)

    # one row per (person, day): the last event of a day wins
    ev = ev.drop_duplicates(["person", "day"], keep="last")
    # collapse rows that change nothing
    key = ev[["company", "department", "title"]].to_numpy()
    same_person = ev["person"].to_numpy()[1:] == ev["person"].to_numpy()[:-1]
    unchanged = np.concatenate([[False], same_person & (key[1:] == key[:-1]).all(axis=1)])
    ev = ev[~unchanged].reset_index(drop=True)
    nxt = ev["day"].shift(-1)
    last = ev["person"].ne(ev["person"].shift(-1))
    ev["valid_to"] = np.where(last, NEVER, nxt.fillna(NEVER)).astype(np.int64)
    history = ev.rename(columns={"day": "valid_from"})[
        ["person", "company", "department", "title", "valid_from", "valid_to", "spell"]]

    # Spells and their business e-mail addresses.
    spells = (history.groupby(["person", "spell"], sort=True)
              .agg(company=("company", "first"), start=("valid_from", "min"),
                   end=("valid_to", "max")).reset_index())
    sp_person = spells["person"].to_numpy()
    sp_company = spells["company"].to_numpy()
    local = email_local_parts(s_rom[sp_person], g_rom[sp_person],
                              f["email_pattern"].to_numpy()[sp_company])
    mail_domain = f["mail_domain"].to_numpy()[sp_company]
    tmp = pd.DataFrame({"local": local, "domain": mail_domain, "start": spells["start"]})
    dup = tmp.sort_values("start", kind="stable").groupby(["local", "domain"]).cumcount()
    dup = dup.reindex(tmp.index).to_numpy()
    local = np.where(dup > 0, local + dup.astype(str), local)
    spells["email"] = np.where(mail_domain != "", local + "@" + mail_domain, "")
    return People(persons=persons, history=history.reset_index(drop=True), spells=spells)


def _group_cumsum(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting whenever ``keys`` changes (keys sorted)."""
    total = np.cumsum(values)
    starts = np.concatenate([[True], keys[1:] != keys[:-1]])
    base = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
    offset = (total - values)[base]
    return total - offset
