"""Stage 2b, HTML: main-content extraction with `trafilatura`, `selectolax` as the fallback.

Runs only on documents read as HTML. trafilatura finds the article and its metadata;
when it finds nothing, selectolax's lexbor parser gives the page's visible text without
scripts, styles and navigation, so the junk rules still have something to work on.
"""

from __future__ import annotations

import trafilatura
from selectolax.lexbor import LexborHTMLParser

from .document import Document
from .stage import DocumentStage

_DROP_TAGS = ("script", "style", "noscript", "nav", "aside", "footer", "form", "header", "iframe", "svg")
_METADATA = ("author", "date", "sitename", "url", "hostname", "description")


def visible_text(html: str) -> str:
    """The page's text without scripts, styles and page chrome, one block per line."""
    tree = LexborHTMLParser(html)
    for node in tree.css(",".join(_DROP_TAGS)):
        node.decompose()
    body = tree.body or tree.root
    return body.text(separator="\n", strip=True) if body is not None else ""


class ExtractHtml(DocumentStage):
    """Replaces an HTML document's markup with its main text; sets title and page metadata."""

    name = "html"

    def process(self, doc: Document) -> None:
        if doc.format != "html":
            return
        html, url = doc.text, doc.metadata.get("url")
        result = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                             include_tables=True)
        if result is not None and result.text:
            doc.text = result.text
            doc.title = doc.title or result.title
            for name in _METADATA:
                value = getattr(result, name, None)
                if value and name not in doc.metadata:
                    doc.metadata[name] = value
        else:
            doc.text = visible_text(html)
            doc.metadata["extractor"] = "selectolax"
        if not doc.text.strip():
            doc.drop("no-article")
