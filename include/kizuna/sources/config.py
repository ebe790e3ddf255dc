"""How each source delivers its files: format, encoding, timezone, done marker, mapping.

Read from ``sources.yml`` beside this module, or from the file named by the
``KIZUNA_SOURCES`` environment variable (so a team can describe its own exports without
editing the package).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from kizuna.contract import ENTITIES, Entity

FileFormat = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")
# auto: strictly valid UTF-8 (with or without a BOM) is read as UTF-8, anything else as CP932.
ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "cp932", "auto")
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".tsv", ".txt"),
    "jsonl": (".jsonl", ".json", ".ndjson"),
    "parquet": (".parquet",),
}

DEFAULT_CONFIG = Path(__file__).with_name("sources.yml")


@dataclass(frozen=True)
class DeliverySpec:
    """How one entity's files arrive."""

    entity: Entity
    format: FileFormat = "csv"
    encoding: str = "utf-8"
    timezone: str = "UTC"
    done_marker: str | None = None
    stable_seconds: int = 60
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)  # vendor header -> contract column


class SourceConfigError(ValueError):
    """The source configuration is malformed; the message names the file and key."""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in base.items() if k != "entities"}
    out.update(override)
    return out


def _spec(entity: Entity, raw: dict[str, Any], where: str) -> DeliverySpec:
    known = {"format", "encoding", "timezone", "done_marker", "stable_seconds", "delimiter",
             "columns"}
    unknown = set(raw) - known
    if unknown:
        raise SourceConfigError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
    fmt = raw.get("format", "csv")
    if fmt not in FORMATS:
        raise SourceConfigError(f"{where}: format {fmt!r} is not one of {FORMATS}")
    enc = str(raw.get("encoding", "utf-8")).lower().replace("_", "-")
    if enc in ("shift-jis", "sjis", "shift_jis", "windows-31j", "ms932", "x-sjis"):
        enc = "cp932"  # Excel's "Shift_JIS" is Microsoft's CP932 superset
    if enc in ("detect", "detected"):
        enc = "auto"
    if enc not in ENCODINGS:
        raise SourceConfigError(f"{where}: encoding {enc!r} is not one of {ENCODINGS}")
    columns = dict(raw.get("columns") or {})
    bad = set(columns.values()) - set(entity.column_names)
    if bad:
        raise SourceConfigError(
            f"{where}: columns maps to {sorted(bad)}, which {entity.table} does not have"
        )
    return DeliverySpec(
        entity=entity,
        format=fmt,
        encoding=enc,
        timezone=str(raw.get("timezone", "UTC")),
        done_marker=raw.get("done_marker"),
        stable_seconds=int(raw.get("stable_seconds", 60)),
        delimiter=str(raw.get("delimiter", ",")),
        columns=columns,
    )


def config_path() -> Path:
    return Path(os.environ.get("KIZUNA_SOURCES", DEFAULT_CONFIG))


@cache
def _load(path: Path) -> dict[str, DeliverySpec]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SourceConfigError(f"source configuration {path} does not exist") from None
    specs: dict[str, DeliverySpec] = {}
    for ent in ENTITIES:
        source_doc = doc.get(ent.source) or {}
        entity_doc = (source_doc.get("entities") or {}).get(ent.name) or {}
        merged = _merge(source_doc, entity_doc)
        specs[ent.table] = _spec(ent, merged, f"{path}: {ent.source}.{ent.name}")
    return specs


def delivery_specs(path: Path | None = None) -> dict[str, DeliverySpec]:
    """Delivery spec per raw table name, for every entity of the contract."""
    return _load((path or config_path()).resolve())


def delivery_spec(table: str, path: Path | None = None) -> DeliverySpec:
    return delivery_specs(path)[table]
