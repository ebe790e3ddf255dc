"""API extractors: HubSpot, Salesforce and Marketo to the landing folder.

Each vendor's objects are read over a window of modification times and written as
``landing/<vendor>/<table>/<yyyy-mm-dd>/part-<n>.jsonl`` with a ``_SUCCESS`` marker, the
tables and columns those of the open Fivetran schemas; a cursor per vendor object makes
every run read only what changed since the last complete one. HTTP (paging, retries on
429/5xx honouring ``Retry-After``, OAuth tokens) is dlt's REST client. ``mock.py`` holds
local servers that answer like the three APIs.

This module imports nothing heavy: DAG files import it at parse time.
"""

from __future__ import annotations

from kizuna.sources.extract.base import Credentials, ExtractError, RetryPolicy
from kizuna.sources.extract.run import (
    VENDORS,
    ExtractResult,
    extract_interval,
    extract_object,
    extractor,
    objects_of,
)

#: The Airflow connection each vendor reads its host and credentials from.
CONN_IDS: dict[str, str] = {v: f"kizuna_{v}" for v in VENDORS}

__all__ = ["CONN_IDS", "VENDORS", "Credentials", "ExtractError", "ExtractResult",
           "RetryPolicy", "extract_interval", "extract_object", "extractor", "objects_of"]
