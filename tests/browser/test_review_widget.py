"""The review widget in a real browser: decide three pairs, restart the kernel, still there.

JupyterLab runs on 127.0.0.1 (free port, no token) over a temporary directory holding a small
generated notebook; Debian's chromium is driven by Playwright.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.programs import require

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

CELL = """\
from pathlib import Path
import pandas as pd
from onrtools.duplicates.review import ReviewSession
pairs = pd.DataFrame({{
    "tunniste_l": ["a", "c", "e", "g", "i"], "tunniste_r": ["b", "d", "f", "h", "j"],
    "probability": [0.99, 0.9, 0.5, 0.2, 0.05],
    "explanation": ["same birth date; same surname apart from å/ä/ö"] * 5,
}})
records = pd.DataFrame({{
    "tunniste": list("abcdefghij"),
    "etunimet": ["Anna-Liisa", "Anna Liisa", "Eino", "Eino", "Maria", "Maria", "Aino", "Aino",
                 "Pekka", "Pekka"],
    "sukunimi": ["Meikäläinen", "Meikalainen", "Aho", "Aho", "Laine", "Laine", "Mäki", "Maki",
                 "Virtanen", "Korhonen"],
    "syntymaaika": ["1995-03-07", "1995-03-07", "1990-01-01", "1990-01-01", "1980-05-06",
                    "1980-06-05", "2000-01-01", "2000-01-01", "1970-01-01", "1970-01-01"],
}})
session = ReviewSession(Path({workspace!r}), pairs, records, reviewer="browser-test",
                        language="en")
session.widget()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _notebook(path: Path, workspace: Path) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": CELL.format(workspace=str(workspace)),
            }
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture
def chromium() -> str:
    """Debian's chromium (Playwright must not download one); checked before JupyterLab starts."""
    return require("chromium", package="chromium")


@pytest.fixture
def lab(chromium: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "root"
    root.mkdir()
    workspace = tmp_path / "workspace"
    _notebook(root / "review.ipynb", workspace)
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
    )
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--allow-root",
            f"--LabApp.user_settings_dir={tmp_path / 'lab-settings'}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                if httpx.get(f"{url}/api/status", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("JupyterLab did not start")
            time.sleep(0.3)
        yield url, workspace
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _accept_kernel_dialog(page) -> None:  # noqa: ANN001
    """JupyterLab may ask which kernel to use; the notebook's own (python3) is preselected."""
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.wait_for(timeout=5_000)
    except Exception:  # noqa: BLE001 - no dialog is the good case
        return
    dialog.locator("button.jp-mod-accept").click()


def _wait_idle(page) -> None:  # noqa: ANN001
    page.locator(".jp-StatusBar-Widget", has_text="Idle").first.wait_for(timeout=60_000)


def _menu(page, menu: str, item: str) -> None:  # noqa: ANN001
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.get_by_role("menuitem", name=re.compile("^" + re.escape(item))).first.click()


@pytest.mark.browser
@pytest.mark.kernel  # JupyterLab and its kernel
@pytest.mark.timeout(120)
def test_decisions_survive_kernel_restart(chromium: str, lab: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, workspace = lab
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{url}/lab/tree/review.ipynb")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        _accept_kernel_dialog(page)
        _wait_idle(page)
        _menu(page, "Run", "Run All Cells")
        progress = page.locator(".onr-progress")
        expect(progress).to_contain_text("Pair 1 of 5 · decided 0 of 5", timeout=60_000)
        page.locator(".onr-same").click()
        expect(progress).to_contain_text("decided 1 of 5")
        page.locator(".onr-note textarea").fill("different passports")
        page.locator(".onr-different").click()
        expect(progress).to_contain_text("decided 2 of 5")
        page.locator(".onr-unsure").click()
        expect(progress).to_contain_text("Pair 4 of 5 · decided 3 of 5")

        # restart the kernel and run the notebook again: the review resumes at pair 4
        _menu(page, "Kernel", "Restart Kernel and Run All Cells")
        page.locator(".jp-Dialog button.jp-mod-accept").click()
        expect(page.locator(".onr-progress")).to_contain_text(
            "Pair 4 of 5 · decided 3 of 5", timeout=60_000
        )
        expect(page.locator(".onr-pair-view")).to_contain_text("Mäki")  # pair g/h
        # the new kernel's widgets must be live (not the restart's disconnected views)
        page.locator(".onr-pair-view:not(.jupyter-widgets-disconnected)").wait_for()
        _wait_idle(page)
        page.get_by_role("button", name="◀ previous").click()
        expect(page.locator(".onr-pair-view")).to_contain_text("saved decision: unsure")
        page.get_by_role("button", name="◀ previous").click()
        expect(page.locator(".onr-pair-view")).to_contain_text("saved decision: different")
        browser.close()

    with sqlite3.connect(workspace / "review" / "decisions.sqlite") as db:
        rows = db.execute(
            "SELECT tunniste_l, decision, note, reviewer FROM decisions ORDER BY id"
        ).fetchall()
    assert rows == [
        ("a", "same", "", "browser-test"),
        ("c", "different", "different passports", "browser-test"),
        ("e", "unsure", "", "browser-test"),
    ]
