"""Library use: `from cleaner import clean_text, Pipeline`, the same stages and settings as the CLI."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, SEEDS

from cleaner import Pipeline, Settings, clean_text

SEED = SEEDS / "004_ffa0f568251b8a3b.txt"


def test_clean_text_equals_the_command_line_output(seeds_run) -> None:
    text = clean_text(SEED.read_text(encoding="utf-8"))
    assert text == seeds_run.clean[SEED.name]["text"]
    assert "Latest World News" not in text


def test_clean_text_html_options_and_drops() -> None:
    html = (FIXTURES / "formats" / "article.html").read_text(encoding="utf-8")
    text = clean_text(html, html=True)
    assert "Copyright" not in text and text
    german = "Die Brücke über den Fluss wurde am Montag nach acht Monaten Bauarbeiten wieder eröffnet."
    assert clean_text(german, lang=["en"]) == ""
    assert clean_text(german, settings=Settings(lang=["de"])) == german
    with pytest.raises(ValueError, match="binary"):
        clean_text("\x00\x01\x02" * 50)


def test_pipeline_cleans_records_with_dedup_and_errors() -> None:
    body = SEED.read_text(encoding="utf-8")
    pipeline = Pipeline(mt_action="drop")
    results = list(pipeline.clean([
        {"id": "a", "text": body, "url": "https://example.com/a"},
        {"id": "b", "text": body},
        {"id": "c", "body": "no text field"},
        (SEEDS / "001_fec8ec42891de7d7.txt").read_text(encoding="utf-8"),
    ]))
    by_id = {r["id"]: r for r in results}
    assert by_id["a"]["reason"] is None and by_id["a"]["metadata"]["url"] == "https://example.com/a"
    assert by_id["a"]["metadata"]["byline"] == "By Press Association"
    assert by_id["b"]["reason"] == "duplicate" and by_id["b"]["duplicate_of"] == "a"
    assert by_id["3"]["reason"] == "machine-translation"
    assert any(span["rule"] == "link-farm" for span in by_id["a"]["spans"])
    assert [e["source"] for e in pipeline.errors] == ["<record c>"]
