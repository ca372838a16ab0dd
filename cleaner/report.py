"""`OUTDIR/report.html`: one self-contained page a user reads before trusting a run's output.

The writer hands every document to `RunReport.add` as it streams by; the report keeps only
counters, a fixed histogram, the largest clusters and a bounded sample (the documents whose
id hashes lowest, so the sample does not depend on input order or size), and renders the
page at the end. Charts are SVG generated here: no script, no network, nothing to install.
"""

from __future__ import annotations

import heapq
import os
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

import xxhash

from .document import Document
from .mt import load_model
from .plural import counted
from .rules import Rule, RuleError
from .settings import Settings

SAMPLE_SIZE = 12  # documents shown with their removed lines
SAMPLE_LINES = 200  # lines kept per sampled document (long runs of kept lines are folded)
LINE_CHARS = 600  # characters kept per sampled line
TOP_CLUSTERS = 10
MT_BINS = 20


class RunReport:
    """Collects what the report shows, in bounded memory, while the run streams documents."""

    def __init__(self, settings: Settings, rules: list[Rule], rule_errors: list[RuleError] | None = None) -> None:
        self.settings = settings
        self.rules = {rule.id: rule for rule in rules}
        self.rule_errors = [str(err) for err in rule_errors or []]
        self.rule_docs: Counter[str] = Counter()
        self.mt_bins = [0] * MT_BINS
        self.mt_flagged = 0
        self.languages: Counter[str] = Counter()
        self.languages_kept: Counter[str] = Counter()
        self.cluster_sizes: Counter[int] = Counter()
        self.largest: list[tuple[int, str, str, str | None]] = []  # min-heap of (size, -, id, title)
        self.sample: list[tuple[int, str, dict[str, Any]]] = []  # max-heap on hash via negation

    def add(self, doc: Document) -> None:
        """Count one document (kept or dropped) as the writer sees it."""
        for rule in {span.rule for span in doc.removed}:
            self.rule_docs[rule] += 1
        if doc.mt_score is not None:
            self.mt_bins[min(MT_BINS - 1, int(doc.mt_score * MT_BINS))] += 1
            self.mt_flagged += doc.mt_flagged
        if doc.language is not None:
            self.languages[doc.language] += 1
            if doc.dropped is None:
                self.languages_kept[doc.language] += 1
        if doc.cluster_id is not None and doc.cluster_id == doc.id:
            self._cluster(doc)
        if doc.removed or doc.dropped:
            self._sample(doc)

    def _cluster(self, doc: Document) -> None:
        self.cluster_sizes[doc.cluster_size] += 1
        if doc.cluster_size > 1:
            # ties: the smaller id ranks higher, so it is the larger item under the inverted key
            item = (doc.cluster_size, _invert(doc.id), doc.id, doc.title)
            if len(self.largest) < TOP_CLUSTERS:
                heapq.heappush(self.largest, item)
            elif item > self.largest[0]:
                heapq.heapreplace(self.largest, item)

    def _sample(self, doc: Document) -> None:
        key = xxhash.xxh3_64_intdigest(doc.id.encode())
        if len(self.sample) >= SAMPLE_SIZE and -key <= self.sample[0][0]:
            return
        lines = doc.marked_lines() or [(span.text, span.rule) for span in doc.removed]
        entry = {
            "id": doc.id, "title": doc.title, "dropped": doc.dropped, "duplicate_of": doc.duplicate_of,
            "language": doc.language, "mt_score": doc.mt_score,
            "lines": [(line[:LINE_CHARS], rule) for line, rule in lines[:SAMPLE_LINES]],
            "more": max(0, len(lines) - SAMPLE_LINES),
        }
        if len(self.sample) < SAMPLE_SIZE:
            heapq.heappush(self.sample, (-key, doc.id, entry))
        else:
            heapq.heapreplace(self.sample, (-key, doc.id, entry))

    def write(self, path: Path, stats: dict[str, Any]) -> None:
        """Render the page to `path` (under a temporary name first, like the other outputs)."""
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(self.render(stats), encoding="utf-8")
        os.replace(partial, path)

    def render(self, stats: dict[str, Any]) -> str:
        sections = [self._summary(stats), self._rules_section(stats), self._mt_section(),
                    self._dedup_section(), self._language_section(), self._time_section(stats),
                    self._sample_section(), self._rule_table(stats)]
        return PAGE.format(style=STYLE, body="\n".join(sections))

    def _summary(self, stats: dict[str, Any]) -> str:
        rows: list[tuple[str, float, str | None]] = [("kept", stats["documents_out"], None)]
        rows += [(f"dropped: {reason}", count, None) for reason, count in stats["dropped"].items()]
        cards = [("documents in", stats["documents_in"]), ("kept", stats["documents_out"]),
                 ("dropped", sum(stats["dropped"].values())), ("errors", stats["errors"]),
                 ("warnings", stats["warnings"])]
        html = "".join(f'<div class="card"><b>{value:,}</b><span>{escape(name)}</span></div>' for name, value in cards)
        errors = ""
        if self.rule_errors:
            items = "".join(f"<li>{escape(err)}</li>" for err in self.rule_errors)
            errors = f'<div class="warn"><b>Rules not used (errors in their packs):</b><ul>{items}</ul></div>'
        return (f'<section id="documents"><h2>Documents</h2><div class="cards">{html}</div>{errors}'
                f'{hbar_chart(rows, "documents", "chart-documents")}'
                '<p class="note">Dropped documents and every removed line are in removed.jsonl; '
                'unreadable inputs in errors.jsonl.</p></section>')

    def _rules_section(self, stats: dict[str, Any]) -> str:
        counts = sorted(stats["rules"].items(), key=lambda kv: (-kv[1]["chars"], kv[0]))
        rows = [(rule, c["chars"], f"#rule-{rule}") for rule, c in counts]
        return ('<section id="rules"><h2>Characters removed per rule</h2>'
                f'{hbar_chart(rows, "characters", "chart-rules")}</section>')

    def _mt_section(self) -> str:
        if not self.settings.mt:
            return _empty_section("mt", "Machine-translation scores", "The MT stage was off (--no-mt).")
        action = "dropped" if self.settings.mt_action == "drop" else "flagged"
        threshold = self.settings.mt_threshold or load_model().document_threshold  # None: the model's own
        said = f"the threshold {threshold:g}"
        return ('<section id="mt"><h2>Machine-translation scores</h2>'
                f'{histogram_svg(self.mt_bins, threshold, "chart-mt")}'
                f'<p class="note">{counted(self.mt_flagged, "document")} at or above {said} ({action}).</p></section>')

    def _dedup_section(self) -> str:
        if not self.settings.dedup:
            return _empty_section("dedup", "Duplicate clusters", "The dedup stage was off (--no-dedup).")
        rows = [(f"size {size}", count, None) for size, count in sorted(self.cluster_sizes.items())]
        largest = sorted(self.largest, reverse=True)
        table = "".join(f"<tr><td>{size:,}</td><td>{escape(doc_id)}</td><td>{escape(title or '')}</td></tr>"
                        for size, _, doc_id, title in largest)
        listing = ('<table class="clusters"><tr><th>size</th><th>kept document</th><th>title</th></tr>'
                   f'{table}</table>' if table else '<p class="note">No duplicates found.</p>')
        return ('<section id="dedup"><h2>Duplicate clusters</h2><h3>Clusters by size</h3>'
                f'{hbar_chart(rows, "clusters", "chart-clusters")}<h3>Largest clusters</h3>{listing}</section>')

    def _language_section(self) -> str:
        if not self.settings.language:
            return _empty_section("languages", "Languages", "The language stage was off (--no-language).")
        rows = [(lang, count, None) for lang, count in sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0]))]
        kept = ", ".join(f"{escape(k)}: {v:,}" for k, v in sorted(self.languages_kept.items()))
        return ('<section id="languages"><h2>Languages</h2>'
                f'{hbar_chart(rows, "documents", "chart-languages")}'
                f'<p class="note">Kept: {kept or "none"}.</p></section>')

    def _time_section(self, stats: dict[str, Any]) -> str:
        rows = [(stage, round(seconds, 3), None) for stage, seconds in stats.get("seconds", {}).items()]
        return ('<section id="time"><h2>Time per stage (seconds)</h2>'
                f'{hbar_chart(rows, "seconds", "chart-time")}'
                f'<p class="note">Total {stats.get("total_seconds", 0):.2f} s.</p></section>')

    def _sample_section(self) -> str:
        docs = [entry for _, _, entry in sorted(self.sample, key=lambda item: item[1])]
        if not docs:
            return _empty_section("sample", "Sample documents", "No document lost anything.")
        parts = [f'<section id="sample"><h2>Sample documents ({len(docs)})</h2>'
                 '<p class="note">Removed lines are struck through (red) and labelled with the rule that '
                 'removed them; lines moved to metadata (title, byline, date, credits) are amber. Each label '
                 'links to its rule.</p>']
        parts.extend(self._document(entry) for entry in docs)
        parts.append("</section>")
        return "\n".join(parts)

    def _document(self, entry: dict[str, Any]) -> str:
        facts = [f"language {entry['language']}" if entry["language"] else "",
                 f"mt {entry['mt_score']:g}" if entry["mt_score"] is not None else "",
                 f"dropped: {entry['dropped']}" if entry["dropped"] else "kept",
                 f"duplicate of {entry['duplicate_of']}" if entry["duplicate_of"] else ""]
        lines: list[str] = []
        kept: list[str] = []
        for text, rule_id in [*entry["lines"], ("", "")]:  # the sentinel flushes the last kept run
            if rule_id is None:
                kept.append(f'<p class="kept">{escape(text)}</p>')
                continue
            lines.extend(_fold(kept))
            kept = []
            if not rule_id:
                break
            rule = self.rules.get(rule_id)
            tip = f"{rule_id} ({rule.pack}): {rule.description}" if rule else rule_id
            moved = rule is not None and rule.action == "metadata"
            label = f"{rule_id} → {rule.field}" if moved else rule_id
            lines.append(f'<p class="{"moved" if moved else "removed"}" data-rule="{escape(rule_id)}" '
                         f'title="{escape(tip)}"><a class="rule" href="#rule-{escape(rule_id)}">{escape(label)}</a>'
                         f'<del>{escape(text)}</del></p>')
        if entry["more"]:
            lines.append(f'<p class="note">… {counted(entry["more"], "more line")}</p>')
        title = escape(entry["title"] or "(no title)")
        return (f'<article class="doc"><h3>{escape(entry["id"])}</h3>'
                f'<div class="facts">{escape(" · ".join(f for f in facts if f))} — {title}</div>'
                f'{"".join(lines)}</article>')

    def _rule_table(self, stats: dict[str, Any]) -> str:
        rows = []
        for rule in self.rules.values():
            counts = stats["rules"].get(rule.id, {"lines": 0, "chars": 0})
            scope = ", ".join(list(rule.sites) + [f"folder {f}" for f in rule.folders]) or "all"
            rows.append(f'<tr id="rule-{escape(rule.id)}"><td><code>{escape(rule.id)}</code></td>'
                        f"<td>{escape(rule.pack)}</td><td>{escape(rule.description)}</td>"
                        f"<td>{escape(scope)}</td><td>{escape(rule.path)}:{rule.line}</td>"
                        f"<td>{self.rule_docs[rule.id]:,}</td><td>{counts['lines']:,}</td>"
                        f"<td>{counts['chars']:,}</td></tr>")
        off = ""
        if self.settings.disable_rules:
            names = ", ".join(f"<code>{escape(rule_id)}</code>" for rule_id in self.settings.disable_rules)
            off = f'<p class="note">Switched off for this run (--disable-rule): {names}.</p>'
        return ('<section id="all-rules"><h2>Rules</h2><table class="rules"><tr><th>id</th><th>pack</th>'
                '<th>description</th><th>scope</th><th>defined at</th><th>documents</th><th>lines</th>'
                f'<th>characters</th></tr>{"".join(rows)}</table>{off}</section>')


def _fold(kept: list[str], shown: int = 2) -> list[str]:
    """A run of kept lines: the first and last `shown`, the middle folded into a <details>."""
    if len(kept) <= 2 * shown + 1:
        return kept
    middle = kept[shown:-shown]
    return [*kept[:shown], f'<details class="fold"><summary>{len(middle):,} kept lines</summary>'
            f'{"".join(middle)}</details>', *kept[-shown:]]


def _invert(text: str) -> str:
    """A key that orders strings in reverse, for tie-breaking inside a min-heap."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def _empty_section(anchor: str, title: str, message: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2><p class="empty">{escape(message)}</p></section>'


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3f}".rstrip("0").rstrip(".")


def hbar_chart(rows: list[tuple[str, float, str | None]], unit: str, chart_id: str) -> str:
    """A horizontal bar chart as inline SVG; a label with an href links (e.g. to its rule)."""
    if not rows or not any(value for _, value, _ in rows):
        return f'<p class="empty" id="{chart_id}">Nothing to show.</p>'
    label_w, bar_w, row_h = 240, 440, 22
    top = max(value for _, value, _ in rows)
    height = row_h * len(rows) + 8
    parts = [f'<svg class="chart" id="{chart_id}" role="img" aria-label="{escape(unit)}" '
             f'viewBox="0 0 {label_w + bar_w + 90} {height}" width="{label_w + bar_w + 90}" height="{height}">']
    for i, (label, value, href) in enumerate(rows):
        y = 4 + i * row_h
        width = max(1.0, bar_w * value / top) if value else 0.0
        text = f'<text class="label" x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label[:36])}</text>'
        if href:
            text = f'<a href="{escape(href)}">{text}</a>'
        parts.append(f'{text}<rect class="bar" x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}">'
                     f'<title>{escape(label)}: {_number(value)} {escape(unit)}</title></rect>'
                     f'<text class="value" x="{label_w + width + 6:.1f}" y="{y + 15}">{_number(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(bins: list[int], threshold: float | None, chart_id: str) -> str:
    """A histogram of scores in [0, 1] as inline SVG, with the threshold (when set) as a marked line."""
    if not any(bins):
        return f'<p class="empty" id="{chart_id}">No scored documents.</p>'
    left, width, height, bottom = 50, 640, 220, 30
    top = max(bins) * 1.12  # room for the count above the tallest bar
    step = width / len(bins)
    parts = [f'<svg class="chart" id="{chart_id}" role="img" aria-label="MT score histogram" '
             f'viewBox="0 0 {left + width + 30} {height + bottom + 20}" width="{left + width + 30}" '
             f'height="{height + bottom + 20}">',
             f'<line class="axis" x1="{left}" y1="{height + 10}" x2="{left + width}" y2="{height + 10}"/>']
    for i, count in enumerate(bins):
        bar = height * count / top
        low, high = i / len(bins), (i + 1) / len(bins)
        parts.append(f'<rect class="bar" x="{left + i * step + 1:.1f}" y="{height + 10 - bar:.1f}" '
                     f'width="{step - 2:.1f}" height="{bar:.1f}"><title>{low:.2f}–{high:.2f}: {count:,} '
                     f'documents</title></rect>')
        if count:
            parts.append(f'<text class="value" x="{left + (i + 0.5) * step:.1f}" y="{height + 6 - bar:.1f}" '
                         f'text-anchor="middle">{count:,}</text>')
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = left + tick * width
        parts.append(f'<text class="tick" x="{x:.1f}" y="{height + 26}" text-anchor="middle">{tick:g}</text>')
    if threshold is not None:
        x = left + threshold * width
        parts.append(f'<line class="threshold" x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height + 10}"/>'
                     f'<text class="threshold-label" x="{x + 4:.1f}" y="14">threshold {threshold:g}</text>')
    parts.append(f'<text class="tick" x="{left + width / 2}" y="{height + bottom + 16}" text-anchor="middle">'
                 'document MT score</text></svg>')
    return "".join(parts)


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
main{max-width:1040px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:16px 0}h2{font-size:18px;margin:0 0 10px}h3{font-size:14px;margin:12px 0 6px}
section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:16px 20px;margin:14px 0}
nav a{margin-right:12px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:12px}
.card{border:1px solid #dde1e8;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:20px}.card span{color:#5b6475}
.chart .bar{fill:#3d7bd9}.chart .label,.chart .value,.chart .tick{font-size:12px;fill:#1d2433}
.chart a .label{fill:#1f5fbf;text-decoration:underline}
.chart .axis{stroke:#888}.chart .threshold{stroke:#d43c3c;stroke-width:2;stroke-dasharray:5 3}
.chart .threshold-label{fill:#d43c3c;font-size:12px}
.note,.empty{color:#5b6475}.warn{background:#fff4e5;border:1px solid #f0c27a;padding:8px 12px;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e6e8ee;padding:4px 6px;
text-align:left;vertical-align:top}tr:target{background:#fff6bf}
.doc{border-top:1px solid #e6e8ee;padding:8px 0}.doc h3{margin:4px 0}.facts{color:#5b6475;margin-bottom:6px}
.doc p{margin:2px 0;padding:2px 6px}.removed{background:#fdecec;border-left:3px solid #d43c3c}
.removed del{color:#8a2b2b}.moved{background:#fff6e0;border-left:3px solid #c98a12}
.moved del{text-decoration:none;color:#6b4a06}.fold summary{color:#5b6475;cursor:pointer;padding:2px 6px}
.moved .rule{background:#c98a12}
.rule{display:inline-block;font:12px monospace;background:#d43c3c;color:#fff;
border-radius:3px;padding:0 5px;margin-right:6px;text-decoration:none}
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cleaner run report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{style}</style></head>
<body><main><h1>cleaner run report</h1>
<nav><a href="#documents">documents</a><a href="#rules">rules</a><a href="#mt">machine translation</a>
<a href="#dedup">duplicates</a><a href="#languages">languages</a><a href="#time">time</a>
<a href="#sample">sample</a><a href="#all-rules">rule list</a></nav>
{body}
</main></body></html>
"""
