"""Stage 3b, lines: a learned classifier of article versus boilerplate lines in flattened text.

Text a scraper flattened without a parser keeps the whole page: menus, footers, cookie
notices, lists of related headlines. Rules catch the phrases they know; this stage decides
for every remaining line from its shape and its neighbours', as jusText does for HTML blocks:
length, terminal punctuation (and a teaser's closing ellipsis), share of stop words, capitalisation,
digits and symbols, separators of menus, position in the document and repetition within it. A boilerplate
line usually sits among other boilerplate lines, so the model has two layers: a logistic
regression, then gradient-boosted trees that see its probabilities smoothed over windows of
neighbouring lines and the line's place with respect to the main block (in cross-validation on the
scrapinghub pages, trees gained about 0.01 F1 over a logistic second layer, and 500 trees instead of
150 about 0.005 more on each flavour, on three different splits of the pages into folds). The article
is one region: only lines inside the run of lines with the best net score are kept, so comments or a
second story after it do not survive on their own. The model is learned by `scripts/train_lines.py` (`fit`
below, with scikit-learn) and shipped as `cleaner/models/lines.npz`; inference needs only numpy (numba,
when installed, walks the trees faster).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .compiled import jit, numba
from .document import Document, Span
from .junk import RemoveJunk, take
from .rules import Rule, label_lines
from .stage import DocumentStage

RULE_ID = "line-classifier"
MODEL_FILE = "lines.npz"
VERSION = "lines-gbt-13"

_TOKEN = re.compile(r"\w+")
_TERMINAL = ('.', '!', '?', '…', '"', '”', '’', '»', "'", ')')
# A menu separator: one of these between spaces, or | • · after or before a space. The pattern starts at the
# separator and looks behind it for the space, so the regex engine scans for those characters: five times faster
# than starting at the space.
_SEPARATORS = re.compile(r"[|•·›»/>-](?:(?<=\s.)(?=\s)|(?<=\s[|•·])|(?<=[|•·])(?=\s))")
_DIGIT = re.compile(r"\d")
_TRUNCATED = ("…", "...", "[…]", "[...]", "…]", "...]")  # a teaser of another article
# The next two are matched on the lower-cased line: three times faster than IGNORECASE.
_DATE_OR_TIME = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{4}\b|"
                           r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d")
_CHROME_WORDS = re.compile(r"\b(?:cookies?|privacy|subscribe|newsletter|sign (?:in|up)|log ?in|copyright|rights "
                           r"reserved|terms|advertis\w*|follow us|share|menu|search|contact us|©)\b")
# Function words of the commonest languages of news on the web (jusText's signal for real prose).
_STOP_WORDS_TEXT = """
a about after all also an and any are as at be because been but by can could did do does for from
had has have he her his how i if in into is it its just may more most my new no not now of on one
only or other our out over said says she so some than that the their them then there these they this
to up was we were what when which while who will with would you your de la le les des du et en un
une est pour que qui dans sur au aux pas par plus ne se il elle der die das und ist nicht ein eine
zu den von mit sich auf für im dem des auch es an als el los las y del por con para una su al lo
como más pero sus il di che e non per una della con sono del o os as do da em um uma com não para
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_WINDOWS = (1, 3, 8, 25)  # half-widths of the neighbourhoods the features are averaged over
# Lines longer than this many words are cut into sentences before they are classified: some
# flatteners (BeautifulSoup's get_text with a space separator) put a whole page on one line.
SPLIT_WORDS = 80
# Documents of fewer units are left alone: the model learned on whole flattened pages (tens to
# hundreds of lines), and a text of a few lines is an article someone already extracted.
MIN_UNITS = 10
# So is text that does not look like a whole page: a page flattened line by line has menus and link
# lists, many units of under SHORT_UNIT_WORDS words; one flattened with spaces has most of its words
# on one line. An article an extractor chose has neither, and the model, which has never seen one,
# drops its short paragraphs and list items (the rules still clean it). On the benchmark's pages at
# least 96% of every flattening pass this test, and 68 to 95% of each scored extractor's outputs fail it.
SHORT_UNIT_WORDS = 5
PAGE_SHORT_SHARE = 0.15
PAGE_LONGEST_SHARE = 0.4
# A page flattened onto one line still has its menus and title bar, which the sentence cuts leave as units of
# many capitalised words; an article an extractor wrote on one line (go-trafilatura, several readability ports)
# has none, and the model, which knows one-line texts only as whole pages, dropped up to four fifths of it.
MENU_RUN_WORDS, MENU_RUN_CAPITALS = 8, 0.5
# Under 1/2: losing a body paragraph costs more than keeping a line of boilerplate (on the
# benchmark, F1 changes by under 0.01 between 0.4 and 0.5; the seeds' last paragraphs sit near 0.5).
THRESHOLD = 0.4
# On a page that is mostly menus, the first layer can leave every line under 1/2, and with no main block
# every line looked far from the article to the trees, which then dropped the few paragraphs of prose
# (scored 0.1 to 0.3 by the first layer) as well. Such a page gets the block of the lines over this share
# of its highest first-layer probability instead. In cross-validation (fold models unchanged) this gave 4
# of the 9 pages html_text emptied this way their article back (F1 0 to 0.81-1.0) and moved no other
# page; F1 was the same for any share from 0.7 to 0.9 (0.5 and 0.6 kept one line of boilerplate more).
BLOCK_FALLBACK = 0.7
SHORT_WORDS = 12  # a line of at most this many words between two kept lines is kept
# A sentence ends at . ! ? … (and a closing quote, or the bracket of a teaser's "[…]") before a space and a
# capital or digit, or a letter of a script without capitals (CJK, Hangul, Arabic, Hebrew, Thai, Indic), or
# after 。！？ (and a closing quote). A match runs from the stop through the space after it: the pattern starts
# at the punctuation, which the regex engine scans for (a look-behind first is tried at every position).
_SENTENCE_END = re.compile(r"[.!?…][\"”’)»\]]?\s+(?=[\"“‘(«「]?[A-Z0-9À-ÖØ-ÞА-ЯЁΑ-Ω"
                           r"\u0590-\u06ff\u0900-\u0e7f\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af])"
                           r"|[。！？][」』”]?\s*(?=\S)(?![」』”])")
# In a page flattened onto one line, a menu or a photo credit runs into the article's first
# sentence ("... Sport Weather Contact The minister said on Monday ..."): a sentence whose first
# pair of lower-case words comes after at least this many words is cut before the word ahead of them.
# Only when classifying: the model is fitted on uncut sentences (fitted on cut ones, it lost 0.009 F1
# on html_text texts in cross-validation; classifying cut sentences costs html_text nothing and gains
# bs4 texts 0.01).
MENU_PREFIX_WORDS = 4


def units(lines: list[str], cut_menus: bool = True) -> list[tuple[int, str]]:
    """(index of the line, text) of the units the classifier decides on: lines, and the
    sentences of overlong lines, with menu prefixes cut off (see `MENU_PREFIX_WORDS`) if `cut_menus`."""
    out: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if len(line) <= 2 * SPLIT_WORDS or len(line.split()) <= SPLIT_WORDS:  # n words take 2n - 1 characters
            out.append((i, line))
            continue
        start, sentences = 0, []
        for match in _SENTENCE_END.finditer(line):
            sentences.append(line[start:match.end()].strip())  # the stop and its closing marks stay
            start = match.end()
        sentences.append(line[start:].strip())
        for sentence in sentences:
            out.extend((i, piece) for piece in (_split_menu_prefix(sentence) if cut_menus else [sentence]))
    return [(i, text) for i, text in out if text]


def _split_menu_prefix(sentence: str) -> list[str]:
    """The sentence, or its menu-like prefix (see `MENU_PREFIX_WORDS`) and the prose after it."""
    words = sentence.split(" ")
    for j in range(1, len(words) - 1):
        if words[j][:1].islower() and words[j + 1][:1].islower():
            if j - 1 >= MENU_PREFIX_WORDS:
                return [" ".join(words[:j - 1]), " ".join(words[j - 1:])]
            break
    return [sentence]


# Rules that judge a line by its shape alone (long line without final punctuation, words seen
# before, a "Latest News" heading above it). On whole flattened pages they also
# claim body lines, so the classifier sees the lines they claimed, with the rule as a feature, and
# gives one back when it is confident it belongs to the article (probability at least the
# rule's `RESCUE`). Captions interleaved with a body (the seeds) look most like body lines: the
# trees give the seeds' captions 0.87 to 1.0, as much as the body lines among them. So caption-shape
# gave no line back until the page test (`looks_like_page`) kept the model off such articles: on whole
# pages it claims list items, table rows and paragraphs that end on a colon or a link, which the trees
# score 0.5 to 0.97. Given back over 0.8, html_text rose from 0.8956 to 0.9035 and from 0.8978 to 0.9041
# on two splits into folds (fold models unchanged; 0.6 gave 0.9032 and 0.9051 with 0.4 points less
# precision, 0.9 gave 0.9008 and 0.9032); bs4, where the rule rarely fires, moved by 0.0001.
SOFT_RULES = ("caption-shape", "repeated-paragraph", "link-farm")
RESCUE = {"caption-shape": 0.8, "repeated-paragraph": 0.6, "link-farm": 0.6}


def looks_like_page(annotated: list[tuple[str, str | None]], pieces: list[tuple[int, str, int]]) -> bool:
    """Whether a document's `candidates` look like a whole flattened page (see `PAGE_SHORT_SHARE`): many short
    units, or most words on one line with a run of menu links among them (`MENU_RUN_CAPITALS`)."""
    short = sum(len(text.split()) < SHORT_UNIT_WORDS for _, text, _ in pieces)
    if short >= PAGE_SHORT_SHARE * len(pieces):
        return True
    words = [len(annotated[i][0].split()) for i in sorted({i for i, _, _ in pieces})]
    return max(words) >= PAGE_LONGEST_SHARE * sum(words) and any(map(_menu_run, (text for _, text, _ in pieces)))


def _menu_run(unit: str) -> bool:
    """Whether a unit reads as a run of menu links or a title bar: many words, most of them capitalised."""
    words = unit.split()
    return len(words) >= MENU_RUN_WORDS and sum(word[:1].isupper() for word in words) >= MENU_RUN_CAPITALS * len(words)


def candidates(annotated: list[tuple[str, str | None]], cut_menus: bool = True) -> list[tuple[int, str, int]]:
    """(index of the line in `annotated`, text, index of the soft rule that claimed it or -1) of the
    units the classifier decides on: the units of the lines no rule claimed or a soft rule did."""
    out: list[tuple[int, str, int]] = []
    for i, (line, rule) in enumerate(annotated):
        if rule is None or rule in SOFT_RULES:
            soft = -1 if rule is None else SOFT_RULES.index(rule)
            out.extend((i, text, soft) for _, text in units([line], cut_menus))
    return out


def soft_flags(soft: list[int] | np.ndarray | None, count: int) -> np.ndarray:
    """One column per soft rule: 1 where that rule claimed the unit."""
    flags = np.zeros((count, len(SOFT_RULES)))
    if soft is not None:
        for row, index in enumerate(soft):
            if index >= 0:
                flags[row, index] = 1.0
    return flags


def _own_features(lines: list[str], tokens: list[list[str]]) -> np.ndarray:
    """Features of each line on its own, one row per line: the counts are taken line by line,
    the ratios and thresholds over the whole document at once (a list of floats per line cost
    as much as the counting)."""
    counts = []
    for line, toks in zip(lines, tokens, strict=True):
        words = line.split()
        digits = len(_DIGIT.findall(line))
        lowered = line.lower()
        counts.append((
            len(toks), len(line), len(words),
            sum(map(STOP_WORDS.__contains__, map(str.lower, toks))),
            sum([w[:1].isupper() for w in words]),
            digits,
            sum(map(len, toks)),
            sum(map(len, words)),  # characters that are not white space (`str.split` and `\s` agree)
            line.count(","),
            line.endswith(_TERMINAL), line.endswith(":"), line[:1].isupper(),
            bool(_SEPARATORS.search(line)),
            digits > 0 and bool(_DATE_OR_TIME.search(lowered)),
            bool(_CHROME_WORDS.search(lowered)),
            line.endswith(_TRUNCATED),
        ))
    c = np.array(counts, dtype=float).reshape(len(lines), 16)
    n, chars, words, stop, capital, digits, word_chars, solid, commas = c[:, :9].T
    some = np.maximum(n, 1.0)
    stop = np.where(n > 0, stop / some, 0.0)
    capital = np.where(words > 0, capital / np.maximum(words, 1.0), 0.0)
    chars = np.maximum(chars, 1.0)
    return np.column_stack([
        np.log1p(n), n >= 4, n >= 8, n >= 15, n >= 30, n >= 60,
        c[:, 9:12],
        stop, stop >= 0.2, stop >= 0.3,
        capital, (words > 0) & (capital > 0.7),
        digits / chars,
        (solid - word_chars) / chars,  # symbols: neither word characters nor white space
        c[:, 12:16],
        commas / some,
        np.where(n > 0, word_chars / some, 0.0),
        n == 0,
    ]).astype(float)


LINE_FEATURES = 23 + len(SOFT_RULES)


def features(lines: list[str], soft: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first layer's feature matrix of a document's lines: each line's own features (with
    the soft rule that claimed it, if any), their means over windows of neighbours, position
    and repetition; and each line's number of words, by which the second layer, the main block
    and training weigh it (counted here, from the same tokens)."""
    if not lines:
        return np.zeros((0, _first_width())), np.zeros(0)
    tokens = [_TOKEN.findall(line) for line in lines]
    own = np.hstack([_own_features(lines, tokens), soft_flags(soft, len(lines))])
    count = len(lines)
    counts = Counter(lines)
    position = np.arange(count, dtype=float) / max(1, count - 1)
    lengths = np.array([len(t) for t in tokens], dtype=float)
    cumulative = np.cumsum(lengths) / max(1.0, lengths.sum())
    extra = np.column_stack([
        position, position ** 2, cumulative, cumulative ** 2,
        np.array([counts[line] > 1 for line in lines], dtype=float),
        np.full(count, np.log1p(count)),
    ])
    contexts = [_window_mean(own, w) for w in _WINDOWS]
    return np.hstack([own, *contexts, extra]), lengths


def _first_width() -> int:
    return LINE_FEATURES * (1 + len(_WINDOWS)) + 6


def _window_mean(values: np.ndarray, half: int) -> np.ndarray:
    """Mean of each row's neighbours within `half` rows on both sides (itself excluded)."""
    padded = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    index = np.arange(len(values))
    lo = np.maximum(index - half, 0)
    hi = np.minimum(index + half + 1, len(values))
    total = padded[hi] - padded[lo] - values
    size = np.maximum(1, hi - lo - 1)[:, None]
    return total / size


def main_block(probs: np.ndarray, words: np.ndarray, threshold: float = 0.5) -> tuple[int, int]:
    """[start, end) of the run of lines with the largest sum of (probability - threshold) x words.

    The article is mostly one contiguous run of lines (the idea of Finn et al.'s Body Text
    Extraction): a maximum-sum subarray finds it, from the first layer's probabilities for the
    second layer's features, and from the final ones for the lines kept.
    """
    best, best_range, running, start = 0.0, (0, 0), 0.0, 0
    for i, gain in enumerate((probs - threshold) * (words + 1.0)):
        if running <= 0:
            running, start = 0.0, i
        running += gain
        if running > best:
            best, best_range = running, (start, i + 1)
    return best_range


def second_features(first: np.ndarray, probs: np.ndarray, words: np.ndarray) -> np.ndarray:
    """The second layer's features: the first layer's, its probabilities smoothed over neighbours,
    and where the line lies with respect to the main block."""
    p = probs[:, None]
    smoothed = [_window_mean(p, w) for w in _WINDOWS]
    start, end = main_block(probs, words)
    if start == end and len(probs):  # no line reached 1/2: the block of the page's likeliest lines
        start, end = main_block(probs, words, BLOCK_FALLBACK * float(probs.max()))
    index = np.arange(len(probs))
    distance = np.where(index < start, start - index, np.where(index >= end, index - end + 1, 0))
    block = np.column_stack([(distance == 0).astype(float), np.log1p(distance), (index < start).astype(float)])
    return np.hstack([first, p, *smoothed, block, np.full_like(p, float(probs.mean()) if len(probs) else 0.0)])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


class Layer:
    """Standardisation and logistic-regression weights of one layer."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray, weights: np.ndarray, bias: float) -> None:
        self.mean, self.scale, self.weights, self.bias = mean, scale, weights, bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(((x - self.mean) / self.scale) @ self.weights + self.bias)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = 1.0, steps: int = 25) -> Layer:
        """Weighted L2-regularised logistic regression by Newton's method (deterministic)."""
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
        w = np.zeros(z.shape[1])
        weight = weight / weight.mean()
        reg = np.full(z.shape[1], l2)
        reg[-1] = 0.0
        for _ in range(steps):
            p = _sigmoid(z @ w)
            gradient = z.T @ (weight * (p - y)) + reg * w
            hessian = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if np.abs(step).max() < 1e-6:
                break
        return cls(mean, scale, w[:-1], float(w[-1]))

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}_mean": self.mean, f"{prefix}_scale": self.scale, f"{prefix}_weights": self.weights,
                f"{prefix}_bias": np.array(self.bias)}

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray], prefix: str) -> Layer:
        return cls(data[f"{prefix}_mean"], data[f"{prefix}_scale"], data[f"{prefix}_weights"],
                   float(data[f"{prefix}_bias"]))


class Trees:
    """Gradient-boosted decision trees on the log-odds scale, one row of node tables per tree.

    Evaluated with numpy: every line descends every tree one level per step, so the cost is a
    few array operations per level of depth, whatever the number of trees. The tables are read
    flattened, with children as indices into the flattened tables; a leaf is its own child, so
    lines that reach one early stay there. With numba, a compiled loop finds the same leaves in
    about half the time; the leaf values are summed by numpy either way, so the sums are the same.
    """

    def __init__(self, feature: np.ndarray, threshold: np.ndarray, left: np.ndarray, right: np.ndarray,
                 value: np.ndarray, bias: float, depth: int) -> None:
        self.feature, self.threshold, self.left, self.right, self.value = feature, threshold, left, right, value
        self.bias, self.depth = bias, depth
        self._roots = np.arange(len(feature)) * feature.shape[1]
        self._feature, self._threshold, self._value = feature.ravel(), threshold.ravel(), value.ravel()
        # node n's left child at 2n, its right at 2n + 1: a step down is one look-up, no branch
        self._children = np.stack([left + self._roots[:, None], right + self._roots[:, None]], axis=2).ravel()

    def predict(self, x: np.ndarray, compiled: bool | None = None) -> np.ndarray:
        """Probability of each row of `x`; `compiled` picks the numba loop (default: when installed). The rows go
        through the trees `_BLOCK` at a time: all 100,000 lines of a long list at once took 5 s instead of 0.4
        (each tree read the whole feature matrix, 130 MB, from memory), and the numpy walk's node table for
        them would take 400 MB."""
        blocks = [x[start:start + _BLOCK] for start in range(0, len(x), _BLOCK)] or [x]
        return _sigmoid(np.concatenate([self._leaves(block, compiled).sum(axis=1) for block in blocks]) + self.bias)

    def _leaves(self, x: np.ndarray, compiled: bool | None) -> np.ndarray:
        """The value of the leaf each row of `x` reaches in each tree."""
        if numba is not None if compiled is None else compiled:
            padded = np.zeros((len(x) + -len(x) % _LANES, x.shape[1]))  # whole groups of lanes
            padded[:len(x)] = x
            return _leaf_values(padded, self._feature, self._threshold, self._children, self._value, self._roots,
                                self.depth)[:len(x)]
        cells = x.ravel()
        row_start = (np.arange(len(x)) * x.shape[1])[:, None]
        node = np.broadcast_to(self._roots, (len(x), len(self._roots)))
        for _ in range(self.depth):
            right = ~(cells.take(row_start + self._feature.take(node)) <= self._threshold.take(node))
            node = self._children.take(2 * node + right)
        return self._value.take(node)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, weight: np.ndarray, trees: int = 500, depth: int = 5) -> Trees:
        """Weighted gradient boosting by scikit-learn (a training-time dependency), fitted on one thread (the
        same trees on any machine) and read out of its fitted predictors into node tables. 500 trees: in
        cross-validation F1 rose from 150 to 500 on both flavours and stopped rising on the whole after (800
        and 1,200 gained on one split of the pages and lost on another); deeper trees or a slower rate with
        more of them did no better."""
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        model = HistGradientBoostingClassifier(max_iter=trees, max_depth=depth, learning_rate=0.1,
                                               early_stopping=False, random_state=0)
        with threadpool_limits(limits=1):  # OpenMP threads sum histograms in another order: other thresholds
            model.fit(x, y, sample_weight=weight / weight.mean())
        nodes = [predictors[0].nodes for predictors in model._predictors]
        table = {name: np.zeros((len(nodes), max(len(n) for n in nodes)))
                 for name in ("feature", "threshold", "left", "right", "value")}
        for t, n in enumerate(nodes):
            leaf, index = n["is_leaf"].astype(bool), np.arange(len(n))
            table["feature"][t, :len(n)] = np.where(leaf, 0, n["feature_idx"])
            table["threshold"][t, :len(n)] = np.where(leaf, np.inf, n["num_threshold"])
            table["left"][t, :len(n)] = np.where(leaf, index, n["left"])
            table["right"][t, :len(n)] = np.where(leaf, index, n["right"])
            table["value"][t, :len(n)] = np.where(leaf, n["value"], 0.0)
        return cls.from_arrays({**{f"trees_{name}": value for name, value in table.items()},
                                "trees_bias": np.array(np.ravel(model._baseline_prediction)[0]),
                                "trees_depth": np.array(max(int(n["depth"].max()) for n in nodes))})

    def arrays(self) -> dict[str, np.ndarray]:
        return {"trees_feature": self.feature.astype(np.int32), "trees_threshold": self.threshold,
                "trees_left": self.left.astype(np.int32), "trees_right": self.right.astype(np.int32),
                "trees_value": self.value, "trees_bias": np.array(self.bias), "trees_depth": np.array(self.depth)}

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray]) -> Trees:
        index = {name: data[f"trees_{name}"].astype(np.intp) for name in ("feature", "left", "right")}
        return cls(index["feature"], data["trees_threshold"], index["left"], index["right"], data["trees_value"],
                   float(data["trees_bias"]), int(data["trees_depth"]))


_LANES = 8  # rows that go down a tree together in the compiled walk
_BLOCK = 256  # rows that go through all the trees together: their features stay in the processor's cache


if numba is not None:
    @jit
    def _leaf_values(x, feature, threshold, children, value, roots, depth):  # pragma: no cover - compiled
        """`Trees.predict`'s descent as a loop: the value of the leaf each row reaches in each tree. Tree by
        tree, so a tree's nodes stay in cache; the rows go down it `_LANES` at a time, each picking its
        child by index rather than by a branch, so the processor overlaps their memory reads (1.7 to 2
        times faster than a row at a time). `x` has a multiple of `_LANES` rows."""
        out = np.empty((x.shape[0], roots.shape[0]))
        nodes = np.empty(_LANES, dtype=np.int64)
        for t in range(roots.shape[0]):
            for start in range(0, x.shape[0], _LANES):
                nodes[:] = roots[t]
                for _ in range(depth):
                    for k in range(_LANES):
                        node = nodes[k]
                        nodes[k] = children[2 * node + (not x[start + k, feature[node]] <= threshold[node])]
                for k in range(_LANES):
                    out[start + k, t] = value[nodes[k]]
        return out


class LineModel:
    """The logistic first layer, the trees of the second, the probability under which a line counts
    as boilerplate, and the (higher) one over which a line a soft rule claimed is given back."""

    def __init__(self, first: Layer, second: Trees, threshold: float = THRESHOLD, meta: dict[str, Any] | None = None,
                 rescue: dict[str, float] | None = None):
        self.first, self.second, self.threshold = first, second, threshold
        self.rescue = dict(RESCUE if rescue is None else rescue)
        self.meta = meta or {}

    def probabilities(self, lines: list[str], soft: list[int] | None = None) -> np.ndarray:
        """Probability that each line belongs to the article; `soft[i]` is the index in
        `SOFT_RULES` of the rule that claimed line i, or -1."""
        return self._scores(lines, soft)[0]

    def _scores(self, lines: list[str], soft: list[int] | None) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, word counts) of the lines."""
        if not lines:
            return np.zeros(0), np.zeros(0)
        x, words = features(lines, soft)
        return self.second.predict(second_features(x, self.first.predict(x), words)), words

    def keep(self, lines: list[str], soft: list[int] | None = None) -> list[bool]:
        """Whether to keep each line: lines over the threshold inside the main block (see
        `main_block`, here on the final probabilities and the threshold). As in jusText's context
        step, a short line between two kept lines is kept too: inside an article it is a subheading
        or a one-line paragraph; so is a short line after the last kept one when the rules left
        nothing after it: the article's closing sentence, before a footer they removed."""
        probs, words = self._scores(lines, soft)
        flags = np.array(soft if soft is not None else [-1] * len(lines), dtype=int)
        claimed = flags >= 0
        needed = np.array([self.threshold] + [self.rescue.get(rule, 1.0) for rule in SOFT_RULES])
        above = probs >= needed[flags + 1]
        start, end = main_block(probs, words, self.threshold)
        above[:start] = above[end:] = False
        keep = [bool(k) for k in above]
        shown = [i for i in range(len(lines)) if above[i] or not claimed[i]]  # what the rules left, and rescues
        for before, i, after in zip(shown, shown[1:], [*shown[2:], None], strict=False):
            if (not above[i] and above[before] and (after is None or above[after])
                    and len(lines[i].split()) <= SHORT_WORDS):
                keep[i] = True
        return keep

    @classmethod
    def fit(cls, documents: list[list[str]], labels: list[np.ndarray], l2: float = 1.0,
            threshold: float = THRESHOLD, soft: list[list[int]] | None = None) -> LineModel:
        """Fit both layers on documents (lists of lines) with per-line labels (1 = article) and,
        optionally, the soft rule that claimed each line (see `probabilities`).

        Lines are weighted by their number of words (plus one), as the benchmark scores words.
        """
        softs = soft if soft is not None else [None] * len(documents)
        xs, words = zip(*(features(lines, flags) for lines, flags in zip(documents, softs, strict=True)), strict=True)
        x, y = np.vstack(xs), np.concatenate(labels).astype(float)
        weight = np.concatenate(words) + 1.0
        first = Layer.fit(x, y, weight, l2)
        x2 = np.vstack([second_features(xi, first.predict(xi), wi) for xi, wi in zip(xs, words, strict=True)])
        return cls(first, Trees.fit(x2, y, weight), threshold)

    def save(self, path: Path) -> None:
        meta = {**self.meta, "version": VERSION, "threshold": self.threshold, "rescue": self.rescue,
                "soft_rules": list(SOFT_RULES)}
        np.savez_compressed(path, meta=np.array(json.dumps(meta)), **self.first.arrays("first"),
                            **self.second.arrays())

    @classmethod
    def load(cls, path: Path | None = None) -> LineModel:
        """The model at `path`, or the one shipped in the package."""
        source = resources.files("cleaner.models").joinpath(MODEL_FILE) if path is None else path
        with source.open("rb") as handle, np.load(handle, allow_pickle=False) as stored:
            data = {name: stored[name] for name in stored.files}
        meta = json.loads(str(data["meta"]))
        return cls(Layer.from_arrays(data, "first"), Trees.from_arrays(data), float(meta["threshold"]), meta,
                   meta["rescue"])


class ClassifyLines(DocumentStage):
    """Removes the lines of flattened text documents that the line model calls boilerplate, and
    gives back lines that only a soft (shape) rule removed when the model is confident they are
    article.

    Runs after the rules, on the lines they kept and those the `SOFT_RULES` claimed; HTML documents
    are left alone (trafilatura has already chosen their main content), and so are documents of
    fewer than `MIN_UNITS` units or that do not look like a whole page (`looks_like_page`). Each
    removed line becomes a span with rule id `line-classifier`; a document left with no line is
    dropped as `no-article`.

    With the junk stage's rules (`junk`), the sentences kept of a line it cut (a page flattened onto one
    line) go through the rules that judge a line by its own words (`sentence_rules`): on such a page
    "Notify me via e-mail if anyone answers my comment." is a sentence inside the one line, which no rule
    could claim whole.
    """

    name = "lines"

    def __init__(self, model: LineModel | None = None, junk: RemoveJunk | None = None) -> None:
        self.model = model or LineModel.load()
        self.junk = junk

    def sentence_rules(self, doc: Document) -> list[Rule]:
        """The junk rules of `doc` that match a line's own words (kinds `line` and `phrases`), not its shape:
        no soft rule, and none that moves a line into the title (a sentence inside a page is not its title, and
        the junk stage's guard for a title the metadata gave does not run here). On the benchmark's one-line
        `bs4` pages they took 194 words of junk and none of the articles' from the sentences the model kept
        (docs/extraction.md)."""
        if self.junk is None:
            return []
        return [rule for rule in self.junk.rules_for(doc) if rule.kind in ("line", "phrases")
                and rule.id not in SOFT_RULES and rule.field != "title"]

    def _take_sentences(self, doc: Document, kept: dict[int, list[str]], cut: set[int]) -> bool:
        """Remove from `kept` the sentences of the `cut` lines that a sentence rule claims; whether any was."""
        if not cut or not (rules := self.sentence_rules(doc)):
            return False
        taken = False
        for i in sorted(cut):
            labels = label_lines(kept[i], rules)
            for text, rule in zip(kept[i], labels, strict=True):
                if rule is not None:
                    take(doc, rule, text, i + 1)
                    taken = True
            kept[i] = [text for text, rule in zip(kept[i], labels, strict=True) if rule is None]
        return taken

    def process(self, doc: Document) -> None:
        if doc.format != "text":
            return
        annotated = doc.annotated or [(line, None) for line in doc.paragraphs]
        pieces = candidates(annotated)
        if len(pieces) < MIN_UNITS or not looks_like_page(annotated, pieces):
            return
        soft = [flag for _, _, flag in pieces]
        keep = self.model.keep([text for _, text, _ in pieces], soft)
        kept: dict[int, list[str]] = {}
        dropped: list[Span] = []
        for (i, text, flag), k in zip(pieces, keep, strict=True):
            parts = kept.setdefault(i, [])
            if k:
                parts.append(text)
            elif flag < 0:
                dropped.append(Span(RULE_ID, text, i + 1))
        cut = {i for i, count in Counter(i for i, _, _ in pieces).items() if count > 1 and kept[i]}
        taken = self._take_sentences(doc, kept, cut)
        rescued = {i for i, (_, rule) in enumerate(annotated) if rule in SOFT_RULES and kept.get(i)}
        if not dropped and not rescued and not taken:
            return
        if rescued:
            doc.removed = [span for span in doc.removed
                           if not (span.line - 1 in rescued and span.rule in SOFT_RULES)]
            dropped += [Span(RULE_ID, text, i + 1) for i, text, flag in pieces if i in rescued
                        and text not in kept[i]]
        doc.removed += dropped
        new = []
        for i, (line, rule) in enumerate(annotated):
            if i in rescued or (rule is None and kept.get(i)):
                new.append((line, None))
                continue
            new.append((line, RULE_ID if rule is None else rule))
        doc.annotated = new
        doc.text = "\n\n".join(" ".join(kept[i]) for i, (_, rule) in enumerate(new) if rule is None)
        if not doc.text:
            doc.drop("no-article")
