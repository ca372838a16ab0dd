"""The language stage: langdetect on a bounded sample, deterministic, with fewer random walks."""

from __future__ import annotations

import pytest

from cleaner.language import detect, sample

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
