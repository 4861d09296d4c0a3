"""Guards on the package surface: the public names are real, sorted and documented."""

from __future__ import annotations

import importlib
import subprocess
import sys

import onrtools
from onrtools import cli


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert onrtools.__all__ == sorted(onrtools.__all__)
    for name in onrtools.__all__:
        value = getattr(onrtools, name)
        assert value is not None
        assert (getattr(value, "__doc__", None) or "").strip(), f"{name} has no docstring"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        onrtools.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_reads_nothing_and_stays_light() -> None:
    code = ("import sys, onrtools; "
            "print(sorted(m for m in ('pandas', 'httpx', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_cli_command_module_has_main() -> None:
    for name, (module, _help) in cli.COMMANDS.items():
        mod = importlib.import_module(module)
        assert callable(getattr(mod, "main", None)), f"onr {name}: {module}.main missing"


def test_cli_usage_and_unknown_command(capsys) -> None:
    assert cli.main([]) == 2
    assert "usage: onr" in capsys.readouterr().out
    assert cli.main(["nonsense"]) == 2
    assert "unknown command" in capsys.readouterr().err
