"""The frames steps hand each other and keep across runs: Parquet files, never pickles.

Every frame has a name declared in :data:`FRAMES`, with the columns a reader relies on. A
step writes ``<workspace>/runs/<run_id>/<name>.parquet`` (``scope="run"``) or
``<workspace>/state/<name>.parquet`` (``scope="state"``, kept across runs). Reading checks
that the file is Parquet, that it was written as that frame by this format, and that the
declared columns are there; anything else is a :class:`~onrtools.errors.WorkspaceError` naming
the file. Nothing in a workspace file is ever executed: a pickle runs code on load, and one
altered by someone (or written by another pandas version) would be run or misread.

Columns Parquet cannot hold as they are (lists such as ``linked``, dicts, mixed types) are
stored as JSON text and listed in the file's metadata, so they come back as lists and dicts.
Pages are uncompressed, so the secret scanner still sees a full hetu inside one.

Workspaces from before this format (``*.pkl``) are not read: loading fails with a message
naming the file and the way out. ``python -m onrtools.pipeline.frames convert-pickles WORKSPACE``
converts the pickles of a workspace you trust, once (it is the only place that unpickles).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from onrtools.errors import WorkspaceError
from onrtools.register.hetu import mask_in_text
from onrtools.register.read import COLUMNS
from onrtools.workspace import Workspace

FORMAT = "onrtools.frame/1"
SUFFIX = ".parquet"
_META_KEY = b"onrtools"
_PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class FrameSpec:
    """A frame's name, where it lives and the columns its readers need."""

    name: str
    columns: tuple[str, ...] = ()
    scope: str = "run"  # "run": one run's data; "state": kept across runs


def _specs(*specs: FrameSpec) -> dict[str, FrameSpec]:
    return {s.name: s for s in specs}


# The one list of frames passed between steps (steps.py, audit_report.py, demo.py read them).
FRAMES: dict[str, FrameSpec] = _specs(
    FrameSpec("register", ("tunniste", "hetu", "etunimet", "sukunimi")),  # 10, validated rows
    FrameSpec("problems"),  # 10, validation problems (empty when none)
    FrameSpec("to_send", COLUMNS),  # 10, validated rows, flat until the request body
    FrameSpec("held_back", ("tunniste",)),  # 20, hetu-less rows the pre-import check kept
    FrameSpec("results", ("tunniste", "oid")),  # 20, this run's import results
    FrameSpec("onr_view-start", ("oid",)),  # 30, the view a rerun of the run starts from
    FrameSpec("persons", ("oid",)),  # 30, ONR's view of our people
    FrameSpec("feed", ("oid",)),  # 30, persons changed since the last read
    FrameSpec("actions", ("category",)),  # 30, the action lists
    FrameSpec("feed_actions", ("category",)),  # 40, actions from the change feed
    FrameSpec("onr_duplicates"),  # 50, ONR's duplicate candidates
    FrameSpec("register_duplicates"),  # 50, duplicate pairs inside the register
    FrameSpec("reviews"),  # 50, reviewers' decisions
    FrameSpec("link_persons", ("oid",)),  # 50, persons of existing links
    FrameSpec("link_candidates"),  # 50, links that look wrong
    FrameSpec("import_results", ("tunniste",), scope="state"),  # latest result per tunniste
    FrameSpec("onr_view", ("oid",), scope="state"),  # the view the feed keeps up to date
)


def spec(name: str) -> FrameSpec:
    """The declaration of ``name``; ValueError for a name not in :data:`FRAMES`."""
    try:
        return FRAMES[name]
    except KeyError:
        raise ValueError(
            f"frame {name!r} is not declared in onrtools.pipeline.frames.FRAMES") from None


# --- writing --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as JSON holds it (sets sorted, numpy scalars unwrapped, missing as None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=repr)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _needs_json(s: pd.Series) -> bool:
    if s.dtype != object:
        return False
    kinds = {type(v) for v in s.dropna()}
    return bool(kinds) and kinds != {str}


def write_frame(path: Path, name: str, df: pd.DataFrame) -> Path:
    """Write ``df`` as frame ``name`` to ``path`` (atomic: a killed step leaves no half file)."""
    spec(name)
    out = df.copy()
    json_columns = [str(c) for c in out.columns if _needs_json(out[c])]
    object_columns = [str(c) for c in out.columns if out[c].dtype == object]
    for column in json_columns:
        out[column] = [None if v is None else json.dumps(_plain(v), ensure_ascii=False)
                       for v in out[column].tolist()]
    table = pa.Table.from_pandas(out)
    meta = dict(table.schema.metadata or {})
    meta[_META_KEY] = json.dumps({"format": FORMAT, "frame": name, "json_columns": json_columns,
                                  "object_columns": object_columns}).encode()
    table = table.replace_schema_metadata(meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="none")
    os.replace(tmp, path)
    return path


# --- reading --------------------------------------------------------------------------------


def _refuse(path: Path, why: str) -> WorkspaceError:
    return WorkspaceError(mask_in_text(f"{path}: {why}"), path=str(path))


def read_frame(path: Path, name: str) -> pd.DataFrame:
    """Frame ``name`` from ``path``, its format and declared columns checked.

    Raises :class:`~onrtools.errors.WorkspaceError` (naming the file) for anything that is
    not this frame as :func:`write_frame` wrote it.
    """
    declared = spec(name)
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
            fh.seek(max(0, path.stat().st_size - 4))
            tail = fh.read(4)
    except OSError as exc:
        raise _refuse(path, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(head) < 4 or head != _PARQUET_MAGIC or tail != _PARQUET_MAGIC:
        raise _refuse(path, f"is not a Parquet file (frame {name!r} expected); it was changed "
                            "or truncated: rerun the step that writes it")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _refuse(path, f"is a damaged Parquet file ({type(exc).__name__}): rerun the step "
                            "that writes it") from None
    try:
        info = json.loads((table.schema.metadata or {}).get(_META_KEY, b"{}"))
    except ValueError:
        info = {}
    if info.get("format") != FORMAT or info.get("frame") != name:
        found = info.get("frame") or "no onrtools frame"
        raise _refuse(path, f"holds {found!r} in format {info.get('format')!r}, not frame "
                            f"{name!r} in {FORMAT!r}")
    missing = [c for c in declared.columns if c not in table.column_names]
    if missing:
        raise _refuse(path, f"frame {name!r} lacks the columns {missing}")
    json_columns = list(info.get("json_columns") or [])
    object_columns = list(info.get("object_columns") or [])
    for column in json_columns:
        kind = table.schema.field(column).type if column in table.column_names else None
        if kind is None or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                                or pa.types.is_null(kind)):
            raise _refuse(path, f"column {column!r} is not the JSON text its metadata says")
    df = table.to_pandas()
    for column in object_columns:  # back as written: Python objects, None for missing
        if column not in table.column_names:
            raise _refuse(path, f"column {column!r} named in its metadata is missing")
        values = table.column(column).to_pylist()
        if column in json_columns:
            try:
                values = [None if v is None else json.loads(v) for v in values]
            except ValueError:
                raise _refuse(path, f"column {column!r} holds text that is not JSON") from None
        df[column] = pd.Series(values, index=df.index, dtype=object)
    return df


def legacy_pickle(path: Path) -> Path:
    """Where an older onrtools kept the frame now at ``path`` (``*.pkl``)."""
    return path.with_suffix(".pkl")


def refuse_pickle(path: Path) -> WorkspaceError:
    """The error for a frame only an older onrtools wrote (as a pickle, never loaded here)."""
    old = legacy_pickle(path)
    return WorkspaceError(
        f"{old} was written by an older onrtools as a pickle, which is not read (loading a "
        f"pickle runs code). If the workspace is yours, convert it once with `python -m "
        f"onrtools.pipeline.frames convert-pickles {old.parent.parent.parent}`; or rerun the run "
        "from its first step (for state/ files: delete them to start afresh).", path=str(old))


# --- one-off conversion of an older workspace -----------------------------------------------


def convert_pickles(workspace: Path) -> list[Path]:
    """Convert ``*.pkl`` frames of a trusted workspace to Parquet (and delete the pickles)."""
    converted = []
    space = Workspace.at(workspace)
    candidates = [*sorted(space.runs_dir.glob("*/*.pkl")),
                  *sorted(space.state_dir.glob("*.pkl"))]
    for old in candidates:
        name = old.stem
        if name not in FRAMES:
            continue
        frame = pd.read_pickle(old)  # noqa: S301 - the owner asked for it, for their own files
        converted.append(write_frame(old.with_suffix(SUFFIX), name, frame))
        old.unlink()
    return converted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m onrtools.pipeline.frames",
        description="Convert a workspace written by an older onrtools (pickles) to Parquet. "
                    "Only for your own workspace: reading a pickle runs code from the file.")
    parser.add_argument("command", choices=["convert-pickles"])
    parser.add_argument("workspace", type=Path)
    args = parser.parse_args(argv)
    for path in convert_pickles(args.workspace):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
