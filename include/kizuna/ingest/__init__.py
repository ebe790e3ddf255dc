"""Ingest: landing files -> ``raw`` (discovery, encodings, a reader per format, typing, load).

Depends on the ledger (:mod:`kizuna.ledger`), never on the quality gate: the caller runs
the gate after the load (:func:`kizuna.pipeline.load_and_gate`).
"""

from kizuna.ingest.adapt import AdaptReport, adapt_window
from kizuna.ingest.load import LoadReport, ensure_schema, load_files, load_window

__all__ = ["AdaptReport", "LoadReport", "adapt_window", "ensure_schema", "load_files",
           "load_window"]
