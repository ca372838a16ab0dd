"""Fit the line classifier (cleaner/lines.py) on flattened pages aligned to their gold article bodies.

    python scripts/train_lines.py                      # fit on the scrapinghub dirty texts, cross-validate, save
    python scripts/train_lines.py --data DIR --out F   # your own data, same layout

The data folder holds `ground-truth.json` ({key: {"articleBody": ...}}) and `dirty/*.jsonl`
({"key", "text"}): each page flattened to text. A line is labelled article when most of its word
4-grams (or, for lines under four words, its whole word sequence) occur in the gold body.
Each line goes through the same stages as in `cleaner clean` first (decoding, the junk rules),
so the model learns on what it will see: the lines the rules kept, and those only a shape rule
(`cleaner.lines.SOFT_RULES`) claimed, with that rule as a feature. Cross-validation folds group the pages by key, so the
flavours of one page (html_text, bs4) are never split between fitting and testing, or by site (`sites`), so
that the pages of one site are not either. Synthetic pages of a
short article under a run of menus, cut from the fitting pages, are added to them (`menu_pages`), and so are
a third of the pages flattened one text node per line, when the data folder has their HTML (`text_node_pages`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import xxhash
from selectolax.lexbor import LexborHTMLParser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaner.boilerplate import site_of  # noqa: E402
from cleaner.document import Document  # noqa: E402
from cleaner.encoding import Decode  # noqa: E402
from cleaner.junk import RemoveJunk  # noqa: E402
from cleaner.lines import MODEL_FILE, LineModel, candidates  # noqa: E402
from cleaner.markup import StripMarkup  # noqa: E402
from cleaner.reflow import JoinBrokenLines  # noqa: E402
from cleaner.rules import load_rules  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "extraction" / "scrapinghub"
FOLDS = 5
MENU_PAGE_LINES, MENU_PAGE_MIN, MENU_PAGE_EVERY = 100, 60, 4  # see `menu_pages`
TEXT_NODES, TEXT_NODE_EVERY = "text_nodes", 3  # the flavour name and share of `text_node_pages`
_TOKEN = re.compile(r"\w+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def label_lines(lines: list[str], gold: str) -> np.ndarray:
    """1 for each line that belongs to the gold article body, else 0."""
    gold_tokens = _tokens(gold)
    grams = {tuple(gold_tokens[i:i + 4]) for i in range(len(gold_tokens) - 3)}
    joined = " " + " ".join(gold_tokens) + " "
    labels = np.zeros(len(lines))
    for i, line in enumerate(lines):
        tokens = _tokens(line)
        if len(tokens) >= 4:
            mine = [tuple(tokens[k:k + 4]) for k in range(len(tokens) - 3)]
            labels[i] = sum(g in grams for g in mine) >= 0.5 * len(mine)
        elif tokens:
            labels[i] = f" {' '.join(tokens)} " in joined
    return labels


def prepare(text: str, junk: RemoveJunk, reflow: bool = False) -> Document:
    """A text document after the stages that run before the line classifier in `cleaner clean` (decoding,
    reflow only if `reflow`, markup, the junk rules).

    The model is fitted on lines as the flatteners left them, and `cleaner clean` joins broken lines
    (`cleaner.reflow`) before it classifies them. Fitted on joined lines instead, cross-validated F1
    was no better (0.8920 / 0.8742 on html_text / bs4, against 0.9002 / 0.8844 fitted on the lines as
    they were), and the refitted trees moved pages with no joined line by up to 0.7 F1 either way.
    """
    doc = Document(id="page", source="page", raw=text, format="text")
    for stage in (Decode(), JoinBrokenLines(), StripMarkup(), junk) if reflow else (Decode(), StripMarkup(), junk):
        if doc.dropped is None:
            stage.process(doc)
    return doc


def dirty_texts(data: Path) -> dict[str, dict[str, str]]:
    """{flavour: {key: flattened page}} of every file under dirty/ (html_text, bs4)."""
    return {path.stem: {record["key"]: record["text"] for record in
                        map(json.loads, path.read_text(encoding="utf-8").splitlines())}
            for path in sorted((data / "dirty").glob("*.jsonl"))}


def text_nodes(html: bytes) -> str:
    """The page flattened one text node per line, as many scrapers do (`get_text("\\n")`): unlike html_text
    and bs4, an inline element (a link, a bold word) breaks its sentence across lines."""
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript"):
        node.decompose()
    text = (tree.body or tree.root).text(separator="\n") if tree.root is not None else ""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def text_node_pages(data: Path, every: int = TEXT_NODE_EVERY) -> dict[str, str]:
    """{key: `text_nodes` of the page} for every `every`-th page of `data`/html/ (by a hash of its key).

    The two dirty flavours join a page's text nodes with a newline per block (html_text) or put it on one
    line (bs4); a model fitted on them alone read a page flattened one text node per line at 0.870 F1 with
    folds by site (mean of three splits). With a third of the pages so flattened among the training pages
    it reads them at 0.884, and html_text and bs4 lose 0.002 (docs/extraction.md)."""
    return {path.name.removesuffix(".html.gz"): text_nodes(gzip.decompress(path.read_bytes()))
            for path in sorted((data / "html").glob("*.html.gz"))
            if xxhash.xxh64_intdigest(("text-nodes" + path.name.removesuffix(".html.gz")).encode()) % every == 0}


def load_pages(data: Path, texts: dict[str, dict[str, str]] | None = None
               ) -> tuple[dict[str, str], list[tuple[str, str, Document]]]:
    """(gold bodies by key, [(key, flavour, prepared document)]) of every dirty text (`texts`, when the
    caller already read `dirty_texts`) and of the `text_node_pages`."""
    gold = {key: value.get("articleBody") or "" for key, value in
            json.loads((data / "ground-truth.json").read_text(encoding="utf-8")).items()}
    rules, _ = load_rules([], True)
    junk = RemoveJunk(rules)
    texts = {**(dirty_texts(data) if texts is None else texts), TEXT_NODES: text_node_pages(data)}
    pages = [(key, flavour, prepare(text, junk)) for flavour, by_key in sorted(texts.items())
             for key, text in by_key.items()]
    return gold, pages


def fold_of(group: str, folds: int = FOLDS, salt: str = "") -> int:
    """The fold of a page's group (its key, or its site: see `sites`), from a hash: stable, and independent
    of the order of the data. Another `salt` gives another split of the pages into folds: a refitted model
    moves F1 by up to 0.01 from one split to another, so a change is judged on more than one."""
    return xxhash.xxh64_intdigest((salt + group).encode()) % folds


def sites(data: Path) -> dict[str, str]:
    """{key: site} of the pages in ground-truth.json: the host of its URL without "www.", or the key when it
    has none. 55 of the 181 benchmark pages share a site with another page; folds by key put such pairs on
    both sides, and a model that learns a site's menus and footers scores better there than on a site it never
    saw (html_text 0.01 F1, bs4 0.007 in cross-validation)."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    return {key: site_of(value.get("url") or "") or key for key, value in truth.items()}


def fit(pages: list[tuple[str, str, Document]], gold: dict[str, str]) -> LineModel:
    """A model fitted on the units the classifier sees in `pages` (see `cleaner.lines.candidates`),
    menu prefixes left on (see `cleaner.lines.MENU_PREFIX_WORDS`)."""
    kept = [(key, candidates(doc.annotated, cut_menus=False)) for key, _, doc in pages if doc.dropped is None]
    docs = [[text for _, text, _ in pieces] for _, pieces in kept]
    soft = [[flag for _, _, flag in pieces] for _, pieces in kept]
    labels = [label_lines(lines, gold[key]) for lines, (key, _) in zip(docs, kept, strict=True)]
    extra = menu_pages(docs, labels, soft)
    return LineModel.fit(docs + extra[0], labels + extra[1], soft=soft + extra[2])


def menu_pages(docs: list[list[str]], labels: list[np.ndarray], soft: list[list[int]]
               ) -> tuple[list[list[str]], list[np.ndarray], list[list[int]]]:
    """Synthetic pages of a short article under a long run of menus, made from every MENU_PAGE_EVERY-th page
    with at least MENU_PAGE_MIN short boilerplate lines: its first MENU_PAGE_LINES of them, its first three
    article lines of at least eight words, and its last three short boilerplate lines (with their labels and
    soft-rule flags).

    On such a page the first layer leaves every line under 1/2, and whether the trees then keep the article
    or drop it with the menus turned on chance: refits after unrelated rule changes flipped it (see
    `test_line_classifier_finds_a_short_article_on_a_page_of_menus`). With these pages among the training
    pages the trees see the case every time."""
    out: tuple[list[list[str]], list[np.ndarray], list[list[int]]] = ([], [], [])
    for lines, y, flags in list(zip(docs, labels, soft, strict=True))[::MENU_PAGE_EVERY]:
        menu = [i for i, line in enumerate(lines) if not y[i] and len(line.split()) < 5]
        body = [i for i, line in enumerate(lines) if y[i] and len(line.split()) >= 8]
        if len(menu) < MENU_PAGE_MIN or len(body) < 3:
            continue
        chosen = menu[:MENU_PAGE_LINES] + body[:3] + menu[-3:]
        out[0].append([lines[i] for i in chosen])
        out[1].append(y[chosen])
        out[2].append([flags[i] for i in chosen])
    return out


def cross_validated_models(pages: list[tuple[str, str, Document]], gold: dict[str, str], folds: int = FOLDS,
                           salt: str = "", groups: dict[str, str] | None = None) -> dict[int, LineModel]:
    """For each fold (see `fold_of`), a model fitted on the pages of all the other folds; pages are grouped
    into folds by `groups[key]` (for example their `sites`), or by key."""
    groups = groups or {}
    return {fold: fit([p for p in pages if fold_of(groups.get(p[0], p[0]), folds, salt) != fold], gold)
            for fold in range(folds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with ground-truth.json and dirty/*.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "cleaner" / "models" / MODEL_FILE)
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").exists():
        print(f"no training data at {args.data}: nothing to fit", file=sys.stderr)
        return 2
    start = time.perf_counter()
    gold, pages = load_pages(args.data)
    model = fit(pages, gold)
    sources = {flavour: f"{args.data.name}/dirty/{flavour}.jsonl" for _, flavour, _ in pages}
    if TEXT_NODES in sources:
        sources[TEXT_NODES] = f"{args.data.name}/html/ (text nodes of one page in {TEXT_NODE_EVERY})"
    model.meta = {"trained_on": sorted(sources.values()),
                  "pages": len({key for key, _, _ in pages}), "documents": len(pages)}
    model.save(args.out)
    print(f"fitted on {len(pages)} documents in {time.perf_counter() - start:.1f} s; saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
