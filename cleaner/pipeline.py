"""The pipeline: a plain list of stages between the reader and the writer.

Adding a stage means writing its module and adding one line to `build_stages`.
Per-document stages run one document at a time with errors caught per document;
corpus-wide stages (dedup) consume the whole stream. Time is counted per stage.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .authoring import backtracking_errors
from .dedup import Deduplicate
from .document import Document, InputError
from .encoding import Decode
from .extract import ExtractHtml
from .junk import RemoveJunk
from .language import DetectLanguage
from .mt import ScoreMachineTranslation
from .read import read_documents, record_document
from .report import RunReport
from .rules import Rule, RuleError, load_rules
from .settings import Settings
from .stage import DocumentStage, Stage
from .write import Writer, result_record

ErrorSink = Callable[[dict[str, Any]], None]


def build_stages(settings: Settings, rules: list[Rule]) -> list[Stage]:
    """The stages a run uses, in order, as the settings switch them on."""
    stages: list[Stage] = [Decode(), ExtractHtml()]
    if settings.junk:
        stages.append(RemoveJunk(rules))
    if settings.language:
        stages.append(DetectLanguage(settings))
    if settings.mt:
        stages.append(ScoreMachineTranslation(settings))
    if settings.dedup:
        stages.append(Deduplicate(settings))
    return stages


class Pipeline:
    """Runs documents through stages; `seconds` holds the time spent in each.

    In-process use: `Pipeline(mt_action="drop").clean(records)` builds the stages `cleaner clean`
    would from `settings` and option overrides (fields of `Settings`); problems with rules or
    records go to `errors` (the records of errors.jsonl) and the other records go on.
    """

    def __init__(self, stages: list[Stage] | None = None, settings: Settings | None = None,
                 **options: Any) -> None:
        self.settings = dataclasses.replace(settings or Settings(), **options)
        self.errors: list[dict[str, Any]] = []
        if stages is None:
            rules, rule_errors = load_run_rules(self.settings)
            self.errors.extend(err.record() for err in rule_errors)
            stages = build_stages(self.settings, rules)
        self.stages = stages
        self.seconds: Counter[str] = Counter()

    def clean(self, records: Iterable[str | dict[str, Any]], html: bool = False) -> Iterator[dict[str, Any]]:
        """One result per usable record, in order: the `clean.jsonl` record plus `reason` and `spans`.

        Records are strings or mappings with the text in `settings.text_field`; `html=True` treats
        the texts as HTML pages. With dedup on, results come once every record has been read.
        """
        docs = (record_document(i, r, self.settings.text_field, html) for i, r in enumerate(records))
        for doc in self.run(docs, self.errors.append):
            yield result_record(doc)

    def run(self, items: Iterable[Document | InputError], on_error: ErrorSink) -> Iterator[Document]:
        stream: Iterator[Document] = self._documents(items, on_error)
        group: list[DocumentStage] = []
        for stage in self.stages:
            if isinstance(stage, DocumentStage):
                group.append(stage)
                continue
            if group:
                stream, group = self._per_document(group, stream, on_error), []
            stream = self._timed(stage, stream)
        if group:
            stream = self._per_document(group, stream, on_error)
        return stream

    def _documents(self, items: Iterable[Document | InputError], on_error: ErrorSink) -> Iterator[Document]:
        it = iter(items)
        while True:
            start = time.perf_counter()
            item = next(it, None)
            self.seconds["read"] += time.perf_counter() - start
            if item is None:
                return
            if isinstance(item, InputError):
                on_error(item.record())
            else:
                yield item

    def _per_document(self, stages: list[DocumentStage], docs: Iterator[Document],
                      on_error: ErrorSink) -> Iterator[Document]:
        for doc in docs:
            try:
                for stage in stages:
                    if doc.dropped is not None:
                        break
                    start = time.perf_counter()
                    stage.process(doc)
                    self.seconds[stage.name] += time.perf_counter() - start
            except InputError as err:
                on_error(err.record())
                continue
            yield doc

    def _timed(self, stage: Stage, docs: Iterator[Document]) -> Iterator[Document]:
        """Time inside `stage.run`, not counting the time its upstream takes to produce."""
        upstream = 0.0

        def counted() -> Iterator[Document]:
            nonlocal upstream
            while True:
                start = time.perf_counter()
                doc = next(docs, None)
                upstream += time.perf_counter() - start
                if doc is None:
                    return
                yield doc

        output = stage.run(counted())
        total = 0.0
        while True:
            start = time.perf_counter()
            doc = next(output, None)
            total += time.perf_counter() - start
            if doc is None:
                break
            yield doc
        self.seconds[stage.name] += total - upstream


def load_run_rules(settings: Settings) -> tuple[list[Rule], list[RuleError]]:
    """The rules a run uses and the errors of those it cannot use.

    The user's packs (not the shipped ones, which the tests check) are also run through the
    backtracking guard, so one catastrophic regex cannot stall the run: it is reported and skipped.
    """
    if not settings.junk:
        return [], []
    rules, errors = load_rules(settings.rule_paths, settings.default_rules)
    user = [rule for rule in rules if not rule.builtin]
    if user:
        slow = backtracking_errors(user)
        bad = {err.source for err in slow}
        rules = [rule for rule in rules if rule.builtin or f"{rule.path}:{rule.line}" not in bad]
        errors = errors + slow
    return rules, errors


def clean(inputs: list[Path], outdir: Path, settings: Settings,
          on_document: Callable[[Document], None] | None = None,
          loaded_rules: tuple[list[Rule], list[RuleError]] | None = None) -> dict[str, Any]:
    """Run `cleaner clean`: read `inputs`, write the output files to `outdir`, return the stats.

    `loaded_rules` is what `load_run_rules` returned, when the caller already loaded (and reported) them.
    """
    started = time.perf_counter()
    rules, rule_errors = loaded_rules if loaded_rules is not None else load_run_rules(settings)
    pipeline = Pipeline(build_stages(settings, rules))
    writer = Writer(outdir, RunReport(settings, rules, rule_errors))
    for err in rule_errors:
        writer.error(err.record())
    items = read_documents(inputs, settings.text_field, settings.max_bytes)
    for doc in pipeline.run(items, writer.error):
        start = time.perf_counter()
        writer.document(doc)
        pipeline.seconds["write"] += time.perf_counter() - start
        if on_document is not None:
            on_document(doc)
    return writer.close({
        "seconds": {name: round(value, 4) for name, value in pipeline.seconds.items()},
        "total_seconds": round(time.perf_counter() - started, 4),
        "rule_errors": len(rule_errors),
    })

