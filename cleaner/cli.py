"""Command line: `cleaner clean`, `cleaner explain` and `cleaner rules`."""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import __version__
from .authoring import add_rules_parser, run_rules
from .config import PRESETS, RUN_OPTIONS, ConfigError, Resolved, field_for, format_config, given_options, resolve
from .document import Document, run_order
from .parallel import WorkerDied
from .pipeline import STAGE_SWITCHES, Pipeline, UnknownRuleIds, build_stages, clean, load_run_rules
from .plural import counted
from .read import input_files, is_output_folder, read_documents
from .rules import Rule, RuleError
from .settings import DEDUP_ACTIONS, ENGINES, MT_ACTIONS, Settings, SettingsError, usable_cpus
from .write import Writer

EXIT_HELP = """exit status:
  0  every input file was processed
  1  some inputs failed (see OUTDIR/errors.jsonl); the others' output is complete
  2  usage error, or nothing could be processed
  3  a worker process was killed (out of memory?): the message names the inputs it may have been cleaning"""

# An empty folder, or a misspelt one that holds only other folders, gave an empty run in silence.
NOTHING_TO_READ = "nothing to read: no .txt, .md, .html, .jsonl or .warc file (or compressed one) in the input"

# The files of a run's output folder: `explain` given one explains the run, not the file as an input.
RUN_FILES = (*Writer.NAMES, "stats.json", "report.html")

OUTPUTS = """output files (in OUTDIR):
  clean.jsonl    one record per kept document
  removed.jsonl  every removed span with its rule id, every dropped document with its reason
  errors.jsonl   inputs that could not be read, with file (and line), and warnings
  stats.json     counts per stage, rule and reason, and time per stage
  report.html    the run report: counts, charts, and sample documents with what each rule removed

configuration: every option can also be set in ./cleaner.toml or [tool.cleaner] of ./pyproject.toml
(keys: the names shown by --print-config); command-line options override the file."""


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-field", default="text", metavar="NAME",
                        help="JSONL field holding the text (default: text); other fields go to metadata")
    parser.add_argument("--rules", action="append", type=Path, default=[], metavar="PATH", dest="rule_paths",
                        help="an extra rule pack (YAML file, or a folder of them); repeatable")
    parser.add_argument("--no-default-rules", action="store_true",
                        help="do not use the rule packs shipped with cleaner")
    parser.add_argument("--disable-rule", action="append", default=[], dest="disable_rules", metavar="ID",
                        help="switch off the rule with this id (see `cleaner rules list`); repeatable")
    parser.add_argument("--max-bytes", type=int, default=16 * 1024 * 1024, metavar="N",
                        help="refuse documents larger than N bytes (default: 16 MiB)")
    parser.add_argument("--config", type=Path, metavar="PATH",
                        help="config file (default: ./cleaner.toml, or [tool.cleaner] in ./pyproject.toml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cleaner", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cleaner {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "clean", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="clean folders of scraped articles into deduplicated JSONL",
        description="Read .txt, .md/.markdown, .html/.htm/.xhtml/.shtml(.gz), .jsonl/.ndjson(.gz/.zst) and .warc(.gz) "
                    "files under each INPUT (recursively, in a stable order), remove junk, identify language, score "
                    "machine translation, remove duplicates, and write clean JSONL with an audit of all removed.",
        epilog=f"{OUTPUTS}\n\n{EXIT_HELP}")
    run.add_argument("inputs", nargs="*", type=Path, metavar="INPUT", help="input folder or file")
    run.add_argument("-o", "--output", type=Path, metavar="OUTDIR",
                     help="folder for the output files (created if missing); required here or in the config")
    run.add_argument("--preset", choices=sorted(PRESETS),
                     help="settings for a common job: pretraining (drop machine translation and "
                          "near-duplicates), audit (drop no document, only flag) or extracted (text a "
                          "main-content extractor already chose: no line classifier, no caption-shape or "
                          "repeated-paragraph rule); options override it")
    run.add_argument("--print-config", action="store_true",
                     help="print the effective settings (defaults, preset, config file, options) as TOML and exit")
    _add_input_options(run)
    run.add_argument("--no-junk", action="store_true", help="skip junk removal (the rule packs)")
    run.add_argument("--no-reflow", action="store_true",
                     help="keep text input's line breaks as they are: do not join a line that continues "
                          "the sentence of the line before it, nor unwrap hard-wrapped text")
    run.add_argument("--no-markup", action="store_true",
                     help="keep link addresses, images and Markdown marks in text input as they are")
    run.add_argument("--no-lines", action="store_true",
                     help="skip the learned line classifier that removes boilerplate lines from flattened text")
    run.add_argument("--no-boilerplate", action="store_true",
                     help="skip removing lines that recur across documents of the same site or folder")
    run.add_argument("--boilerplate-min-docs", type=int, default=5, metavar="N",
                     help="a line in at least N (>= 2) documents of one site or folder is boilerplate (default: 5)")
    run.add_argument("--html-timeout", type=float, default=30.0, metavar="S",
                     help="seconds of main-content extraction per HTML page before falling back to its "
                          "visible text (default: 30; 0: no limit; at most 86400)")
    run.add_argument("--no-language", action="store_true", help="skip language identification")
    run.add_argument("--lang", action="append", default=[], metavar="CODE",
                     help="keep only documents in this language: a code langdetect produces (ISO 639-1 such as "
                          "en, or zh-cn, in any case), or unknown (no letters); repeatable")
    run.add_argument("--no-mt", action="store_true", help="skip machine-translation scoring")
    run.add_argument("--mt-action", choices=MT_ACTIONS, default="flag",
                     help="what to do with documents scored as machine translation: flag them in the "
                          "record (default), drop them to removed.jsonl, or drop only their flagged paragraphs")
    run.add_argument("--mt-threshold", type=float, default=None, metavar="P",
                     help="score from which a paragraph or document counts as machine-translated "
                          "(default: the model's thresholds, chosen on held-out data for a stated precision)")
    run.add_argument("--no-dedup", action="store_true", help="skip duplicate detection")
    run.add_argument("--dedup-action", choices=DEDUP_ACTIONS, default="drop",
                     help="drop duplicates to removed.jsonl (default), or keep them flagged: a kept "
                          "duplicate's cluster_id is the id of its cluster's representative")
    run.add_argument("--dedup-threshold", type=float, default=Settings.dedup_threshold, metavar="J",
                     help="estimated Jaccard similarity of word n-gram sets (--shingle-size) from which two "
                          "documents are near-duplicates (default: %(default)s)")
    run.add_argument("--dedup-containment", type=float, default=Settings.dedup_containment, metavar="C",
                     help="estimated share of the smaller document's shingles found in the larger from which "
                          "two documents are near-duplicates, e.g. an article and the same article plus "
                          "boilerplate (default: %(default)s)")
    run.add_argument("--shingle-size", type=int, default=Settings.shingle_size, metavar="N",
                     help="words per shingle (default: %(default)s)")
    run.add_argument("--num-perm", type=int, default=Settings.num_perm, metavar="K",
                     help="MinHash permutations per document, 4 bytes each in memory, 1 to 4096 (default: %(default)s)")
    run.add_argument("--bands", type=int, default=Settings.dedup_bands, metavar="B", dest="dedup_bands",
                     help="LSH bands (default: %(default)s); two documents of Jaccard similarity J become "
                          "candidates with probability 1-(1-J^R)^B, so a near-duplicate is missed with "
                          "probability (1-J^R)^B (B=64, R=2: J=0.3, 0.2%%; J=0.2, an article inside a page dump "
                          "five times its size, 7%%) and unrelated pairs cost a comparison with 1-(1-J^R)^B "
                          "(J=0.02: 2.5%%; with B=128, R=1 it would be 92%%); B x R <= K")
    run.add_argument("--rows", type=int, default=Settings.dedup_rows, metavar="R", dest="dedup_rows",
                     help="rows per LSH band (default: %(default)s)")
    run.add_argument("--index", type=Path, default=None, metavar="PATH", dest="dedup_index",
                     help="dedup index folder: documents duplicating any indexed document are dropped, "
                          "and the kept ones are added, so later runs dedup against this one")
    run.add_argument("-j", "--workers", type=int, default=1, metavar="N",
                     help="processes for the per-document stages (default: 1); the output is identical for any N")
    run.add_argument("--engine", choices=ENGINES, default="local",
                     help="run the stages in local processes (default) or as Ray Data steps on a Ray cluster "
                          "(pip install 'cleaner[ray]'); the output is identical")
    run.add_argument("--address", dest="ray_address", metavar="ADDRESS",
                     help="address of an existing Ray cluster (with --engine ray; default: start a local one)")
    run.add_argument("--resume", action="store_true",
                     help="continue an interrupted run into the same OUTDIR: input shards it finished are not "
                          "redone, and the output is identical to an uninterrupted run")
    run.add_argument("--shard-files", type=int, default=256, metavar="N",
                     help="input files per checkpoint shard (default: 256; each JSONL or WARC file is a shard of "
                          "its own)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress display or summary")

    explain = commands.add_parser(
        "explain", help="show what the cleaner removes from a file, and which rule removed it",
        description="Print each document of FILE with every removed line marked and labelled with "
                    "the id of the rule that removed it, under a header with its warnings (a charset guessed, bytes "
                    "replaced) and the mojibake repaired. Given the output folder of a run (or any of its "
                    "files: clean.jsonl, removed.jsonl, errors.jsonl, stats.json, report.html), print what that "
                    "run removed, from its removed.jsonl, with the warnings of its errors.jsonl and the repairs its "
                    "records name.")
    explain.add_argument("file", type=Path, metavar="FILE")
    explain.add_argument("--rule", metavar="ID", help="show only what this rule removed")
    _add_input_options(explain)
    add_rules_parser(commands)
    return parser


# Options that switch a Settings field off: `--no-junk` sets `junk=False`, and so on.
_NEGATED = {"no_default_rules": "default_rules", "no_junk": "junk", "no_language": "language", "no_mt": "mt",
            "no_dedup": "dedup", "no_lines": "lines", "no_boilerplate": "boilerplate",
            "no_reflow": "reflow", "no_markup": "markup"}


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the options of a command: each dest that names a Settings field sets it.

    Options a command does not have keep the Settings default, which is the single place defaults live.
    """
    fields = {f.name for f in dataclasses.fields(Settings)}
    given = vars(args)
    values = {name: value for name, value in given.items() if name in fields}
    values.update({field: not given[flag] for flag, field in _NEGATED.items() if flag in given})
    return Settings(**values)


def _rules_or_exit(args: argparse.Namespace, resolved: Resolved) -> tuple[list[Rule], list[RuleError]]:
    """`load_run_rules`, or exit with status 2 on a rule id to switch off that no pack defines, blaming where the id
    was given: the config file's key (file and line, as for any other problem of the file), else the option."""
    try:
        return load_run_rules(resolved.settings)
    except UnknownRuleIds as err:
        from_file = [rule_id for rule_id in err.ids if rule_id not in getattr(args, "disable_rules", [])]
        if from_file and resolved.path is not None and "disable_rules" in resolved.keys:
            key, line = resolved.keys["disable_rules"]
            problem = ConfigError(resolved.path, line, f"{key}: {UnknownRuleIds(from_file).detail}")
            Console(stderr=True, highlight=False).print(f"[red]config error: {escape(str(problem))}[/red]",
                                                        soft_wrap=True)
            raise SystemExit(2) from None
        _command_parser(args.command).error(f"argument --disable-rule: {err.detail}")


def _command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of one command (`clean`, `explain`), whose usage an error message shows."""
    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]


def run_clean(args: argparse.Namespace, console: Console, resolved: Resolved) -> int:
    settings = resolved.settings
    rules, rule_errors = _rules_or_exit(args, resolved)  # reported before any document is read
    cpus = usable_cpus()
    if settings.workers > cpus and not settings.ray_address:
        console.print(f"[yellow]cleaner: -j {settings.workers}: more workers than the {counted(cpus, 'CPU')} this run "
                      "may use, so they take turns: no faster, and each takes memory and start-up time[/yellow]",
                      soft_wrap=True)
    for err in rule_errors:
        console.print(f"[red]rule error: {escape(str(err))}[/red]", soft_wrap=True)
    progress = Progress(TextColumn("[bold]cleaning"), BarColumn(bar_width=None),
                        TextColumn("{task.completed:,} documents"), TimeElapsedColumn(),
                        console=console, transient=True, disable=args.quiet or not console.is_terminal)
    with progress:
        task = progress.add_task("clean", total=None)
        try:
            stats = clean(args.inputs, args.output, settings, lambda _doc: progress.advance(task),
                          (rules, rule_errors))
        except ValueError as err:  # e.g. a dedup index built with other parameters, or OUTDIR given as INPUT
            console.print(f"[red]cleaner: {escape(str(err))}[/red]", soft_wrap=True)
            return 2
        except OSError as err:  # input errors are recorded per file, so this is OUTDIR: a file, no permission, full
            console.print(f"[red]cleaner: cannot write the output: {escape(str(err))}[/red]", soft_wrap=True)
            return 2
        except WorkerDied as err:
            console.print(f"[red]cleaner: {escape(str(err))}[/red]", soft_wrap=True)
            return 3
    _warn_left_out(console, stats["skipped_examples"], stats["earlier_outputs"], stats["skipped_files"])
    if not (stats["documents_in"] or stats["errors"] or stats["warnings"] or stats["skipped_files"]):
        console.print(f"[yellow]cleaner: {NOTHING_TO_READ}[/yellow]", soft_wrap=True)
    if settings.resume:
        _warn_resume(console, stats, args.output)
    if stats["already_indexed"]:
        found = stats["already_indexed"]
        were = "was" if found == 1 else "were"
        themselves = "it counts as a duplicate of itself" if found == 1 else "they count as duplicates of themselves"
        _warn(console, f"{counted(found, 'document')} {were} already in the index (same id and text), so {themselves}",
              found, stats["already_indexed_examples"])
    if not args.quiet:
        _summary(console, stats, args.output)
    if stats["documents_in"] == 0 and (stats["errors"] or stats["skipped_files"]):
        return 2
    return 1 if stats["errors"] else 0


def _warn(console: Console, message: str, count: int, examples: list[str]) -> None:
    """One line for many files or documents, with the first few names: a folder of files of other types would
    otherwise give an empty run in silence, and a repeated run into one --index drop everything unexplained."""
    more = ", ..." if count > len(examples) else ""
    console.print(f"[yellow]cleaner: {message}: {escape(', '.join(examples))}{more}[/yellow]", soft_wrap=True)


def _warn_left_out(console: Console, skipped: list[str], outputs: list[str], skipped_count: int) -> None:
    """The files of other types (`skipped`: the first of `skipped_count`) and the output folders of earlier runs
    that the walk of the inputs left out."""
    if skipped_count:
        _warn(console, f"skipped {counted(skipped_count, 'file')} of a type it does not read", skipped_count, skipped)
    if outputs:
        folders = counted(len(outputs), "output folder of an earlier run", "output folders of earlier runs")
        _warn(console, f"left out {folders} found in the input (name such a folder as INPUT to clean it again)",
              len(outputs), outputs)


def _warn_resume(console: Console, stats: dict, outdir: Path) -> None:
    """Say when --resume could not use what it found: the run was as long as a new one, which it would not expect."""
    if stats["unused_checkpoints"]:
        unused = stats["unused_checkpoints"]
        were, their = ("was", "its shard was") if unused == 1 else ("were", "their shards were")
        message = (f"{counted(unused, 'checkpoint')} in {outdir} {were} made with other settings or rules, or input "
                   f"files changed since: {their} processed again ({stats['resumed_shards']:,} reused)")
    elif not stats["resumed_shards"]:
        message = f"nothing to resume in {outdir} (no checkpoint of an interrupted run): every shard was processed"
    else:
        return
    console.print(f"[yellow]cleaner: --resume: {escape(message)}[/yellow]", soft_wrap=True)


def _summary(console: Console, stats: dict, outdir: Path) -> None:
    table = Table(title=f"cleaner: {outdir}", show_header=False)
    table.add_row("documents in", f"{stats['documents_in']:,}")
    table.add_row("documents kept", f"{stats['documents_out']:,}")
    for reason, count in stats["dropped"].items():
        table.add_row(f"dropped: {reason}", f"{count:,}")
    top = sorted(stats["rules"].items(), key=lambda kv: -kv[1]["chars"])[:5]
    for rule, counts in top:
        table.add_row(f"rule {rule}", f"{counted(counts['lines'], 'line')}, {counted(counts['chars'], 'char')}")
    table.add_row("errors / warnings", f"{stats['errors']} / {stats['warnings']} (errors.jsonl)")
    table.add_row("seconds", f"{stats['total_seconds']:.2f}")
    console.print(table)


def run_explain(args: argparse.Namespace, console: Console, resolved: Resolved) -> int:
    settings = resolved.settings
    folder = args.file if args.file.is_dir() else args.file.parent
    if is_output_folder(folder) and (folder == args.file or args.file.name in RUN_FILES):
        return _explain_run(console, folder, args.rule)
    settings.dedup = False
    rules, rule_errors = _rules_or_exit(args, resolved)
    for err in rule_errors:
        console.print(Text(f"rule error: {err}", style="red"))  # as text: a path or id may hold [brackets]
    if args.rule and args.rule not in {rule.id for rule in rules} | STAGE_SWITCHES.keys():
        console.print(Text(f"no rule with id {args.rule!r}", style="red"))
        return 2
    failures = []
    pipeline = Pipeline(build_stages(settings, rules))
    found = input_files([args.file])
    for doc in pipeline.run(read_documents(found, settings.text_field, settings.max_bytes), failures.append):
        _explain_document(console, doc, args.rule)
    for failure in failures:  # a warning (an empty file) fails nothing, as in `clean`'s exit status
        style = "yellow" if failure["severity"] == "warning" else "red"
        console.print(Text(f"{failure['source']}: {failure['severity']}: {failure['error']}", style=style))
    _warn_left_out(console, found.skipped, found.outputs, len(found.skipped))
    if not (found.files or found.unreadable or found.skipped):
        console.print(Text(f"cleaner: {NOTHING_TO_READ}", style="yellow"))
    return 1 if rule_errors or any(failure["severity"] != "warning" for failure in failures) else 0


def _explain_run(console: Console, folder: Path, only: str | None) -> int:
    """What a finished run removed, read back from its audit: cleaning its clean text again would show
    what a second run would remove, not what this one did."""
    if not (folder / "removed.jsonl").is_file():
        console.print(f"[red]{escape(str(folder))} has no removed.jsonl: the run did not finish[/red]", soft_wrap=True)
        return 2
    notes = _RunNotes(folder) if only is None else None
    shown = 0
    for entry in _with_kept(_records(folder / "removed.jsonl"), notes):
        if notes is not None and "spans" not in entry:  # a kept document with notes only
            notes.show_kept(console, entry["id"])
            continue
        spans = sorted((span for span in entry["spans"] if only is None or span["rule"] == only),
                       key=lambda span: span["line"])
        if only is not None and not spans:
            continue
        shown += 1
        outcome = f"DROPPED: {entry['reason']}" if entry["reason"] else "kept"
        if entry["reason"] == "duplicate":
            outcome += f" of {entry['duplicate_of']} (similarity {entry['similarity']:.2f})"
        console.print(Text(f"== {entry['id']}  {outcome}", style="bold"))
        if notes is not None:
            notes.show(console, entry["id"], entry["source"], entry.get("encoding_steps", []))
        for span in spans:
            moved = f" (to {span['field']})" if span["action"] == "metadata" else ""
            out = Text(f"[-{span['rule']}-] line {span['line']}{moved}: ", style="bold red")
            console.print(out.append(span["text"]))
    if notes is not None:
        notes.show_problems(console)
    if only is not None and not shown:
        console.print(f"no line of {escape(str(folder / 'removed.jsonl'))} was removed by {only!r}")
    return 0


def _with_kept(removed: Iterator[dict], notes: _RunNotes | None) -> Iterator[dict]:
    """The entries of removed.jsonl and, in the run's order among them, `{"id": ...}` for each kept document with
    notes (`_RunNotes.kept`), which came after all the others: after the entry of the same id, when it has one."""
    kept = [{"id": doc_id} for doc_id in (notes.kept if notes is not None else ())]
    return heapq.merge(removed, kept, key=lambda entry: (*run_order(entry["id"]), "spans" not in entry))


def _records(path: Path) -> Iterator[dict]:
    """The records of a JSONL output file, none when it is not there."""
    if path.is_file():
        with open(path, "rb") as lines:
            yield from map(orjson.loads, lines)


class _RunNotes:
    """What reading and decoding did to a finished run's documents, for `explain OUTDIR` to show as `explain FILE`
    does: the warnings of errors.jsonl (by source) and the repairs of clean.jsonl's `encoding_steps` (by id)."""

    def __init__(self, folder: Path) -> None:
        self.problems = list(_records(folder / "errors.jsonl"))
        self.warnings: dict[str, list[str]] = {}
        for problem in self.problems:
            if problem["severity"] == "warning":
                self.warnings.setdefault(problem["source"], []).append(problem["error"])
        self.kept = {record["id"]: (record["source"], record["metadata"].get("encoding_steps", []))
                     for record in _records(folder / "clean.jsonl")
                     if record["source"] in self.warnings or record["metadata"].get("encoding_steps")}
        self.shown: set[str] = set()

    def show(self, console: Console, doc_id: str, source: str, steps: list[str]) -> None:
        """The notes of one document (`steps`: a dropped document's, which clean.jsonl does not hold)."""
        source, kept_steps = self.kept.pop(doc_id, (source, []))
        self.shown.add(source)
        _print_encoding(console, self.warnings.get(source, []), steps or kept_steps)

    def show_kept(self, console: Console, doc_id: str) -> None:
        """A kept document that lost no line but was decoded with a warning or repaired (not one that lost lines,
        whose notes `show` gave with them)."""
        if doc_id in self.kept:
            console.print(Text(f"== {doc_id}  kept", style="bold"))
            self.show(console, doc_id, *self.kept[doc_id])

    def show_problems(self, console: Console) -> None:
        """The inputs that could not be read, and any warning no document showed, as `explain FILE` ends."""
        for problem in self.problems:
            if problem["source"] not in self.shown:
                style = "yellow" if problem["severity"] == "warning" else "red"
                console.print(Text(f"{problem['source']}: {problem['severity']}: {problem['error']}", style=style))


def _explain_document(console: Console, doc: Document, only: str | None) -> None:
    header = f"== {doc.id}  title={doc.title!r}  language={doc.language}  mt_score={doc.mt_score}"
    console.print(Text(header + (f"  DROPPED: {doc.dropped}" if doc.dropped else ""), style="bold"))
    if only is None:
        _explain_encoding(console, doc)
    for line, rule in doc.marked_lines():
        if only is not None and rule != only:
            continue
        if rule is None:
            console.print(Text(line))
        else:
            out = Text(f"[-{rule}-] ", style="bold red")
            out.append(line, style="red strike" if console.is_terminal else "")
            console.print(out)
    for flagged in doc.mt_paragraphs if only is None else []:
        why = "; ".join(e.get("text") or f"{e['feature']} +{e['contribution']}" for e in flagged["evidence"])
        console.print(Text(f"[mt {flagged['score']:.2f}] paragraph {flagged['paragraph']}: {why}", style="yellow"))


def _explain_encoding(console: Console, doc: Document) -> None:
    """What reading and decoding did to `doc`, which `clean` records in errors.jsonl and `encoding_steps`."""
    _print_encoding(console, doc.warnings, doc.metadata.get("encoding_steps", []))


def _print_encoding(console: Console, warnings: list[str], steps: list[str]) -> None:
    """Text decoded as a guessed charset, bytes replaced or mojibake repaired reads as if it had been written so:
    say so above it."""
    for warning in warnings:
        console.print(Text(f"[warning] {warning}", style="yellow"))
    if steps:
        console.print(Text(f"[encoding] repaired: {', '.join(steps)}", style="yellow"))


def effective_settings(args: argparse.Namespace, argv: list[str]) -> Resolved:
    """Settings and run options from defaults, preset, config file and command line.

    `ConfigError` on a bad config file; a bad option value exits with status 2, as argparse does.
    """
    parser = build_parser()
    command = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
    given = given_options(build_parser(), argv)
    cli_run = {name: value for name, value in vars(args).items() if name in RUN_OPTIONS and name in given}
    try:
        return resolve(settings_from(args), given, command, args.config, cli_run, Path.cwd())
    except SettingsError as err:
        command.error(f"argument {_option_name(command, err.fields[0])}: {err.message}")


def _option_name(command: argparse.ArgumentParser, field: str) -> str:
    """How the command line spells the option that sets `field` (`-j/--workers`)."""
    return next(("/".join(action.option_strings) for action in command._actions
                 if field_for(action.dest) == (field, False)), field)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    # explain prints documents: a line cut at the console's width (80 columns into a pipe) is a line the document
    # does not have, and breaks `grep` and `cut`; the terminal wraps what is too long for it
    console = Console(stderr=args.command == "clean", highlight=False, soft_wrap=args.command == "explain")
    if args.command == "rules":
        return run_rules(args, Console(highlight=False))
    try:
        resolved = effective_settings(args, argv)
    except ConfigError as err:
        Console(stderr=True, highlight=False).print(f"[red]config error: {escape(str(err))}[/red]", soft_wrap=True)
        return 2
    if getattr(args, "print_config", False):
        Console(highlight=False).print(escape(format_config(resolved)), soft_wrap=True)
        return 0
    if args.command == "clean":
        args.output = resolved.run.get("output")
        args.quiet = resolved.run.get("quiet", False)
        if not args.inputs:
            parser.error("clean: at least one INPUT is required")
        if args.output is None:
            parser.error("clean: -o/--output OUTDIR is required (or `output` in the config file)")
    for path in getattr(args, "inputs", [getattr(args, "file", None)]):
        if path is not None and not path.exists() and not path.is_symlink():
            parser.error(f"input not found: {path}")
    if args.command == "clean":
        try:
            return run_clean(args, console, resolved)
        except KeyboardInterrupt:
            console.print("[red]interrupted[/red]: the same command with --resume reuses the shards already done")
            return 130
    return run_explain(args, console, resolved)


if __name__ == "__main__":
    sys.exit(main())
