"""The company universe: firmographics, groups, latent traits, product needs, firmo updates.

Grain: one row per company (``Companies.frame``), indexed 0..n-1; the index is the
company key everywhere else in the simulator. The products of the vendor whose
marketing and sales we simulate live here too (one row per product).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kizuna.simulator import corporate_number as cn
from kizuna.simulator.clock import SECONDS_PER_DAY, Clock
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.names import LEGAL_FORMS, official_name
from kizuna.simulator.vocabulary import (
    BUSINESS_WORDS,
    DIVISIONS,
    HOLDINGS,
    INDUSTRY_CODES,
    PREFECTURES,
    STEMS,
)

# The vendor's product line: id, name, family, annual list price (JPY).
PRODUCTS: tuple[tuple[str, str, str, int], ...] = (
    ("P001", "ツナグクラウド コア", "platform", 1_200_000),
    ("P002", "ツナグクラウド プロ", "platform", 3_000_000),
    ("P003", "アナリティクス アドオン", "add_on", 1_800_000),
    ("P004", "連携オプション", "add_on", 900_000),
    ("P005", "プレミアムサポート＆トレーニング", "services", 600_000),
)
N_PRODUCTS = len(PRODUCTS)
CORE, PRO, ANALYTICS, INTEGRATION, SUPPORT = range(N_PRODUCTS)

# Need per product: intercept, size effect (z log employees), division effects.
_NEED: tuple[tuple[float, float, dict[str, float]], ...] = (
    (0.3, 0.2, {"G": 0.3, "E": 0.4, "I": 0.3, "J": 0.2, "M": -0.6}),
    (-0.8, 0.8, {"G": 0.4, "J": 0.5, "E": 0.2}),
    (-0.5, 0.4, {"G": 0.6, "J": 0.6, "I": 0.5, "L": 0.4}),
    (-0.6, 0.3, {"E": 0.7, "H": 0.7, "I": 0.3}),
    (-0.3, -0.3, {"D": 0.4, "M": 0.4, "P": 0.4, "R": 0.3}),
)
_MIDDLE_WORDS = (("精密", "セイミツ", "seimitsu"), ("総合", "ソウゴウ", "sogo"),
                 ("技術", "ギジュツ", "gijutsu"), ("開発", "カイハツ", "kaihatsu"),
                 ("テック", "テック", "tech"), ("エンジニアリング", "エンジニアリング", "eng"),
                 ("国際", "コクサイ", "kokusai"), ("第一", "ダイイチ", "daiichi"))


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


@dataclass
class Companies:
    """The universe. ``frame`` columns: corporate_number, core, legal, legal_first, name,
    kana, romaji (tuple), division, industry_code, prefecture, pref_idx, employees,
    revenue_jpy, revenue_growth_rate, listed, parent (index or -1), domain, mail_domain,
    email_pattern, firmo_updated (seconds), fit, value, relationship, log_emp_z.
    ``need`` is (n, products) in 0-1."""

    frame: pd.DataFrame
    need: np.ndarray
    firmo_versions: pd.DataFrame  # one row per delivered firmo version

    @property
    def n(self) -> int:
        return len(self.frame)


def build_companies(cfg: SimulationConfig, clock: Clock, rng: np.random.Generator) -> Companies:
    p = cfg.companies
    n = max(30, round(cfg.n_accounts * p.companies_per_account))
    divisions = list(DIVISIONS)
    div_share = np.array([DIVISIONS[d][3] for d in divisions])
    div_idx = rng.choice(len(divisions), n, p=div_share / div_share.sum())
    division = np.array(divisions, dtype=object)[div_idx]
    industry_code = np.array([INDUSTRY_CODES[d][rng.integers(len(INDUSTRY_CODES[d]))]
                              for d in division], dtype=object)
    pref_w = np.array([x[1] for x in PREFECTURES])
    pref_idx = rng.choice(len(PREFECTURES), n, p=pref_w / pref_w.sum())

    employees = np.exp(rng.normal(p.employees_log_mean, p.employees_log_sd, n))
    employees = np.clip(np.round(employees), 3, p.employees_max).astype(np.int64)
    log_emp = np.log(employees)
    log_emp_z = (log_emp - p.employees_log_mean) / p.employees_log_sd
    productivity = np.array([DIVISIONS[d][2] for d in division])
    revenue = employees * productivity * np.exp(rng.normal(0, p.revenue_noise_sd, n))
    revenue = (np.round(revenue / 1000) * 1000).astype(np.int64)
    trend = np.array([DIVISIONS[d][4] for d in division])
    growth = np.round(rng.normal(0.02 + trend, p.growth_sd, n), 4)
    listed = rng.random(n) < 0.6 * sigmoid(2.0 * (log_emp - np.log(p.listed_size_threshold)))

    # Names: stem + optional middle word + business word of the division.
    stem_idx = rng.integers(len(STEMS), size=n)
    word_u = rng.random(n)
    mid_u = rng.random((n, 2))
    legal_u = rng.random((n, 2))
    cores, kanas, romajis = [], [], []
    for k in range(n):
        stem = STEMS[stem_idx[k]]
        words = BUSINESS_WORDS[division[k]]
        word = words[int(word_u[k] * len(words))]
        parts = [stem]
        if mid_u[k, 0] < 0.3:
            parts.append(_MIDDLE_WORDS[int(mid_u[k, 1] * len(_MIDDLE_WORDS))])
        parts.append(word)
        cores.append("".join(x[0] for x in parts))
        kanas.append("".join(x[1] for x in parts))
        romajis.append(tuple(x[2] for x in parts))
    legal = np.where(legal_u[:, 0] < 0.88, 0, np.where(legal_u[:, 0] < 0.95, 1, 2))
    legal_first = legal_u[:, 1] < 0.55

    # Groups: parents among the larger companies; subsidiaries take the parent's stem.
    parent = np.full(n, -1, dtype=np.int64)
    n_parents = max(1, int(p.parent_share * n))
    big = np.argsort(-employees, kind="stable")[: max(n_parents * 4, 4)]
    parents = np.sort(rng.choice(big, n_parents, replace=False))
    is_parent = np.zeros(n, dtype=bool)
    is_parent[parents] = True
    free = np.flatnonzero(~is_parent & (employees < np.median(employees) * 20))
    rng.shuffle(free)
    cursor = 0
    shares_mail = np.zeros(n, dtype=bool)
    for par in parents:
        k_subs = int(rng.integers(1, p.max_subsidiaries + 1))
        subs = free[cursor: cursor + k_subs]
        cursor += k_subs
        stem = STEMS[stem_idx[par]]
        if rng.random() < 0.5:  # the parent is a holding company
            cores[par] = stem[0] + HOLDINGS[0]
            kanas[par] = stem[1] + HOLDINGS[1]
            romajis[par] = (stem[2], HOLDINGS[2])
        for s in subs:
            parent[s] = par
            words = BUSINESS_WORDS[division[s]]
            word = words[int(rng.integers(len(words)))]
            cores[s], kanas[s], romajis[s] = stem[0] + word[0], stem[1] + word[1], (stem[2],
                                                                                  word[2])
            pref_idx[s] = pref_idx[par] if rng.random() < 0.6 else pref_idx[s]
            shares_mail[s] = rng.random() < p.subsidiary_shares_mail_domain

    legal_names = np.array(LEGAL_FORMS, dtype=object)[legal]
    names = [official_name(c, lg, bool(f)) for c, lg, f in zip(cores, legal_names, legal_first,
                                                                strict=True)]

    # Domains: romaji joined, unique; a few small companies have none.
    tld_u = rng.random((n, 2))
    domains = np.empty(n, dtype=object)
    seen: set[str] = set()
    for k in range(n):
        sep = "-" if tld_u[k, 1] < 0.7 else ""
        label = sep.join(romajis[k])
        tld = ".co.jp" if tld_u[k, 0] < 0.75 else (".com" if tld_u[k, 0] < 0.9 else ".jp")
        dom = label + tld
        if dom in seen:
            dom = f"{label}-{PREFECTURES[pref_idx[k]][2]}{tld}"
        bump = 2
        while dom in seen:
            dom = f"{label}{bump}{tld}"
            bump += 1
        seen.add(dom)
        domains[k] = dom
    no_domain = (rng.random(n) < p.no_domain_share * 3) & (employees < 30) & (parent < 0)
    domains[no_domain] = ""
    mail_domains = domains.copy()
    mail_domains[shares_mail] = domains[parent[shares_mail]]
    # people at companies without a web domain still mail from somewhere
    mail_domains[mail_domains == ""] = ""

    # Corporate numbers: registry office (prefecture code + office) + kind + serial.
    serial = rng.choice(999_999, n, replace=False) + 1
    office = rng.integers(0, 10, n)
    pref_code = np.array([int(PREFECTURES[i][3]) for i in pref_idx])
    kind = legal + 1  # 01 株式会社, 02 特例有限会社, 03 合同会社
    base = pref_code * 10**10 + office * 10**8 + kind * 10**6 + serial
    numbers = np.char.add(cn.check_digits(base).astype(str), np.char.zfill(base.astype(str), 12))

    # Latent traits.
    div_fit = np.array([DIVISIONS[d][1] for d in division])
    fit_logit = (p.fit_intercept + div_fit + p.fit_size_linear * log_emp_z
                 + p.fit_size_quadratic * log_emp_z**2 + p.fit_growth * (growth - 0.02)
                 + rng.normal(0, p.fit_noise_sd, n))
    fit = sigmoid(fit_logit)
    value = sigmoid(p.value_size * log_emp_z + p.value_fit * (fit_logit - fit_logit.mean())
                    + rng.normal(0, p.value_noise_sd, n))
    relationship = sigmoid(rng.normal(p.relationship_mean, p.relationship_sd, n))
    need = np.empty((n, N_PRODUCTS))
    for j, (a, b, effects) in enumerate(_NEED):
        div_eff = np.array([effects.get(d, 0.0) for d in division])
        need[:, j] = sigmoid(a + b * log_emp_z + div_eff + rng.normal(0, p.need_noise_sd, n))

    # Last firmo update before start: within the preceding year.
    firmo_updated = ((clock.start - rng.integers(1, 366, n)) * SECONDS_PER_DAY
                     + rng.integers(1, 6, n) * 3600)
    frame = pd.DataFrame({
        "corporate_number": numbers.astype(object),
        "core": cores, "legal": legal_names, "legal_first": legal_first, "name": names,
        "kana": kanas, "romaji": romajis, "division": division,
        "industry_code": industry_code,
        "prefecture": [PREFECTURES[i][0] for i in pref_idx], "pref_idx": pref_idx,
        "employees": employees, "revenue_jpy": revenue, "revenue_growth_rate": growth,
        "listed": listed, "parent": parent, "domain": domains, "mail_domain": mail_domains,
        "email_pattern": rng.integers(0, 6, n), "firmo_updated": firmo_updated,
        "fit": fit, "value": value, "relationship": relationship, "log_emp_z": log_emp_z,
    })
    versions = _firmo_versions(cfg, clock, frame, rng)
    return Companies(frame=frame, need=need, firmo_versions=versions)


def _firmo_versions(cfg: SimulationConfig, clock: Clock, frame: pd.DataFrame,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Firmo rows: the full export at start, then changed companies on each 1st.

    Columns: company, day (folder), employees, revenue_jpy, revenue_growth_rate,
    updated_at (seconds)."""
    p = cfg.companies
    n = len(frame)
    employees = frame["employees"].to_numpy().astype(float)
    revenue = frame["revenue_jpy"].to_numpy().astype(float)
    growth = frame["revenue_growth_rate"].to_numpy()
    parts = [pd.DataFrame({
        "company": np.arange(n), "day": clock.start, "employees": employees.astype(np.int64),
        "revenue_jpy": revenue.astype(np.int64), "revenue_growth_rate": growth,
        "updated_at": frame["firmo_updated"].to_numpy(),
    })]
    for day in clock.month_starts(clock.start + 1, clock.end):
        changed = np.flatnonzero(rng.random(n) < p.monthly_change_share)
        drift = np.exp(rng.normal(0, p.monthly_employee_drift_sd, len(changed)))
        employees[changed] = np.maximum(3, np.round(employees[changed] * drift))
        step = 1 + growth[changed] / 12 + rng.normal(0, 0.02, len(changed))
        revenue[changed] = np.round(revenue[changed] * step / 1000) * 1000
        parts.append(pd.DataFrame({
            "company": changed, "day": day, "employees": employees[changed].astype(np.int64),
            "revenue_jpy": revenue[changed].astype(np.int64),
            "revenue_growth_rate": growth[changed],
            "updated_at": day * SECONDS_PER_DAY + 2 * 3600 + rng.integers(0, 3600, len(changed)),
        }))
    return pd.concat(parts, ignore_index=True)
