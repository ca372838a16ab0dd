"""Fit the machine-translation scorer and write it to cleaner/models/mt.npz.

    pip install -e '.[train]' && python scripts/train_mt.py
    python scripts/train_mt.py --thresholds-only   # keep the fitted weights, choose thresholds again
    python scripts/train_mt.py --out PATH          # write the model elsewhere (scripts/check_models.py)

Data: `../shared/data/mt/htmt/train/` (WMT08-18 news, German-English), read at run time; the
language model behind the fluency features is trained on `org_en_*` (written in English). Three
logistic regressions (scikit-learn), combined in `cleaner/mt.py`:

- style and fluency: human translations `trans_en_*` (label 0: the hard negatives, since the target is
  machine translation, not translationese) against DeepL and Google translations `org_de_*` of the same
  German sentences (label 1), and native `org_en_*` (label 0) against its round-trip `trans_de_*`
  (label 1). Without the native pair, plain native English scored as MT. The gold article bodies of
  `../shared/data/extraction/scrapinghub/` (native news from many sites) are negatives too: without
  them, fluent web news read sentence by sentence scored as MT. Units are single sentences
  and runs of 2-12 consecutive sentences (documents are in file order). Features are cross-fitted by
  year: a unit of year Y is scored by a language model trained without year Y, so the classifier
  learns how *unseen* native text looks; the shipped language model is trained on all years;
- the document combiner, over `cleaner.mt.document_features` (the style evidence of the sentences,
  lexical variety, repeated content words, variation of sentence length) of pseudo-documents: runs of
  DOCUMENT_SIZES consecutive training sentences of one file, and each web page whole. Their sentences
  are read with out-of-fold log-odds: the style model is refitted five times, each time without a fold
  (a fifth of the WMT years and of the web pages, by site), so the combiner sees how the style model judges
  text it was not fitted on. The same five fits give the held-out check of native web pages flagged;
- artifacts: counts of the artifact kinds, synthetic positives (native units corrupted with the
  artifacts aggregator MT shows, `corrupt`) against every unit of train/ (native, human translation,
  MT and round-trip MT, which neural MT leaves almost free of artifacts).

Thresholds are chosen on `dev/` (sentences) and `docs-dev/` (documents): the lowest threshold whose
precision reaches the stated precision on both engines, since a false positive throws away good native
text. Nothing is fitted on dev. Deterministic: fixed seeds, sorted inputs.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import train_lines  # noqa: E402  (this script's folder is first on sys.path)

from benchmarks.eval_mt import ENGINES, HTMT, split_set  # noqa: E402
from cleaner.mt import (  # noqa: E402
    DOCUMENT_FEATURES,
    MIN_DOCUMENT_SENTENCES,
    MODEL_FILE,
    MTModel,
    document_features,
    sentences,
)
from cleaner.mtfeatures import (  # noqa: E402
    DENSE_NAMES,
    N_DENSE,
    Featurizer,
    NgramLM,
    artifact_vector,
    find_artifacts,
    split_sentences,
    squares,
    tokens,
    word_tokens,
)

VERSION = "mt-lr-8"
SEED = 13
PARAGRAPH_PRECISION = 0.8
DOCUMENT_PRECISION = 0.8
HASH_BITS = 16
C = 0.5
# Fitted to convergence (lbfgs stops at its tolerance long before this): stopped at 300 iterations, the hashed
# weights depended on where the solver happened to be, and a refit with another numpy or scikit-learn moved them
# by up to 1.4.
MAX_ITER = 5000
STYLE_KINDS = {"human-translation": 0, "native": 0, "native-web": 0, "mt-deepl": 1, "mt-google": 1, "round-trip": 1}
WEB_NEWS = ROOT.parent / "shared" / "data" / "extraction" / "scrapinghub" / "ground-truth.json"
FOLDS = 5
CHUNK_SIZES = (2, 3, 4, 6, 8, 12)
DOCUMENT_SIZES = (MIN_DOCUMENT_SENTENCES, 40)  # sentences of a pseudo-document, drawn uniformly
SYNTHETIC_SHARE = 0.3
MT_SUFFIX = {"deepl": ".deepl.en", "google": ".txt.en.google"}


def web_news() -> tuple[list[list[str]], list[int]]:
    """The sentences of each gold article body of the scrapinghub benchmark (native news from many sites), in
    key order, and the held-out fold of each: a hash of its site (URL host), so that the pages of one site
    (55 of the 181 share one) are held out together.

    WMT news is one style of English; without web news among the negatives, fluent British and
    American reporting scored like MT once documents were read sentence by sentence.
    """
    pages = json.loads(WEB_NEWS.read_text(encoding="utf-8"))
    keys = sorted(pages)
    site = train_lines.sites(WEB_NEWS.parent)
    return ([[s.strip() for line in pages[key]["articleBody"].splitlines() for s in split_sentences(line) if s.strip()]
             for key in keys], [train_lines.fold_of(site[key], FOLDS) for key in keys])


def read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def year_of(path: Path) -> int:
    return int(re.search(r"wmt(\d\d)", path.name).group(1))


def train_files() -> list[tuple[Path, str]]:
    """(file, kind) for every training file; human files are the same under both engines, so read once."""
    files = []
    for path in sorted((HTMT / "train" / "deepl").glob("*_en_*.txt")):
        files.append((path, "native" if path.name.startswith("org_en") else "human-translation"))
    for engine, suffix in MT_SUFFIX.items():
        for path in sorted((HTMT / "train" / engine).glob(f"*{suffix}")):
            files.append((path, "round-trip" if path.name.startswith("trans_de") else f"mt-{engine}"))
    return files


def units(lines: list[str], rng: random.Random) -> list[str]:
    """Every sentence, plus the file cut into runs of consecutive sentences (paragraph and document sized)."""
    out = list(lines)
    i = 0
    while i < len(lines):
        size = rng.choice(CHUNK_SIZES)
        out.append(" ".join(lines[i:i + size]))
        i += size
    return out


# --- synthetic positives -------------------------------------------------------------------------

_MODAL_BE = re.compile(r"\b(will|would|could|should|must|can|may|might) be (\w+ed)\b")
_MODAL_VERB = re.compile(r"\b(will|would|could|should|must|can|may|might) ([a-z]{3,}[^ed\W])\b")
_MID_FUNCTION = re.compile(r"(?<=[a-z,] )(the|of|and|to|for|with|from|in|on|at|by|that|this|its|their)(?= [a-z])")
_COMMA = re.compile(r"(\w), (\w)")
_SAID = re.compile(r"\b(\w{3,}) (said|says|added|told)\b")
_NAME_PAIR = re.compile(r"\b([A-Z][a-z]{3,}) ([A-Z][a-z]+)\b")


def corrupt(text: str, rng: random.Random) -> str | None:
    """`text` with one or two artifacts of aggregator MT inserted, or None when none applies."""
    def doubled(t: str) -> str | None:
        words = list(re.finditer(r"\b[a-z]{3,}\b", t))
        if not words:
            return None
        m = rng.choice(words)
        return t[:m.end()] + " " + m.group(0) + t[m.end():]

    def pattern_edit(pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> Callable[[str], str | None]:
        def edit(t: str) -> str | None:
            matches = list(pattern.finditer(t))
            if not matches:
                return None
            m = rng.choice(matches)
            return t[:m.start()] + repl(m) + t[m.end():]
        return edit

    def dangling(t: str) -> str | None:
        names = re.findall(r"\b[A-Z][a-z]{3,}\b", t[1:])
        return f"{t.rstrip()} {rng.choice(names)}." if names and t.rstrip().endswith(".") else None

    edits = [
        doubled,
        pattern_edit(_COMMA, lambda m: f"{m.group(1)}{rng.choice(['. ,', ' ,', '. ;'])} {m.group(2)}"),
        pattern_edit(_MODAL_BE, lambda m: f"{m.group(1)} {m.group(2)}"),
        pattern_edit(_MODAL_VERB, lambda m: f"{m.group(1)} {m.group(2)}{rng.choice(['ed', 'ing'])}"),
        pattern_edit(_MID_FUNCTION, lambda m: m.group(1).capitalize()),
        pattern_edit(_NAME_PAIR, lambda m: f"{m.group(0)} {m.group(1)}"),
        pattern_edit(_SAID, lambda m: f"{m.group(1)}. {m.group(2)}"),
        dangling,
    ]
    rng.shuffle(edits)
    changed = 0
    wanted = rng.choice((1, 1, 2))
    for edit in edits:
        result = edit(text)
        if result is not None:
            text, changed = result, changed + 1
            if changed == wanted:
                break
    return text if changed else None


# --- fitting -------------------------------------------------------------------------------------

def featurize(featurizer: Featurizer, texts: list[str]) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Raw dense features and hashed word n-grams of `texts`, as matrices (featurized in batches, as the stage does)."""
    batches = [featurizer.features(texts[start:start + 1000]) for start in range(0, len(texts), 1000)]
    offsets = np.cumsum([0] + [len(b.dense) for b in batches])
    rows = np.concatenate([b.rows + offset for b, offset in zip(batches, offsets, strict=False)])
    hashed = sparse.csr_matrix((np.concatenate([b.values for b in batches]),
                                (rows, np.concatenate([b.columns for b in batches]))),
                               shape=(len(texts), featurizer.hash_size))
    return np.vstack([b.dense for b in batches]), hashed


def scale_dense(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale per dense feature; the squared-LM block is filled after scaling, so it keeps (0, 1)."""
    mean, scale = dense.mean(axis=0), dense.std(axis=0)
    squared = [i for i, name in enumerate(DENSE_NAMES) if name.startswith("lm_sq:")]
    mean[squared], scale[squared] = 0.0, 1.0
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit_style(dense: np.ndarray, hashed: sparse.csr_matrix, labels: np.ndarray) -> dict[str, np.ndarray]:
    """The style model's arrays (scaling, weights, bias) fitted on raw dense features and hashed n-grams."""
    mean, scale = scale_dense(dense)
    z = (dense - mean) / scale
    squares(z)
    style = LogisticRegression(C=C, class_weight="balanced", max_iter=MAX_ITER, random_state=SEED)
    style.fit(sparse.hstack([sparse.csr_matrix(z), hashed]).tocsr(), labels)
    w = style.coef_[0]
    return {"mean": mean, "scale": scale, "w_dense": w[:N_DENSE], "w_hash": w[N_DENSE:].astype(np.float32),
            "bias": np.array(style.intercept_[0])}


def choose_threshold(per_engine: list[tuple[np.ndarray, np.ndarray]], precision: float) -> float:
    """The lowest threshold at which precision reaches `precision` on every engine (else the most precise)."""
    candidates = np.unique(np.concatenate([scores for _, scores in per_engine]))
    best, best_precision = float(candidates[-1]), 0.0
    for t in candidates:
        precisions = []
        for labels, scores in per_engine:
            flagged = scores >= t
            precisions.append((labels[flagged] == 1).mean() if flagged.sum() >= 10 else 0.0)
        if min(precisions) >= precision:
            return float(t)
        if min(precisions) > best_precision:
            best, best_precision = float(t), min(precisions)
    return best


def choose_thresholds(arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Set the paragraph threshold on dev sentences, then the document threshold on docs-dev, in `meta`."""
    model = MTModel({**arrays, "meta": np.array(json.dumps(meta))})
    sentence_sets, document_sets = [], []
    for engine in ENGINES:
        texts_dev, labels_dev = split_set("dev", engine)
        sentence_sets.append((labels_dev, np.array([model.paragraph(t).score for t in texts_dev])))
    meta["paragraph_threshold"] = choose_threshold(sentence_sets, PARAGRAPH_PRECISION)
    for engine in ENGINES:
        texts_dev, labels_dev = split_set("docs-dev", engine)
        document_sets.append((labels_dev, np.array([model.document([t]) for t in texts_dev])))
    meta["document_threshold"] = choose_threshold(document_sets, DOCUMENT_PRECISION)
    print(f"thresholds: paragraph {meta['paragraph_threshold']:.4f}, document {meta['document_threshold']:.4f}")


def rethreshold(out: Path) -> None:
    """Choose the thresholds of the shipped model again (after a change to how scores combine), without refitting."""
    with np.load(out, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files if name != "meta"}
        meta = json.loads(str(data["meta"]))
    choose_thresholds(arrays, meta)
    np.savez_compressed(out, meta=np.array(json.dumps(meta)), **arrays)


@dataclass
class Units:
    """The training units, in parallel lists: text, kind, year (0: web news), web page, source (the file or page,
    whose consecutive sentences make pseudo-documents) and whether the unit is one sentence."""

    texts: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    pages: list[int | None] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    single: list[bool] = field(default_factory=list)

    def add(self, text: str, kind: str, year: int, page: int | None, source: int, single: bool) -> None:
        for column, value in zip((self.texts, self.kinds, self.years, self.pages, self.sources, self.single),
                                 (text, kind, year, page, source, single), strict=True):
            column.append(value)


@dataclass
class Prepared:
    """What the fits need: the units, the language model, and the style rows' features, labels and folds."""

    units: Units
    news: list[list[str]]
    news_folds: list[int]  # each web page's held-out fold (see `web_news`)
    lm: NgramLM
    rows: list[int]  # the units the style model reads
    dense: np.ndarray
    hashed: sparse.csr_matrix
    labels: np.ndarray
    folds: np.ndarray  # a WMT unit's fold is its year's, a web unit's its site's


def prepare(started: float) -> Prepared:
    """Read and cut the training data, then featurize the style units, cross-fitted by year."""
    rng = random.Random(SEED)
    u = Units()
    for source, (path, kind) in enumerate(train_files()):
        lines = read_lines(path)
        for index, unit in enumerate(units(lines, rng)):
            u.add(unit, kind, year_of(path), None, source, index < len(lines))
            if kind == "native" and rng.random() < SYNTHETIC_SHARE:
                corrupted = corrupt(unit, rng)
                if corrupted is not None:
                    u.add(corrupted, "synthetic", year_of(path), None, source, False)
    news, news_folds = web_news()
    for page, lines in enumerate(news):
        for index, unit in enumerate(units(lines, rng)):
            # year 0: not in the language model's data, so featurized with the whole model
            u.add(unit, "native-web", 0, page, -1 - page, index < len(lines))
    print(f"{len(u.texts)} units: " + ", ".join(f"{k} {u.kinds.count(k)}" for k in sorted(set(u.kinds))))

    native = {year_of(path): read_lines(path) for path, kind in train_files() if kind == "native"}
    lm = NgramLM.train(s for _, lines in sorted(native.items()) for s in lines)
    rows = [i for i, k in enumerate(u.kinds) if k in STYLE_KINDS]
    fold_of = {year: i % FOLDS for i, year in enumerate(sorted(set(u.years) - {0}))} | {0: FOLDS}
    dense = np.zeros((len(rows), N_DENSE))
    order, blocks = [], []
    for fold in range(FOLDS + 1):
        # cross-fitted: a unit of year Y is scored by a language model that never saw year Y
        fold_lm = lm if fold == FOLDS else NgramLM.train(
            s for y, lines in sorted(native.items()) if fold_of[y] != fold for s in lines)
        index = [j for j, i in enumerate(rows) if fold_of[u.years[i]] == fold]
        dense[index], block = featurize(Featurizer(fold_lm, HASH_BITS), [u.texts[rows[j]] for j in index])
        order += index
        blocks.append(block)
        print(f"fold {fold}: {len(index)} units featurized ({time.perf_counter() - started:.0f}s)")
    # the folds' sparse blocks stacked, then put back in unit order (assigning rows of a sparse matrix densifies them)
    hashed = sparse.vstack(blocks).tocsr()[np.argsort(order)]
    labels = np.array([STYLE_KINDS[u.kinds[i]] for i in rows])
    folds = np.array([fold_of[u.years[i]] if u.pages[i] is None else news_folds[u.pages[i]] for i in rows])
    return Prepared(u, news, news_folds, lm, rows, dense, hashed, labels, folds)


def style_logits(style: dict[str, np.ndarray], dense: np.ndarray, hashed: sparse.csr_matrix) -> np.ndarray:
    """The style model's log-odds of featurized units (as `MTModel.paragraphs` computes them for one sentence)."""
    z = (dense - style["mean"]) / style["scale"]
    squares(z)
    return z @ style["w_dense"] + hashed @ style["w_hash"].astype(np.float64) + float(style["bias"])


def pseudo_documents(p: Prepared, logits: np.ndarray) -> tuple[list[list[float]], list[int]]:
    """`document_features` of pseudo-documents, read with out-of-fold sentence log-odds, and their labels:
    consecutive sentences of one training file, DOCUMENT_SIZES sentences long, and each web page whole. Only
    the sentences the stage reads count."""
    rng = random.Random(SEED)
    by_source: dict[int, list[int]] = {}
    for j, i in enumerate(p.rows):
        if p.units.single[i] and len(sentences(p.units.texts[i])) == 1:
            by_source.setdefault(p.units.sources[i], []).append(j)
    features, labels = [], []
    for source, members in sorted(by_source.items()):
        start = 0
        while start < len(members):
            size = len(members) if source < 0 else rng.randint(*DOCUMENT_SIZES)
            chosen = members[start:start + size]
            words = [word_tokens(tokens(p.units.texts[p.rows[j]])) for j in chosen]
            features.append(document_features(logits[chosen].tolist(), words))
            labels.append(int(p.labels[chosen[0]]))
            start += size
    return features, labels


def fit_document(features: list[list[float]], labels: list[int]) -> dict[str, np.ndarray]:
    """The document combiner's arrays: a logistic regression over standardised `document_features`."""
    x = np.array(features)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    combiner = LogisticRegression(C=1.0, class_weight="balanced", max_iter=MAX_ITER, random_state=SEED)
    combiner.fit((x - mean) / scale, labels)
    return {"doc_mean": mean, "doc_scale": scale, "w_doc": combiner.coef_[0],
            "bias_doc": np.array(combiner.intercept_[0])}


def fit_and_write(p: Prepared, started: float, out: Path) -> None:
    """Fit the style model, the document combiner on out-of-fold logits, the artifact model; choose thresholds."""
    u = p.units
    style = fit_style(p.dense, p.hashed, p.labels)
    print(f"style model fitted on {len(p.rows)} units ({time.perf_counter() - started:.0f}s)")
    held_out, logits = [], np.zeros(len(p.rows))
    for fold in range(FOLDS):
        fold_style = fit_style(p.dense[p.folds != fold], p.hashed[p.folds != fold], p.labels[p.folds != fold])
        logits[p.folds == fold] = style_logits(fold_style, p.dense[p.folds == fold], p.hashed[p.folds == fold])
        held_out.append(fold_style)
        print(f"fold {fold}: style model fitted without it ({time.perf_counter() - started:.0f}s)")
    documents, doc_labels = pseudo_documents(p, logits)
    combiner = fit_document(documents, doc_labels)
    print(f"document combiner fitted on {len(documents)} pseudo-documents: "
          + ", ".join(f"{name} {w:+.2f}" for name, w in zip(DOCUMENT_FEATURES, combiner["w_doc"], strict=True)))

    counts = np.array([artifact_vector(find_artifacts(t)) for t in u.texts])
    artifact = LogisticRegression(C=1.0, max_iter=MAX_ITER, random_state=SEED)
    artifact.fit(counts, [k == "synthetic" for k in u.kinds])
    print(f"artifact model fitted on {len(u.texts)} units ({time.perf_counter() - started:.0f}s)")

    meta = {
        "version": VERSION,
        "training_data": "htmt train/ (WMT08-18 de-en news): style model on trans_en and org_en (human) vs org_de "
                         "DeepL+Google and trans_de round-trip (machine), plus the scrapinghub gold article bodies "
                         f"(native web news, {u.kinds.count('native-web')} units); {len(p.rows)} units in all; "
                         f"document combiner on {len(documents)} pseudo-documents of the same data, read with "
                         "out-of-fold sentence log-odds; artifact model on all "
                         f"{len(u.texts)} units incl. {u.kinds.count('synthetic')} synthetic artifact positives; "
                         "language model on org_en_wmt09-18",
        "classifier": f"sklearn {sklearn.__version__} LogisticRegression: style C={C} balanced; document combiner "
                      "C=1.0 balanced; artifacts C=1.0",
        "hash_bits": HASH_BITS,
        "feature_names": DENSE_NAMES,
        "paragraph_threshold": 0.5,
        "document_threshold": 0.5,
        "threshold_rule": f"lowest threshold with precision >= {PARAGRAPH_PRECISION} (sentences) and "
                          f">= {DOCUMENT_PRECISION} (documents) on both engines",
    }
    arrays = {**style, **combiner, "w_artifact": artifact.coef_[0], "bias_artifact": np.array(artifact.intercept_[0]),
              **p.lm.to_arrays()}
    choose_thresholds(arrays, meta)
    # Native web pages flagged when their fold (a fifth of the sites and of the WMT years) was left out of the fit
    flagged = 0
    for fold, fold_style in enumerate(held_out):
        model = MTModel({**arrays, **fold_style, "meta": np.array(json.dumps(meta))})
        bodies = [body for page, body in enumerate(p.news) if p.news_folds[page] == fold]
        flagged += sum(model.document(body) >= model.document_threshold for body in bodies)
    meta["native_web_flagged_held_out"] = f"{flagged} of {len(p.news)} pages"
    print(f"native web pages flagged when held out: {meta['native_web_flagged_held_out']}")
    np.savez_compressed(out, meta=np.array(json.dumps(meta)), **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB, {time.perf_counter() - started:.0f}s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "cleaner" / "models" / MODEL_FILE)
    parser.add_argument("--thresholds-only", action="store_true",
                        help="keep the fitted weights of --out, choose its thresholds again")
    args = parser.parse_args()
    if not HTMT.is_dir():
        print(f"htmt data not found at {HTMT}")
        return 2
    if args.thresholds_only:
        rethreshold(args.out)
        return 0
    started = time.perf_counter()
    # One thread: BLAS and OpenMP sum in another order with more threads, and the fits then differ (the
    # hashed weights by up to 1.0 between 1 and 2 threads), so `check_models.py` could not compare them.
    with threadpool_limits(limits=1):
        fit_and_write(prepare(started), started, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
