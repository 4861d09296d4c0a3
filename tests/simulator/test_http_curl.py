"""The README's curl walkthrough, run as written against a simulator (plain HTTP client, CAS)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "onrtools" / "simulator" / "README.md"


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->",
                      text, re.S)
    assert found, "README.md has no walkthrough block"
    return found.group(1)


def test_readme_walkthrough_with_curl(simulator, tmp_path):
    assert shutil.which("curl"), "curl is part of the documented walkthrough"
    script = "set -euo pipefail\n" + walkthrough()
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "ONR": simulator.base_url},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    # the import finished and its rows came back with person OIDs
    tuonti = json.loads((tmp_path / "tuonti.json").read_text())
    assert tuonti["kasitelty"] is True and tuonti["kasiteltavia"] == 2
    assert sorted(r["tunniste"] for r in tuonti["henkilot"]) == ["readme-1", "readme-2"]
    assert all(r["henkilo"]["oid"].startswith("1.2.246.562.98.") for r in tuonti["henkilot"])
    # the change feed, paged one person at a time
    pages = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("muuttuneet-*.json"))]
    assert [p["number"] for p in pages] == [1, 2]
    assert all(p["size"] == 1 and p["numberOfElements"] == 1 for p in pages)
    assert pages[0]["totalElements"] >= 2
    oids = [e["oid"] for p in pages for e in p["results"]]
    assert len(set(oids)) == 2
    assert "kasitelty" in out
    # no ticket or session id was printed by the walkthrough
    assert "ST-" not in out and "TGT-" not in out
