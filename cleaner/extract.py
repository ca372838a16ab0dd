"""Stage 2b, HTML: main-content extraction with `trafilatura`, after a `selectolax` pre-pass.

Runs only on documents read as HTML. selectolax's lexbor parser is an order of magnitude
faster than lxml, so it does the cheap pruning first: scripts, styles, page chrome
(`nav`, `aside`, `footer`, `form`, ...), hidden elements, comments and link-dense blocks
(menus, tag clouds, related-article lists) go before trafilatura sees the page. A smaller
page makes trafilatura both faster and less tempted by boilerplate. trafilatura then finds
the article and its metadata, favouring precision, or in its default mode when that finds a
far longer text than a short precise one (`SHORT_TEXT`). When it finds nothing, or the page runs past the
per-document time limit (trafilatura's own timeout does not cover `extract()`; this one covers the parse too), the
pre-pruned page's visible text is used instead, without scripts or styles, and goes on as text input does (reflow,
the rules for flattened text, the line classifier), so its menus and footers are taken out as a flattened page's are.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import unescape
from typing import Any

import numpy as np
import trafilatura
from selectolax.lexbor import LexborHTMLParser, LexborNode

from .document import Document
from .encoding import note_fixes, repair, repair_text
from .plural import counted
from .stage import DocumentStage

# Never article text. Forms are handled separately: some sites (ASP.NET) wrap the whole page in
# one, so a form goes only when it holds a minor share of the page's text.
_ALWAYS_DROP = ("script:not([type='application/ld+json'])", "style", "noscript", "iframe", "svg", "template",
                "object", "embed", "canvas", "select", "button", "input", "textarea")
_CHROME = ("nav", "aside", "footer", "menu", "[role=navigation]", "[role=complementary]", "[role=contentinfo]",
           "[role=search]", "[role=banner]")
_HIDDEN = ("[hidden]", "[aria-hidden=true]", "[style*='display:none']", "[style*='display: none']",
           "[style*='visibility:hidden']", "[style*='visibility: hidden']")
# Candidates for the link-density test: containers of lists of links.
_BLOCKS = ("ul", "ol", "dl", "table", "div", "section")
_METADATA = ("author", "date", "sitename", "url", "hostname", "description")

# Markup nested deeper than MAX_DEPTH levels inside <body> is cut down to that depth (see `cut_nesting`), before it is
# parsed and again from the pruned page: trafilatura's parser (libxml2) stops at 256 levels and drops the rest of the
# page (an article at the bottom of a page nested deeper was lost), and parsers (lexbor's tree builder, lxml, the
# pre-pass's walks) take time in proportion to the depth at every tag (a page nested 100,000 deep took 750 s).
# The deepest of the 181 benchmark pages is 51 levels deep once pruned.
MAX_DEPTH = 250
# A comment, a script or style (whose insides are no tags), or a tag with its name; unrolled, not lazy, so a page is
# scanned in under half a millisecond.
_TAGS = re.compile(r"<!--[^-]*(?:-(?!->)[^-]*)*(?:-->)?|<script\b[^<]*(?:<(?!/script)[^<]*)*"
                   r"|<style\b[^<]*(?:<(?!/style)[^<]*)*|<(/?)([a-zA-Z][\w:-]*)([^>]*)>", re.IGNORECASE)
# Elements that add no depth: void ones, and <html>, <head> and <body>, of which a parser keeps one each.
_NOT_NESTING = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                          "track", "wbr", "html", "head", "body"})
# Elements whose end tag may be left out: a start tag of one closes the nearest open element of these names (and what
# is open inside it), as a parser does, unless a container (`_FENCES`; a table for a table's parts) is open inside it.
_CLOSES = {"p": ("p",), "li": ("li",), "dt": ("dt", "dd"), "dd": ("dt", "dd"), "td": ("td", "th"), "th": ("td", "th"),
           "tr": ("tr",), "thead": ("thead", "tbody", "tfoot"), "tbody": ("thead", "tbody", "tfoot"),
           "tfoot": ("thead", "tbody", "tfoot"), "option": ("option",), "optgroup": ("optgroup", "option"),
           "rb": ("rb", "rt", "rp"), "rt": ("rb", "rt", "rp"), "rp": ("rb", "rt", "rp")}
_TABLE_PARTS = frozenset({"caption", "colgroup", "thead", "tbody", "tfoot", "tr", "td", "th"})
# Elements inside a line of text: a cut tag of another becomes white space, so words do not run together (not a <br>:
# trafilatura takes time in the square of the line breaks in one element).
_INLINE = frozenset({"a", "abbr", "b", "big", "cite", "code", "em", "font", "i", "label", "mark", "nobr", "q", "s",
                     "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u"})
# An end tag does not close an element open outside these (`</div>` in a table cell, `</li>` in a nested list).
_FENCES = ("table", "td", "th", "caption", "ul", "ol", "dl", "select", "button", "object", "template")
# The formatting elements of the HTML spec: a parser keeps those left open in a list and, after a block closes them
# (a <p> closing the one before), opens them again in the next block ("reconstructs" them). A page of paragraphs each
# opening one more <b> with attributes of its own (identical ones count at most 3 times, the spec's "Noah's Ark") made
# lexbor build a tree in the square of its tags, in C code no time limit stops: 6,000 of them (118 KB) made one of 18
# million elements, 7.7 GB. Thousands left open without a block took it time in their square (40,000: 11 s).
_FORMATTING = frozenset({"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt",
                         "u"})
_FORMATTING_START = re.compile(r"<(a|b|big|code|em|font|i|nobr|s|small|strike|strong|tt|u)\b([^>]*)>", re.IGNORECASE)
# A page whose list of open formatting elements would hold more than MAX_FORMATTING of them, or whose blocks would
# reopen more than MAX_REOPENED of them in all, has the tags of those a block closes cut before it is parsed (see
# `cut_formatting`). The most of the 181 benchmark pages is 3 open at once, 1,337 reopened.
MAX_FORMATTING = 200
MAX_REOPENED = 500_000
FORM_SHARE = 0.5  # a form holding more than this share of the page's text is kept
# trafilatura runs with `favor_precision`, which on some pages keeps a small box (a reprint notice) instead of
# the article. When that text is shorter than SHORT_TEXT characters, the page is extracted again in
# trafilatura's default mode, and that text is used if the precise one is under SHORT_SHARE of it.
SHORT_TEXT = 500
SHORT_SHARE = 0.25
LINK_DENSITY = 0.6  # a block whose text is more than this share link text is a menu or link list
LINK_BLOCK_PLAIN = 300  # ... and has less text than this outside links (else it may hold the article)


class ExtractionTimeout(BaseException):
    """Extraction of one document ran past its time limit.

    A `BaseException`, as `KeyboardInterrupt` is: trafilatura catches `Exception` around some of its steps
    (JSON-LD metadata, its recall retry), which swallowed the timeout and let the page run on."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `ExtractionTimeout` in the block after `seconds` (a POSIX interval timer).

    Python offers no way to stop a thread, and trafilatura's own timeout covers only
    downloads, so the limit is a SIGALRM; it only works in the main thread, and elsewhere
    (or with `seconds` <= 0) the block runs without a limit.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(_signum: int, _frame: Any) -> None:
        raise ExtractionTimeout(f"extraction took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def cut_nesting(html: str) -> tuple[str, int]:
    """`html` without the tags of elements nested deeper than `MAX_DEPTH` / 2 levels that hold more than that many
    levels inside them, nor of the inline elements (`<b>`, `<a>`) these hold outside a block (their text stays), and how
    many were cut: a page's outer levels (its layout) and its inner ones (the article's paragraphs, lists and tables)
    keep their tags, and the wrappers between them go. What they held comes together in one element, where an inline
    element from each level (a page 100,000 deep with a `<b>` or a link at every level) took trafilatura minutes: its
    steps take time in the square of an element's children, or in the links times their ancestors. A tag is at most
    `MAX_DEPTH` levels deep after."""
    if html.count("<") <= MAX_DEPTH or not _too_deep(html):
        return html, 0
    nesting = _Nesting()
    tags = [match for match in _TAGS.finditer(html) if match.group(2)]
    for number, match in enumerate(tags):
        close, name, rest = match.groups()
        if not rest.endswith("/") and (name := name.lower()) not in _NOT_NESTING:  # "/>": SVG's self-closing tags
            (nesting.end if close else nesting.start)(name, number)
    nesting.close(0)
    # a block's edge stays a space, so words of two paragraphs do not run together
    return _without_tags(html, tags, nesting.cut, lambda name: "" if name in _INLINE else "\n"), len(nesting.cut)


def _without_tags(html: str, tags: list[re.Match[str]], numbers: set[int],
                  gap: Callable[[str], str] = lambda name: "") -> str:
    """`html` without the tags of `tags` numbered in `numbers`, each replaced by `gap` of its element's name."""
    kept, start = [], 0  # the markup kept so far, in pieces, and where the next piece starts
    for number in sorted(numbers):
        match = tags[number]
        kept.append(html[start:match.start()] + gap(match.group(2).lower()))
        start = match.end()
    return "".join([*kept, html[start:]])


def _too_deep(html: str) -> bool:
    """Whether `html` may nest deeper than `MAX_DEPTH`: whether, with no end tag left out (a page's unclosed <p>,
    <li> or <font> count as open to the end), a tag of it would be: the depth is a walk of the tags' steps that never
    goes below 0 (a stray end tag closes nothing), the sum of the steps less its lowest point so far. In numpy: most
    pages are far from the limit, and `_Nesting` in a Python loop over the tags took a millisecond of the 20 a page
    takes."""
    walk = np.cumsum([_step(*tag) for tag in _TAGS.findall(html)])
    return bool(len(walk)) and (walk - np.minimum.accumulate(np.minimum(walk, 0))).max() > MAX_DEPTH


def _step(close: str, name: str, rest: str) -> int:
    """How a match of `_TAGS` changes the depth: 1 for a start tag, -1 for an end tag, 0 for what does not nest."""
    if not name or rest.endswith("/") or name.lower() in _NOT_NESTING:
        return 0
    return -1 if close else 1


def cut_formatting(html: str) -> tuple[str, int]:
    """`html` without the tags of the formatting elements (`_FORMATTING`) that a parser would reopen block after block,
    when so many are left open that its tree would grow in the square of the page (see `_FORMATTING`): those a block
    closes before they are (`<p><b class=c1>w <p><b class=c2>w ...`), else all of them; and how many tags were cut,
    their text kept. A page's properly closed `<b>` and links keep theirs."""
    if not _formatting_may_grow(html):
        return html, 0
    tags = [match for match in _TAGS.finditer(html) if match.group(2)]
    reopened = _Formatting(tags)
    if not reopened.too_many():
        return html, 0
    cut = reopened.reopened
    if _Formatting([tag for number, tag in enumerate(tags) if number not in cut]).too_many():
        cut = {number for number, tag in enumerate(tags) if tag.group(2).lower() in _FORMATTING}
    return _without_tags(html, tags, cut), len(cut)


def _formatting_may_grow(html: str) -> bool:
    """Whether `html` may leave more formatting elements open than `_Formatting` allows, by a bound taken in one pass of
    a regular expression: each start tag of one counts, identical ones at most 3 times, links once, and each tag may
    reopen them all. Most pages are far from the limits, and `_Formatting` in a Python loop over the tags is slower."""
    counts: dict[tuple[str, str], int] = {}
    for name, rest in _FORMATTING_START.findall(html):
        key = (name.lower(), rest)
        counts[key] = counts.get(key, 0) + 1
    names = {name for name, _rest in counts}
    most = sum(min(count, 3) for (name, _rest), count in counts.items() if name != "a") + ("a" in names)
    return most > MAX_FORMATTING or most * html.count("<") > MAX_REOPENED


class _Formatting:
    """The list of active formatting elements a parser keeps, closely enough to bound it: a formatting element's start
    tag adds one (a link closes the one before, and a fourth identical one, tag and attributes, drops the first), its
    end tag takes out the last of its name; the table cells that clear the list do not, so it may count more than a
    parser does (an unclosed `<font>` repeated in every cell of an old forum page counts 3 times), and fewer only where
    a parser mends misnested markup its own way (an end tag it ignores in a table). Every
    end tag and the start tag of a block may close the open ones, which the next tag or text reopens: `reopened` gets
    the tags of the elements so closed, `most` how many were open at once, `opened` how many reopened in all."""

    def __init__(self, tags: list[re.Match[str]]) -> None:
        self.most = self.opened = 0
        self.reopened: set[int] = set()  # the numbers of the start and end tags of the elements a block closed
        alive: dict[int, int] = {}  # each open element, by its start tag's number: how many blocks had closed by then
        by_name: dict[str, list[int]] = {}  # the open elements of each name, in order (with closed ones, skipped)
        by_key: dict[tuple[str, str], list[int]] = {}  # ... of each tag and attributes
        blocks = 0  # how many tags that may close a block so far

        def drop(number: int, end: int | None) -> None:
            if alive.pop(number) < blocks:
                self.reopened.update((number,) if end is None else (number, end))

        def last(name: str) -> int | None:
            opened = by_name.get(name, [])
            while opened and opened[-1] not in alive:
                opened.pop()
            return opened[-1] if opened else None

        for number, match in enumerate(tags):
            close, name, rest = match.groups()
            name = name.lower()
            if name in _FORMATTING and not close:
                if name == "a" and (link := last("a")) is not None:
                    drop(link, None)
                same = by_key.setdefault((name, rest), [])
                same[:] = [n for n in same if n in alive]  # at most 3
                if len(same) == 3:
                    drop(same.pop(0), None)
                same.append(number)
                by_name.setdefault(name, []).append(number)
                alive[number] = blocks
                self.most = max(self.most, len(alive))
                continue
            if name in _FORMATTING:
                if (last_one := last(name)) is not None:
                    drop(last_one, number)
            elif not close and (name in _INLINE or name in _NOT_NESTING):
                continue
            blocks += 1
            self.opened += len(alive)
        self.reopened.update(number for number, start in alive.items() if start < blocks)

    def too_many(self) -> bool:
        return self.most > MAX_FORMATTING or self.opened > MAX_REOPENED


class _Nesting:
    """The open elements as a parser keeps them, closely enough to tell how deep it nests each: an end tag closes what
    is open inside its element, and a start tag of an element whose end tag may be left out closes the one before
    (`_CLOSES`); so a page's unclosed tags (an old forum's thousands of <font>) close with the cell or block holding
    them, and do not count as open to the end of the page. `cut` gets the tags that `cut_nesting` cuts."""

    def __init__(self) -> None:
        self.stack: list[list[Any]] = []  # each open element: its name, its start tag's number, its height, and the
        # numbers of the tags of the inline elements in it that go if it goes
        self.where: dict[str, list[int]] = {}  # the places in the stack of each name's open elements
        self.blocks: list[int] = []  # the places in the stack of the open elements that are not `_INLINE`
        self.cut: set[int] = set()  # the numbers of the tags to cut

    def start(self, name: str, number: int) -> None:
        """Open element `name` at tag `number`."""
        if name in _CLOSES:
            self.close(self._nearest(_CLOSES[name], name))
        self.where.setdefault(name, []).append(len(self.stack))
        if name not in _INLINE:
            self.blocks.append(len(self.stack))
        self.stack.append([name, number, 0, []])

    def end(self, name: str, number: int) -> None:
        """Close element `name` at tag `number`. A stray end tag closes nothing, as a parser ignores it, nor does an
        inline element's with a block open inside it (`<span><div></span>`), which a parser ignores too or (`<font>`)
        closes around the block, leaving it open."""
        at = self._nearest((name,), name)
        if at is not None and not (name in _INLINE and self.blocks and self.blocks[-1] > at):
            self.close(at + 1)
            self._pop(number)

    def close(self, at: int | None) -> None:
        """Close the element at `at` in the stack, and those open inside it, all without an end tag."""
        while at is not None and len(self.stack) > at:
            self._pop(None)

    def _pop(self, end: int | None) -> None:
        """Close the innermost open element, its end tag at tag `end`; cut its tags when it is deep and high, and those
        of the inline elements inside it (outside any block), which its parent's cut would cut too."""
        name, start, height, inline = self.stack.pop()
        self.where[name].pop()
        if name not in _INLINE:
            self.blocks.pop()
        tags = (start,) if end is None else (start, end)
        if len(self.stack) >= MAX_DEPTH // 2 and height >= MAX_DEPTH // 2:
            self.cut.update(tags, inline)
        elif name in _INLINE and len(self.stack) > MAX_DEPTH // 2:  # its parent may be cut
            self.stack[-1][3].extend((*tags, *inline))
        if self.stack:
            self.stack[-1][2] = max(self.stack[-1][2], height + 1)

    def _nearest(self, names: tuple[str, ...], tag: str) -> int | None:
        """Where the innermost open element of `names` is, if no container of `tag` is open inside it."""
        at = max((self.where[name][-1] for name in names if self.where.get(name)), default=None)
        fences = () if tag == "table" else ("table",) if tag in _TABLE_PARTS else _FENCES
        fence = max((self.where[name][-1] for name in fences if self.where.get(name)), default=-1)
        return at if at is not None and at >= fence else None


def _remove_all(nodes: list[LexborNode]) -> None:
    """Remove `nodes`, outermost first; nodes inside an already removed one are skipped.

    Destroying a node whose ancestor was destroyed before it is unsafe in lexbor, so
    the set of removed nodes is checked along each node's ancestors.
    """
    removed: set[int] = set()
    for node in nodes:
        ancestor, inside = node.parent, False
        while ancestor is not None:
            if ancestor.mem_id in removed:
                inside = True
                break
            ancestor = ancestor.parent
        if not inside:
            removed.add(node.mem_id)
            node.decompose()


def _text_length(node: LexborNode) -> int:
    """Characters of text under `node`, each text node stripped (so indentation does not count)."""
    return len(node.text(deep=True, strip=True))


def prune(tree: LexborHTMLParser) -> None:
    """Remove from `tree` what is never the article: see the module docstring."""
    root = tree.body or tree.root
    if root is None:
        return
    _remove_all(tree.css(",".join(_ALWAYS_DROP + _HIDDEN + _CHROME)))
    for node in list(root.traverse(include_text=False)):
        if node.tag == "-comment":
            node.decompose()
    total = max(1, _text_length(root))
    _remove_all([node for node in tree.css("form") if _text_length(node) <= FORM_SHARE * total])
    dense: list[LexborNode] = []
    for node in tree.css(",".join(_BLOCKS)):
        length = _text_length(node)
        if length > 0:
            links = sum(_text_length(a) for a in node.css("a"))
            if links > LINK_DENSITY * length and length - links < LINK_BLOCK_PLAIN:
                dense.append(node)
    _remove_all(dense)


_UNSEEN = "script, style, noscript, template"  # text no reader sees: JSON-LD, which `prune` keeps, and CSS


def visible_text(tree: LexborHTMLParser) -> str:
    """The page's text, one text node per line, as a flattener writes it, without scripts and styles: JSON-LD,
    which `prune` keeps for trafilatura, and anything a pre-pass cut short by the time limit left."""
    _remove_all(tree.css(_UNSEEN))
    body = tree.body or tree.root
    return body.text(separator="\n", strip=True) if body is not None else ""


def _trafilatura(html: str, url: str | None, precise: bool, fast: bool) -> Any:
    return trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                       include_tables=True, favor_precision=precise, fast=fast)


def extract(html: str, url: str | None = None, timeout: float = 0.0) -> tuple[str, dict[str, Any], str]:
    """(main text, metadata, extractor name) of a page.

    The extractor is "trafilatura", or "selectolax" when trafilatura found nothing or timed out;
    `extraction_note` in the metadata says which, or that trafilatura's default mode replaced a
    short precise text (`SHORT_TEXT`); `nesting_cut` counts the tags `cut_nesting` took out, `formatting_cut` those
    `cut_formatting` did.
    The time limit covers all of it: on pathological markup the nesting cut, the parse or the pre-pass is the slow part.
    """
    page = _Page(html)
    try:
        with time_limit(timeout):
            page.extract(url)
    except ExtractionTimeout as err:
        page.result, page.metadata["extraction_note"] = None, str(err)
    return page.outcome()


class _Page:
    """A page's extraction as far as it got: what a timeout stops is kept, and the fallback text made from it."""

    def __init__(self, markup: str) -> None:
        self.markup = markup  # the markup of the page (a frameset's: its <noframes>), its nesting cut once that is done
        self.tree: LexborHTMLParser | None = None  # its parse, once done
        self.result: Any = None  # trafilatura's
        self.metadata: dict[str, Any] = {}
        self.title: str | None = None  # a frameset page's own

    def extract(self, url: str | None) -> None:
        """Parse, prune and extract the page, filling in the attributes as each step ends."""
        tree = self._parse()
        if tree.body is None and tree.css_first("frameset") is not None:
            # its text is in its frames, pages of their own (their addresses go to `frames`), but its `<noframes>`,
            # the page for browsers without frames (raw text to the parser), is extracted as a page
            self.metadata["frames"] = [src for node in tree.css("frame") if (src := node.attributes.get("src"))]
            self.title = page_title(tree)
            self.markup, self.tree = "\n".join(node.text() for node in tree.css("noframes")), None
            if not self.markup.strip():
                return
            tree = self._parse()
        prune(tree)
        pruned = self._cut(tree.html or "")  # what the parser nested deeper than the markup showed
        # trafilatura's fallbacks (readability, justext) take time in the square of an element's children (each text
        # after a child becomes a paragraph, inserted by position) and in the depth times the size of the page, and the
        # nesting cut gathers what its wrappers held, a child from each level, in one element 125 levels deep: on a
        # page 15,000 deep with a paragraph at every level they took 90 s, where the main extractor alone takes 5.
        fast = bool(self.metadata.get("nesting_cut"))
        self.result = _trafilatura(pruned, url, precise=True, fast=fast)
        found = len(self.result.text or "") if self.result is not None else 0
        if found < SHORT_TEXT:
            fuller = _trafilatura(pruned, url, precise=False, fast=fast)
            if fuller is not None and found < SHORT_SHARE * len(fuller.text or ""):
                self.result = fuller
                self.metadata["extraction_note"] = (f"trafilatura's precise mode kept {counted(found, 'character')}; "
                                                    "its default mode was used")

    def _parse(self) -> LexborHTMLParser:
        self.markup = self._counted("formatting_cut", *cut_formatting(self._cut(self.markup)))
        self.tree = LexborHTMLParser(self.markup)
        return self.tree

    def _cut(self, markup: str) -> str:
        """`markup` after `cut_nesting`, the tags it cut counted in `nesting_cut`."""
        return self._counted("nesting_cut", *cut_nesting(markup))

    def _counted(self, key: str, markup: str, cut: int) -> str:
        """`markup`, the `cut` tags a cut took out of it added to the metadata's count `key`."""
        if cut:
            self.metadata[key] = self.metadata.get(key, 0) + cut
        return markup

    def outcome(self) -> tuple[str, dict[str, Any], str]:
        """What `extract` returns: trafilatura's text and metadata, else the fallback text."""
        metadata = self.metadata
        if self.result is not None and self.result.text:
            for name in ("title",) + _METADATA:
                value = getattr(self.result, name, None)
                if value:
                    metadata[name] = value
            text, extractor = self.result.text, "trafilatura"
        else:
            if self.markup.strip() or "frames" not in metadata:  # not a frameset page without <noframes>
                metadata.setdefault("extraction_note", "trafilatura found no main text")
            if self.tree is None:  # the time limit ran out before the parse was done
                text = _markup_text(self.markup)
            else:
                text = visible_text(self.tree)
                if title := page_title(self.tree):  # else the title rule took the fallback text's first line, a menu's
                    metadata["title"] = title
            extractor = "selectolax"
        if self.title:
            metadata.setdefault("title", self.title)
        return text, metadata, extractor


def page_title(tree: LexborHTMLParser) -> str | None:
    """The title a page gives itself: its `og:title`, which trafilatura prefers too (no "| Site name"), else
    its `<title>`."""
    og = tree.css_first("meta[property='og:title']")
    title = (og.attributes.get("content") or "").strip() if og is not None else ""
    if not title and (node := tree.css_first("title")) is not None:
        title = node.text(strip=True)
    return " ".join(title.split()) or None


_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def _markup_text(html: str) -> str:
    """The text of a page the time limit stopped before its parse was done, one piece of text per line as
    `visible_text` gives it: its markup after `<body>` without tags, comments, scripts and styles, in one pass of a
    regular expression, where a pathological page's parse may take longer than the limit again."""
    body = _BODY.search(html)
    text = unescape(_TAGS.sub("\n", html[body.end():] if body else html))
    return "\n".join(line for line in map(str.strip, text.splitlines()) if line)


class ExtractHtml(DocumentStage):
    """Replaces an HTML document's markup with its main text; sets title and page metadata.

    The encoding stage leaves HTML unrepaired (ftfy over the whole markup costs more than the
    extraction); the extracted text and title are repaired here instead.
    """

    name = "html"

    def __init__(self, timeout: float = 0.0) -> None:
        self.timeout = timeout

    def process(self, doc: Document) -> None:
        if doc.format != "html":
            return
        url = doc.metadata.get("url")  # a JSONL field: trafilatura fails on a number or a list
        text, found, extractor = extract(doc.text, url if isinstance(url, str) else None, self.timeout)
        if found.get("nesting_cut"):
            doc.warnings.append(f"markup nested deeper than {MAX_DEPTH:,} levels: {found['nesting_cut']:,} tags of the "
                                "wrappers between its outer and inner levels and of the inline elements they hold cut "
                                "(their text kept)")
        if found.get("formatting_cut"):
            doc.warnings.append(f"formatting elements (<b>, <font>, <a>, ...) left open past what a parser reopens "
                                f"in each block ({MAX_FORMATTING:,} at once, {MAX_REOPENED:,} in all): "
                                f"{found['formatting_cut']:,} of their tags cut (their text kept)")
        doc.text, steps = repair_text(text)
        note_fixes(doc, steps)
        title = found.pop("title", None)
        doc.title = doc.title or (repair(title)[0] if title else None)
        for name, value in found.items():
            doc.metadata.setdefault(name, value)
        if extractor != "trafilatura":  # a page's flattened text: reflow, the text rules and the line classifier
            doc.metadata["extractor"] = extractor
            doc.format = "text"
        if not doc.text.strip():
            doc.drop("no-article")
            if "frames" in found:
                doc.warnings.append(f"a frameset page without <noframes> text: its text is in its frames "
                                    f"({', '.join(found['frames']) or 'none named'}), pages of their own")

