"""Features of a paragraph for the machine-translation scorer, shared by run time and training.

Two functions turn a text into what the shipped classifiers read, so the training script
(`scripts/train_mt.py`) and the pipeline can never disagree on a feature:

- `artifact_vector(find_artifacts(text))`, for the artifact model: counts of the mistakes cheap or
  round-trip machine translation leaves and fluent writing rarely shows (doubled words,
  punctuation runs, modal + participle, ...);
- `Featurizer.features(texts)`, for the style model, in two families. Fluency: word
  log-probabilities under a trigram language model trained on native English (`NgramLM`),
  summarised by both tails, since neural MT is often *more* predictable than people. Style:
  function-word rates, sentence length, lexical variety, punctuation, and hashed word unigrams
  and bigrams (their weights live in a hashed block of the weight vector). Hashed character 3-
  and 4-grams were tried instead and lowered docs-dev ROC AUC, so they are not used.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from typing import NamedTuple

import numpy as np
import xxhash

# --- artifacts -----------------------------------------------------------------------------------

_ALLOWED_DOUBLES = {"had", "that", "is", "very", "bye", "so", "no", "ha", "knock", "many", "far", "blah"}
_BASE_ED_ING = {
    "need", "feed", "proceed", "succeed", "exceed", "bleed", "speed", "breed", "heed", "seed",
    "shed", "embed", "shred", "wed", "indeed", "bring", "sing", "ring", "swing", "sting",
    "spring", "cling", "fling", "wring", "string", "bed", "red", "led", "sled", "thing",
}
_FUNCTION_CAPS = ("The|Of|And|Or|To|For|With|From|In|On|At|By|As|Is|Are|Was|Were|That|This|These|Those|"
                  "An|Its|Their|His|Her|But|Which|Who|Has|Have|Had|Will|Would|Not")

_FUNCTION_LOWER = "of|to|in|for|with|from|on|at|by|and|or|that|the|a|an|is|was"
# "Minute By Minute", "Side By Side", "Year After Year": a word twice around one of these is an idiom
# in title case, not a doubled name.
_IDIOM_LINKS = "(?:By|To|After|And|Or|For|Upon|On|Over|In|Of|At|From|Against|Versus|Vs)"

# A name's letters after its first (a doubled name's first word, and the part repeated): bounded, since a run of
# letters the regex may split anywhere took time in the square of its length (40,000 letters: 2 s).
_NAME = 30

# (kind, pattern, hint): the hint is a cheaper pattern that every match of the pattern contains. Most
# paragraphs fail the hint's one fast scan (it starts with a literal or a character class, which the regex
# engine skips to), so the full pattern, whose leading \b the engine must try at every position, runs on
# few of them: a third of the artifacts' time, same matches.
ARTIFACTS: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = [
    ("doubled-word", re.compile(r"\b([A-Za-z]{2,})\s+\1\b", re.IGNORECASE), None),  # no hint found cheaper
    ("punctuation-run", re.compile(r"(?<!\.)[.!?]\s+[,;](?=\s)|\s[“”\"]\s*,\s|\s,\s"),
     re.compile(r"\s[,;]|[“”\"]\s*[,;]")),
    ("lowercase-sentence", re.compile(r"\b\w{3,}\.\s+(?:said|says|added|told|noted|stated)\b"),
     re.compile(r"\.\s+(?:said|says|added|told|noted|stated)\b")),
    ("modal-participle", re.compile(
        r"\b(?:will|would|can|could|shall|should|may|might|must)\s+(?!be\b|have\b)([a-z]+(?:ed|ing))\b"),
     re.compile(r"(?:will|would|can|could|shall|should|may|might|must)\s+[a-z]+(?:ed|ing)\b")),
    ("doubled-name", re.compile(rf"\b([A-Z][a-z]{{3,{_NAME}}})[a-z]{{0,{_NAME}}} (?!{_IDIOM_LINKS}\b)[A-Z][a-z]+ \1\b"),
     re.compile(rf"([A-Z][a-z]{{3,{_NAME}}})[a-z]{{0,{_NAME}}} [A-Z][a-z]+ \1\b")),
    ("capitalised-function-word", re.compile(rf"\b(?:{_FUNCTION_LOWER}) (?:{_FUNCTION_CAPS})(?= [a-z])"),
     re.compile(rf" (?:{_FUNCTION_CAPS}) [a-z]")),
    ("dangling-word", re.compile(r"(?<![a-z])[a-z]{3,}\. ([A-Z][a-z]+)\.$"), re.compile(r"\. [A-Z][a-z]+\.$")),
]
ARTIFACT_KINDS = [kind for kind, _, _ in ARTIFACTS]


def find_artifacts(text: str) -> list[dict[str, str]]:
    """Each artifact in `text`: its kind and the text that shows it (the evidence of a flagged paragraph)."""
    found = []
    for kind, pattern, hint in ARTIFACTS:
        if hint is not None and not hint.search(text):
            continue
        for match in pattern.finditer(text):
            if kind == "doubled-word" and (match.group(1).lower() in _ALLOWED_DOUBLES
                                           or match.group(0).istitle()):  # a name: "Goo Goo Dolls", "Bora Bora"
                continue
            if kind == "modal-participle" and match.group(1) in _BASE_ED_ING:
                continue
            found.append({"kind": kind, "text": match.group(0)})
    return found


# --- tokens and the language model -----------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+(?:[.,]\d+)*|[^\w\s]")
BOS, EOS, UNK = "<s>", "</s>", "<unk>"
_MASK = (1 << 63) - 1
_MIX = 0x9E3779B97F4A7C15  # odd: the golden-ratio constant of Fibonacci hashing


def tokens(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens; numbers become `<num>`, curly apostrophes straight."""
    return ["<num>" if tok[0].isdecimal() else tok for tok in _TOKEN.findall(text.lower().replace("’", "'"))]


def word_tokens(toks: list[str]) -> list[str]:
    """The words among `tokens`: no numbers or punctuation."""
    return [t for t in toks if t[0].isalpha()]


def word_key(word: str) -> int:
    """A stable 63-bit hash of a word; n-gram keys are built from these by `ngram_key`."""
    return xxhash.xxh64_intdigest(word.encode()) >> 1


def ngram_key(prefix: int, word: int) -> int:
    """The 63-bit key of an n-gram from its prefix's key and its last word's: integer arithmetic, not hashing
    a joined string, because the stage computes two keys per token. Multiplying by an odd constant is a
    bijection modulo 2**63, so distinct n-grams collide only by chance."""
    return ((prefix * _MIX) ^ word) & _MASK


class LMScores(NamedTuple):
    """A batch of sentences scored by `NgramLM.scores`: per predicted token (each sentence's tokens, then its end,
    sentence after sentence) its log10 probability (interpolated; unigram alone), whether its word, bigram and
    trigram are unseen, and the keys of its word and of the bigram it ends (reused as the hashed word n-grams);
    `starts` indexes each sentence's first token."""

    logp: np.ndarray
    unilogp: np.ndarray
    unseen: np.ndarray  # (tokens, 3) booleans: word, bigram, trigram
    keys: np.ndarray  # (tokens, 2) word key, bigram key
    starts: np.ndarray


def _sorted_counts(counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    keys = np.array(sorted(counts), dtype=np.uint64)
    return keys, np.array([counts[k] for k in keys.tolist()], dtype=np.int64)


def _look_up(keys: np.ndarray, counts: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The counts of the `wanted` keys in sorted `keys` (0 when absent)."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=np.int64)
    order = np.argsort(wanted)  # sorted queries keep numpy's binary search in cache: a third faster
    index = np.empty(len(wanted), dtype=np.intp)
    index[order] = np.searchsorted(keys, wanted[order])
    index[index == len(keys)] = 0
    return np.where(keys[index] == wanted, counts[index], 0)


def _mix(prefix: np.ndarray, word: np.ndarray) -> np.ndarray:
    """`ngram_key` over arrays: uint64 products wrap modulo 2**64, whose low 63 bits are those of the exact product."""
    return ((prefix * np.uint64(_MIX)) ^ word) & np.uint64(_MASK)


class NgramLM:
    """A word trigram model with fixed interpolation weights, small enough to ship.

    Unigrams are kept by word; bigram and trigram counts as sorted key and count arrays (`ngram_key`),
    looked up for a whole batch of sentences at once. Probabilities interpolate trigram, bigram and
    add-one unigram estimates; the model only needs to rank fluent against odd word sequences, not to
    be the best possible language model.
    """

    LAMBDAS = (0.5, 0.35, 0.15)  # trigram, bigram, unigram
    VOCABULARY_LIMIT = 500_000  # words remembered between batches (`rows`): past it, the memory starts again

    def __init__(self, unigrams: dict[str, int], bigrams: tuple[np.ndarray, np.ndarray],
                 trigrams: tuple[np.ndarray, np.ndarray]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.trigrams = trigrams
        self.total = sum(unigrams.values())
        self.vocab = len(unigrams) + 1
        self._rows: dict[str, int] = {}  # the words seen, by their row in the arrays below
        self._count = np.zeros(1024, dtype=np.int64)
        self._key = np.zeros(1024, dtype=np.uint64)
        self._logp = np.zeros(1024)

    def word(self, word: str) -> tuple[int, int, float]:
        """A word's count, key and unigram log10 probability."""
        count = self.unigrams.get(word, 0)
        return count, word_key(word), math.log10((count + 1) / (self.total + self.vocab))

    def rows(self, words: list[str]) -> np.ndarray:
        """Each word's row in the arrays of words seen (count, key, unigram log-probability), adding the new
        ones: news reuses its words, so this is one dictionary look-up per word (in C, by `map`) and indexing."""
        if len(self._rows) > self.VOCABULARY_LIMIT:
            self._rows.clear()
        rows = np.fromiter(map(self._rows.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        for i in np.flatnonzero(rows < 0).tolist():
            row = self._rows.get(words[i])
            if row is None:
                row = self._rows[words[i]] = len(self._rows)
                if row == len(self._key):
                    self._count, self._key, self._logp = (np.resize(a, 2 * len(a))
                                                          for a in (self._count, self._key, self._logp))
                self._count[row], self._key[row], self._logp[row] = self.word(words[i])
            rows[i] = row
        return rows

    @classmethod
    def train(cls, sentences: Iterable[str], min_trigram: int = 2) -> NgramLM:
        """Count n-grams of `sentences`; trigrams seen fewer than `min_trigram` times are pruned to keep it small."""
        uni: Counter[str] = Counter()
        bi: Counter[int] = Counter()
        tri: Counter[int] = Counter()
        for sentence in sentences:
            toks = [BOS, BOS, *tokens(sentence), EOS]
            uni.update(toks[2:])
            uni[BOS] += 1
            keys = [word_key(t) for t in toks]
            for i in range(2, len(toks)):
                bi[ngram_key(keys[i - 1], keys[i])] += 1
                tri[ngram_key(ngram_key(keys[i - 2], keys[i - 1]), keys[i])] += 1
        return cls(dict(uni), _sorted_counts(bi), _sorted_counts({k: c for k, c in tri.items() if c >= min_trigram}))

    def to_arrays(self) -> dict[str, np.ndarray]:
        words = sorted(self.unigrams)
        return {
            "lm_words": np.array(words),
            "lm_word_counts": np.array([self.unigrams[w] for w in words], dtype=np.uint32),
            "lm_bigram_keys": self.bigrams[0],
            "lm_bigram_counts": self.bigrams[1].astype(np.uint32),
            "lm_trigram_keys": self.trigrams[0],
            "lm_trigram_counts": self.trigrams[1].astype(np.uint32),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> NgramLM:
        return cls(
            dict(zip(arrays["lm_words"].tolist(), arrays["lm_word_counts"].tolist(), strict=True)),
            (arrays["lm_bigram_keys"], arrays["lm_bigram_counts"].astype(np.int64)),
            (arrays["lm_trigram_keys"], arrays["lm_trigram_counts"].astype(np.int64)),
        )

    def scores(self, sentences: list[list[str]]) -> LMScores:
        """Score a batch of token lists (see `LMScores`): one dictionary look-up per token (`rows`), the rest
        as array operations over the whole batch, since per-token Python was the stage's main cost."""
        rows = self.rows([tok for toks in sentences for tok in (*toks, EOS)])
        cw, kw, unilogp = self._count[rows], self._key[rows], self._logp[rows]
        lengths = np.array([len(toks) + 1 for toks in sentences])
        starts = np.cumsum(lengths) - lengths
        position = np.arange(len(cw)) - np.repeat(starts, lengths)
        bos_count, bos_key, _ = self.word(BOS)

        def previous(values: np.ndarray, first: int | np.ndarray) -> np.ndarray:
            shifted = np.empty_like(values)
            shifted[1:] = values[:-1]
            shifted[starts] = first
            return shifted

        cv, kv = previous(cw, bos_count), previous(kw, np.uint64(bos_key))
        kvw = _mix(kv, kw)
        cvw = _look_up(*self.bigrams, kvw)
        cuvw = _look_up(*self.trigrams, _mix(previous(kvw, np.uint64(ngram_key(bos_key, bos_key))), kw))
        cuv = np.where(position > 1, previous(cvw, 0), cv)  # the count of the context bigram
        l3, l2, l1 = self.LAMBDAS
        with np.errstate(divide="ignore", invalid="ignore"):
            p2 = np.where(cv > 0, cvw / cv, 0.0)
            p3 = np.where(cuv > 0, np.minimum(cuvw / cuv, 1.0), 0.0)
        logp = np.log10(l3 * p3 + l2 * p2 + l1 * (cw + 1) / (self.total + self.vocab))
        unseen = np.stack([cw == 0, cvw == 0, cuvw == 0], axis=1)
        return LMScores(logp, unilogp, unseen, np.stack([kw, kvw], axis=1), starts)


# --- style ----------------------------------------------------------------------------------------

FUNCTION_WORDS = [
    "the", "a", "an", "of", "to", "in", "on", "at", "by", "for", "with", "from", "about", "into", "over",
    "after", "before", "between", "through", "during", "under", "against", "without", "within", "among", "and",
    "or", "but", "nor", "so", "yet", "if", "because", "while", "although", "though", "whether", "than", "that",
    "which", "who", "whom", "whose", "what", "when", "where", "why", "how", "this", "these", "those", "it",
    "its", "they", "them", "their", "he", "him", "his", "she", "her", "we", "us", "our", "you", "your", "i",
    "me", "my", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "do", "does", "did",
    "will", "would", "can", "could", "should", "may", "might", "must", "shall", "not", "no", "also", "only",
    "just", "even", "still", "already", "more", "most", "very", "such", "there", "here", "as", "then", "now",
    "all", "some", "any", "each", "both", "many", "much", "other", "another", "same", "own", "one", "however",
    "therefore", "thus", "meanwhile", "according", "said", "says",
]
_FW_INDEX = {w: i for i, w in enumerate(FUNCTION_WORDS)}
FUNCTION_WORD_SET = frozenset(FUNCTION_WORDS)
PUNCTUATION = [",", ";", ":", "-", "–", "(", "\"", "'", "?", "!"]
# A sentence ends at . ! or ? (and a closing quote) before white space and a capital (or an opening quote).
_SENTENCE_END = re.compile(r"[.!?][\"”’']?(\s+)(?=[\"“‘']?[A-Z])")


def split_sentences(text: str) -> list[str]:
    """`text` cut into sentences at the white space after each sentence end (see `_SENTENCE_END`).

    The pattern starts at the punctuation, which the regex engine scans for; put as a lookbehind before the
    white space, it was tried at every position of the text, three times slower."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start:match.start(1)])
        start = match.end(1)
    pieces.append(text[start:])
    return pieces

LM_SUMMARY = ["lm_mean", "lm_std", "lm_min", "lm_p5", "lm_p10", "lm_p25", "lm_p50", "lm_p75", "lm_p90", "lm_max",
              "uni_mean", "uni_p10", "uni_p90", "unseen_word", "unseen_bigram", "unseen_trigram"]
SHAPE = ["log_tokens", "words_per_sentence", "type_token_ratio", "mattr", "word_length", "long_word_rate",
         "capitalised_rate", "number_rate", "contraction_rate"]
DENSE_NAMES = (LM_SUMMARY + [f"lm_sq:{n}" for n in LM_SUMMARY] + SHAPE
               + [f"fw:{w}" for w in FUNCTION_WORDS] + [f"punct:{p}" for p in PUNCTUATION])
N_DENSE = len(DENSE_NAMES)
_LM_OFFSET = DENSE_NAMES.index("lm_mean")
_SQ_OFFSET = DENSE_NAMES.index(f"lm_sq:{LM_SUMMARY[0]}")
_NO_SQUARES = [0.0] * len(LM_SUMMARY)


def _sorted_within(values: np.ndarray, sentence: np.ndarray) -> np.ndarray:
    """`values` sorted within each sentence: one argsort of the values shifted apart by sentence, several times
    faster than a lexsort of the two keys (the values themselves are read back unshifted)."""
    return values[np.argsort(values + sentence * (values.max() - values.min() + 1.0))]


def _lm_summary(lm: LMScores) -> np.ndarray:
    """The `LM_SUMMARY` block of each sentence of a scored batch, as one matrix: segment sums and sorts, no loop."""
    starts = lm.starts
    n = np.diff(np.append(starts, len(lm.logp)))
    sentence = np.repeat(np.arange(len(starts)), n)
    mean = np.add.reduceat(lm.logp, starts) / n
    std = np.sqrt(np.add.reduceat((lm.logp - mean[sentence]) ** 2, starts) / n)
    ordered, uni_ordered = _sorted_within(lm.logp, sentence), _sorted_within(lm.unilogp, sentence)

    def percentile(values: np.ndarray, q: float) -> np.ndarray:
        return values[starts + np.minimum(n - 1, (q * n).astype(np.int64))]

    unseen = np.add.reduceat(lm.unseen.astype(np.int64), starts, axis=0) / n[:, None]
    return np.column_stack([
        mean, std, ordered[starts], *(percentile(ordered, q) for q in (0.05, 0.10, 0.25, 0.5, 0.75, 0.9)),
        ordered[starts + n - 1], np.add.reduceat(lm.unilogp, starts) / n, percentile(uni_ordered, 0.1),
        percentile(uni_ordered, 0.9), unseen,
    ])


@dataclass
class Features:
    """The features of a batch of texts: dense style and fluency features (raw, before scaling), a row per text;
    hashed word n-grams, L2-normalised per text, as sparse (row, column, value) triplets; each text's words."""

    dense: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    words: list[list[str]]


class Featurizer:
    """Computes `Features` with a given language model and hashing width."""

    def __init__(self, lm: NgramLM, hash_bits: int = 16) -> None:
        self.lm = lm
        self.hash_size = 1 << hash_bits

    def features(self, texts: list[str]) -> Features:
        """The fluency and style features of `texts` (artifacts are a model of their own: `artifact_vector`).

        The language model and the hashed n-grams are computed for the whole batch at once; the shape,
        function-word and punctuation features are plain Python lists, cheaper than numpy for one sentence.
        """
        all_tokens = [tokens(text) for text in texts]
        lm = self.lm.scores(all_tokens)
        rows, all_words = [], []
        for text, toks, summary in zip(texts, all_tokens, _lm_summary(lm).tolist(), strict=True):
            words = word_tokens(toks)
            all_words.append(words)
            n_tok = max(len(toks), 1)
            n_words = max(len(words), 1)
            sentences = len(_SENTENCE_END.findall(text)) + 1
            raw_words = text.split()
            window = words[:50]
            shape = [
                math.log(n_tok), len(words) / sentences, len(set(words)) / n_words,
                len(set(window)) / max(len(window), 1), sum(map(len, words)) / n_words,
                len([w for w in words if len(w) > 8]) / n_words,
                len([w for w in raw_words[1:] if w[:1].isupper()]) / max(len(raw_words) - 1, 1),
                toks.count("<num>") / n_tok, len([w for w in words if "'" in w]) / n_words,
            ]
            function_words = [0.0] * len(FUNCTION_WORDS)
            for index in map(_FW_INDEX.get, words):
                if index is not None:
                    function_words[index] += 1.0 / n_words
            rows.append(summary + _NO_SQUARES + shape + function_words
                        + [text.count(mark) / n_tok for mark in PUNCTUATION])
        # the word n-grams' columns are the language model's word and bigram keys folded: no second hashing
        per_text = np.diff(np.append(lm.starts, len(lm.keys))) * 2
        cells = np.repeat(np.arange(len(texts)), per_text) * self.hash_size + (lm.keys % np.uint64(self.hash_size)
                                                                               ).astype(np.int64).ravel()
        cells, counts = np.unique(cells, return_counts=True)
        text_of = cells // self.hash_size
        norms = np.sqrt(np.bincount(text_of, weights=counts.astype(np.float64) ** 2, minlength=len(texts)))
        return Features(np.array(rows, dtype=np.float64).reshape(len(texts), N_DENSE), text_of,
                        cells % self.hash_size, counts / norms[text_of], all_words)


def artifact_vector(artifacts: list[dict[str, str]]) -> list[float]:
    """Count per artifact kind (capped at 3, so one garbled paragraph does not dominate), then any-artifact."""
    counts = Counter(a["kind"] for a in artifacts)
    return [float(min(counts[kind], 3)) for kind in ARTIFACT_KINDS] + [float(bool(artifacts))]


def squares(z: np.ndarray) -> None:
    """Fill the squared-LM block of scaled features in place, clipped, so a linear model sees both tails."""
    lm = np.clip(z[..., _LM_OFFSET:_LM_OFFSET + len(LM_SUMMARY)], -4.0, 4.0)
    z[..., _SQ_OFFSET:_SQ_OFFSET + len(LM_SUMMARY)] = lm * lm
