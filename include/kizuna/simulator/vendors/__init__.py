"""The simulated world in a vendor's shape, with the same truth.

A writer is a folder here named after the adapter that reads its output
(``hubspot_fivetran/``): ``writer.yml`` lists the vendor tables it writes, and one DuckDB
``<vendor table>.sql`` each selects that table's rows from the world's contract tables
(every row with ``_day``, the date folder it belongs to). The round trip world -> vendor
files -> adapter -> raw contract is what the vendor tests measure against the native path:
what the vendor's shape cannot carry (e.g. web visits in HubSpot's e-mail events) is lost
there as it would be in a real export, and the figures say so.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import yaml

from kizuna.contract import ENTITIES
from kizuna.identifiers import literal, quote
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.world import SimulationResult, simulate
from kizuna.sources.adapters import adapter
from kizuna.sources.config import DeliverySpec, delivery_specs

WRITERS_DIR = Path(__file__).parent


@dataclass
class VendorWorld:
    """What :func:`write_as_vendor` wrote."""

    vendor: str
    adapter: str
    rows: dict[str, int] = field(default_factory=dict)  # vendor table -> rows
    native_entities: list[str] = field(default_factory=list)  # copied as they were
    sources_file: Path | None = None


def writers() -> list[str]:
    return sorted(p.name for p in WRITERS_DIR.iterdir() if (p / "writer.yml").is_file())


def write_as_vendor(native_landing: Path, out_landing: Path, vendor: str, writer: str,
                    sources_file: Path) -> VendorWorld:
    """Write the world under ``native_landing`` (every entity as Parquet in UTC, see
    :data:`NATIVE_PARQUET`) as ``writer``'s vendor tables under
    ``out_landing/<vendor>/<table>/<date>/``; entities the vendor does not deliver are
    copied as they are. ``sources_file`` gets the sources configuration that reads it."""
    folder = WRITERS_DIR / writer
    spec = yaml.safe_load((folder / "writer.yml").read_text(encoding="utf-8"))
    adp = adapter(spec["adapter"])
    world = VendorWorld(vendor, adp.name)
    eng = duckdb.connect()
    eng.execute("SET TimeZone = 'UTC'")
    try:
        for ent in ENTITIES:
            root = native_landing / ent.source / ent.name
            if ent.table in adp.entities or not root.is_dir():
                continue
            shutil.copytree(root, out_landing / ent.source / ent.name, dirs_exist_ok=True)
            world.native_entities.append(ent.table)
        for ent in ENTITIES:
            root = native_landing / ent.source / ent.name
            files = sorted(root.glob("*/*.parquet"))
            cols = ", ".join(f"NULL::VARCHAR AS {quote(c)}" for c in ent.column_names)
            if files:
                eng.execute(
                    f"CREATE VIEW {quote(ent.table)} AS SELECT * EXCLUDE (filename), "
                    "CAST(regexp_extract(filename, '/([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS DATE)"
                    f" AS _day FROM read_parquet({literal(str(root))} || '/*/*.parquet', "
                    "filename = true)")
            else:
                eng.execute(f"CREATE VIEW {quote(ent.table)} AS SELECT {cols}, "
                            "NULL::DATE AS _day WHERE false")
        for table in spec["tables"]:
            fmt = adp.tables[table].format
            eng.execute(f"CREATE OR REPLACE TABLE out AS "
                        f"{(folder / f'{table}.sql').read_text(encoding='utf-8')}")
            days = [r[0] for r in eng.execute(
                "SELECT DISTINCT _day FROM out WHERE _day IS NOT NULL ORDER BY 1").fetchall()]
            world.rows[table] = int(eng.execute("SELECT count(*) FROM out").fetchall()[0][0])
            for day in days:
                target = out_landing / vendor / table / day.isoformat()
                target.mkdir(parents=True, exist_ok=True)
                path = target / f"part-0001.{'jsonl' if fmt == 'jsonl' else fmt}"
                tmp = path.with_name(path.name + ".part")
                options = {"jsonl": "FORMAT json", "csv": "FORMAT csv, HEADER true",
                           "parquet": "FORMAT parquet"}[fmt]
                eng.execute(f"COPY (SELECT * EXCLUDE (_day) FROM out WHERE _day = "
                            f"DATE {literal(day.isoformat())}) TO {literal(str(tmp))} "
                            f"({options})")
                os.replace(tmp, path)
                (target / "_SUCCESS").touch()
    finally:
        eng.close()
    sources = {src: {"format": "parquet", "timezone": "UTC", "done_marker": "_SUCCESS"}
               for src in sorted({e.source for e in ENTITIES})}
    sources["vendors"] = {vendor: {"adapter": adp.name, "timezone": "UTC"}}  # type: ignore[dict-item]
    sources_file.write_text(yaml.safe_dump(sources, sort_keys=False), encoding="utf-8")
    world.sources_file = sources_file
    return world


def native_parquet() -> dict[str, DeliverySpec]:
    """Every entity as Parquet in UTC: the form the writers read."""
    return {t: replace(spec, format="parquet", encoding="utf-8", timezone="UTC", columns={},
                       done_marker="_SUCCESS") for t, spec in delivery_specs().items()}


def simulate_as_vendor(cfg: SimulationConfig, out_dir: Path, vendor: str, writer: str
                       ) -> tuple[SimulationResult, VendorWorld]:
    """Simulate ``cfg`` and write it as ``writer``'s vendor files: ``out_dir/landing``
    (the vendor's tables under ``landing/<vendor>/``), ``out_dir/truth`` (the same truth as
    the native world) and ``out_dir/sources.yml`` (set ``KIZUNA_SOURCES`` to it)."""
    if writer not in writers():
        raise ValueError(f"no vendor writer {writer!r} (available: {', '.join(writers())})")
    out_dir = Path(out_dir)
    native = out_dir / ".native"
    result = simulate(cfg, native, specs=native_parquet())
    landing = out_dir / "landing"
    for d in (landing, out_dir / "truth"):
        if d.exists():
            shutil.rmtree(d)
    world = write_as_vendor(native / "landing", landing, vendor, writer, out_dir / "sources.yml")
    shutil.move(str(native / "truth"), str(out_dir / "truth"))
    shutil.rmtree(native)
    result.out_dir, result.landing_dir, result.truth_dir = out_dir, landing, out_dir / "truth"
    return result, world
