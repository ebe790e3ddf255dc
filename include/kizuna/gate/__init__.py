"""The quality gate: Great Expectations suites decide which loaded batches are published.

Depends on the ledger (:mod:`kizuna.ledger`), never on the loader: the caller runs the
gate after the load (:func:`kizuna.pipeline.load_and_gate`). See
:mod:`kizuna.gate.decisions` for the flow, :mod:`kizuna.gate.suites` for the suites.
"""

from kizuna.gate.decisions import (
    GateReport,
    QualityGateError,
    rejection_message,
    validate_entity,
    validate_window,
)
from kizuna.gate.runner import build_data_docs, data_docs_dir
from kizuna.gate.suites import Suite, SuiteError, load_suite, loader_rules

__all__ = ["GateReport", "QualityGateError", "Suite", "SuiteError", "build_data_docs",
           "data_docs_dir", "load_suite", "loader_rules", "rejection_message",
           "validate_entity", "validate_window"]
