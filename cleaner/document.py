"""The document record that flows through every stage, and the error type stages raise."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any


class InputError(Exception):
    """A problem with one input (file or JSONL line): reported, recorded, and the run goes on."""

    def __init__(self, source: str, message: str, severity: str = "error") -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
        self.severity = severity

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (InputError, (self.source, self.message, self.severity))  # picklable for worker processes

    def record(self) -> dict[str, Any]:
        return {"source": self.source, "severity": self.severity, "error": self.message}


def file_part(name: str) -> str:
    """A document id or source without the ":N" that a JSONL line or a WARC record adds to its file's name; a folder
    or file name may hold a colon of its own ("2024-05-01T12:00/a.txt"), so only a trailing ":digits" is cut."""
    path, _, number = name.rpartition(":")
    return path if path and number.isdigit() else name


def run_order(doc_id: str) -> tuple[str, int]:
    """Where a document comes in a run's output: its file's id (files come in id order), then its JSONL line or WARC
    record number."""
    path = file_part(doc_id)
    return path, int(doc_id[len(path) + 1:] or 0)


@dataclass
class Span:
    """One piece of text a stage took out of a document, and why."""

    rule: str
    text: str
    line: int  # 1-based index of the paragraph among the non-blank lines the junk stage saw
    action: str = "remove"  # "remove", or "metadata" when the text moved into a metadata field
    field: str | None = None
    evidence: str | None = None  # a signal other stages may use, e.g. "machine-translation"

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "line": self.line, "action": self.action}
        if self.field:
            out["field"] = self.field
        out["text"] = self.text
        return out


_span_values = attrgetter(*(f.name for f in fields(Span)))  # a span's fields, in order, as a tuple


@dataclass
class Document:
    """A document between reading and writing.

    `raw` holds what the reader found (bytes for files, str for JSONL) until the
    encoding stage turns it into `text`; `dropped` is set by the stage that decides
    the document should not be kept, and the writer sends it to `removed.jsonl`.
    """

    id: str
    source: str
    raw: bytes | str | None = None
    format: str = "text"  # "text" or "html"
    text: str = ""
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    removed: list[Span] = field(default_factory=list)
    language: str | None = None
    language_prob: float | None = None
    mt_score: float | None = None
    mt_flagged: bool = False
    mt_paragraphs: list[dict[str, Any]] = field(default_factory=list)
    cluster_id: str | None = None
    cluster_size: int = 1
    duplicate_of: str | None = None
    similarity: float | None = None
    already_indexed: bool = False  # set by dedup: this id and text are in the --index already
    dropped: str | None = None
    warnings: list[str] = field(default_factory=list)
    # (MinHash signature, shingle-set size, exact key), set by dedup.SignForDedup, used by Deduplicate.
    signature: tuple[Any, int, int] | None = field(default=None, repr=False)
    # Fingerprints of the paragraphs, set by boilerplate.FingerprintLines, used by RemoveBoilerplate.
    line_keys: list[int] | None = field(default=None, repr=False)
    # (line, rule id or None) for every line the junk stage saw; used by `cleaner explain`.
    annotated: list[tuple[str, str | None]] = field(default_factory=list, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Spans travel as plain tuples: pickled as objects, the hundred spans of a flattened page cost
        more than the rest of the document on its way from a worker process and through spill files."""
        return {**self.__dict__, "removed": [_span_values(span) for span in self.removed]}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, removed=[Span(*values) for values in state["removed"]])

    def drop(self, reason: str) -> None:
        if self.dropped is None:
            self.dropped = reason

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p]

    def marked_lines(self) -> list[tuple[str, str | None]]:
        """`annotated` as `cleaner explain` and the report show it: each line with the rule that removed it (None:
        kept), and a line the line stage cut into sentences (a page flattened onto one line) as its pieces.

        The line stage keeps such a line as kept in `annotated` while its spans (the menus and the sentences a junk
        rule or the model took out, recorded under the line's number) left the text: shown whole, the line hid
        everything removed from it.
        """
        inside: dict[int, list[Span]] = {}
        for span in self.removed:
            inside.setdefault(span.line, []).append(span)
        out: list[tuple[str, str | None]] = []
        for number, (line, rule) in enumerate(self.annotated, start=1):
            spans = inside.get(number) if rule is None else None
            out.extend(_pieces(line, spans) if spans else [(line, rule)])
        return out


def _pieces(line: str, spans: list[Span]) -> list[tuple[str, str | None]]:
    """`line` cut at the texts of `spans` (pieces of it), in its order: the kept stretches between them as kept."""
    taken: list[tuple[int, int, str]] = []
    for span in spans:
        start = line.find(span.text)
        while start >= 0 and any(start < end and begin < start + len(span.text) for begin, end, _ in taken):
            start = line.find(span.text, start + 1)
        if start >= 0 and span.text:
            taken.append((start, start + len(span.text), span.rule))
    out: list[tuple[str, str | None]] = []
    at = 0
    for begin, end, rule in sorted(taken):
        if line[at:begin].strip():
            out.append((line[at:begin].strip(), None))
        out.append((line[begin:end], rule))
        at = end
    if line[at:].strip() or not out:
        out.append((line[at:].strip() if out else line, None))
    return out
