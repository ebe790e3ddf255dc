"""The demo: simulate a B2B world, run it through the real DAGs, show what was built.

Steps (each skipped or idempotent when already done, so a second run leaves the same
tables): generate the world into ``landing/`` and ``truth/``; parse the dbt project;
set up Airflow's metadata DB; run ``kizuna_ingest`` over the whole history as one
backfill window; run ``kizuna_transform``; train the models (``kizuna_ml_train``) and
score every account (``kizuna_ml_score``); print a summary.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from kizuna.activation import exports_folder
from kizuna.bi import bi_database_path
from kizuna.report import report_path
from kizuna.settings import Settings, get_settings
from kizuna.warehouse import connection

LAYERS = ("raw", "quarantine", "audit", "staging", "intermediate", "marts", "ml")
WORLD_STAMP = ".world.json"


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 42
    accounts: int = 2000
    start: date = date(2025, 1, 1)
    end: date = date(2026, 9, 30)


def ensure_world(opts: DemoOptions, settings: Settings, console: Console) -> dict[str, Any]:
    """Generate the simulated world unless the same one is already on disk."""
    from kizuna.simulator import SimulationConfig, simulate

    stamp = settings.home / WORLD_STAMP
    wanted = {k: str(v) for k, v in asdict(opts).items()}
    if stamp.exists() and json.loads(stamp.read_text()).get("options") == wanted \
            and settings.landing.exists():
        console.print(f"  world already generated ({stamp.name} matches); reusing it")
        return json.loads(stamp.read_text())
    cfg = SimulationConfig(seed=opts.seed, n_accounts=opts.accounts, start=opts.start,
                           end=opts.end)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("  {task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total or 1)
            bar.update(tasks[step], completed=done, total=total or 1)

        result = simulate(cfg, out_dir=settings.home, progress=progress)
    counts = dict(getattr(result, "rows", {}) or {})
    doc = {"options": wanted, "rows": counts}
    stamp.write_text(json.dumps(doc, indent=2))
    return doc


def layer_counts(settings: Settings) -> dict[str, dict[str, int]]:
    """Rows per table, per warehouse schema (layer)."""
    out: dict[str, dict[str, int]] = {}
    with connection(settings, read_only=True) as wh:
        tables = wh.query(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ({}) ORDER BY 1, 2".format(", ".join(f"'{s}'" for s in LAYERS))
        )
        for schema, table in tables:
            (n,) = wh.query(f'SELECT count(*) FROM "{schema}"."{table}"')[0]
            out.setdefault(schema, {})[table] = int(n)
    return out


def top_accounts(settings: Settings, days: int = 90, limit: int = 10) -> list[tuple[Any, ...]]:
    """The most engaged accounts on the data date (marts.mart_account_engagement): ranked by
    the time-decayed score, with their points and activities of the last ``days`` days
    (30 or 90, the mart's windows)."""
    window = "30d" if days <= 30 else "90d"
    with connection(settings, read_only=True) as wh:
        return wh.query(
            f"""
            SELECT a.account_name, a.abm_tier, a.is_customer, e.decayed_points,
                   e.points_{window} AS points, e.activities_{window} AS activities
            FROM marts.mart_account_engagement e
            JOIN marts.dim_accounts a USING (account_id)
            WHERE e.is_latest
            ORDER BY e.decayed_points DESC, a.account_id LIMIT {int(limit)}"""
        )


def target_accounts(settings: Settings, limit: int = 10) -> list[tuple[Any, ...]]:
    """The head of the ranked ABM target list (marts.mart_target_accounts), if scored."""
    with connection(settings, read_only=True) as wh:
        if not wh.columns("marts", "mart_target_accounts"):
            return []
        return wh.query(
            f"""
            SELECT target_rank, target_tier, target_list, account_name, target_score,
                   p_opportunity_90d, next_best_product, top_reason, resembles
            FROM marts.mart_target_accounts
            ORDER BY target_rank LIMIT {int(limit)}"""
        )


def latest_exports(settings: Settings) -> list[tuple[Any, ...]]:
    """The files and pushes of the latest export (audit.exports): data date, target, file,
    rows, status, where."""
    with connection(settings, read_only=True) as wh:
        if not wh.columns("audit", "exports"):
            return []
        return wh.query(
            """
            SELECT data_date, target, file_name, row_count, status, destination
            FROM audit.exports
            WHERE exported_at = (SELECT max(exported_at) FROM audit.exports)
            ORDER BY target, file_name"""
        )


def exports_summary(settings: Settings, console: Console) -> None:
    exports = latest_exports(settings)
    if not exports:
        return
    table = Table(title=f"Exports for {exports[0][0]} (audit.exports; kizuna export writes "
                        "them again)")
    for col in ("target", "file", "rows", "status"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for _, target, name, rows, status, _ in exports:
        table.add_row(target, name, f"{rows:,}", status)
    console.print(table)


def accuracy_summary(settings: Settings, console: Console) -> None:
    """On a simulated world: the latest build against the truth (marts.kpi_identity_accuracy)."""
    with connection(settings, read_only=True) as wh:
        if not wh.columns("marts", "kpi_identity_accuracy"):
            return
        rows = wh.query("SELECT metric, numerator, denominator, value, previous_value "
                        "FROM marts.kpi_identity_accuracy ORDER BY metric")
    if not rows:
        return  # real data: no truth to measure against
    table = Table(title="Identity resolution against the simulator's truth "
                        "(marts.kpi_identity_accuracy)")
    for col in ("metric", "right / counted", "value", "before"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for metric, num, den, value, before in rows:
        table.add_row(metric, f"{num:,} / {den:,}", "-" if value is None else f"{value:.4f}",
                      "-" if before is None else f"{before:.4f}")
    console.print(table)


def quality_summary(settings: Settings, console: Console) -> None:
    """Data quality per entity, from marts.kpi_data_quality (or the audit tables before the
    transform has built it), and where the Data Docs are."""
    from kizuna.gate import data_docs_dir
    from kizuna.ledger import entity_summary

    with connection(settings, read_only=True) as wh:
        if wh.columns("marts", "kpi_data_quality"):
            source = "marts.kpi_data_quality"
            rows = wh.query(
                """WITH days AS (
                       SELECT entity, interval_date, max(batches) AS batches,
                              max(rows_in_file) AS delivered, max(rows_published) AS published,
                              max(rows_quarantined) AS quarantined
                       FROM marts.kpi_data_quality GROUP BY 1, 2)
                   SELECT entity, sum(batches), sum(delivered), sum(published), sum(quarantined)
                   FROM days GROUP BY 1 ORDER BY 1""")
        elif wh.columns("audit", "load_batches"):
            source = "audit.load_batches"
            rows = [r[:5] for r in entity_summary(wh)]
        else:
            return  # nothing loaded yet
    table = Table(title=f"Data quality per entity ({source})")
    for col in ("entity", "batches", "rows", "pass rate", "quarantined"):
        table.add_column(col, justify="left" if col == "entity" else "right")
    for name, batches, delivered, published, quarantined in rows:
        rate = f"{published / delivered:.1%}" if delivered else "-"
        table.add_row(name, f"{batches:,}", f"{delivered:,}", rate, f"{quarantined:,}")
    console.print(table)
    console.print(f"  Data Docs   {data_docs_dir(settings) / 'index.html'}  "
                  "(failures by rule: kizuna quality)")


def print_summary(settings: Settings, console: Console, seconds: float | None = None) -> None:
    counts = layer_counts(settings)
    table = Table(title="Rows per layer", show_lines=False)
    table.add_column("schema")
    table.add_column("tables", justify="right")
    table.add_column("rows", justify="right")
    table.add_column("largest")
    for schema in LAYERS:
        tables = counts.get(schema, {})
        if not tables:
            continue
        biggest = max(tables, key=lambda t: tables[t])
        table.add_row(schema, str(len(tables)), f"{sum(tables.values()):,}",
                      f"{biggest} ({tables[biggest]:,})")
    console.print(table)

    top = Table(title="Top 10 accounts by engagement score (time-decayed points; "
                      "points and activities of the last 90 days)")
    numbers = ("score", "points 90d", "activities 90d")
    for col in ("account", "tier", "customer", *numbers):
        top.add_column(col, justify="right" if col in numbers else "left")
    for name, tier, is_customer, score, points, n in top_accounts(settings):
        top.add_row(str(name), tier or "-", "yes" if is_customer else "no", f"{score:,.1f}",
                    f"{points:,}", f"{n:,}")
    console.print(top)

    if targets := target_accounts(settings):
        ranked = Table(title="ABM target list, top 10 (marts.mart_target_accounts: new logos "
                             "by fit x lookalike x engagement, expansion by fit x propensity x "
                             "relationship; where it differs from the CRM's tiers: "
                             "marts.mart_tier_comparison; model metrics: kizuna ml evaluate)")
        ranked.add_column("#", justify="right")
        ranked.add_column("list")
        ranked.add_column("account", no_wrap=True, max_width=20)
        ranked.add_column("P(opp 90d)", justify="right")
        ranked.add_column("offer next", no_wrap=True, max_width=16)
        ranked.add_column("why")
        for rank, _tier, target_list, name, _score, p_opp, product, reason, resembles in targets:
            # no propensity champion yet: the list is ranked without one
            chance = "-" if p_opp is None else f"{p_opp:.0%}"
            # a new logo is there for whom it resembles more than for its next 90 days
            why = f"resembles {resembles}" if target_list == "new_logo" and resembles else reason
            ranked.add_row(str(rank), target_list.replace("_", " "), str(name), chance,
                           product or "-", why or "-")
        console.print(ranked)

    exports_summary(settings, console)
    quality_summary(settings, console)
    accuracy_summary(settings, console)

    db = settings.duckdb_path
    bi = bi_database_path(settings)
    console.print(
        "\n[bold]Where things are[/bold]\n"
        f"  warehouse   {db} (the pipeline's: every layer, personal data included)\n"
        f"  BI file     {bi} (the marts only, no personal data: for BI tools)\n"
        f"  file drops  {settings.landing}\n"
        f"  truth       {settings.home / 'truth'} (the simulator's answers; never loaded)\n"
        f"  airflow     {settings.home / '.airflow'} (metadata DB, DAG run logs)\n"
        "\n[bold]Query it[/bold]\n"
        "  .venv/bin/kizuna sql \"select * from marts.dim_accounts limit 5\"\n"
        "  .venv/bin/python -c \"import duckdb; print(duckdb.connect("
        f"'{bi}', read_only=True).sql('from marts.fct_activities limit 5'))\"\n"
        f"  or point any DuckDB client (DBeaver, the duckdb CLI, Metabase) at {bi}, read-only"
    )
    report = report_path(settings)
    if report.exists():
        console.print(f"\n[bold]The report[/bold] (opens offline in any browser)\n  {report}")
    if exports := latest_exports(settings):
        folder = exports_folder(settings) / str(exports[0][0])
        console.print("\n[bold]The exports[/bold] (import files for HubSpot, Salesforce, "
                      f"Marketo and a CP932 CSV)\n  {folder}")
    if seconds is not None:
        console.print(f"\n[green]Demo finished in {seconds / 60:.1f} min.[/green]")


def run_demo(opts: DemoOptions, console: Console | None = None) -> None:
    from kizuna.orchestrator import init_airflow, test_dag
    from kizuna.transform import parse

    console = console or Console()
    settings = get_settings()
    t0 = time.monotonic()
    console.rule("[bold]Kizuna demo")
    console.print(f"[bold]1/7[/bold] simulated world: {opts.accounts:,} accounts, "
                  f"{opts.start} .. {opts.end}, seed {opts.seed}")
    ensure_world(opts, settings, console)
    console.print("[bold]2/7[/bold] dbt parse (the parse state every dbt task starts from)")
    parse(settings)
    console.print("[bold]3/7[/bold] Airflow metadata DB and the DuckDB writer pool")
    home = init_airflow(settings)
    window_end = opts.end + timedelta(days=1)
    logical = window_end.isoformat()
    retries = {"KIZUNA_TASK_RETRIES": "0"}

    def done(task: str) -> None:
        console.print(f"    [green]✓[/green] {task}")

    console.print(f"[bold]4/7[/bold] airflow dags test kizuna_ingest (backfill window "
                  f"{opts.start} .. {opts.end})")
    test_dag("kizuna_ingest", logical,
             conf={"window_start": opts.start.isoformat(), "window_end": logical},
             log_path=home / "logs" / "demo-kizuna_ingest.log", on_task_done=done,
             settings=settings, extra_env=retries)
    console.print("[bold]5/7[/bold] airflow dags test kizuna_transform (dbt build via Cosmos)")
    test_dag("kizuna_transform", logical, log_path=home / "logs" / "demo-kizuna_transform.log",
             on_task_done=done, settings=settings, extra_env=retries)
    console.print("[bold]6/7[/bold] airflow dags test kizuna_ml_train (propensity, lookalike, "
                  "cross-sell; champion/challenger)")
    test_dag("kizuna_ml_train", logical, log_path=home / "logs" / "demo-kizuna_ml_train.log",
             on_task_done=done, settings=settings, extra_env=retries)
    console.print("[bold]7/7[/bold] airflow dags test kizuna_ml_score (score every account, "
                  "ML marts via Cosmos)")
    test_dag("kizuna_ml_score", logical, log_path=home / "logs" / "demo-kizuna_ml_score.log",
             on_task_done=done, settings=settings, extra_env=retries)
    console.rule("[bold]What the demo built")
    print_summary(settings, console, time.monotonic() - t0)

