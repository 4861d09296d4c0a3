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
    "CallRecorder": "onrtools.onr.calls",
    "CasAuth": "onrtools.onr.auth",
    "ConfigError": "onrtools.errors",
    "Conflict": "onrtools.errors",
    "EnvironmentGuardError": "onrtools.errors",
    "EvidenceRecorder": "onrtools.evidence",
    "ImportJournal": "onrtools.onr.journal",
    "ImportOutcome": "onrtools.onr.batch_import",
    "Ledger": "onrtools.evidence.store",
    "LedgerError": "onrtools.errors",
    "NotFound": "onrtools.errors",
    "OAuth2Auth": "onrtools.onr.auth",
    "OnrClient": "onrtools.onr.client",
    "OnrError": "onrtools.errors",
    "Reconciliation": "onrtools.reconcile",
    "RegisterFrame": "onrtools.register.read",
    "RegisterReadError": "onrtools.errors",
    "RegistryUnavailable": "onrtools.errors",
    "RetryPolicy": "onrtools.onr.http_policy",
    "ReviewSession": "onrtools.duplicates.review",
    "Settings": "onrtools.onr.config",
    "TuontiFailed": "onrtools.errors",
    "TuontiTimeout": "onrtools.errors",
    "ValidationFailed": "onrtools.errors",
    "ValidationResult": "onrtools.register.validation",
    "VerifyResult": "onrtools.evidence.verify",
    "WorkspaceError": "onrtools.errors",
    "check_hetuless_rows": "onrtools.duplicates.preimport",
    "cluster": "onrtools.duplicates.matching",
    "compare_last": "onrtools.evidence.trend",
    "compute_kpis": "onrtools.evidence.kpi",
    "find_duplicates": "onrtools.duplicates.matching",
    "guard_rows": "onrtools.register.validation",
    "import_register": "onrtools.onr.batch_import",
    "iter_changes": "onrtools.onr.changes",
    "link": "onrtools.duplicates.matching",
    "person_url": "onrtools.reconcile",
    "plot_trends": "onrtools.evidence.trend",
    "read_register": "onrtools.register.read",
    "reconcile": "onrtools.reconcile",
    "run_pipeline": "onrtools.pipeline.run",
    "running_simulator": "onrtools.simulator.testing",
    "scan_paths": "onrtools.evidence.secrets_scan",
    "submit_tuonti": "onrtools.onr.batch_import",
    "trend_frame": "onrtools.evidence.trend",
    "unlink_candidates": "onrtools.duplicates.matching",
    "validate_register": "onrtools.register.validation",
    "verify_ledger": "onrtools.evidence.verify",
    "wait_for_tuonti": "onrtools.onr.batch_import",
    "write_merge_requests": "onrtools.duplicates.request_packages",
    "write_unlink_requests": "onrtools.duplicates.request_packages",
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
