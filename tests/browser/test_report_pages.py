"""Every report page of a pipeline run, opened in a real browser (Debian's chromium).

One module-scoped `onr run` over a planted register (as `make demo` builds one, smaller); then
each page (`index.html` and the six step pages) is opened from disk and must:

- make no request beyond the page's own files (``file:``, ``data:``, ``blob:``) and loopback:
  a report opens offline, so anything else is aborted and fails the test;
- log no console error and throw no uncaught exception;
- show every image (``naturalWidth > 0``);
- have working tables: in each DataTable longer than a page a word from its first row, typed
  into the search box, narrows the rows, a word that is nowhere leaves none, and clearing the
  box brings all back (a table that fits on one page has no search box).

``python -m tests.browser.test_report_pages REPORT_DIR OUT_DIR`` writes the screenshots of
docs/ from a run's report folder (e.g. one of `make demo`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.planted import planted_run
from tests.programs import require

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = ("index.html", "10-validate-register.html", "20-import-tuonti.html",
         "30-reconcile.html", "40-change-feed.html", "50-duplicates.html",
         "90-audit-report.html")
_NUMBER = re.compile(r"\d(?:[\d,\s\u00a0]*\d)?")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("file", "data", "blob", "about"):
        return True
    return parsed.scheme in ("http", "https", "ws") and parsed.hostname in LOOPBACK


@pytest.fixture(scope="module")
def chromium() -> str:
    return require("chromium", package="chromium")


@pytest.fixture(scope="module")
def report_dir(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("pages")
    with planted_run(base, rows=300, seed=5, run_id="pages-1") as planted:
        run = planted.run
    assert [s.name for s in run.steps if s.status != "ok"] == []
    yield planted.reports / "pages-1"


def _rows(container) -> int:  # noqa: ANN001 - a Playwright locator
    """The row count a DataTable's info line gives, in any of the report languages: the last
    number before a "(filtered …)" part ("Showing 1 to 10 of 1,234 entries", "Rivit 1–10 /
    1 234", "Rad 1–10 av 1 234"); 0 when the line has none ("Ei rivejä")."""
    text = container.locator(".dt-info").inner_text().split("(")[0]
    numbers = _NUMBER.findall(text)
    return int(re.sub(r"\D", "", numbers[-1])) if numbers else 0


def _words(container) -> list[str]:  # noqa: ANN001
    """Search words from the table's first row: each cell's first few words."""
    cells = container.locator("table.dataTable tbody tr").first.locator("td").all_inner_texts()
    words = []
    for cell in cells:
        word = cell.strip().split("\n")[0].strip()
        if len(word) >= 3:
            words.append(word)
    return words


def check_filter(container) -> bool:  # noqa: ANN001
    """A word of the first row narrows the table, a word that is nowhere empties it. False for
    a table that fits on one page (DataTables shows it without search box and pages)."""
    search = container.locator(".dt-search input")
    if not search.count():
        return False
    total = _rows(container)
    assert total > 0
    if total > 1:
        narrowed = []
        for word in _words(container):
            search.fill(word)
            narrowed.append((word, _rows(container)))
            if 1 <= narrowed[-1][1] < total:
                break
        else:
            pytest.fail(f"no word of the first row narrows {total} rows: {narrowed}")
    search.fill("zz-nothing-has-this-qq")
    assert _rows(container) == 0
    search.fill("")
    assert _rows(container) == total
    return True


def open_page(page, path: Path) -> list[str]:  # noqa: ANN001
    """Open ``path``; returns the problems seen (console errors, remote requests)."""
    problems: list[str] = []

    def route(r) -> None:  # noqa: ANN001
        if _local(r.request.url):
            r.continue_()
        else:
            problems.append(f"remote request: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}")
            if not r.url.startswith("blob:") else None)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_load_state("networkidle")
    return problems


def _launch(pw, chromium: str):  # noqa: ANN001, ANN202
    return pw.chromium.launch(executable_path=chromium, args=ARGS, headless=True)


@pytest.mark.browser
@pytest.mark.long(120)
@pytest.mark.timeout(400)
def test_every_report_page_works_offline(chromium: str, report_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = _launch(pw, chromium)
        seen: dict[str, int] = {}
        for name in PAGES:
            path = report_dir / name
            assert path.is_file(), name
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            problems = open_page(page, path)
            tables = page.locator(".dt-container")
            if name != "index.html":  # the step pages' tables are DataTables, built offline
                page.wait_for_function("document.querySelectorAll('table.dataTable').length"
                                       " >= document.querySelectorAll('.onr-datatable').length")
            searchable = sum(check_filter(tables.nth(i)) for i in range(tables.count()))
            images = page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth])")
            assert all(done and width > 0 for done, width in images), (name, images)
            assert problems == [], (name, problems)
            seen[name] = (tables.count(), searchable)
            page.close()
        browser.close()
    # the action lists are long enough to be searched and paged; the pairs and the links are
    # DataTables too (this small run's fit on one page, so they come without search box)
    assert seen["30-reconcile.html"][1] >= 1 and seen["50-duplicates.html"][0] >= 2, seen
    text = (report_dir / "50-duplicates.html").read_text(encoding="utf-8")
    assert "onr-diff" in text and "-****" in text


@pytest.mark.browser
@pytest.mark.unit  # chromium on one local page; no simulator, no kernel
@pytest.mark.timeout(120)
def test_a_remote_request_is_seen(chromium: str, tmp_path: Path) -> None:
    """The guard above is not blind: a page that loads a remote script is caught."""
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "remote.html"
    page_file.write_text('<script src="https://cdn.example.org/x.js"></script>', "utf-8")
    with sync_playwright() as pw:
        browser = _launch(pw, chromium)
        page = browser.new_page()
        problems = open_page(page, page_file)
        browser.close()
    assert any("remote request: https://cdn.example.org/x.js" in p for p in problems)


def _shoot(page, element, path: Path, height: int = 760) -> None:  # noqa: ANN001
    """The top of ``element`` (at most ``height`` px): a page, not a poster."""
    element.scroll_into_view_if_needed()
    box = element.bounding_box()  # in the viewport; the clip of a full page is in the page
    top = box["y"] + page.evaluate("window.scrollY")
    page.screenshot(path=str(path), full_page=True, clip={
        "x": box["x"], "y": top, "width": min(box["width"], 1440),
        "height": min(box["height"], height)})


def screenshots(report: Path, out: Path) -> list[Path]:
    """PNG screenshots for docs/: the reconcile table filtered, and pairs side by side."""
    import json
    import shutil

    from playwright.sync_api import sync_playwright

    from onrtools.i18n import translate

    language = json.loads((report / "run.json").read_text(encoding="utf-8"))["parameters"].get(
        "language")

    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: apt-get install chromium"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = _launch(pw, chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        open_page(page, report / "30-reconcile.html")
        table = page.locator(".onr-datatable").first
        table.locator(".dt-search input").fill("hetu_changed")
        written.append(out / "report-reconcile-table.png")
        _shoot(page, table, written[-1])
        page = browser.new_page(viewport={"width": 1440, "height": 860})
        open_page(page, report / "50-duplicates.html")
        title = translate("page.50.pairs_table", language)  # the page is in the run's language
        pairs = page.locator(".onr-datatable", has_text=title).first
        # pairs whose birth date and more differ: "syntymaaika," (with the comma) is in the
        # list of differing fields only, and field names are the same in every language
        pairs.locator(".dt-search input").fill("syntymaaika,")
        written.append(out / "report-duplicate-pairs.png")
        _shoot(page, pairs, written[-1])
        browser.close()
    return written


if __name__ == "__main__":
    for p in screenshots(Path(sys.argv[1]), Path(sys.argv[2])):
        print(p)
