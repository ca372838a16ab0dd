"""report.html: written by every run, self-contained, with every section, in bounded memory."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from conftest import FIXTURES, SEEDS

from cleaner.document import Document, Span
from cleaner.mt import load_model
from cleaner.pipeline import clean
from cleaner.report import SAMPLE_SIZE, TOP_CLUSTERS, RunReport
from cleaner.settings import Settings


class Elements(HTMLParser):
    """Every element's tag and attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def _chart(html: str, chart_id: str) -> str:
    found = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert found, f"chart {chart_id} missing"
    return found.group(0)


def test_report_has_every_section_and_is_self_contained(run_clean) -> None:
    run = run_clean(FIXTURES / "formats", FIXTURES / "rules", SEEDS)
    html = (run.outdir / "report.html").read_text(encoding="utf-8")
    tags = elements(html)
    ids = {attrs.get("id") for _, attrs in tags}
    assert {"documents", "rules", "mt", "dedup", "languages", "time", "sample", "all-rules"} <= ids
    assert not [t for t, a in tags if t in ("script", "link", "img", "iframe") or "src" in a]
    assert not re.search(r"url\(|@import", html)  # nothing fetched by the stylesheet either
    for chart in ("chart-documents", "chart-rules", "chart-clusters", "chart-languages", "chart-time"):
        assert _chart(html, chart).count('class="bar"') >= 1
    mt = _chart(html, "chart-mt")
    assert 'class="threshold"' in mt and f"threshold {load_model().document_threshold:g}" in mt
    assert mt.count('class="bar"') == 20
    assert f"{run.stats['documents_in']:,}</b><span>documents in" in html


def test_removed_parts_link_to_their_rule(run_clean) -> None:
    run = run_clean(SEEDS)
    html = (run.outdir / "report.html").read_text(encoding="utf-8")
    tags = elements(html)
    anchors = {attrs["id"] for _, attrs in tags if attrs.get("id", "").startswith("rule-")}
    links = [attrs["href"] for tag, attrs in tags if tag == "a" and attrs.get("class") == "rule"]
    assert links and all(href[1:] in anchors for href in links)
    removed = [attrs for tag, attrs in tags if tag == "p" and attrs.get("class") in ("removed", "moved")]
    assert {"link-farm", "photo-credit"} <= {attrs["data-rule"] for attrs in removed}
    farm = next(attrs for attrs in removed if attrs["data-rule"] == "link-farm")
    assert farm["title"].startswith("link-farm (footers): ")
    assert "<del>Latest World News</del>" in html
    # the per-rule counts in the report are those of stats.json
    chars = run.stats["rules"]["link-farm"]["chars"]
    assert re.search(rf'<tr id="rule-link-farm">.*?<td>{chars:,}</td></tr>', html, re.S)


def test_switched_off_stages_say_so(run_clean) -> None:
    run = run_clean(SEEDS, mt=False, dedup=False, language=False)
    html = (run.outdir / "report.html").read_text(encoding="utf-8")
    assert "The MT stage was off" in html and "The dedup stage was off" in html
    assert "The language stage was off" in html


def _doc(i: int, size: int = 1) -> Document:
    doc = Document(id=f"doc-{i:05d}", source=f"in/doc-{i:05d}.txt", text="kept line", language="en",
                   mt_score=(i % 100) / 100, cluster_id=f"doc-{i:05d}", cluster_size=size)
    doc.removed = [Span("nav-phrase", "Skip to content", 1)]
    doc.annotated = [("Skip to content", "nav-phrase"), ("kept line", None)]
    return doc


def test_collection_is_bounded_and_independent_of_order() -> None:
    forward, backward = RunReport(Settings(), []), RunReport(Settings(), [])
    docs = [_doc(i, size=1 + i % 7) for i in range(3000)]
    for doc in docs:
        forward.add(doc)
    for doc in reversed(docs):
        backward.add(doc)
    assert len(forward.sample) == SAMPLE_SIZE and len(forward.largest) == TOP_CLUSTERS
    assert sorted(e[1] for e in forward.sample) == sorted(e[1] for e in backward.sample)
    assert sorted(forward.largest) == sorted(backward.largest)
    assert all(size == 7 for size, *_ in forward.largest)
    assert sum(forward.mt_bins) == 3000 and forward.mt_bins == backward.mt_bins
    assert forward.rule_docs["nav-phrase"] == 3000


def test_report_of_the_same_input_in_another_order_has_the_same_sample(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    clean([FIXTURES / "formats", FIXTURES / "rules"], a, Settings())
    clean([FIXTURES / "rules", FIXTURES / "formats"], b, Settings())

    def sample(path: Path) -> str:
        return re.search(r'<section id="sample">.*?</section>', (path / "report.html").read_text(), re.S).group(0)

    assert sample(a) == sample(b)


def test_unset_mt_threshold_draws_the_models_threshold() -> None:
    report = RunReport(Settings(), [])
    report.settings.mt_threshold = None  # the MT stage uses the threshold shipped with its model
    report.add(_doc(1))
    html = report.render({"documents_in": 1, "documents_out": 1, "dropped": {}, "errors": 0, "warnings": 0,
                          "rules": {}, "seconds": {}})
    assert 'class="threshold"' in html and f"the threshold {load_model().document_threshold:g}" in html
