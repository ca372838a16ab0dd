"""The language stage: langdetect on a bounded sample, deterministic, with fewer random walks."""

from __future__ import annotations

import pytest
from langdetect.detector import Detector

from cleaner.language import FastDetector, _factory, detect, sample

PARAGRAPHS = {
    "en": "The council voted on Tuesday to rebuild the old bridge, and work is expected to start in spring.",
    "de": "Der Stadtrat hat am Dienstag beschlossen, die alte Brücke neu zu bauen; die Arbeiten beginnen im Frühjahr.",
    "fr": "Le conseil a voté mardi la reconstruction du vieux pont, et les travaux commenceront au printemps.",
    "es": "El ayuntamiento votó el martes reconstruir el viejo puente, y las obras comenzarán en primavera.",
    "ru": "Городской совет во вторник проголосовал за восстановление старого моста, работы начнутся весной.",
}


@pytest.mark.parametrize("language", sorted(PARAGRAPHS))
def test_detects_the_language_of_a_paragraph_the_same_way_every_time(language: str) -> None:
    found = {detect(PARAGRAPHS[language]) for _ in range(3)}
    assert len(found) == 1
    (lang, prob), = found
    assert lang == language and prob > 0.9


def test_text_without_letters_is_unknown() -> None:
    assert detect("1234 5678 -- !!") == ("unknown", 0.0)


def test_sample_keeps_whole_leading_paragraphs() -> None:
    text = "\n\n".join(["word " * 30] * 10)
    assert sample(text, 400) == "\n\n".join(["word " * 30] * 2)


MIXED = [
    *PARAGRAPHS.values(),
    "USA TODAY and NATO: the EU's reply, by e-mail (a@b.com) and on https://example.com/x?y=1 ...",
    "Ελληνικά και English   mixed,   with  runs of   spaces",
    "日本語のテキストとカタカナ、ひらがな。中文句子。한국어 문장.",
    "Ţară şi ţărm: România, Việt Nam tiếng Việt có dấu",
    "A",
    " trailing space ",
]


@pytest.mark.parametrize("text", MIXED)
def test_fast_detector_gives_langdetects_own_answer(text: str) -> None:
    """The batched walk must be langdetect's algorithm: same n-grams, languages and probabilities."""
    stock, fast = Detector(_factory()), FastDetector(_factory())
    for detector in (stock, fast):
        detector.n_trial = 3
        detector.append(text)
    assert fast.text == stock.text
    assert fast._extract_ngrams() == stock._extract_ngrams()
    expected, got = stock.get_probabilities(), fast.get_probabilities()
    assert [x.lang for x in got] == [x.lang for x in expected]
    assert [x.prob for x in got] == pytest.approx([x.prob for x in expected], abs=1e-12)
