"""Stage 2b, reflow: rejoin sentences that a flattener broke across lines, in text input.

A scraper that flattens a page one text node per line (BeautifulSoup's `get_text("\\n")`) breaks a
sentence at every link or bold word ("... the ministry told" / "Reuters" / ", adding that ..."), and
hard-wrapped text breaks it every 70 characters. Line by line, the rules and the line classifier
then see fragments without final punctuation, which look like captions, headlines and menu items.
A line that plainly continues the one before it is joined to that line (`continues`): it starts with
lower-case words or with punctuation, or the line before stops on "the", "of", "and" or a comma, or it
is a short fragment (a link, a title in italics) inside running text. Hard-wrapped text (`wrap_width`)
is unwrapped: a line continues the one before when that one had no room left for its first word. Blank
lines (paragraph breaks) are never crossed. On flattenings the line model never saw, this lifts F1 from
0.80 to 0.86 (the scrapinghub pages one text node per line) and from 0.76 to 0.89 (the same pages
hard-wrapped at 72 columns) (docs/extraction.md).
Code without braces, angle brackets, `=` or `;` can be joined too ("import numpy as np" / "import
pandas as pd"), and a text with no line over 120 characters whose lines are of like length (verse, a
list of headlines) can be taken for wrapped text: `--no-reflow` keeps every line break of a corpus where
lines carry meaning.
"""

from __future__ import annotations

import re

from .document import Document
from .markup import header_end
from .stage import DocumentStage

# Punctuation that follows its word without a space. Not "%": it follows a number, and no joined line stops on one.
_ATTACHED = ",.:)!?"
_ATTACHED_START = re.compile(rf"[{re.escape(_ATTACHED)}](?=\s|$)")
_ADDRESS = re.compile(r"(?:https?://|www\.)")
_CODE = re.compile(r"[{}<>=;]")  # script and style lines end without a full stop and may start in lower case
# Words a sentence cannot end on (articles, possessives, conjunctions, "of"): a line that stops on one is cut
# mid-sentence. Prepositions are not among them: "the game is over", "Follow us on" (then a row of icons).
OPEN_ENDINGS = frozenset(["the", "a", "an", "of", "and", "or", "but", "nor", "their", "its", "my", "your", "our",
                          "whose"])
PROSE_WORDS = 4  # a line of at least this many words, two of them in lower case, reads as running text
FRAGMENT_WORDS = 3  # a link or an italic title inside a sentence: at most this many words
WRAP_MIN, WRAP_MAX = 40, 120  # widths text is hard-wrapped at
WRAP_SLACK = 15  # a wrapped line ends within this many characters of the width (its next word did not fit)
WRAP_LINES, WRAP_SHARE = 8, 0.3  # how many, and what share, of the longer lines must end there


def _stops_open(text: str) -> bool:
    """Whether `text` stops on a letter, a comma or an apostrophe: where a sentence can go on."""
    return text[-1].isalpha() or text[-1] in ",’'"


def _goes_on(line: str) -> bool:
    """Whether `line` starts as the rest of a sentence: in lower case, or with punctuation that follows its word."""
    return line[:1].islower() or _ATTACHED_START.match(line) is not None


class Joined:
    """A stripped line and the lines joined to it so far, with what `continues` asks of them kept up to date as
    lines are added: rebuilding and searching the whole text at every join took 21 s for a list of 20,000
    one-word lines, and hours for a long hard-wrapped text without blank lines."""

    __slots__ = ("parts", "end", "_last_word", "_code", "_words")  # one per line of text input: made cheap

    def __init__(self, line: str) -> None:
        self.parts = [line]
        self.end = line[-2:]  # the last two characters
        # Found when first asked, then kept up to date:
        self._last_word: str | None = None
        self._code: bool | None = None  # whether the text looks like code
        self._words: tuple[int, int] | None = None  # its number of words, and of those that start in lower case

    def last_word(self) -> str:
        if self._last_word is None:  # nothing joined yet
            self._last_word = self.parts[0].rsplit(None, 1)[-1] if self.parts[0] else ""
        return self._last_word

    def code(self) -> bool:
        if self._code is None:
            self._code = _CODE.search(self.text()) is not None
        return self._code

    def prose(self) -> bool:
        """Whether the text reads as running text: at least `PROSE_WORDS` words, two of them in lower case."""
        if self._words is None:
            words = self.text().split()
            if len(words) < PROSE_WORDS:
                return False  # not kept: counted again when asked, as few words cost little
            self._words = len(words), sum(word[:1].islower() for word in words)
        count, lower = self._words
        return count >= PROSE_WORDS and lower >= 2

    def add(self, line: str, tight: bool) -> None:
        """Join `line` (stripped, not empty) with a space, or without one if `tight` (its first word then ends the
        last word)."""
        words = line.split()
        if self._code is not None:
            self._code = self._code or _CODE.search(line) is not None
        if self._words is not None:
            count, lower = self._words
            self._words = (count + len(words) - tight,
                           lower + sum(word[:1].islower() for word in words) - (tight and words[0][:1].islower()))
        self._last_word = self.last_word() + line if tight and len(words) == 1 else words[-1]
        space = "" if tight else " "
        self.end = (self.end + space + line)[-2:]
        self.parts += [space, line]

    def text(self) -> str:
        return "".join(self.parts)


def continues(previous: Joined, line: str, following: str = "") -> bool:
    """Whether `line` (stripped) carries on the sentence of `previous` (the lines joined so far), given the line
    after it, `following`. `previous` must stop on a word or a comma, and neither may look like code. Then `line`
    continues it if it starts with punctuation that follows its word or with two lower-case words, or with one
    after running text (one lower-case word after a short line is more often a menu item: "Spain" / "more"); if
    `previous` is running text that stops on a comma or on a word a sentence cannot end on (`OPEN_ENDINGS`); or
    if `line` is a short fragment (a link, a title in italics) between running text and a line that goes on with
    the sentence. A web address never continues a line."""
    if not previous.end or not _stops_open(previous.end):
        return False
    if previous.code() or _CODE.search(line) or _ADDRESS.match(line):
        return False
    return (_ATTACHED_START.match(line) is not None
            or (line[:1].islower() and (" " in line or previous.prose()))
            or previous.last_word() in OPEN_ENDINGS
            or (previous.prose() and (previous.end[-1] == "," or (len(line.split()) <= FRAGMENT_WORDS
                                                                    and line[-1] not in ".!?:"
                                                                    and _goes_on(following)))))


def wrap_width(lines: list[str]) -> int | None:
    """The width `lines` were hard-wrapped at (`fold`, `fmt`, html2text and `lynx -dump` wrap at 70 to 80
    characters), or None when they were not: the longest line with a space is WRAP_MIN to WRAP_MAX long, and
    of the lines more than half as long, at least WRAP_LINES and a WRAP_SHARE end within WRAP_SLACK characters
    of it (the others end paragraphs, or are headings and menu items)."""
    lengths = [len(line) for line in lines if " " in line]
    width = max(lengths, default=0)
    if not WRAP_MIN <= width <= WRAP_MAX:
        return None
    long = [n for n in lengths if n > width // 2]
    full = [n for n in long if n > width - WRAP_SLACK]
    return width if len(full) >= WRAP_LINES and len(full) >= WRAP_SHARE * len(long) else None


def join_broken_lines(text: str) -> tuple[str, int]:
    """`text` with each continuation line joined to the line before it, and how many were joined.
    A blank line (a paragraph break) is never crossed. In hard-wrapped text (`wrap_width`), a line also
    continues the one before when that one had no room left for its first word: the width broke it (after a
    hyphen between letters, as `fmt` breaks "long-standing", the two halves are joined without a space)."""
    lines = text.split("\n")
    stripped = [line.strip() for line in lines]
    width = wrap_width(stripped)
    out: list[str | Joined] = []
    last = Joined("")  # the line before, stripped, with what was joined to it
    before = 0  # the length of the line before, as it was
    joined = 0
    for i, (raw, line) in enumerate(zip(lines, stripped, strict=True)):
        wrapped = bool(line and last.end) and width is not None and before + 1 + len(line.split(None, 1)[0]) > width
        if wrapped or (line and last.end and _stops_open(last.end)  # the cheap test first: most lines fail it
                       and continues(last, line, stripped[i + 1] if i + 1 < len(lines) else "")):
            last.add(line, line[0] in _ATTACHED or (wrapped and last.end[-1] == "-" and last.end[-2:-1].isalpha()))
            out[-1] = last
            joined += 1
        else:
            out.append(raw)
            last = Joined(line)
        before = len(line)
    return "\n".join(part if isinstance(part, str) else part.text() for part in out) if joined else text, joined


class JoinBrokenLines(DocumentStage):
    """Joins continuation lines of text documents (HTML extraction already gives whole paragraphs), after
    the front matter or Jina Reader header, if any, which the markup stage reads; the number joined goes to
    the metadata as `lines_joined`."""

    name = "reflow"

    def process(self, doc: Document) -> None:
        if doc.format != "text":
            return
        start = header_end(doc.text)
        body, joined = join_broken_lines(doc.text[start:])
        if joined:
            doc.text = doc.text[:start] + body
            doc.metadata["lines_joined"] = joined
