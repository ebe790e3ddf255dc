"""Every tunable of the simulated world, in one frozen dataclass.

Later work tunes signal strength (how well engagement predicts deals, how separable good
customers are) by replacing values here, e.g.
``dataclasses.replace(cfg, deals=dataclasses.replace(cfg.deals, intent_effect=(0, 1, 2)))``,
never by editing code paths. Rates are per day unless the name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class CompanyParams:
    """The company database (firmo) and the latent traits of each company."""

    companies_per_account: float = 3.0  # universe size = this x n_accounts
    employees_log_mean: float = 4.3  # lognormal employees: median ~ e^4.3 ~ 75
    employees_log_sd: float = 1.5
    employees_max: int = 80_000
    revenue_noise_sd: float = 0.35  # lognormal noise around employees x productivity
    growth_sd: float = 0.07  # revenue_growth_rate ~ N(division trend, sd)
    listed_size_threshold: int = 1_000  # above this, listing is likely
    parent_share: float = 0.04  # share of companies that head a group
    max_subsidiaries: int = 4
    subsidiary_shares_mail_domain: float = 0.4  # subsidiaries using the parent's mail domain
    no_domain_share: float = 0.04  # small companies without a web domain
    monthly_change_share: float = 0.12  # companies whose firmo record changes in a month
    monthly_employee_drift_sd: float = 0.03
    # fit (0-1): logit = division effect + size effect (inverted U) + growth + noise
    fit_size_linear: float = 0.5
    fit_size_quadratic: float = -0.25
    fit_growth: float = 4.0
    fit_noise_sd: float = 0.6
    fit_intercept: float = -0.6
    # value potential (0-1): drives deal size, number of products and retention
    value_size: float = 0.7
    value_fit: float = 0.5
    value_noise_sd: float = 0.8
    # relationship quality (0-1) with the vendor; only meaningful where sales is active
    relationship_mean: float = 0.1
    relationship_sd: float = 1.0
    # product need (0-1) noise around industry and size effects
    need_noise_sd: float = 0.8
    # latent "good customer profile" thresholds (truth: is_potential_good)
    good_profile_value: float = 0.6
    good_profile_relationship: float = 0.5
    good_profile_fit: float = 0.45


@dataclass(frozen=True)
class PeopleParams:
    """People working at companies, their careers and addresses."""

    persons_per_log_employee: float = 1.3  # expected people known ~ this x log1p(emp/10)
    individual_share: float = 0.03  # people with no company (students, freelancers)
    promotion_rate_per_year: float = 0.07
    transfer_rate_per_year: float = 0.04
    move_rate_per_year: float = 0.05  # move to another company (new e-mail)
    history_years_before_start: float = 1.0  # career changes simulated from here
    free_mail_share: float = 0.07  # MA leads giving a free-mail address
    carrier_mail_share: float = 0.03  # ... or a mobile-carrier address
    interest_sd: float = 0.8  # lognormal personal interest in our product


@dataclass(frozen=True)
class AccountParams:
    """CRM accounts: which companies sales knows, and how it typed them."""

    new_account_share: float = 0.15  # accounts created between start and end
    duplicate_share: float = 0.02  # second account for a company already in the CRM
    corporate_number_share: float = 0.6
    corporate_number_typo_share: float = 0.03  # of filled numbers: mistyped check digit
    domain_share: float = 0.7
    domain_url_share: float = 0.25  # of filled domains: www. or https://... forms
    typo_rate: float = 0.06
    english_name_rate: float = 0.03
    accounts_per_rep: int = 130
    owner_change_rate_per_year: float = 0.08
    tier_shares: tuple[float, float, float] = (0.05, 0.08, 0.12)  # tier_1/2/3 of accounts
    tier_judgement_noise_sd: float = 0.6


@dataclass(frozen=True)
class IntentParams:
    """Latent buying intent per company: a 3-state Markov chain (dormant, researching,
    in_market) with daily transitions; the basis of engagement and of opportunities."""

    enter_research: float = 1 / 220  # dormant -> researching, scaled by fit
    enter_research_fit: float = 1.6  # log-multiplier per unit of (fit - 0.5)
    jump_in_market: float = 1 / 3000  # dormant -> in_market (sudden need)
    research_to_market: float = 1 / 35
    research_to_dormant: float = 1 / 90
    market_to_dormant: float = 1 / 45
    market_to_research: float = 1 / 120
    autumn_research_boost: float = 1.5  # Oct-Feb: next fiscal year's plans are made


@dataclass(frozen=True)
class EngagementParams:
    """MA behaviour: e-mail, web, content, forms, events."""

    intent_multiplier: tuple[float, float, float] = (1.0, 5.0, 10.0)  # by intent state
    initial_lead_share: float = 0.45  # people who are MA leads before start
    web_visit_rate: float = 0.010  # per lead per weekday at dormant intent
    download_rate: float = 0.0012
    contact_form_rate: float = 0.0003
    quote_form_rate_in_market: float = 0.004  # quote requests, in-market companies only
    web_form_lead_rate: float = 0.00012  # non-lead person -> web-form lead, per day
    import_batches_per_year: int = 2
    import_batch_share: float = 0.03  # share of non-lead people in an import batch
    newsletter_every_days: int = 28
    product_mail_every_days: int = 35
    product_mail_share: float = 0.4  # share of leads targeted by a product mail
    webinars_per_month: float = 1.0
    seminars_per_quarter: float = 1.0
    exhibitions_per_year: float = 2.0
    whitepapers_per_quarter: float = 2.0
    ads_per_quarter: float = 1.0
    open_rate: float = 0.18  # e-mail open at dormant intent, average interest
    click_given_open: float = 0.15
    unsubscribe_rate: float = 0.002
    event_invite_share: float = 0.5
    register_rate: float = 0.012
    attend_webinar: float = 0.55
    attend_seminar: float = 0.75
    card_scan_no_email: float = 0.3
    exhibition_new_cards: float = 0.004  # share of non-lead people scanned at a show
    lead_update_lag_days: float = 10.0  # MA learns a new title only on the next form


@dataclass(frozen=True)
class DealParams:
    """Opportunities and contracts. Hazards are log-linear per company x product x day."""

    base_log_hazard: float = -10.2
    product_log_hazard: tuple[float, ...] = (0.4, -0.6, -0.2, -0.4, -0.3)
    fit_effect: float = 2.0  # per unit of (fit - 0.5)
    intent_effect: tuple[float, float, float] = (0.0, 1.6, 4.6)  # log-effect by state ...
    intent_fit_gate_center: float = 0.45  # ... multiplied by sigmoid((fit - c) / w):
    intent_fit_gate_width: float = 0.08  # intent matters mostly for high fit
    need_effect: float = 1.2  # per unit of (need - 0.5)
    need_threshold: float = 0.6  # extra effect above this need
    need_threshold_effect: float = 0.9
    relationship_effect: float = 0.8
    value_effect_customer: float = 1.2  # value potential drives cross-sell for customers
    addon_with_platform: float = 1.6  # add-ons when Core or Pro is owned
    addon_without_platform: float = -1.8
    upgrade_from_core: float = 0.8  # Pro when Core is owned
    fiscal_q4_effect: float = 0.55  # Jan-Mar: budgets are spent and decided
    fiscal_q4_size_effect: float = 0.25  # ... more so for large companies (z log employees)
    summer_effect: float = -0.35  # August (お盆)
    year_end_effect: float = -0.25  # late December
    loss_cooldown_days: int = 60
    reproposal_window_days: int = 365
    reproposal_effect: float = 0.2
    reproposal_relationship_effect: float = 2.5  # per unit of (rel - 0.5)
    # stage Markov chain of an open opportunity
    stage_move_rate: tuple[float, float, float, float] = (1 / 10, 1 / 14, 1 / 18, 1 / 14)
    win_intercept: float = -0.9
    win_fit: float = 1.5
    win_relationship: float = 1.5
    win_need: float = 1.0
    win_intent: tuple[float, float, float] = (-0.4, 0.0, 0.5)
    # amounts: list price x (employees / size_ref)^size_elasticity x value x noise
    size_ref: float = 300.0
    size_elasticity: float = 0.3
    amount_noise_sd: float = 0.25
    # renewals at contract end
    renew_intercept: float = 1.6
    renew_relationship: float = 2.5
    renew_value: float = 1.5
    renew_need: float = 1.0
    renewal_uplift_sd: float = 0.08
    # customers at the start of the burn-in
    initial_customer_intercept: float = -2.2
    initial_customer_fit: float = 2.0
    initial_customer_value: float = 2.0
    initial_customer_relationship: float = 1.5
    # good customer (truth): annual contract value and tenure at `end`
    good_customer_acv_jpy: int = 4_000_000
    good_customer_tenure_days: int = 730


@dataclass(frozen=True)
class SalesParams:
    """CRM contacts and sales activities."""

    initial_contact_base: float = 0.10  # share of a prospect account's people known
    initial_contact_customer: float = 0.35
    initial_contact_relationship: float = 0.3
    contacts_per_new_opportunity: float = 0.15  # each person: base ...
    contacts_relationship: float = 0.5  # ... + this x relationship (multithreading)
    contact_update_lag_days: float = 14.0
    lead_handoff_share: float = 0.6  # quote requests from account companies -> contact
    activity_rate_prospect: float = 0.006
    activity_rate_customer: float = 0.025
    activity_rate_open_opportunity: float = 0.18
    inbound_relationship: float = 0.25  # share of inbound touches at relationship 1
    email_crm_case_variant: float = 0.12
    email_crm_whitespace: float = 0.03


@dataclass(frozen=True)
class TruthParams:
    """How the truth files are computed."""

    mc_samples: int = 256  # Monte Carlo paths for companies with open deals / renewals
    window_days: int = 90  # propensity label window
    first_cutoff_after_days: int = 180  # monthly cutoffs from start + this
    buys_window_days: int = 180


@dataclass(frozen=True)
class SimulationConfig:
    """The world to simulate. The defaults are the demo world."""

    seed: int = 42
    n_accounts: int = 2000
    start: date = date(2025, 1, 1)
    end: date = date(2026, 9, 30)
    horizon_days: int = 180  # the world runs this long past `end`; only truth sees it
    burn_in_days: int = 730  # deals run this long before `start` (initial export history)
    max_rows_per_file: int = 200_000
    # MA activities (people x days) are written as they are simulated, in chunks of
    # whole days closed once this many are waiting: it bounds memory, never the output
    chunk_rows: int = 250_000
    companies: CompanyParams = field(default_factory=CompanyParams)
    people: PeopleParams = field(default_factory=PeopleParams)
    accounts: AccountParams = field(default_factory=AccountParams)
    intent: IntentParams = field(default_factory=IntentParams)
    engagement: EngagementParams = field(default_factory=EngagementParams)
    deals: DealParams = field(default_factory=DealParams)
    sales: SalesParams = field(default_factory=SalesParams)
    truth: TruthParams = field(default_factory=TruthParams)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.n_accounts < 10:
            raise ValueError(f"n_accounts must be at least 10, got {self.n_accounts}")
        if self.chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, got {self.chunk_rows}")
