"""Text no person writes but scrapers and exports leave: long runs of one character, padding, odd separators.
Each case once took time in the square of its length or lost text; each is run here at a size where that showed."""

from __future__ import annotations

import time

import pytest

from cleaner.markup import strip_markup


@pytest.mark.parametrize("padding", [" ", "\t"])
def test_markdown_rules_pattern_takes_time_in_proportion_to_a_line_of_spaces(padding: str) -> None:
    """A Markdown text with a line of 30,000 spaces (a page's padding) took 10 s in the pattern of rules and table
    separators, which backtracked into the indent; rules and separators still go."""
    text = f"# Title\n\nThe pier opens in May.\n\n{padding * 30_000}\n\n---\n\n| a | b |\n| --- | :---: |\n\nThe end."
    start = time.perf_counter()
    stripped, _ = strip_markup(text, markdown=True)
    assert time.perf_counter() - start < 1.0
    assert stripped.split() == ["Title", "The", "pier", "opens", "in", "May.", "|", "a", "|", "b", "|", "The", "end."]
