"""The ``vendors:`` section of the sources file: which vendor delivers what, in which shape.

```yaml
vendors:
  hubspot:                    # files under landing/hubspot/<vendor table>/<yyyy-mm-dd>/
    adapter: hubspot_export   # include/kizuna/sources/adapters/hubspot_export/, or a
                              # path to your own adapter folder (./adapters/acme_crm)
    timezone: Asia/Tokyo      # of the vendor's timestamps that carry no offset
    done_marker: _SUCCESS     # null: a file is complete once stable for stable_seconds
    currency: USD             # of amounts without a currency code (default: the reporting one)
    currency_rates: {USD: 151.2}   # 1 USD in the reporting currency
```

The entities an adapter produces are written, mapped, to
``landing/<source>/<entity>/<date>/<vendor>.parquet`` by :mod:`kizuna.ingest.adapt`; their
delivery specs here become Parquet in the vendor's timezone, so the loader reads them like
any other drop.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from kizuna.sources.adapters import Adapter, adapter
from kizuna.sources.config import DeliverySpec, SourceConfigError, config_path, delivery_specs

_KEYS = {"adapter", "timezone", "done_marker", "stable_seconds", "currency", "currency_rates",
         "tables"}
_TABLE_KEYS = {"encoding", "delimiter", "format"}
#: The done marker the adapter writes into each folder it completes.
ADAPTED_MARKER = "_SUCCESS"
#: Columns an adapted file adds to the contract's: the vendor file and row of each row.
VENDOR_LINEAGE = ("vendor_file", "vendor_row")


@dataclass(frozen=True)
class VendorSpec:
    """One vendor's deliveries and the adapter that maps them."""

    name: str
    adapter: Adapter
    timezone: str = "UTC"
    done_marker: str | None = "_SUCCESS"
    stable_seconds: int = 60
    currency_rates: dict[str, float] = field(default_factory=dict)
    # of amounts the vendor gives without a currency code (None: the reporting currency)
    currency: str | None = None
    # per vendor table: encoding / delimiter / format where this vendor's files differ
    table_overrides: dict[str, dict[str, str]] = field(default_factory=dict)


def _vendor(name: str, raw: dict[str, Any], where: str, base: Path) -> VendorSpec:
    unknown = set(raw) - _KEYS
    if unknown:
        bad = sorted(unknown)[0]
        near = difflib.get_close_matches(bad, sorted(_KEYS), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise SourceConfigError(f"{where}: unknown key {bad!r}{hint} (known: {sorted(_KEYS)})")
    if "adapter" not in raw:
        raise SourceConfigError(f"{where}: no adapter named (e.g. adapter: hubspot_export)")
    try:
        adp = adapter(str(raw["adapter"]), base)
    except ValueError as err:
        raise SourceConfigError(f"{where}: {err}") from None
    overrides = {str(k): dict(v or {}) for k, v in (raw.get("tables") or {}).items()}
    for table, opts in overrides.items():
        if table not in adp.tables:
            near = difflib.get_close_matches(table, list(adp.tables), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise SourceConfigError(f"{where}: tables.{table} is not a table of adapter "
                                    f"{adp.name}{hint}")
        extra = set(opts) - _TABLE_KEYS
        if extra:
            raise SourceConfigError(f"{where}: tables.{table}: unknown keys {sorted(extra)}")
    rates = {str(k).upper(): float(v) for k, v in (raw.get("currency_rates") or {}).items()}
    currency = str(raw["currency"]).upper() if raw.get("currency") else None
    return VendorSpec(name, adp, str(raw.get("timezone", "UTC")),
                      raw.get("done_marker", "_SUCCESS"), int(raw.get("stable_seconds", 60)),
                      rates, currency, overrides)


def vendor_specs(path: Path | None = None) -> dict[str, VendorSpec]:
    """Every vendor of the sources file, by its landing folder name."""
    path = (path or config_path()).resolve()
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    section = doc.get("vendors") or {}
    specs = {str(name): _vendor(str(name), raw or {}, f"{path}: vendors.{name}", path.parent)
             for name, raw in section.items()}
    produced: dict[str, str] = {}
    for spec in specs.values():
        for table in spec.adapter.entities:
            if table in produced and produced[table] != spec.name:
                first = specs[produced[table]]
                if first.timezone != spec.timezone:
                    raise SourceConfigError(
                        f"{path}: vendors {produced[table]} and {spec.name} both deliver "
                        f"{table} but in different timezones ({first.timezone}, "
                        f"{spec.timezone}); give them one")
            produced.setdefault(table, spec.name)
    return specs


def with_vendor_outputs(specs: dict[str, DeliverySpec], vendors: dict[str, VendorSpec]
                        ) -> dict[str, DeliverySpec]:
    """Delivery specs where entities produced by an adapter read its Parquet output."""
    out = dict(specs)
    for vendor in vendors.values():
        for table in vendor.adapter.entities:
            out[table] = replace(specs[table], format="parquet", encoding="utf-8",
                                 timezone=vendor.timezone, done_marker=ADAPTED_MARKER,
                                 columns={})
    return out


def effective_delivery_specs(path: Path | None = None) -> dict[str, DeliverySpec]:
    """Delivery spec per raw table, with the entities that vendors' adapters produce read
    from the adapters' output: what the loader and the ingest DAG use."""
    return with_vendor_outputs(delivery_specs(path), vendor_specs(path))
