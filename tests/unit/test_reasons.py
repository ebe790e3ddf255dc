"""Reasons in words: a prospect's reasons are true of a prospect (models_ml.reasons with the
shipped reason_templates.yml, on hand-made rows; no world, no model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models_ml import reasons

#: What only a customer can have: contracts, products owned, renewals, tenure.
CUSTOMER_ONLY = {"arr_jpy", "products_owned", "owns_platform", "add_ons_owned", "owns_services",
                 "days_to_renewal", "eligible_products", "eligible_add_ons", "tenure_days"}

GROUPS = reasons.load_templates("propensity")


def _row(**values: object) -> dict[str, object]:
    """A company with no history at all (counts 0, the feature mart's fillers for "never"),
    then ``values``."""
    row: dict[str, object] = {f: 0.0 for g in GROUPS for f in g.features}
    row.update(days_since_quote_request=365.0, days_since_engagement=180.0,
               days_since_opportunity=3650.0, days_since_win=3650.0, days_since_loss=3650.0,
               days_to_renewal=3650.0, deal_size_index=np.nan, meeting_acceptance_rate=np.nan,
               abm_tier="untiered", industry_division="E", industry_name="Manufacturing",
               employees=1200.0, revenue_growth_rate=0.12, account_age_days=40.0)
    row.update(values)
    return row


#: A prospect as the feature mart has one: its relationship quality is made of rates with
#: nothing to divide (58.33 with no CRM account at all).
PROSPECT = _row(is_customer=0.0, web_visits_30d=14.0, web_visits_prev_60d=20.0,
                engagement_score=35.0, ma_touches_30d=9.0, days_since_engagement=3.0,
                relationship_quality_score=58.33)
CUSTOMER = _row(is_customer=1.0, products_owned=2.0, eligible_products=3.0, arr_jpy=4.8e6,
                days_to_renewal=120.0, tenure_days=900.0, opportunities_total=4.0,
                opportunities_365d=1.0, days_since_opportunity=200.0, won_deals=2.0,
                deal_size_index=0.9, lost_deals=1.0, days_since_loss=45.0,
                abm_tier="tier_1", relationship_quality_score=62.0, meetings_365d=3.0,
                web_visits_30d=14.0,
                web_visits_prev_60d=20.0, engagement_score=35.0, ma_touches_30d=9.0,
                days_since_engagement=3.0)


def _all_reasons(row: dict[str, object], sign: float) -> list[str]:
    """Every group's words for ``row`` when every group lifts (sign 1) or lowers (-1) it."""
    groups = [(g, list(g.features)) for g in GROUPS]
    deltas = sign * np.linspace(1.0, 0.5, len(groups))[None, :]
    return [w for w in reasons.top_reasons(deltas, groups, pd.DataFrame([row]),
                                           k=len(groups))[0] if w]


def _group(feature: str) -> reasons.ReasonGroup:
    return next(g for g in GROUPS if feature in g.features)


def test_a_prospect_and_a_customer_with_the_same_top_features_get_their_own_words():
    groups = [(_group("is_customer"), ["is_customer"]), (_group("lost_deals"), ["lost_deals"]),
              (_group("web_visits_30d"), ["web_visits_30d"])]
    # the same story holds both back most, then the same two lift both
    deltas = np.array([[-0.05, 0.02, 0.01], [-0.05, 0.02, 0.01]])
    frame = pd.DataFrame([CUSTOMER, PROSPECT])
    customer, prospect = reasons.top_reasons(deltas, groups, frame)
    assert customer == ["lost a deal 45 days ago: time for a new proposal",
                        "website visits: 14 in 30 days",
                        "little left to sell: 3 products not owned or in a deal"]
    # no lost deal to speak of, nothing "left to sell" from products it cannot own
    assert prospect == ["website visits: 14 in 30 days", "not a customer yet", None]


def test_a_customer_lifted_by_what_it_owns_and_a_prospect_by_a_past_churn():
    group = [(_group("is_customer"), ["is_customer"])]
    former = dict(PROSPECT, products_churned=2.0)
    frame = pd.DataFrame([CUSTOMER, PROSPECT, former])
    words = reasons.top_reasons(np.full((3, 1), 0.03), group, frame, k=1)
    assert words == [["customer owning 2 of our products, 3 still to offer"], [None],
                     ["former customer: 2 products ended"]]


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["lifting", "lowering"])
def test_no_reason_of_a_prospect_speaks_of_what_it_cannot_have(sign: float):
    words = _all_reasons(PROSPECT, sign)
    assert words, "the prospect has reasons"
    text = " / ".join(words)
    for customer_story in ("customer owning", "left to sell", "products not owned",
                           "still to offer", "account opened", "lost a deal", "deals won",
                           "named untiered", "deals in the last 12 months: 0",
                           "relationship", "3650", "365 days ago"):
        assert customer_story not in text, (customer_story, words)
    if sign > 0:
        assert "website visits: 14 in 30 days" in words
        assert "first seen 40 days ago" in words
    else:
        assert "not a customer yet" in words


def test_the_customer_words_are_kept_for_a_customer():
    lifted = _all_reasons(CUSTOMER, 1.0)
    assert "customer owning 2 of our products, 3 still to offer" in lifted
    assert "named tier_1 by sales" in lifted
    assert "deals won before: 2, at 0.9x list price" in lifted
    assert "strong relationship (quality 62/100)" in lifted
    assert "little left to sell: 3 products not owned or in a deal" in _all_reasons(CUSTOMER, -1.0)


def test_no_prospect_template_names_a_customer_only_feature():
    # the account-level reasons, whose rows are prospects too (cross-sell is per CRM account)
    for kind in ("propensity", "lookalike"):
        for group in reasons.load_templates(kind):
            words = group.words_for(prospect=True)
            for template in (words.template, words.trend_template, words.low_template):
                named = reasons._named(template) if template else frozenset()
                assert not named & CUSTOMER_ONLY, (kind, template)


def test_rows_without_a_customer_flag_are_read_with_the_groups_own_words():
    assert not reasons.prospect_rows(pd.DataFrame({"x": [1, 2]})).any()
    flags = reasons.prospect_rows(pd.DataFrame({"is_customer": [1.0, 0.0, np.nan]}))
    assert flags.tolist() == [False, True, True]


def test_a_count_of_nothing_in_the_window_a_template_names_is_no_reason():
    # visits before the 30 days may lift the score, but "0 visits in 30 days" says nothing
    quiet = dict(PROSPECT, web_visits_30d=0.0, web_visits_prev_60d=6.0, email_opens_30d=0.0,
                 email_clicks_30d=0.0, email_opens_prev_60d=4.0)
    words = _all_reasons(quiet, 1.0)
    assert not [w for w in words if " 0 in 30 days" in w or "opened 0x" in w], words


def test_a_prospect_resembling_good_customers_is_known_by_its_leads_not_crm_contacts():
    groups = [(g, list(g.features)) for g in reasons.load_templates("lookalike")
              if "known_contacts" in g.features]
    prospect = dict(PROSPECT, known_contacts=0.0, known_leads=3.0, engaged_people_90d=2.0)
    customer = dict(CUSTOMER, known_contacts=4.0, known_leads=5.0, engaged_required_roles=2.0)
    frame = pd.DataFrame([prospect, customer, dict(prospect, known_leads=0.0)])
    lifted = reasons.top_reasons(np.full((3, 1), 0.02), groups, frame, k=1)
    assert lifted == [["people known: 3, 2 active in 90 days"],
                      ["contacts known: 4, 2 buying-group roles engaged"], [None]]
    lowered = reasons.top_reasons(np.full((3, 1), -0.02), groups, frame, k=1)
    assert lowered == [["few people known: 3"], ["few contacts known: 4"],
                       ["few people known: 0"]]
