"""`onr run`: the notebooks in order, with one run id, into ``reports/<run-id>/``.

Each step is a notebook executed by papermill in a fresh kernel; what a step hands the next
lives in the run's workspace directory (:mod:`.rundir`), never in a kernel. Per run::

    reports/<run-id>/
        index.html                 one-screen summary, links to everything below
        run.json                   steps with status, times and errors (the resume state)
        facts.json                 counts each step recorded (no personal data)
        NN-name.html               each step's report, code cells hidden (nbconvert --no-input)
        notebooks/NN-name.ipynb    the executed notebooks
        actions/*.csv, actions.xlsx, changes/..., validation/..., duplicates/...

Exit code 0 only when every step succeeded. A failed step keeps its partial notebook and HTML
and is named in the summary; the steps after it are not run. The same run id again resumes:
steps that succeeded are skipped, the failed one and the rest run.

Parameters: a TOML file (``--config``) and ``-p name=value`` on the command line (which wins).
Each notebook receives the parameters its ``parameters`` cell declares, plus ``run_id``,
``workspace`` and ``reports_dir``. The language of the pages, lists and packages is one
parameter, ``language`` (``--language``, ``-p language=sv``, ``language = "sv"`` in the config;
else ``ONR_LANGUAGE``; else Finnish): decided once per run and passed to every notebook.
Secrets are never parameters: names that look like one are refused; credentials come from
``ONR_*`` variables or ``.secrets``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
import time
import tomllib
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onrtools.i18n import LANGUAGES, resolve_language, translate
from onrtools.i18n import has as has_message
from onrtools.pipeline.rundir import RunDir, check_run_id, new_run_id, project_root, resolve
from onrtools.secret_names import SECRET_NAME  # parameter names that look like secrets

# the notebooks of this repository, in order (the runner discovers NN-*.ipynb; this is the
# list the tests hold the folder to)
STEPS: tuple[str, ...] = (
    "10-validate-register",
    "20-import-tuonti",
    "30-reconcile",
    "40-change-feed",
    "50-duplicates",
    "90-audit-report",
)
RUN_PARAMETERS = ("run_id", "workspace", "reports_dir")
BARRIER_STEPS = ("90-audit-report",)  # read every earlier step's files: wait for their pages
KERNEL_NAME = "python3"  # the kernel of the Python running us (the venv's own ipykernel)


@dataclass
class StepResult:
    """One notebook's fate in a run."""

    name: str
    status: str = "pending"  # pending | ok | failed | skipped (resumed) | not run
    started_at: str | None = None
    duration_s: float | None = None
    error: str | None = None
    notebook: str | None = None  # relative to the run's report directory
    html: str | None = None


@dataclass
class PipelineRun:
    """The whole run as ``run.json`` stores it."""

    run_id: str
    started_at: str
    parameters: dict[str, Any]
    steps: list[StepResult] = field(default_factory=list)
    finished_at: str | None = None
    status: str = "running"

    @property
    def ok(self) -> bool:
        return all(s.status in ("ok", "skipped") for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "steps": [asdict(s) for s in self.steps]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PipelineRun:
        steps = [StepResult(**s) for s in data.get("steps", [])]
        return cls(run_id=data["run_id"], started_at=data["started_at"],
                   parameters=dict(data.get("parameters", {})), steps=steps,
                   finished_at=data.get("finished_at"), status=data.get("status", "running"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- parameters -------------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """``-p`` values: Python/TOML literals (``5000``, ``true``, ``"x"``) or plain text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def load_config(path: Path | None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``(common parameters, {notebook: its own parameters})`` from a TOML file.

    Layout: top-level keys (and a ``[parameters]`` table) go to every notebook that declares
    them; ``[notebook."20-import-tuonti"]`` tables go to that notebook only; a ``[columns]``
    table (``"Employee ID" = "tunniste"``) says which register column is which ONR field (the
    notebooks take it as one text parameter, ``columns = "Employee ID=tunniste; …"``).
    """
    if path is None:
        return {}, {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    per_notebook = {str(k): dict(v) for k, v in dict(data.pop("notebook", {})).items()}
    common = {k: v for k, v in data.items() if not isinstance(v, dict)}
    common.update(dict(data.get("parameters", {})))
    if "columns" in data:
        common["columns"] = "; ".join(f"{k}={v}" for k, v in dict(data["columns"]).items())
    return common, per_notebook


def refuse_secrets(parameters: Mapping[str, Any]) -> None:
    """ValueError if a parameter name looks like a secret (they belong in ONR_* variables)."""
    bad = sorted(k for k in parameters if SECRET_NAME.search(k))
    if bad:
        raise ValueError(
            f"parameters {bad} look like secrets; notebooks would store them. "
            "Set ONR_PASSWORD etc. in the environment or .secrets instead.")


def discover_steps(notebooks_dir: Path) -> tuple[str, ...]:
    """The pipeline's steps: ``NN-name.ipynb`` in the folder, in file-name order."""
    return tuple(sorted(p.stem for p in notebooks_dir.glob("[0-9][0-9]-*.ipynb")))


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The notebook's ``parameters`` cell as papermill reads it: name → {type, default, help}."""
    import papermill

    return dict(papermill.inspect_notebook(str(notebook)))


# --- running ----------------------------------------------------------------------------------


# nbconvert's lab template loads require.js, MathJax, Mermaid and (with widget state) the
# widget manager from a CDN. A report must open offline and load nothing from the network:
# the pages need none of them (tables and figures are embedded), so those blocks stay empty.
OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def offline_html_exporter() -> Any:
    """nbconvert's HTML exporter (lab look, no code cells) whose pages load nothing remote."""
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, template_file="onr-offline.html.j2",
                        extra_loaders=[jinja2.DictLoader({"onr-offline.html.j2":
                                                          OFFLINE_TEMPLATE})])


def _html(executed: Path, target: Path) -> None:
    """The executed notebook as HTML without code cells (``jupyter nbconvert --no-input``),
    loading nothing from the network (:func:`offline_html_exporter`)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    exporter = offline_html_exporter()
    # the page's <title> and <html lang> in the language the notebook ran in
    language = resolve_language(
        str(nb.metadata.get("papermill", {}).get("parameters", {}).get("language") or "")
        or None)
    key = f"page.{executed.stem[:2]}.title"
    if has_message(key):
        nb.metadata["title"] = translate(key, language)
    exporter.language_code = language
    body, _ = exporter.from_notebook_node(nb)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, target)  # the audit step hashes pages: never a half-written one


def _kernel_manager(stderr_log: Path | None) -> type:
    """A kernel manager whose kernel writes its own stderr (start-up chatter, crashes) to
    ``stderr_log`` instead of our terminal; cell errors still come back through papermill."""
    from jupyter_client.manager import AsyncKernelManager

    if stderr_log is None:
        return AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):  # type: ignore[misc]
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            stderr_log.parent.mkdir(parents=True, exist_ok=True)
            with stderr_log.open("ab") as log:
                kw["stderr"] = log
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggedKernelManager


def execute_notebook(source: Path, output: Path, parameters: Mapping[str, Any], *,
                     cwd: Path, kernel_name: str = KERNEL_NAME,
                     timeout: int | None = None, stderr_log: Path | None = None) -> None:
    """papermill, quietly: raises papermill's PapermillExecutionError on a failing cell."""
    import papermill

    papermill.execute_notebook(
        str(source), str(output), parameters=dict(parameters), kernel_name=kernel_name,
        cwd=str(cwd), progress_bar=False, log_output=False, request_save_on_cell_execute=True,
        execution_timeout=timeout, kernel_manager_class=_kernel_manager(stderr_log),
    )


def _error_text(exc: BaseException) -> str:
    """A short reason for the summary: the failing cell's exception name and message."""
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(exc).__name__}: {exc}"
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return text.strip()[:500]


def run_pipeline(
    *,
    run_id: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    per_notebook: Mapping[str, Mapping[str, Any]] | None = None,
    steps: Sequence[str] | None = None,
    notebooks_dir: Path | None = None,
    workspace: str = "workspace",
    reports_dir: str = "reports",
    kernel_name: str = KERNEL_NAME,
    html: bool = True,
    timeout: int | None = None,
    echo: Callable[[str], None] = print,
) -> PipelineRun:
    """Run ``steps`` in order into ``<reports_dir>/<run_id>/``; resume a run id seen before."""
    root = project_root()
    run_id = check_run_id(run_id or new_run_id())
    common = dict(parameters or {})
    # one language for the whole run: the parameter, else ONR_LANGUAGE, else fi
    common["language"] = resolve_language(str(common.get("language") or "") or None)
    per_notebook = {k: dict(v) for k, v in (per_notebook or {}).items()}
    refuse_secrets(common)
    for extra in per_notebook.values():
        refuse_secrets(extra)
    notebooks_dir = notebooks_dir or root / "notebooks"
    steps = tuple(steps) if steps is not None else discover_steps(notebooks_dir)
    missing = [name for name in steps if not (notebooks_dir / f"{name}.ipynb").is_file()]
    if missing or not steps:
        raise ValueError(f"no notebook for steps {missing or 'at all'} in {notebooks_dir}")
    run = RunDir.open(run_id, workspace=workspace, reports_dir=reports_dir)
    state_file = run.report_dir / "run.json"
    previous = (PipelineRun.from_json(json.loads(state_file.read_text(encoding="utf-8")))
                if state_file.is_file() else None)
    done = {s.name for s in previous.steps if s.status in ("ok", "skipped")} if previous else set()
    pipeline = PipelineRun(run_id=run_id, started_at=previous.started_at if previous else _now(),
                           parameters=common, steps=[StepResult(name) for name in steps])
    (run.report_dir / "notebooks").mkdir(exist_ok=True)
    run.write_facts("run", {"started_at": pipeline.started_at})

    def save() -> None:
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(pipeline.to_json(), indent=2), encoding="utf-8")
        os.replace(tmp, state_file)

    # HTML pages are written in the background while the next notebook runs; steps that
    # read the other steps' outputs (the audit hashes them) wait for every page first
    pages: ThreadPoolExecutor = ThreadPoolExecutor(max_workers=1)
    pending: dict[str, Future[None]] = {}

    def settle_pages() -> None:
        for name, future in list(pending.items()):
            error = future.exception()
            done_step = next(s for s in pipeline.steps if s.name == name)
            if error is not None:  # a missing page must not hide the step's result
                done_step.error = ((done_step.error or "")
                                   + f" (HTML not written: {type(error).__name__})").strip()
            del pending[name]

    failed = False
    try:
        for step in pipeline.steps:
            source = notebooks_dir / f"{step.name}.ipynb"
            executed = run.report_dir / "notebooks" / f"{step.name}.ipynb"
            page = run.report_dir / f"{step.name}.html"
            step.notebook = executed.relative_to(run.report_dir).as_posix()
            step.html = page.name if html else None
            if failed:
                step.status = "not run"
                continue
            if step.name in done and executed.is_file():
                step.status = "skipped"
                echo(f"  {step.name}: already done in this run, skipped")
                continue
            if step.name in BARRIER_STEPS:
                settle_pages()
            declared = declared_parameters(source)
            given = {**common, **per_notebook.get(step.name, {}),
                     "run_id": run_id, "workspace": str(run.workspace),
                     "reports_dir": str(run.reports_dir)}
            params = {k: v for k, v in given.items() if k in declared}
            step.status, step.started_at = "running", _now()
            save()
            echo(f"  {step.name} ...")
            started = time.monotonic()
            try:
                execute_notebook(source, executed, params, cwd=root, kernel_name=kernel_name,
                                 timeout=timeout,
                                 stderr_log=run.space.run_file(run.run_id, "kernels.log"))
                step.status = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure is the step's, reported below
                step.status, step.error = "failed", _error_text(exc)
                failed = True
            step.duration_s = round(time.monotonic() - started, 2)
            if html and executed.is_file():
                pending[step.name] = pages.submit(_html, executed, page)
            echo(f"  {step.name}: {step.status} in {step.duration_s:.1f} s"
                 + (f" - {step.error}" if step.error else ""))
            save()
        settle_pages()
    finally:
        pages.shutdown(wait=True)
    pipeline.finished_at = _now()
    pipeline.status = "ok" if pipeline.ok else "failed"
    save()
    if not pipeline.ok:
        _record_failure(run, pipeline)
    from onrtools.pipeline.report import write_index

    write_index(run, pipeline.to_json())
    return pipeline


def _record_failure(run: RunDir, pipeline: PipelineRun) -> None:
    """A failed run still leaves a manifest in the ledger (the audit step did not get to it)."""
    facts = run.read_facts()
    if facts.get("audit", {}).get("manifest_seq") is not None:
        return
    try:
        from onrtools.evidence import EvidenceRecorder

        evidence = EvidenceRecorder.for_run(pipeline.run_id, run.workspace,
                                            parameters=pipeline.parameters)
        for step in ("validate", "reconcile", "changes"):
            for kind in ("by_code", "by_category"):
                if isinstance(facts.get(step, {}).get(kind), dict):
                    evidence.add_counts(f"{step}.{kind}", facts[step][kind])
        for tid in facts.get("import", {}).get("tuonti_ids", []):
            evidence.add_tuonti(tid)
        failed = [s.name for s in pipeline.steps if s.status == "failed"]
        evidence.finish("failed", error="step failed: " + ", ".join(failed))
    except Exception as exc:  # noqa: BLE001 - the run already failed; say why evidence did too
        print(f"warning: evidence not recorded: {type(exc).__name__}: {exc}", file=sys.stderr)


# --- command line -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="onr run",
        description="Run the notebook pipeline into <reports-dir>/<run-id>/. Exit 0 only when "
                    "every step succeeded. Credentials come from ONR_* variables or .secrets.")
    p.add_argument("--config", type=Path, help="TOML file with parameters (see docs/scheduling.md)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a notebook parameter (repeatable); wins over the config file's "
                        "top-level keys, a [notebook.\"NN-name\"] table wins for its notebook")
    p.add_argument("--language", choices=list(LANGUAGES),
                   help="language of the report pages, action lists and request packages: "
                        "fi, sv or en (default: the config's language, else ONR_LANGUAGE, "
                        "else fi)")
    p.add_argument("--run-id", help="default: UTC time, e.g. 20261127T021500Z; "
                                    "an existing run id resumes that run")
    p.add_argument("--steps", help="comma-separated subset, e.g. 10-validate-register,30-reconcile")
    p.add_argument("--workspace", help="run-time state (default: workspace)")
    p.add_argument("--reports-dir", help="where reports go (default: reports)")
    p.add_argument("--notebooks", type=Path, help="notebook folder (default: <project>/notebooks)")
    p.add_argument("--kernel", default=KERNEL_NAME, help="Jupyter kernel name")
    p.add_argument("--no-html", action="store_true", help="skip the HTML pages")
    p.add_argument("--timeout", type=int, help="seconds per cell (default: none)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        common, per_notebook = load_config(resolve(args.config) if args.config else None)
        for item in args.param:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise ValueError(f"-p expects NAME=VALUE, got {item!r}")
            common[name.strip()] = parse_value(value)
        run_id = args.run_id or common.pop("run_id", None) or None
        workspace = args.workspace or common.pop("workspace", "workspace")
        reports_dir = args.reports_dir or common.pop("reports_dir", "reports")
        notebooks_dir = resolve(args.notebooks) if args.notebooks else project_root() / "notebooks"
        known = discover_steps(notebooks_dir)
        steps = tuple(s.strip() for s in args.steps.split(",")) if args.steps else known
        unknown = [s for s in steps if s not in known]
        if unknown or not steps:
            raise ValueError(f"unknown steps {unknown}; known: {', '.join(known) or 'none'} "
                             f"(in {notebooks_dir})")
        refuse_secrets(common)
        common["language"] = resolve_language(args.language or str(common.get("language") or "")
                                              or None)
    except (ValueError, OSError, tomllib.TOMLDecodeError) as exc:
        print(f"onr run: {exc}", file=sys.stderr)
        return 2
    print(f"onr run {run_id or '(new run id)'}")
    try:
        pipeline = run_pipeline(
            run_id=run_id, parameters=common, per_notebook=per_notebook, steps=steps,
            notebooks_dir=notebooks_dir,
            workspace=workspace, reports_dir=reports_dir, kernel_name=args.kernel,
            html=not args.no_html, timeout=args.timeout)
    except Exception:  # noqa: BLE001 - the runner itself broke: show it, exit non-zero
        traceback.print_exc()
        return 1
    index = resolve(reports_dir) / pipeline.run_id / "index.html"
    failed = [s.name for s in pipeline.steps if s.status == "failed"]
    print(f"{'ok' if pipeline.ok else 'FAILED: ' + ', '.join(failed)} - report: {index}")
    return 0 if pipeline.ok else 1
