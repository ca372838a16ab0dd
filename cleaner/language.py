"""Stage 4, language: identify the language of the cleaned text with `langdetect`.

langdetect samples randomly; a fixed seed makes it deterministic. It runs on a bounded
sample (whole paragraphs from the start, up to `language_sample` characters), which is
as accurate on articles and keeps long documents cheap.
"""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from .document import Document
from .settings import Settings
from .stage import DocumentStage

DetectorFactory.seed = 0


def sample(text: str, limit: int) -> str:
    """Leading paragraphs of `text` up to about `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


class DetectLanguage(DocumentStage):
    """Sets `language` and `language_prob`; drops documents outside `--lang` when it is given."""

    name = "language"

    def __init__(self, settings: Settings) -> None:
        self.keep = set(settings.lang)
        self.limit = settings.language_sample

    def process(self, doc: Document) -> None:
        DetectorFactory.seed = 0
        try:
            best = detect_langs(sample(doc.text, self.limit))[0]
            doc.language, doc.language_prob = best.lang, round(best.prob, 4)
        except LangDetectException:
            doc.language, doc.language_prob = "unknown", 0.0
        if self.keep and doc.language not in self.keep:
            doc.drop("language")
