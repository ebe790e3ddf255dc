"""Activation on the session's trained names-only world (300 accounts, 15 months, scored):
its company database holds names and numbers only, so no account reaches the default fit
bar of an MQA; the copy here lowers that bar (var ``mqa_min_fit_score``, as a team that
knows no firmographics would) and rebuilds the MQA marts. Then: the MQA list, the ranked
target list and the lead hand-offs written as each vendor's import files, opted-out people
left out, every export audited, the same scores exported twice written the same and
recorded unchanged, one changed score changing one record, and the target list pushed to a
local HubSpot API once.

Each test works on a copy of the world's warehouse (exports write ``audit`` tables).
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from kizuna.activation.formats import CP932, FILES, HUBSPOT, MARKETO, SALESFORCE

if TYPE_CHECKING:
    from conftest import TrainedWorld

    from kizuna.activation import ExportReport

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("names_only_world")]


#: The MQA marts rebuilt with a fit bar the names-only world can reach, then the lists.
MQA_REBUILD = ["build", "--select", "mart_account_scores", "fct_mqa_events",
               "mart_target_accounts", "--vars", "{mqa_min_fit_score: 0}"]


@pytest.fixture(scope="module")
def lists_built(names_only_world: TrainedWorld, tmp_path_factory: pytest.TempPathFactory
                ) -> Path:
    """A copy of the scored world's warehouse with MQAs and the export lists built (dbt)."""
    from kizuna.pipeline import DBT_EXPORTS
    from kizuna.transform import run_dbt, run_step

    assert names_only_world.score_exit_code == 0, names_only_world.score_output
    world = names_only_world.world
    home = tmp_path_factory.mktemp("activation")
    (home / "warehouse").mkdir()
    for source in (world.warehouse, world.warehouse.with_name(world.warehouse.name + ".wal")):
        if source.exists():
            shutil.copy2(source, home / "warehouse" / source.name)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in world.environment(home).items():
            mp.setenv(key, value)
        results = run_dbt(MQA_REBUILD, quiet=True) + run_step(DBT_EXPORTS)
    assert [r for r in results if r.status not in ("success", "pass")] == []
    return home / "warehouse" / world.warehouse.name


@pytest.fixture
def home(lists_built: Path, names_only_world: TrainedWorld, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own KIZUNA_HOME, holding a copy of the warehouse with the lists built."""
    (tmp_path / "warehouse").mkdir()
    shutil.copy2(lists_built, tmp_path / "warehouse" / lists_built.name)
    for key, value in names_only_world.world.environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def export(**kwargs) -> ExportReport:
    from kizuna.activation import export_lists

    return export_lists(**kwargs)


def query(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def every_file(folder: Path) -> Iterator[tuple[Path, str]]:
    """Every file under ``folder`` with its text."""
    for path in sorted(folder.rglob("*.csv")):
        yield path, path.read_bytes().decode("cp932" if "cp932" in path.parts else "utf-8")


def test_every_list_is_written_in_each_vendors_import_format(home: Path):
    report = export()

    (date,) = query(home, "SELECT max(as_of_date) FROM marts.mart_account_scores")[0]
    assert report.folder == home / "exports" / str(date)
    mqa = {r[0]: r[1] for r in query(
        home, "SELECT account_key, account_id FROM exports.export_mqa_accounts")}
    targets = {r[0]: r[1] for r in query(
        home, "SELECT account_key, account_id FROM exports.export_target_accounts "
              "ORDER BY target_rank")}
    (handoffs,) = query(home, "SELECT count(*) FROM exports.export_lead_handoffs")[0]
    assert len(mqa) > 0 and len(targets) > 0 and handoffs > 0
    for fmt in FILES:
        assert (report.folder / fmt.path).is_file(), fmt.path
        assert (report.folder / fmt.target / "delta" / fmt.file_name).is_file(), fmt.path
    rows = report.rows()
    assert rows["hubspot"] == {"hubspot/companies_mqa.csv": len(mqa),
                               "hubspot/companies_targets.csv": len(targets),
                               "hubspot/contacts_handoffs.csv": handoffs}

    # HubSpot: property internal names; companies matched by domain, contacts by e-mail
    companies = read_csv(report.folder / HUBSPOT[1].path)
    assert list(companies[0])[:4] == ["name", "domain", "kizuna_account_key", "kizuna_tier"]
    assert [c["kizuna_account_key"] for c in companies] == list(targets)  # in rank order
    assert {c["kizuna_tier"] for c in companies} <= {"tier_1", "tier_2", "tier_3"}
    contacts = read_csv(report.folder / HUBSPOT[2].path)
    assert list(contacts[0])[:3] == ["email", "firstname", "lastname"]
    assert all("@" in c["email"] for c in contacts)

    # Salesforce: API names; an update carries the CRM record's Id, the rest are inserts
    update = read_csv(report.folder / SALESFORCE[2].path)
    insert = read_csv(report.folder / SALESFORCE[3].path)
    assert next(iter(update[0])) == "Id" and "Id" not in insert[0]
    assert {u["Id"] for u in update} == {v for v in targets.values() if v is not None}
    assert len(update) + len(insert) == len(targets)
    assert rows["salesforce"]["salesforce/Contact_update_handoffs.csv"] + rows["salesforce"][
        "salesforce/Lead_insert_handoffs.csv"] == handoffs
    assert all(row["Kizuna_MQA__c"] == "true" for row in read_csv(
        report.folder / SALESFORCE[0].path))

    # Marketo: lead fields by their REST names
    leads = read_csv(report.folder / MARKETO[0].path)
    assert list(leads[0])[:5] == ["email", "firstName", "lastName", "company", "title"]
    assert len(leads) == handoffs

    # CP932: Japanese headers, no byte order mark, CRLF, Japanese names intact
    raw = (report.folder / CP932[1].path).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == len(targets) + 1
    japanese = read_csv(report.folder / CP932[1].path, "cp932")
    assert list(japanese[0])[:5] == ["順位", "ターゲット層", "企業キー", "CRM取引先ID", "企業名"]
    names = dict(query(home, "SELECT account_key, account_name "
                             "FROM exports.export_target_accounts"))
    assert {r["企業キー"]: r["企業名"] for r in japanese} == names

    # each file audited: what, when, how many, where, its checksum
    audited = query(home, "SELECT target, file_name, row_count, destination, sha256, status "
                          "FROM audit.exports")
    assert len(audited) == len(FILES)
    for target, name, count, destination, sha, status in audited:
        assert status == "new" and len(sha) == 64
        assert Path(destination) == report.folder / name
        assert rows[target][name] == count


def test_opted_out_people_never_appear_in_any_export(home: Path):
    # the world has people who opted out at accounts that are MQAs today
    # the addresses are in the restricted schema; the marts join people by email_hash
    opted_out = query(home, """
        SELECT l.lead_id, c.email FROM marts.dim_leads l
        JOIN restricted.restricted_lead_contacts c ON l.lead_id = c.lead_id
        JOIN exports.export_mqa_accounts m ON l.account_key = m.account_key
        WHERE l.is_opted_out AND c.email IS NOT NULL""")
    reachable = query(home, """
        SELECT l.lead_id, c.email FROM marts.dim_leads l
        JOIN restricted.restricted_lead_contacts c ON l.lead_id = c.lead_id
        JOIN exports.export_mqa_accounts m ON l.account_key = m.account_key
        WHERE l.email_hash IS NOT NULL AND l.email_hash NOT IN (
            SELECT d.email_hash FROM marts.dim_leads d
            LEFT JOIN marts.fct_activities a
                ON a.lead_id = d.lead_id AND a.activity_type = 'unsubscribe'
            WHERE d.email_hash IS NOT NULL AND (d.is_opted_out OR a.lead_id IS NOT NULL))""")
    assert len(opted_out) > 0 and len(reachable) > 0

    report = export()

    texts = dict(every_file(report.folder))
    for lead_id, email in opted_out:
        found = [p.name for p, text in texts.items() if email in text]
        assert found == [], f"opted-out lead {lead_id} in {found}"
    handed_off = {r["リードID"] for r in read_csv(report.folder / CP932[2].path, "cp932")}
    assert handed_off == {lead_id for lead_id, _ in reachable}
    assert {r["email"] for r in read_csv(report.folder / MARKETO[0].path)} == {
        email for _, email in reachable}


def test_exporting_the_same_scores_again_writes_the_same_files_and_records_unchanged(
        home: Path):
    first = export()
    written = {p: p.read_bytes() for p in first.folder.rglob("*.csv")}

    again = export()

    assert {r.status for r in again.results} == {"unchanged"}
    assert all(r.delta.size == 0 for r in again.results)
    assert {p: p.read_bytes() for p in again.folder.rglob("*.csv")} == written
    statuses = query(home, "SELECT status, count(*) FROM audit.exports GROUP BY status")
    assert dict(statuses) == {"new": len(FILES), "unchanged": len(FILES)}
    checksums = query(home, "SELECT count(DISTINCT sha256), count(*) FROM audit.exports "
                            "GROUP BY target, file_name")
    assert {c for c in checksums} == {(1, 2)}


def test_a_changed_score_changes_only_that_record(home: Path):
    export()
    key, before = query(home, "SELECT account_key, target_score "
                              "FROM exports.export_target_accounts WHERE target_rank = 2")[0]
    with duckdb.connect(str(home / "warehouse" / "kizuna.duckdb")) as con:
        con.execute("UPDATE exports.export_target_accounts SET target_score = target_score - 1 "
                    "WHERE target_rank = 2")

    report = export()

    by_file = {(r.target, r.file_name): r for r in report.results}
    changed = {f for f, r in by_file.items() if r.status == "changed"}
    assert changed == {(f.target, f.path) for f in FILES if f.list_name == "target_accounts"
                       and any(row["kizuna_account_key" if f.target == "hubspot" else
                                   "Kizuna_Account_Key__c" if f.target == "salesforce"
                                   else "企業キー"] == key
                               for row in read_csv(report.folder / f.path, f.encoding))}
    for f in changed:
        assert by_file[f].delta.changed == [key]
        assert by_file[f].delta.added == by_file[f].delta.removed == []
    for f in set(by_file) - changed:
        assert by_file[f].status == "unchanged" and by_file[f].delta.size == 0
    delta = read_csv(report.folder / "hubspot" / "delta" / "companies_targets.csv")
    assert [(d["kizuna_change"], d["kizuna_record_key"]) for d in delta] == [("changed", key)]
    assert float(delta[0]["kizuna_score"]) == pytest.approx(float(before) - 1)


def test_the_target_list_is_pushed_to_hubspot_once(home: Path):
    from kizuna.sources.extract.base import Credentials, RetryPolicy
    from kizuna.sources.extract.mock import HubSpotMock

    on_list = sorted({r[0] for r in query(home, "SELECT account_id FROM "
                                                "exports.export_target_accounts "
                                                "WHERE account_id IS NOT NULL")})
    assert len(on_list) > 100  # more than one batch
    companies = [{"id": i, "properties": {"name": f"company {i}"}, "archived": False}
                 for i in [*on_list[1:], "not-a-target"]]  # on_list[0] is not in HubSpot
    with HubSpotMock(objects={"companies": companies}) as api:
        hubspot = Credentials(host=api.url, password=api.token,
                              extra={"max_attempts": 1, "backoff_factor": 0})
        assert RetryPolicy.from_extra(hubspot.extra).max_attempts == 1

        first = export(hubspot=hubspot).results[-1]
        sent = [i for c in api.calls("/crm/v3/objects/companies/batch/update")
                for i in c.body["inputs"]]
        assert sorted(i["id"] for i in sent) == on_list
        assert max(len(c.body["inputs"]) for c in api.calls("/batch/update")) <= 100
        tiers = dict(query(home, "SELECT account_id, target_tier "
                                 "FROM exports.export_target_accounts"))
        held = {c["id"]: c["properties"] for c in companies}
        assert all(held[i]["kizuna_tier"] == tiers[i] for i in on_list[1:])
        assert "kizuna_tier" not in held["not-a-target"]
        assert first.target == "hubspot_api" and on_list[0] in (first.message or "")
        assert first.row_count == len(on_list)

        calls = len(api.requests)
        second = export(hubspot=hubspot).results[-1]
        # only the company HubSpot refused is sent again
        assert [i["id"] for c in api.requests[calls:] for i in c.body["inputs"]] == [on_list[0]]
        companies.append({"id": on_list[0], "properties": {}, "archived": False})
        export(hubspot=hubspot)
        calls = len(api.requests)
        third = export(hubspot=hubspot).results[-1]
        assert len(api.requests) == calls  # the same scores: nothing sent
        assert third.status == "unchanged" and third.row_count == 0
        assert second.row_count == 1


def test_kizuna_export_prints_rows_per_file_and_where_they_are(home: Path):
    from typer.testing import CliRunner

    from kizuna.cli import app

    result = CliRunner().invoke(app, ["export", "--no-build"])

    assert result.exit_code == 0, result.output
    (date,) = query(home, "SELECT max(data_date) FROM audit.exports")[0]
    assert f"exports for {date}" in result.output
    assert "companies_targets.csv" in result.output and "new" in result.output
    (files,) = query(home, "SELECT count(*) FROM audit.exports")[0]
    assert files == len(FILES)


def test_exporting_before_anything_was_built_says_what_to_run(kizuna_home: Path):
    from typer.testing import CliRunner

    from kizuna.cli import app

    result = CliRunner().invoke(app, ["export", "--no-build"])

    assert result.exit_code == 1
    assert "ExportError" in result.output and "kizuna build" in result.output
    assert not (kizuna_home / "exports").exists()


def test_opted_out_and_erased_people_are_never_pushed_to_salesforce_or_marketo(home: Path):
    from kizuna.pipeline import erase
    from kizuna.sources.extract.base import Credentials
    from kizuna.sources.extract.mock import MarketoMock, SalesforceMock

    people = query(home, """
        SELECT l.lead_id, c.email FROM marts.dim_leads l
        JOIN restricted.restricted_lead_contacts c ON l.lead_id = c.lead_id
        WHERE c.email IS NOT NULL""")
    opted_out = query(home, """
        SELECT l.lead_id, c.email FROM marts.dim_leads l
        JOIN restricted.restricted_lead_contacts c ON l.lead_id = c.lead_id
        JOIN exports.export_mqa_accounts m ON l.account_key = m.account_key
        WHERE l.is_opted_out AND c.email IS NOT NULL""")
    handed_off = dict(query(home, "SELECT lead_id, email FROM exports.export_lead_handoffs"))
    account_ids = [r[0] for r in query(home, "SELECT account_id FROM "
                                             "exports.export_target_accounts "
                                             "WHERE account_id IS NOT NULL")]
    assert len(opted_out) > 0 and len(handed_off) > 0
    # every person of the world is a Marketo lead (the MA is Marketo: its ids are ours)
    leads = [{"id": lead_id, "email": email} for lead_id, email in people]
    accounts = [{"Id": i, "IsDeleted": False, "SystemModstamp": "2026-01-05T00:00:00Z"}
                for i in account_ids]
    no_retry = {"max_attempts": 1, "backoff_factor": 0}
    with SalesforceMock(objects={"Account": accounts}) as sf, \
            MarketoMock(activities=[], leads=leads, lists={"1001": []}) as mk:
        kw = {"salesforce": Credentials(host=sf.url, login="cid", password="secret",
                                        extra=no_retry),
              "marketo": Credentials(host=mk.url, login="cid", password="secret",
                                     extra={**no_retry, "mqa_list_id": 1001})}
        export(**kw)

        pushed = {str(i["id"]) for c in mk.calls("/rest/v1/leads.json") for i in c.body["input"]}
        assert pushed == set(handed_off) and mk.lists["1001"] == set(handed_off)
        texts = [str(c.body) for c in mk.requests + sf.requests]
        for lead_id, email in opted_out:
            assert lead_id not in pushed and mk.leads[lead_id].get("kizunaTier") is None
            assert not any(email in t for t in texts), f"opted-out lead {lead_id} sent"

        # a person handed off asks to be erased: the next push sends nothing of them
        erased_id, erased_email = sorted(handed_off.items())[0]
        erase([erased_email])
        calls = (len(mk.requests), len(sf.requests))
        export(**kw)
        later = [str(c.body) for c in mk.requests[calls[0]:] + sf.requests[calls[1]:]]
        assert not any(erased_email in t or f"'{erased_id}'" in t for t in later)
    (erased_rows,) = query(home, "SELECT count(*) FROM exports.export_lead_handoffs "
                                 f"WHERE lead_id = '{erased_id}'")[0]
    assert erased_rows == 0
