"""Stage 7, write: clean JSONL, the audit of what was removed, errors, run statistics and report.

Every file is written under a temporary name and renamed when the run completes, so an
interrupted run never leaves a file that looks finished.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from .document import Document
from .report import RunReport

_OPTS = orjson.OPT_APPEND_NEWLINE
EXAMPLES = 3  # names a count of files or documents in stats.json comes with (`skipped_examples`, ...)


def clean_record(doc: Document) -> dict[str, Any]:
    """The `clean.jsonl` record of a kept document (schema documented in README.md)."""
    return {
        "id": doc.id,
        "source": doc.source,
        "title": doc.title,
        "text": doc.text,
        "language": doc.language,
        "language_prob": doc.language_prob,
        "mt_score": doc.mt_score,
        "mt_flagged": doc.mt_flagged,
        "mt_paragraphs": [p for p in doc.mt_paragraphs if p["flagged"]],
        "cluster_id": doc.cluster_id or doc.id,
        "cluster_size": doc.cluster_size,
        "metadata": doc.metadata,
    }


def result_record(doc: Document) -> dict[str, Any]:
    """What the library returns for any document: its clean record, `reason` (None: kept) and `spans`."""
    return {**clean_record(doc), "reason": doc.dropped, "duplicate_of": doc.duplicate_of,
            "spans": [span.record() for span in doc.removed]}


def removed_record(doc: Document) -> dict[str, Any] | None:
    """The `removed.jsonl` entry of a document: its removed spans, and the document if dropped."""
    if doc.dropped is None and not doc.removed:
        return None
    record: dict[str, Any] = {"id": doc.id, "source": doc.source, "reason": doc.dropped}
    if doc.dropped == "duplicate":
        record.update(duplicate_of=doc.duplicate_of, cluster_id=doc.cluster_id, similarity=doc.similarity)
    if doc.dropped is not None:
        record.update(title=doc.title, text=doc.text, mt_score=doc.mt_score, language=doc.language)
        if doc.metadata.get("encoding_steps"):  # the mojibake repaired, which no clean.jsonl record keeps for it
            record["encoding_steps"] = doc.metadata["encoding_steps"]
    record["spans"] = [span.record() for span in doc.removed]
    return record


class Writer:
    """Writes the run's output files into `outdir`, counting what it writes (and feeding `report`)."""

    NAMES = ("clean.jsonl", "removed.jsonl", "errors.jsonl")

    def __init__(self, outdir: Path, report: RunReport | None = None) -> None:
        outdir.mkdir(parents=True, exist_ok=True)
        self.outdir = outdir
        self.report = report
        self.files = {name: open(outdir / f".{name}.partial", "wb") for name in self.NAMES}  # noqa: SIM115
        self.counts: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.rule_lines: Counter[str] = Counter()
        self.rule_chars: Counter[str] = Counter()
        self.errors = 0
        self.warnings = 0
        self.already_indexed: list[str] = []  # the first few ids of documents already in the dedup index

    def document(self, doc: Document) -> None:
        self.counts["documents_in"] += 1
        if self.report is not None:
            self.report.add(doc)
        for span in doc.removed:
            self.rule_lines[span.rule] += 1
            self.rule_chars[span.rule] += len(span.text)
        for warning in doc.warnings:
            self.error({"source": doc.source, "severity": "warning", "error": warning})
        audit = removed_record(doc)
        if audit is not None:
            self.files["removed.jsonl"].write(orjson.dumps(audit, option=_OPTS))
        if doc.already_indexed:
            self.counts["already_indexed"] += 1
            if len(self.already_indexed) < EXAMPLES:
                self.already_indexed.append(doc.id)
        if doc.dropped is None:
            self.counts["documents_out"] += 1
            self.files["clean.jsonl"].write(orjson.dumps(clean_record(doc), option=_OPTS))
        else:
            self.dropped[doc.dropped] += 1

    def error(self, record: dict[str, Any]) -> None:
        if record.get("severity") == "warning":
            self.warnings += 1
        else:
            self.errors += 1
        self.files["errors.jsonl"].write(orjson.dumps(record, option=_OPTS))

    def close(self, extra: dict[str, Any]) -> dict[str, Any]:
        """Finish the files, write `stats.json`, and return the statistics."""
        for file in self.files.values():
            file.close()
        for name in self.NAMES:
            os.replace(self.outdir / f".{name}.partial", self.outdir / name)
        stats = {
            "documents_in": self.counts["documents_in"],
            "documents_out": self.counts["documents_out"],
            "dropped": dict(sorted(self.dropped.items())),
            "already_indexed": self.counts["already_indexed"],
            "already_indexed_examples": self.already_indexed,
            "errors": self.errors,
            "warnings": self.warnings,
            "rules": {rule: {"lines": self.rule_lines[rule], "chars": self.rule_chars[rule]}
                      for rule in sorted(self.rule_lines)},
            **extra,
        }
        partial = self.outdir / ".stats.json.partial"
        partial.write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2 | _OPTS))
        os.replace(partial, self.outdir / "stats.json")
        if self.report is not None:
            self.report.write(self.outdir / "report.html", stats)
        return stats
