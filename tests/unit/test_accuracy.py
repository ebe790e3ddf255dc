"""kizuna.accuracy on a hand-made warehouse and truth: the same links give the same figures
whether the warehouse holds the world's lead ids or a vendor's (named in truth/lead_ids.csv),
and the per-method figures add up to the overall ones."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kizuna.accuracy import LEAD_IDS, Measure, measure
from kizuna.warehouse import DuckDBWarehouse

# world lead -> (true company, linked account, match method, activities)
LEADS = {
    "L1": ("1000000000001", "A1", "email_domain", 3),  # right
    "L2": ("1000000000001", "A2", "name", 1),  # wrong: A2 is another company's
    "L3": ("1000000000002", None, "no_account", 2),  # missed: its company has an account
    "L4": ("1000000000003", None, "unmatched", 5),  # its company has no account
    "L5": ("1000000000002", "A2", "name", 4),  # right
}
ACCOUNTS = {"A1": "1000000000001", "A2": "1000000000002"}


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _measure(tmp_path: Path, vendor_id: dict[str, str] | None,
             name_them: bool = True) -> list[Measure]:
    """Build the warehouse under the vendor's ids (the world's when ``vendor_id`` is None),
    named in the truth's lead ids unless ``name_them`` is false, and measure it."""
    truth = tmp_path / "truth"
    truth.mkdir(parents=True)
    _write(truth / "lead_company.csv", ["record_type", "record_id", "person_id",
                                        "corporate_number"],
           [("ma_lead", lead, f"P{lead}", company) for lead, (company, *_) in LEADS.items()])
    _write(truth / "account_company.csv", ["account_id", "corporate_number"],
           list(ACCOUNTS.items()))
    ids = vendor_id or {lead: lead for lead in LEADS}
    if vendor_id and name_them:
        _write(truth / LEAD_IDS, ["lead_id", "world_lead_id"],
               [(v, lead) for lead, v in vendor_id.items()])
    wh = DuckDBWarehouse(Path(":memory:"))
    try:
        wh.execute("CREATE SCHEMA marts; CREATE SCHEMA staging; "
                   "CREATE TABLE marts.dim_leads (lead_id VARCHAR, account_id VARCHAR, "
                   "account_key VARCHAR, match_method VARCHAR); "
                   "CREATE TABLE staging.stg_ma__activities (lead_id VARCHAR); "
                   "CREATE SCHEMA intermediate; CREATE TABLE intermediate.int_person_records "
                   "(record_type VARCHAR, record_id VARCHAR, person_key VARCHAR)")
        for lead, (_, account, method, activities) in LEADS.items():
            wh.execute("INSERT INTO marts.dim_leads VALUES (?, ?, ?, ?)",
                       [ids[lead], account, account and f"crm:{account}", method])
            # each lead a person of its own, as the truth has it (persons: tests/dbt)
            wh.execute("INSERT INTO intermediate.int_person_records VALUES ('ma_lead', ?, ?)",
                       [ids[lead], f"person:{ids[lead]}"])
            for _ in range(activities):
                wh.execute("INSERT INTO staging.stg_ma__activities VALUES (?)", [ids[lead]])
        # a vendor lead that is no world lead (a CRM contact of its own) counts nowhere
        wh.execute("INSERT INTO marts.dim_leads VALUES ('C9', 'A1', 'crm:A1', 'email')")
        return measure(wh, truth)
    finally:
        wh.close()


def _figures(measures: list[Measure]) -> dict[tuple[str | None, str], tuple[int, int]]:
    return {(m.match_method, m.metric): (m.numerator, m.denominator) for m in measures}


@pytest.fixture
def native(tmp_path: Path) -> dict[tuple[str | None, str], tuple[int, int]]:
    return _figures(_measure(tmp_path / "native", None))


def test_lead_figures_count_right_links_over_linked_and_reachable_leads(native) -> None:
    assert native[(None, "lead_account_precision")] == (2, 3)
    assert native[(None, "lead_account_recall")] == (2, 4)


def test_per_method_figures_add_up_to_the_overall_ones(native) -> None:
    for metric in ("lead_account_precision", "lead_account_recall"):
        split = [v for (method, m), v in native.items() if m == metric and method]
        assert (sum(n for n, _ in split), sum(d for _, d in split)) == native[(None, metric)]
    assert native[("name", "lead_account_precision")] == (1, 2)
    assert native[("no_account", "lead_account_recall")] == (0, 1)
    assert native[("unmatched", "lead_account_recall")] == (0, 0)


def test_vendor_lead_ids_named_in_the_truth_give_the_native_figures(tmp_path: Path,
                                                                    native) -> None:
    vendor = _figures(_measure(tmp_path / "vendor",
                               {lead: f"satori-{lead.lower()}" for lead in LEADS}))
    assert vendor == native


def test_vendor_lead_ids_the_truth_does_not_name_reach_no_world_lead(tmp_path: Path) -> None:
    """What the truth's lead ids are for: without them a vendor's ids match no lead."""
    unnamed = _figures(_measure(tmp_path / "vendor", {lead: f"x-{lead}" for lead in LEADS},
                                name_them=False))
    assert unnamed[(None, "lead_account_precision")] == (0, 0)
    assert unnamed[(None, "lead_account_recall")] == (0, 0)
