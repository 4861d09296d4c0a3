"""The workspace: every path of the run-time state, in one place.

A workspace (``workspace/`` by default, git-ignored) holds what the pipeline keeps between
steps and between runs. Its layout::

    import-journal.sqlite     the import journal (onrtools.onr.journal.ImportJournal)
    .<import-run-id>.lock     one import of a run id at a time (onrtools.onr.batch_import)
    ledger/                   the evidence ledger (onrtools.evidence.store.Ledger)
    review/decisions.sqlite   reviewers' decisions (onrtools.duplicates.review.ReviewStore)
    changes/<name>.json       change-feed watermarks (onrtools.onr.changes.Watermark)
    kpi/open_items.json       first-seen dates of open items (evidence.open_items.track_open_items)
    runs/<run-id>/            one run's frames passed between steps (pipeline.rundir.RunDir),
                              the feed cursor it started from, its kernels' log
    state/                    frames kept across runs (onrtools.pipeline.frames, scope "state")
    <name>/                   a workspace of its own inside this one (the demo's other
                              institutions: :meth:`Workspace.inner`)

Every store opens from a :class:`Workspace` (or a path, which becomes one), and no other module
joins a name onto a workspace path. Imports nothing of onrtools: it sits below every store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

JOURNAL_FILE = "import-journal.sqlite"


@dataclass(frozen=True)
class Workspace:
    """A workspace directory and the paths of everything in it (nothing is created here)."""

    root: Path

    @classmethod
    def at(cls, where: Workspace | str | os.PathLike[str]) -> Workspace:
        """``where`` as a Workspace (a Workspace is returned as it is)."""
        return where if isinstance(where, Workspace) else cls(Path(where))

    def __fspath__(self) -> str:
        return os.fspath(self.root)

    # --- stores -----------------------------------------------------------------------------

    @property
    def journal_file(self) -> Path:
        return self.root / JOURNAL_FILE

    def import_lock(self, run_id: str) -> Path:
        return self.root / f".{run_id}.lock"

    @property
    def ledger_dir(self) -> Path:
        return self.root / "ledger"

    @property
    def reviews_file(self) -> Path:
        return self.root / "review" / "decisions.sqlite"

    def watermark_file(self, name: str) -> Path:
        return self.root / "changes" / f"{name}.json"

    @property
    def kpi_dir(self) -> Path:
        return self.root / "kpi"

    @property
    def open_items_file(self) -> Path:
        return self.kpi_dir / "open_items.json"

    @property
    def open_items_lock(self) -> Path:
        return self.kpi_dir / "open_items.lock"

    # --- frames passed between steps --------------------------------------------------------

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def run_file(self, run_id: str, name: str) -> Path:
        """A file of one run's own: a frame, the change-feed cursor the run started from, its
        kernels' log."""
        return self.run_dir(run_id) / name

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    def state_file(self, name: str) -> Path:
        """A file kept across runs (a frame of scope "state")."""
        return self.state_dir / name

    # --- nested -------------------------------------------------------------------------------

    def inner(self, name: str) -> Workspace:
        """A workspace of its own inside this one."""
        return Workspace(self.root / name)
