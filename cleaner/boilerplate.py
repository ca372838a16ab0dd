"""Stage 4, boilerplate: lines that recur across many documents of one site or folder.

Menus, footers, disclaimers and "Source: Read Full Article" lines repeat on every page of a
site whatever the rules say. The first pass streams the documents to a spill file (as the
dedup stage does) while counting, per group (the page's host name when known, else the
input folder), in how many documents each line fingerprint (xxhash of the line, lower-cased,
digits and spaces folded; computed beforehand by `FingerprintLines`, a per-document stage that
runs in the worker processes) occurs. The second pass reads the documents back and removes the
lines found in at least `boilerplate_min_docs` documents of their group, as spans with rule
id `corpus-boilerplate` (unless every line of the document recurs: then the document is the
content, or a duplicate for the dedup stage, and stays whole). The counts live in sorted numpy
arrays (`LineCounter`, 12 bytes a distinct line; a dict took 86); past `MAX_ENTRIES` lines (about
100 MB) the rarest are forgotten down to half of it (lossy counting: lines seen once, then twice, ...,
never a line already in `boilerplate_min_docs` documents), so memory stays bounded on corpora of any size.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

import numpy as np
import xxhash

from .document import Document, Span, file_part
from .settings import Settings
from .stage import DocumentStage, Stage

RULE_ID = "corpus-boilerplate"
MAX_ENTRIES = 8_000_000
BUFFER = 1 << 20  # fingerprints gathered before they are merged into the sorted arrays
CHUNK = 1 << 18  # entries moved at a time by a merge or a pruning
_FOLD = re.compile(r"\d+")


def fingerprint(group: str, line: str) -> int:
    """A 64-bit hash of a line within its group, insensitive to case, spacing and numbers."""
    folded = _FOLD.sub("0", " ".join(line.lower().split()))
    return xxhash.xxh3_64_intdigest(f"{group}\x00{folded}".encode())


def site_of(url: str) -> str | None:
    """The site of a URL (or of a bare host name): its host name without "www.", or None.

    None too for a URL urllib cannot split ("http://[bad", a broken IPv6 host): a scraper's field, not to fail on.
    """
    try:
        host = urlsplit(url).hostname if "//" in url else url
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def group_of(doc: Document) -> str:
    """The site of a document (host name of its URL) or, without one, the folder or file it came from."""
    for key in ("hostname", "url"):
        value = doc.metadata.get(key)
        if isinstance(value, str) and value and (site := site_of(value)):
            return site
    path = file_part(doc.id)
    return path.rsplit("/", 1)[0] if "/" in path else "."


def line_keys(doc: Document) -> list[int]:
    """The fingerprints of a document's lines (its paragraphs), in order: those `FingerprintLines`
    stored in the document, else computed now."""
    if doc.line_keys is None:
        group = group_of(doc)
        doc.line_keys = [fingerprint(group, line) for line in doc.paragraphs]
    return doc.line_keys


class LineCounter:
    """In how many documents each line fingerprint occurs, for the corpus-wide pass.

    New fingerprints gather in a buffer and are merged every `BUFFER` of them into two sorted arrays
    (fingerprints and counts): 12 bytes a line, where a dict of Python ints took 86. A merge costs a
    binary search per new line and moves the entries up in place, `CHUNK` at a time, so memory never
    holds a second copy of the arrays. Past `max_entries` lines the rarest are forgotten down to half of
    it, but never a line already in `min_docs` documents (lossy counting).
    """

    def __init__(self, min_docs: int, max_entries: int | None = None) -> None:
        self.min_docs = min_docs
        self.max_entries = MAX_ENTRIES if max_entries is None else max_entries
        self.size = 0
        self._all_keys = np.zeros(0, dtype=np.uint64)  # sorted in [:size]; the rest is room to grow
        self._all_counts = np.zeros(0, dtype=np.uint32)
        self._new_keys, self._new_counts = array("Q"), array("I")  # the buffer, merged every BUFFER

    @property
    def keys(self) -> np.ndarray:
        return self._all_keys[:self.size]

    @property
    def counts(self) -> np.ndarray:
        return self._all_counts[:self.size]

    def __len__(self) -> int:
        self._merge()
        return self.size

    def add(self, keys: Iterable[int], counts: Iterable[int] | None = None) -> None:
        """Count `keys` (distinct, those of one document) once each, or `counts[i]` times."""
        before = len(self._new_keys)
        self._new_keys.extend(keys)
        if counts is None:
            self._new_counts.extend([1] * (len(self._new_keys) - before))
        else:
            self._new_counts.extend(counts)
        if len(self._new_keys) >= BUFFER:
            self._merge()

    def recurring(self) -> set[int]:
        """The fingerprints found in at least `min_docs` documents."""
        self._merge()
        return set(self.keys[self.counts >= self.min_docs].tolist())

    def _merge(self) -> None:
        if not self._new_keys:
            return
        new = np.frombuffer(self._new_keys, dtype=np.uint64)
        order = np.argsort(new, kind="stable")
        new, added = new[order], np.frombuffer(self._new_counts, dtype=np.uint32)[order]
        first = np.flatnonzero(np.concatenate([[True], new[1:] != new[:-1]]))
        new, added = new[first], np.add.reduceat(added, first).astype(np.uint32)
        self._new_keys, self._new_counts = array("Q"), array("I")
        at = np.searchsorted(self.keys, new)
        found = at < self.size
        found[found] = self.keys[at[found]] == new[found]
        self.counts[at[found]] += added[found]
        self._insert(new[~found], added[~found], at[~found])
        if self.size > self.max_entries:
            self._prune()

    def _insert(self, keys: np.ndarray, counts: np.ndarray, at: np.ndarray) -> None:
        """Insert sorted `keys` (none of them present yet) before the entries at positions `at`."""
        total = self.size + len(keys)
        if total > len(self._all_keys):  # realloc: Linux moves large blocks without copying them
            room = max(total, min(2 * len(self._all_keys), self.max_entries + BUFFER))
            self._all_keys.resize(room, refcheck=False)
            self._all_counts.resize(room, refcheck=False)
        for hi in range(self.size, 0, -CHUNK):  # from the end: an entry only moves up, past the keys below it
            lo = max(0, hi - CHUNK)
            moved = np.arange(lo, hi) + np.searchsorted(keys, self._all_keys[lo:hi])
            self._all_keys[moved] = self._all_keys[lo:hi].copy()
            self._all_counts[moved] = self._all_counts[lo:hi].copy()
        place = at + np.arange(len(keys))
        self._all_keys[place], self._all_counts[place] = keys, counts
        self.size = total

    def _prune(self) -> None:
        """Forget the lines seen once, then twice, ..., until at most half of `max_entries` are left."""
        floor = next((floor for floor in range(1, self.min_docs)
                      if np.count_nonzero(self.counts > floor) <= self.max_entries // 2), self.min_docs - 1)
        end, self.size = self.size, 0
        for lo in range(0, end, CHUNK):  # in place, front to back: an entry only moves down
            kept = self._all_counts[lo:lo + CHUNK] > floor
            count = int(np.count_nonzero(kept))
            self._all_keys[self.size:self.size + count] = self._all_keys[lo:lo + CHUNK][kept]
            self._all_counts[self.size:self.size + count] = self._all_counts[lo:lo + CHUNK][kept]
            self.size += count


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
        counter = LineCounter(self.min_docs)
        with tempfile.TemporaryFile(prefix="cleaner-boilerplate-") as spill:
            total = 0
            for doc in docs:
                pickle.dump(doc, spill, protocol=pickle.HIGHEST_PROTOCOL)
                total += 1
                if doc.dropped is None:
                    counter.add(set(line_keys(doc)))  # once per document
            recurring = counter.recurring()  # the counts are not needed past here
            del counter
            spill.seek(0)
            for _ in range(total):
                doc = pickle.load(spill)
                if doc.dropped is None:
                    self.clean(doc, recurring)
                yield doc

    def clean(self, doc: Document, recurring: set[int]) -> None:
        """Remove the document's recurring lines: those whose fingerprints are in `recurring` (see
        `LineCounter.recurring`)."""
        keys = line_keys(doc)
        doc.line_keys = None  # derived from the text, which may change now: not carried further
        lines = doc.paragraphs
        flags = [key in recurring for key in keys]
        if not any(flags) or all(flags):
            return  # a document made only of recurring lines is content (or a duplicate), not boilerplate
        # A span's line is the line's number among the lines the rules read (README), as the junk rules' are: the
        # text's paragraphs are the lines no rule claimed, in order. It was the paragraph's number in the text,
        # one less for every line a rule had taken out above it.
        kept = [i for i, (_line, rule) in enumerate(doc.annotated) if rule is None]
        if len(kept) != len(lines):  # no annotation to map to (the junk stage did not run)
            kept = list(range(len(lines)))
        doc.removed.extend(Span(RULE_ID, line, kept[j] + 1)
                           for j, (line, flag) in enumerate(zip(lines, flags, strict=True)) if flag)
        doc.text = "\n\n".join(line for line, flag in zip(lines, flags, strict=True) if not flag)
        doc.signature = None  # signed before this stage: dedup signs the new text again
        marked = {kept[j] for j, flag in enumerate(flags) if flag}
        doc.annotated = [(line, RULE_ID if i in marked else rule) for i, (line, rule) in enumerate(doc.annotated)]
