"""Build the whole world, write its landing files and its truth.

``simulate`` is the one entry point; everything else in the package is a step of it.
Memory follows companies and people, not their activity: MA activities (people x days)
are written month by month as they are simulated, every other export and truth file is
built, written and dropped in turn, and the truth's Monte Carlo runs in bounded blocks.
That keeps 200,000 accounts within a few GB.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from kizuna.simulator import exports
from kizuna.simulator import truth as truth_mod
from kizuna.simulator.accounts import Accounts, account_versions, build_accounts
from kizuna.simulator.clock import Clock
from kizuna.simulator.companies import PRODUCTS, Companies, build_companies
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.deals import WON, DealRules, Deals, simulate_deals
from kizuna.simulator.engagement import Engagement, simulate_engagement
from kizuna.simulator.intent import simulate_intent
from kizuna.simulator.people import DEPT_NAMES, TITLE_NAMES, People, build_people
from kizuna.simulator.sales import Sales, build_sales
from kizuna.simulator.writer import write_entity
from kizuna.sources.config import DeliverySpec, delivery_specs

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class SimulationResult:
    """What ``simulate`` wrote: rows per raw table and per truth file, dates and paths."""

    config: SimulationConfig
    out_dir: Path
    landing_dir: Path
    truth_dir: Path
    start: date
    end: date
    counts: dict[str, int] = field(default_factory=dict)  # raw table -> rows written
    truth_counts: dict[str, int] = field(default_factory=dict)  # truth file -> rows
    folders: dict[str, int] = field(default_factory=dict)  # raw table -> date folders
    seconds: float = 0.0

    @property
    def rows(self) -> dict[str, int]:
        """Rows written per raw table (alias of ``counts``)."""
        return self.counts


def simulate(cfg: SimulationConfig | None = None, out_dir: Path | str = Path("."),
             progress: Progress | None = None,
             specs: dict[str, DeliverySpec] | None = None) -> SimulationResult:
    """Simulate the world of ``cfg`` and write ``out_dir/landing`` and ``out_dir/truth``.

    Existing ``landing`` and ``truth`` folders under ``out_dir`` are replaced. The same
    config (seed included) always writes byte-identical files. ``specs``: how each entity
    is delivered (default: the sources configuration).
    """
    cfg = cfg or SimulationConfig()
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    current: list[str] = []

    def step(name: str) -> None:
        if current and progress is not None:
            progress(current[-1], 1, 1)
        current.append(name)
        log.info("simulating: %s (%.1fs)", name, time.perf_counter() - t0)
        if progress is not None:
            progress(name, 0, 1)

    def tick(name: str) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda done, total: progress(name, done, total)

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(16)]
    clock = Clock.from_config(cfg)

    step("companies")
    companies = build_companies(cfg, clock, streams[0])
    step("people")
    people = build_people(cfg, clock, companies, streams[1])
    step("accounts")
    accounts = build_accounts(cfg, clock, companies, streams[2])
    account_index = accounts.index(companies.n)
    step("intent")
    intent = simulate_intent(cfg.intent, clock, companies.frame["fit"].to_numpy(), streams[3])
    step("deals")
    rules = DealRules(cfg, clock, companies, account_index.first_day)
    cutoffs = truth_mod.cutoff_days(cfg, clock)
    deals = simulate_deals(cfg, clock, companies, rules, intent, account_index, cutoffs,
                           streams[4], tick("deals"))
    step("truth")
    numbers = companies.frame["corporate_number"].to_numpy()
    opps = deals.opportunities
    propensity = truth_mod.propensity_table(cfg, clock, rules, deals.snapshots,
                                            opps["company"].to_numpy(),
                                            opps["created"].to_numpy(), numbers, streams[5],
                                            tick("truth"))
    landing = out_dir / "landing"
    truth_dir = out_dir / "truth"
    for d in (landing, truth_dir):
        if d.exists():
            shutil.rmtree(d)
    specs = specs or delivery_specs()
    result = SimulationResult(cfg, out_dir, landing, truth_dir, cfg.start, cfg.end)
    result.counts = dict.fromkeys(_TABLES, 0)
    result.folders = dict.fromkeys(_TABLES, 0)

    def land(table: str, frame: pd.DataFrame) -> None:
        written = write_entity(frame, specs[table], landing, cfg.max_rows_per_file)
        result.counts[table] += len(frame)
        result.folders[table] += len(written)

    step("engagement")
    engagement = simulate_engagement(
        cfg, clock, companies, people, intent, streams[6],
        lambda chunk: land("ma_activities", exports.ma_activities(clock, chunk)),
        tick("engagement"))
    step("sales")
    sales = build_sales(cfg, clock, companies, people, account_index, deals, engagement,
                        streams[7])
    acv_on = _acv_function(deals, companies.n)
    versions = account_versions(cfg, clock, companies, accounts,
                                lambda d: acv_on(d) > 0, acv_on, streams[8])

    step("landing")
    # each export is built, written and dropped in turn: one in memory at a time
    tables = _exports(cfg, clock, companies, people, accounts, versions, deals, engagement,
                      sales, streams)
    for k, (table, frame) in enumerate(tables):
        if progress is not None:
            progress("landing", k, len(_TABLES) - 1)
        land(table, frame)
        del frame

    step("truth files")
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in _truth_frames(cfg, clock, companies, people, accounts, deals,
                                     engagement, sales, propensity, acv_on):
        _write_truth_csv(frame, truth_dir / f"{name}.csv")
        result.truth_counts[name] = len(frame)
        del frame
    (truth_dir / "README.md").write_text(truth_mod.TRUTH_README.format(
        horizon=cfg.horizon_days, end=cfg.end, acv=cfg.deals.good_customer_acv_jpy,
        tenure=cfg.deals.good_customer_tenure_days, v=cfg.companies.good_profile_value,
        r=cfg.companies.good_profile_relationship, f=cfg.companies.good_profile_fit,
        first=cfg.truth.first_cutoff_after_days, window=cfg.truth.window_days,
        mc=cfg.truth.mc_samples, buys=cfg.truth.buys_window_days), encoding="utf-8")
    result.seconds = time.perf_counter() - t0
    if progress is not None:
        progress(current[-1], 1, 1)
    log.info("simulated %s accounts in %.1fs", cfg.n_accounts, result.seconds)
    return result


def _acv_function(deals: Deals, n_companies: int) -> Callable[[int], np.ndarray]:
    """Annual contract value in force per company on a day (contracts started, not ended)."""
    c = deals.contracts
    comp = c["company"].to_numpy()
    start = c["started_on"].to_numpy()
    end = c["ended_on"].to_numpy()
    amount = c["amount"].to_numpy().astype(float)

    def acv_on(day: int) -> np.ndarray:
        live = (start <= day) & (end >= day)
        return np.bincount(comp[live], weights=amount[live], minlength=n_companies)
    return acv_on


# raw tables in the order they are reported (ma_activities is written while simulated)
_TABLES = ("ma_leads", "ma_activities", "ma_campaigns", "crm_accounts", "crm_contacts",
           "crm_opportunities", "crm_opportunity_history", "crm_contracts", "crm_activities",
           "crm_products", "firmo_companies")


def _exports(cfg: SimulationConfig, clock: Clock, companies: Companies, people: People,
             accounts: Accounts, versions: pd.DataFrame, deals: Deals, engagement: Engagement,
             sales: Sales, streams: list[np.random.Generator]
             ) -> Iterator[tuple[str, pd.DataFrame]]:
    """Every raw table but ma_activities, one at a time (see ``exports`` for the grain)."""
    yield "ma_leads", exports.ma_leads(cfg, clock, companies, people, engagement, streams[9])
    yield "ma_campaigns", exports.ma_campaigns(clock, engagement)
    yield "crm_accounts", exports.crm_accounts(clock, companies, accounts, versions)
    yield "crm_contacts", exports.crm_contacts(cfg, clock, people, accounts, sales,
                                               streams[10])
    opportunities, history = exports.crm_opportunities(clock, accounts, deals)
    yield "crm_opportunities", opportunities
    del opportunities
    yield "crm_opportunity_history", history
    del history
    yield "crm_contracts", exports.crm_contracts(clock, accounts, deals)
    yield "crm_activities", exports.crm_activities(clock, accounts, sales)
    yield "crm_products", exports.crm_products(clock)
    yield "firmo_companies", exports.firmo_companies(clock, companies)


def _truth_frames(cfg: SimulationConfig, clock: Clock, companies: Companies, people: People,
                  accounts: Accounts, deals: Deals, engagement: Engagement, sales: Sales,
                  propensity: pd.DataFrame, acv_on: Callable[[int], np.ndarray]
                  ) -> Iterator[tuple[str, pd.DataFrame]]:
    """The truth tables, one at a time (see ``truth.TRUTH_README`` for the grain of each)."""
    f = companies.frame
    numbers = f["corporate_number"].to_numpy()
    cp = cfg.companies
    acv = acv_on(clock.end)
    is_customer = acv > 0
    tenure = clock.end - deals.customer_since
    good = (is_customer & (acv >= cfg.deals.good_customer_acv_jpy)
            & (tenure >= cfg.deals.good_customer_tenure_days))
    profile = ((f["value"].to_numpy() >= cp.good_profile_value)
               & (f["relationship"].to_numpy() >= cp.good_profile_relationship)
               & (f["fit"].to_numpy() >= cp.good_profile_fit))
    yield "companies", pd.DataFrame({
        "corporate_number": numbers, "is_customer": is_customer, "is_good_customer": good,
        "is_potential_good": profile & ~good, "fit": f["fit"].round(6),
        "relationship_quality": f["relationship"].round(6),
    })
    person_ids = people.persons["person_id"].to_numpy()
    leads = engagement.leads
    lc = leads["company"].to_numpy()
    contacts = sales.contacts
    yield "lead_company", pd.concat([
        pd.DataFrame({"record_type": "ma_lead", "record_id": leads["lead_id"],
                      "person_id": person_ids[leads["person"].to_numpy()],
                      "corporate_number": np.where(lc >= 0, numbers[np.maximum(lc, 0)], "")}),
        pd.DataFrame({"record_type": "crm_contact", "record_id": contacts["contact_id"],
                      "person_id": person_ids[contacts["person"].to_numpy()],
                      "corporate_number": numbers[contacts["company"].to_numpy()]}),
    ], ignore_index=True).sort_values(["record_type", "record_id"], kind="stable")
    yield "account_company", pd.DataFrame({
        "account_id": accounts.frame["account_id"],
        "corporate_number": numbers[accounts.frame["company"]]})
    h = people.history
    h = h[h["valid_from"] <= clock.end]
    valid_to = h["valid_to"].to_numpy()
    yield "contact_history", pd.DataFrame({
        "person_id": person_ids[h["person"].to_numpy()],
        "corporate_number": numbers[h["company"].to_numpy()],
        "department": np.array(DEPT_NAMES, dtype=object)[h["department"].to_numpy()],
        "title": np.array(TITLE_NAMES, dtype=object)[h["title"].to_numpy()],
        "valid_from": _iso_dates(h["valid_from"].to_numpy()),
        "valid_to": np.where(valid_to <= clock.end,
                             _iso_dates(np.minimum(valid_to, clock.end)), ""),
    })
    yield "propensity", propensity
    o = deals.opportunities
    ev = deals.opp_events
    won = ev[(ev["stage"] == WON) & (ev["day"] > clock.end)
             & (ev["day"] <= clock.end + cfg.truth.buys_window_days)]
    bought = np.zeros((companies.n, len(PRODUCTS)), dtype=bool)
    wo = won["opp"].to_numpy()
    bought[o["company"].to_numpy()[wo], o["product"].to_numpy()[wo]] = True
    n, P = companies.n, len(PRODUCTS)
    yield "product_needs", pd.DataFrame({
        "corporate_number": np.repeat(numbers, P),
        "product_id": np.tile([p[0] for p in PRODUCTS], n),
        "need": companies.need.reshape(-1).round(6),
        "buys_next_180d": bought.reshape(-1),
    })


def _iso_dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as YYYY-MM-DD text (object array)."""
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)


def _write_truth_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = np.where(out[col], "true", "false")
    tmp = path.with_name(path.name + ".part")
    out.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
    tmp.replace(path)
