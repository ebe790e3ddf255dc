"""The house's architecture, checked with import-linter (contracts in pyproject.toml).

Each floor imports only the floors below it, the stage packages (ingest, gate, identity,
simulator, models_ml) never import each other, and no package's modules import in a
circle; imports inside functions count.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from kizuna.settings import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts over the packages under ``root``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(PROJECT_ROOT / "pyproject.toml"), "--no-cache"],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{root / 'include'}:{root}"})


def copy_of_the_house(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "include" / "kizuna", tmp_path / "include" / "kizuna",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT_ROOT / "models_ml", tmp_path / "models_ml",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_house_keeps_its_import_contracts():
    out = lint_imports(PROJECT_ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 kept, 0 broken" in out.stdout


def test_an_upward_import_inside_a_function_breaks_the_layers(tmp_path: Path):
    house = copy_of_the_house(tmp_path)
    runner = house / "include" / "kizuna" / "gate" / "runner.py"
    runner.write_text(runner.read_text() + "\n\ndef _upward():\n"
                      "    from kizuna.tasks import window\n\n    return window\n")
    out = lint_imports(house)
    assert out.returncode != 0
    assert "kizuna.gate.runner -> kizuna.tasks" in out.stdout


def test_one_stage_importing_another_breaks_the_layers(tmp_path: Path):
    house = copy_of_the_house(tmp_path)
    suites = house / "include" / "kizuna" / "gate" / "suites.py"
    suites.write_text(suites.read_text() + "\n\ndef _sideways():\n"
                      "    from kizuna.ingest import load_window\n\n    return load_window\n")
    out = lint_imports(house)
    assert out.returncode != 0
    assert "kizuna.gate.suites -> kizuna.ingest" in out.stdout


def test_a_circle_between_modules_of_a_package_is_found(tmp_path: Path):
    house = copy_of_the_house(tmp_path)
    ledger = house / "include" / "kizuna" / "ledger.py"
    ledger.write_text(ledger.read_text() + "\n\ndef _circle():\n"
                      "    from kizuna.raw import ensure_raw_tables\n\n"
                      "    return ensure_raw_tables\n")
    raw = house / "include" / "kizuna" / "raw.py"
    raw.write_text(raw.read_text() + "\n\ndef _back():\n"
                   "    from kizuna.ledger import decide\n\n    return decide\n")
    out = lint_imports(house)
    assert out.returncode != 0
    assert "No import cycle among the modules of any package BROKEN" in " ".join(out.stdout.split())
