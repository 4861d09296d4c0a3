"""Run the pipeline's notebooks in one Python process: their code cells, in order, exactly as
written, with the parameters papermill would inject (no kernel start, so a run takes seconds).

    python -m tests.reliability.driver --run-id R --workspace W --reports-dir P \
        -p register_file=... -p poll_interval=0.1 [--steps 10-validate-register,...]

Credentials come from ONR_* variables, as for `onr run`. `onr run` itself (papermill, kernels,
HTML) is exercised by the slow variants; this driver is what the fault and crash runs repeat.
Each finished step is appended to `<workspace>/runs/<run-id>/driver-steps.txt`; a step already
listed there is skipped when the same run id runs again (the resume `onr run` does with run.json).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
STEPS = ("10-validate-register", "20-import-tuonti", "30-reconcile", "40-change-feed",
         "50-duplicates", "90-audit-report")
CORE_STEPS = STEPS  # the fault and crash runs go through every step, 50-duplicates included


def _cells(notebook: Path) -> tuple[str, list[str]]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    params, code = "", []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            params = source
        else:
            code.append(source)
    return params, code


def declared(params_source: str) -> set[str]:
    names = set()
    for node in ast.parse(params_source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def run_notebook(notebook: Path, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Execute one notebook's cells; returns its namespace. Exceptions propagate."""
    params_source, code = _cells(notebook)
    namespace: dict[str, Any] = {"__name__": "__notebook__", "display": lambda *a, **k: None}
    exec(compile(params_source, f"{notebook.name}[parameters]", "exec"), namespace)
    wanted = declared(params_source)
    namespace.update({k: v for k, v in parameters.items() if k in wanted})
    for n, source in enumerate(code, start=1):
        exec(compile(source, f"{notebook.name}[{n}]", "exec"), namespace)
    return namespace


def run(run_id: str, workspace: Path, reports_dir: Path, parameters: Mapping[str, Any], *,
        steps: Sequence[str] = STEPS) -> dict[str, dict[str, Any]]:
    """The steps in order, resuming after the last finished one of this run id."""
    import matplotlib

    matplotlib.use("Agg")
    marker = Path(workspace) / "runs" / run_id / "driver-steps.txt"  # not a report output
    done = set(marker.read_text().split()) if marker.is_file() else set()
    given = {**parameters, "run_id": run_id, "workspace": str(workspace),
             "reports_dir": str(reports_dir), "interactive": False}
    spaces: dict[str, dict[str, Any]] = {}
    os.chdir(REPO)  # notebooks resolve relative paths against the project root, as papermill's cwd
    for step in steps:
        if step in done:
            continue
        spaces[step] = run_notebook(NOTEBOOKS / f"{step}.ipynb", given)
        marker.parent.mkdir(parents=True, exist_ok=True)
        with marker.open("a") as fh:
            fh.write(step + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    return spaces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="driver")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--reports-dir", type=Path, required=True)
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("-p", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    from onrtools.pipeline.run import parse_value

    parameters = {}
    for item in args.p:
        name, _, value = item.partition("=")
        parameters[name] = parse_value(value)
    run(args.run_id, args.workspace, args.reports_dir, parameters,
        steps=[s for s in args.steps.split(",") if s])
    print("driver: done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
