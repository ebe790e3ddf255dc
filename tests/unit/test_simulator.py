"""The simulated world: landing files honour the raw contract and the delivery config,
and the truth is consistent with what landed and carries real signal."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

from kizuna.contract import ENTITIES, ENTITIES_BY_TABLE
from kizuna.simulator import SimulationConfig, SimulationResult, simulate
from kizuna.simulator import truth as truth_module
from kizuna.simulator.corporate_number import is_valid
from kizuna.simulator.writer import write_entity
from kizuna.sources.config import DeliverySpec, delivery_specs

# Ten months: enough for four monthly propensity cutoffs (from start + 180 days).
WORLD = SimulationConfig(seed=11, n_accounts=200, start=date(2025, 1, 1),
                         end=date(2025, 10, 31))
TINY = SimulationConfig(seed=3, n_accounts=60, start=date(2025, 3, 1), end=date(2025, 4, 30),
                        max_rows_per_file=400)
TRUTH_COLUMNS = {
    "companies": ["corporate_number", "is_customer", "is_good_customer", "is_potential_good",
                  "fit", "relationship_quality"],
    "lead_company": ["record_type", "record_id", "person_id", "corporate_number"],
    "account_company": ["account_id", "corporate_number"],
    "contact_history": ["person_id", "corporate_number", "department", "title", "valid_from",
                        "valid_to"],
    "propensity": ["corporate_number", "cutoff_date", "p_opportunity_90d",
                   "had_opportunity_90d"],
    "product_needs": ["corporate_number", "product_id", "need", "buys_next_180d"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate(WORLD, out_dir=tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def tables(world: SimulationResult) -> dict[str, pd.DataFrame]:
    return {e.table: read_entity(world.landing_dir, e.table) for e in ENTITIES}


def entity_files(landing: Path, table: str) -> list[Path]:
    spec = delivery_specs()[table]
    base = landing / spec.entity.source / spec.entity.name
    return sorted(p for p in base.glob("*/part-*") if not p.name.endswith(".part"))


def written_encoding(configured: str) -> str:
    """The simulator writes UTF-8 for a source whose reader detects the encoding."""
    return "utf-8" if configured == "auto" else configured


def read_entity(landing: Path, table: str) -> pd.DataFrame:
    """All delivered rows of a table as text, read the way its delivery spec says."""
    spec = delivery_specs()[table]
    frames = []
    for path in entity_files(landing, table):
        if spec.format == "csv":
            text = path.read_bytes().decode(written_encoding(spec.encoding))
            f = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            sep=spec.delimiter)
        elif spec.format == "jsonl":
            text = path.read_bytes().decode(written_encoding(spec.encoding))
            rows = [json.loads(x) for x in text.splitlines()]
            f = pd.DataFrame(rows, columns=list(rows[0]))
        else:
            f = pq.read_table(path).to_pandas()
        f["_folder"] = path.parent.name
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def truth(world: SimulationResult, name: str) -> pd.DataFrame:
    return pd.read_csv(world.truth_dir / f"{name}.csv", dtype=str, keep_default_na=False)


def assert_same_files(a: SimulationResult, b: SimulationResult) -> None:
    files_a = sorted(p.relative_to(a.out_dir) for p in a.out_dir.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b.out_dir) for p in b.out_dir.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a.out_dir / rel).read_bytes() == (b.out_dir / rel).read_bytes(), rel


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    a = simulate(TINY, out_dir=tmp_path / "a")
    b = simulate(TINY, out_dir=tmp_path / "b")
    assert_same_files(a, b)
    c = simulate(replace(TINY, seed=4), out_dir=tmp_path / "c")
    leads = "landing/ma/leads/2025-03-01/part-0001.csv"
    assert (a.out_dir / leads).read_bytes() != (c.out_dir / leads).read_bytes()


def test_chunk_size_changes_no_byte_of_the_world(tmp_path: Path) -> None:
    # MA activities written a day at a time against all at once: exact equality, truth
    # included, and a progress report per chunk
    ticks: list[int] = []

    def progress(step: str, done: int, total: int) -> None:
        if step == "engagement" and 0 < done < total:
            ticks.append(done)

    daily = simulate(replace(TINY, chunk_rows=1), out_dir=tmp_path / "daily",
                     progress=progress)
    whole = simulate(replace(TINY, chunk_rows=10**9), out_dir=tmp_path / "whole")
    assert_same_files(daily, whole)
    assert daily.counts == whole.counts and daily.folders == whole.folders
    assert daily.counts["ma_activities"] > 1000
    assert len(ticks) > 30 and ticks == sorted(set(ticks))  # nearly every day a chunk


def test_files_above_the_row_limit_are_split_into_parts(tmp_path: Path) -> None:
    result = simulate(TINY, out_dir=tmp_path)
    parts = list(result.landing_dir.rglob("part-0002.*"))
    assert parts, "the initial export of the tiny world should need a second part"
    for path in parts:
        assert len(read_entity_part(path)) <= TINY.max_rows_per_file


def read_entity_part(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pandas()
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    enc = "cp932" if "/crm/" in path.as_posix() else "utf-8-sig"
    return pd.read_csv(path, encoding=enc, dtype=str)


def test_every_entity_is_written_with_exactly_the_contract_columns(
        world: SimulationResult, tables: dict[str, pd.DataFrame]) -> None:
    for e in ENTITIES:
        frame = tables[e.table]
        assert len(frame) > 0, e.table
        assert list(frame.columns[:-1]) == e.column_names, e.table
        assert world.counts[e.table] == len(frame)


def test_files_have_the_configured_format_and_encoding(world: SimulationResult) -> None:
    for e in ENTITIES:
        spec = delivery_specs()[e.table]
        files = entity_files(world.landing_dir, e.table)
        ext = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}[spec.format]
        assert all(p.suffix == ext for p in files), e.table
        for path in files[:20]:
            raw = path.read_bytes()
            if spec.format == "parquet":
                assert raw[:4] == b"PAR1"
                continue
            assert raw.startswith(b"\xef\xbb\xbf") == (spec.encoding == "utf-8-sig"), path
            raw.decode(written_encoding(spec.encoding), errors="strict")


def test_crm_files_decode_strictly_as_cp932_and_hold_japanese(world: SimulationResult) -> None:
    crm = [e.table for e in ENTITIES if e.source == "crm"]
    for table in crm:
        assert delivery_specs()[table].encoding == "cp932"
        for path in entity_files(world.landing_dir, table):
            path.read_bytes().decode("cp932", errors="strict")
    accounts = (world.landing_dir / "crm/accounts").glob("*/part-0001.csv")
    text = next(iter(sorted(accounts))).read_bytes().decode("cp932")
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text)


def test_timestamps_are_jst_in_each_format(tables: dict[str, pd.DataFrame],
                                           world: SimulationResult) -> None:
    csv_ts = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    assert tables["crm_accounts"]["updated_at"].str.match(csv_ts).all()
    assert tables["ma_leads"]["created_at"].str.match(csv_ts).all()
    assert tables["crm_contracts"]["started_on"].str.match(r"^\d{4}-\d{2}-\d{2}$").all()
    assert tables["ma_leads"]["opt_out"].isin(["true", "false"]).all()
    json_ts = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$")
    assert tables["ma_activities"]["occurred_at"].str.match(json_ts).all()
    firmo = entity_files(world.landing_dir, "firmo_companies")[0]
    field = pq.read_schema(firmo).field("updated_at")
    assert str(field.type) == "timestamp[us]"  # naive: JST wall time


def test_nothing_lands_after_end_and_folders_are_complete(
        world: SimulationResult, tables: dict[str, pd.DataFrame]) -> None:
    end = WORLD.end.isoformat()
    for e in ENTITIES:
        frame = tables[e.table]
        assert (frame["_folder"] <= end).all() and (frame["_folder"] >= "2025-01-01").all()
        for col in ("updated_at", "occurred_at", "changed_at"):
            if col in frame:
                stamps = pd.Series(frame[col]).astype(str).str[:10]
                assert (stamps <= end).all(), (e.table, col)
                # a row lands in the folder of the JST day it was created or changed
                later = stamps[frame["_folder"] > WORLD.start.isoformat()]
                assert (later == frame.loc[later.index, "_folder"]).all(), (e.table, col)
    folders = {p.parent for p in world.landing_dir.rglob("part-*")}
    assert all((f / "_SUCCESS").exists() for f in folders)
    assert not list(world.landing_dir.rglob("*.part"))


def test_firmo_delivers_the_full_database_then_monthly_changes(
        tables: dict[str, pd.DataFrame]) -> None:
    firmo = tables["firmo_companies"]
    folders = sorted(firmo["_folder"].unique())
    assert folders[0] == "2025-01-01"
    assert all(f.endswith("-01") for f in folders)
    first = firmo[firmo["_folder"] == "2025-01-01"]
    assert first["corporate_number"].is_unique
    assert len(first) == round(WORLD.n_accounts * WORLD.companies.companies_per_account)
    assert firmo["corporate_number"].map(is_valid).all()
    assert first["company_name_kana"].str.fullmatch(r"[\u30a0-\u30ff]+").all()
    assert first["industry_code"].str.fullmatch(r"[A-T]\d{2}").all()


def test_crm_corporate_numbers_are_mostly_filled_and_a_few_mistyped(
        tables: dict[str, pd.DataFrame]) -> None:
    accounts = tables["crm_accounts"].drop_duplicates("account_id", keep="last")
    filled = accounts["corporate_number"] != ""
    assert 0.45 < filled.mean() < 0.85
    valid = accounts.loc[filled, "corporate_number"].map(is_valid)
    assert valid.mean() > 0.9


def test_truth_files_have_exactly_the_documented_columns(world: SimulationResult) -> None:
    for name, columns in TRUTH_COLUMNS.items():
        assert list(truth(world, name).columns) == columns, name
    assert (world.truth_dir / "README.md").read_text(encoding="utf-8").startswith("# Truth")
    assert sorted(p.stem for p in world.truth_dir.glob("*.csv")) == sorted(TRUTH_COLUMNS)


def test_contact_history_intervals_are_contiguous_and_do_not_overlap(
        world: SimulationResult) -> None:
    h = truth(world, "contact_history")
    assert (h["valid_to"].eq("") | (h["valid_to"] > h["valid_from"])).all()
    for _, g in h.groupby("person_id", sort=False):
        if len(g) == 1:
            continue
        g = g.sort_values("valid_from")
        assert (g["valid_to"].iloc[:-1].to_numpy() == g["valid_from"].iloc[1:].to_numpy()).all()
        assert g["valid_to"].iloc[-1] == ""
    assert (h.groupby("person_id")["valid_to"].apply(lambda s: (s == "").sum()) == 1).all()


def test_people_change_titles_departments_and_employers(world: SimulationResult) -> None:
    h = truth(world, "contact_history")
    changed = h[h["valid_from"] >= "2025-01-01"].merge(h, on="person_id")
    assert len(changed) > 0
    per_person = h.groupby("person_id")["corporate_number"].nunique()
    assert (per_person > 1).any(), "some people should have moved to another company"


def test_every_lead_and_contact_is_in_truth(world: SimulationResult,
                                            tables: dict[str, pd.DataFrame]) -> None:
    lc = truth(world, "lead_company")
    leads = set(lc.loc[lc["record_type"] == "ma_lead", "record_id"])
    contacts = set(lc.loc[lc["record_type"] == "crm_contact", "record_id"])
    assert set(tables["ma_leads"]["lead_id"]) == leads
    assert set(tables["crm_contacts"]["contact_id"]) == contacts
    assert set(tables["crm_accounts"]["account_id"]) == set(truth(world, "account_company")[
        "account_id"])
    firmo = set(tables["firmo_companies"]["corporate_number"])
    assert set(lc["corporate_number"]) - {""} <= firmo
    # some people hold several leads (a card without e-mail, then a web form; a move)
    assert lc[lc["record_type"] == "ma_lead"]["person_id"].duplicated().any()


def test_account_names_differ_from_the_company_database_for_many_accounts(
        world: SimulationResult, tables: dict[str, pd.DataFrame]) -> None:
    accounts = tables["crm_accounts"].drop_duplicates("account_id", keep="last")
    names = tables["firmo_companies"].drop_duplicates("corporate_number").set_index(
        "corporate_number")["company_name"]
    truth_map = truth(world, "account_company").set_index("account_id")["corporate_number"]
    official = accounts["account_id"].map(truth_map).map(names)
    differs = accounts["account_name"].to_numpy() != official.to_numpy()
    assert 0.4 < differs.mean() < 0.95
    typed = " ".join(accounts["account_name"])
    assert any(x in typed for x in ("(株)", "㈱", "（株）"))
    assert re.search(r"[\uff66-\uff9f]", typed), "some half-width katakana"
    # duplicate accounts: two CRM accounts for one company
    assert truth_map.duplicated().any()


def test_engagement_is_higher_before_an_opportunity(world: SimulationResult,
                                                    tables: dict[str, pd.DataFrame]) -> None:
    """MA behaviour in the 60 days before a cutoff is higher where an opportunity follows."""
    act = tables["ma_activities"]
    act = act[act["activity_type"] != "email_send"]
    lc = truth(world, "lead_company")
    company = lc[lc["record_type"] == "ma_lead"].set_index("record_id")["corporate_number"]
    act = act.assign(cn=act["lead_id"].map(company), day=act["occurred_at"].str[:10])
    prop = truth(world, "propensity")
    rows = []
    for cutoff, g in prop.groupby("cutoff_date"):
        lo = str(date.fromisoformat(cutoff).toordinal() - 60)
        lo = date.fromordinal(int(lo)).isoformat()
        window = act[(act["day"] <= cutoff) & (act["day"] > lo)]
        counts = window.groupby("cn").size()
        rows.append(g.assign(engagement=g["corporate_number"].map(counts).fillna(0)))
    x = pd.concat(rows)
    had = x["had_opportunity_90d"] == "true"
    assert had.sum() >= 10
    assert x.loc[had, "engagement"].mean() > 1.2 * x.loc[~had, "engagement"].mean()
    assert roc_auc_score(had, x["engagement"]) > 0.55


def test_propensity_truth_ranks_companies_that_got_an_opportunity(
        world: SimulationResult) -> None:
    prop = truth(world, "propensity")
    assert sorted(prop["cutoff_date"].unique()) == ["2025-07-01", "2025-08-01", "2025-09-01",
                                                    "2025-10-01"]
    p = prop["p_opportunity_90d"].astype(float)
    had = prop["had_opportunity_90d"] == "true"
    assert ((p >= 0) & (p <= 1)).all()
    assert p[had].mean() > 2 * p[~had].mean()
    assert roc_auc_score(had, p) > 0.75
    # calibrated: the mean probability is close to the observed rate
    assert abs(p.mean() - had.mean()) < 0.04


def test_truth_run_in_blocks_of_paths_differs_only_by_monte_carlo_noise(
        world: SimulationResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # at scale the truth's Monte Carlo paths run in blocks; blocks draw other fresh numbers
    monkeypatch.setattr(truth_module, "MAX_PATHS", 700)
    blocked = simulate(WORLD, out_dir=tmp_path)
    for rel in sorted(p.relative_to(world.landing_dir) for p in world.landing_dir.rglob("*")
                      if p.is_file()):
        assert (world.landing_dir / rel).read_bytes() == (
            blocked.landing_dir / rel).read_bytes(), rel
    a, b = truth(world, "propensity"), truth(blocked, "propensity")
    assert (a.drop(columns="p_opportunity_90d") == b.drop(columns="p_opportunity_90d")
            ).all().all()
    pa_, pb = a["p_opportunity_90d"].astype(float), b["p_opportunity_90d"].astype(float)
    diff = (pa_ - pb).abs()
    assert diff.max() < 0.1 and diff.mean() < 0.005  # 256 paths: sd of a mean <= 0.03
    assert 0 < (diff > 0).mean() < 0.5  # only companies with open deals are sampled
    assert abs(pa_.mean() - pb.mean()) < 0.005


def test_good_customers_are_customers_and_potential_good_are_not_good(
        world: SimulationResult) -> None:
    c = truth(world, "companies")
    assert (c.loc[c["is_good_customer"] == "true", "is_customer"] == "true").all()
    assert not ((c["is_good_customer"] == "true") & (c["is_potential_good"] == "true")).any()
    assert (c["is_customer"] == "true").sum() > 0
    assert (c["is_potential_good"] == "true").sum() > 0
    fit = c["fit"].astype(float)
    assert fit.between(0, 1).all()


def test_product_needs_cover_every_company_and_product(world: SimulationResult,
                                                       tables: dict[str, pd.DataFrame]) -> None:
    needs = truth(world, "product_needs")
    products = set(tables["crm_products"]["product_id"])
    assert len(needs) == len(truth(world, "companies")) * len(products)
    assert set(needs["product_id"]) == products
    assert needs["need"].astype(float).between(0, 1).all()


def test_a_changed_delivery_config_changes_what_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "sources.yml"
    cfg.write_text(
        "ma:\n  format: csv\n  encoding: utf-8\n  timezone: Asia/Tokyo\n"
        "  done_marker: READY\n"
        "crm:\n  format: jsonl\n  encoding: utf-8\n  timezone: Asia/Tokyo\n"
        "  entities:\n    accounts:\n      columns:\n        AccountName: account_name\n"
        "firmo:\n  format: csv\n  encoding: cp932\n  timezone: Asia/Tokyo\n",
        encoding="utf-8")
    monkeypatch.setenv("KIZUNA_SOURCES", str(cfg))
    result = simulate(TINY, out_dir=tmp_path / "out")
    landing = result.landing_dir
    assert list(landing.glob("ma/activities/*/part-0001.csv"))
    assert list(landing.glob("ma/activities/*/READY"))
    assert not list(landing.glob("ma/activities/*/_SUCCESS"))
    first = sorted(landing.glob("crm/accounts/*/part-0001.jsonl"))[0]
    row = json.loads(first.read_text(encoding="utf-8").splitlines()[0])
    assert "AccountName" in row and "account_name" not in row
    assert not list(landing.glob("crm/accounts/*/_SUCCESS"))
    firmo = sorted(landing.glob("firmo/companies/*/part-0001.csv"))[0]
    firmo.read_bytes().decode("cp932", errors="strict")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "auto"])
def test_jsonl_text_is_escaped_as_json_dumps_would(tmp_path: Path, encoding: str) -> None:
    names = ['ABM "入門"', "C:\\data\\営業", "tab\there", "two\nlines", "", "ｶﾅ ＤＸ",
             "bell\x07", "plain"]
    frame = pd.DataFrame({
        "campaign_id": [f"CMP{k}" for k in range(len(names))], "name": names,
        "channel": "webinar", "product_id": ["P001", ""] * (len(names) // 2),
        "started_on": 20_000, "ended_on": [20_001, None] * (len(names) // 2),
        "cost_jpy": [10_000, None] * (len(names) // 2), "_day": 20_000 + np.arange(
            len(names)) // 3})
    spec = DeliverySpec(ENTITIES_BY_TABLE["ma_campaigns"], format="jsonl", encoding=encoding,
                        done_marker="_SUCCESS")
    write_entity(frame, spec, tmp_path, max_rows=2)
    files = sorted(tmp_path.glob("ma/campaigns/*/part-*.jsonl"))
    assert [f.name for f in files] == ["part-0001.jsonl", "part-0002.jsonl"] * 2 + [
        "part-0001.jsonl"]
    lines = []
    for f in files:
        data = f.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
        lines += data.decode("cp932" if encoding == "cp932" else "utf-8-sig").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["name"] for r in rows] == [x or None for x in names]
    for line, row in zip(lines, rows, strict=True):
        assert line == json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    assert rows[1]["ended_on"] is None and rows[0]["ended_on"] == "2024-10-05"
    assert rows[0]["cost_jpy"] == 10_000 and rows[1]["cost_jpy"] is None


def test_progress_is_reported_by_step(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    simulate(TINY, out_dir=tmp_path, progress=lambda s, d, t: seen.append((s, d, t)))
    steps = {s for s, _, _ in seen}
    assert {"companies", "deals", "engagement", "landing"} <= steps
    assert all(0 <= d <= t for _, d, t in seen)
    assert seen[-1][1] == seen[-1][2]


def test_invalid_configs_are_rejected() -> None:
    with pytest.raises(ValueError, match="before start"):
        SimulationConfig(start=date(2025, 2, 1), end=date(2025, 1, 1))
    with pytest.raises(ValueError, match="n_accounts"):
        SimulationConfig(n_accounts=1)
    assert np.isclose(SimulationConfig().companies.companies_per_account, 3.0)
