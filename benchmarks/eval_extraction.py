"""Main-content quality on the scrapinghub article-extraction benchmark, in its own metric.

    python benchmarks/eval_extraction.py [--data DIR] [--skip-pipeline] [--fold-salt S] [--folds-by site|page]

Prints one table: precision, recall and F1 over multisets of 4-word shingles, averaged over
pages as the benchmark's evaluate.py does, and documents per second, for
- our HTML path (decoding, selectolax pre-pass, trafilatura, the junk rules) on html/*.html.gz;
- trafilatura alone, called as the benchmark calls it (`extract(html, include_comments=False)`);
- our dirty-text path (decoding, reflow, junk rules, line classifier) on dirty/html_text.jsonl and
  dirty/bs4.jsonl, cross-validated: each page is cleaned by a model fitted on the other folds'
  pages (folds group a page's flavours together, and by default the pages of one site: a model scores
  better on a site whose other pages it was fitted on);
- the raw dirty texts;
- every text node of the page on its own line (what BeautifulSoup's `get_text("\\n")` gives; a third of
  the pages so flattened are among the training pages), cleaned by the same cross-validated models;
- flattenings no model here was fitted on, as a check that the line model generalises: the html_text
  pages hard-wrapped at 72 columns (as `fmt`, html2text and `lynx -dump` leave text), and the pages as
  inscriptis, and six tools that write Markdown or each link's address, flattened them (outputs/,
  `UNSEEN_FLATTENERS`), cleaned by the same models;
- text that seven main-content extractors (two of them writing Markdown) already chose (outputs/NAME.json):
  raw, through the dirty-text path (cross-validated models), and with `--preset extracted` (no line model,
  no shape rules).
Then the whole `cleaner clean` pipeline (shipped model, all stages) on dirty/html_text.jsonl:
its F1 and its throughput. The shipped model was fitted on all of these pages, so that F1 is
an in-sample figure; the cross-validated rows are the honest estimate.
Exits with a message when the data is absent.

Another benchmark laid out the same way (`--data DIR`: ground-truth.json with `articleBody` and `url` per key,
html/KEY.html.gz; dirty/*.jsonl and outputs/ if it has them) is read the same way. On pages the shipped line
model never saw, `--shipped-model` cleans the dirty texts with it instead of refitting models on the pages
themselves: that is the figure a user's own pages should expect. It is the default when DIR has no dirty/
texts, and then the dirty-text rows are the text nodes of each page, flattened here.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
import train_lines  # noqa: E402

from cleaner.config import PRESETS  # noqa: E402
from cleaner.document import Document  # noqa: E402
from cleaner.encoding import Decode  # noqa: E402
from cleaner.extract import ExtractHtml  # noqa: E402
from cleaner.junk import RemoveJunk  # noqa: E402
from cleaner.lines import VERSION, ClassifyLines, LineModel  # noqa: E402
from cleaner.pipeline import clean, load_run_rules  # noqa: E402
from cleaner.rules import load_rules  # noqa: E402
from cleaner.settings import Settings  # noqa: E402

_TOKEN = re.compile(r"\w+")


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def page_counts(gold: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of one page over shingle multisets, normalised to sum to one."""
    true, pred = _shingles(gold), _shingles(predicted)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def scores(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision and recall averaged over pages, and the F1 of those averages (the benchmark's way)."""
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*r) for r in rows if r[0] + r[1] > 0)
    r = statistics.mean(recall(*r) for r in rows if r[0] + r[2] > 0)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def hard_wrapped(text: str, width: int = 72) -> str:
    """A flattened page hard-wrapped at `width` columns, as `fmt`, html2text and `lynx -dump` leave text: each
    paragraph breaks wherever the width falls, before a capital as often as not."""
    return "\n".join(piece for line in text.split("\n") for piece in (textwrap.wrap(line, width) or [""]))


# Main-content extractors whose outputs for the same pages the benchmark ships (outputs/NAME.json): text that
# an extractor already chose, as users feed it to `cleaner clean` (see `--preset extracted`).
EXTRACTORS = ("trafilatura", "readability", "AutoExtract", "news_please", "goose3",
              "dom_smoothie", "readabilityrs")  # the last two write Markdown (see cleaner/markup.py)
# Whole pages, flattened by tools the line model never saw: as plain text (inscriptis), and as Markdown or text with
# each link's address (html2text, html2text's Rust port, fast_html2md, mdka, nanohtml2text, august; see
# cleaner/markup.py).
UNSEEN_FLATTENERS = ("inscriptis", "html2text", "html2text_rs", "fast_html2md", "mdka", "nanohtml2text", "august")


def extractor_output(data: Path, name: str, keys: list[str]) -> dict[str, str] | None:
    """{key: article body} of what extractor `name` returned for each page ("" where it returned nothing)."""
    path = data / "outputs" / f"{name}.json"
    if not path.exists():
        return None
    output = json.loads(path.read_text(encoding="utf-8"))
    output = output.get("output", output)  # the benchmark's files wrap the outputs with the extractor's version
    return {key: (output.get(key) or {}).get("articleBody") or "" for key in keys}


def run_dirty(text: str, junk: RemoveJunk, model: LineModel | None) -> str:
    """Our dirty-text path on one text: the stages `cleaner clean` runs on text input, with the line classifier
    `model` (None: without it, as under `--preset extracted`)."""
    doc = train_lines.prepare(text, junk, reflow=True)
    if doc.dropped is None and model is not None:
        ClassifyLines(model, junk).process(doc)
    return doc.text if doc.dropped is None else ""


def run_html(pages: dict[str, bytes], junk: RemoveJunk) -> str:
    """Our HTML path on one page: the per-document stages `cleaner clean` runs on HTML."""
    doc = Document(id="page", source="page", raw=pages, format="html")
    for stage in (Decode(), ExtractHtml(timeout=30.0), junk):
        if doc.dropped is None:
            stage.process(doc)
    return doc.text if doc.dropped is None else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=train_lines.DATA)
    parser.add_argument("--skip-pipeline", action="store_true", help="leave out the whole-pipeline run")
    parser.add_argument("--fold-salt", default="", help="another split of the pages into cross-validation folds "
                        "(the keys are hashed with this prefix)")
    parser.add_argument("--shipped-model", action="store_true",
                        help="clean the dirty texts with the shipped line model, not models cross-validated on "
                        "these pages (the default when DIR has no dirty/*.jsonl)")
    parser.add_argument("--folds-by", choices=("site", "page"), default="site",
                        help="group the pages into folds by site (default: no site is on both sides) or by page")
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").exists() or not (args.data / "html").is_dir():
        print(f"benchmark data not found at {args.data}: nothing to evaluate (see ../shared/data/README.md)")
        return 0
    gold = {k: v.get("articleBody") or "" for k, v in
            json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8")).items()}
    keys = sorted(gold)
    table: list[tuple[str, tuple[float, float, float], float]] = []

    raw_html = {k: gzip.decompress((args.data / "html" / f"{k}.html.gz").read_bytes()) for k in keys}
    texts = {k: raw_html[k].decode("utf-8", errors="replace") for k in keys}
    rules, _ = load_rules([], True)
    junk = RemoveJunk(rules)
    systems = {"ours": lambda k: run_html(raw_html[k], junk),
               "trafilatura": lambda k: trafilatura.extract(texts[k], include_comments=False) or ""}
    # One untimed pass first: the first page of a language costs up to 0.5 s of one-off set-up (imports,
    # regex caches, metadata parsing for that language), which a real run spreads over thousands of pages
    # but which was a tenth of this 181-page timing and swung the ratio of the two systems by 20%.
    for key in keys:
        for system in systems.values():
            system(key)
    outputs: dict[str, dict[str, str]] = {name: {} for name in systems}
    seconds: Counter[str] = Counter()
    for key in keys:  # interleaved page by page, so that load from other processes hits both alike
        for name, system in systems.items():
            start = time.perf_counter()
            outputs[name][key] = system(key)
            seconds[name] += time.perf_counter() - start
    table.append(("our HTML path (html/*.html.gz)",
                  scores([page_counts(gold[k], outputs["ours"][k]) for k in keys]), len(keys) / seconds["ours"]))
    table.append((f"trafilatura {trafilatura.__version__} alone, defaults",
                  scores([page_counts(gold[k], outputs["trafilatura"][k]) for k in keys]),
                  len(keys) / seconds["trafilatura"]))

    dirty = dict(sorted(train_lines.dirty_texts(args.data).items(), reverse=True))  # html_text, then bs4
    if args.shipped_model or not dirty:
        shipped = LineModel.load()
        model_of, how = {key: shipped for key in keys}, f"shipped model {shipped.meta.get('version', VERSION)}"
    else:
        _, pages = train_lines.load_pages(args.data, dirty)
        groups = train_lines.sites(args.data) if args.folds_by == "site" else {}
        models = train_lines.cross_validated_models(pages, gold, salt=args.fold_salt, groups=groups)
        model_of = {key: models[train_lines.fold_of(groups.get(key, key), salt=args.fold_salt)] for key in keys}
        how = f"5-fold CV by {args.folds_by}"
    dirty["text nodes"] = {key: train_lines.text_nodes(raw_html[key]) for key in keys}
    if "html_text" in dirty:
        dirty["wrapped at 72, unseen"] = {key: hard_wrapped(text) for key, text in dirty["html_text"].items()}
    for name in UNSEEN_FLATTENERS:
        flattened = extractor_output(args.data, name, keys)
        if flattened is not None:
            dirty[f"{name}'s output, unseen"] = flattened
    for flavour, texts_of in dirty.items():
        rows, start = [], time.perf_counter()
        for key, text in texts_of.items():
            rows.append(page_counts(gold[key], run_dirty(text, junk, model_of[key])))
        table.append((f"our dirty-text path, {flavour} ({how})", scores(rows),
                      len(texts_of) / (time.perf_counter() - start)))
        table.append((f"raw dirty text, {flavour}",
                      scores([page_counts(gold[key], text) for key, text in texts_of.items()]), float("inf")))

    extracted = RemoveJunk(load_run_rules(Settings(**PRESETS["extracted"]))[0])  # the preset's rules
    for name in EXTRACTORS:
        texts_of = extractor_output(args.data, name, keys)
        if texts_of is None:
            continue
        rows, preset = [], []
        for key, text in texts_of.items():
            rows.append(page_counts(gold[key], run_dirty(text, junk, model_of[key])))
            preset.append(page_counts(gold[key], run_dirty(text, extracted, None)))
        table.append((f"{name}'s output, raw", scores([page_counts(gold[k], t) for k, t in texts_of.items()]),
                      float("inf")))
        table.append((f"{name}'s output, dirty-text path ({how})", scores(rows), float("inf")))
        table.append((f"{name}'s output, --preset extracted", scores(preset), float("inf")))

    print(f"{'system':<70} {'precision':>9} {'recall':>7} {'F1':>7} {'docs/s':>8}")
    for name, (p, r, f1), speed in table:
        shown = "-" if speed == float("inf") else f"{speed:.1f}"
        print(f"{name:<70} {p:>9.4f} {r:>7.4f} {f1:>7.4f} {shown:>8}")

    if not args.skip_pipeline and (args.data / "dirty" / "html_text.jsonl").is_file():
        whole_pipeline(args.data, gold)
    return 0


def whole_pipeline(data: Path, gold: dict[str, str]) -> None:
    """F1 and throughput of `cleaner clean` (every stage) on dirty/html_text.jsonl.

    Twice: with the shipped line model, which was fitted on these pages (an in-sample F1), and
    without it (`--no-lines`: rules, corpus boilerplate and the other stages, none fitted here).
    """
    source = data / "dirty" / "html_text.jsonl"
    keys = {f"{source.name}:{i + 1}": json.loads(line)["key"]
            for i, line in enumerate(source.read_text(encoding="utf-8").splitlines())}
    size = source.stat().st_size / 1e6
    print(f"\nwhole `cleaner clean` on {source.name}:")
    for label, settings in (("default (shipped line model: FITTED ON THESE PAGES, in-sample)", Settings()),
                            ("--no-lines (nothing fitted on these pages)", Settings(lines=False))):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            stats = clean([source], Path(tmp), settings)
            seconds = time.perf_counter() - start
            records = [json.loads(line) for line in (Path(tmp) / "clean.jsonl").read_text().splitlines()]
        texts = {r["id"]: r["text"] for r in records}
        p, r, f1 = scores([page_counts(gold[key], texts.get(doc_id, "")) for doc_id, key in keys.items()])
        print(f"  {label}:\n    precision {p:.4f}  recall {r:.4f}  F1 {f1:.4f}  |  {stats['documents_in']} docs in "
              f"{seconds:.1f} s = {stats['documents_in'] / seconds:.1f} docs/s, {size / seconds:.2f} MB/s "
              f"(dropped: {stats['dropped']}; flagged as MT: {sum(rec['mt_flagged'] for rec in records)})")


if __name__ == "__main__":
    sys.exit(main())
