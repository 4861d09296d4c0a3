"""onrtools: keep a korkeakoulu's register in step with Oppijanumerorekisteri (ONR).

Importing the package reads nothing and logs nothing; public names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (kept sorted; tests/test_package.py checks both ways)
_EXPORTS: dict[str, str] = {
    "ApiError": "onrtools.errors",
    "AuthError": "onrtools.errors",
    "ConfigError": "onrtools.errors",
    "NotFound": "onrtools.errors",
    "OnrError": "onrtools.errors",
    "RegistryUnavailable": "onrtools.errors",
    "ValidationFailed": "onrtools.errors",
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
