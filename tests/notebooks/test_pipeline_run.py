"""The real notebooks through `onr run` against a simulator: planted defects and output guards.

One module-scoped run (a few hundred rows) feeds every test here: the action lists must match
the planted truth exactly, and no file the run wrote may hold a password, a CAS ticket, a
session cookie or a full hetu. The second run after time passes is slow-marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from onrtools.pipeline.demo import SIMULATOR_PASSWORD, pipeline_environment
from onrtools.pipeline.demo_checks import (
    check_links,
    check_packages,
    check_truth,
    review_as_planted,
)
from onrtools.pipeline.demo_register import expected_lists
from onrtools.pipeline.run import PipelineRun, run_pipeline
from onrtools.pipeline.rundir import RunDir
from onrtools.reconcile import CATEGORIES
from tests.planted import RUN_PARAMETERS, planted_run

ROWS = 240
HETU_SHAPE = re.compile(r"(?<![0-9])[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y](?![0-9A-Za-z])")


@dataclass
class Planted:
    sim: object
    workspace: Path
    reports: Path
    register_file: Path
    register: pd.DataFrame
    expected: pd.DataFrame
    all_hetus: set[str]
    run: PipelineRun
    demo: object = None
    prior: dict | None = None


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    with planted_run(tmp_path_factory.mktemp("pipeline"), rows=ROWS, seed=3,
                     run_id="planted-1") as p:
        hetus = {v["hetu"] for v in p.demo.vtj} | set(p.register["hetu"]) - {""}
        yield Planted(p.sim, p.workspace, p.reports, p.register_file, p.register,
                      expected_lists(p.demo, p.prepared.elsewhere), hetus, p.run, p.demo,
                      p.prepared.prior)


def test_every_step_succeeds(planted: Planted) -> None:
    failed = [(s.name, s.error) for s in planted.run.steps if s.status != "ok"]
    assert not failed
    index = (planted.reports / "planted-1" / "index.html").read_text(encoding="utf-8")
    assert "Kaikki vaiheet onnistuivat" in index and '<html lang="fi">' in index


# each page's heading in Finnish, the default: from the catalogue, not a Markdown cell
FINNISH_HEADINGS = {
    "10-validate-register": "<h1>Paikallisen rekisterin validointi</h1>",
    "20-import-tuonti": "<h1>Kelvollisten rivien tuonti ONR:ään</h1>",
    "30-reconcile": "<h1>Rekisterin täsmäytys ONR:n kanssa</h1>",
    "40-change-feed": "<h1>Mitä ONR:ssä on muuttunut edellisen ajon jälkeen</h1>",
    "50-duplicates": "<h1>Epäillyt kaksoiskappaleet</h1>",
    "90-audit-report": "<h1>Auditointiraportti</h1>",
}


def test_every_page_reads_in_finnish_by_default(planted: Planted) -> None:
    report = planted.reports / "planted-1"
    for step, heading in FINNISH_HEADINGS.items():
        page = (report / f"{step}.html").read_text(encoding="utf-8")
        assert heading in page, step
    reconcile = (report / "30-reconcile.html").read_text(encoding="utf-8")
    assert "Odottaa manuaalista yksilöintiä ONR:ssä" in reconcile  # a list's title
    assert '<html lang="fi">' in reconcile
    assert "<title>Rekisterin täsmäytys ONR:n kanssa</title>" in reconcile
    assert "<th>otsikko</th>" in reconcile and "<th>title</th>" not in reconcile  # headers too
    validate = (report / "10-validate-register.html").read_text(encoding="utf-8")
    assert "<th>vakavuus</th>" in validate  # the counts' headers (the problem rows keep theirs)
    audit = (report / "90-audit-report.html").read_text(encoding="utf-8")
    assert "Tämä ajo verrattuna edelliseen" in audit and "Henkilöitä, joilla on oppijanumero" \
        in audit
    summary = (report / "requests" / "merge_request_summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Yhdistämispyyntö OPH:lle\n")


@pytest.mark.parametrize(("language", "heading", "title"), [
    ("sv", "<h1>Vad som har ändrats i ONR sedan förra körningen</h1>",
     "Nytt studentnummer att spara"),
    ("en", "<h1>What changed in ONR since the last run</h1>", "New oppijanumero to store"),
])
def test_a_page_in_swedish_and_english(planted: Planted, tmp_path: Path, language: str,
                                       heading: str, title: str) -> None:
    """Step 40 of the planted run again (it reads only the run's frames), into a copy of the
    run, with the language parameter: its page reads in that language."""
    import shutil

    from onrtools.pipeline.run import _html, execute_notebook
    from onrtools.pipeline.rundir import project_root

    workspace, reports = tmp_path / "workspace", tmp_path / "reports"
    shutil.copytree(planted.workspace, workspace)
    shutil.copytree(planted.reports / "planted-1", reports / "planted-1")
    executed = tmp_path / "40.ipynb"
    page = tmp_path / "40.html"
    with pipeline_environment(planted.sim.base_url, workspace, reports):
        execute_notebook(project_root() / "notebooks" / "40-change-feed.ipynb", executed,
                         {"run_id": "planted-1", "workspace": str(workspace),
                          "reports_dir": str(reports), "interactive": False,
                          "language": language}, cwd=project_root())
    _html(executed, page)
    text = page.read_text(encoding="utf-8")
    assert heading in text and title in text and f'<html lang="{language}">' in text
    assert {"sv": "<th>rubrik</th>", "en": "<th>title</th>"}[language] in text
    assert FINNISH_HEADINGS["40-change-feed"] not in text
    # the change lists' files: the same machine columns, the action texts in the language
    folder = reports / "planted-1" / "actions" / "changes"
    lists = [pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
             for p in sorted(folder.glob("*.csv"))]
    actions = pd.concat([f for f in lists if len(f)], ignore_index=True)
    assert len(actions) and {"category", "tunniste", "action", "detail"} <= set(actions.columns)
    assert set(actions["action"]) <= {c.action(language) for c in CATEGORIES}
    # numbers as the language writes them, and no English left by libraries (#14 audit)
    english_number = re.compile(r"\(\d+\.\d kB\)|JW \d\.\d")
    swedish_number = re.compile(r"\(\d+,\d kB\)|JW \d,\d")
    details = " ".join(actions["detail"])
    if language == "sv":
        assert not english_number.search(text) and not english_number.search(details)
        assert re.search(r"\(\d+,\d kB\)", text)  # the file links' sizes
        assert "more rows not shown" not in text and "more row not shown" not in text
    else:
        assert not swedish_number.search(text) and not swedish_number.search(details)


def test_planted_defects_land_in_their_lists_and_nothing_else(planted: Planted) -> None:
    run = RunDir("planted-1", planted.workspace, planted.reports)
    actions = run.load_frame("actions")
    mismatches = check_truth(actions, planted.expected)
    assert mismatches.empty, mismatches.to_string()
    # the published CSV lists say the same, row for row
    for category in CATEGORIES:
        published = pd.read_csv(run.actions_dir / f"{category.code}.csv", dtype=str,
                                keep_default_na=False, encoding="utf-8-sig")
        mine = actions[actions["category"] == category.code]
        assert sorted(published["tunniste"]) == sorted(mine["tunniste"].fillna("")), category
    facts = run.read_facts()
    assert facts["validate"]["rows_read"] == ROWS
    assert facts["audit"]["ledger"] == "verified"


def test_wrong_merges_are_flagged_and_reviewed_pairs_become_request_packages(
        planted: Planted) -> None:
    from onrtools.duplicates.review import ReviewStore
    from onrtools.pipeline import steps

    run = RunDir("planted-1", planted.workspace, planted.reports)
    flagged = run.load_frame("link_candidates")
    assert len(planted.demo.wrong_links) >= 1
    assert check_links(flagged, planted.demo, planted.prior).empty
    # unattended, nobody has decided anything: the packages are empty, but written
    facts = run.read_facts()
    assert facts["requests"]["merge_requests"] == facts["requests"]["unlink_requests"] == 0
    assert facts["links"]["flagged"] == len(planted.demo.wrong_links)
    decided = review_as_planted(run, planted.demo, planted.prior)
    assert decided["links_different"] == len(planted.demo.wrong_links)
    assert len(ReviewStore.for_workspace(run.workspace).latest()) == sum(decided.values())
    packages = steps.request_packages(run, institution="Testi AMK")
    assert check_packages(run.read_facts(), planted.demo).empty, packages.to_string()
    merge = pd.read_csv(run.report_dir / "requests" / "merge_request.csv", dtype=str,
                        keep_default_na=False, encoding="utf-8-sig")
    results = run.load_frame("results").set_index("tunniste")["oid"]
    for hetu_row, passport_row in planted.demo.twins:  # the identified twin is master
        row = merge[merge["tunnisteet"].str.contains(hetu_row, regex=False)].iloc[0]
        assert row["suggested_master_oid"] == results[hetu_row]
        assert row["other_oids"] == results[passport_row]
        assert row["reviewer"] == "demo-reviewer" and "*" in row["hetu_masked"]
    unlink = pd.read_csv(run.report_dir / "requests" / "unlink_request.csv", dtype=str,
                         keep_default_na=False, encoding="utf-8-sig")
    assert sorted(unlink["slaveOid"]) == sorted(planted.prior[f"{t}-old"]
                                                for t in planted.demo.wrong_links)


def test_manual_identification_rows_link_to_the_person(planted: Planted) -> None:
    run = RunDir("planted-1", planted.workspace, planted.reports)
    manual = pd.read_csv(run.actions_dir / "manual_identification.csv", dtype=str,
                         keep_default_na=False, encoding="utf-8-sig")
    assert len(manual)
    for row in manual.itertuples():
        assert row.link.endswith(f"/henkilo/{row.oid}") and row.oid


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


IMAGES = re.compile(r'data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+|"image/png": "[^"]*"')


def _text(path: Path) -> str:
    """The file as text; embedded PNG plots (base64, random letters) are left out."""
    if path.suffix == ".xlsx":
        import zipfile

        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return IMAGES.sub("", path.read_bytes().decode("utf-8", "replace"))


def test_no_output_file_holds_a_secret_or_a_full_hetu(planted: Planted) -> None:
    files = _files(planted.reports / "planted-1")
    assert len(files) > 20
    sessions = planted.sim.server  # the simulator's live sessions and tickets
    secrets = _live_secrets(sessions)
    assert secrets  # the run logged in: its session ids are known and checked below
    for path in files:
        text = _text(path)
        assert not re.search(r"\b(ST|TGT)-[A-Za-z0-9_-]{8,}", text), path
        assert "JSESSIONID" not in text, path
        assert not re.search(rf"password\W{{0,10}}{SIMULATOR_PASSWORD}", text, re.I), path
        assert "ONR_PASSWORD" not in text, path
        for secret in secrets:
            assert secret not in text, path
        found = {h for h in HETU_SHAPE.findall(text)}
        assert not found & planted.all_hetus, (path, sorted(found & planted.all_hetus)[:3])
        assert not found, (path, sorted(found)[:3])


FIGURE_REPR = re.compile(r"(?:<|&lt;)\w*Figure size \d+x\d+ with \d+ Axes(?:>|&gt;)")
PLOTTING_STEPS = ("10-validate-register", "30-reconcile", "40-change-feed", "90-audit-report")


def test_every_figure_is_a_picture_in_the_notebook_and_its_page(planted: Planted) -> None:
    """A figure shown as its text repr (the audit report's trend once was) fails here: in the
    executed notebook a figure's output carries a PNG beside its repr, and the page (which
    shows the richest form only) never shows the repr."""
    import json

    report = planted.reports / "planted-1"
    pages = sorted(report.glob("*.html"))
    notebooks = sorted((report / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 6 and len(pages) >= 6
    for path in pages:
        found = FIGURE_REPR.search(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name} shows a figure as text: {found.group(0)}"
    for path in notebooks:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if FIGURE_REPR.search("".join(data.get("text/plain", ""))):
                    assert "image/png" in data, f"{path.name}: a figure without its picture"
    for step in PLOTTING_STEPS:
        cells = json.loads((report / "notebooks" / f"{step}.ipynb").read_text())["cells"]
        pngs = [o for c in cells for o in c.get("outputs", [])
                if "image/png" in o.get("data", {})]
        assert pngs, f"{step}: no picture in the executed notebook"
        page = (report / f"{step}.html").read_text(encoding="utf-8")
        assert re.search(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/]{1000}', page), \
            f"{step}.html: no embedded picture"


def _live_secrets(server: object) -> set[str]:
    """Session ids and tickets the simulator handed out during the run (whatever it keeps)."""
    auth = getattr(getattr(server, "ctx", None), "auth", None) or getattr(server, "auth", None)
    found: set[str] = set()
    for name in ("_sessions", "_sts", "_tgts"):
        value = getattr(auth, name, None)
        if isinstance(value, dict):
            found |= {str(k) for k in value if len(str(k)) >= 16}
    return found


def test_a_target_env_parameter_that_differs_from_the_settings_is_refused(
    planted: Planted, tmp_path: Path,
) -> None:
    """The settings point at the simulator (local); a run told it targets production stops at
    validation, before anything is sent, and says why."""
    workspace, reports = tmp_path / "workspace", tmp_path / "reports"
    with pipeline_environment(planted.sim.base_url, workspace, reports):
        run = run_pipeline(run_id="wrong-env", steps=("10-validate-register", "20-import-tuonti"),
                           parameters={"register_file": str(planted.register_file),
                                       "target_env": "prod", "interactive": False},
                           workspace=str(workspace), reports_dir=str(reports),
                           echo=lambda _: None)
    assert not run.ok
    first = run.steps[0]
    assert first.name == "10-validate-register" and first.status == "failed"
    assert "may only confirm the settings" in str(first.error), first.error
    assert "import" not in RunDir("wrong-env", workspace, reports).read_facts()


@pytest.mark.slow
def test_second_run_after_time_passes_reads_only_changes(planted: Planted) -> None:
    planted.sim.admin("POST", "/time-passes", json={"days": 30, "seed": 3})
    with pipeline_environment(planted.sim.base_url, planted.workspace, planted.reports):
        run = run_pipeline(run_id="planted-2",
                           parameters={"register_file": str(planted.register_file),
                                       **RUN_PARAMETERS},
                           workspace=str(planted.workspace), reports_dir=str(planted.reports),
                           echo=lambda _: None)
    assert run.ok, [(s.name, s.error) for s in run.steps]
    facts = RunDir("planted-2", planted.workspace, planted.reports).read_facts()
    assert facts["import"]["rows_sent"] == 0  # nothing new or changed in the register
    first = RunDir("planted-1", planted.workspace, planted.reports).read_facts()
    assert facts["changes"]["persons_changed"] < first["changes"]["persons_changed"]
    assert facts["audit"]["runs_in_ledger"] == 2
    # the KPIs on ONR's clock, which ran 30 days ahead: no negative lag, real ages
    kpis = facts["audit"]["kpis"]
    assert facts["reconcile"]["onr_clock_offset_s"] > 29 * 86400
    assert kpis["change_feed_lag_hours_median"] >= 0
    assert kpis["unidentified_open"] > 0 and kpis["unidentified_oldest_days"] >= 29.9
    # and in words on the page: labels and units, no machine names or scientific notation
    from onrtools.evidence.trend import compare_in_words, trend_frame

    words = compare_in_words(trend_frame(planted.workspace), "en")
    oldest = words.loc["Longest wait for identification"]
    assert oldest["this run"].endswith(" days") and oldest["verdict"] == "worse"
    assert words.loc["Change-feed lag (median)", "this run"].endswith(" hours")
    assert not words.loc["Change-feed lag (median)", "this run"].startswith("-")
    page = (planted.reports / "planted-2" / "90-audit-report.html").read_text(encoding="utf-8")
    table = page[page.index("Tämä ajo verrattuna edelliseen"):]  # the run's language: Finnish
    assert "Pisin odotus yksilöintiin" in table and "ennallaan, kun muutos enintään" in table
    assert "change_feed_lag_hours_median" not in table
    assert not re.search(r"\d\.\d+e[-+]\d\d", table)
