"""The notebooks' public surface: every call a notebook makes, one module of work per step.

Each notebook is a parameters cell and a few calls into ``steps`` (and :mod:`.display` for
tables and plots); everything a cell would otherwise do with a loop or a path lives in the step
modules, tested. A step reads what the earlier steps left in the run's workspace directory
(:class:`onrtools.pipeline.rundir.RunDir`), writes what later steps need, writes masked files
for people into the report directory, and records its facts (counts, tuonti ids, API call
totals) in ``facts.json`` for the index page and the evidence.

=====================  ============================  =========================================
notebook               module                        calls
=====================  ============================  =========================================
every step             :mod:`.step_common`           open_run, settings, environment_of
10-validate-register   :mod:`.step10_validate`       validate -> ValidationStep
20-import-tuonti       :mod:`.step20_import`         import_rows -> ImportStep
30-reconcile           :mod:`.step30_reconcile`      reconcile_run -> ReconcileStep,
                                                     category_titles
40-change-feed         :mod:`.step40_changes`        change_feed -> ReconcileStep
50-duplicates          :mod:`.step50_duplicates`     onr_duplicate_candidates,
                                                     register_duplicates, pairs_side_by_side,
                                                     review, link_candidates,
                                                     links_side_by_side, review_links,
                                                     request_packages, records_column
90-audit-report        :mod:`.audit_report`          finish_run -> AuditStep
=====================  ============================  =========================================
"""

from __future__ import annotations

from onrtools.pipeline.step10_validate import ValidationStep, local_extras, validate
from onrtools.pipeline.step20_import import (
    ImportStep,
    hold_possible_duplicates,
    import_rows,
    row_fingerprint,
    rows_to_import,
)
from onrtools.pipeline.step30_reconcile import (
    VIEW_STATE,
    OnrView,
    ReconcileStep,
    action_files,
    category_titles,
    reconcile_run,
    refresh_onr_view,
)
from onrtools.pipeline.step40_changes import change_feed
from onrtools.pipeline.step50_duplicates import (
    find_register_duplicates,
    link_candidates,
    links_side_by_side,
    onr_duplicate_candidates,
    pairs_side_by_side,
    records_column,
    register_duplicates,
    request_packages,
    review,
    review_links,
)
from onrtools.pipeline.step_common import (
    SEND_COLUMNS,
    client_for,
    environment_of,
    onr_environment,
    open_run,
    run_environment,
    settings,
    target_environment,
)

__all__ = [
    "SEND_COLUMNS",
    "VIEW_STATE",
    "ImportStep",
    "OnrView",
    "ReconcileStep",
    "ValidationStep",
    "action_files",
    "category_titles",
    "change_feed",
    "client_for",
    "environment_of",
    "find_register_duplicates",
    "hold_possible_duplicates",
    "import_rows",
    "link_candidates",
    "links_side_by_side",
    "local_extras",
    "onr_duplicate_candidates",
    "onr_environment",
    "open_run",
    "pairs_side_by_side",
    "reconcile_run",
    "records_column",
    "refresh_onr_view",
    "register_duplicates",
    "request_packages",
    "review",
    "review_links",
    "row_fingerprint",
    "rows_to_import",
    "run_environment",
    "settings",
    "target_environment",
    "validate",
]
