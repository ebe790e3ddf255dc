"""Build the whole warehouse in order: dbt's first step, identity resolution, dbt's rest.

The transform DAG runs the same three steps as Airflow tasks (two Cosmos task groups
around the identity task); the tests and the command line use :func:`build_warehouse`.

1. ``dbt build --select tag:identity_input``: staging and the deterministic matching
   models (lead -> contact by e-mail, account -> company by corporate number);
2. :func:`kizuna.identity.run`: domain, name and probabilistic matching into the
   ``identity`` schema;
3. ``dbt build --exclude tag:identity_input``: seeds, snapshots, intermediate models,
   marts and their tests.

No dbt test spans the two steps (a relationships test between a staging model and a
mart would run before the mart exists), so tests run with their models.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kizuna.settings import Settings, get_settings
from kizuna.transform import NodeResult, run_dbt

log = logging.getLogger(__name__)

#: dbt selector of the models the identity task reads.
IDENTITY_INPUT = "tag:identity_input"


def build_before_identity(settings: Settings | None = None, quiet: bool = True,
                          extra: Sequence[str] = ()) -> list[NodeResult]:
    return run_dbt(["build", "--select", IDENTITY_INPUT, "--indirect-selection", "cautious",
                    *extra], settings=settings, quiet=quiet)


def build_after_identity(settings: Settings | None = None, quiet: bool = True,
                         extra: Sequence[str] = ()) -> list[NodeResult]:
    return run_dbt(["build", "--exclude", IDENTITY_INPUT, *extra], settings=settings,
                   quiet=quiet)


def build_warehouse(settings: Settings | None = None, quiet: bool = True,
                    full_refresh: bool = False) -> list[NodeResult]:
    """Run the three steps; return the dbt results of both dbt steps."""
    from kizuna import identity

    s = settings or get_settings()
    extra = ["--full-refresh"] if full_refresh else []
    results = build_before_identity(s, quiet, extra)
    counts = identity.run(s)
    log.info("identity resolution: %s", counts)
    return results + build_after_identity(s, quiet, extra)
