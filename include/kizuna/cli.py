"""The ``kizuna`` command line.

``kizuna demo`` is what ``make demo`` runs. The other commands are the pieces, for a data
engineer working outside Airflow: generate a world, load a window, build with dbt, run a
query.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Kizuna: an account-based marketing warehouse.")
console = Console()


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
    )
    for noisy in ("great_expectations", "dbt", "airflow", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _date(value: str | None, default: date) -> date:
    return date.fromisoformat(value) if value else default


@app.command()
def demo(
    seed: int = 42,
    accounts: Annotated[int, typer.Option(help="CRM accounts in the world (200-200,000)")] = 2000,
    start: Annotated[str, typer.Option(help="first day of history")] = "2025-01-01",
    end: Annotated[str, typer.Option(help="last day of file drops")] = "2026-09-30",
) -> None:
    """Simulate a world and run it through the real Airflow DAGs into the warehouse."""
    from kizuna.demo import DemoOptions, run_demo

    run_demo(DemoOptions(seed=seed, accounts=accounts, start=date.fromisoformat(start),
                         end=date.fromisoformat(end)), console)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="writes OUT/landing and OUT/truth")] = Path("."),
    seed: int = 42,
    accounts: int = 2000,
    start: str = "2025-01-01",
    end: str = "2026-09-30",
) -> None:
    """Generate the simulated B2B world (file drops and truth)."""
    from kizuna.simulator import SimulationConfig
    from kizuna.simulator import simulate as run

    cfg = SimulationConfig(seed=seed, n_accounts=accounts, start=date.fromisoformat(start),
                           end=date.fromisoformat(end))
    result = run(cfg, out_dir=out)
    console.print(result)


@app.command()
def load(
    start: Annotated[str | None, typer.Option(help="first date folder; default yesterday")] = None,
    end: Annotated[str | None, typer.Option(help="last date folder, inclusive")] = None,
    table: Annotated[list[str] | None, typer.Option(help="raw table, e.g. ma_activities")] = None,
) -> None:
    """Load the complete file drops of a window into raw (idempotent), then run the quality
    gate; exits 2 when a critical check rejected a batch."""
    from kizuna.load import load_window
    from kizuna.quality import QualityGateError

    first = _date(start, date.today() - timedelta(days=1))
    last = _date(end, first)
    try:
        report = load_window(first, last + timedelta(days=1), tables=table)
    except QualityGateError as err:
        console.print(f"[red]Quality gate:[/red] {err}", markup=True, highlight=False)
        console.print("Rejected batches stay in raw, unpublished; see kizuna quality.")
        raise typer.Exit(2) from None
    console.print(report.summary())


@app.command()
def quality(
    failures: Annotated[int, typer.Option(help="failing rules to list")] = 20,
    docs: Annotated[bool, typer.Option(help="rebuild the Data Docs site first")] = False,
) -> None:
    """Data quality per entity (batches, rows, pass rate, quarantined), failing rules, Data Docs."""
    from kizuna.quality import data_docs_dir, entity_summary, failing_rules
    from kizuna.settings import get_settings
    from kizuna.warehouse import connection

    s = get_settings()
    with connection(s, read_only=True) as wh:
        if "dq_results" not in {r[0] for r in wh.query(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'audit'")}:
            console.print("No quality results yet: load a window first (kizuna load).")
            raise typer.Exit(1)
        per_entity = entity_summary(wh)
        failing = failing_rules(wh, failures)
    t = Table(title="Data quality per entity (current batches)")
    for col in ("entity", "batches", "rows", "published", "pass rate", "quarantined",
                "rejected", "awaiting gate"):
        t.add_column(col, justify="left" if col == "entity" else "right")
    for name, batches, rows, published, quarantined, rejected, pending in per_entity:
        rate = f"{published / rows:.1%}" if rows else "-"
        t.add_row(name, f"{batches:,}", f"{rows:,}", f"{published:,}", rate,
                  f"{quarantined:,}", f"{rejected:,}", f"{pending:,}")
    console.print(t)
    f = Table(title="Failing rules (batches and rows that failed, with a sample)")
    for col in ("entity", "rule", "severity", "level", "batches", "rows", "sample"):
        f.add_column(col, justify="right" if col in ("batches", "rows") else "left",
                     overflow="fold")
    for entity, rule, severity, level, batches, rows, sample in failing:
        f.add_row(entity, rule, severity, level, f"{batches:,}", f"{rows:,}",
                  _sample(sample))
    console.print(f if failing else "No rule failed.")
    index = data_docs_dir(s) / "index.html"
    if docs:
        from kizuna.quality import build_data_docs

        index = build_data_docs(s)
    console.print(f"Data Docs: {index}" + ("" if index.exists() else " (not built yet)"))
    console.print("Details: audit.dq_results (one row per batch and check), "
                  "quarantine.rejected_rows, marts.kpi_data_quality")


def _sample(sample: str | None, n: int = 2) -> str:
    """The first failing rows of a check, as 'row 3: column='value''."""
    import json

    from kizuna.quality import sample_text

    try:
        return "; ".join(sample_text(x) for x in json.loads(sample or "[]")[:n])[:160]
    except (ValueError, TypeError, AttributeError):
        return (sample or "")[:160]


@app.command("dbt-parse")
def dbt_parse(quiet: bool = False) -> None:
    """Write dbt's manifest (the transform DAG renders from it)."""
    from kizuna.transform import parse

    parse()
    if not quiet:
        console.print("dbt manifest written")


@app.command()
def build(select: Annotated[str | None, typer.Option(help="dbt selector")] = None) -> None:
    """dbt build (seeds, models, snapshots and tests) against the configured warehouse."""
    from kizuna.transform import run_dbt

    args = ["build"] + (["--select", select] if select else [])
    nodes = run_dbt(args)
    console.print(f"dbt build: {len(nodes)} nodes")


@app.command()
def sql(query: str, limit: int = 50) -> None:
    """Run a read-only query against the warehouse and print the result."""
    from kizuna.warehouse import connection

    with connection(read_only=True) as wh:
        data = wh.query_arrow(query)
    t = Table(*data.column_names)
    for row in data.slice(0, limit).to_pylist():
        t.add_row(*("" if v is None else str(v) for v in row.values()))
    console.print(t)
    if data.num_rows > limit:
        console.print(f"... {data.num_rows - limit:,} more rows")


@app.command()
def summary() -> None:
    """Rows per layer and the most engaged accounts."""
    from kizuna.demo import print_summary
    from kizuna.settings import get_settings

    print_summary(get_settings(), console)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
