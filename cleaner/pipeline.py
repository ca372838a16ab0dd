"""The pipeline: a plain list of stages between the reader and the writer.

Adding a stage means writing its module and adding one line to `build_stages`.
Per-document stages run in batches, in this process or in worker processes, with errors
caught per document; corpus-wide stages (dedup) consume the whole stream. Time is counted per stage.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib.util
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import xxhash

from . import __version__, boilerplate, lines, mt
from .authoring import backtracking_errors
from .boilerplate import FingerprintLines, RemoveBoilerplate
from .checkpoint import WORKDIR, CheckpointStore
from .dedup import Deduplicate, SignForDedup
from .document import Document
from .encoding import Decode
from .extract import ExtractHtml
from .junk import RemoveJunk
from .language import DetectLanguage
from .lines import ClassifyLines
from .markup import StripMarkup
from .mt import ScoreMachineTranslation
from .parallel import BatchRunner, Item, Result
from .read import input_files, plan_shards, record_document
from .reflow import JoinBrokenLines
from .report import RunReport
from .rules import Rule, RuleError, load_rules
from .settings import Settings
from .stage import DocumentStage, Stage
from .write import EXAMPLES, Writer, result_record

ErrorSink = Callable[[dict[str, Any]], None]


def build_stages(settings: Settings, rules: list[Rule]) -> list[Stage]:
    """The stages a run uses, in order, as the settings switch them on."""
    stages: list[Stage] = [Decode(), ExtractHtml(settings.html_timeout)]
    if settings.reflow:
        stages.append(JoinBrokenLines())
    if settings.markup:
        stages.append(StripMarkup())
    if settings.junk:
        junk = RemoveJunk(rules)
        stages.append(junk)
        if settings.lines:
            stages.append(ClassifyLines(junk=junk))
    if settings.language:
        stages.append(DetectLanguage(settings))
    if settings.mt:
        stages.append(ScoreMachineTranslation(settings))
    if settings.dedup:
        stages.append(SignForDedup(settings))  # in the workers; boilerplate unsigns the documents it changes
    if settings.junk and settings.boilerplate:
        stages += [FingerprintLines(), RemoveBoilerplate(settings)]
    if settings.dedup:
        stages.append(Deduplicate(settings))
    return stages


class Pipeline:
    """Runs documents through stages; `seconds` holds the time spent in each.

    In-process use: `Pipeline(mt_action="drop").clean(records)` builds the stages `cleaner clean`
    would from `settings` and option overrides (fields of `Settings`), which must validate
    (`ValueError` otherwise); problems with rules or records go to `errors` (the records of
    errors.jsonl) and the other records go on.

    The leading per-document stages (the `prefix`) do most of the work: they run in
    `settings.workers` processes, and `clean` checkpoints their output per input shard (local engine).
    """

    def __init__(self, stages: list[Stage] | None = None, settings: Settings | None = None,
                 **options: Any) -> None:
        self.settings = dataclasses.replace(settings or Settings(), **options)
        self.settings.validate()
        self.errors: list[dict[str, Any]] = []
        if stages is None:
            rules, rule_errors = load_run_rules(self.settings)
            self.errors.extend(err.record() for err in rule_errors)
            stages = build_stages(self.settings, rules)
        self.stages = stages
        self.workers = self.settings.workers
        self.seconds: Counter[str] = Counter()
        cut = next((i for i, s in enumerate(stages) if not isinstance(s, DocumentStage)), len(stages))
        self.prefix: list[DocumentStage] = stages[:cut]  # type: ignore[assignment]
        self.rest = stages[cut:]

    def clean(self, records: Iterable[str | dict[str, Any]], html: bool = False) -> Iterator[dict[str, Any]]:
        """One result per usable record, in order: the `clean.jsonl` record plus `reason` and `spans`.

        Records are strings or mappings with the text in `settings.text_field`; `html=True` treats
        the texts as HTML pages. With dedup on, results come once every record has been read.
        """
        docs = (record_document(i, r, self.settings.text_field, html) for i, r in enumerate(records))
        for doc in self.run(docs, self.errors.append):
            yield result_record(doc)

    def run(self, items: Iterable[Item], on_error: ErrorSink) -> Iterator[Document]:
        """All stages over `items` (documents and reading errors, in input order)."""
        with self.runner(self.prefix) as runner:
            yield from self.finish(runner.map(self.timed_read(items)), on_error)
        self.seconds.update(runner.seconds)

    def runner(self, stages: list[DocumentStage]) -> BatchRunner:
        return BatchRunner(stages, self.workers)

    def finish(self, results: Iterable[Result], on_error: ErrorSink,
               stages: list[Stage] | None = None) -> Iterator[Document]:
        """`stages` (default: those after the prefix) over the prefix's results; error records go to `on_error`."""
        stream: Iterator[Document] = self._documents(results, on_error)
        group: list[DocumentStage] = []
        for stage in self.rest if stages is None else stages:
            if isinstance(stage, DocumentStage):
                group.append(stage)
                continue
            if group:
                stream, group = self._per_document(group, stream, on_error), []
            stream = self._timed(stage, stream)
        if group:
            stream = self._per_document(group, stream, on_error)
        return stream

    def timed_read(self, items: Iterable[Item]) -> Iterator[Item]:
        it = iter(items)
        while True:
            start = time.perf_counter()
            item = next(it, None)
            self.seconds["read"] += time.perf_counter() - start
            if item is None:
                return
            yield item

    def _documents(self, results: Iterable[Result], on_error: ErrorSink) -> Iterator[Document]:
        for item in results:
            if isinstance(item, dict):
                on_error(item)
            else:
                yield item

    def _per_document(self, stages: list[DocumentStage], docs: Iterator[Document],
                      on_error: ErrorSink) -> Iterator[Document]:
        """Stages after a corpus-wide one run in this process: they are light (dedup signing), and
        shipping every document to the workers a second time cost 0.5 GB of peak memory at 2 workers
        and saved no time in `benchmarks/run.py`."""
        with BatchRunner(stages, workers=1) as runner:
            yield from self._documents(runner.map(docs), on_error)
        self.seconds.update(runner.seconds)

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


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Leaves the objects alive now (the loaded models, rule packs and language profiles) out of garbage
    collection until the block ends.

    Documents streaming through create and free millions of objects, and every full collection walked
    the models' objects again; frozen, they are skipped, and forked workers do not copy the memory pages
    the collector would have touched. On 2,000 benchmark documents (1 worker) the collector's time fell from
    2.0 s to 0.66 s of a 22 to 25 s run. Unfrozen at the end, so a library caller's objects are collected
    as before.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# The ids under which stages record what they remove, and the option that switches each stage off.
STAGE_SWITCHES = {lines.RULE_ID: "--no-lines", boilerplate.RULE_ID: "--no-boilerplate",
                  mt.RULE_ID: "--mt-action flag"}


class UnknownRuleIds(ValueError):
    """Rule ids to switch off that no pack defines (`ids`); `detail` says so without naming the option or key."""

    def __init__(self, ids: list[str]) -> None:
        stages = [f"{rule_id!r} is a stage's: {STAGE_SWITCHES[rule_id]} switches it off" for rule_id in ids
                  if rule_id in STAGE_SWITCHES]
        self.ids = ids
        self.detail = (f"no rule with id {', '.join(map(repr, ids))} (see `cleaner rules list`)"
                       + "".join(f"; {stage}" for stage in stages))
        super().__init__(f"disable_rules: {self.detail}")


def load_run_rules(settings: Settings) -> tuple[list[Rule], list[RuleError]]:
    """The rules a run uses and the errors of those it cannot use.

    The user's packs (not the shipped ones, which the tests check) are also run through the
    backtracking guard, so one catastrophic regex cannot stall the run: it is reported and skipped.
    The rules in `settings.disable_rules` are left out; an id there that no pack defines is a typo
    that would silently change nothing, so it raises `UnknownRuleIds` (a `ValueError`) before any document is read.
    The id of a shipped rule is no typo when the shipped packs are off (`--no-default-rules`): `--preset extracted`
    switches off two of them, and refused, that preset could not run with packs of one's own only.
    """
    if not settings.junk:
        return [], []
    rules, errors = load_rules(settings.rule_paths, settings.default_rules)
    unknown = sorted(set(settings.disable_rules) - {rule.id for rule in rules})
    if unknown and not settings.default_rules:
        shipped = {rule.id for rule in load_rules([], True)[0]}
        unknown = [rule_id for rule_id in unknown if rule_id not in shipped]
    if unknown:
        raise UnknownRuleIds(unknown)
    rules = [rule for rule in rules if rule.id not in settings.disable_rules]
    user = [rule for rule in rules if not rule.builtin]
    if user:
        slow = backtracking_errors(user)
        bad = {err.source for err in slow}
        rules = [rule for rule in rules if rule.builtin or f"{rule.path}:{rule.line}" not in bad]
        errors = errors + slow
    return rules, errors


EXECUTION_SETTINGS = ("workers", "resume", "engine", "ray_address")  # how a run executes, not what it produces


def run_fingerprint(settings: Settings, rules: list[Rule]) -> str:
    """Changes with anything that changes what the per-document stages make of a document."""
    relevant = {k: v for k, v in dataclasses.asdict(settings).items() if k not in EXECUTION_SETTINGS}
    digest = xxhash.xxh3_64(f"{__version__}\n{relevant!r}\n".encode())
    for rule in rules:
        digest.update(f"{rule.path}:{rule.line}:{rule.spec!r}\n".encode())
    return digest.hexdigest()


def _check_index_folder(index: Path, outdir: Path) -> None:
    """`ValueError` for a dedup index folder that is `outdir`, where its files sat among the run's outputs (and a
    later run reading that folder named them as files it skipped), or inside the checkpoint folder, which every run
    removes: the index is lost with it."""
    index, outdir = index.resolve(), outdir.resolve()
    if index == outdir:
        raise ValueError(f"the dedup index {index} is the output folder: give the index a folder of its own, "
                         "which later runs read and add to")
    if index.is_relative_to(outdir / WORKDIR):
        raise ValueError(f"the dedup index {index} is inside the checkpoint folder {outdir / WORKDIR}, "
                         "which every run removes: give the index a folder of its own")


def clean(inputs: list[Path], outdir: Path, settings: Settings,
          on_document: Callable[[Document], None] | None = None,
          loaded_rules: tuple[list[Rule], list[RuleError]] | None = None) -> dict[str, Any]:
    """Run `cleaner clean`: read `inputs`, write the output files to `outdir`, return the stats.

    `loaded_rules` is what `load_run_rules` returned, when the caller already loaded (and reported) them.
    With the local engine the per-document work is checkpointed per input shard in `outdir`, so an
    interrupted run started again with `settings.resume` redoes only unfinished shards. With
    `settings.engine == "ray"` the stages run as Ray Data steps (`cleaner.ray_engine`), without checkpoints.
    `ValueError` when the settings do not validate, before any rule or document is read.
    """
    started = time.perf_counter()
    settings.validate()
    if settings.engine == "ray" and importlib.util.find_spec("ray") is None:  # not a traceback once outputs are open
        raise ValueError("--engine ray needs Ray, which is not installed: pip install 'cleaner[ray]'")
    if settings.dedup_index is not None:
        _check_index_folder(settings.dedup_index, outdir)
    rules, rule_errors = loaded_rules if loaded_rules is not None else load_run_rules(settings)
    outputs = [folder for folder in (outdir, settings.dedup_index) if folder is not None]
    found = input_files(inputs, outputs)  # before anything is written: an input that is OUTDIR stops here
    pipeline = Pipeline(build_stages(settings, rules), settings)
    dedup = next((stage for stage in pipeline.rest if isinstance(stage, Deduplicate)), None)
    if dedup is not None:
        dedup.hold_index = True  # saved last, below
    store = CheckpointStore(outdir, run_fingerprint(settings, rules), settings.resume) \
        if settings.engine == "local" else None  # Ray retries failed tasks instead
    writer = Writer(outdir, RunReport(settings, rules, rule_errors))
    for err in [*rule_errors, *found.unreadable]:
        writer.error(err.record())
    shards = plan_shards(found.files, settings.shard_files)

    def local_results(runner: BatchRunner, store: CheckpointStore) -> Iterator[Result]:
        for shard in shards:
            saved = store.load(shard)
            if saved is None:
                items = pipeline.timed_read(shard.read(settings.text_field, settings.max_bytes))
                saved = store.record(shard, runner.map(items))
            yield from saved

    with frozen_heap(), pipeline.runner(pipeline.prefix if store is not None else []) as runner:
        if store is None:
            from .ray_engine import results as on_ray

            results, rest = on_ray(shards, pipeline, settings)
        else:
            results, rest = local_results(runner, store), pipeline.rest
        for doc in pipeline.finish(results, writer.error, rest):
            start = time.perf_counter()
            writer.document(doc)
            pipeline.seconds["write"] += time.perf_counter() - start
            if on_document is not None:
                on_document(doc)
    pipeline.seconds.update(runner.seconds)
    stats = writer.close({
        "seconds": {name: round(value, 4) for name, value in sorted(pipeline.seconds.items())},
        "total_seconds": round(time.perf_counter() - started, 4),
        "workers": settings.workers,
        "resumed_shards": store.resumed if store is not None else 0,
        "unused_checkpoints": store.unused if store is not None else 0,
        "rule_errors": len(rule_errors),
        "skipped_files": len(found.skipped),
        "skipped_examples": found.skipped[:EXAMPLES],
        "hidden_folders": len(found.hidden),
        "earlier_outputs": found.outputs,
    })
    if store is not None:
        store.finish()
    if dedup is not None:  # after the outputs and with no checkpoint left, so a run stopped before is done again
        dedup.save_index()
    return stats
