"""The pipeline: a plain list of stages between the reader and the writer.

Adding a stage means writing its module and adding one line to `build_stages`.
Per-document stages run one document at a time with errors caught per document;
corpus-wide stages (dedup) consume the whole stream. Time is counted per stage.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .boilerplate import RemoveBoilerplate
from .dedup import Deduplicate
from .document import Document, InputError
from .encoding import Decode
from .extract import ExtractHtml
from .junk import RemoveJunk
from .language import DetectLanguage
from .lines import ClassifyLines
from .mt import ScoreMachineTranslation
from .read import read_documents
from .rules import Rule, load_rules
from .settings import Settings
from .stage import DocumentStage, Stage
from .write import Writer

ErrorSink = Callable[[dict[str, Any]], None]


def build_stages(settings: Settings, rules: list[Rule]) -> list[Stage]:
    """The stages a run uses, in order, as the settings switch them on."""
    stages: list[Stage] = [Decode(), ExtractHtml(settings.html_timeout)]
    if settings.junk:
        stages.append(RemoveJunk(rules))
    if settings.junk and settings.lines:
        stages.append(ClassifyLines())
    if settings.junk and settings.boilerplate:
        stages.append(RemoveBoilerplate(settings))
    if settings.language:
        stages.append(DetectLanguage(settings))
    if settings.mt:
        stages.append(ScoreMachineTranslation(settings))
    if settings.dedup:
        stages.append(Deduplicate(settings))
    return stages


class Pipeline:
    """Runs documents through stages; `seconds` holds the time spent in each."""

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages
        self.seconds: Counter[str] = Counter()

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


def clean(inputs: list[Path], outdir: Path, settings: Settings,
          on_document: Callable[[Document], None] | None = None) -> dict[str, Any]:
    """Run `cleaner clean`: read `inputs`, write the output files to `outdir`, return the stats."""
    started = time.perf_counter()
    rules, rule_errors = load_rules(settings.rule_paths, settings.default_rules) if settings.junk else ([], [])
    pipeline = Pipeline(build_stages(settings, rules))
    writer = Writer(outdir)
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

