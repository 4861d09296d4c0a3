"""Imports flow one way (#17): the import-linter contracts in pyproject.toml hold, no module
imports another that imports it back (inside a function or not), and a violation fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[1]


def _lint_imports(cwd: Path, package_parent: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` against the contracts of ``cwd/pyproject.toml``, reading the package
    from ``package_parent`` (a fresh process: grimp caches nothing across runs)."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(package_parent), "PATH": ""}, timeout=300)


def test_the_contracts_hold() -> None:
    done = _lint_imports(REPO, REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def test_no_module_imports_one_that_imports_it_back() -> None:
    """Every import statement counts, the ones inside functions too: no circle of modules."""
    graph = grimp.build_graph("onrtools", exclude_type_checking_imports=True, cache_dir=None)
    modules = sorted(graph.modules)
    index = {m: i for i, m in enumerate(modules)}
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in index}
             for m in modules}
    # Tarjan's strongly connected components; a component of two or more modules is a circle
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in modules:
        if module not in order:
            visit(module)
    # a package's __init__ that re-exports its own modules is not a circle of two modules
    circles = [c for c in circles
               if not all(m == c[0] or m.startswith(c[0] + ".") for m in c)]
    assert circles == []


@pytest.mark.parametrize(("module", "bad_import"), [
    ("register/hetu.py", "import onrtools.pipeline.steps"),  # down the layers: refused
    ("simulator/world.py", "import onrtools.onr.client"),  # the simulator stands alone
    ("onr/journal.py", "import onrtools.onr.changes"),  # changes imports journal: a circle
])
def test_an_import_against_the_order_fails(tmp_path: Path, module: str, bad_import: str) -> None:
    shutil.copytree(REPO / "onrtools", tmp_path / "src" / "onrtools",
                    ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.toml", "*.md"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "onrtools" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{bad_import}\n", encoding="utf-8")
    done = _lint_imports(tmp_path, tmp_path / "src")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert "BROKEN" in done.stdout
