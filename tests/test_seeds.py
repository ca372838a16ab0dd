"""What the five real seed articles must become: junk gone, body kept, MT flagged, five clusters."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from cleaner.rules import split_lines

JUNK = {
    "000": ["<!–", "createElement", "s.src = src;", "DM.loadCSS", "targetedAnd he said",
            "This handout video grab released by the Russian Defence Ministry",
            "Satellite images show a Russian assembly area in Yelnya"],
    "001": ["Skip to content", "politico Gt", "we transmit this news automatically"],
    "002": ["• Russian President Vladimir Putin has agreed", "Source: Read Full Article",
            "Defense Secretary Lloyd Austin said the 100,000-plus Troops",
            "Russian BMP-3 armoured troop carriers are pictured"],
    "003": ["Kyrgyz opposition politician", "Live briefing", "Consult the RFE/RL new live briefing",
            "WATCH:", "Comments are closed.", "With reports from Reuters"],
    "004": ["Picture: PA", "Biden. Picture", "(AP)", "Ukraine demo", "Latest World News",
            "See more Latest World News", "Two Brits have died", "Malcolm X", "By Press Association",
            "21 February 2022, 13:14"],
}

BODY = {
    "000": ["President Joe Biden delivered his sternest warning yet to Vladimir Putin on Tuesday",
            "Putin responded: ‘Good.’",
            "‘This could change quickly if a lot of people are killed,’ a source said."],
    "001": ["“They haven’t moved any of their troops,” Biden said.", "Western warnings",
            "Russia will obliged to react"],
    "002": ["‘We don’t have a Titanic here,’ he said.", "NORMANDY FORMAT",
            "He added that Putin is aware of the proposal but had no immediate reaction."],
    "003": ["Ushakov said Biden warned Putin of major potential sanctions but did not emphasize them.",
            "Russia said on February 12 that it had also withdrawn diplomatic personnel from Ukraine."],
    "004": ["US officials said Russia has moved a step closer to a planned invasion of Ukraine.",
            "He provided no details about who might be targeted.", "It is likely to take several months to set up."],
}


def _record(seeds_run, prefix: str) -> dict:
    return next(r for i, r in seeds_run.clean.items() if i.startswith(prefix))


@pytest.mark.parametrize("prefix", sorted(JUNK))
def test_junk_is_gone(seeds_run, prefix: str) -> None:
    text = _record(seeds_run, prefix)["text"]
    for junk in JUNK[prefix]:
        assert junk not in text, junk


@pytest.mark.parametrize("prefix", sorted(BODY))
def test_named_body_paragraphs_are_kept(seeds_run, prefix: str) -> None:
    text = _record(seeds_run, prefix)["text"]
    for body in BODY[prefix]:
        assert body in text, body


@pytest.mark.parametrize("prefix", ["001", "003", "004"])
def test_every_sentence_paragraph_is_kept_word_for_word(seeds_run, prefix: str) -> None:
    """Seeds without inline captions: every original paragraph ending like a sentence survives intact."""
    source = next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")
    kept = set(_record(seeds_run, prefix)["text"].split("\n\n"))
    removed = {s["text"] for r in seeds_run.removed.values() if r["id"].startswith(prefix) for s in r["spans"]}
    for line in split_lines(source):
        if line.endswith((".", "”", "’")) and len(line.split()) >= 8 and line not in removed:
            assert " ".join(line.split()) in {" ".join(k.split()) for k in kept}, line


def test_titles_and_metadata(seeds_run) -> None:
    assert _record(seeds_run, "004")["title"] == "Biden agrees in principle to meeting with Putin"
    assert _record(seeds_run, "004")["metadata"]["byline"] == "By Press Association"
    assert _record(seeds_run, "004")["metadata"]["date"] == "21 February 2022, 13:14"
    assert _record(seeds_run, "003")["title"] is None
    assert _record(seeds_run, "003")["metadata"]["credits"] == "With reports from Reuters, AFP and AP"
    assert _record(seeds_run, "001")["title"].startswith("Biden in stern warning")


def test_machine_translation_flags(seeds_run) -> None:
    flagged = {prefix: _record(seeds_run, prefix)["mt_flagged"] for prefix in JUNK}
    assert flagged == {"000": False, "001": True, "002": False, "003": True, "004": False}
    for prefix in ("000", "002", "004"):
        assert _record(seeds_run, prefix)["mt_paragraphs"] == []


def test_seeds_are_five_clusters_in_english(seeds_run) -> None:
    assert len(seeds_run.clean) == 5
    assert len({r["cluster_id"] for r in seeds_run.clean.values()}) == 5
    assert all(r["language"] == "en" and r["language_prob"] > 0.9 for r in seeds_run.clean.values())


def test_removed_spans_name_their_rule(seeds_run) -> None:
    rules = {s["rule"] for r in seeds_run.removed.values() for s in r["spans"]}
    assert {"html-comment-fragment", "javascript", "link-farm", "photo-credit", "caption-shape",
            "machine-translation-disclaimer", "unrelated-headline", "promo-live-page"} <= rules
