"""The ingest DAG's publish step marks the raw asset updated only when the gate published
something: a run with nothing new skips it (a skipped task emits no asset event)."""

from __future__ import annotations

import pytest

from kizuna.tasks import publish, publish_summary


def gate(table: str, published: int) -> dict:
    return {"table": table, "published": published, "rows_checked": 3 * published,
            "rows_quarantined": 0, "warnings": 0}


def test_a_run_that_published_batches_returns_what_it_published():
    out = publish([gate("crm_accounts", 2), gate("ma_activities", 0)])
    assert out["published"] == 2
    assert out["entities"]["crm_accounts"]["rows_checked"] == 6
    assert out["nothing_new"] is None


def test_a_run_that_published_nothing_skips_with_the_reason():
    from airflow.sdk.exceptions import AirflowSkipException

    results = [gate("crm_accounts", 0), gate("ma_activities", 0)]
    assert "no batch was published" in publish_summary(results)["nothing_new"]
    with pytest.raises(AirflowSkipException, match=r"no batch was published .* no transform"):
        publish(results)
