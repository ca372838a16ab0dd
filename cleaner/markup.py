"""Stage 2c, markup: take link and formatting markup out of text input, keeping the words it marks up.

Many scrapers and "HTML to Markdown" tools (html2text, Firecrawl, Jina Reader, crawl4ai) flatten a page
with its links: `[Sport](https://example.com/sport)`, `![photo](…/a.jpg)`, `[Sport][12]` with the
addresses listed at the end, "Sport (https://example.com/sport)", and left-over tags (`<span id="ad">`).
Addresses are not text: in four such flattenings of the scrapinghub pages they are 38 to 49% of the
words, and the rules and the line model, which learned on pages without them, read them as words.
Markdown links and images (`](`, which no prose holds) always go, their words staying. In a text that is
plainly Markdown (a `.md` file, or one that `_is_markdown`) so do reference links, the list of addresses,
and the formatting marks (headings, emphasis, bullets, rules, fences, quotes, escapes, HTML entities); a
plain text's bullets and asterisks stay, since the junk rules know them. Addresses in parentheses and
HTML tags go from a text that has at least `MIN_LINKS` of them. What was taken out is counted in the
metadata (`markup_removed`). The stage runs after reflow, which unwraps hard-wrapped text at the width its
flattener wrapped it at, addresses included.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

import yaml

from .document import Document
from .stage import DocumentStage

# What is inside a link's parentheses: an address in angle brackets (which may hold spaces), or a run without spaces
# that may hold one level of balanced parentheses (Wikipedia's addresses have them); then an optional title; or
# nothing. No two parts can both take the same space, so a "(" that is never closed costs linear time.
_ADDRESS = (r"\s*(?:(?:<[^<>\n]*>|(?:[^\s()<>]|\([^\s()]*\))+)"
            r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*)?")
# A link's words, possibly wrapped over lines, with up to two levels of brackets inside: the alt text of an
# image in the link, as html2text (Rust) writes it ("[[Facebook]Facebook][53]", "[ [[https://…/a.jpg]] ][9]").
_TEXT = r"(?:[^\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\])*"
_INNER = re.compile(r"\[[^\[\]]*\]")
_IMAGE = re.compile(rf"!\[{_TEXT}\]\({_ADDRESS}\)")
_LINK = re.compile(rf"\[({_TEXT})\]\({_ADDRESS}\)")
_REFERENCE_LINK = re.compile(rf"\[({_TEXT})\]\[[^\[\]\s]{{0,20}}\]")
_REFERENCE = re.compile(r"^[ \t]*\[[^\[\]\n]+\]:[ \t]*\S+[^\n]*$", re.MULTILINE)  # [12]: https://…
_BARE_ADDRESS = re.compile(r"(?<![ \t])[ \t]*\((?:https?://|www\.|mailto:|/|#)[^\s()]*(?:\([^\s()]*\)[^\s()]*)*\)")
_BARE_ADDRESS_START = re.compile(r"\((?:https?://|www\.|mailto:|/|#)")  # counted first: a pattern that starts with a
# literal is searched for fast, one that starts with spaces is tried at every position
_ADDRESS_LINE = re.compile(r"^[ \t]*(?:https?://|www\.)\S*[ \t]*$", re.MULTILINE)  # a line that is only an address
# Tags of the commonest HTML elements, not any word in angle brackets: "<The Palace: Tale of Jang Noksu>" is a title.
_TAG = re.compile(r"</?(?:a|abbr|article|aside|b|blockquote|br|button|caption|center|cite|code|dd|div|dl|dt|em|"
                  r"figcaption|figure|font|footer|form|h[1-6]|header|hr|i|iframe|img|input|label|li|link|main|meta|"
                  r"nav|noscript|ol|option|p|picture|script|section|select|small|source|span|strong|style|sub|sup|"
                  r"svg|table|tbody|td|th|thead|time|tr|u|ul|video)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_CELL = r"[ \t]*:?-{3,}:?[ \t]*"  # a cell of a table's separator line, "| --- | :---: |"
_FORMATTING = [  # (what, pattern, replacement), applied in this order in a Markdown text
    # The indent is taken whole ((?![ \t])): backtracking into it, to give a cell's own spaces a share, took a line
    # of spaces' length squared (30,000: 10 s).
    ("rules", re.compile(rf"^[ \t]*(?![ \t])(?:(?:[-*_=][ \t]*){{3,}}|(?:```|~~~).*|\|?{_CELL}(?:\|{_CELL})*\|?)$",
                         re.MULTILINE), ""),  # rules, setext underlines, code fences, table separators
    ("quotes", re.compile(r"^([ \t]*)(?:>[ \t]?)+", re.MULTILINE), r"\1"),
    ("bullets", re.compile(r"^([ \t]*)(?:[*+\-•][ \t]+)+", re.MULTILINE), r"\1"),  # "* * item": a list in a list
    ("headings", re.compile(r"^([ \t]*)#{1,6}[ \t]+", re.MULTILINE), r"\1"),  # after bullets: "* ## Title"
    ("emphasis", re.compile(r"(\*\*|__|~~)(?=\S)((?:[^\n]|\n(?!\s*\n))+?)(?<=\S)\1"), r"\2"),  # within a paragraph
    ("emphasis", re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^\n*]+?)(?<=[^\s*\\])\*(?![\w*])"), r"\1"),  # not \*
    ("emphasis", re.compile(r"(?<![\w_\\])_(?=[^\s_])([^\n_]+?)(?<=[^\s_\\])_(?![\w_])"), r"\1"),
    ("code", re.compile(r"`([^`\n]+)`"), r"\1"),
    ("escapes", re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])"), r"\1"),
    ("entities", re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,30}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});"),
     lambda entity: html.unescape(entity.group(0))),  # Markdown writes "&" and "<" of the page as "&amp;", "&lt;"
]
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+\S", re.MULTILINE)
_TITLE = re.compile(r"^[ \t]*#[ \t]+(.*\S)", re.MULTILINE)  # the first heading of level 1
MIN_LINKS = 3  # links (of any form) or tags a text needs before addresses in parentheses and tags go
MIN_HEADINGS = 2  # Markdown headings that make a text Markdown without links
MARKDOWN_SUFFIXES = (".md", ".markdown")
# YAML front matter, as static sites and many scrapers open a Markdown file: "---", "key: value" lines, "---".
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n((?:[^\n]*\n){1,50}?)(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
# The header Jina Reader (r.jina.ai) writes above a page's Markdown: "Title: …", "URL Source: …", optional lines
# such as "Published Time: …", then "Markdown Content:".
_READER_HEADER = re.compile(r"\ATitle:[^\n]*\n\s*URL Source:[^\n]*\n\s*(?:[A-Z][\w ]{0,30}:[^\n]*\n\s*){0,10}?"
                            r"Markdown Content:[ \t]*(?:\n|\Z)")
_HEADER_LINE = re.compile(r"^([A-Z][\w ]{0,30}):[ \t]*(.*\S)?[ \t]*$", re.MULTILINE)
# Header keys (in lower case: "URL:" and "url:" alike) whose values belong in the record, by the field they go to
# (a field the record has is kept).
HEADER_FIELDS = {"title": ("title",), "url": ("url", "url source"), "date": ("date", "published time")}


def header_end(text: str) -> int:
    """Where the header at the start of `text` (YAML front matter or a Jina Reader header) ends; 0 without one.
    Reflow, which runs first, leaves it alone: its "key: value" lines are not broken sentences."""
    match = _READER_HEADER.match(text) or _FRONT_MATTER.match(text)
    return match.end() if match else 0


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The header at the start of `text`, and the text after it: YAML front matter (its values as strings, lists
    and mappings, never parsed into dates or numbers, so the record stays plain JSON), or a Jina Reader header
    (`_READER_HEADER`, its "Key: value" lines); ({}, text) when there is none or the YAML is not a mapping."""
    reader = _READER_HEADER.match(text)
    if reader:
        fields = {key: value or "" for key, value in _HEADER_LINE.findall(reader.group(0))}
        fields.pop("Markdown Content", None)
        return fields, text[reader.end():]
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        fields = yaml.load(match.group(1), Loader=yaml.BaseLoader)
    except yaml.YAMLError:
        return {}, text
    if not isinstance(fields, dict) or not fields:
        return {}, text
    return fields, text[match.end():]


def _words(match: re.Match[str]) -> str:
    """A link's words, without the alt text of images inside it (two levels at most, as `_TEXT` allows)."""
    return _INNER.sub("", _INNER.sub("", match.group(1)))


def _is_markdown(text: str, links: int) -> bool:
    """Whether `text`, which had `links` Markdown links and images, is Markdown: it has at least `MIN_LINKS` links
    and reference addresses, or `MIN_HEADINGS` headings. (The cheap tests for "]:" and "#" first.)"""
    if links >= MIN_LINKS or ("]:" in text and links + len(_REFERENCE.findall(text)) >= MIN_LINKS):
        return True
    return "#" in text and len(_HEADING.findall(text)) >= MIN_HEADINGS


def strip_markup(text: str, markdown: bool = False) -> tuple[str, Counter[str]]:
    """`text` without link addresses, images, reference lists and (in Markdown: `markdown`, or a text that
    `_is_markdown`) formatting marks, and how many of each were taken out."""
    removed: Counter[str] = Counter()

    def sub(what: str, pattern: re.Pattern[str], replacement: Any, source: str) -> str:
        result, count = pattern.subn(replacement, source)
        removed[what] += count
        return result

    text = sub("images", _IMAGE, "", text)
    text = sub("links", _LINK, _words, text)
    if markdown or _is_markdown(text, removed["links"] + removed["images"]):
        text = sub("links", _REFERENCE_LINK, _words, text)
        text = sub("references", _REFERENCE, "", text)
        for what, pattern, replacement in _FORMATTING:
            text = sub(what, pattern, replacement, text)
    if len(_BARE_ADDRESS_START.findall(text)) >= MIN_LINKS:  # a flattening that writes each link's address after it
        text = sub("addresses", _BARE_ADDRESS, "", text)
        text = sub("addresses", _ADDRESS_LINE, "", text)
    if len(_TAG.findall(text)) >= MIN_LINKS:
        text = sub("tags", _TAG, "", text)
    return text, +removed


class StripMarkup(DocumentStage):
    """Takes link and Markdown markup out of text documents (HTML goes through trafilatura instead); a file
    named `.md` or `.markdown` is Markdown whatever its links. YAML front matter or a Jina Reader header moves
    to the metadata (`front_matter`); its title, or else a Markdown document's first heading of level 1, is the
    title, and its URL and date the record's `url` and `date`, unless the record gave them (`HEADER_FIELDS`)."""

    name = "markup"

    def process(self, doc: Document) -> None:
        if doc.format != "text":
            return
        fields, original = front_matter(doc.text)
        if fields:
            doc.metadata["front_matter"] = fields
            lowered = {str(key).lower(): value for key, value in fields.items()}
            value = {field: next((lowered[key].strip() for key in keys if isinstance(lowered.get(key), str)), "")
                     for field, keys in HEADER_FIELDS.items()}
            title = value.pop("title")
            doc.title = doc.title or title or None
            for field in value:  # the URL also scopes site rules and groups the site's boilerplate
                if value[field] and not doc.metadata.get(field):
                    doc.metadata[field] = value[field]
        doc.text, removed = strip_markup(original, bool(fields) or doc.source.lower().endswith(MARKDOWN_SUFFIXES))
        if fields:
            removed["front_matter"] = 1
        if not removed:
            return
        doc.metadata["markup_removed"] = dict(sorted(removed.items()))
        title = _TITLE.search(original) if removed["headings"] and doc.title is None else None
        if title:  # a Markdown page's title, as HTML metadata gives it
            doc.title = strip_markup(title.group(1).rstrip("#"))[0].strip() or None
