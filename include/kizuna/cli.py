"""The ``kizuna`` command line.

``kizuna demo`` is what ``make demo`` runs. The other commands are the pieces, for a data
engineer working outside Airflow: generate a world, load a window, build with dbt, run a
query, settle a batch.

Expected failures (a malformed sources file, a misplaced landing folder, a rejected
batch, a locked warehouse, a dbt failure, a missing file) end as one line saying what
went wrong and one line saying what to do, with a non-zero exit code; ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

console = Console()
errors = Console(stderr=True)
_state = {"debug": False}

#: Expected failures by exception class name: (what to do, exit code). Matched by name
#: so that reporting an error never imports the module that raised it.
_HINTS: dict[str, tuple[str, int]] = {
    "SourceConfigError": (
        "fix the sources file (KIZUNA_SOURCES, or include/kizuna/sources/sources.yml); files "
        "already loaded with the wrong settings are read again by "
        "kizuna load --reload --from D --to D", 1),
    "LandingLayoutError": (
        "move the files to landing/<source>/<entity>/<yyyy-mm-dd>/ (sources ma, crm, firmo), "
        "or name the vendor under vendors: in the sources file", 1),
    "QualityGateError": (
        "kizuna batch list --status rejected shows them and kizuna quality the failing "
        "rules; deliver a corrected file under the same name (or fix the sources file and "
        "kizuna load --reload), or settle a batch: kizuna batch accept|discard <batch_id> "
        "--reason '...'", 2),
    "WarehouseBusyError": (
        "another process is writing the warehouse (an Airflow task or another kizuna "
        "command): wait for it to finish, then run this again", 1),
    "DbtError": (
        "the failing models and tests are named above; set DBT_TARGET_PATH to keep their "
        "compiled SQL, --debug for the traceback", 1),
    "BatchActionError": ("kizuna batch list shows the batches and their status", 1),
    "MissingPasswordError": ("set KIZUNA_PG_PASSWORD in the environment", 1),
    "SuiteError": ("fix the suite file under expectations/", 1),
    "ExportError": ("build the warehouse and score it first (kizuna build, kizuna ml score)",
                    1),
    "ExtractError": ("check the vendor connection's URL and token, or retry later", 1),
    "ErasureRequestError": ("give each address as name@domain", 1),
    "ErasureKeyError": ("set KIZUNA_ERASURE_KEY to the key the erasures were made with", 1),
    "FileNotFoundError": (
        "check the path; KIZUNA_HOME says where landing/ and warehouse/ live", 1),
}


def _gate_line(message: str) -> str:
    """A quality-gate error in one line: each rejected file, its batch and failed rules."""
    files: list[str] = []
    for line in message.splitlines():
        found = re.match(r"file (.+) \(batch (\w+), data interval", line)
        if found:
            files.append(f"{found[1]} (batch {found[2]}: ")
        rule = re.match(r"\s+- rule (\S+)", line)
        if rule and files:
            files[-1] += ("" if files[-1].endswith(": ") else ", ") + rule[1]
    rejected = [f + ")" for f in files]
    return (f"the quality gate rejected {len(rejected)} batch(es): " + "; ".join(rejected)
            if rejected else message.splitlines()[0])


def _expected(err: BaseException) -> tuple[str, str, int] | None:
    """(one line, hint, exit code) for an expected failure, None for anything else."""
    names = [k.__name__ for k in type(err).__mro__]
    name = next((n for n in names if n in _HINTS), None)
    if name is None and "IOException" in names and "does not exist" in str(err):
        return (f"{type(err).__name__}: {' '.join(str(err).split())}",
                "nothing has been loaded here yet: run kizuna load first (KIZUNA_HOME or "
                "KIZUNA_DUCKDB_PATH say where the warehouse is)", 1)
    if name is None:
        return None
    hint, code = _HINTS[name]
    text = str(err)
    line = _gate_line(text) if name == "QualityGateError" else " ".join(text.split())
    return f"{type(err).__name__}: {line}", hint, code


class _Commands(TyperGroup):
    """The ``kizuna`` group: an expected failure of any command is one line and a hint."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context, not public
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as err:
            found = None if _state["debug"] else _expected(err)
            if found is None:
                raise
            line, hint, code = found
            errors.print(f"[red]Error:[/red] {escape(line)}", soft_wrap=True, highlight=False)
            errors.print(f"[bold]Hint:[/bold] {escape(hint)}", soft_wrap=True,
                         highlight=False)
            raise typer.Exit(code) from None


app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_show_locals=False,
                  help="Kizuna: an account-based marketing warehouse.")


@app.callback()
def _setup(
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="show the traceback of an expected failure")] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
    )
    for noisy in ("great_expectations", "dbt", "airflow", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (yyyy-mm-dd)") from None


def _tables(names: list[str] | None) -> list[str] | None:
    """Raw table names as given, each checked against the contract."""
    from kizuna.contract import ENTITIES_BY_TABLE
    from kizuna.sources.config import suggestion

    for name in names or []:
        if name not in ENTITIES_BY_TABLE:
            raise typer.BadParameter(f"no raw table {name!r}; "
                                     f"{suggestion(name, ENTITIES_BY_TABLE)}",
                                     param_hint="--table")
    return names or None


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
def airflow() -> None:
    """Start a local Airflow (UI on http://localhost:8080, login admin / kizuna) with the
    project's DAGs and the pool kizuna_duckdb, under AIRFLOW_HOME (.airflow/)."""
    import os

    from kizuna.orchestrator import LOCAL_PASSWORD, LOCAL_USER, run_local_airflow

    port = os.environ.get("AIRFLOW__API__PORT", "8080")
    console.print(f"Airflow UI: http://localhost:{port}  login: {LOCAL_USER} / "
                  f"{LOCAL_PASSWORD}  (Ctrl-C stops it)")
    run_local_airflow()


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="writes OUT/landing and OUT/truth")] = Path("."),
    seed: int = 42,
    accounts: int = 2000,
    start: str = "2025-01-01",
    end: str = "2026-09-30",
    as_vendor: Annotated[list[str] | None, typer.Option(
        "--as", help="write the world as a vendor's files, FOLDER=WRITER (e.g. "
                     "hubspot=hubspot_fivetran; repeat for a CRM and an MA tool); then "
                     "set KIZUNA_SOURCES to OUT/sources.yml")] = None,
    folder_days: Annotated[int, typer.Option(
        help="with --as: days per delivery folder (dated by its last day)")] = 1,
) -> None:
    """Generate the simulated B2B world (file drops and truth)."""
    from kizuna.simulator import SimulationConfig
    from kizuna.simulator import simulate as run

    cfg = SimulationConfig(seed=seed, n_accounts=accounts, start=date.fromisoformat(start),
                           end=date.fromisoformat(end))
    if not as_vendor:
        console.print(run(cfg, out_dir=out))
        return
    from kizuna.simulator.vendors import simulate_as_vendors, writers

    vendors: dict[str, str] = {}
    for v in as_vendor:  # FOLDER=WRITER, or WRITER alone (folder: the vendor's name)
        folder, _, writer = v.rpartition("=")
        vendors[folder or writer.split("_")[0]] = writer
    unknown = sorted(set(vendors.values()) - set(writers()))
    if unknown:
        raise typer.BadParameter(f"no vendor writer {', '.join(unknown)} (available: "
                                 f"{', '.join(writers())})", param_hint="--as")
    result, world = simulate_as_vendors(cfg, out, vendors, folder_days)
    console.print(result)
    console.print(world)
    console.print(f"export KIZUNA_SOURCES={world.sources_file}")
    console.print(f"To extract it through the vendors' APIs: kizuna serve {out}")


@app.command()
def serve(
    world: Annotated[Path, typer.Argument(
        help="a world written by kizuna simulate --out WORLD --as hubspot=hubspot_fivetran "
             "(or salesforce=salesforce_export, marketo=marketo_export)")],
    home: Annotated[Path | None, typer.Option(
        help="prepare this KIZUNA_HOME for the extract DAG: the world's entities no vendor "
             "delivers in HOME/landing, and HOME/sources.yml reading what the extractors "
             "land")] = None,
    port: Annotated[int, typer.Option(
        help="port of the first vendor's API, the next ones follow (0: free ports)")] = 8301,
) -> None:
    """Serve a simulated world's vendor files from local HubSpot, Salesforce and Marketo
    APIs on 127.0.0.1, for the extract DAG (kizuna_extract) to read, until Ctrl-C."""
    import threading

    from kizuna.sources.extract.serve import WorldServer, api_home

    server = WorldServer(world, port)
    if home is not None:
        sources = api_home(world, home)
    with server:
        for s in server.vendors.values():
            console.print(f"[bold]{s.vendor}[/bold] {s.api.url}  "
                          + ", ".join(f"{k} {n:,}" for k, n in s.objects.rows.items()),
                          highlight=False, soft_wrap=True)
        console.print("Airflow connections the extract DAG reads:", style="bold")
        for s in server.vendors.values():
            console.print(escape(s.airflow_command()), soft_wrap=True, highlight=False)
        if home is not None:
            console.print(f"export KIZUNA_HOME={home.resolve()} KIZUNA_SOURCES={sources.resolve()}",
                          soft_wrap=True, highlight=False)
        console.print("Serving; Ctrl-C stops.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopped")


@app.command()
def load(
    start: Annotated[str | None, typer.Option(
        "--start", "--from", help="first date folder; default yesterday")] = None,
    end: Annotated[str | None, typer.Option(
        "--end", "--to", help="last date folder, inclusive")] = None,
    table: Annotated[list[str] | None, typer.Option(help="raw table, e.g. ma_activities")] = None,
    reload: Annotated[bool, typer.Option(
        help="read files already loaded again (after fixing the sources file); their new "
             "batches replace the old ones")] = False,
    reason: Annotated[str | None, typer.Option(
        help="why you reload (recorded in audit.batch_events)")] = None,
) -> None:
    """Load the complete file drops of a window into raw (idempotent), then run the quality
    gate; exits 2 when a critical check rejected a batch. A landing folder that no source
    reads stops the load before anything is loaded."""
    from kizuna.ledger import actor
    from kizuna.pipeline import load_and_gate

    first = _date(start, date.today() - timedelta(days=1))
    last = _date(end, first)
    why = (reason or f"kizuna load --reload by {actor()}") if reload else None
    report = load_and_gate(first, last + timedelta(days=1), tables=_tables(table), reload=why,
                           strict_layout=True)
    console.print(escape(report.summary()), soft_wrap=True, highlight=False)
    if reload:
        console.print("Reloaded rows reach the marts at the next transform; for activities "
                      "older than activities_lookback_days, rebuild the incremental "
                      "fct_activities with kizuna build --full-refresh.", soft_wrap=True)


@app.command()
def quality(
    failures: Annotated[int, typer.Option(help="failing rules to list")] = 20,
    docs: Annotated[bool, typer.Option(help="rebuild the Data Docs site first")] = False,
) -> None:
    """Data quality per entity (batches, rows, pass rate, quarantined), failing rules, Data Docs."""
    from kizuna.gate import data_docs_dir
    from kizuna.ledger import entity_summary, failing_rules
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
        from kizuna.gate import build_data_docs

        index = build_data_docs(s)
    console.print(f"Data Docs: {index}" + ("" if index.exists() else " (not built yet)"))
    console.print("Details: audit.dq_results (one row per batch and check), "
                  "quarantine.rejected_rows, marts.kpi_data_quality")


def _sample(sample: str | None, n: int = 2) -> str:
    """The first failing rows of a check, as 'row 3: column='value''."""
    import json

    from kizuna.ledger import sample_text

    try:
        return "; ".join(sample_text(x) for x in json.loads(sample or "[]")[:n])[:160]
    except (ValueError, TypeError, AttributeError):
        return (sample or "")[:160]


@app.command("dbt-parse")
def dbt_parse(quiet: bool = False) -> None:
    """Write dbt's manifest and parse state (every dbt task of the DAGs starts from it)."""
    from kizuna.transform import parse

    parse()
    if not quiet:
        console.print("dbt manifest written")


@app.command()
def build(
    select: Annotated[str | None, typer.Option(
        help="only this dbt selection, as a plain dbt build (no identity resolution)")] = None,
    full_refresh: Annotated[bool, typer.Option(help="rebuild incremental models")] = False,
) -> None:
    """Build the warehouse as the transform DAG does: seeds, the identity inputs, identity
    resolution, every other model and snapshot with its tests, then the integrity tests;
    then publish the marts to BI tools (see `kizuna publish-bi`)."""
    from kizuna.pipeline import build_warehouse
    from kizuna.transform import run_dbt

    if select:
        nodes = run_dbt(["build", "--select", select])
    else:
        nodes = build_warehouse(quiet=False, full_refresh=full_refresh)
    console.print(f"dbt: {len(nodes)} nodes")


@app.command("publish-bi")
def publish_bi() -> None:
    """Publish the marts to BI tools, as each build does: on DuckDB a fresh bi.duckdb beside
    the warehouse (open it read-only), on PostgreSQL the read-only role kizuna_bi's grants
    on schema marts. Neither reaches raw, staging, restricted or any other schema."""
    from kizuna.bi import publish

    with console.status("publishing the marts"):
        publication = publish()
    console.print(f"BI: {len(publication.tables)} marts -> {publication.target} "
                  f"({publication.seconds:.1f}s)", highlight=False)


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
def report(
    out: Annotated[Path | None, typer.Option(
        help="the HTML file to write (default KIZUNA_REPORTS/kizuna_report.html)")] = None,
) -> None:
    """Write the HTML report of the marts: one page that opens offline (funnel, engagement,
    MQA, KPI vs target, data quality, models, cross-sell, attribution)."""
    from kizuna.report import write_report

    with console.status("writing the report"):
        result = write_report(out=out)
    for key, why in result.absent.items():
        console.print(f"  {key}: no data: {escape(why)}", highlight=False)
    console.print(f"report: {result.path} ({result.bytes / 1e6:.1f} MB, "
                  f"{len(result.sections) - len(result.absent)} of {len(result.sections)} "
                  f"sections with data, {result.seconds:.1f}s)", highlight=False)


@app.command()
def export(
    build: Annotated[bool, typer.Option(
        help="rebuild the lists (dbt models tagged activation) first")] = True,
    hubspot_url: Annotated[str | None, typer.Option(
        help="push the target list to this HubSpot API (https://api.hubapi.com) too")] = None,
    hubspot_token: Annotated[str | None, typer.Option(
        envvar="KIZUNA_HUBSPOT_TOKEN", show_default=False,
        help="the private app's access token for --hubspot-url")] = None,
    salesforce_url: Annotated[str | None, typer.Option(
        help="push the target list to this Salesforce instance's accounts too")] = None,
    salesforce_client_id: Annotated[str | None, typer.Option(
        envvar="KIZUNA_SALESFORCE_CLIENT_ID", show_default=False,
        help="the connected app's client id for --salesforce-url")] = None,
    salesforce_client_secret: Annotated[str | None, typer.Option(
        envvar="KIZUNA_SALESFORCE_CLIENT_SECRET", show_default=False,
        help="the connected app's client secret for --salesforce-url")] = None,
    marketo_url: Annotated[str | None, typer.Option(
        help="push the lead hand-offs to this Marketo REST endpoint too")] = None,
    marketo_client_id: Annotated[str | None, typer.Option(
        envvar="KIZUNA_MARKETO_CLIENT_ID", show_default=False,
        help="the API user's client id for --marketo-url")] = None,
    marketo_client_secret: Annotated[str | None, typer.Option(
        envvar="KIZUNA_MARKETO_CLIENT_SECRET", show_default=False,
        help="the API user's client secret for --marketo-url")] = None,
    marketo_list_id: Annotated[int | None, typer.Option(
        envvar="KIZUNA_MARKETO_LIST_ID",
        help="the Marketo static list the hand-offs are the members of")] = None,
    marketo_lookup: Annotated[str, typer.Option(
        help="match Marketo leads by their id (the MA is Marketo) or by email")] = "id",
) -> None:
    """Export the MQA list, the ranked target list and the lead hand-offs as each vendor's
    import files (HubSpot, Salesforce, Marketo, CP932) under KIZUNA_HOME/exports/<data
    date>/, with a delta of changed records; opted-out people never appear. With a
    vendor's URL and credentials, the lists are pushed through its API too (only the
    records that changed since the last push)."""
    from kizuna.pipeline import export_lists
    from kizuna.sources.extract.base import Credentials

    if hubspot_url and not hubspot_token:
        raise typer.BadParameter("--hubspot-url needs a token: set KIZUNA_HUBSPOT_TOKEN",
                                 param_hint="--hubspot-token")
    for url, key, secret, vendor in (
            (salesforce_url, salesforce_client_id, salesforce_client_secret, "SALESFORCE"),
            (marketo_url, marketo_client_id, marketo_client_secret, "MARKETO")):
        if url and not (key and secret):
            raise typer.BadParameter(
                f"--{vendor.lower()}-url needs a client id and secret: set "
                f"KIZUNA_{vendor}_CLIENT_ID and KIZUNA_{vendor}_CLIENT_SECRET",
                param_hint=f"--{vendor.lower()}-client-id")
    if marketo_lookup not in ("id", "email"):
        raise typer.BadParameter("id or email", param_hint="--marketo-lookup")
    hubspot = Credentials(host=hubspot_url, password=hubspot_token) if hubspot_url else None
    salesforce = Credentials(host=salesforce_url, login=salesforce_client_id,
                             password=salesforce_client_secret) if salesforce_url else None
    marketo_extra: dict[str, object] = {"lookup_field": marketo_lookup}
    if marketo_list_id is not None:
        marketo_extra["mqa_list_id"] = marketo_list_id
    marketo = Credentials(host=marketo_url, login=marketo_client_id,
                          password=marketo_client_secret,
                          extra=marketo_extra) if marketo_url else None
    with console.status("exporting"):
        report = export_lists(hubspot=hubspot, build=build, salesforce=salesforce,
                              marketo=marketo)
    t = Table("target", "file", "rows", "status", "changed records")
    for r in report.results:
        t.add_row(r.target, r.file_name, f"{r.row_count:,}", r.status, f"{r.delta.size:,}")
    console.print(t)
    for r in report.results:
        if r.message:
            console.print(f"  {r.target}/{r.file_name}: {escape(r.message)}", highlight=False)
    console.print(f"exports for {report.data_date}: {report.folder} ({report.seconds:.1f}s)",
                  highlight=False)


def _addresses_in(path: Path) -> list[str]:
    """The addresses of a request file: a CSV whose header names an ``email`` column, or
    one address per line."""
    import csv

    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    if "email" in header:
        i = header.index("email")
        return [r[i] for r in rows[1:] if len(r) > i and r[i].strip()]
    return [r[0] for r in rows if r and r[0].strip()]


@app.command()
def erase(
    email: Annotated[list[str] | None, typer.Option(
        "--email", help="an address to erase (repeat it for several)")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="a CSV with an email column, or one address per line")] = None,
) -> None:
    """Erase people who asked to be forgotten (APPI / GDPR): their rows leave the landing
    files, raw, quarantine, snapshots, identity tables, marts, exports and reports; the
    request is recorded as keyed hashes in audit.erasure_requests, and later deliveries of
    them are excluded by the loader."""
    from kizuna.pipeline import erase as erase_people

    addresses = list(email or []) + (_addresses_in(file) if file else [])
    if not addresses:
        raise typer.BadParameter("give at least one --email or a --file", param_hint="--email")
    with console.status("erasing"):
        report = erase_people(addresses)
    t = Table("where", "rows removed")
    for label, rows in sorted(report.tables.items()):
        t.add_row(label, f"{rows:,}")
    for kind, found in (("landing files", report.landing_files),
                        ("export files", report.export_files),
                        ("text files (occurrences)", report.text_files)):
        if found:
            t.add_row(f"{kind}: {len(found)}", f"{sum(found.values()):,}")
    console.print(t)
    console.print(f"erasure {report.request_id}: {report.addresses} address(es), "
                  f"{report.records_resolved} lead/contact records, "
                  f"{report.rows_removed():,} table rows ({report.seconds:.1f}s); recorded in "
                  "audit.erasure_requests", highlight=False)


@app.command()
def summary() -> None:
    """Rows per layer and the most engaged accounts."""
    from kizuna.demo import print_summary
    from kizuna.settings import get_settings

    print_summary(get_settings(), console)


batch_app = typer.Typer(no_args_is_help=True,
                        help="Batches (one per delivered file): list them, accept or discard "
                             "a rejected one.")
app.add_typer(batch_app, name="batch")


@batch_app.command("list")
def batch_list(
    status: Annotated[str | None, typer.Option(
        help="only this status: loaded, published, rejected, discarded, superseded, "
             "duplicate, empty")] = None,
    table: Annotated[str | None, typer.Option(help="only this raw table")] = None,
    limit: Annotated[int, typer.Option(help="batches to show, newest first")] = 30,
) -> None:
    """The latest batches with their status, rows and message."""
    from kizuna.ledger import BATCH_STATUSES, recent_batches
    from kizuna.settings import get_settings
    from kizuna.warehouse import connection

    if status and status not in BATCH_STATUSES:
        raise typer.BadParameter(f"{status!r} is not one of {', '.join(BATCH_STATUSES)}",
                                 param_hint="--status")
    if table:
        _tables([table])
    s = get_settings()
    rows: list[Any] = []
    loaded_any = s.warehouse != "duckdb" or s.duckdb_path.exists()
    if loaded_any:
        with connection(s, read_only=True) as wh:
            loaded_any = bool(wh.columns("audit", "load_batches"))
            rows = recent_batches(wh, limit, status, table) if loaded_any else []
    if not rows:
        console.print("No batches" + (f" with status {status}" if status else "")
                      + ("" if loaded_any else ": load a window first (kizuna load)") + ".")
        return
    console.print("batch                     status      rows/raw/quarantined  file",
                  style="bold", soft_wrap=True)
    for batch_id, _, source_file, _, st, rows_in, loaded, quarantined, message, _ in rows:
        counts = f"{rows_in:,}/{loaded:,}/{quarantined:,}"
        console.print(f"{batch_id}  {st:<10}  {counts:>20}  {escape(source_file)}",
                      soft_wrap=True, highlight=False)
        if message:
            console.print(f"    {escape(message)}", style="dim", soft_wrap=True,
                          highlight=False)


def _settle(batch_id: str, action: str, reason: str) -> None:
    from kizuna.ledger import act_on_batch, ensure_ledger
    from kizuna.warehouse import connection

    with connection() as wh:
        ensure_ledger(wh)
        full_id, table, source_file, before, after = act_on_batch(wh, batch_id, action, reason)
    console.print(f"batch {full_id} ({source_file}, {table}): {before} -> {after}",
                  highlight=False)
    if before == "published" or after == "published":
        console.print("The marts change at the next transform (kizuna build; for older "
                      "activities kizuna build --full-refresh).", soft_wrap=True)


@batch_app.command("accept")
def batch_accept(
    batch_id: Annotated[str, typer.Argument(help="the batch id (or its first characters)")],
    reason: Annotated[str, typer.Option(help="why the batch is good enough")],
) -> None:
    """Publish a rejected batch as it is: its rows in raw reach staging at the next
    transform (rows quarantined stay there). Recorded with who, when and why."""
    _settle(batch_id, "accept", reason)


@batch_app.command("discard")
def batch_discard(
    batch_id: Annotated[str, typer.Argument(help="the batch id (or its first characters)")],
    reason: Annotated[str, typer.Option(help="why the batch is dropped")],
) -> None:
    """Drop a batch: its rows leave raw, its record stays (status discarded, with who, when
    and why), and loading the file again does not bring it back (kizuna load --reload
    does)."""
    _settle(batch_id, "discard", reason)


class _ml_errors:
    """The ML commands' expected failures as a message and exit code 1, not a traceback."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        from models_ml.features import FeatureMismatchError
        from models_ml.registry import NoChampionError
        from models_ml.training import NotEnoughHistoryError

        if isinstance(err, (NotEnoughHistoryError, NoChampionError, FeatureMismatchError)):
            console.print(f"[red]{type(err).__name__}:[/red] {err}", markup=True,
                          highlight=False)
            raise typer.Exit(1) from None
        return False


ml_app = typer.Typer(no_args_is_help=True,
                     help="Account models: propensity, lookalikes, cross-sell (models_ml).")
app.add_typer(ml_app, name="ml")


@ml_app.command("train")
def ml_train(
    model: Annotated[list[str] | None, typer.Option(
        help="opportunity_90d, won_90d, lookalike or cross_sell; default all")] = None,
) -> None:
    """Train, evaluate and register the models the data supports (the others are skipped,
    with the reason); a version that beats its baselines and the champion becomes champion.
    Exits 1 when no model could be trained."""
    from rich.markup import escape

    from models_ml.report import SCORER_NAMES
    from models_ml.tasks import MODELS, train_models

    with _ml_errors(), console.status(f"training {', '.join(model or MODELS)}"):
        outcomes = train_models(model or MODELS)
    for out in outcomes:
        name, metric = out["model_name"], out["primary_metric"]
        if out["skipped"]:
            console.print(f"[bold]{name}[/bold] skipped: {escape(out['skipped'])}")
            continue
        figures = " | ".join(f"{SCORER_NAMES.get(scorer, scorer)} {values[metric]:.3f}"
                             for scorer, values in out["metrics"].items()
                             if values.get(metric) is not None)
        console.print(f"[bold]{name}[/bold] {out['version']}"
                      f" ({'champion' if out['is_champion'] else 'not champion'},"
                      f" {out['seconds']:.0f}s)")
        console.print(f"  {metric}: {figures}")
        console.print(f"  {escape(out['decision'])}")
        by_reason: dict[str, list[str]] = {}
        for column, why in out["set_aside"].items():
            by_reason.setdefault(why, []).append(column)
        for why, columns in by_reason.items():
            console.print(f"  set aside, {escape(why)}: {', '.join(columns)}")
    if not any(out["version"] for out in outcomes):
        console.print("[red]No model trained:[/red] the data supports none of those asked for "
                      "(the reasons are above).")
        raise typer.Exit(1)
    console.print("Every metric and the charts: kizuna ml evaluate")


@ml_app.command("score")
def ml_score(
    build: Annotated[bool, typer.Option(help="rebuild the ML marts (dbt) afterwards")] = True,
) -> None:
    """Score the scoring date with every champion there is (a table without one is
    skipped, with the reason); write ml.* and rebuild the ML marts."""
    from rich.markup import escape

    from models_ml.tasks import scoring_run

    with _ml_errors(), console.status("scoring"):
        run = scoring_run()
    for table, n in run["rows"].items():
        console.print(f"  ml.{table}: {n:,} rows")
    for table, why in run["skipped"].items():
        console.print(f"  ml.{table}: not scored: {escape(why)}")
    if build:
        from kizuna.pipeline import DBT_ML_MARTS
        from kizuna.transform import run_step

        with console.status(f"dbt {' '.join(DBT_ML_MARTS.args())}"):
            nodes = run_step(DBT_ML_MARTS)
        console.print(f"  ML marts rebuilt ({len(nodes)} dbt nodes)")
        from kizuna.bi import publish

        publication = publish()
        console.print(f"  marts published to {publication.target}", highlight=False)


@ml_app.command("evaluate")
def ml_evaluate(
    truth: Annotated[Path | None, typer.Option(
        help="the simulator's truth folder (default KIZUNA_HOME/truth, when present)")] = None,
) -> None:
    """Print every model's metrics next to its baselines (and the oracle on simulated
    data); write a lift chart and a calibration plot per propensity model to reports/."""
    from models_ml.report import evaluate

    with _ml_errors(), console.status("evaluating"):
        report = evaluate(truth_dir=truth)
    print_ml_report(report)
    for path in report.charts:
        console.print(f"  chart: {path}")


#: The columns of each table of the ML report: metric -> header (short: 80 columns).
_ML_COLUMNS = {
    "propensity": {"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "top_decile_lift": "lift@10%",
                   "top_decile_precision": "prec@10%", "brier": "Brier"},
    "held-out good customers": {"roc_auc": "ROC AUC", "pr_auc": "PR AUC",
                                "top_decile_lift": "lift@10%", "n_rows": "accounts",
                                "n_positives": "held out"},
    "true potential good customers": {"recall_at_50": "rec@50", "recall_at_100": "rec@100",
                                      "recall_at_200": "rec@200", "roc_auc": "ROC AUC",
                                      "n_rows": "accounts", "n_positives": "potential"},
    "held-out latest purchases": {"hit_rate_at_1": "hit@1", "hit_rate_at_3": "hit@3",
                                  "mean_candidates": "choices", "n_rows": "purchases"},
    "truth after the data date": {"buys_next_180d_roc_auc": "AUC buys",
                                  "need_spearman_within_account": "need rho acct",
                                  "need_spearman_overall": "need rho all",
                                  "n_rows": "rows", "n_positives": "buys"},
    "scorers": {"pr_auc": "PR AUC", "top_decile_lift": "lift@10%",
                "top_decile_conversion": "top 10%", "bottom_decile_conversion": "bottom 10%",
                "average_conversion": "average", "predicted_over_observed": "pred/obs"},
    "calibration by decile": {"n_rows": "leads", "conversions": "converted",
                              "mean_predicted": "predicted", "observed_rate": "observed"},
}
_COUNTS = {"n_rows", "n_positives", "conversions"}


def _ml_table(title: str, table, columns: dict[str, str], rows: str = "scorer") -> Table:
    from models_ml.report import SCORER_NAMES

    t = Table(title=title, title_justify="left", title_style="bold")
    t.add_column(rows)
    for header in columns.values():
        t.add_column(header, justify="right")
    for scorer, row in table.iterrows():
        cells = []
        for metric in columns:
            value = row.get(metric)
            if value is None or value != value:
                cells.append("-")
            elif metric in _COUNTS:
                cells.append(f"{value:,.0f}")
            elif metric == "mean_candidates":
                cells.append(f"{value:.1f}")
            else:
                cells.append(f"{value:.3f}")
        t.add_row(str(SCORER_NAMES.get(scorer, scorer)), *cells)
    return t


def print_ml_report(report, out: Console | None = None) -> None:
    """The report's tables (used by kizuna ml evaluate and the demo summary): short
    column and scorer names that fit 80 columns, and a legend of the scorers below."""
    from models_ml.report import SCORER_LABELS

    out = out or console
    seen: list[str] = []
    for name, table in report.propensity.items():
        out.print(_ml_table(f"{name}: on cutoffs {report.cutoffs[name]}", table,
                            _ML_COLUMNS["propensity"]))
        rows, positives = int(table["n_rows"].iloc[0]), int(table["n_positives"].iloc[0])
        line = f"  {rows:,} account-cutoffs, {positives:,} positives ({positives / rows:.1%})"
        if name in report.label_agreement:
            line += f"; labels {report.label_agreement[name]:.1%} as the simulator's"
        out.print(line)
        out.print(f"  version {report.versions[name]}")
        seen += list(table.index)
    for model, sections in (("lookalike", report.lookalike), ("cross-sell", report.cross_sell)):
        for section, table in sections.items():
            out.print(_ml_table(f"{model}: {section}", table, _ML_COLUMNS[section]))
            seen += list(table.index)
    if report.lead_scoring:
        name = "lead_opportunity_90d"
        scorers = report.lead_scoring["scorers"]
        out.print(_ml_table(f"{name}: lead x cutoff rows on cutoffs {report.cutoffs[name]}",
                            scorers, _ML_COLUMNS["scorers"]))
        calibration = report.lead_scoring["calibration by decile"]
        if not calibration.empty:
            out.print(_ml_table(f"{name}: calibration by decile of predicted probability",
                                calibration.set_index("decile"),
                                _ML_COLUMNS["calibration by decile"], rows="decile"))
        out.print(f"  version {report.versions[name]}")
        seen += list(scorers.index)
    legend = [SCORER_LABELS[s] for s in dict.fromkeys(seen) if s in SCORER_LABELS]
    if legend:
        out.print("Scorers: " + "; ".join(legend) + ".", style="dim")
    for note in report.notes:
        out.print(f"  note: {note}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
