"""report.html in a real browser: headless Chromium lays it out, measures it, and takes a screenshot.

Skipped, saying why, when no Chromium or Chrome can be found (`.ci/run` installs Debian's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SEEDS
from PIL import Image

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1100,2600"]
BAR = (0x3D, 0x7B, 0xD9)  # .chart .bar fill
REMOVED_LABEL = (0xD4, 0x3C, 0x3C)  # .rule label of a removed line (also the threshold line)

# Added to a copy of the page only: measures what the browser laid out, into the DOM that --dump-dom prints.
MEASURE = """<script>
const box = e => e.getBoundingClientRect();
const out = {
  charts: [...document.querySelectorAll('svg.chart')].map(s => ({id: s.id, w: box(s).width, h: box(s).height,
    bars: [...s.querySelectorAll('.bar')].filter(b => box(b).width > 0 && box(b).height > 0).length})),
  docs: [...document.querySelectorAll('#sample .doc')].map(d => ({h: box(d).height,
    removed: [...d.querySelectorAll('.removed, .moved')].filter(p => box(p).height > 0).length})),
  threshold: [...document.querySelectorAll('#chart-mt .threshold')].map(l => box(l).height),
  ruleLinks: [...document.querySelectorAll('#sample a.rule')].filter(
    a => document.getElementById(a.getAttribute('href').slice(1))).length,
};
const pre = document.createElement('pre'); pre.id = 'measure'; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def find_browser() -> str | None:
    for name in (os.environ.get("CLEANER_BROWSER"), *BROWSERS):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module")
def browser() -> str:
    path = find_browser()
    if path is None:
        pytest.skip("no Chromium or Chrome found (tried: " + ", ".join(BROWSERS) + "); install one, e.g. "
                    "`apt-get install chromium`, or set CLEANER_BROWSER, to run the browser test")
    return path


def _chrome(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)


def test_report_renders_in_chromium(browser: str, run_clean, tmp_path: Path) -> None:
    run = run_clean(SEEDS)
    report = run.outdir / "report.html"
    measured = tmp_path / "measured.html"
    measured.write_text(report.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    dom = _chrome(browser, tmp_path, "--virtual-time-budget=5000", "--dump-dom", measured.as_uri())
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom.stdout, re.S)
    assert found, f"no measurement in the rendered DOM; browser said: {dom.stderr[-2000:]}"
    layout = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    charts = {chart["id"]: chart for chart in layout["charts"]}
    assert {"chart-documents", "chart-rules", "chart-mt", "chart-clusters", "chart-languages",
            "chart-time"} <= set(charts)
    for chart in charts.values():
        assert chart["w"] > 100 and chart["h"] > 10 and chart["bars"] >= 1, chart
    assert layout["threshold"] and layout["threshold"][0] > 50
    assert layout["docs"] and all(doc["h"] > 20 for doc in layout["docs"])
    assert sum(doc["removed"] for doc in layout["docs"]) >= 5
    assert layout["ruleLinks"] >= 5

    shot = tmp_path / "report.png"
    done = _chrome(browser, tmp_path, f"--screenshot={shot}", report.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    counts = {colour: count for count, colour in colours}
    assert len(counts) > 50  # text, charts and highlights, not a blank page
    assert counts.get(BAR, 0) > 2000, "chart bars not painted"
    assert counts.get(REMOVED_LABEL, 0) > 200, "removed-line labels not painted"
