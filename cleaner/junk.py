"""Stage 3, junk: apply the rule packs to each document's lines.

Removed lines become `Span`s with their rule id (kept for `removed.jsonl` and `cleaner
explain`); lines a rule moves to metadata (title, byline, date, credits) leave the text
and fill the record's fields instead.
"""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import urlsplit

from .document import Document, Span, file_part
from .rules import FORMATS, Rule, label_lines, split_lines
from .stage import DocumentStage


class RemoveJunk(DocumentStage):
    """Labels every line with the first rule that claims it; keeps the unclaimed ones."""

    name = "junk"

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._scoped: dict[tuple[str | None, frozenset[str], str], list[Rule]] = {}

    def rules_for(self, doc: Document) -> list[Rule]:
        """The rules whose scope (sites, folders) and formats cover `doc`, in order; cached per key."""
        key = (*document_scope(doc), doc.format)
        if key not in self._scoped:
            self._scoped[key] = [rule for rule in self.rules if rule.applies_to(*key[:2])
                                 and doc.format in rule.spec.get("formats", FORMATS)]
        return self._scoped[key]

    def process(self, doc: Document) -> None:
        lines = split_lines(doc.text)
        labels = label_lines(lines, self.rules_for(doc))
        kept: list[str] = []
        doc.annotated = []
        for number, (line, rule) in enumerate(zip(lines, labels, strict=True), start=1):
            if rule is not None and rule.field == "title" and doc.title and line != doc.title:
                rule = None  # the page's metadata gave another title: this line is text
            doc.annotated.append((line, rule.id if rule else None))
            if rule is None:
                kept.append(line)
            else:
                take(doc, rule, line, number)
        doc.text = "\n\n".join(kept)
        if not kept:
            doc.drop("empty")


def take(doc: Document, rule: Rule, text: str, number: int) -> None:
    """Record that `rule` took `text` from line `number` of `doc`: a span for the audit, and for a rule that
    moves what it claims, the metadata field."""
    doc.removed.append(Span(rule.id, text, number, rule.action, rule.field, rule.evidence))
    if rule.action == "metadata":
        _set_metadata(doc, rule.field, text)


def _set_metadata(doc: Document, field: str, value: str) -> None:
    if field == "title":
        doc.title = value
    elif doc.metadata.get(field):
        doc.metadata[field] = f"{doc.metadata[field]}\n{value}"
    else:
        doc.metadata[field] = value


def document_scope(doc: Document) -> tuple[str | None, frozenset[str]]:
    """The URL host of `doc` (from its metadata `url`) and the names of the folders its file is in."""
    url = doc.metadata.get("url")
    try:
        host = urlsplit(url).hostname if isinstance(url, str) else None
    except ValueError:
        host = None
    return host, frozenset(PurePath(file_part(doc.source)).parent.parts)
