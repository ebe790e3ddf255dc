"""Marketing automation: campaigns, leads and their behaviour.

Grain: ``Engagement.campaigns`` one row per campaign; ``Engagement.leads`` one row per
lead (the person, the company the person worked at when the lead was created, how the
lead arrived); ``Engagement.lead_events`` one row per change of a lead (creation, title or
department refreshed by a form, opt-out); ``ActivityChunk.activities`` one row per MA
activity. Activities (people x days, by far the largest table) are never held whole:
they are handed out in chunks of whole days, in activity_id order, as the days are
simulated. Where the chunks fall does not change a single activity.

Behaviour follows each company's latent intent (``intent_multiplier`` by state) times
each person's interest: web visits (pricing and product pages more likely in market),
downloads, contact and quote forms, e-mail opens and clicks, event registrations and
attendance, business-card scans. Leads appear through web forms, events, card scans and
list imports; a person can hold several leads (a scanned card without e-mail, then a web
form; a new employer's address after a move).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kizuna.contract import CAMPAIGN_CHANNELS, LEAD_SOURCES, MA_ACTIVITY_TYPES
from kizuna.simulator.clock import SECONDS_PER_DAY, Clock
from kizuna.simulator.companies import N_PRODUCTS, PRODUCTS, Companies
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.deals import NEVER
from kizuna.simulator.intent import IN_MARKET, RESEARCHING, IntentPath
from kizuna.simulator.names import serial_ids
from kizuna.simulator.people import People

SITE = "https://www.tsunagu-cloud.jp"
CHANNELS = CAMPAIGN_CHANNELS
EMAIL, WEBINAR, SEMINAR, EXHIBITION, CONTENT, ADS = range(6)
WEB_FORM, EVENT_SRC, CARD, IMPORT = range(4)
ACTIVITY_TYPES = MA_ACTIVITY_TYPES
(A_SEND, A_OPEN, A_CLICK, A_VISIT, A_FORM, A_DOWNLOAD, A_REGISTER, A_ATTEND, A_SCAN,
 A_UNSUB) = range(10)

# Web pages by kind; a visit picks a kind by intent state, then a page.
_PAGES = {
    "home": ("/",),
    "blog": ("/blog/abm-basics", "/blog/data-integration", "/blog/sales-dx",
             "/blog/marketing-kpi", "/blog/crm-tips"),
    "case": ("/case-studies/manufacturing", "/case-studies/it", "/case-studies/wholesale",
             "/case-studies/finance"),
    "product": tuple(f"/products/{p[0]}" for p in PRODUCTS),
    "pricing": ("/pricing",),
    "events": ("/events", "/webinars"),
    "contact": ("/contact",),
}
_KINDS = tuple(_PAGES)
_KIND_P = np.array([
    # home blog case product pricing events contact
    [0.28, 0.32, 0.14, 0.14, 0.03, 0.08, 0.01],  # dormant
    [0.12, 0.22, 0.24, 0.26, 0.09, 0.05, 0.02],  # researching
    [0.08, 0.08, 0.20, 0.30, 0.26, 0.03, 0.05],  # in market
])
EVERGREEN_ASSETS = ("EB-001", "EB-002", "EB-003")


@dataclass
class Engagement:
    campaigns: pd.DataFrame
    leads: pd.DataFrame
    lead_events: pd.DataFrame
    quote_forms: pd.DataFrame  # one row per quote request (lead, sec), in activity order
    n_activities: int
    urls: list[str]
    assets: list[str]


@dataclass
class ActivityChunk:
    """MA activities of whole days, final and numbered: one row per activity (activity_id,
    lead, lead_id, type, sec, campaign, asset, url), sorted by (sec, lead, type).
    ``campaign`` indexes ``campaign_ids``; ``asset`` and ``url`` index ``assets`` and
    ``urls`` (-1 none). Every activity dated up to ``through_day`` has been handed out."""

    activities: pd.DataFrame
    campaign_ids: np.ndarray
    assets: list[str]
    urls: list[str]
    through_day: int


class _ActivityBuffer:
    """Activities generated but not yet handed out.

    An activity is generated on its own day or before it (an e-mail opened tomorrow, a
    registration for next month's webinar), never after. So once day ``d`` has been
    simulated, every activity dated ``d`` or earlier is final: ``release`` sorts those,
    numbers them after the ones released before and keeps the rest. Kept rows stay
    ahead of newer ones, so ties sort in generation order, as in one global sort."""

    COLUMNS = ("lead", "type", "sec", "campaign", "asset", "url")

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in self.COLUMNS}
        self.rows = 0
        self.released = 0

    def add(self, lead: np.ndarray, type_: int, sec: np.ndarray,
            campaign: np.ndarray | int = -1, asset: np.ndarray | int = -1,
            url: np.ndarray | int = -1) -> None:
        k = len(lead)
        if k == 0:
            return
        self.cols["lead"].append(np.asarray(lead, dtype=np.int64))
        self.cols["type"].append(np.full(k, type_, dtype=np.int8))
        self.cols["sec"].append(np.asarray(sec, dtype=np.int64))
        for name, v in (("campaign", campaign), ("asset", asset), ("url", url)):
            self.cols[name].append(np.broadcast_to(np.asarray(v, dtype=np.int32), (k,)).copy())
        self.rows += k

    def release(self, through_day: int, keep_rest: bool = True) -> pd.DataFrame:
        dtypes = (np.int64, np.int8, np.int64, np.int32, np.int32, np.int32)
        act = {k: np.concatenate(v) if v else np.zeros(0, dtype=t)
               for (k, v), t in zip(self.cols.items(), dtypes, strict=True)}
        final = act["sec"] // SECONDS_PER_DAY <= through_day
        later = ~final
        self.cols = {k: [v[later]] if keep_rest and later.any() else [] for k, v in act.items()}
        self.rows = int(later.sum()) if keep_rest else 0
        out = pd.DataFrame({k: v[final] for k, v in act.items()})
        out = out.sort_values(["sec", "lead", "type"], kind="stable").reset_index(drop=True)
        out.insert(0, "activity_id", serial_ids(
            "MA", np.arange(self.released + 1, self.released + len(out) + 1), 9))
        self.released += len(out)
        return out


class _Urls:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def id(self, path: str) -> int:
        if path not in self.index:
            self.index[path] = len(self.items)
            self.items.append(SITE + path)
        return self.index[path]


def _history_lookup(history: pd.DataFrame, persons: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Row of ``history`` holding each person's state on each day, or -1."""
    key = history["person"].to_numpy() * 100_000 + history["valid_from"].to_numpy()
    pos = np.searchsorted(key, persons * 100_000 + days, side="right") - 1
    pos = np.maximum(pos, 0)
    ok = ((history["person"].to_numpy()[pos] == persons)
          & (history["valid_to"].to_numpy()[pos] > days)
          & (history["valid_from"].to_numpy()[pos] <= days))
    return np.where(ok, pos, -1)


def build_campaigns(cfg: SimulationConfig, clock: Clock, rng: np.random.Generator
                    ) -> pd.DataFrame:
    """Campaign calendar from a year before ``start`` to ``end``.

    Columns: campaign (row), campaign_id, name, channel, product (-1 none), started_on,
    ended_on, send_day (e-mail or invite day, -1 none), event_day (-1 none), cost_jpy,
    created (day the record was made), asset (whitepaper asset id or '')."""
    e = cfg.engagement
    first = clock.start - 365
    rows: list[dict] = []
    product_w = np.array([0.3, 0.2, 0.2, 0.15, 0.15])

    def business_day_on_or_after(day: int) -> int:
        while not clock.is_business(day):
            day += 1
        return day

    d = first
    while d <= clock.end:
        day = business_day_on_or_after(d)
        dt = pd.Timestamp(day, unit="D")
        rows.append(dict(channel=EMAIL, product=-1, started_on=day, ended_on=day, send_day=day,
                         event_day=-1, cost=int(rng.integers(3, 8)) * 10_000,
                         name=f"ツナグ通信 {dt.year}年{dt.month}月号"))
        d += e.newsletter_every_days
    d = first + 10
    while d <= clock.end:
        day = business_day_on_or_after(d)
        prod = int(rng.choice(N_PRODUCTS, p=product_w))
        dt = pd.Timestamp(day, unit="D")
        rows.append(dict(channel=EMAIL, product=prod, started_on=day, ended_on=day, send_day=day,
                         event_day=-1, cost=int(rng.integers(5, 15)) * 10_000,
                         name=f"{PRODUCTS[prod][1]} ご案内メール {dt.year}/{dt.month:02d}"))
        d += e.product_mail_every_days
    themes = ("ABM入門", "営業DXの進め方", "データ統合の勘所", "マーケティングKPI設計",
              "名寄せとデータ品質", "導入事例に学ぶ", "生成AI時代の営業")
    n_months = (clock.end - first) // 30 + 1
    for m in range(n_months):
        for _ in range(rng.poisson(e.webinars_per_month)):
            day = business_day_on_or_after(first + 30 * m + int(rng.integers(0, 28)))
            prod = int(rng.choice(N_PRODUCTS, p=product_w))
            rows.append(dict(channel=WEBINAR, product=prod, started_on=day, ended_on=day,
                             send_day=day - 14, event_day=day,
                             cost=int(rng.integers(10, 40)) * 10_000,
                             name=f"【ウェビナー】{themes[int(rng.integers(len(themes)))]}"))
        if m % 3 == 0:
            for _ in range(rng.poisson(e.seminars_per_quarter)):
                day = business_day_on_or_after(first + 30 * m + int(rng.integers(0, 85)))
                city = "東京" if rng.random() < 0.6 else "大阪"
                rows.append(dict(channel=SEMINAR, product=int(rng.choice(N_PRODUCTS,
                                                                          p=product_w)),
                                 started_on=day, ended_on=day, send_day=day - 21, event_day=day,
                                 cost=int(rng.integers(80, 250)) * 10_000,
                                 name=f"ツナグ {city}セミナー {themes[int(rng.integers(7))]}"))
            for k in range(rng.poisson(e.whitepapers_per_quarter)):
                day = business_day_on_or_after(first + 30 * m + int(rng.integers(0, 85)))
                rows.append(dict(channel=CONTENT, product=int(rng.choice(N_PRODUCTS,
                                                                          p=product_w)),
                                 started_on=day, ended_on=day + 180, send_day=-1, event_day=-1,
                                 cost=int(rng.integers(30, 120)) * 10_000,
                                 name=f"ホワイトペーパー {themes[int(rng.integers(7))]} {k + 1}"))
            for _ in range(rng.poisson(e.ads_per_quarter)):
                day = first + 30 * m + int(rng.integers(0, 85))
                length = int(rng.integers(30, 61))
                rows.append(dict(channel=ADS, product=-1, started_on=day,
                                 ended_on=day + length - 1, send_day=-1, event_day=-1,
                                 cost=int(rng.integers(100, 500)) * 10_000,
                                 name=f"リスティング広告 {pd.Timestamp(day, unit='D'):%Y-%m}"))
        if m % 12 in (4, 10):
            for _ in range(max(1, rng.poisson(e.exhibitions_per_year / 2))):
                day = business_day_on_or_after(first + 30 * m + int(rng.integers(0, 25)))
                rows.append(dict(channel=EXHIBITION, product=-1, started_on=day,
                                 ended_on=day + 2, send_day=day - 21, event_day=day,
                                 cost=int(rng.integers(300, 900)) * 10_000,
                                 name="展示会出展 営業DX EXPO"))
    c = pd.DataFrame(rows)
    # an event's campaign runs from its first invitation to its last day
    c["started_on"] = np.where(c["send_day"] >= 0, np.minimum(c["send_day"], c["started_on"]),
                               c["started_on"])
    c = c[c["started_on"] <= clock.end].sort_values(["started_on", "channel", "name"],
                                                   kind="stable").reset_index(drop=True)
    c["created"] = c["started_on"] - 7
    c["campaign_id"] = [f"CMP{k:05d}" for k in range(1, len(c) + 1)]
    c["asset"] = np.where(c["channel"] == CONTENT,
                          [f"WP-{k:04d}" for k in range(1, len(c) + 1)], "")
    c["campaign"] = np.arange(len(c))
    return c


def simulate_engagement(cfg: SimulationConfig, clock: Clock, companies: Companies,
                        people: People, intent: IntentPath, rng: np.random.Generator,
                        emit: Callable[[ActivityChunk], None],
                        tick: Callable[[int, int], None] | None = None) -> Engagement:
    """Simulate MA from start to end; hand activities to ``emit`` chunk by chunk.

    A chunk closes at the end of the first day with ``cfg.chunk_rows`` activities
    waiting; ``tick`` reports (days simulated, days) per chunk and at each month end."""
    e = cfg.engagement
    hist = people.history
    spells = people.spells
    persons = people.persons
    n_p = len(persons)
    interest = persons["interest"].to_numpy()
    individual = persons["individual"].to_numpy()
    private_email = persons["private_email"].to_numpy()
    uses_private = rng.random(n_p) < (cfg.people.free_mail_share + cfg.people.carrier_mail_share)
    uses_private |= individual
    need = companies.need
    intent_mult = np.asarray(e.intent_multiplier)
    campaigns = build_campaigns(cfg, clock, rng)
    urls = _Urls()
    for kind in _KINDS:
        for path in _PAGES[kind]:
            urls.id(path)
    kind_pages = [np.array([urls.id(p) for p in _PAGES[k]]) for k in _KINDS]
    product_pages = kind_pages[_KINDS.index("product")]
    quote_url, contact_url = urls.id("/contact/quote"), urls.id("/contact")
    assets = list(EVERGREEN_ASSETS) + [a for a in campaigns["asset"] if a]
    asset_index = {a: k for k, a in enumerate(assets)}

    # spell e-mail lookup: (person, spell) -> e-mail
    spell_key = spells["person"].to_numpy() * 1000 + spells["spell"].to_numpy()
    spell_email = spells["email"].to_numpy()
    spell_order = np.argsort(spell_key)
    spell_key_sorted = spell_key[spell_order]

    def business_email(person: np.ndarray, spell: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(spell_key_sorted, person * 1000 + spell)
        pos = np.minimum(pos, len(spell_key_sorted) - 1)
        return spell_email[spell_order[pos]]

    # --- lead store -------------------------------------------------------------------
    L: dict[str, list[np.ndarray]] = {k: [] for k in (
        "person", "company", "spell", "source", "sec", "email", "campaign")}
    n_leads = 0
    lead_person = np.zeros(0, dtype=np.int64)
    lead_spell = np.zeros(0, dtype=np.int64)
    lead_company = np.zeros(0, dtype=np.int64)
    lead_has_email = np.zeros(0, dtype=bool)
    lead_private = np.zeros(0, dtype=bool)
    lead_created = np.zeros(0, dtype=np.int64)
    opted_out = np.zeros(0, dtype=bool)
    primary = np.full(n_p, -1, dtype=np.int64)  # tracked lead (with e-mail) per person
    buffer = _ActivityBuffer()
    add_acts = buffer.add
    upd: dict[str, list[np.ndarray]] = {k: [] for k in ("lead", "sec", "kind")}

    def add_update(lead: np.ndarray, sec: np.ndarray, kind: int) -> None:
        if len(lead):
            upd["lead"].append(np.asarray(lead, dtype=np.int64))
            upd["sec"].append(np.asarray(sec, dtype=np.int64))
            upd["kind"].append(np.full(len(lead), kind, dtype=np.int8))

    cur_company = np.full(n_p, -1, dtype=np.int64)
    cur_spell = np.zeros(n_p, dtype=np.int64)

    def new_leads(person: np.ndarray, source: int, sec: np.ndarray, campaign: np.ndarray | int,
                  no_email_share: float = 0.0, company: np.ndarray | None = None,
                  spell: np.ndarray | None = None) -> np.ndarray:
        nonlocal n_leads, lead_person, lead_spell, lead_company, lead_has_email, lead_private
        nonlocal lead_created, opted_out
        k = len(person)
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        comp = cur_company[person] if company is None else company
        sp = cur_spell[person] if spell is None else spell
        priv = uses_private[person] | (comp < 0)
        biz = np.where(comp >= 0, business_email(person, sp), "")
        priv = priv | (biz == "")
        email = np.where(priv, private_email[person], biz)
        no_email = rng.random(k) < no_email_share
        email = np.where(no_email, "", email)
        ids = np.arange(n_leads, n_leads + k)
        n_leads += k
        for key, val in (("person", person), ("company", comp), ("spell", sp),
                         ("source", np.full(k, source)), ("sec", sec), ("email", email),
                         ("campaign", np.broadcast_to(np.asarray(campaign), (k,)))):
            L[key].append(np.asarray(val))
        lead_person = np.concatenate([lead_person, person])
        lead_spell = np.concatenate([lead_spell, sp])
        lead_company = np.concatenate([lead_company, comp])
        lead_has_email = np.concatenate([lead_has_email, email != ""])
        lead_private = np.concatenate([lead_private, priv & (email != "")])
        lead_created = np.concatenate([lead_created, sec // SECONDS_PER_DAY])
        opted_out = np.concatenate([opted_out, np.zeros(k, dtype=bool)])
        # the newest lead with an e-mail is the one the website recognises
        with_mail = email != ""
        primary[person[with_mail]] = ids[with_mail]
        add_update(ids, sec, 0)
        return ids

    # --- leads that exist before start ------------------------------------------------
    at_start = _history_lookup(hist, np.arange(n_p), np.full(n_p, clock.start - 1))
    emp = at_start >= 0
    cur_company[emp] = hist["company"].to_numpy()[at_start[emp]]
    cur_spell[emp] = hist["spell"].to_numpy()[at_start[emp]]
    w_lead = np.minimum(1.0, e.initial_lead_share * interest ** 0.3)
    is_lead0 = (emp | individual) & (rng.random(n_p) < w_lead)
    p0 = np.flatnonzero(is_lead0)
    start_of_spell = np.where(emp[p0], hist["valid_from"].to_numpy()[np.maximum(at_start[p0], 0)],
                              clock.start - 5 * 365)
    lo = np.maximum(start_of_spell, clock.start - 6 * 365)
    created0 = lo + (rng.random(len(p0)) * (clock.start - 1 - lo)).astype(np.int64)
    src0 = rng.choice(4, len(p0), p=[0.3, 0.2, 0.15, 0.35])
    sec0 = created0 * SECONDS_PER_DAY + rng.integers(9 * 3600, 20 * 3600, len(p0))
    order = np.argsort(sec0, kind="stable")
    p0, src0, sec0 = p0[order], src0[order], sec0[order]
    for s in range(4):
        sel = src0 == s
        new_leads(p0[sel], s, sec0[sel], -1, e.card_scan_no_email if s == CARD else 0.0)
    # leads left behind by people who changed employer before start
    old = hist[(hist["valid_to"] < clock.start) & (hist["spell"] < hist["person"].map(
        pd.Series(cur_spell)))].drop_duplicates(["person", "spell"])
    old = old[rng.random(len(old)) < 0.35]
    if len(old):
        od = np.maximum(old["valid_from"].to_numpy(), old["valid_to"].to_numpy() - 700)
        od_day = od + (rng.random(len(old)) * (old["valid_to"].to_numpy() - od)).astype(np.int64)
        new_leads(old["person"].to_numpy(), IMPORT, od_day * SECONDS_PER_DAY + 36_000, -1,
                  company=old["company"].to_numpy(), spell=old["spell"].to_numpy())

    # the newest lead with an e-mail is the one the website recognises
    primary[:] = -1
    with_mail = np.flatnonzero(lead_has_email)
    if len(with_mail):
        created_sec = np.concatenate(L["sec"])[with_mail]
        order = np.lexsort((with_mail, created_sec))
        primary[lead_person[with_mail[order]]] = with_mail[order]

    # --- the day loop -----------------------------------------------------------------
    hv_from = hist["valid_from"].to_numpy()
    changes = hist[(hv_from >= clock.start) & (hv_from <= clock.end)].sort_values(
        "valid_from", kind="stable")
    ch_day = changes["valid_from"].to_numpy()
    ch_person = changes["person"].to_numpy()
    ch_company = changes["company"].to_numpy()
    ch_spell = changes["spell"].to_numpy()
    ch_bounds = np.searchsorted(ch_day, np.arange(clock.start, clock.end + 2))
    camp = campaigns
    c_send = camp["send_day"].to_numpy()
    c_event = camp["event_day"].to_numpy()
    c_channel = camp["channel"].to_numpy()
    c_product = camp["product"].to_numpy()
    c_start = camp["started_on"].to_numpy()
    c_end = camp["ended_on"].to_numpy()
    c_asset = np.array([asset_index.get(a, -1) for a in camp["asset"]])
    c_landing = np.array([urls.id(f"/lp/{cid}") for cid in camp["campaign_id"]])
    registrations: dict[int, list[np.ndarray]] = {}
    import_days = set(np.linspace(clock.start + 40, clock.end - 20, max(
        1, int(e.import_batches_per_year * (clock.end - clock.start) / 365))).astype(int))

    # --- chunks of activities, with the ids of the leads they name ------------------
    campaign_ids = campaigns["campaign_id"].to_numpy()
    lead_ids = np.zeros(0, dtype=object)
    numbered_parts = 0  # entries of L["sec"] whose leads have an id
    last_numbered_sec = np.iinfo(np.int64).min
    quote_forms: list[pd.DataFrame] = []
    n_days = clock.end - clock.start + 1

    def flush(through_day: int, last: bool) -> None:
        nonlocal lead_ids, numbered_parts, last_numbered_sec
        # lead ids follow creation time; every lead created from here on is later than
        # these (a day's leads end before 00:03, the next day's start after 08:00), so
        # numbering them now gives the numbers a sort of all leads at the end would
        if len(L["sec"]) > numbered_parts:
            sec = np.concatenate(L["sec"][numbered_parts:])
            numbered_parts = len(L["sec"])
            if sec.min() < last_numbered_sec:
                raise RuntimeError("a lead was created before one already numbered: MA "
                                   "activities cannot be released day by day")
            rank = np.empty(len(sec), dtype=np.int64)
            rank[np.lexsort((np.arange(len(sec)), sec))] = np.arange(len(sec))
            lead_ids = np.concatenate([lead_ids, serial_ids("L", len(lead_ids) + rank + 1, 7)])
            last_numbered_sec = int(sec.max())
        act = buffer.release(through_day, keep_rest=not last)
        act.insert(2, "lead_id", lead_ids[act["lead"].to_numpy()])
        quote_forms.append(act.loc[(act["type"] == A_FORM) & (act["url"] == quote_url),
                                   ["lead", "sec"]])
        emit(ActivityChunk(act, campaign_ids, assets, urls.items, through_day))

    done = False
    for day, states in intent.replay():
        if day < clock.start:
            continue
        if day > clock.end:
            break
        k0, k1 = ch_bounds[day - clock.start], ch_bounds[day - clock.start + 1]
        cur_company[ch_person[k0:k1]] = ch_company[k0:k1]
        cur_spell[ch_person[k0:k1]] = ch_spell[k0:k1]
        factor = clock.activity_factor(day)
        base = day * SECONDS_PER_DAY
        comp_state = np.where(cur_company >= 0, states[np.maximum(cur_company, 0)], 0)
        mult = intent_mult[comp_state] * interest
        tracked = primary >= 0
        tracked[tracked] = (lead_spell[primary[tracked]] == cur_spell[tracked]) & (
            lead_company[primary[tracked]] == cur_company[tracked])
        tp = np.flatnonzero(tracked)

        # web visits
        n_vis = rng.poisson(e.web_visit_rate * mult[tp] * factor)
        vp = np.repeat(tp, n_vis)
        if len(vp):
            st = comp_state[vp]
            cum = np.cumsum(_KIND_P[st], axis=1)
            kind = (rng.random(len(vp))[:, None] > cum[:, :-1]).sum(axis=1)
            page = np.empty(len(vp), dtype=np.int64)
            for k_i, pages in enumerate(kind_pages):
                sel = kind == k_i
                if pages is product_pages:
                    comp = np.maximum(cur_company[vp[sel]], 0)
                    w = need[comp] + 0.1
                    pick = (rng.random(int(sel.sum()))[:, None] * w.sum(1)[:, None]
                            > np.cumsum(w, axis=1)[:, :-1]).sum(axis=1)
                    page[sel] = pages[pick]
                else:
                    page[sel] = pages[rng.integers(len(pages), size=int(sel.sum()))]
            add_acts(primary[vp], A_VISIT, base + _web_seconds(rng, len(vp)), url=page)
        # downloads (a live whitepaper if any, else an evergreen e-book)
        n_dl = rng.poisson(e.download_rate * mult[tp] * factor)
        dp = np.repeat(tp, n_dl)
        if len(dp):
            live = np.flatnonzero((c_channel == CONTENT) & (c_start <= day) & (c_end >= day))
            use_wp = (rng.random(len(dp)) < 0.7) & (len(live) > 0)
            wp = live[rng.integers(len(live), size=len(dp))] if len(live) else np.zeros(len(dp),
                                                                                       int)
            asset = np.where(use_wp, c_asset[wp], rng.integers(len(EVERGREEN_ASSETS),
                                                               size=len(dp)))
            cid = np.where(use_wp, wp, -1)
            add_acts(primary[dp], A_DOWNLOAD, base + _web_seconds(rng, len(dp)), campaign=cid,
                     asset=asset)
        # forms: contact (anyone) and quote requests (in market)
        rate_form = e.contact_form_rate * mult[tp] + np.where(
            comp_state[tp] == IN_MARKET, e.quote_form_rate_in_market * interest[tp], 0.0)
        form = np.flatnonzero(rng.random(len(tp)) < rate_form * factor)
        if len(form):
            fp = tp[form]
            is_quote = (comp_state[fp] == IN_MARKET) & (rng.random(len(fp)) < 0.7)
            secs = base + _web_seconds(rng, len(fp))
            add_acts(primary[fp], A_FORM, secs, url=np.where(is_quote, quote_url, contact_url))
            add_update(primary[fp], secs + 1, 1)
        # new web-form leads from people the site does not know yet
        unknown = np.flatnonzero(~tracked & ((cur_company >= 0) | individual))
        hz = e.web_form_lead_rate * mult[unknown] * factor
        born = unknown[rng.random(len(unknown)) < hz]
        if len(born):
            live_ads = np.flatnonzero((c_channel == ADS) & (c_start <= day) & (c_end >= day))
            via_ad = (rng.random(len(born)) < 0.4) & (len(live_ads) > 0)
            ad = np.where(via_ad, live_ads[rng.integers(len(live_ads), size=len(born))]
                          if len(live_ads) else -1, -1)
            secs = base + _web_seconds(rng, len(born))
            ids = new_leads(born, WEB_FORM, secs + 120, ad)
            add_acts(ids, A_VISIT, secs, campaign=ad,
                     url=np.where(ad >= 0, c_landing[np.maximum(ad, 0)], urls.id("/")))
            add_acts(ids, A_FORM, secs + 120, campaign=ad, url=contact_url)
        # list imports
        if day in import_days:
            pool = np.flatnonzero(~tracked & (cur_company >= 0))
            pick = pool[rng.random(len(pool)) < e.import_batch_share]
            new_leads(pick, IMPORT, base + 11 * 3600 + rng.integers(0, 600, len(pick)), -1)

        # e-mail sends (newsletters, product mails, invitations)
        for c in np.flatnonzero(c_send == day).tolist():
            alive = np.flatnonzero(lead_has_email & ~opted_out & (lead_created <= day))
            if c_channel[c] == EMAIL and c_product[c] >= 0:
                alive = alive[rng.random(len(alive)) < e.product_mail_share]
            elif c_channel[c] != EMAIL:
                alive = alive[rng.random(len(alive)) < e.event_invite_share]
            if not len(alive):
                continue
            person = lead_person[alive]
            reachable = lead_private[alive] | (
                (lead_spell[alive] == cur_spell[person]) & (lead_company[alive]
                                                            == cur_company[person]))
            m_l = np.where(reachable, mult[person], 0.0)
            send = base + 10 * 3600 + rng.integers(0, 1800, len(alive))
            add_acts(alive, A_SEND, send, campaign=c)
            p_open = np.minimum(0.9, e.open_rate * np.sqrt(m_l))
            opened = rng.random(len(alive)) < p_open
            o_sec = send[opened] + (rng.exponential(3 * 3600, int(opened.sum()))).astype(np.int64)
            add_acts(alive[opened], A_OPEN, o_sec, campaign=c)
            p_click = np.minimum(0.8, e.click_given_open * np.sqrt(intent_mult[comp_state[
                person[opened]]]))
            clicked = rng.random(int(opened.sum())) < p_click
            k_sec = o_sec[clicked] + rng.integers(5, 300, int(clicked.sum()))
            add_acts(alive[opened][clicked], A_CLICK, k_sec, campaign=c)
            add_acts(alive[opened][clicked], A_VISIT, k_sec + 2, campaign=c,
                     url=c_landing[c])
            p_unsub = np.minimum(0.05, e.unsubscribe_rate / np.maximum(interest[person], 0.2))
            unsub = np.flatnonzero(rng.random(len(alive)) < p_unsub * reachable)
            u_sec = send[unsub] + rng.integers(600, 86_400, len(unsub))
            add_acts(alive[unsub], A_UNSUB, u_sec, campaign=c)
            add_update(alive[unsub], u_sec, 2)
            opted_out[alive[unsub]] = True
            if c_event[c] >= 0:
                # registrations from invited leads, before the event
                p_reg = e.register_rate * m_l * (0.5 + need[np.maximum(
                    lead_company[alive], 0), c_product[c] if c_product[c] >= 0 else 0])
                reg = np.flatnonzero(rng.random(len(alive)) < p_reg)
                lead_days = (c_event[c] - day) * rng.random(len(reg))
                r_sec = (send[reg] + (lead_days * SECONDS_PER_DAY).astype(np.int64))
                r_sec = np.minimum(r_sec, c_event[c] * SECONDS_PER_DAY - 3600)
                add_acts(alive[reg], A_REGISTER, r_sec, campaign=c)
                add_update(alive[reg], r_sec + 1, 1)
                registrations.setdefault(c, []).append(alive[reg])
                # people the MA does not know register through the event page
                pool = np.flatnonzero(~tracked & (cur_company >= 0))
                p_new = e.register_rate * 0.15 * mult[pool]
                newp = pool[rng.random(len(pool)) < p_new]
                n_sec = np.sort(base + 12 * 3600 + _web_seconds(rng, len(newp)) // 3)
                ids = new_leads(newp, EVENT_SRC, n_sec, c)
                add_acts(ids, A_REGISTER, n_sec, campaign=c)
                registrations.setdefault(c, []).append(ids)
        # events held today
        for c in np.flatnonzero(c_event == day).tolist():
            regs = (np.unique(np.concatenate(registrations.get(c, [np.zeros(0, np.int64)])))
                    if c in registrations else np.zeros(0, np.int64))
            rate = e.attend_seminar if c_channel[c] != WEBINAR else e.attend_webinar
            att = regs[rng.random(len(regs)) < rate]
            a_sec = base + (14 if c_channel[c] != WEBINAR else 16) * 3600 + rng.integers(
                0, 900, len(att))
            add_acts(att, A_ATTEND, a_sec, campaign=c)
            if c_channel[c] in (SEMINAR, EXHIBITION):
                scanned = att[rng.random(len(att)) < 0.8]
                add_acts(scanned, A_SCAN, base + 17 * 3600 + rng.integers(0, 3600,
                                                                          len(scanned)),
                         campaign=c)
            if c_channel[c] == EXHIBITION:
                pool = np.flatnonzero(cur_company >= 0)
                p_scan = e.exhibition_new_cards * mult[pool]
                met = pool[rng.random(len(pool)) < p_scan]
                known = tracked[met]
                s_sec = base + 10 * 3600 + rng.integers(0, 7 * 3600, len(met))
                # a card with an e-mail the MA knows lands on that lead; others make leads
                has_mail = rng.random(len(met)) >= e.card_scan_no_email
                to_known = known & has_mail
                add_acts(primary[met[to_known]], A_SCAN, s_sec[to_known], campaign=c)
                rest = ~to_known
                order = np.argsort(s_sec[rest], kind="stable")
                ids = new_leads(met[rest][order], CARD, s_sec[rest][order], c,
                                e.card_scan_no_email)
                add_acts(ids, A_SCAN, s_sec[rest][order], campaign=c)

        # a chunk ends once enough activities are waiting (few, large chunks are cheaper)
        done = day == clock.end
        chunk = done or buffer.rows >= cfg.chunk_rows
        if chunk:
            flush(day, last=done)
        if tick is not None and (chunk or clock.day_of_month[clock.idx(day + 1)] == 1):
            tick(day - clock.start + 1, n_days)
    if not done:
        flush(clock.end, last=True)

    # --- assemble ---------------------------------------------------------------------
    leads = pd.DataFrame({k: np.concatenate(v) for k, v in L.items()})
    leads["lead"] = np.arange(len(leads))
    leads["lead_id"] = lead_ids
    ev = pd.DataFrame({k: np.concatenate(v) for k, v in upd.items()})
    ev = ev[ev["sec"] // SECONDS_PER_DAY <= clock.end]
    ev = ev.sort_values(["lead", "sec", "kind"], kind="stable").reset_index(drop=True)
    forms = pd.concat(quote_forms, ignore_index=True)
    return Engagement(campaigns=campaigns, leads=leads, lead_events=ev, quote_forms=forms,
                      n_activities=buffer.released, urls=urls.items, assets=assets)


def _web_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Times of day for web behaviour: office hours mostly, some evenings."""
    office = rng.random(n) < 0.8
    hours = np.where(office, np.clip(rng.normal(13.5, 2.5, n), 8, 19),
                     rng.uniform(19, 24, n))
    return np.minimum((hours * 3600).astype(np.int64), SECONDS_PER_DAY - 1)


__all__ = [
    "ACTIVITY_TYPES",
    "CHANNELS",
    "LEAD_SOURCES",
    "NEVER",
    "RESEARCHING",
    "Engagement",
    "simulate_engagement",
]
