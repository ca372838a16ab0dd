"""The ceiling of cutting fused sentences: bs4's F1 if every unit of a page flattened onto one line were cut exactly
where the gold article starts or stops (docs/extraction.md, "The ceiling of cutting fused sentences").

    python benchmarks/ceiling_fused_sentences.py [--fold-salt S] [--min-run N]

A page that BeautifulSoup flattened onto one line is classified sentence by sentence, and a headline, byline or photo
credit runs into the article's first sentence ("... 18 Nov 2019, 19:11 A HUNTER who killed ..."). This oracle marks
each word of a unit as the article's when a 4-gram of the gold body covers it, merges runs shorter than `--min-run`
words into the run before them, and cuts the unit between the runs (the menu-prefix cut then runs on each piece, as it
does on each sentence). It replaces `cleaner.lines._split_menu_prefix`, the one place where a unit is cut when
classifying, for this process only. The line models are the cross-validated ones of `eval_extraction.py` (folds by
site), so the first row is that script's bs4 row. Exits with a message when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "benchmarks")]

import train_lines  # noqa: E402
from eval_extraction import page_counts, run_dirty, scores  # noqa: E402

import cleaner.lines  # noqa: E402
from cleaner.junk import RemoveJunk  # noqa: E402
from cleaner.rules import load_rules  # noqa: E402

_TOKEN = re.compile(r"\w+")
_MENU_PREFIX_CUT = cleaner.lines._split_menu_prefix


def gold_grams(gold: str) -> set[tuple[str, ...]]:
    tokens = _TOKEN.findall(gold)
    return {tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)}


def oracle_cut(sentence: str, grams: set[tuple[str, ...]], min_run: int) -> list[str]:
    """`sentence` cut between its runs of article and other words (runs under `min_run` words join the one before)."""
    words = sentence.split(" ")
    tokens = [(index, token) for index, word in enumerate(words) for token in _TOKEN.findall(word)]
    article = [False] * len(words)
    for i in range(len(tokens) - 3):
        if tuple(token for _, token in tokens[i:i + 4]) in grams:
            for index, _ in tokens[i:i + 4]:
                article[index] = True
    runs: list[list[int]] = []  # [start, end) of each run of words alike
    for index, inside in enumerate(article):
        if runs and inside == article[runs[-1][0]]:
            runs[-1][1] = index + 1
        else:
            runs.append([index, index + 1])
    merged: list[list[int]] = []
    for start, end in runs:
        if merged and end - start < min_run:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    runs = merged
    return [piece for start, end in runs for piece in _MENU_PREFIX_CUT(" ".join(words[start:end]))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fold-salt", default="", help="another split of the pages into folds (as eval_extraction.py)")
    parser.add_argument("--min-run", type=int, default=5, help="shortest run of words cut off on its own (default 5)")
    args = parser.parse_args(argv)
    data = train_lines.DATA
    if not (data / "ground-truth.json").exists() or not (data / "dirty" / "bs4.jsonl").exists():
        print(f"benchmark data not found at {data}: nothing to measure (see ../shared/data/README.md)")
        return 0
    gold = {key: value.get("articleBody") or "" for key, value in
            json.loads((data / "ground-truth.json").read_text(encoding="utf-8")).items()}
    dirty = train_lines.dirty_texts(data)
    groups = train_lines.sites(data)
    _, pages = train_lines.load_pages(data, dirty)
    models = train_lines.cross_validated_models(pages, gold, salt=args.fold_salt, groups=groups)
    junk = RemoveJunk(load_rules([], True)[0])
    for name in ("as shipped", "oracle cuts"):
        rows = []
        for key, text in dirty["bs4"].items():
            grams = gold_grams(gold[key])
            cleaner.lines._split_menu_prefix = (_MENU_PREFIX_CUT if name == "as shipped" else
                                                lambda sentence, grams=grams: oracle_cut(sentence, grams, args.min_run))
            model = models[train_lines.fold_of(groups.get(key, key), salt=args.fold_salt)]
            rows.append(page_counts(gold[key], run_dirty(text, junk, model)))
        precision, recall, f1 = scores(rows)
        print(f"bs4, {name:<12} precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}")
    cleaner.lines._split_menu_prefix = _MENU_PREFIX_CUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
