"""Stage 5, machine translation: the probability that each paragraph and each document is machine-translated.

No translation model or network is used at run time: three logistic regressions shipped in
`cleaner/models/mt.npz` (fitted by `scripts/train_mt.py`, see README.md) read the features of
`cleaner/mtfeatures.py`:

- a style and fluency model (a native-English trigram model's view of the text, function words,
  sentence length, lexical variety, punctuation, hashed word n-grams), fitted to tell machine from
  human translation, the hard case of fluent neural MT, and from native web news;
- a document combiner over the style evidence of a document's sentences and what no single sentence
  shows (`document_features`: lexical variety, repeated content words, variation of sentence length);
- an artifact model over the mistakes cheap or round-trip MT leaves (doubled words, ". ,", "will
  obliged", "Eastern Europe East", ...), fitted on native text with such artifacts inserted.

The style model reads sentences; the style evidence of a paragraph or a document is the sum of its
sentences' log-odds over the root of their number (`style_evidence`). A paragraph's score is the
noisy-or of its style and artifact probabilities. A document's score combines the combiner's
probability, the density of artifact evidence per thousand words (one typo does not flag a long
native article), and a disclaimer of automatic translation removed by the junk rules (evidence
`machine-translation`). Paragraph and
document thresholds ship with the model, chosen on the dev split for a stated precision;
`--mt-threshold` replaces both. Paragraphs are flagged only in flagged documents (in a native article
a garbled sentence is a typo), each with its evidence: the artifacts found in it and the features
that raised its score most. `--mt-action drop-paragraphs` moves flagged paragraphs to the audit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from operator import mul
from typing import Any

import numpy as np

from .document import Document, Span
from .mtfeatures import (
    DENSE_NAMES,
    FUNCTION_WORD_SET,
    Featurizer,
    NgramLM,
    artifact_vector,
    find_artifacts,
    split_sentences,
    squares,
)
from .settings import Settings
from .stage import DocumentStage

MODEL_FILE = "mt.npz"
RULE_ID = "machine-translation"  # the rule of the paragraphs `drop-paragraphs` moves to the audit
DISCLAIMER_WEIGHT = 0.95
DENSITY_SCALE = 2.5  # artifact probability mass per thousand words that gives a document 1 - 1/e
MIN_STYLE_WORDS = 8  # shorter sentences are menu items, captions, headings: no evidence of style
STYLE_PRIOR_SENTENCES = 4  # see `style_evidence`
# The document combiner learned on pseudo-documents of at least this many sentences; on fewer (a
# brief, a caption block) it guessed: 13 of the 18 short fixture articles were flagged. Such texts are
# judged by their artifacts and disclaimers alone.
MIN_DOCUMENT_SENTENCES = 5
# ... and of at most this many: a longer document's style is read on this many of its sentences, spread
# evenly over it, as langdetect reads a sample. More sentences would add a certainty the combiner was never
# calibrated for, at the cost of the stage's main work; no docs-dev flag moves. The paragraphs of a
# flagged document are then read whole, for their flags and evidence.
MAX_DOCUMENT_SENTENCES = 40
FORGIVEN_ARTIFACTS = 1.0  # native writers leave the odd typo ("ready for for talks"): the first one is free


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def sentences(text: str) -> list[str]:
    """The sentences of `text` long enough to show a style (at least MIN_STYLE_WORDS words)."""
    return [s for s in split_sentences(text) if len(s.split()) >= MIN_STYLE_WORDS]


def style_evidence(logits: list[float]) -> float:
    """Log-odds of machine translation from the style log-odds of n sentences: their sum over the root of n + PRIOR.

    Each sentence is weak evidence. A mean would not grow with the number of sentences, and a sum
    would treat the sentences of one text as independent, which they are not; the sum over the root
    of n grows as the standard error of a mean shrinks, so a long document is judged surely. PRIOR
    counts as that many sentences of no evidence: one or two odd sentences do not flag a short text.
    """
    return sum(logits) / math.sqrt(len(logits) + STYLE_PRIOR_SENTENCES) if logits else 0.0


DOCUMENT_FEATURES = ["style_evidence", "lexical_variety", "repeated_content_words", "sentence_length_variation"]
VARIETY_WINDOW = 100  # words: type/token ratio is read on windows of a fixed length, so it does not fall with length


def lexical_variety(words: list[str]) -> float:
    """The mean type/token ratio of windows of VARIETY_WINDOW words, one every 10 words (of all words when fewer).

    A word is new in the window starting at s when its previous occurrence is before s, so every window's
    count of distinct words is one array comparison: a set per window took a third longer."""
    if len(words) <= VARIETY_WINDOW:
        return len(set(words)) / max(len(words), 1)
    ids: dict[str, int] = {}
    codes = np.array([ids.setdefault(w, len(ids)) for w in words])
    order = np.argsort(codes, kind="stable")
    same = codes[order[1:]] == codes[order[:-1]]
    previous = np.full(len(words), -1)
    previous[order[1:][same]] = order[:-1][same]
    starts = np.arange(0, len(words) - VARIETY_WINDOW + 1, 10)
    distinct = int((previous[starts[:, None] + np.arange(VARIETY_WINDOW)] < starts[:, None]).sum())
    return distinct / (len(starts) * VARIETY_WINDOW)


def document_features(logits: list[float], sentence_words: list[list[str]]) -> list[float]:
    """What the document combiner reads: the style evidence of the sentences, then what no single sentence shows:
    lexical variety (moving-window type/token ratio), the share of content words that an earlier sentence
    already used, and the variation of sentence length (a translator keeps the source's sentences)."""
    seen: set[str] = set()
    repeated = content = 0
    for sentence in sentence_words:
        mine = [w for w in sentence if len(w) > 3 and w not in FUNCTION_WORD_SET]
        repeated += len([w for w in mine if w in seen])
        content += len(mine)
        seen.update(mine)
    lengths = [len(sentence) for sentence in sentence_words]
    mean = sum(lengths) / max(len(lengths), 1)
    spread = math.sqrt(sum([(n - mean) ** 2 for n in lengths]) / max(len(lengths), 1))
    variety = lexical_variety([w for sentence in sentence_words for w in sentence])
    return [style_evidence(logits), variety, repeated / max(content, 1), spread / max(mean, 1.0)]


def _spread(groups: list[list[str]], keep: int, total: int) -> list[list[str]]:
    """`keep` of the `total` sentences of `groups`, spread evenly over them, in their groups."""
    chosen = {round(i * (total - 1) / max(keep - 1, 1)) for i in range(keep)}
    thinned, index = [], 0
    for group in groups:
        thinned.append([s for i, s in enumerate(group, start=index) if i in chosen])
        index += len(group)
    return thinned


@dataclass
class ParagraphScore:
    """A paragraph's style log-odds per sentence, artifact probability, combined score and length, with what
    `evidence` names: its artifacts and each feature's share of its style evidence."""

    style_logits: list[float]
    artifact: float
    score: float
    words: int
    artifacts: list[dict[str, str]] = field(default_factory=list)
    parts: np.ndarray | None = None  # per sentence and dense feature, its term of the style log-odds
    sentence_words: list[list[str]] = field(default_factory=list)  # of the sentences read for style
    words_part: float = 0.0  # the hashed word n-grams' share, on the scale of `style_evidence`

    def evidence(self) -> list[dict[str, Any]]:
        """The artifacts found, then the three features that raised the score most (built only when asked)."""
        found: list[dict[str, Any]] = [{"kind": a["kind"], "text": a["text"]} for a in self.artifacts]
        if self.parts is not None:
            shares = self.parts.sum(axis=0) / math.sqrt(len(self.parts) + STYLE_PRIOR_SENTENCES)
            found += [{"kind": "feature", "feature": DENSE_NAMES[i], "contribution": round(float(shares[i]), 3)}
                      for i in np.argsort(-shares)[:3] if shares[i] > 0]
        if self.words_part > 0:
            found.append({"kind": "feature", "feature": "word-ngrams", "contribution": round(self.words_part, 3)})
        return found


class MTModel:
    """The shipped classifiers: feature scaling, weights and the language model, from one `.npz`."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.meta: dict[str, Any] = json.loads(str(arrays["meta"]))
        self.mean = arrays["mean"]
        self.scale = arrays["scale"]
        self.w_dense = arrays["w_dense"]
        self.w_hash = arrays["w_hash"].astype(np.float64)
        self.bias = float(arrays["bias"])
        self.w_artifact: list[float] = arrays["w_artifact"].tolist()
        self.bias_artifact = float(arrays["bias_artifact"])
        self.no_artifact = sigmoid(self.bias_artifact)
        self.doc_mean: list[float] = arrays["doc_mean"].tolist()
        self.doc_scale: list[float] = arrays["doc_scale"].tolist()
        self.w_doc: list[float] = arrays["w_doc"].tolist()
        self.bias_doc = float(arrays["bias_doc"])
        self.featurizer = Featurizer(NgramLM.from_arrays(arrays), self.meta["hash_bits"])
        self.paragraph_threshold: float = self.meta["paragraph_threshold"]
        self.document_threshold: float = self.meta["document_threshold"]

    def paragraphs(self, texts: list[str], max_sentences: int | None = None) -> list[ParagraphScore]:
        """Score paragraphs, keeping what their `evidence` needs; style is read on at most `max_sentences`
        sentences, spread evenly over the texts (see MAX_DOCUMENT_SENTENCES).

        Artifacts are counted over each paragraph; style is read sentence by sentence (the model was
        fitted on sentences), skipping sentences under MIN_STYLE_WORDS words: a fragment's style says
        nothing, and skipping it keeps the stage cheap on pages full of menus and captions. The
        sentences of all the paragraphs are scaled and weighed as one matrix: numpy's cost per call
        would otherwise exceed the arithmetic.
        """
        split = [sentences(text) for text in texts]
        total = sum(map(len, split))
        if max_sentences is not None and total > max_sentences:
            split = _spread(split, max_sentences, total)
        flat = [s for group in split for s in group]
        if flat:
            feats = self.featurizer.features(flat)
            z = (feats.dense - self.mean) / self.scale
            squares(z)
            parts = z * self.w_dense
            words_parts = np.bincount(feats.rows, weights=self.w_hash[feats.columns] * feats.values,
                                      minlength=len(flat)).tolist()
            logits = (parts.sum(axis=1) + words_parts + self.bias).tolist()
        scores, start = [], 0
        for text, group in zip(texts, split, strict=True):
            artifacts = find_artifacts(text)
            artifact = (sigmoid(sum(map(mul, artifact_vector(artifacts), self.w_artifact)) + self.bias_artifact)
                        if artifacts else self.no_artifact)
            stop = start + len(group)
            if stop == start:
                scores.append(ParagraphScore([], artifact, artifact, len(text.split()), artifacts))
                continue
            mine = logits[start:stop]
            score = 1.0 - (1.0 - sigmoid(style_evidence(mine))) * (1.0 - artifact)
            words_part = sum(words_parts[start:stop]) / math.sqrt(len(mine) + STYLE_PRIOR_SENTENCES)
            scores.append(ParagraphScore(mine, artifact, score, len(text.split()), artifacts, parts=parts[start:stop],
                                         words_part=words_part,
                                         sentence_words=feats.words[start:stop]))
            start = stop
        return scores

    def paragraph(self, text: str) -> ParagraphScore:
        """The score of one paragraph (see `paragraphs`)."""
        return self.paragraphs([text])[0]

    def document(self, paragraphs: list[str], disclaimer: bool = False) -> float:
        """The document score of `paragraphs` (see `document_score`)."""
        return self.document_score(self.paragraphs(paragraphs, MAX_DOCUMENT_SENTENCES), disclaimer)

    def document_style(self, paragraphs: list[ParagraphScore]) -> float:
        """The probability that a document is machine-translated from the style of its sentences (the combiner)."""
        logits = [logit for p in paragraphs for logit in p.style_logits]
        if len(logits) < MIN_DOCUMENT_SENTENCES:
            return 0.0
        features = document_features(logits, [words for p in paragraphs for words in p.sentence_words])
        return sigmoid(self.bias_doc + sum((f - m) / s * w for f, m, s, w in zip(
            features, self.doc_mean, self.doc_scale, self.w_doc, strict=True)))

    def document_score(self, paragraphs: list[ParagraphScore], disclaimer: bool) -> float:
        """Noisy-or of the style of all the document's sentences, the artifact density, and a disclaimer.

        The style part is the document combiner over every sentence of the document (`document_style`); the
        artifact part counts evidence per thousand words beyond one free typo, so an odd sentence in a native
        article does not flag it while a short aggregator copy with three garbled sentences is flagged.
        """
        words = sum(p.words for p in paragraphs)
        if not words:
            return DISCLAIMER_WEIGHT if disclaimer else 0.0
        style = self.document_style(paragraphs)
        density = max(sum(p.artifact for p in paragraphs) - FORGIVEN_ARTIFACTS, 0.0) / max(words / 1000, 0.3)
        keep = (1.0 - style) * math.exp(-density / DENSITY_SCALE) * (1.0 - DISCLAIMER_WEIGHT if disclaimer else 1.0)
        return round(1.0 - keep, 4)


@cache
def load_model() -> MTModel:
    """The model shipped in the package, loaded once per process."""
    with resources.files("cleaner.models").joinpath(MODEL_FILE).open("rb") as handle, \
            np.load(handle, allow_pickle=False) as data:
        return MTModel({name: data[name] for name in data.files})


class ScoreMachineTranslation(DocumentStage):
    """Sets `mt_score`, `mt_flagged` and `mt_paragraphs`; on `--mt-action` drop or drop-paragraphs, removes them."""

    name = "mt"

    def __init__(self, settings: Settings) -> None:
        self.model = load_model()
        self.paragraph_threshold = settings.mt_threshold or self.model.paragraph_threshold
        self.document_threshold = settings.mt_threshold or self.model.document_threshold
        self.action = settings.mt_action

    def process(self, doc: Document) -> None:
        if doc.language not in (None, "en", "unknown"):
            doc.mt_score, doc.mt_flagged, doc.mt_paragraphs = None, False, []  # the model reads English only
            return
        paragraphs = doc.paragraphs
        scores = self.model.paragraphs(paragraphs, MAX_DOCUMENT_SENTENCES)
        disclaimer = any(span.evidence == "machine-translation" for span in doc.removed)
        doc.mt_score = self.model.document_score(scores, disclaimer)
        doc.mt_flagged = doc.mt_score >= self.document_threshold
        if doc.mt_flagged and sum(len(score.style_logits) for score in scores) == MAX_DOCUMENT_SENTENCES:
            scores = self.model.paragraphs(paragraphs)  # every sentence, for the paragraphs' own flags
        doc.mt_paragraphs = []
        for index, score in enumerate(scores):
            # in a document judged native, an odd paragraph is a typo or a quirk, not a translation
            if doc.mt_flagged and score.score >= self.paragraph_threshold:
                doc.mt_paragraphs.append({"paragraph": index, "score": round(score.score, 4),
                                          "flagged": True, "evidence": score.evidence()})
        if doc.mt_flagged and self.action == "drop":
            doc.drop("machine-translation")
        elif doc.mt_paragraphs and self.action == "drop-paragraphs":
            self._drop_paragraphs(doc, paragraphs)

    @staticmethod
    def _drop_paragraphs(doc: Document, paragraphs: list[str]) -> None:
        """Move flagged paragraphs to the audit, as spans of the rule `machine-translation`."""
        flagged = {p["paragraph"] for p in doc.mt_paragraphs}
        kept_lines = [i for i, (_line, rule) in enumerate(doc.annotated) if rule is None]
        for index in sorted(flagged):
            line = kept_lines[index] + 1 if len(kept_lines) == len(paragraphs) else index + 1
            doc.removed.append(Span(RULE_ID, paragraphs[index], line, evidence="machine-translation"))
            if len(kept_lines) == len(paragraphs):
                doc.annotated[kept_lines[index]] = (paragraphs[index], RULE_ID)
        doc.text = "\n\n".join(p for i, p in enumerate(paragraphs) if i not in flagged)
        if not doc.text:
            doc.drop("machine-translation")
