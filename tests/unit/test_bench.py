"""The benchmark's plumbing: stages in child processes, figures in the JSON report.

Timings are the benchmark's business (``make bench``), not the tests': nothing here
asserts how fast a stage ran, only that it was measured and reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kizuna import bench


def test_help_names_the_stages_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        bench.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for word in ("--accounts", "--stages", "--work-dir", "--report", "simulate", "ml"):
        assert word in out


def test_stage_list_keeps_pipeline_order_and_rejects_unknown_stages() -> None:
    assert bench._stage_list(None) == list(bench.STAGES)
    assert bench._stage_list(["load,simulate"]) == ["simulate", "load"]
    assert bench._stage_list(["build", "simulate"]) == ["simulate", "build"]
    with pytest.raises(Exception, match="unknown stage"):
        bench._stage_list(["simulate,train"])


def test_verdict_compares_time_and_memory_with_the_goal() -> None:
    goal = bench.Goal(seconds=10, rss_gb=1.0, why="test")
    ok = {"status": "ok", "seconds": 9.0, "peak_rss_gb": 0.5}
    assert bench.judge(ok, goal) == "PASS"
    assert bench.judge({**ok, "seconds": 11.0}, goal) == "FAIL"
    assert bench.judge({**ok, "peak_rss_gb": 1.5}, goal) == "FAIL"
    assert bench.judge(ok, None) == "-"
    assert bench.judge({"status": "error"}, goal) == "ERROR"
    assert bench.judge({"status": "skipped"}, goal) == "SKIPPED"


def test_every_default_scale_stage_has_a_goal() -> None:
    goals = bench.GOALS[bench.DEFAULT_ACCOUNTS]
    assert set(bench.STAGES) | {"pipeline"} <= set(goals)


def test_scale_environment_puts_every_path_under_the_scale_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUNA_DUCKDB_PATH", "/elsewhere/kizuna.duckdb")
    monkeypatch.setenv("KIZUNA_WAREHOUSE", "postgres")
    env = bench.scale_environment(tmp_path)
    assert env["KIZUNA_WAREHOUSE"] == "duckdb"
    for key in ("KIZUNA_HOME", "KIZUNA_LANDING", "KIZUNA_DUCKDB_PATH", "KIZUNA_REPORTS",
                "DBT_TARGET_PATH"):
        assert Path(env[key]).is_relative_to(tmp_path), key


@pytest.mark.slow
def test_tiny_bench_reports_each_stage_with_time_memory_and_rows(tmp_path: Path) -> None:
    report = tmp_path / "reports" / "bench.json"
    work = tmp_path / "work"
    code = bench.main(["--accounts", "200", "--start", "2025-03-01", "--end", "2025-04-30",
                       "--stages", "simulate,load", "--work-dir", str(work),
                       "--report", str(report)])
    assert code == 0  # 200 accounts has no goals: only an error would fail it

    doc = json.loads(report.read_text(encoding="utf-8"))
    machine = doc["machine"]
    assert machine["cpu_count"] >= 1 and machine["ram_bytes"] > 0
    assert machine["python"] and machine["versions"]["duckdb"]
    assert "commit" in doc["git"]
    assert doc["config"]["stages"] == ["simulate", "load"]

    (scale,) = doc["scales"]
    assert scale["accounts"] == 200
    assert Path(scale["home"]) == work / "accounts-200"
    simulate, load = scale["stages"]
    assert [simulate["stage"], load["stage"]] == ["simulate", "load"]
    for row in (simulate, load):
        assert row["status"] == "ok", row.get("error")
        assert row["seconds"] > 0
        assert row["peak_rss_bytes"] > 10 << 20  # a Python process with pandas
        assert row["rows"] > 0
        assert row["verdict"] == "-"
    assert simulate["landing_bytes"] > 0 and simulate["landing_files"] > 0
    assert set(simulate["rows_per_table"]) == set(load["rows_per_table"])
    # every written row is either loaded or quarantined, none lost
    assert load["rows"] + load["rows_quarantined"] == simulate["rows"]
    assert load["batch_statuses"].get("rejected", 0) == 0
    assert load["warehouse_bytes"] > 0
    assert (work / "accounts-200" / "warehouse" / "kizuna.duckdb").exists()
    assert "pipeline" not in scale  # build did not run
