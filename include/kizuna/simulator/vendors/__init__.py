"""The simulated world in a vendor's shape, with the same truth.

A writer is a folder here named after the adapter that reads its output
(``hubspot_fivetran/``): ``writer.yml`` lists the vendor tables it writes, and one DuckDB
``<vendor table>.sql`` each selects that table's rows from the world's contract tables
(every row with ``_day``, the date folder it belongs to). A column the SQL names otherwise
than the adapter documents, but spelt alike (:func:`kizuna.identifiers.spelling_key`), is
written under the documented name; ``_shared.sql``, where present,
creates views those SQLs share (``shares`` in ``writer.yml`` names other writers whose
``_shared.sql`` runs first: one vendor's rules, e.g. HubSpot's contact merge, written once for
its export and loading-tool shapes), and ``format`` in ``writer.yml`` writes every table in
another format than the adapter's default (the sources file then says so). ``writer.yml``
may also give the vendor's ``timezone`` (the clock its local date-times are on, UTC unless
said; ``getvariable('timezone')`` in the SQL; the sources file reads them on it) and the
``encoding`` of its CSV files (UTF-8 unless said, ``cp932`` for Shift_JIS). Two writers
may split one entity (SATORI and Sansan both deliver MA leads): each SQL sees
``kz_writers`` (one row per writer of this run, column ``writer``), so one can leave to
the other what it carries.

A writer for a shape that differs from another only in names (an adapter on a base, see
:mod:`kizuna.sources.adapters`) names that writer as its ``base``: the base writer's tables
are made first, each under its own name (``opportunityhistory``), and this writer's SQL
selects from them (``select *, ... from opportunityhistory``), its columns renamed to the
adapter's spelling as above. The round trip world -> vendor files -> adapter -> raw
contract is what the vendor tests measure against the native path: what the vendor's
shape cannot carry (e.g. web visits in HubSpot's e-mail events) is lost there as it would
be in a real export, and the figures say so.

A writer whose files hold MA leads also has a ``lead_ids.sql``: over the same world tables,
one row per lead it delivers, ``lead_id`` as the warehouse will hold it (the adapter's
keys: ``satori-`` + customer ID) and ``world_lead_id``, the world's. The rows of every
writer of a run go to ``truth/lead_ids.csv``, so the build's accuracy
(:mod:`kizuna.accuracy`) is measured against the truth, which names the world's leads.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml

from kizuna.contract import ENTITIES
from kizuna.identifiers import literal, quote, spelling_key
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.world import SimulationResult, simulate
from kizuna.sources.adapters import Adapter, VendorTable, adapter
from kizuna.sources.config import DeliverySpec, delivery_specs

WRITERS_DIR = Path(__file__).parent
#: Views a writer's table SQLs share (e.g. ids that several tables name), run before them.
SHARED_SQL = "_shared.sql"
#: A writer's vendor lead id -> the world's lead id (see the module docstring), and the
#: truth file the rows of every writer go to.
LEAD_IDS_SQL = "lead_ids.sql"
LEAD_IDS_TRUTH = "lead_ids.csv"


@dataclass
class VendorWorld:
    """What :func:`write_as_vendors` wrote."""

    vendors: dict[str, str]  # landing folder -> adapter
    rows: dict[str, int] = field(default_factory=dict)  # <vendor>/<table> -> rows
    native_entities: list[str] = field(default_factory=list)  # copied as they were
    sources_file: Path | None = None


def writers() -> list[str]:
    return sorted(p.name for p in WRITERS_DIR.iterdir() if (p / "writer.yml").is_file())


def _writer(name: str) -> tuple[Path, dict[str, Any], Adapter]:
    if name not in writers():
        raise ValueError(f"no vendor writer {name!r} (available: {', '.join(writers())})")
    folder = WRITERS_DIR / name
    spec = yaml.safe_load((folder / "writer.yml").read_text(encoding="utf-8"))
    for other in [spec.get("base"), *spec.get("shares", [])]:
        if other:
            _writer(other)
    return folder, spec, adapter(spec["adapter"])


def _timezone(spec: dict[str, Any]) -> str:
    """The clock a writer's files show local date-times on (``timezone`` in writer.yml)."""
    return str(spec.get("timezone", "UTC"))


def _register_world(eng: duckdb.DuckDBPyConnection, native_landing: Path,
                    folder_days: int) -> None:
    """Each contract table of the world as a view, ``_day`` its (coarsened) folder date."""
    for ent in ENTITIES:
        root = native_landing / ent.source / ent.name
        day = ("CAST(regexp_extract(filename, '/([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS DATE)")
        if folder_days > 1:  # folders of several days: dated by their last day, as an
            # export is named by the day it was taken (a row is never later than its folder)
            day = (f"CAST(DATE '2000-01-03' + {folder_days} * CAST(floor(date_diff('day', "
                   f"DATE '2000-01-03', {day}) / {folder_days}) AS INTEGER) "
                   f"+ {folder_days - 1} AS DATE)")
        if sorted(root.glob("*/*.parquet")):
            eng.execute(
                f"CREATE VIEW {quote(ent.table)} AS SELECT * EXCLUDE (filename), {day} AS _day "
                f"FROM read_parquet({literal(str(root))} || '/*/*.parquet', filename = true)")
        else:
            cols = ", ".join(f"NULL::VARCHAR AS {quote(c)}" for c in ent.column_names)
            eng.execute(f"CREATE VIEW {quote(ent.table)} AS SELECT {cols}, "
                        "NULL::DATE AS _day WHERE false")


def write_as_vendors(native_landing: Path, out_landing: Path, vendors: dict[str, str],
                     sources_file: Path, folder_days: int = 1,
                     truth_dir: Path | None = None) -> VendorWorld:
    """Write the world under ``native_landing`` (every entity as Parquet in UTC, see
    :func:`native_parquet`) as vendor tables: ``vendors`` maps a landing folder to a
    writer (``{"hubspot": "hubspot_fivetran"}``), written to
    ``out_landing/<vendor>/<table>/<date>/``. Entities no writer delivers (writes none of
    their tables, or names them ``partial``) are copied as they are. ``folder_days`` > 1
    lands several days per folder, dated by its last day (fewer, larger deliveries).
    ``sources_file`` gets the sources configuration that reads it all; ``truth_dir``, when
    given, the vendors' lead ids (``lead_ids.csv``) where a writer has them."""
    plans = {v: _writer(w) for v, w in vendors.items()}
    # a writer delivers an entity when it writes one of the entity's tables, unless its
    # writer.yml names the entity ``partial`` (Salesforce's MA leads are its leads and its
    # contacts; only contacts are written): that entity comes from the world as well
    delivered = {t for _, spec, adp in plans.values() for t, tables in adp.entities.items()
                 if set(tables) & set(spec["tables"]) and t not in spec.get("partial", ())}
    world = VendorWorld({v: adp.name for v, (_, _, adp) in plans.items()})
    eng = duckdb.connect()
    eng.execute("SET TimeZone = 'UTC'")
    try:
        for ent in ENTITIES:
            root = native_landing / ent.source / ent.name
            if ent.table in delivered or not root.is_dir():
                continue
            shutil.copytree(root, out_landing / ent.source / ent.name, dirs_exist_ok=True)
            world.native_entities.append(ent.table)
        _register_world(eng, native_landing, folder_days)
        eng.execute("CREATE TABLE kz_writers AS SELECT unnest(?::VARCHAR[]) AS writer",
                    [sorted(set(vendors.values()))])
        eng.execute("CREATE TABLE kz_lead_ids (lead_id VARCHAR, world_lead_id VARCHAR)")
        for vendor, (folder, spec, adp) in plans.items():
            eng.execute(f"SET VARIABLE timezone = {literal(_timezone(spec))}")
            for shared in [*(WRITERS_DIR / w for w in spec.get("shares", [])), folder]:
                if (shared / SHARED_SQL).is_file():
                    eng.execute((shared / SHARED_SQL).read_text(encoding="utf-8"))
            if spec.get("base"):  # the base writer's tables, under their names
                base_folder, base_spec, _ = _writer(spec["base"])
                for table in base_spec["tables"]:
                    eng.execute(f"CREATE OR REPLACE TABLE {quote(table)} AS "
                                f"{(base_folder / f'{table}.sql').read_text(encoding='utf-8')}")
            for table in spec["tables"]:
                _write_table(eng, folder / f"{table}.sql", adp.tables[table],
                             _format(spec, adp, table), out_landing / vendor / table,
                             spec.get("encoding", "utf-8"))
                world.rows[f"{vendor}/{table}"] = int(
                    eng.execute("SELECT count(*) FROM out").fetchall()[0][0])
            if (folder / LEAD_IDS_SQL).is_file():
                eng.execute("INSERT INTO kz_lead_ids BY NAME SELECT lead_id, world_lead_id "
                            f"FROM ({(folder / LEAD_IDS_SQL).read_text(encoding='utf-8')})")
        if truth_dir is not None:
            _write_lead_ids(eng, truth_dir / LEAD_IDS_TRUTH)
    finally:
        eng.close()
    if folder_days > 1:  # the copied native folders were daily
        _coarsen(out_landing, world.native_entities, folder_days)
    sources: dict[str, Any] = {
        src: {"format": "parquet", "timezone": "UTC", "done_marker": "_SUCCESS"}
        for src in sorted({e.source for e in ENTITIES})}
    sources["vendors"] = {v: {"adapter": adp.name, "timezone": _timezone(spec)}
                          for v, (_, spec, adp) in plans.items()}
    for v, (_, spec, adp) in plans.items():
        formats = {t: {"format": _format(spec, adp, t)} for t in spec["tables"]
                   if _format(spec, adp, t) != adp.tables[t].format}
        if formats:
            sources["vendors"][v]["tables"] = formats
    sources_file.write_text(yaml.safe_dump(sources, sort_keys=False), encoding="utf-8")
    world.sources_file = sources_file
    return world


def _write_lead_ids(eng: duckdb.DuckDBPyConnection, path: Path) -> None:
    """``kz_lead_ids`` to ``path`` (nothing when no writer has leads); a vendor lead id
    names one world lead."""
    clashes = eng.execute("SELECT lead_id FROM kz_lead_ids GROUP BY lead_id "
                          "HAVING count(DISTINCT world_lead_id) > 1 LIMIT 3").fetchall()
    if clashes:
        raise ValueError(f"lead_ids.sql: vendor lead ids {[c[0] for c in clashes]} name "
                         "more than one world lead")
    if eng.execute("SELECT count(*) FROM kz_lead_ids").fetchall()[0][0]:
        path.parent.mkdir(parents=True, exist_ok=True)
        eng.execute(f"COPY (SELECT DISTINCT lead_id, world_lead_id FROM kz_lead_ids "
                    f"ORDER BY ALL) TO {literal(str(path))} (FORMAT csv, HEADER true)")


def _format(spec: dict[str, Any], adp: Adapter, table: str) -> str:
    """The file format a writer writes ``table`` in: its ``format``, else the adapter's."""
    return str(spec.get("format") or adp.tables[table].format)


def _write_table(eng: duckdb.DuckDBPyConnection, sql: Path, table: VendorTable, fmt: str,
                 root: Path, encoding: str = "utf-8") -> None:
    eng.execute(f"CREATE OR REPLACE TABLE out AS {sql.read_text(encoding='utf-8')}")
    documented = {spelling_key(c): c for c in table.columns}
    for (col,) in eng.execute("SELECT column_name FROM (DESCRIBE out)").fetchall():
        name = documented.get(spelling_key(col), col)
        if name != col and col != "_day":
            eng.execute(f"ALTER TABLE out RENAME {quote(col)} TO {quote(name)}")
    days = [r[0] for r in eng.execute(
        "SELECT DISTINCT _day FROM out WHERE _day IS NOT NULL ORDER BY 1").fetchall()]
    options = {"jsonl": "FORMAT json", "csv": f"FORMAT csv, HEADER {str(table.header).lower()}",
               "parquet": "FORMAT parquet"}[fmt]
    for day in days:
        target = root / day.isoformat()
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"part-0001.{fmt}"
        tmp = path.with_name(path.name + ".part")
        eng.execute(f"COPY (SELECT * EXCLUDE (_day) FROM out WHERE _day = "
                    f"DATE {literal(day.isoformat())}) TO {literal(str(tmp))} ({options})")
        if fmt == "csv" and encoding.lower().replace("-", "") not in ("utf8", "utf_8"):
            _reencode(tmp, encoding, sql)
        os.replace(tmp, path)
        (target / "_SUCCESS").touch()


def _reencode(path: Path, encoding: str, sql: Path) -> None:
    """DuckDB writes UTF-8: re-encode the file as the vendor delivers it (e.g. cp932)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as err:
        raise ValueError(f"{sql.parent.name}/{sql.stem}: {text[err.start:err.end]!r} has no "
                         f"{encoding} code; the writer's SQL must replace it") from None
    path.write_bytes(data)


def _coarsen(landing: Path, tables: list[str], folder_days: int) -> None:
    """Move daily native folders into folders of ``folder_days`` days, dated by their last
    day (files renamed by their day, so none overwrites another)."""
    anchor = date(2000, 1, 3)
    for ent in ENTITIES:
        if ent.table not in tables:
            continue
        root = landing / ent.source / ent.name
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            day = date.fromisoformat(folder.name)
            last = anchor + timedelta(days=folder_days * ((day - anchor).days // folder_days)
                                      + folder_days - 1)
            if last == day:
                continue
            target = root / last.isoformat()
            target.mkdir(exist_ok=True)
            for f in folder.iterdir():
                if f.name != "_SUCCESS":
                    os.replace(f, target / f"{day.isoformat()}-{f.name}")
            shutil.rmtree(folder)
            (target / "_SUCCESS").touch()


def native_parquet() -> dict[str, DeliverySpec]:
    """Every entity as Parquet in UTC: the form the writers read."""
    return {t: replace(spec, format="parquet", encoding="utf-8", timezone="UTC", columns={},
                       done_marker="_SUCCESS") for t, spec in delivery_specs().items()}


def simulate_as_vendors(cfg: SimulationConfig, out_dir: Path, vendors: dict[str, str],
                        folder_days: int = 1, keep_native: Path | None = None,
                        ) -> tuple[SimulationResult, VendorWorld]:
    """Simulate ``cfg`` and write it as vendor files (``vendors``: landing folder ->
    writer): ``out_dir/landing``, ``out_dir/truth`` (the same truth as the native world)
    and ``out_dir/sources.yml`` (set ``KIZUNA_SOURCES`` to it). ``keep_native`` keeps the
    world's contract tables (Parquet in UTC, see :func:`native_parquet`) there, to compare
    the vendor path with."""
    for writer in vendors.values():
        _writer(writer)
    out_dir = Path(out_dir)
    native = out_dir / ".native"
    result = simulate(cfg, native, specs=native_parquet())
    landing = out_dir / "landing"
    for d in (landing, out_dir / "truth"):
        if d.exists():
            shutil.rmtree(d)
    shutil.move(str(native / "truth"), str(out_dir / "truth"))
    world = write_as_vendors(native / "landing", landing, vendors, out_dir / "sources.yml",
                             folder_days, truth_dir=out_dir / "truth")
    if keep_native is not None:
        shutil.move(str(native / "landing"), str(keep_native))
    shutil.rmtree(native)
    result.out_dir, result.landing_dir, result.truth_dir = out_dir, landing, out_dir / "truth"
    return result, world
