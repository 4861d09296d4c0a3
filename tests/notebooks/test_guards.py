"""Guards over the committed notebooks: no outputs, documented parameters, thin cells."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from onrtools.pipeline.run import SECRET_NAME, STEPS, discover_steps

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
RUN_PARAMETERS = {"run_id", "workspace", "reports_dir"}


def test_the_folder_holds_the_pipeline() -> None:
    assert tuple(p.stem for p in PATHS) == STEPS == discover_steps(NOTEBOOKS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_every_parameter_is_documented(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell = parameters"
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    params = papermill.inspect_notebook(str(path))
    assert RUN_PARAMETERS <= set(params), "the pipeline passes run_id, workspace, reports_dir"
    for name, spec in params.items():
        assert spec["help"].strip(), f"{name} has no help text"
        assert spec["inferred_type_name"] in {"str", "int", "float", "bool"}, name
        assert not SECRET_NAME.search(name), f"{name} looks like a secret"
    for line in code[0].source.splitlines():  # `name: type = default  # help`, one per line
        assert re.fullmatch(r"\w+: (str|int|float|bool) = .+  # .+", line), line
    # and papermill reads every one (it skips a line with a second "=", in the help too)
    declared = {line.split(":", 1)[0] for line in code[0].source.splitlines()}
    assert declared == set(params), declared ^ set(params)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_cells_are_thin(path: Path) -> None:
    """STYLE.md: no def, class, loops or path juggling in cells; only onrtools is imported."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells[1:]:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                         ast.For, ast.While, ast.With, ast.Lambda, ast.Try,
                                         ast.ListComp, ast.DictComp, ast.SetComp)), cell.source
            if isinstance(node, ast.ImportFrom):
                assert node.module and node.module.split(".")[0] == "onrtools", cell.source
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] == "onrtools" for a in node.names)
        juggling = r"\bPath\(|os\.path|\bopen\(|getenv|os\.environ"
        assert not re.search(juggling, cell.source), cell.source
