"""Features of a paragraph for the machine-translation scorer, shared by run time and training.

Two functions turn a text into what the shipped classifiers read, so the training script
(`scripts/train_mt.py`) and the pipeline can never disagree on a feature:

- `artifact_vector(find_artifacts(text))`, for the artifact model: counts of the mistakes cheap or
  round-trip machine translation leaves and fluent writing rarely shows (doubled words,
  punctuation runs, modal + participle, ...);
- `Featurizer.features(text)`, for the style model, in two families. Fluency: word
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

ARTIFACTS: list[tuple[str, re.Pattern[str]]] = [
    ("doubled-word", re.compile(r"\b([A-Za-z]{2,})\s+\1\b", re.IGNORECASE)),
    ("punctuation-run", re.compile(r"(?<!\.)[.!?]\s+[,;](?=\s)|\s[“”\"]\s*,\s|\s,\s")),
    ("lowercase-sentence", re.compile(r"\b\w{3,}\.\s+(?:said|says|added|told|noted|stated)\b")),
    ("modal-participle", re.compile(
        r"\b(?:will|would|can|could|shall|should|may|might|must)\s+(?!be\b|have\b)([a-z]+(?:ed|ing))\b")),
    ("doubled-name", re.compile(r"\b([A-Z][a-z]{3,})[a-z]* [A-Z][a-z]+ \1\b")),
    ("capitalised-function-word", re.compile(rf"\b(?:{_FUNCTION_LOWER}) (?:{_FUNCTION_CAPS})(?= [a-z])")),
    ("dangling-word", re.compile(r"[a-z]{3,}\. ([A-Z][a-z]+)\.$")),
]
ARTIFACT_KINDS = [kind for kind, _ in ARTIFACTS]


def find_artifacts(text: str) -> list[dict[str, str]]:
    """Each artifact in `text`: its kind and the text that shows it (the evidence of a flagged paragraph)."""
    found = []
    for kind, pattern in ARTIFACTS:
        for match in pattern.finditer(text):
            if kind == "doubled-word" and match.group(1).lower() in _ALLOWED_DOUBLES:
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
    """Per-token log10 probabilities (interpolated; unigram alone), unseen counts, and the keys of each token and
    of the bigram it ends (reused as the hashed word n-grams)."""

    logp: list[float]
    unilogp: list[float]
    unseen_word: int
    unseen_bigram: int
    unseen_trigram: int
    keys: list[int]


class NgramLM:
    """A word trigram model with fixed interpolation weights, small enough to ship.

    Unigrams are kept by word; bigram and trigram counts by key (`ngram_key`). Probabilities interpolate
    trigram, bigram and add-one unigram estimates; the model only needs to rank fluent against
    odd word sequences, not to be the best possible language model.
    """

    LAMBDAS = (0.5, 0.35, 0.15)  # trigram, bigram, unigram

    def __init__(self, unigrams: dict[str, int], bigrams: dict[int, int], trigrams: dict[int, int]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.trigrams = trigrams
        self.total = sum(unigrams.values())
        self.vocab = len(unigrams) + 1
        self._words: dict[str, tuple[int, int, float]] = {}

    def word(self, word: str) -> tuple[int, int, float]:
        """A word's count, key and unigram log10 probability, cached: news reuses its words."""
        known = self._words.get(word)
        if known is None:
            count = self.unigrams.get(word, 0)
            known = (count, word_key(word), math.log10((count + 1) / (self.total + self.vocab)))
            if len(self._words) < 500_000:
                self._words[word] = known
        return known

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
                bigram = ngram_key(keys[i - 1], keys[i])
                bi[bigram] += 1
                tri[ngram_key(ngram_key(keys[i - 2], keys[i - 1]), keys[i])] += 1
        return cls(dict(uni), dict(bi), {k: c for k, c in tri.items() if c >= min_trigram})

    def to_arrays(self) -> dict[str, np.ndarray]:
        words = sorted(self.unigrams)
        return {
            "lm_words": np.array(words),
            "lm_word_counts": np.array([self.unigrams[w] for w in words], dtype=np.uint32),
            "lm_bigram_keys": np.array(sorted(self.bigrams), dtype=np.uint64),
            "lm_bigram_counts": np.array([self.bigrams[k] for k in sorted(self.bigrams)], dtype=np.uint32),
            "lm_trigram_keys": np.array(sorted(self.trigrams), dtype=np.uint64),
            "lm_trigram_counts": np.array([self.trigrams[k] for k in sorted(self.trigrams)], dtype=np.uint32),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> NgramLM:
        return cls(
            dict(zip(arrays["lm_words"].tolist(), arrays["lm_word_counts"].tolist(), strict=True)),
            dict(zip(arrays["lm_bigram_keys"].tolist(), arrays["lm_bigram_counts"].tolist(), strict=True)),
            dict(zip(arrays["lm_trigram_keys"].tolist(), arrays["lm_trigram_counts"].tolist(), strict=True)),
        )

    def scores(self, toks: list[str]) -> LMScores:
        """Score `toks` (see `LMScores`) in one pass; `ngram_key` and `word` are inlined: this loop is the stage's
        hottest."""
        l3, l2, l1 = self.LAMBDAS
        denom = self.total + self.vocab
        log10, mix, mask = math.log10, _MIX, _MASK
        bigrams, trigrams, cached = self.bigrams, self.trigrams, self._words.get
        logp, unilogp, keys = [], [], []
        unseen_word = unseen_bi = unseen_tri = 0
        cv, kv, _ = self.word(BOS)
        kuv = ngram_key(kv, kv)
        cvw = cv  # the count of the previous bigram, which is the context of the next trigram
        for position, tok in enumerate([*toks, EOS]):
            cw, kw, uni = cached(tok) or self.word(tok)
            cuv = cvw if position > 1 else cv
            kvw = ((kv * mix) ^ kw) & mask
            cvw = bigrams.get(kvw, 0)
            cuvw = trigrams.get(((kuv * mix) ^ kw) & mask, 0)
            p2 = cvw / cv if cv else 0.0
            p3 = (cuvw / cuv if cuvw < cuv else 1.0) if cuv else 0.0
            unseen_word += cw == 0
            unseen_bi += cvw == 0
            unseen_tri += cuvw == 0
            logp.append(log10(l3 * p3 + l2 * p2 + l1 * (cw + 1) / denom))
            unilogp.append(uni)
            keys += (kw, kvw)
            cv, kv, kuv = cw, kw, kvw
        return LMScores(logp, unilogp, unseen_word, unseen_bi, unseen_tri, keys)


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
_SENTENCE_END = re.compile(r"[.!?][\"”’']?\s+(?=[\"“‘']?[A-Z])")

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


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Features:
    """A text's dense style and fluency features (raw, before scaling) and hashed word n-grams (L2-normalised)."""

    dense: list[float]  # the squared-LM block is zero until the features are scaled (`squares`)
    hashed: dict[int, float]
    words: list[str]  # the word tokens, for the document's lexical features


class Featurizer:
    """Computes `Features` with a given language model and hashing width."""

    def __init__(self, lm: NgramLM, hash_bits: int = 16) -> None:
        self.lm = lm
        self.hash_size = 1 << hash_bits

    def features(self, text: str) -> Features:
        """The fluency and style features of `text` (artifacts are a model of their own: `artifact_vector`).

        Plain Python lists, not numpy: a sentence is small, and the model scales a whole batch at once.
        """
        toks = tokens(text)
        words = word_tokens(toks)
        n_tok = max(len(toks), 1)
        n_words = max(len(words), 1)
        logp, unilogp, unseen_word, unseen_bi, unseen_tri, keys = self.lm.scores(toks)
        n = len(logp)
        ordered = sorted(logp)
        mean = sum(logp) / n
        uni_ordered = sorted(unilogp)
        lm = [
            mean, math.sqrt(sum([(v - mean) ** 2 for v in logp]) / n), ordered[0], _percentile(ordered, 0.05),
            _percentile(ordered, 0.10), _percentile(ordered, 0.25), _percentile(ordered, 0.5),
            _percentile(ordered, 0.75), _percentile(ordered, 0.9), ordered[-1],
            sum(unilogp) / n, _percentile(uni_ordered, 0.1), _percentile(uni_ordered, 0.9),
            unseen_word / n, unseen_bi / n, unseen_tri / n,
        ]
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
        punctuation = [text.count(mark) / n_tok for mark in PUNCTUATION]

        # the word n-grams' columns are the language model's keys folded: no second hashing per token
        size = self.hash_size
        grams = Counter([k % size for k in keys])
        norm = math.sqrt(sum([c * c for c in grams.values()])) or 1.0
        dense = lm + _NO_SQUARES + shape + function_words + punctuation
        return Features(dense, {k: c / norm for k, c in grams.items()}, words)


def artifact_vector(artifacts: list[dict[str, str]]) -> list[float]:
    """Count per artifact kind (capped at 3, so one garbled paragraph does not dominate), then any-artifact."""
    counts = Counter(a["kind"] for a in artifacts)
    return [float(min(counts[kind], 3)) for kind in ARTIFACT_KINDS] + [float(bool(artifacts))]


def squares(z: np.ndarray) -> None:
    """Fill the squared-LM block of scaled features in place, clipped, so a linear model sees both tails."""
    lm = np.clip(z[..., _LM_OFFSET:_LM_OFFSET + len(LM_SUMMARY)], -4.0, 4.0)
    z[..., _SQ_OFFSET:_SQ_OFFSET + len(LM_SUMMARY)] = lm * lm
