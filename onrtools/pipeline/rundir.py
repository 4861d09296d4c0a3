"""Where one run keeps what its steps hand to each other, and what it shows to people.

Two places, on purpose:

* ``<workspace>/runs/<run_id>/``: the frames the notebooks pass along (register, rows to send,
  import results, ONR reads, action lists). Unmasked (the next step needs the hetu); the
  workspace is git-ignored run-time state and never published.
* ``<reports_dir>/<run_id>/``: what people read (executed notebooks, HTML, masked CSV/XLSX
  action lists, ``index.html``). Nothing in here holds a full hetu, a password, a ticket or a
  cookie; a test reads every file to make sure.

Across runs, ``<workspace>/state/`` keeps the latest import result per ``tunniste`` so that a
nightly run sends only new or changed rows. Frames are Parquet files under the names declared
in :data:`onrtools.pipeline.frames.FRAMES`, checked on read; never pickles.

Relative paths given as notebook parameters are taken from the repository root (the nearest
parent with ``pyproject.toml`` or ``.git``), so a notebook opened in ``notebooks/`` and the
pipeline started from anywhere read the same files.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from onrtools.workspace import Workspace

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def project_root(start: Path | None = None) -> Path:
    """The nearest directory up from ``start`` (default: cwd) holding pyproject.toml or .git."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file() or (candidate / ".git").exists():
            return candidate
    return here


def resolve(path: str | os.PathLike[str], root: Path | None = None) -> Path:
    """An absolute path: relative ones hang off the project root; ``~`` expands."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (root or project_root()) / p


def new_run_id(now: datetime | None = None) -> str:
    """``20261127T121500Z``: sortable, safe in file names."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def check_run_id(run_id: str) -> str:
    """The run id itself, or ValueError: it becomes a directory name."""
    if not RUN_ID_RE.match(run_id):
        raise ValueError(f"run id must match {RUN_ID_RE.pattern}, got {run_id!r}")
    return run_id


@dataclass(frozen=True)
class RunDir:
    """One run's two directories; create with :meth:`open`."""

    run_id: str
    workspace: Path
    reports_dir: Path

    @classmethod
    def open(
        cls, run_id: str, *, workspace: str | os.PathLike[str] = "workspace",
        reports_dir: str | os.PathLike[str] = "reports",
    ) -> RunDir:
        """Resolve both directories (relative to the project root) and create them."""
        run = cls(check_run_id(run_id), resolve(workspace), resolve(reports_dir))
        run.data_dir.mkdir(parents=True, exist_ok=True)
        run.report_dir.mkdir(parents=True, exist_ok=True)
        run.state_dir.mkdir(parents=True, exist_ok=True)
        return run

    @property
    def space(self) -> Workspace:
        """The run's workspace, whose paths and stores every step opens from."""
        return Workspace(self.workspace)

    @property
    def data_dir(self) -> Path:
        return self.space.run_dir(self.run_id)

    @property
    def report_dir(self) -> Path:
        return self.reports_dir / self.run_id

    @property
    def state_dir(self) -> Path:
        return self.space.state_dir

    @property
    def actions_dir(self) -> Path:
        return self.report_dir / "actions"

    # --- frames passed between steps (workspace, unmasked; onrtools.pipeline.frames) --------------

    def frame_path(self, name: str) -> Path:
        """Where frame ``name`` (declared in :data:`onrtools.pipeline.frames.FRAMES`) lives."""
        from onrtools.pipeline.frames import SUFFIX, spec

        if spec(name).scope == "state":
            return self.space.state_file(f"{name}{SUFFIX}")
        return self.space.run_file(self.run_id, f"{name}{SUFFIX}")

    def save_frame(self, name: str, df: pd.DataFrame) -> Path:
        """Write a frame for a later step (Parquet, atomic: a killed step leaves no half file)."""
        from onrtools.pipeline.frames import write_frame

        return write_frame(self.frame_path(name), name, df)

    def has_frame(self, name: str) -> bool:
        """True when the frame was written (an older onrtools' pickle counts: reading it says
        what to do rather than pretending the step never ran)."""
        from onrtools.pipeline.frames import legacy_pickle

        path = self.frame_path(name)
        return path.is_file() or legacy_pickle(path).is_file()

    def load_frame(self, name: str, *, default: pd.DataFrame | None = None) -> pd.DataFrame:
        """A frame an earlier step saved; ``default`` if it never did (else FileNotFoundError).

        A changed, truncated or foreign file, or an old pickle, is a
        :class:`~onrtools.errors.WorkspaceError` naming it; nothing in it is executed.
        """
        from onrtools.pipeline.frames import legacy_pickle, read_frame, refuse_pickle

        path = self.frame_path(name)
        if not path.is_file():
            if legacy_pickle(path).is_file():
                raise refuse_pickle(path)
            if default is not None:
                return default
            raise FileNotFoundError(
                f"{path.name} is missing from run {self.run_id}: run the step that writes it first"
            )
        return read_frame(path, name)

    def save_state(self, name: str, df: pd.DataFrame) -> Path:
        """Cross-run state (latest import results, ...): a frame of scope "state"."""
        return self.save_frame(name, df)

    def load_state(self, name: str) -> pd.DataFrame | None:
        """Cross-run state, or None when no run has written it yet."""
        return self.load_frame(name) if self.has_frame(name) else None

    # --- small JSON facts (step summaries for the index page) -----------------------------

    def write_facts(self, step: str, facts: dict[str, Any]) -> Path:
        """Merge ``facts`` into ``<report>/facts.json`` under ``step`` (counts, ids; no PII)."""
        path = self.report_dir / "facts.json"
        data = self.read_facts()
        data[step] = {**data.get(step, {}), **facts}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str),
                       encoding="utf-8")
        os.replace(tmp, path)
        return path

    def read_facts(self) -> dict[str, Any]:
        path = self.report_dir / "facts.json"
        if not path.is_file():
            return {}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
