"""Stage 4, boilerplate: lines that recur across many documents of one site or folder.

Menus, footers, disclaimers and "Source: Read Full Article" lines repeat on every page of a
site whatever the rules say. The first pass streams the documents to a spill file (as the
dedup stage does) while counting, per group (the page's host name when known, else the
input folder), in how many documents each line fingerprint (xxhash of the line, lower-cased,
digits and spaces folded; computed beforehand by `FingerprintLines`, a per-document stage that
runs in the worker processes) occurs. The second pass reads the documents back and removes the
lines found in at least `boilerplate_min_docs` documents of their group, as spans with rule
id `corpus-boilerplate` (unless every line of the document recurs: then the document is the
content, or a duplicate for the dedup stage, and stays whole). Memory holds one counter entry per distinct line; past
`MAX_ENTRIES` (about 300 MB) the rarest lines are forgotten down to half of it (lossy counting:
lines seen once, then twice, ..., never a line already in `boilerplate_min_docs` documents), so
memory stays bounded on corpora of any size and the pruning runs rarely.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

import xxhash

from .document import Document, Span
from .settings import Settings
from .stage import DocumentStage, Stage

RULE_ID = "corpus-boilerplate"
MAX_ENTRIES = 4_000_000
_FOLD = re.compile(r"\d+")


def fingerprint(group: str, line: str) -> int:
    """A 64-bit hash of a line within its group, insensitive to case, spacing and numbers."""
    folded = _FOLD.sub("0", " ".join(line.lower().split()))
    return xxhash.xxh3_64_intdigest(f"{group}\x00{folded}".encode())


def site_of(url: str) -> str | None:
    """The site of a URL (or of a bare host name): its host name without "www.", or None."""
    host = urlsplit(url).hostname if "//" in url else url
    return host.removeprefix("www.") if host else None


def group_of(doc: Document) -> str:
    """The site of a document (host name of its URL) or, without one, the folder or file it came from."""
    for key in ("hostname", "url"):
        value = doc.metadata.get(key)
        if isinstance(value, str) and value and (site := site_of(value)):
            return site
    path = doc.id.split(":", 1)[0]
    return path.rsplit("/", 1)[0] if "/" in path else "."


def line_keys(doc: Document) -> list[int]:
    """The fingerprints of a document's lines (its paragraphs), in order: those `FingerprintLines`
    stored in the document, else computed now."""
    if doc.line_keys is None:
        group = group_of(doc)
        doc.line_keys = [fingerprint(group, line) for line in doc.paragraphs]
    return doc.line_keys


def tally(counts: dict[int, int], found: dict[int, int], min_docs: int) -> None:
    """Add `found` (fingerprint -> documents) to `counts`; past `MAX_ENTRIES`, forget the rarest lines
    down to half of it, but never a line already in `min_docs` documents."""
    for key, number in found.items():
        counts[key] = counts.get(key, 0) + number
    if len(counts) > MAX_ENTRIES:
        for floor in range(1, min_docs):
            for key in [key for key, number in counts.items() if number <= floor]:
                del counts[key]
            if len(counts) <= MAX_ENTRIES // 2:
                break


class FingerprintLines(DocumentStage):
    """Fingerprints the lines where the per-document stages run (worker processes, Ray), so the
    corpus-wide pass of `RemoveBoilerplate`, which runs in one process, only counts and looks up."""

    name = "boilerplate-keys"

    def process(self, doc: Document) -> None:
        line_keys(doc)


class RemoveBoilerplate(Stage):
    """Removes the lines that occur in at least `min_docs` documents of the same group."""

    name = "boilerplate"

    def __init__(self, settings: Settings) -> None:
        self.min_docs = settings.boilerplate_min_docs

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        counts: dict[int, int] = {}
        with tempfile.TemporaryFile(prefix="cleaner-boilerplate-") as spill:
            total = 0
            for doc in docs:
                pickle.dump(doc, spill, protocol=pickle.HIGHEST_PROTOCOL)
                total += 1
                if doc.dropped is None:
                    tally(counts, dict.fromkeys(line_keys(doc), 1), self.min_docs)  # once per document
            spill.seek(0)
            for _ in range(total):
                doc = pickle.load(spill)
                if doc.dropped is None:
                    self.clean(doc, counts)
                yield doc

    def clean(self, doc: Document, counts: dict[int, int]) -> None:
        """Remove the document's recurring lines, given the counts of the whole corpus."""
        keys = line_keys(doc)
        doc.line_keys = None  # derived from the text, which may change now: not carried further
        lines = doc.paragraphs
        recurring = [counts.get(key, 0) >= self.min_docs for key in keys]
        if not any(recurring) or all(recurring):
            return  # a document made only of recurring lines is content (or a duplicate), not boilerplate
        removed = {line for line, flag in zip(lines, recurring, strict=True) if flag}
        doc.removed.extend(Span(RULE_ID, line, number)
                           for number, (line, flag) in enumerate(zip(lines, recurring, strict=True), start=1) if flag)
        doc.text = "\n\n".join(line for line, flag in zip(lines, recurring, strict=True) if not flag)
        doc.signature = None  # signed before this stage: dedup signs the new text again
        doc.annotated = [(line, RULE_ID if rule is None and line in removed else rule)
                         for line, rule in doc.annotated]
