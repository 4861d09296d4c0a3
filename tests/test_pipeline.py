"""onrtools.pipeline.run (`onr run`), its index page and the run directory.

Mechanics (order, failure, partial output, resume, HTML without code, exit codes) run on tiny
notebooks written here; the real notebooks run against a simulator in test_full_pipeline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from onrtools.pipeline import run as pipeline
from onrtools.pipeline.report import render_index
from onrtools.pipeline.run import (
    PipelineRun,
    StepResult,
    load_config,
    parse_value,
    refuse_secrets,
    run_pipeline,
)
from onrtools.pipeline.rundir import RunDir, check_run_id, new_run_id, resolve

PARAMS = '''run_id: str = "manual"  # set by the runner
workspace: str = ""  # run-time state
reports_dir: str = ""  # reports
flag: str = ""  # a file that must exist for the second step to pass
value: int = 1  # written by the first step'''


def _notebook(path: Path, code: str) -> None:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(code)]
    nbformat.write(nb, path)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "10-first.ipynb", (
        "# CODE_MARKER: code cells never reach the HTML\n"
        "from pathlib import Path\n"
        "Path(reports_dir, run_id, 'first.txt').write_text(str(value))\n"
        "print('OUTPUT_MARKER', value)"))
    _notebook(folder / "20-second.ipynb", (
        "from pathlib import Path\n"
        "print('before the failure')\n"
        "assert Path(flag).is_file(), 'the flag file is missing'\n"
        "print('second', 'done')"))
    return folder


def test_failed_step_keeps_partial_output_and_a_rerun_resumes(tiny: Path, tmp_path: Path
                                                               ) -> None:
    reports, flag = tmp_path / "reports", tmp_path / "flag"
    common = {"value": 7, "flag": str(flag), "unknown_to_notebooks": 1}
    first = run_pipeline(run_id="r1", parameters=common, steps=("10-first", "20-second"),
                         notebooks_dir=tiny, workspace=str(tmp_path / "ws"),
                         reports_dir=str(reports), echo=lambda _: None)
    assert not first.ok
    assert [s.status for s in first.steps] == ["ok", "failed"]
    assert "the flag file is missing" in first.steps[1].error
    run_dir = reports / "r1"
    assert (run_dir / "first.txt").read_text() == "7"
    partial = nbformat.read(run_dir / "notebooks" / "20-second.ipynb", as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in partial.cells])
    assert "before the failure" in outputs and "second done" not in outputs
    html = (run_dir / "10-first.html").read_text()
    assert "OUTPUT_MARKER 7" in html and "CODE_MARKER" not in html
    index = (run_dir / "index.html").read_text()
    assert "Epäonnistui vaiheessa 20-second" in index and '<html lang="fi">' in index
    state = json.loads((run_dir / "run.json").read_text())
    assert state["status"] == "failed" and state["steps"][1]["status"] == "failed"

    flag.write_text("now it exists")
    (run_dir / "first.txt").write_text("untouched")
    again = run_pipeline(run_id="r1", parameters=common, steps=("10-first", "20-second"),
                         notebooks_dir=tiny, workspace=str(tmp_path / "ws"),
                         reports_dir=str(reports), echo=lambda _: None)
    assert again.ok and [s.status for s in again.steps] == ["skipped", "ok"]
    assert (run_dir / "first.txt").read_text() == "untouched"  # not run again
    assert "Kaikki vaiheet onnistuivat" in (run_dir / "index.html").read_text()
    assert again.started_at == first.started_at
    assert state["parameters"]["language"] == "fi"  # decided once, recorded in run.json


def test_main_exit_codes_and_command_line(tiny: Path, tmp_path: Path, capsys) -> None:
    config = tmp_path / "run.toml"
    config.write_text('value = 3\n[notebook."20-second"]\nflag = "/nonexistent"\n')
    base = ["--notebooks", str(tiny), "--reports-dir", str(tmp_path / "reports"),
            "--workspace", str(tmp_path / "ws"), "--no-html"]
    assert pipeline.main([*base, "--run-id", "m1", "--steps", "15-nothing"]) == 2  # no such step
    code = pipeline.main([*base, "--config", str(config), "--run-id", "m2"])
    assert code == 1
    assert "FAILED: 20-second" in capsys.readouterr().out
    assert (tmp_path / "reports" / "m2" / "first.txt").read_text() == "3"
    assert not (tmp_path / "reports" / "m2" / "10-first.html").exists()  # --no-html
    flag = tmp_path / "flag"
    flag.write_text("x")
    assert pipeline.main([*base, "--config", str(config), "--run-id", "m2",
                          "-p", f"flag={flag}"]) == 1  # the notebook table still wins
    assert pipeline.main([*base, "--run-id", "m3", "-p", "value=5", "-p", f"flag={flag}"]) == 0
    assert (tmp_path / "reports" / "m3" / "first.txt").read_text() == "5"


@pytest.mark.parametrize("argv", [
    ["-p", "password=x"], ["-p", "novalue"], ["--run-id", "../escape"],
])
def test_main_refuses_bad_input_without_running(argv: list[str], tmp_path: Path) -> None:
    assert pipeline.main([*argv, "--reports-dir", str(tmp_path)]) in (1, 2)
    assert not any(tmp_path.iterdir())


def test_index_in_swedish_and_finnish(tmp_path: Path) -> None:
    steps = [StepResult("30-reconcile", "ok", duration_s=1.0),
             StepResult("90-audit-report", "failed", error="x")]
    facts = {"reconcile": {"by_category": {"never_sent": 1}},
             "audit": {"kpis": {"share_with_oppijanumero": 0.9682}}}
    sv = render_index(tmp_path, PipelineRun("r", "t", {"language": "sv"}, steps,
                                            status="failed").to_json(), facts)
    assert '<html lang="sv">' in sv and "Misslyckades i steget 90-audit-report." in sv
    assert "Den lokala raden skickades aldrig" in sv and "96,8 %" in sv
    assert "<h2>Åtgärdslistor (denna körning)</h2>" in sv
    fi = render_index(tmp_path, PipelineRun("r", "t", {}, steps).to_json(), facts)
    assert '<html lang="fi">' in fi and "Paikallista riviä ei lähetetty" in fi


def test_one_language_for_the_whole_run(tiny: Path, tmp_path: Path, capsys,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`onr run --language`, the config's language, ONR_LANGUAGE, else fi: resolved once,
    passed to every notebook that declares it, recorded in run.json; a bad one is refused."""
    folder = tmp_path / "nb"
    folder.mkdir()
    nb = nbformat.read(tiny / "10-first.ipynb", as_version=4)
    nb.cells[0].source += '\nlanguage: str = "fi"  # fi, sv or en'
    nb.cells[1].source = ("from pathlib import Path\n"
                          "Path(reports_dir, run_id, 'language.txt').write_text(language)")
    nbformat.write(nb, folder / "10-first.ipynb")
    reports = tmp_path / "reports"
    base = ["--notebooks", str(folder), "--reports-dir", str(reports),
            "--workspace", str(tmp_path / "ws"), "--no-html"]

    def used(run_id: str) -> str:
        return (reports / run_id / "language.txt").read_text()

    assert pipeline.main([*base, "--run-id", "l1"]) == 0 and used("l1") == "fi"
    assert pipeline.main([*base, "--run-id", "l2", "--language", "sv"]) == 0 and used("l2") == "sv"
    config = tmp_path / "c.toml"
    config.write_text('language = "en"\n')
    assert pipeline.main([*base, "--run-id", "l3", "--config", str(config)]) == 0
    assert used("l3") == "en"
    monkeypatch.setenv("ONR_LANGUAGE", "sv")
    assert pipeline.main([*base, "--run-id", "l4"]) == 0 and used("l4") == "sv"
    assert json.loads((reports / "l4" / "run.json").read_text())["parameters"]["language"] == "sv"
    assert pipeline.main([*base, "--run-id", "l5", "-p", "language=en"]) == 0
    assert used("l5") == "en"  # the parameter wins over ONR_LANGUAGE
    capsys.readouterr()
    monkeypatch.setenv("ONR_LANGUAGE", "de")
    assert pipeline.main([*base, "--run-id", "l6"]) == 2
    assert "ONR_LANGUAGE must be one of fi, sv, en" in capsys.readouterr().err
    assert not (reports / "l6").exists()


def test_parameters_and_config(tmp_path: Path) -> None:
    assert parse_value("5000") == 5000 and parse_value("true") is True
    assert parse_value("0.5") == 0.5 and parse_value("data/x.csv") == "data/x.csv"
    config = tmp_path / "c.toml"
    config.write_text('register_file = "r.csv"\n[parameters]\nbatch_size = 10\n'
                      '[notebook."20-import-tuonti"]\nonly_new = false\n')
    common, per = load_config(config)
    assert common == {"register_file": "r.csv", "batch_size": 10}
    assert per == {"20-import-tuonti": {"only_new": False}}
    for name in ("ONR_PASSWORD", "client_secret", "cas_ticket", "session_cookie", "api_key"):
        with pytest.raises(ValueError, match="secrets"):
            refuse_secrets({name: "x"})
    refuse_secrets({"register_file": "x", "batch_size": 1})


def test_run_ids_and_paths(tmp_path: Path) -> None:
    assert re.fullmatch(r"\d{8}T\d{6}Z", new_run_id())
    for bad in ("", "../x", "a/b", "x" * 81):
        with pytest.raises(ValueError):
            check_run_id(bad)
    assert resolve(tmp_path) == tmp_path
    assert resolve("reports").name == "reports" and resolve("reports").is_absolute()
    run = RunDir.open("r", workspace=tmp_path / "ws", reports_dir=tmp_path / "rep")
    run.save_frame("problems", pd.DataFrame({"a": [1]}))
    assert run.load_frame("problems")["a"].tolist() == [1]
    with pytest.raises(FileNotFoundError, match="run the step"):
        run.load_frame("results")
    run.write_facts("s", {"n": 1})
    run.write_facts("s", {"m": 2})
    assert run.read_facts() == {"s": {"n": 1, "m": 2}}


def test_index_names_the_failed_step_and_links_only_existing_files(tmp_path: Path) -> None:
    run = PipelineRun("r", "2026-01-01T00:00:00Z", {"language": "en"}, [
        StepResult("10-validate-register", "ok", duration_s=1.0, html="10.html"),
        StepResult("20-import-tuonti", "failed", error="AuthError: <refused>", html="20.html"),
        StepResult("30-reconcile", "not run"),
    ], status="failed")
    (tmp_path / "10.html").write_text("x")
    facts = {"validate": {"register_file": "r.csv", "rows_read": 3, "rows_to_send": 2,
                          "rows_rejected": 1, "errors": 1, "warnings": 0,
                          "by_code": {"invalid.hetu": 1}},
             "reconcile": {"by_category": {"never_sent": 1}}}
    page = render_index(tmp_path, run.to_json(), facts)
    assert "Failed at 20-import-tuonti" in page
    assert "AuthError: &lt;refused&gt;" in page  # escaped
    assert 'href="10.html"' in page and 'href="20.html"' not in page
    assert "invalid.hetu" in page and "Local row never sent" in page
    assert PipelineRun.from_json(json.loads(json.dumps(run.to_json()))).to_json() == run.to_json()


def test_index_shows_links_and_request_packages(tmp_path: Path) -> None:
    run = PipelineRun("r", "2026-01-01T00:00:00Z", {"language": "en"}, [
        StepResult("50-duplicates", "ok", duration_s=1.0)], status="ok")
    (tmp_path / "requests").mkdir()
    (tmp_path / "requests" / "merge_request.xlsx").write_bytes(b"x")
    facts = {"links": {"links_checked": 61, "flagged": 10},
             "requests": {"merge_requests": 3, "unlink_requests": 10}}
    page = render_index(tmp_path, run.to_json(), facts)
    assert "<td>ONR links checked / looking wrong</td><td class=n>61 / 10</td>" in page
    assert "<td>merge requests for OPH</td><td class=n>3</td>" in page
    assert 'href="requests/merge_request.xlsx"' in page
    assert 'href="requests/unlink_request.xlsx"' not in page  # not written: not linked
    assert "merge requests for OPH" not in render_index(tmp_path, run.to_json(), {})


def test_preimport_check_holds_only_hetuless_rows_without_oid() -> None:
    from onrtools.onr.models import HenkiloDuplicate
    from onrtools.pipeline.steps import hold_possible_duplicates

    class Search:
        calls = 0

        def duplikaatit(self, **criteria: str) -> list[HenkiloDuplicate]:
            Search.calls += 1
            return [HenkiloDuplicate(oidHenkilo="1.2.246.562.98.10000000017",
                                     etunimet=criteria["etunimet"], kutsumanimi="Aino",
                                     sukunimi=criteria["sukunimi"],
                                     syntymaaika=criteria["syntymaaika"], sukupuoli="2")]

    base = {"etunimet": "Aino", "kutsumanimi": "Aino", "sukunimi": "Virtanen",
            "syntymaaika": "1990-01-01", "sukupuoli": "2", "hetu": "", "oid": ""}
    rows = pd.DataFrame([  # flat, as validation saves them
        {**base, "tunniste": "hetuless", "passinumero": "P1"},
        {**base, "tunniste": "with-oid", "oid": "1.2.246.562.98.10000000025"},
        {**base, "tunniste": "with-hetu", "hetu": "010190-9732"}])
    send, held = hold_possible_duplicates(Search(), rows)
    assert Search.calls == 1  # only the row that would create a new person is checked
    assert list(held["tunniste"]) == ["hetuless"]
    assert held.loc[0, "proposed_oid"] == "1.2.246.562.98.10000000017"
    assert list(send["tunniste"]) == ["with-oid", "with-hetu"]


def test_report_pages_load_nothing_from_the_network(tmp_path: Path) -> None:
    """nbconvert's template would fetch require.js, MathJax and Mermaid from a CDN; the
    report pages keep their look and leave those out (the browser test opens them offline)."""
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/html": "<p class='mine'>kept</p>"})]
    executed = tmp_path / "run.ipynb"
    nbformat.write(nb, executed)
    pipeline._html(executed, tmp_path / "run.html")
    page = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert "mine" in page and "kept</p>" in page and "jp-Notebook" in page
    assert "x = 1" not in page  # no code
    assert re.findall(r"""(?:src=["']?|import\(["'])https?://""", page) == []
    assert "cdnjs" not in page and "unpkg" not in page
