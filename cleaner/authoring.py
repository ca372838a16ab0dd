"""`cleaner rules list | test | check`: see, test and validate rule packs before a run uses them.

`list` shows every rule with its pack, scope and description; `test` runs each rule's own
must-match / must-not-match examples; `check` validates packs as a whole (schema, duplicate
ids, regexes that compile, the rules' examples, catastrophic and super-linear backtracking), so a pack can
be checked in CI before it meets a corpus. Each problem names the rule file and line.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from .backtrack import BUDGET, SHRINK, VERY_LONG, SlowPattern, find_slow
from .plural import counted
from .rules import Rule, RuleError, check_examples, default_pack_files, load_rules


def rule_patterns(rule: Rule) -> list[tuple[str, re.Pattern[str]]]:
    """(option name, compiled pattern) of every regex a rule matches with."""
    named = (("pattern", rule.regex), ("end", rule.end), ("while", rule.continues), ("also_previous", rule.previous))
    return [(name, pattern) for name, pattern in named if pattern is not None]



def backtracking_errors(rules: list[Rule], budget: float = BUDGET) -> list[RuleError]:
    """An error for each rule with a regex that does not finish within `budget` on adversarial lines, or whose
    time on them grows faster than their length."""
    owners: list[tuple[Rule, str]] = []
    jobs: list[tuple[str, int, list[str]]] = []
    for rule in rules:
        prefixes = [line for example in rule.examples.get("match", []) for line in str(example).split("\n")]
        for name, pattern in rule_patterns(rule):
            owners.append((rule, name))
            jobs.append((pattern.pattern, pattern.flags, prefixes[:3]))
    errors = []
    for slow in find_slow(jobs, budget):
        rule, name = owners[slow.index]
        errors.append(RuleError(rule.path, rule.line, f"rule {rule.id!r}: {name} {_slowness(slow, budget)}"))
    return errors


def _slowness(slow: SlowPattern, budget: float) -> str:
    """What is wrong with a slow pattern, and what to do about it."""
    if slow.growth is None:
        return (f"backtracks catastrophically: no answer within {budget:g} s on a line like {slow.sample!r}…; "
                "rewrite it without nested or overlapping repetition such as (a+)+ or (\\w+\\s?)+")
    small, big = slow.growth
    exponent = math.log(big / small, SHRINK)
    megabyte = big * (1_000_000 / VERY_LONG) ** exponent
    return (f"backtracks super-linearly: its time grows {big / small:.0f}-fold when a line like {slow.sample!r}… "
            f"grows {SHRINK}-fold ({small * 1000:.1f} ms on {VERY_LONG // SHRINK:,} characters, {big * 1000:.0f} ms on "
            f"{VERY_LONG:,}), so a 1 MB line would take some {_duration(megabyte)}; rewrite it so that no two "
            "repetitions can take the same characters, or bound one (\\w{1,40}@ rather than \\w+@ unanchored)")


def _duration(seconds: float) -> str:
    for unit, size in (("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} seconds"


def _shipped(name: str) -> tuple[str, str] | None:
    """A shipped pack by file name, file stem, or stem without its order number ('navigation')."""
    for path, text in default_pack_files():
        stem = Path(path).stem
        if name in (path, Path(path).name, stem, stem.partition("-")[2]):
            return path, text
    return None


def _sources(target: str) -> list[tuple[str, str]] | None:
    path = Path(target)
    if path.is_dir():
        return [(str(f), f.read_text(encoding="utf-8")) for f in sorted(path.glob("*.yaml"))]
    if path.is_file():
        return [(str(path), path.read_text(encoding="utf-8"))]
    shipped = _shipped(target)
    return [shipped] if shipped else None


def _unusable(paths: list[Path], console: Console) -> bool:
    """Say which packs `cleaner clean` would refuse before a run (not there, or a folder without a `.yaml` file:
    `.yml` is not read), and whether there was one: testing such a pack would test nothing and pass."""
    problems = [f"not found: {path}" if not path.exists() else f"folder {path} holds no .yaml rule file"
                for path in paths if not path.exists() or (path.is_dir() and not any(path.glob("*.yaml")))]
    for problem in problems:
        console.print(f"[red]{escape(problem)}[/red]", soft_wrap=True)
    return bool(problems)


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    if _unusable(args.rules, console):
        return 2
    rules, errors = load_rules(args.rules, not args.no_default_rules)
    width_id = max((len(r.id) for r in rules), default=2)
    width_pack = max((len(r.pack) for r in rules), default=4)
    console.print(f"{'ID':<{width_id}}  {'PACK':<{width_pack}}  DESCRIPTION", style="bold", soft_wrap=True)
    for rule in rules:
        scope = ", ".join([f"site {s}" for s in rule.sites] + [f"folder {f}" for f in rule.folders])
        line = f"{rule.id:<{width_id}}  {rule.pack:<{width_pack}}  {rule.description}"
        console.print(escape(line + (f" [only: {scope}]" if scope else "")), soft_wrap=True)
    _print_errors(console, errors)
    return 1 if errors else 0


def cmd_test(args: argparse.Namespace, console: Console) -> int:
    """The examples of the target's rules, and their ids: twice in the target is a failure, as `cleaner clean`
    would refuse it; an id of a shipped rule gets a note, as the pack then needs --no-default-rules."""
    if Path(args.target).is_dir() and _unusable([Path(args.target)], console):
        return 2
    sources = _sources(args.target)
    if sources is None:
        console.print(f"[red]no rule file, folder or shipped pack named {escape(args.target)!r}[/red]")
        return 2
    target = Path(args.target)
    shipped = not target.exists()
    rules, errors = load_rules([] if shipped else [target], defaults=shipped)
    names = {name for name, _ in sources}
    rules = [rule for rule in rules if rule.path in names]
    failures = [str(err) for err in errors if err.path in names]
    failures.extend(failure for rule in rules for failure in check_examples(rule))
    for failure in failures:
        console.print(f"[red]FAIL[/red] {escape(failure)}", soft_wrap=True)
    if not shipped:
        shipped_texts = {text for _, text in default_pack_files()}
        copies = {name for name, text in sources if text in shipped_texts}
        builtin = {rule.id for rule in load_rules([])[0]}
        for rule in rules:
            if rule.id in builtin and rule.path not in copies:  # a shipped pack's own file is no clash
                console.print(f"note: {escape(rule.path)}:{rule.line}: {rule.id!r} is also the id of a shipped rule: "
                              "use this pack with --no-default-rules, or rename the rule", soft_wrap=True)
    examples = sum(len(v) for rule in rules for v in rule.examples.values())
    verdict = "[green]ok[/green]" if not failures else f"[red]{counted(len(failures), 'failure')}[/red]"
    console.print(f"{counted(len(rules), 'rule')}, {counted(examples, 'example')}: {verdict}")
    return 1 if failures else 0


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    if _unusable(args.rules, console):
        return 2
    rules, errors = load_rules(args.rules, not args.no_default_rules)
    problems = [str(err) for err in errors]
    problems.extend(p for rule in rules for p in check_examples(rule))
    problems.extend(str(err) for err in backtracking_errors(rules, args.budget))
    for problem in problems:
        console.print(f"[red]ERROR[/red] {escape(problem)}", soft_wrap=True)
    packs = len({rule.path for rule in rules})
    verdict = "[green]ok[/green]" if not problems else f"[red]{counted(len(problems), 'problem')}[/red]"
    console.print(f"{counted(len(rules), 'rule')} in {counted(packs, 'pack')} checked: {verdict}")
    return 1 if problems else 0


def _print_errors(console: Console, errors: list[RuleError]) -> None:
    for err in errors:
        console.print(f"[red]ERROR[/red] {escape(str(err))}", soft_wrap=True)


def add_rules_parser(commands: argparse._SubParsersAction) -> None:
    """The `cleaner rules` command and its three subcommands."""
    parser = commands.add_parser("rules", help="list, test and check rule packs",
                                 description="See, test and validate rule packs (exit 1 when a problem is found).")
    sub = parser.add_subparsers(dest="rules_command", required=True)

    def packs(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rules", action="append", type=Path, default=[], metavar="PATH",
                       help="an extra rule pack (YAML file, or a folder of them); repeatable")
        p.add_argument("--no-default-rules", action="store_true", help="leave out the packs shipped with cleaner")

    packs(sub.add_parser("list", help="every rule with its id, pack, scope and description"))
    test = sub.add_parser("test", help="run each rule's must-match / must-not-match examples",
                          description="Run the examples of every rule in PACK_OR_FILE; failures name the rule "
                                      "and its file:line.")
    test.add_argument("target", metavar="PACK_OR_FILE",
                      help="a rule file, a folder of them, or a shipped pack's name (e.g. navigation)")
    check = sub.add_parser("check", help="validate packs: schema, duplicate ids, regexes, examples, backtracking",
                           description="Validate the shipped packs and those given with --rules: schema, "
                                       "duplicate ids, regexes that compile, the rules' own examples, and "
                                       "catastrophic backtracking (each regex is run on adversarial lines in a "
                                       "worker process under a time budget, and its time on a long line is "
                                       f"compared with that on one {SHRINK} times shorter).")
    packs(check)
    check.add_argument("--budget", type=float, default=BUDGET, metavar="SECONDS",
                       help=f"seconds a regex may take on one adversarial line (default: {BUDGET:g})")


def run_rules(args: argparse.Namespace, console: Console) -> int:
    return {"list": cmd_list, "test": cmd_test, "check": cmd_check}[args.rules_command](args, console)
