"""Re-parsing dbt while DAGs load: no reader ever sees a half-written manifest.

Every dbt task starts from ``dbt_project/target/manifest.json`` and its parse state;
``kizuna dbt-parse`` (and the test fixtures) rewrite them while a DAG processor, a task
or another test may be reading them. Here
two processes parse over and over while two others load the DAG files and read the
manifest as fast as they can, all at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PARSES_PER_WRITER = 2

WRITER = textwrap.dedent("""
    import sys
    from kizuna.transform import parse
    for _ in range(int(sys.argv[1])):
        parse()
""")

# Reads until the stop file appears; prints what it saw as one JSON line.
DAG_READER = textwrap.dedent("""
    import json, pathlib, sys
    from airflow.dag_processing.dagbag import DagBag
    from kizuna.settings import DAGS_FOLDER
    stop, loads, errors = pathlib.Path(sys.argv[1]), 0, []
    while not stop.exists() or loads == 0:
        for name in ("kizuna_transform.py", "kizuna_ml_score.py"):
            bag = DagBag(dag_folder=str(DAGS_FOLDER / name))
            errors += [str(e)[-600:] for e in bag.import_errors.values()]
            loads += 1
    print(json.dumps({"reads": loads, "errors": errors}))
""")

MANIFEST_READER = textwrap.dedent("""
    import json, pathlib, sys
    from kizuna.transform import MANIFEST_PATH
    stop, reads, errors = pathlib.Path(sys.argv[1]), 0, []
    while not stop.exists():
        try:
            json.loads(MANIFEST_PATH.read_bytes())
        except ValueError as exc:
            errors.append(str(exc)[:300])
        reads += 1
    print(json.dumps({"reads": reads, "errors": errors}))
""")


def start(script: str, *args: str) -> subprocess.Popen:
    # A busy machine can take longer than Airflow's 30 s to import a DAG file; that is not
    # what this test looks for, so the readers wait as long as it takes.
    env = {**os.environ, "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "600"}
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_dags_and_readers_never_see_a_partial_manifest_while_dbt_parses(tmp_path: Path):
    from kizuna.transform import MANIFEST_PATH, parse

    parse()  # readers start from a whole manifest
    stop = tmp_path / "stop"
    readers = {"dags": start(DAG_READER, str(stop)),
               "manifest": start(MANIFEST_READER, str(stop))}
    time.sleep(3)  # let the readers import and begin
    writers = [start(WRITER, str(PARSES_PER_WRITER)) for _ in range(2)]
    try:
        for w in writers:
            _, err = w.communicate(timeout=400)
            assert w.returncode == 0, err[-2000:]
    finally:
        stop.touch()
    seen = {}
    for name, r in readers.items():
        out, err = r.communicate(timeout=300)
        assert r.returncode == 0, err[-2000:]
        seen[name] = json.loads(out.strip().splitlines()[-1])

    assert seen["manifest"]["errors"] == []
    assert seen["dags"]["errors"] == []
    # the readers really ran beside the writers
    assert seen["manifest"]["reads"] >= 20
    assert seen["dags"]["reads"] >= 2
    assert json.loads(MANIFEST_PATH.read_bytes())["nodes"]


def test_a_dbt_command_writes_no_artifact_into_the_published_target(kizuna_home: Path):
    from kizuna.transform import MANIFEST_PATH, TARGET_DIR, parse, run_dbt

    parse()
    before = {p: p.stat().st_mtime_ns for p in TARGET_DIR.rglob("*") if p.is_file()}
    # both write manifest.json where dbt is told to
    run_dbt(["parse"], quiet=True)
    run_dbt(["ls", "--select", "stg_crm__accounts"], quiet=True)
    after = {p: p.stat().st_mtime_ns for p in TARGET_DIR.rglob("*") if p.is_file()}
    assert after == before
    assert MANIFEST_PATH in after
