"""Rejoining sentences that a flattener broke across lines (cleaner/reflow.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from test_extraction import BODY_PARAGRAPHS

from cleaner.reflow import Joined, continues, join_broken_lines, wrap_width


def test_text_nodes_of_a_sentence_are_joined() -> None:
    text = "The ministry told\nReuters\n, adding that talks\nwould resume on Monday.\nWeather"
    joined, count = join_broken_lines(text)
    assert joined == "The ministry told\nReuters, adding that talks would resume on Monday.\nWeather"
    assert count == 2


def test_links_and_titles_inside_a_sentence_are_joined() -> None:
    # one text node per line: each link or title in italics breaks the sentence, often before a capital
    text = ("Noah Hawley, best known for creating FX’s\nLegion\nand\nFargo\n"
            "TV series, is in final talks, according to\nThe Wrap\nand\nDeadline.\n"
            "Unlike the first two films of the franchise,\nStar Trek Beyond was directed by Justin Lin.")
    joined, count = join_broken_lines(text)
    assert joined.split("\n") == [
        "Noah Hawley, best known for creating FX’s Legion and Fargo",  # "Fargo" follows "and"
        "TV series, is in final talks, according to The Wrap and Deadline.",  # a new line: more than a fragment
        "Unlike the first two films of the franchise, Star Trek Beyond was directed by Justin Lin.",  # a comma
    ]
    assert count == 7


def test_hard_wrapped_paragraph_becomes_one_line() -> None:
    wrapped = ("Officials said the bridge, closed since the storm, would\n"
               "reopen next year after repairs costing\nabout 40 million euros.")
    assert join_broken_lines(wrapped) == (wrapped.replace("\n", " "), 2)


def test_what_is_not_a_continuation_stays_apart() -> None:
    cases = [
        ("The council met on Tuesday.", "officials said later"),  # the line before ends a sentence
        ("Spain", "more"),  # one lower-case word: a menu item
        ("Lego Star Wars 75188", "http://amzn.to/2iJFhRj now"),  # a web address
        (".article-body { margin: 0 auto; }", "font-size: 14px;"),  # style sheet
        ("<!-- ad slot -->", "var slot = defineSlot('/1234', 'ad-1');"),  # script
        ("3.409", "letture totali"),  # a counter
        ("Home", "World"),  # capitals: a new item
        ("Challenges to finish within a week, even after the game is over",  # a sentence may end on a preposition
         "Additional quizzes, surprises and bonuses"),
        ("Follow RT on", "Trends: Evo Morales news"),  # a short line that stops on a preposition: a menu
        ("61 голос", "% 12 голосов"),  # a poll's rows: "%" follows a number, never a word
    ]
    for previous, line in cases:
        assert not continues(Joined(previous), line), (previous, line)
    text = "\n".join(f"{a}\n{b}" for a, b in cases)
    assert join_broken_lines(text) == (text, 0)


def test_hard_wrapped_text_is_unwrapped_wherever_the_width_broke_it() -> None:
    paragraphs = ["Officials in Geneva said on Monday that the talks between the two delegations would resume "
                  "next week. The United Nations envoy, Martin Griffiths, told Reuters that both sides had "
                  "agreed to a timetable. Negotiators from Kyiv and Moscow will meet in Istanbul on Thursday.",
                  "The European Union welcomed the news. Its foreign policy chief said Brussels stood ready to "
                  "help. Markets in Frankfurt, Paris and London rose by about one per cent after the report.",
                  "Oil prices fell for a third day. Brent crude traded at 96 dollars a barrel in London, and "
                  "West Texas Intermediate at 91 dollars. Analysts at Commerzbank expect further falls."]
    menu = ["Home", "World", "Business"]
    wrapped = "\n".join(menu + [""] + ["\n".join(textwrap.wrap(p, 60)) + "\n" for p in paragraphs])
    assert wrap_width(wrapped.split("\n")) == max(len(line) for line in wrapped.split("\n"))
    assert any(line[:1].isupper() for line in textwrap.wrap(paragraphs[0], 60)[1:])  # breaks before capitals too
    joined, _ = join_broken_lines(wrapped)
    assert [line for line in joined.split("\n") if line] == menu + paragraphs


def test_a_compound_the_width_broke_at_its_hyphen_is_joined_without_a_space() -> None:
    import textwrap

    paragraph = ("The long-standing dispute over the cross-border pipeline reached a well-known court in "
                 "mid-November, when a three-judge panel heard a so-called test case brought by state-owned "
                 "firms and by privately-held rivals in a closely-watched hearing. ") * 3
    wrapped = textwrap.wrap(paragraph, 50)
    assert any(line.endswith("-") for line in wrapped)  # textwrap breaks compounds at their hyphen
    joined, _ = join_broken_lines("\n".join(wrapped))
    assert joined == paragraph.strip()


def test_text_that_is_not_hard_wrapped_is_seen_so() -> None:
    page = ["Home", "World", "A headline of forty characters or so here"] * 5 + ["A paragraph " * 20]
    assert wrap_width(page) is None  # a line longer than any wrapping width
    assert wrap_width(["Home", "World", "Business", "Sport"] * 10) is None  # short lines: a menu


def test_blank_lines_are_never_crossed() -> None:
    text = "A paragraph that stops without a full stop\n\nand a new one that starts in lower case"
    assert join_broken_lines(text) == (text, 0)


def test_stage_joins_text_input_and_records_it(tmp_path: Path, run_clean) -> None:
    first, second = BODY_PARAGRAPHS[0].split(" which ")
    lines = [f"{first} which", f"{second}", *BODY_PARAGRAPHS[1:]]
    (tmp_path / "page.txt").write_text("\n".join(lines) + "\n")
    record = run_clean(tmp_path, dedup=False).clean["page.txt"]
    assert BODY_PARAGRAPHS[0] in record["text"].split("\n\n")
    assert record["metadata"]["lines_joined"] == 1
    unjoined = run_clean(tmp_path, dedup=False, reflow=False)  # --no-reflow: the fragment looks like a headline
    assert "lines_joined" not in unjoined.clean["page.txt"]["metadata"]
    assert f"{first} which" in {span["text"] for span in unjoined.removed["page.txt"]["spans"]}
