"""Stage 5, machine translation: score paragraphs and documents for machine-translated text.

This first scorer counts artifact evidence that fluent human writing rarely shows and
cheap or round-trip machine translation often does, each with a weight:

- a doubled word ("spoke spoke"), allowing the grammatical ones ("had had", "that that");
- punctuation runs (". ,", "“,") and a sentence that starts with a lower-case verb
  ("the State Department. said");
- a modal followed by a participle instead of a base verb ("will obliged");
- a place name doubled around another word ("Eastern Europe East");
- a disclaimer of automatic translation, found by the junk rules (evidence
  `machine-translation`) and counted for the whole document.

A paragraph's score is the noisy-or of its evidence. A document's score grows with the
density of evidence per thousand words, so one typo in a long native article does not
flag it, and a disclaimer flags it almost surely.
"""

from __future__ import annotations

import math
import re

from .document import Document
from .settings import Settings
from .stage import DocumentStage

_ALLOWED_DOUBLES = {"had", "that", "is", "very", "bye", "so", "no", "ha", "knock", "many", "far", "blah"}
_BASE_ED_ING = {
    "need", "feed", "proceed", "succeed", "exceed", "bleed", "speed", "breed", "heed", "seed",
    "shed", "embed", "shred", "wed", "indeed", "bring", "sing", "ring", "swing", "sting",
    "spring", "cling", "fling", "wring", "string", "bed", "red", "led", "sled", "thing",
}

EVIDENCE: list[tuple[str, float, re.Pattern[str]]] = [
    ("doubled-word", 0.35, re.compile(r"\b([A-Za-z]{2,})\s+\1\b", re.IGNORECASE)),
    ("punctuation-run", 0.4, re.compile(r"(?<!\.)[.!?]\s+[,;](?=\s)|\s[“”\"]\s*,\s|\s,\s")),
    ("lowercase-sentence", 0.5, re.compile(r"\b\w{3,}\.\s+(?:said|says|added|told|noted|stated)\b")),
    ("modal-participle", 0.5, re.compile(
        r"\b(?:will|would|can|could|shall|should|may|might|must)\s+(?!be\b|have\b)([a-z]+(?:ed|ing))\b")),
    ("doubled-name", 0.4, re.compile(r"\b([A-Z][a-z]{3,})[a-z]* [A-Z][a-z]+ \1\b")),
]
DISCLAIMER_WEIGHT = 0.95
DENSITY_SCALE = 2.5  # evidence weight per thousand words that gives a score of 1 - 1/e


def paragraph_evidence(paragraph: str) -> list[dict[str, object]]:
    """Each artifact found in `paragraph`, with its kind, weight and the text that showed it."""
    found = []
    for kind, weight, pattern in EVIDENCE:
        for match in pattern.finditer(paragraph):
            if kind == "doubled-word" and match.group(1).lower() in _ALLOWED_DOUBLES:
                continue
            if kind == "modal-participle" and match.group(1) in _BASE_ED_ING:
                continue
            found.append({"kind": kind, "weight": weight, "text": match.group(0)})
    return found


def noisy_or(weights: list[float]) -> float:
    return 1.0 - math.prod(1.0 - w for w in weights)


class ScoreMachineTranslation(DocumentStage):
    """Sets `mt_score`, `mt_flagged` and `mt_paragraphs`; drops flagged documents on `--mt-action drop`."""

    name = "mt"

    def __init__(self, settings: Settings) -> None:
        self.threshold = settings.mt_threshold
        self.action = settings.mt_action

    def process(self, doc: Document) -> None:
        total = 0.0
        doc.mt_paragraphs = []
        for index, paragraph in enumerate(doc.paragraphs):
            evidence = paragraph_evidence(paragraph)
            if not evidence:
                continue
            weights = [e["weight"] for e in evidence]
            total += sum(weights)
            score = round(noisy_or(weights), 4)
            doc.mt_paragraphs.append({"paragraph": index, "score": score,
                                      "flagged": score >= self.threshold, "evidence": evidence})
        thousands = max(len(doc.text.split()) / 1000, 0.3)
        score = 1.0 - math.exp(-(total / thousands) / DENSITY_SCALE)
        if any(span.evidence == "machine-translation" for span in doc.removed):
            score = noisy_or([score, DISCLAIMER_WEIGHT])
        doc.mt_score = round(score, 4)
        doc.mt_flagged = doc.mt_score >= self.threshold
        if doc.mt_flagged and self.action == "drop":
            doc.drop("machine-translation")
