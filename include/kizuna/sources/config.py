"""How each source delivers its files: format, encoding, timezone, done marker, mapping.

Read from ``sources.yml`` beside this module, or from the file named by the
``KIZUNA_SOURCES`` environment variable (so a team can describe its own exports without
editing the package).

The file is checked in full when it is read: a source, entity or key it does not know,
or a column mapping onto a column the contract does not have, stops the run with a
:class:`SourceConfigError` naming the file, the key and the nearest valid name. (A
misspelt source used to be skipped, and its files were read with the defaults.) The
top-level key ``vendors`` is reserved for vendor adapters (:mod:`kizuna.sources.vendors`
reads and checks it); here only its names count, as landing folders.
"""

from __future__ import annotations

import difflib
import os
import zoneinfo
from collections.abc import Iterable, Mapping
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

#: The sources of the contract, in its order (``ma``, ``crm``, ``firmo``).
SOURCES: tuple[str, ...] = tuple(dict.fromkeys(e.source for e in ENTITIES))
#: Entity names per source (``crm`` -> ``accounts``, ``contacts`` ...).
SOURCE_ENTITIES: dict[str, tuple[str, ...]] = {
    s: tuple(e.name for e in ENTITIES if e.source == s) for s in SOURCES
}
#: Top-level keys that are not sources; their content belongs to another module.
RESERVED_KEYS: tuple[str, ...] = ("vendors",)
#: Keys of a delivery spec, at source level (defaults for its entities) or per entity.
SPEC_KEYS: tuple[str, ...] = ("format", "encoding", "timezone", "done_marker",
                              "stable_seconds", "delimiter", "columns")

_ENCODING_ALIASES = {
    # Excel's "Shift_JIS" is Microsoft's CP932 superset
    **dict.fromkeys(("shift-jis", "sjis", "windows-31j", "ms932", "x-sjis"), "cp932"),
    "detect": "auto", "detected": "auto", "utf8": "utf-8", "utf8-sig": "utf-8-sig",
}


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


@dataclass(frozen=True)
class SourcesConfig:
    """The sources file as read: a spec per raw table, and the vendors' names."""

    path: Path
    specs: dict[str, DeliverySpec]
    vendors: tuple[str, ...]


class SourceConfigError(ValueError):
    """The source configuration is malformed; the message names the file and key."""


def nearest(name: object, candidates: Iterable[str]) -> str | None:
    """The valid name closest to a misspelt one, if any is close (difflib's ratio >= 0.6)."""
    found = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def suggestion(name: object, candidates: Iterable[str]) -> str:
    """'did you mean 'crm'?' when a name is close, else the list of valid names."""
    options = list(candidates)
    near = nearest(name, options)
    return f"did you mean {near!r}?" if near else f"valid: {', '.join(options)}"


def _unknown(where: str, what: str, name: object, candidates: Iterable[str]) -> SourceConfigError:
    return SourceConfigError(f"{where}: unknown {what} {str(name)!r}; "
                             f"{suggestion(name, candidates)}")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SourceConfigError(f"{where}: expected a mapping of keys, got "
                                f"{type(value).__name__} {value!r}")
    return {str(k): v for k, v in value.items()}


def _check_keys(raw: dict[str, Any], known: Iterable[str], where: str) -> None:
    known = list(known)
    for key in raw:
        if key not in known:
            raise _unknown(f"{where}.{key}", "key", key, known)


def _columns(value: Any, targets: Iterable[str], owner: str, where: str) -> dict[str, str]:
    """A ``columns`` mapping (vendor header -> contract column), each target checked."""
    columns = {str(k): v for k, v in _mapping(value, where).items()}
    valid = list(targets)
    for header, target in columns.items():
        if not isinstance(target, str) or target not in valid:
            raise SourceConfigError(
                f"{where}.{header!r}: maps to {target!r}, which is not a column of {owner}; "
                f"{suggestion(target, valid)}")
    return columns


def _timezone(value: Any, where: str) -> str:
    name = str(value)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _unknown(where, "timezone", name, sorted(zoneinfo.available_timezones())
                       ) from None
    return name


def _spec(entity: Entity, raw: dict[str, Any], where: str) -> DeliverySpec:
    """One entity's spec from its merged keys (source defaults, then the entity's own)."""
    fmt = raw.get("format", "csv")
    if fmt not in FORMATS:
        raise SourceConfigError(f"{where}.format: {fmt!r} is not one of {', '.join(FORMATS)}; "
                                f"{suggestion(fmt, FORMATS)}")
    enc = str(raw.get("encoding", "utf-8")).lower().replace("_", "-")
    enc = _ENCODING_ALIASES.get(enc, enc)
    if enc not in ENCODINGS:
        raise SourceConfigError(f"{where}.encoding: {enc!r} is not one of "
                                f"{', '.join(ENCODINGS)} (Shift_JIS is cp932); "
                                f"{suggestion(enc, ENCODINGS)}")
    marker = raw.get("done_marker")
    if marker is not None and not isinstance(marker, str):
        raise SourceConfigError(f"{where}.done_marker: {marker!r} is not a file name "
                                "(or null)")
    try:
        stable = int(raw.get("stable_seconds", 60))
    except (TypeError, ValueError):
        raise SourceConfigError(f"{where}.stable_seconds: {raw['stable_seconds']!r} is not a "
                                "number of seconds") from None
    delimiter = str(raw.get("delimiter", ","))
    if len(delimiter) != 1:
        raise SourceConfigError(f"{where}.delimiter: {delimiter!r} is not one character")
    # source-level mappings apply where the entity has the target column
    columns = {h: c for h, c in raw.get("_source_columns", {}).items()
               if c in entity.column_names}
    columns.update(_columns(raw.get("columns"), entity.column_names, entity.table,
                            f"{where}.columns"))
    return DeliverySpec(
        entity=entity,
        format=fmt,
        encoding=enc,
        timezone=_timezone(raw.get("timezone", "UTC"), f"{where}.timezone"),
        done_marker=marker,
        stable_seconds=stable,
        delimiter=delimiter,
        columns=columns,
    )


def parse(doc: Any, path: Path) -> SourcesConfig:
    """Check a parsed sources file and build the spec of every entity of the contract."""
    top = _mapping(doc, str(path))
    for key in top:
        if key not in SOURCES and key not in RESERVED_KEYS:
            raise _unknown(f"{path}: {key}", "source", key, [*SOURCES, *RESERVED_KEYS])
    specs: dict[str, DeliverySpec] = {}
    for source in SOURCES:
        where = f"{path}: {source}"
        source_doc = _mapping(top.get(source), where)
        _check_keys(source_doc, [*SPEC_KEYS, "entities"], where)
        entities_doc = _mapping(source_doc.get("entities"), f"{where}.entities")
        for name in entities_doc:
            if name not in SOURCE_ENTITIES[source]:
                raise _unknown(f"{where}.entities.{name}", f"{source} entity", name,
                               SOURCE_ENTITIES[source])
        source_columns = _columns(
            source_doc.get("columns"),
            dict.fromkeys(c for e in ENTITIES if e.source == source for c in e.column_names),
            f"any {source} entity", f"{where}.columns")
        defaults = {k: v for k, v in source_doc.items() if k not in ("entities", "columns")}
        for ent in (e for e in ENTITIES if e.source == source):
            ent_where = f"{where}.entities.{ent.name}"
            entity_doc = _mapping(entities_doc.get(ent.name), ent_where)
            _check_keys(entity_doc, SPEC_KEYS, ent_where)
            merged = {**defaults, **entity_doc, "_source_columns": source_columns}
            label = ent_where if ent.name in entities_doc else where
            specs[ent.table] = _spec(ent, merged, label)
    vendors = top.get("vendors")
    names = tuple(str(k) for k in vendors) if isinstance(vendors, Mapping) else ()
    return SourcesConfig(path, specs, names)


def config_path() -> Path:
    return Path(os.environ.get("KIZUNA_SOURCES", DEFAULT_CONFIG))


def read_config(path: Path | None = None) -> SourcesConfig:
    """The sources file, checked (re-read when it changes: a fix applies to the next run)."""
    path = (path or config_path()).resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise SourceConfigError(
            f"source configuration {path} does not exist (set KIZUNA_SOURCES to your "
            "sources file, or unset it for the one shipped with Kizuna)") from None
    return _read(path, stat.st_mtime_ns, stat.st_size)


@cache
def _read(path: Path, mtime_ns: int, size: int) -> SourcesConfig:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourceConfigError(f"{path}: not valid YAML{at}: {problem}") from None
    return parse(doc, path)


def delivery_specs(path: Path | None = None) -> dict[str, DeliverySpec]:
    """Delivery spec per raw table name, for every entity of the contract."""
    return read_config(path).specs


def delivery_spec(table: str, path: Path | None = None) -> DeliverySpec:
    return delivery_specs(path)[table]


def vendor_names(path: Path | None = None) -> tuple[str, ...]:
    """The vendors named under ``vendors:`` (each delivers under ``landing/<vendor>/``)."""
    return read_config(path).vendors
