"""Library use: `from cleaner import clean_text, Pipeline`, the same stages and settings as the CLI."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, SEEDS

from cleaner import Pipeline, Settings, clean_text
from cleaner.pipeline import clean

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


def test_a_mapping_with_an_html_field_is_a_page_as_in_jsonl() -> None:
    html = (FIXTURES / "formats" / "article.html").read_text(encoding="utf-8")
    pipeline = Pipeline(dedup=False)
    [page] = pipeline.clean([{"id": "p1", "html": html, "url": "https://news.example.org/p1"}])
    assert page["reason"] is None and page["text"] == clean_text(html, html=True)
    assert page["metadata"]["url"] == "https://news.example.org/p1" and "html" not in page["metadata"]
    assert list(pipeline.clean([{"id": "p2", "body": html}])) == []  # neither field: an error record
    assert "'html'" in pipeline.errors[-1]["error"]


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


@pytest.mark.parametrize(("options", "message"), [
    ({"mt_action": "burn"}, "mt_action: must be one of flag, drop, drop-paragraphs, not 'burn'"),
    ({"mt_threshold": 5}, r"mt_threshold: must be in \(0, 1\], not 5"),
    ({"lang": ["english"]}, "lang: 'english' is not a language code langdetect produces"),
    ({"lang": "en"}, r"lang: must be a list of language codes, e.g. \['en'\], not a string"),
    ({"workers": 0}, "workers: must be at least 1, not 0"),
    ({"boilerplate_min_docs": 1}, "boilerplate_min_docs: must be at least 2, not 1"),
    ({"html_timeout": -1}, "html_timeout: must be at least 0, not -1"),
    ({"html_timeout": float("nan")}, "html_timeout: must be a finite number, not nan"),
    ({"html_timeout": float("inf")}, "html_timeout: must be a finite number, not inf"),
    ({"num_perm": 10**9}, "num_perm: must be at most 4096, not 1000000000"),
    ({"ray_address": "ray://head:10001"}, "ray_address: a Ray cluster address is only used with engine 'ray'"),
    ({"dedup_bands": 100}, r"dedup_bands: LSH bands x rows \(100 x 2\) must not exceed"),
])
def test_pipeline_checks_its_settings_as_the_command_line_does(options, message) -> None:
    with pytest.raises(ValueError, match=message):
        Pipeline(**options)
    with pytest.raises(ValueError, match=message):
        Pipeline(settings=Settings(**options))


def test_lang_codes_in_any_case_match() -> None:
    assert Settings(lang=["EN", "zh-CN"]).lang == ["en", "zh-cn"]
    Settings(lang=["unknown"]).validate()  # the language of a document without letters
    german = "Die Brücke über den Fluss wurde am Montag nach acht Monaten Bauarbeiten wieder eröffnet."
    assert clean_text(german, lang=["DE"]) == german


def test_clean_refuses_bad_settings_before_writing(tmp_path) -> None:
    with pytest.raises(ValueError, match="shard_files: must be at least 1"):
        clean([SEEDS], tmp_path / "out", Settings(shard_files=0))
    assert not (tmp_path / "out").exists()


def test_paths_may_be_given_as_strings(tmp_path) -> None:
    """As a caller writes them (`Pipeline(rule_paths=["mysite.yaml"])`); they failed deep inside as str."""
    pack = tmp_path / "mysite.yaml"
    pack.write_text("rules:\n  - id: mysite-newsletter\n    description: d\n    kind: line\n"
                    "    pattern: '^Get the Morning Briefing'\n    examples: {match: ['Get the Morning Briefing']}\n")
    pipeline = Pipeline(rule_paths=[str(pack)], dedup_index=str(tmp_path / "index"))
    text = "The pier opens in May, two months ahead of schedule, officials said.\nGet the Morning Briefing\n"
    [result] = pipeline.clean([text])
    assert [span["rule"] for span in result["spans"]] == ["mysite-newsletter"] and not pipeline.errors
    assert (tmp_path / "index" / "meta.json").exists()
    with pytest.raises(ValueError, match="rule_paths: must be a list of paths"):
        Pipeline(rule_paths=str(pack))
