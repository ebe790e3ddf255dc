"""Activation: the lists leave the warehouse for the CRM and MA tools, after each scoring run.

Three lists, each a dbt model of schema ``exports`` (the rows are chosen there, opted-out
people already left out): the MQA list (``export_mqa_accounts``), the ranked target list
(``export_target_accounts``) and the lead hand-offs (``export_lead_handoffs``). Each is
written as the import files of every target (:mod:`kizuna.activation.formats`: HubSpot,
Salesforce, Marketo, CP932) under ``$KIZUNA_HOME/exports/<data date>/<target>/``, with a
delta file of the records that changed. With a vendor's credentials the lists are also
pushed through its API: the target list to HubSpot's companies
(:mod:`kizuna.activation.hubspot`) and Salesforce's accounts
(:mod:`kizuna.activation.salesforce`), the lead hand-offs to Marketo's leads and its MQA
static list (:mod:`kizuna.activation.marketo`). Every file and push is
recorded in ``audit.exports`` (:mod:`kizuna.activation.records`). Exporting the same scores
again writes the same bytes and records ``unchanged``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kizuna.activation.formats import FILES, LISTS, ExportList, Row
from kizuna.activation.records import ExportResult, ensure_tables, record_exports
from kizuna.activation.writer import write_file
from kizuna.identifiers import quote
from kizuna.settings import Settings, get_settings
from kizuna.warehouse import Warehouse, connection

if TYPE_CHECKING:
    from kizuna.sources.extract.base import Credentials

log = logging.getLogger(__name__)

#: The schema of the lists (dbt folder models/exports).
SCHEMA = "exports"


class ExportError(RuntimeError):
    """The lists cannot be exported (not built yet); the message says what to run."""


@dataclass(frozen=True)
class ExportReport:
    data_date: date
    folder: Path
    results: list[ExportResult]
    seconds: float

    def rows(self) -> dict[str, dict[str, int]]:
        """Target -> file (or pushed object) -> rows."""
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            out.setdefault(r.target, {})[r.file_name] = r.row_count
        return out

    def summary(self) -> dict[str, Any]:
        """What a DAG task returns: the folder, rows per file and each file's status."""
        return {"data_date": self.data_date.isoformat(), "folder": str(self.folder),
                "files": {f"{r.target}/{r.file_name}": {
                    "rows": r.row_count, "status": r.status, "changed": r.delta.size}
                    for r in self.results},
                "seconds": round(self.seconds, 2)}


def exports_folder(settings: Settings | None = None) -> Path:
    """Where the import files go: ``$KIZUNA_HOME/exports``."""
    return (settings or get_settings()).home / "exports"


def read_list(wh: Warehouse, lst: ExportList) -> list[Row]:
    """A list's rows in its order."""
    if not wh.columns(SCHEMA, lst.model):
        raise ExportError(f"{SCHEMA}.{lst.model} is not built: run kizuna build (or the "
                          "transform DAG), then kizuna ml score")
    table = wh.query_arrow(f"SELECT * FROM {quote(SCHEMA)}.{quote(lst.model)} "
                           f"ORDER BY {lst.order_by}")
    return table.to_pylist()


def scoring_date(wh: Warehouse) -> date:
    """The data date the lists are for: the latest scoring date of the marts."""
    rows = wh.query("SELECT max(as_of_date) FROM marts.mart_account_scores") \
        if wh.columns("marts", "mart_account_scores") else [(None,)]
    value = rows[0][0]
    if value is None:
        raise ExportError("the marts hold no scoring date yet: load data and run kizuna build")
    return value if isinstance(value, date) and not isinstance(value, datetime) \
        else date.fromisoformat(str(value)[:10])


def export_lists(settings: Settings | None = None, hubspot: Credentials | None = None,
                 folder: Path | None = None, salesforce: Credentials | None = None,
                 marketo: Credentials | None = None) -> ExportReport:
    """Write every list in every target's format under ``folder/<data date>/`` (default
    :func:`exports_folder`), push the lists to each vendor whose credentials are given
    (``hubspot``, ``salesforce``, ``marketo``), and record each in ``audit.exports``."""
    s = settings or get_settings()
    t0 = time.monotonic()
    exported_at = datetime.now(UTC)
    with connection(s) as wh:
        ensure_tables(wh)
        data_date = scoring_date(wh)
        out = (folder or exports_folder(s)) / data_date.isoformat()
        rows = {lst.name: read_list(wh, lst) for lst in LISTS}
        keys = {lst.name: lst.key for lst in LISTS}
        with wh.transaction():
            results = [write_file(wh, fmt, rows[fmt.list_name], keys[fmt.list_name], out,
                                  data_date, exported_at) for fmt in FILES]
            record_exports(wh, results)
        # after the files: a vendor that is down stops no file; each push is its own
        # transaction, so one vendor's failure keeps what the others took
        for credentials, push in ((hubspot, _push_hubspot), (salesforce, _push_salesforce),
                                  (marketo, _push_marketo)):
            # a connection the extractors read may be kept from pushes (extra push: false)
            if credentials is not None and credentials.extra.get("push", True) is not False:
                with wh.transaction():
                    pushed = push(wh, credentials, rows, data_date, exported_at)
                    record_exports(wh, pushed)
                results += pushed
    report = ExportReport(data_date, out, results, time.monotonic() - t0)
    log.info("exports for %s: %d files and pushes, %d changed, under %s", data_date,
             len(results), sum(r.status != "unchanged" for r in results), out)
    return report


def _push_hubspot(wh: Warehouse, credentials: Credentials, rows: dict[str, list[Row]],
                  data_date: date, exported_at: datetime) -> list[ExportResult]:
    from kizuna.activation.hubspot import push_targets

    return [push_targets(wh, credentials, rows["target_accounts"], data_date, exported_at)]


def _push_salesforce(wh: Warehouse, credentials: Credentials, rows: dict[str, list[Row]],
                     data_date: date, exported_at: datetime) -> list[ExportResult]:
    from kizuna.activation.salesforce import push_targets

    return [push_targets(wh, credentials, rows["target_accounts"], data_date, exported_at)]


def _push_marketo(wh: Warehouse, credentials: Credentials, rows: dict[str, list[Row]],
                  data_date: date, exported_at: datetime) -> list[ExportResult]:
    from kizuna.activation.marketo import push_handoffs

    return push_handoffs(wh, credentials, rows["lead_handoffs"], data_date, exported_at)


__all__ = ["ExportError", "ExportReport", "export_lists", "exports_folder"]
