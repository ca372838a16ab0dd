"""Stage 4, language: identify the language of the cleaned text with `langdetect`.

langdetect samples randomly; a fixed seed makes it deterministic. It runs on a bounded
sample (whole paragraphs from the start, up to `language_sample` characters), which is
as accurate on articles and keeps long documents cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

from .document import Document
from .settings import Settings
from .stage import DocumentStage

# langdetect averages random walks over the sample's n-grams; it makes 7 by default, which were
# 75% of the stage's time. With 3, the language of 2,219 windows of the extraction benchmark's
# articles (8 languages) agreed with langdetect's on the whole article as often (2,198 against 2,200).
TRIALS = 3
_SPACES = re.compile(" {2,}")
_LATIN = re.compile("[A-z]")
_NON_LATIN = re.compile("[^\x00-\u02ff]")


class FastDetector(Detector):
    """langdetect's detector with its per-character loops and per-language updates made cheap.

    The algorithm, profiles, normalisation and random draws are langdetect's own, so the
    language and probability are the same (`tests/test_language.py` compares them); only the
    arithmetic is batched: the walk multiplies in the 5 n-grams drawn between two convergence
    checks at once, with numpy, which was 70% of the stage's time in pure Python.
    """

    # per process: at most the profiles' 87,598 n-grams (under 50 MB), in practice the few
    # thousand of the corpus' languages
    _rows: dict[str, np.ndarray] = {}
    _normal: dict[int, str] = {}

    def append(self, text: str) -> None:
        text = NGram.normalize_vi(self.MAIL_RE.sub(" ", self.URL_RE.sub(" ", text)))
        self.text += _SPACES.sub(" ", text[: self.max_text_length])

    def cleaning_text(self) -> None:
        # langdetect meant to spare 'Latin Extended Additional', but compares a block number with
        # its name, so every character from U+0300 counts as non-Latin; kept as it behaves.
        if 2 * len(_LATIN.findall(self.text)) < len(_NON_LATIN.findall(self.text)):
            self.text = _LATIN.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        """The profiles' 1- to 3-grams of the text, in the order langdetect's `NGram` buffer makes them.

        The buffer never reaches across a space, so the n-grams are those of each word with
        its neighbouring spaces, and a word's list is computed once (`_word_ngrams`).
        """
        for ch in set(self.text) - self._normal.keys():
            self._normal[ord(ch)] = NGram.normalize(ch)
        *words, last = self.text.translate(self._normal).split(" ")
        result = []
        for word in words:
            if word:
                result += _word_ngrams(f" {word} ")
        if last:
            result += _word_ngrams(f" {last}")
        return result

    def _row(self, ngram: str) -> np.ndarray:
        row = self._rows.get(ngram)
        if row is None:
            row = self._rows[ngram] = np.array(self.word_lang_prob_map[ngram])
        return row

    def _detect_block(self) -> None:
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        total = np.zeros(len(self.langlist))
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            prob = np.full(len(self.langlist), 1.0 / len(self.langlist))
            weight = (self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH) / self.BASE_FREQ
            done, batch = 0, 1  # langdetect checks convergence after the 1st n-gram, then every 5th
            while True:
                rows = [self._row(self.random.choice(ngrams)) for _ in range(batch)]
                prob *= np.prod(np.add(weight, rows), axis=0)
                prob /= prob.sum()
                done += batch
                if prob.max() > self.CONV_THRESHOLD or done > self.ITERATION_LIMIT:
                    break
                batch = 5
            total += prob / self.n_trial
        self.langprob = total.tolist()


@lru_cache(maxsize=1 << 17)
def _word_ngrams(token: str) -> list[str]:
    """The n-grams langdetect takes from one space-delimited word (`token` keeps its spaces)."""
    known = _factory().word_lang_prob_map
    result = []
    for p in range(1, len(token)):
        if token[p].isupper() and token[p - 1].isupper():
            continue  # inside a word in capitals: langdetect skips it
        for n in range(1, min(3, p + 1) + 1):
            w = token[p - n + 1 : p + 1]
            if w != " " and w in known:
                result.append(w)
    return result


@cache
def _factory() -> DetectorFactory:
    """langdetect's language profiles, loaded once per process, with a fixed seed.

    Given to langdetect in name order: its `load_profile` takes them in the order the file system
    lists them, so the languages' order, and with it the rounding of their probabilities, could
    differ between machines.
    """
    factory = DetectorFactory()
    factory._create_detector = lambda: FastDetector(factory)
    factory.load_json_profile([path.read_text(encoding="utf-8") for path in sorted(Path(PROFILES_DIRECTORY).iterdir())])
    factory.set_seed(0)
    return factory


UNSEEN = 1e-5  # the probability given to an n-gram a language's profile lacks


@cache
def _normal(ch: str) -> str:
    return NGram.normalize(ch)


@lru_cache(maxsize=1 << 16)
def _log_probabilities(ngram: str) -> np.ndarray:
    """log P(ngram | language) for each of langdetect's languages."""
    factory = _factory()
    found = factory.word_lang_prob_map.get(ngram, [0.0] * len(factory.langlist))
    return np.log(np.add(found, UNSEEN))


def _ngrams(text: str) -> Iterator[str]:
    """The 1- to 3-grams of each word of `text` with its bounding spaces, after langdetect's normalisation."""
    for word in "".join(map(_normal, text)).split():
        token = f" {word} "
        for end in range(1, len(token)):
            for n in range(1, min(3, end + 1) + 1):
                if (gram := token[end - n + 1: end + 1]) != " ":
                    yield gram


def plausibility(text: str) -> float:
    """How much `text` reads like a language: the mean log-probability of its n-grams in langdetect's profile
    of the language it reads best in; -inf without letters.

    Text decoded with the wrong charset is made of letter sequences no language has ("Rz\u00b9d",
    "yap\u00fdlaca\u00f0\u00fd", "Weizs\u62d0ker"), so its n-grams are unseen or rare where the right
    decoding's are common; the mean, not the sum, so that a decoding with fewer characters gains nothing.
    """
    rows = [_log_probabilities(gram) for gram in _ngrams(text)]
    return float(np.sum(rows, axis=0).max() / len(rows)) if rows else float("-inf")


def sample(text: str, limit: int) -> str:
    """Leading paragraphs of `text` up to about `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


def detect(text: str) -> tuple[str, float]:
    """The most probable language of `text` and its probability; ("unknown", 0.0) without letters."""
    detector = _factory().create()
    detector.n_trial = TRIALS
    detector.append(text)
    try:
        best = detector.get_probabilities()[0]
    except LangDetectException:
        return "unknown", 0.0
    return best.lang, round(best.prob, 4)


class DetectLanguage(DocumentStage):
    """Sets `language` and `language_prob`; drops documents outside `--lang` when it is given."""

    name = "language"

    def __init__(self, settings: Settings) -> None:
        self.keep = set(settings.lang)
        self.limit = settings.language_sample
        _factory()  # loaded here, before workers fork, so no worker spends half a second loading the profiles

    def process(self, doc: Document) -> None:
        doc.language, doc.language_prob = detect(sample(doc.text, self.limit))
        if self.keep and doc.language not in self.keep:
            doc.drop("language")
