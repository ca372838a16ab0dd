"""Stage 3, junk: apply the rule packs to each document's lines.

Removed lines become `Span`s with their rule id (kept for `removed.jsonl` and `cleaner
explain`); lines a rule moves to metadata (title, byline, date, credits) leave the text
and fill the record's fields instead.
"""

from __future__ import annotations

from .document import Document, Span
from .rules import FORMATS, Rule, label_lines, split_lines
from .stage import DocumentStage


class RemoveJunk(DocumentStage):
    """Labels every line with the first rule that claims it; keeps the unclaimed ones."""

    name = "junk"

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = {fmt: [r for r in rules if fmt in r.spec.get("formats", FORMATS)] for fmt in FORMATS}

    def process(self, doc: Document) -> None:
        lines = split_lines(doc.text)
        labels = label_lines(lines, self.rules[doc.format])
        kept: list[str] = []
        doc.annotated = []
        for number, (line, rule) in enumerate(zip(lines, labels, strict=True), start=1):
            if rule is not None and rule.field == "title" and doc.title and line != doc.title:
                rule = None  # the page's metadata gave another title: this line is text
            doc.annotated.append((line, rule.id if rule else None))
            if rule is None:
                kept.append(line)
                continue
            doc.removed.append(Span(rule.id, line, number, rule.action, rule.field, rule.evidence))
            if rule.action == "metadata":
                _set_metadata(doc, rule.field, line)
        doc.text = "\n\n".join(kept)
        if not kept:
            doc.drop("empty")


def _set_metadata(doc: Document, field: str, value: str) -> None:
    if field == "title":
        doc.title = value
    elif doc.metadata.get(field):
        doc.metadata[field] = f"{doc.metadata[field]}\n{value}"
    else:
        doc.metadata[field] = value
