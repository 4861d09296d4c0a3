"""Frames between steps are Parquet under declared names, checked on read (issue 15, point 6).

A changed, truncated or foreign file, and an old pickle, end in a WorkspaceError that names the
file; nothing in the workspace is executed. Before, frames were pickles read with
``pd.read_pickle``: a planted pickle ran its code.
"""

from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from onrtools.errors import WorkspaceError
from onrtools.pipeline import frames
from onrtools.pipeline.rundir import RunDir

HETU = "010190-9732"  # synthetic (individual number 973)


def _run(tmp_path: Path) -> RunDir:
    return RunDir.open("r1", workspace=tmp_path / "ws", reports_dir=tmp_path / "rep")


def _register() -> pd.DataFrame:
    return pd.DataFrame({
        "row_number": [2, 3, 4],
        "tunniste": ["t1", "t2", "t3"],
        "hetu": [HETU, "", None],
        "etunimet": ["Aino", "Äijä Öljy", "Eero"],
        "sukunimi": ["Virtanen", "Ström", "Ek"],
        "kansalaisuus": [["246"], [], None],  # lists stay lists
        "henkilo": [{"hetu": HETU, "kutsumanimi": "Aino"}, {"passinumero": "X1"}, None],
        "passivoitu": [True, None, False],  # mixed types survive
        "batch": pd.array([1, None, 3], dtype="Int64"),
        "muokattu": pd.to_datetime(["2026-01-01", None, "2026-02-03"], utc=True),
    })


def test_frames_round_trip_exactly_as_parquet(tmp_path: Path) -> None:
    run = _run(tmp_path)
    frame = _register()
    path = run.save_frame("register", frame)
    assert path.suffix == ".parquet" and path.read_bytes()[:4] == b"PAR1"
    back = run.load_frame("register")
    pd.testing.assert_frame_equal(back, frame)
    assert back["henkilo"][0] == {"hetu": HETU, "kutsumanimi": "Aino"}
    assert back["hetu"].tolist()[:2] == [HETU, ""] and back["hetu"].isna().tolist()[2]
    assert not list(tmp_path.rglob("*.pkl"))
    run.save_state("import_results", frame[["tunniste", "batch"]])
    assert (run.state_dir / "import_results.parquet").is_file()
    pd.testing.assert_frame_equal(run.load_state("import_results"),
                                  frame[["tunniste", "batch"]])
    assert run.load_state("onr_view") is None


def test_names_are_declared_in_one_place(tmp_path: Path) -> None:
    run = _run(tmp_path)
    with pytest.raises(ValueError, match="not declared"):
        run.save_frame("registr", _register())  # a typo is caught, not a new file
    with pytest.raises(ValueError, match="not declared"):
        run.load_frame("registr")
    # every name the package reads or writes is declared
    package = Path(frames.__file__).parents[1]  # onrtools/
    used = set()
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"(?:save|load|has)_(?:frame|state)\(\s*\"([^\"]+)\"", text))
    used |= {f"{frames.FRAMES['onr_view'].name}-start"}
    assert used and used <= set(frames.FRAMES), used - set(frames.FRAMES)


def _planted(tmp_path: Path, plant: Any) -> tuple[RunDir, Path]:
    run = _run(tmp_path)
    path = run.save_frame("register", _register())
    plant(path, run)
    return run, path


def _not_parquet(path: Path, run: RunDir) -> None:
    path.write_text("tunniste,hetu\nt1,010190-9732\n", encoding="utf-8")


def _truncated(path: Path, run: RunDir) -> None:
    path.write_bytes(path.read_bytes()[:-40])


def _damaged_middle(path: Path, run: RunDir) -> None:
    data = bytearray(path.read_bytes())
    data[8:200] = b"\xff" * 192
    path.write_bytes(bytes(data))


def _other_frame(path: Path, run: RunDir) -> None:
    other = run.save_frame("results", pd.DataFrame({"tunniste": ["t1"], "oid": ["1.2.3"]}))
    shutil.copy(other, path)


def _plain_pandas(path: Path, run: RunDir) -> None:
    pd.DataFrame({"tunniste": ["t1"], "hetu": [HETU]}).to_parquet(path)


def _columns_removed(path: Path, run: RunDir) -> None:
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["hetu"]), path)


def _json_changed(path: Path, run: RunDir) -> None:
    table = pq.read_table(path)
    i = table.column_names.index("henkilo")
    table = table.set_column(i, "henkilo", pa.array(["{not json", None, None]))
    pq.write_table(table, path)


def _empty(path: Path, run: RunDir) -> None:
    path.write_bytes(b"")


PLANTS = {"not parquet": (_not_parquet, "not a Parquet file"),
          "truncated": (_truncated, "not a Parquet file"),
          "damaged": (_damaged_middle, "damaged Parquet file|not a Parquet file"),
          "another frame": (_other_frame, "holds 'results'"),
          "written by someone else": (_plain_pandas, "no onrtools frame"),
          "a declared column removed": (_columns_removed, "lacks the columns \\['hetu'\\]"),
          "JSON column changed": (_json_changed, "not JSON"),
          "empty": (_empty, "not a Parquet file")}


@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_a_changed_file_is_a_clear_error_naming_it(tmp_path: Path, kind: str) -> None:
    plant, message = PLANTS[kind]
    run, path = _planted(tmp_path, plant)
    with pytest.raises(WorkspaceError, match=message) as info:
        run.load_frame("register")
    assert str(path) in str(info.value) and info.value.path == str(path)
    assert HETU not in str(info.value)


class _Payload:
    """A pickle that writes a marker file when loaded (what an attacker's would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (Path.write_text, (self.marker, "executed"))


def test_an_old_or_planted_pickle_is_never_executed(tmp_path: Path) -> None:
    run = _run(tmp_path)
    marker = tmp_path / "marker"
    for old in (run.data_dir / "register.pkl", run.state_dir / "onr_view.pkl"):
        old.write_bytes(pickle.dumps(_Payload(marker)))
    assert run.has_frame("register")  # the step did run, in an older version
    with pytest.raises(WorkspaceError, match="older onrtools as a pickle") as info:
        run.load_frame("register")
    assert "register.pkl" in str(info.value) and "convert-pickles" in str(info.value)
    with pytest.raises(WorkspaceError, match="onr_view.pkl"):
        run.load_state("onr_view")
    with pytest.raises(WorkspaceError):
        run.load_frame("register", default=pd.DataFrame())  # a default does not hide it
    assert not marker.exists()


def test_an_old_workspace_can_be_converted_once_by_its_owner(tmp_path: Path) -> None:
    run = _run(tmp_path)
    frame = _register()
    frame.to_pickle(run.data_dir / "register.pkl")
    frame[["tunniste"]].to_pickle(run.state_dir / "import_results.pkl")
    assert frames.main(["convert-pickles", str(run.workspace)]) == 0
    assert not list(run.workspace.rglob("*.pkl"))
    pd.testing.assert_frame_equal(run.load_frame("register"), frame)
    pd.testing.assert_frame_equal(run.load_state("import_results"), frame[["tunniste"]])


def test_no_module_reads_or_writes_pickles() -> None:
    """Grep guard: only the owner-run conversion in frames.py unpickles."""
    package = Path(frames.__file__).parents[1]  # onrtools/
    found = [f"{p.relative_to(package)}:{n}" for p in sorted(package.rglob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if re.search(r"read_pickle|to_pickle|pickle\.loads?\(|pickle\.dumps?\(", line)
             and not (p.name == "frames.py" and "the owner asked for it" in line)]
    assert found == []
