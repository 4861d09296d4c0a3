"""EvidenceRecorder manifests, privacy of the ledger, output hashes and `onr audit`."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onrtools.evidence import EvidenceRecorder, main, read_manifests
from onrtools.evidence.scrub import has_hetu, mask_hetus, scrub
from onrtools.evidence.store import Ledger
from onrtools.evidence.verify import verify_ledger
from onrtools.register import hetu

REPO = Path(__file__).resolve().parents[2]
# a hetu standing alone (not inside a SHA-256, whose hex digits would surround it)
HETU_SHAPE = re.compile(
    rb"(?<![0-9A-Za-z])[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-FHJ-NPR-Y](?![0-9A-Za-z])", re.I
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repo-like directory: workspace/, data/ and reports/ side by side; cwd inside it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "register.csv").write_text("tunniste;sukunimi\n1;Virtanen\n2;Korhonen\n")
    (tmp_path / "reports" / "r1").mkdir(parents=True)
    (tmp_path / "reports" / "r1" / "index.html").write_text("<h1>run r1</h1>")
    (tmp_path / "reports" / "r1" / "actions.csv").write_text("category;n\nnew;3\n")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "10-validate-register.ipynb").write_text("{}")
    return tmp_path


def run_once(project: Path, run_id: str = "r1", status: str = "ok") -> dict:
    rec = EvidenceRecorder.for_run(
        run_id,
        project / "workspace",
        parameters={
            "rows_file": "data/register.csv",
            "dry_run": False,
            "ONR_PASSWORD": "hunter2",
            "cas_ticket": "ST-1-abc",
            "api_token": "t",
        },
        environment="simulator",
        caller_id="1.2.246.562.10.00000000001.onrtools",
    )
    rec.add_notebook(project / "notebooks" / "10-validate-register.ipynb")
    rec.add_input(project / "data" / "register.csv", rows=2)
    rec.add_tuonti(41)
    rec.add_tuonti(41)
    rec.add_counts("validation", {"hetu.invalid": 2, "kutsumanimi.not_in_etunimet": 1})
    rec.add_counts("validation", {"hetu.invalid": 1})
    rec.add_counts("reconcile", {"new_oppijanumero": 5, "hetu_missing": 2})
    rec.add_api_calls(
        [
            {"method": "PUT", "path": "/oppija", "status": 200, "count": 1, "seconds_total": 0.2},
            {"method": "GET", "path": "/oppija/tuonti={id}", "status": 200, "count": 7},
            {"method": "GET", "path": "/henkilo/{oid}", "status": 404, "count": 2},
        ]
    )
    rec.add_review_decisions({"same": 3, "different": 1})
    rec.add_output_dir(project / "reports" / run_id)
    rec.event("tuonti_submitted", tuonti_id=41, rows=2, status="KESKEN")
    rec.step("20-import-tuonti", "ok", rows=2)
    return rec.finish(status)


def test_manifest_holds_what_the_auditor_asks_for(project: Path) -> None:
    manifest = run_once(project)
    assert manifest["kind"] == "manifest" and manifest["run_id"] == "r1"
    assert manifest["attempt"] == 1 and manifest["status"] == "ok"
    assert (
        manifest["started_at"].endswith("Z") and manifest["finished_at"] >= manifest["started_at"]
    )
    assert manifest["package_version"] not in ("", "unknown")
    assert manifest["environment"] == "simulator"
    assert manifest["caller_id"].endswith(".onrtools")
    assert manifest["parameters"] == {"rows_file": "data/register.csv", "dry_run": False}
    assert manifest["parameters_dropped"] == ["ONR_PASSWORD", "api_token", "cas_ticket"]
    (inp,) = manifest["inputs"]
    assert inp["path"] == "data/register.csv" and inp["rows"] == 2
    assert (
        inp["sha256"]
        == __import__("hashlib")
        .sha256((project / "data" / "register.csv").read_bytes())
        .hexdigest()
    )
    assert sorted(o["path"] for o in manifest["outputs"]) == [
        "reports/r1/actions.csv",
        "reports/r1/index.html",
    ]
    assert manifest["notebooks"][0]["path"] == "notebooks/10-validate-register.ipynb"
    assert manifest["tuonti_ids"] == [41]
    assert manifest["counts"]["validation"] == {"hetu.invalid": 3, "kutsumanimi.not_in_etunimet": 1}
    assert manifest["review_decisions"] == {"same": 3, "different": 1}
    assert manifest["api_calls_total"] == 10 and manifest["api_errors"] == 2
    assert manifest["events"] == 2
    ledger = Ledger(project / "workspace")
    detail = ledger.detail(manifest)
    assert detail is not None and len(detail["api_calls"]) == 3
    assert read_manifests(project / "workspace")[0]["hash"] == manifest["hash"]
    assert verify_ledger(project / "workspace").ok


def test_secrets_never_reach_the_ledger(project: Path) -> None:
    run_once(project)
    rec = EvidenceRecorder.for_run("r2", project / "workspace")
    rec.event("login", url="https://virkailija.example/cas/login?ticket=ST-99-secret", code=1)
    rec.finish("ok")
    text = _all_ledger_bytes(project / "workspace")
    for secret in (b"hunter2", b"ST-1-abc", b"ST-99-secret"):
        assert secret not in text


def _all_ledger_bytes(workspace: Path) -> bytes:
    return b"".join(
        p.read_bytes()
        for p in sorted((workspace / "ledger").rglob("*"))
        if p.is_file() and p.suffix != ".lock"
    )


def test_no_hetu_and_no_name_lands_in_the_ledger(project: Path) -> None:
    rng = random.Random(7)
    hetus = [hetu.generate(rng) for _ in range(5)]
    hetus.append(hetu.generate(rng, birth_date=date(2004, 5, 2)))
    (project / "data" / f"export-{hetus[0]}.csv").write_text("x\n")
    rec = EvidenceRecorder.for_run(
        "p1", project / "workspace", parameters={"only_hetu": hetus[1], "note": f"see {hetus[2]}"}
    )
    rec.add_input(project / "data" / f"export-{hetus[0]}.csv", rows=1)
    rec.add_counts("validation", {f"row {hetus[3]}": 1})
    rec.event(
        "row_rejected",
        hetu=hetus[4],
        sukunimi="Meikäläinen",
        etunimet="Maija Liisa",
        kutsumanimi="Maija",
        oid="1.2.246.562.24.10000000001",
        rows=1,
    )
    rec.add_detail("rows", [{"hetu": hetus[5], "sukunimi": "Virtanen", "message": hetus[5]}])
    rec.add_api_calls(
        [{"method": "GET", "path": f"/s2s/oidByHetu/{hetus[0]}", "status": 404, "count": 1}]
    )
    rec.finish("ok")
    text = _all_ledger_bytes(project / "workspace")
    assert HETU_SHAPE.search(text) is None
    for full in hetus:
        assert full.encode() not in text
    for full in hetus[:4]:  # in free text: masked; under a `hetu` key: redacted altogether
        assert hetu.mask(full).encode() in text
    assert text.count(b'"hetu":"[redacted]"') == 2
    for name in ("Meikäläinen", "Maija", "Virtanen"):
        assert name.encode() not in text
    assert b"1.2.246.562.24.10000000001" in text  # OIDs are evidence, they stay
    assert verify_ledger(project / "workspace").ok


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), prefix=st.text(max_size=8), suffix=st.text(max_size=8))
def test_scrub_masks_every_generated_hetu_in_any_text(seed: int, prefix: str, suffix: str) -> None:
    code = hetu.generate(random.Random(seed))
    value = scrub({"free": f"{prefix} {code} {suffix}", "list": [code, code.lower()]})
    text = json.dumps(value, ensure_ascii=False)
    assert code not in text and code.lower() not in text
    assert not has_hetu(text)
    assert hetu.mask(code) in text


def test_scrub_keeps_hashes_oids_dates_and_counts() -> None:
    digest = "123456a7891" + "0" * 53
    value = {
        "sha256": digest,
        "oid": "1.2.246.562.24.12345678901",
        "time": "2026-11-27T12:00:00Z",
        "run_id": "20261127-120000",
        "hetu_missing": 4,
        "kpi": float("nan"),
    }
    assert scrub(value) == {**value, "kpi": None}
    assert mask_hetus("131052-9085 and 131052-308t") == "131052-**** and 131052-****"
    with pytest.raises(TypeError):
        scrub({"x": object()})


def test_outputs_changed_or_missing_are_named(project: Path) -> None:
    run_once(project)
    ws = project / "workspace"
    assert verify_ledger(ws).outputs_checked == 2
    (project / "reports" / "r1" / "actions.csv").write_text("category;n\nnew;4\n")
    result = verify_ledger(ws)
    assert not result.ok and result.first_bad.kind == "output_changed"
    assert "reports/r1/actions.csv" in result.reason and "run r1" in result.reason
    (project / "reports" / "r1" / "index.html").unlink()
    kinds = {p.kind for p in verify_ledger(ws).problems}
    assert kinds == {"output_changed", "output_missing"}
    assert verify_ledger(ws, check_outputs=False).ok


def test_resuming_a_run_appends_a_second_attempt(project: Path) -> None:
    first = run_once(project, status="failed")
    (project / "reports" / "r1" / "index.html").write_text("<h1>run r1, resumed</h1>")
    second = run_once(project)
    assert (first["attempt"], second["attempt"]) == (1, 2)
    assert second["seq"] > first["seq"]
    result = verify_ledger(project / "workspace")
    assert result.ok, result.summary()  # only the latest manifest naming a file counts
    assert result.runs == 1 and result.manifests == 2


def test_context_manager_records_a_failure(project: Path) -> None:
    with pytest.raises(RuntimeError):
        with EvidenceRecorder.for_run("boom", project / "workspace") as rec:
            raise RuntimeError("step failed")
    assert rec.manifest is not None
    assert (rec.manifest["status"], rec.manifest["error"]) == ("failed", "RuntimeError")
    with pytest.raises(ValueError):
        rec.finish("ok")


def test_missing_files_are_an_error_not_a_silent_gap(project: Path) -> None:
    rec = EvidenceRecorder.for_run("x", project / "workspace")
    with pytest.raises(FileNotFoundError):
        rec.add_output(project / "reports" / "nope.html")


def test_prune_after_retention_keeps_manifests_and_verification(project: Path) -> None:
    run_once(project)
    ledger = Ledger(project / "workspace")
    record = ledger.prune(0)
    assert record["details_removed"] == 2  # the manifest's API rows and the event's fields
    (project / "reports" / "r1" / "index.html").unlink()  # retention deleted the report too
    result = verify_ledger(project / "workspace")
    assert result.ok, result.summary()
    (manifest,) = read_manifests(project / "workspace")
    assert manifest["counts"]["validation"]["hetu.invalid"] == 3  # counts survive pruning
    assert ledger.detail(manifest) is None


# --- command line ---------------------------------------------------------------------------


def test_cli_verify_exit_codes_and_output(project: Path, capsys: pytest.CaptureFixture) -> None:
    run_once(project)
    ws = str(project / "workspace")
    assert main(["verify", "--workspace", ws]) == 0
    out = capsys.readouterr().out
    assert "result: OK" in out and "entries: 4" in out and "head: seq 4 hash " in out
    head_hash = re.search(r"head: seq 4 hash ([0-9a-f]{64})", out).group(1)
    assert main(["verify", "--workspace", ws, "--anchor", f"4:{head_hash}"]) == 0
    capsys.readouterr()
    ledger = Ledger(ws)
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"rows":2', b'"rows":3')
    ledger.path.write_bytes(b"".join(lines))
    assert main(["verify", "--workspace", ws]) == 1
    out = capsys.readouterr().out
    assert "result: BROKEN" in out
    assert "first broken entry: line 2, seq 2: hash mismatch" in out


def test_cli_show_prints_a_readable_manifest(project: Path, capsys: pytest.CaptureFixture) -> None:
    run_once(project)
    ws = str(project / "workspace")
    assert main(["show", "r1", "--workspace", ws]) == 0
    out = capsys.readouterr().out
    for expected in (
        "run r1  attempt 1  status ok",
        "data/register.csv  2 rows",
        "reports/r1/index.html",
        "tuonti ids     41",
        "hetu.invalid",
        "secret-looking: ONR_PASSWORD, api_token, cas_ticket",
        "method=GET",
        "tuonti_submitted",
        "step 20-import-tuonti  attempt=1 rows=2 status=ok",
    ):
        assert expected in out, expected
    assert "hunter2" not in out
    assert main(["show", "r1", "--workspace", ws, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[-1]["kind"] == "manifest"
    assert main(["show", "nope", "--workspace", ws]) == 1
    assert main(["runs", "--workspace", ws]) == 0
    assert "r1" in capsys.readouterr().out
    assert main(["prune", "--days", "0", "--workspace", ws]) == 0
    assert "pruned details of 2 entries" in capsys.readouterr().out
    assert main(["verify", "--workspace", ws]) == 0
    assert "prune: seq 5" in capsys.readouterr().out
    assert main(["show", "r1", "--workspace", ws]) == 0
    assert "pruned (retention)" in capsys.readouterr().out


def test_onr_audit_verify_runs_as_a_command(project: Path) -> None:
    run_once(project)
    cmd = [sys.executable, "-m", "onrtools.cli", "audit", "verify", "--workspace", "workspace"]
    done = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    (project / "reports" / "r1" / "index.html").write_text("edited")
    done = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "output file changed: reports/r1/index.html" in done.stdout


def test_cli_verify_without_a_ledger_is_not_ok(tmp_path: Path, capsys) -> None:
    assert main(["verify", "--workspace", str(tmp_path / "nowhere")]) == 1
    assert "no ledger" in capsys.readouterr().err


def test_pandas_missing_values_are_recorded_as_null() -> None:
    import pandas as pd

    assert scrub({"a": pd.NaT, "b": pd.NA, "c": pd.Timestamp("2026-01-02T03:04:05Z")}) == {
        "a": None,
        "b": None,
        "c": "2026-01-02T03:04:05+00:00",
    }
