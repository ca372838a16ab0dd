"""Evaluate the machine-translation scorer: htmt dev sentences, docs-dev documents, and the five seeds.

    python benchmarks/eval_mt.py [--data DIR] [--splits dev docs-dev test docs-test ...]

Prints accuracy, precision and recall at the shipped thresholds and ROC AUC, for DeepL and Google,
on `../shared/data/mt/htmt/dev/` (human translation vs machine translation of the same WMT18
sentences) and `docs-dev/` (the same at document level), then the document score of each seed
article cleaned by the full pipeline, and the MT stage's share of the pipeline's time on the
scrapinghub dirty page texts (text input). The model was fitted on htmt `train/` only; its thresholds
were chosen on dev (see `scripts/train_mt.py`). Skips with a message when the data is absent.

Any split laid out as htmt's is read the same way (`--splits`): in SPLIT/ENGINE/, the human translations
are the files `trans_en_*.txt` and the machine translations the files `org_de_*` (of any WMT year, so a
test split of other years needs no change here); a split whose name starts with "docs" holds one document
a line and is judged with the document threshold, any other one sentence a line, with the paragraph one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HTMT = ROOT.parent / "shared" / "data" / "mt" / "htmt"
SEEDS = ROOT / "fixtures" / "raw" / "seeds"
DIRTY = ROOT.parent / "shared" / "data" / "extraction" / "scrapinghub" / "dirty" / "html_text.jsonl"
ENGINES = ("deepl", "google")


def read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split_set(split: str, engine: str, data: Path = HTMT) -> tuple[list[str], np.ndarray]:
    """Texts of one htmt split and engine, with labels 1 for machine translation and 0 for human translation."""
    folder = data / split / engine
    human = [line for path in sorted(folder.glob("trans_en_*.txt")) for line in read_lines(path)]
    machine = [line for path in sorted(folder.glob("org_de_*")) for line in read_lines(path)]
    if not human or not machine:
        raise FileNotFoundError(f"{folder}: needs trans_en_*.txt (human) and org_de_* (machine) files with text")
    return human + machine, np.array([0] * len(human) + [1] * len(machine))


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties count half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = scores >= threshold
    tp = int((predicted & (labels == 1)).sum())
    return {
        "n": len(labels),
        "accuracy": float((predicted == (labels == 1)).mean()),
        "precision": tp / max(int(predicted.sum()), 1),
        "recall": tp / max(int((labels == 1).sum()), 1),
        "auc": roc_auc(labels, scores),
    }


def best_accuracy(labels: np.ndarray, scores: np.ndarray) -> float:
    """The accuracy at the best threshold for these very scores: the most that choosing the threshold alone
    could give (a ceiling, read off the evaluation data, not a result)."""
    thresholds = np.unique(scores)
    return float(((scores[None, :] >= thresholds[:, None]) == (labels == 1)).mean(axis=1).max())


def seed_scores() -> list[tuple[str, float, bool, int]]:
    """Each seed's document score, flag and number of flagged paragraphs after the full pipeline."""
    from cleaner.pipeline import clean
    from cleaner.settings import Settings
    from cleaner.write import clean_record

    records = []
    with tempfile.TemporaryDirectory() as tmp:
        clean([SEEDS], Path(tmp), Settings(), on_document=lambda d: records.append(clean_record(d)))
    return [(r["id"], r["mt_score"], r["mt_flagged"], len(r["mt_paragraphs"])) for r in records]


def stage_seconds(inputs: list[Path]) -> dict:
    """`cleaner clean` on `inputs` with default settings; its stats (seconds per stage, documents flagged)."""
    from cleaner.pipeline import clean
    from cleaner.settings import Settings

    flagged = []
    with tempfile.TemporaryDirectory() as tmp:
        stats = clean(inputs, Path(tmp), Settings(), on_document=lambda d: flagged.append(d.mt_flagged))
    return {**stats, "mt_flagged": sum(flagged)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=HTMT, help="folder of htmt splits (default: %(default)s)")
    parser.add_argument("--splits", nargs="+", default=["dev", "docs-dev"],
                        help="splits to evaluate, e.g. test docs-test (default: dev docs-dev)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from cleaner.mt import load_model

    if not args.data.is_dir():
        print(f"skipped: htmt data not found at {args.data} (it lives in ../shared/data beside the repository)")
        return 0
    model = load_model()
    print(f"model {model.meta['version']}, trained on {model.meta['training_data']}")
    print(f"thresholds: paragraph {model.paragraph_threshold:.3f} (dev sentences), "
          f"document {model.document_threshold:.3f} (docs-dev); {model.meta['threshold_rule']}")
    print(f"{'split':10} {'engine':7} {'n':>5} {'accuracy':>9} {'precision':>10} {'recall':>7} {'ROC AUC':>8} "
          f"{'best accuracy*':>15}")
    for split in args.splits:
        documents = split.startswith("docs")
        threshold = model.document_threshold if documents else model.paragraph_threshold
        for engine in ENGINES:
            if not (args.data / split / engine).is_dir():
                print(f"{split:10} {engine:7} skipped: no folder {args.data / split / engine}")
                continue
            texts, labels = split_set(split, engine, args.data)
            if documents:
                scores = np.array([model.document([t]) for t in texts])
            else:
                scores = np.array([model.paragraph(t).score for t in texts])
            m = metrics(labels, scores, threshold)
            print(f"{split:10} {engine:7} {m['n']:>5} {m['accuracy']:>9.3f} {m['precision']:>10.3f} "
                  f"{m['recall']:>7.3f} {m['auc']:>8.3f} {best_accuracy(labels, scores):>15.3f}")
    print("* at the best threshold for that split and engine alone: what a threshold could reach with these scores")
    print("\nseeds (full pipeline; 001 and 003 are machine-translated):")
    for seed, score, flagged, paragraphs in seed_scores():
        print(f"  {seed:36} mt_score {score:.4f}  flagged {str(flagged):5}  flagged paragraphs {paragraphs}")
    if DIRTY.is_file():
        stats = stage_seconds([DIRTY])
        seconds, total = stats["seconds"], stats["total_seconds"]
        print(f"\nspeed on {DIRTY.name} ({stats['documents_in']} dirty page texts, native English news): "
              f"mt {seconds.get('mt', 0):.2f}s of {total:.2f}s total ({seconds.get('mt', 0) / total:.1%}); "
              + ", ".join(f"{name} {value:.2f}s" for name, value in seconds.items())
              + f"; documents flagged as MT: {stats['mt_flagged']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
