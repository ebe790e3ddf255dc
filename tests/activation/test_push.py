"""Pushes to Salesforce and Marketo through their APIs, against the local mock APIs, on
small hand-made lists in a fresh warehouse (no world is built): only changed records are
sent, a refused record is named and sent again, a record that left the list is cleared,
each push is audited, and ``kizuna export`` wires the pushes after the files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from kizuna.activation.formats import MARKETO_LEAD_FIELDS, SALESFORCE_ACCOUNT_FIELDS, Row
from kizuna.activation.records import ensure_tables
from kizuna.sources.extract.base import Credentials
from kizuna.sources.extract.mock import MarketoMock, SalesforceMock
from kizuna.warehouse import Warehouse, connection

DAY = date(2026, 3, 31)
NO_RETRY = {"max_attempts": 1, "backoff_factor": 0}


@pytest.fixture
def wh(kizuna_home: Path) -> Iterator[Warehouse]:
    with connection() as w:
        ensure_tables(w)
        yield w


def target(i: int, account_id: str | None, score: float = 50.0) -> Row:
    return {"account_key": f"K{i:04d}", "account_id": account_id, "target_rank": i,
            "target_tier": "tier_1" if i < 10 else "tier_2", "target_score": score,
            "fit_score": 40.0, "engagement_score": 30.5, "propensity_score": 70.0,
            "is_mqa": i % 2 == 0, "top_reason": "engaged", "next_best_product": "P1"}


def handoff(lead_id: str, email: str, key: str = "K0001") -> Row:
    return {"lead_id": lead_id, "email": email, "account_key": key, "target_tier": "tier_1",
            "qualified_on": DAY, "next_best_product": "P2"}


def accounts(n: int) -> list[dict[str, Any]]:
    return [{"Id": f"001{i:06d}", "Name": f"company {i}", "IsDeleted": False,
             "SystemModstamp": "2026-01-05T00:00:00.000+0000"} for i in range(n)]


def sf_push(wh: Warehouse, api: SalesforceMock, rows: list[Row]) -> Any:
    from kizuna.activation.salesforce import push_targets

    creds = Credentials(host=api.url, login=api.client_id, password=api.client_secret,
                        extra=NO_RETRY)
    return push_targets(wh, creds, rows, DAY, datetime.now(UTC))


def sent_records(api: SalesforceMock, since: int = 0) -> list[dict[str, Any]]:
    return [r for c in api.requests[since:] if c.method == "PATCH" for r in c.body["records"]]


def test_salesforce_push_sends_changed_accounts_200_a_call_and_names_refused_ones(
        wh: Warehouse):
    held = [*accounts(250), {"Id": "001DELETED", "Name": "gone", "IsDeleted": True,
                             "SystemModstamp": "2026-01-05T00:00:00.000+0000"}]
    rows = [target(i, f"001{i:06d}") for i in range(250)]
    rows += [target(250, "001UNKNOWN"), target(251, "001DELETED"), target(252, None)]
    with SalesforceMock(objects={"Account": held}) as api:
        first = sf_push(wh, api, rows)

        patches = [c for c in api.requests if c.method == "PATCH"]
        assert [len(c.body["records"]) for c in patches] == [200, 52]
        assert all(c.body["allOrNone"] is False for c in patches)
        assert all(c.path.endswith("/composite/sobjects") for c in patches)
        by_id = {a["Id"]: a for a in held}
        assert by_id["001000003"]["Kizuna_Tier__c"] == "tier_1"
        assert by_id["001000003"]["Kizuna_Score__c"] == 50.0
        assert by_id["001000012"]["Kizuna_MQA__c"] is True
        assert set(SALESFORCE_ACCOUNT_FIELDS) <= set(by_id["001000000"])
        assert "Kizuna_Tier__c" not in by_id["001DELETED"]
        assert first.target == "salesforce_api" and first.row_count == 252
        assert "001UNKNOWN: INVALID_CROSS_REFERENCE_KEY" in (first.message or "")
        assert "001DELETED: ENTITY_IS_DELETED" in (first.message or "")
        assert len(first.delta.added) == 250

        # the same scores: only the two refused accounts go again
        calls = len(api.requests)
        again = sf_push(wh, api, rows)
        assert sorted(r["id"] for r in sent_records(api, calls)) == ["001DELETED",
                                                                     "001UNKNOWN"]
        assert again.delta.size == 0

        # one changed score: that account alone; one account off the list: cleared
        rows[7] = target(7, "001000007", score=49.0)
        del rows[9]
        calls = len(api.requests)
        third = sf_push(wh, api, rows)
        sent = {r["id"]: r for r in sent_records(api, calls)}
        assert set(sent) == {"001000007", "001000009", "001DELETED", "001UNKNOWN"}
        assert by_id["001000007"]["Kizuna_Score__c"] == 49.0
        assert by_id["001000009"]["Kizuna_Tier__c"] is None  # null clears the field
        assert third.delta.changed == ["001000007"] and third.delta.removed == ["001000009"]


def test_a_salesforce_push_of_unchanged_scores_sends_nothing(wh: Warehouse):
    rows = [target(i, f"001{i:06d}") for i in range(3)]
    with SalesforceMock(objects={"Account": accounts(3)}) as api:
        sf_push(wh, api, rows)
        calls = len(api.requests)
        again = sf_push(wh, api, rows)

        assert len(api.requests) == calls  # not even a token
        assert again.status == "unchanged" and again.row_count == 0


def leads(n: int, start: int = 1) -> list[dict[str, Any]]:
    return [{"id": i, "email": f"person{i}@example.co.jp", "firstName": "太郎",
             "lastName": "山田"} for i in range(start, start + n)]


def mk_push(wh: Warehouse, api: MarketoMock, rows: list[Row], **extra: Any) -> list[Any]:
    from kizuna.activation.marketo import push_handoffs

    creds = Credentials(host=api.url, login=api.client_id, password=api.client_secret,
                        extra={**NO_RETRY, **extra})
    return push_handoffs(wh, creds, rows, DAY, datetime.now(UTC))


def calls_to(api: MarketoMock, path: str, since: int = 0, method: str = "POST"
             ) -> list[dict[str, Any]]:
    return [i for c in api.requests[since:] if c.method == method and c.path.endswith(path)
            for i in c.body["input"]]


def test_marketo_push_updates_leads_by_id_and_keeps_the_mqa_list_in_line(wh: Warehouse):
    rows = [handoff(str(i), f"person{i}@example.co.jp") for i in range(1, 351)]
    rows.append(handoff("9999", "nobody@example.co.jp"))  # not in Marketo
    with MarketoMock(activities=[], leads=leads(400), lists={"1001": [400]}) as api:
        pushed, listed = mk_push(wh, api, rows, mqa_list_id=1001)

        syncs = [c.body for c in api.requests if c.path.endswith("/rest/v1/leads.json")]
        assert [len(b["input"]) for b in syncs] == [300, 51]
        assert {(b["action"], b["lookupField"]) for b in syncs} == {("updateOnly", "id")}
        lead = api.leads["7"]
        assert {k: lead[k] for k in MARKETO_LEAD_FIELDS} == {
            "kizunaAccountKey": "K0001", "kizunaTier": "tier_1",
            "kizunaMQADate": "2026-03-31", "kizunaNextBestProduct": "P2"}
        assert lead["email"] == "person7@example.co.jp"  # Marketo's own fields untouched
        assert pushed.target == "marketo_api" and pushed.row_count == 351
        assert "9999: 1004: Lead not found" in (pushed.message or "")
        assert api.lists["1001"] == {str(i) for i in range(1, 351)} | {"400"}
        assert listed.file_name == "list_1001" and listed.row_count == 350

        # the same hand-offs: only the lead Marketo did not find is tried again
        calls = len(api.requests)
        mk_push(wh, api, rows, mqa_list_id=1001)
        assert calls_to(api, "/leads.json", calls) == [{"id": 9999, **{
            k: v for k, v in api.leads["1"].items() if k in MARKETO_LEAD_FIELDS}}]
        assert calls_to(api, "/lists/1001/leads.json", calls) == []

        # one lead leaves the hand-offs: cleared by id, off the list; another changes tier
        rows = [r for r in rows if r["lead_id"] != "5"]
        rows[0] = {**rows[0], "target_tier": "tier_2"}
        calls = len(api.requests)
        pushed, listed = mk_push(wh, api, rows, mqa_list_id=1001)
        updates = {i["id"]: i for i in calls_to(api, "/rest/v1/leads.json", calls)}
        assert set(updates) == {1, 5, 9999}
        assert api.leads["1"]["kizunaTier"] == "tier_2"
        assert all(api.leads["5"][k] is None for k in MARKETO_LEAD_FIELDS)
        assert calls_to(api, "/lists/1001/leads.json", calls, "DELETE") == [{"id": 5}]
        assert "5" not in api.lists["1001"] and "400" in api.lists["1001"]
        assert pushed.delta.removed == ["5"] and listed.delta.removed == ["5"]


def test_marketo_push_by_email_clears_a_lead_that_left_by_its_marketo_id(wh: Warehouse):
    # another MA tool's leads: Marketo knows the people by address, under its own ids
    rows = [handoff(f"L{i:03d}", f"person{i}@example.co.jp") for i in (1, 2, 3)]
    with MarketoMock(activities=[], leads=leads(3, start=501)) as api:
        for lead, i in zip(api.leads.values(), (1, 2, 3), strict=True):
            lead["email"] = f"Person{i}@Example.co.jp"
        (pushed,) = mk_push(wh, api, rows, lookup_field="email")
        assert {c.body["lookupField"] for c in api.requests if c.method == "POST"} == {"email"}
        assert api.leads["502"]["kizunaTier"] == "tier_1" and pushed.message is None

        calls = len(api.requests)
        mk_push(wh, api, rows[:2], lookup_field="email")  # L003 left

        (clear,) = [c.body for c in api.requests[calls:] if c.method == "POST"]
        assert clear["lookupField"] == "id" and clear["input"][0]["id"] == 503
        assert "person3" not in str(clear).lower()  # no address needed to clear
        assert api.leads["503"]["kizunaTier"] is None


def test_a_marketo_refusal_of_the_whole_call_stops_the_push_and_records_nothing(
        wh: Warehouse):
    from kizuna.sources.extract.base import ExtractError

    rows = [handoff("1", "person1@example.co.jp")]
    with MarketoMock(activities=[], leads=leads(1)) as api:
        with pytest.raises(ExtractError, match="Static list not found"):
            mk_push(wh, api, rows, mqa_list_id=77)  # no such list
        (held,) = wh.query("SELECT count(*) FROM audit.export_records "
                           "WHERE file_name = 'list_77'")[0]
        assert held == 0


def hand_made_lists(home: Path) -> None:
    """The three export lists and a scoring date, as dbt would leave them (a few rows)."""
    with duckdb.connect(str(home / "warehouse" / "kizuna.duckdb")) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS exports")
        con.execute("CREATE TABLE marts.mart_account_scores AS "
                    "SELECT DATE '2026-03-31' AS as_of_date")
        con.execute("""CREATE TABLE exports.export_target_accounts AS SELECT * FROM (VALUES
            (1, 'tier_1', 'K0001', '001000000', 'Alpha', 91.5, true),
            (2, 'tier_1', 'K0002', NULL, 'Beta', 80.0, false))
            t(target_rank, target_tier, account_key, account_id, account_name, target_score,
              is_mqa)""")
        con.execute("""CREATE TABLE exports.export_mqa_accounts AS
            SELECT * FROM exports.export_target_accounts WHERE is_mqa""")
        con.execute("""CREATE TABLE exports.export_lead_handoffs AS SELECT * FROM (VALUES
            ('1', 'person1@example.co.jp', 'K0001', 'tier_1'))
            t(lead_id, email, account_key, target_tier)""")


def test_kizuna_export_pushes_to_salesforce_and_marketo_after_the_files(
        kizuna_home: Path, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from kizuna.cli import app

    (kizuna_home / "warehouse").mkdir()
    hand_made_lists(kizuna_home)
    with SalesforceMock(objects={"Account": accounts(1)}) as sf, \
            MarketoMock(activities=[], leads=leads(1), lists={"1001": []}) as mk:
        for name, value in (("SALESFORCE_CLIENT_ID", sf.client_id),
                            ("SALESFORCE_CLIENT_SECRET", sf.client_secret),
                            ("MARKETO_CLIENT_ID", mk.client_id),
                            ("MARKETO_CLIENT_SECRET", mk.client_secret)):
            monkeypatch.setenv(f"KIZUNA_{name}", value)
        result = CliRunner().invoke(app, [
            "export", "--no-build", "--salesforce-url", sf.url, "--marketo-url", mk.url,
            "--marketo-list-id", "1001"])

        assert result.exit_code == 0, result.output
        assert sf.objects["Account"][0]["Kizuna_Score__c"] == 91.5
        assert mk.leads["1"]["kizunaAccountKey"] == "K0001" and mk.lists["1001"] == {"1"}
    with duckdb.connect(str(kizuna_home / "warehouse" / "kizuna.duckdb")) as con:
        pushes = con.execute("SELECT target, file_name, row_count, status, destination "
                             "FROM audit.exports WHERE target LIKE '%_api' "
                             "ORDER BY target, file_name").fetchall()
    assert [p[:4] for p in pushes] == [("marketo_api", "leads", 1, "changed"),
                                       ("marketo_api", "list_1001", 1, "changed"),
                                       ("salesforce_api", "Account", 1, "changed")]
    assert pushes[2][4].endswith("/services/data/v62.0/composite/sobjects")
    assert "salesforce_api" in result.output and "list_1001" in result.output


def test_kizuna_export_with_a_vendor_url_but_no_secret_says_what_to_set(kizuna_home: Path):
    from typer.testing import CliRunner

    from kizuna.cli import app

    result = CliRunner().invoke(app, ["export", "--no-build", "--marketo-url",
                                      "http://127.0.0.1:9"])

    assert result.exit_code == 2
    assert "KIZUNA_MARKETO_CLIENT_ID" in result.output


def test_a_connection_marked_push_false_is_not_pushed_to(kizuna_home: Path):
    from kizuna.activation import export_lists

    (kizuna_home / "warehouse").mkdir()
    hand_made_lists(kizuna_home)
    nowhere = Credentials(host="http://127.0.0.1:9", login="cid", password="secret",
                          extra={**NO_RETRY, "push": False})

    report = export_lists(salesforce=nowhere, marketo=nowhere)

    assert report.results and not any(r.target.endswith("_api") for r in report.results)
