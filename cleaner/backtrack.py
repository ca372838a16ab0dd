"""A guard against rule regexes that backtrack catastrophically.

The junk stage matches with Python's `re`, a backtracking engine: a pattern such as
`^(\\w+\\s?)+$` takes exponential time on a long line that almost matches, and one such
line would stall a whole run. A linear-time engine (RE2) accepting the pattern would say
nothing about how `re` runs it, so each pattern is instead run by `re` itself on adversarial
strings (a rule's example, then a unit built from the pattern's own characters repeated,
then a character that makes the match fail) in a worker process, and a pattern that does
not finish one of them within the time budget is reported. `re` holds the GIL while
it matches, so a thread could not be stopped: a process can.

Run as `python -m cleaner.backtrack`, it is that worker: it reads `[[pattern, flags,
[prefix, ...]], ...]` as JSON on stdin and prints `start I`, then `text "..."` before each
adversarial line (the parent's deadline restarts there), then `done I` for each pattern.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

BUDGET = 1.0  # seconds per adversarial line; a healthy pattern needs a few milliseconds at most
_UNITS = ("a", "A", "1", " ", ".", "-", "\t", "a ", "ab", "a1", "a.", "aA")
_MAX_LITERALS = 12  # units taken from the pattern's own characters
_TAILS = ("!", "\x00")
# Exponential blow-ups show at 28 repeats, high-degree polynomial ones on long lines, quadratic ones only on very
# long lines (a base64 blob: the shipped css rule took 3 s on 16,000 letters, a few milliseconds on 2,000).
_SHORT, _LONG, _VERY_LONG = 28, 2000, 20_000


@dataclass
class SlowPattern:
    """A pattern that did not finish within the budget on `sample` (shown shortened)."""

    index: int
    pattern: str
    sample: str


def adversarial(pattern: str, prefixes: list[str]) -> Iterator[str]:
    """Strings likely to make a backtracking regex explode: prefix + unit * n + failing tail."""
    literal = sorted({c for c in re.sub(r"\\.", "", pattern) if c.isprintable() and c not in "()[]{}?*+^$\\"})
    units = list(_UNITS) + [c for c in literal if c not in _UNITS][:_MAX_LITERALS]
    for start in dict.fromkeys(["", *prefixes]):
        for unit in units:
            for size in (_SHORT, _LONG // len(unit), _VERY_LONG // len(unit)):
                for tail in _TAILS:
                    yield start + unit * size + tail


def _worker() -> None:
    jobs = json.load(sys.stdin)
    for index, (pattern, flags, prefixes) in enumerate(jobs):
        print(f"start {index}", flush=True)
        compiled = re.compile(pattern, flags)
        for text in adversarial(pattern, prefixes):
            print(f"text {json.dumps(text[:60])}", flush=True)
            compiled.search(text)
        print(f"done {index}", flush=True)


def find_slow(jobs: list[tuple[str, int, list[str]]], budget: float = BUDGET) -> list[SlowPattern]:
    """The patterns of `jobs` ((pattern, flags, example prefixes)) taking over `budget` s on one line."""
    slow: list[SlowPattern] = []
    first = 0
    while first < len(jobs):
        first, found = _run_worker(jobs, first, budget)
        if found is not None:
            slow.append(found)
    return slow


def _run_worker(jobs: list[tuple[str, int, list[str]]], first: int, budget: float) -> tuple[int, SlowPattern | None]:
    """Run the worker from job `first`; return where to go on and the pattern that stalled, if any."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_package_root(), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "cleaner.backtrack"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps([list(job) for job in jobs[first:]]).encode())
    proc.stdin.close()
    current, sample, deadline = None, "", None
    pending = b""
    try:
        while True:
            # read the pipe unbuffered: a line held in a reader's buffer would hide from select
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([proc.stdout], [], [], wait)
            if not ready:
                return current + 1, SlowPattern(current, jobs[current][0], sample)
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                word, _, rest = line.decode().partition(" ")
                if word == "start":
                    current = first + int(rest)
                elif word == "text":
                    sample, deadline = json.loads(rest), time.monotonic() + budget
                elif word == "done":
                    deadline = None
    finally:
        proc.kill()
        proc.wait()
    if proc.returncode not in (0, -9):
        where = f" on pattern {jobs[current][0]!r}" if current is not None else ""
        raise RuntimeError(f"the regex worker failed{where} (exit status {proc.returncode})")
    return len(jobs), None


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    _worker()
