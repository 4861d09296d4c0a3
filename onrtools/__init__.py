"""onrtools: keep a korkeakoulu's register in step with Oppijanumerorekisteri (ONR).

Importing the package reads nothing and logs nothing; public names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (kept sorted; tests/test_package.py checks both ways)
_EXPORTS: dict[str, str] = {
    "AmbiguousSend": "onrtools.errors",
    "ApiError": "onrtools.errors",
    "AuthError": "onrtools.errors",
    "CallRecorder": "onrtools.calls",
    "CasAuth": "onrtools.auth",
    "ConfigError": "onrtools.errors",
    "Conflict": "onrtools.errors",
    "EnvironmentGuardError": "onrtools.errors",
    "EvidenceRecorder": "onrtools.evidence",
    "ImportJournal": "onrtools.journal",
    "ImportOutcome": "onrtools.batch_import",
    "Ledger": "onrtools.evidence.store",
    "LedgerError": "onrtools.errors",
    "NotFound": "onrtools.errors",
    "OAuth2Auth": "onrtools.auth",
    "OnrClient": "onrtools.client",
    "OnrError": "onrtools.errors",
    "Reconciliation": "onrtools.reconcile",
    "RegisterFrame": "onrtools.register",
    "RegisterReadError": "onrtools.errors",
    "RegistryUnavailable": "onrtools.errors",
    "RetryPolicy": "onrtools.http_policy",
    "ReviewSession": "onrtools.review",
    "Settings": "onrtools.config",
    "TuontiFailed": "onrtools.errors",
    "TuontiTimeout": "onrtools.errors",
    "ValidationFailed": "onrtools.errors",
    "ValidationResult": "onrtools.validation",
    "VerifyResult": "onrtools.evidence.verify",
    "WorkspaceError": "onrtools.errors",
    "check_hetuless_rows": "onrtools.preimport",
    "cluster": "onrtools.matching",
    "compare_last": "onrtools.kpi",
    "compute_kpis": "onrtools.kpi",
    "find_duplicates": "onrtools.matching",
    "guard_rows": "onrtools.validation",
    "import_register": "onrtools.batch_import",
    "iter_changes": "onrtools.changes",
    "link": "onrtools.matching",
    "person_url": "onrtools.reconcile",
    "plot_trends": "onrtools.kpi",
    "read_register": "onrtools.register",
    "reconcile": "onrtools.reconcile",
    "run_pipeline": "onrtools.pipeline",
    "running_simulator": "onrtools.simulator.testing",
    "scan_paths": "onrtools.secrets_scan",
    "submit_tuonti": "onrtools.batch_import",
    "trend_frame": "onrtools.kpi",
    "unlink_candidates": "onrtools.matching",
    "validate_register": "onrtools.validation",
    "verify_ledger": "onrtools.evidence.verify",
    "wait_for_tuonti": "onrtools.batch_import",
    "write_merge_requests": "onrtools.request_packages",
    "write_unlink_requests": "onrtools.request_packages",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'onrtools' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
