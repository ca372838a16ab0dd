"""A guard against rule regexes that backtrack catastrophically.

The junk stage matches with Python's `re`, a backtracking engine: a pattern such as
`^(\\w+\\s?)+$` takes exponential time on a long line that almost matches, and one such
line would stall a whole run. A linear-time engine (RE2) accepting the pattern would say
nothing about how `re` runs it, so each pattern is instead run by `re` itself on adversarial
strings (a rule's example, then a unit built from the pattern's own characters repeated,
then a character that makes the match fail) in a worker process, and a pattern that does
not finish one of them within the time budget is reported. `re` holds the GIL while
it matches, so a thread could not be stopped: a process can.

A pattern can also finish every line of the test within the budget and still be unusable: one whose time grows
with the square of the line (`\\w+@`, `a*b` unanchored: each start of the search scans to the end of the line) takes
0.4 s on 20,000 letters and hours on the 4 MB a text file may hold. So the time of each very long line is measured
too, and when it is long enough to be read (`_FLOOR`), the line `SHRINK` times shorter is timed as well: a linear
pattern takes about 8 times as long on the longer line, a quadratic one 64 times, and more than `GROWTH` times is
reported.
`re` counts no steps it could report, so the measure is CPU time (`time.process_time`: what other processes run
on the machine does not count), the least of a few runs, and the margins are wide: on lines 4 times as long, the
shipped patterns (where they take over a millisecond) grew 3 to 6 times and quadratic ones 12 to 24 times, too
close to a threshold for a verdict that must not flake; 8 times as long puts a factor of 2 on each side of it.

Run as `python -m cleaner.backtrack`, it is that worker: it reads `[[pattern, flags,
[prefix, ...]], ...]` as JSON on stdin and prints `start I`, then `text "..."` before each
adversarial line (the parent's deadline restarts there), `grows [sample, seconds, seconds]` for a pattern whose
time grows faster than its line (it goes on with the next pattern), then `done I` for each pattern.
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
SHRINK, GROWTH = 8, 24.0  # more than GROWTH times as long on a line SHRINK times as long: super-linear
_UNITS = ("a", "A", "1", " ", ".", "-", "\t", "a ", "ab", "a1", "a.", "aA")
_MAX_LITERALS = 12  # units taken from the pattern's own characters
_TAILS = ("!", "\x00")
# Exponential blow-ups show at 28 repeats, high-degree polynomial ones on long lines, quadratic ones only on very
# long lines (a base64 blob: the shipped css rule took 3 s on 16,000 letters, a few milliseconds on 2,000).
_SHORT, _LONG, VERY_LONG = 28, 2000, 20_000
# CPU seconds on a very long line from which its growth is measured: a quadratic pattern takes 0.2 s or more
# there (`a*b` on letters, the cheapest, 0.4 s), the slowest shipped pattern 20 ms, most well under 1 ms.
_FLOOR = 0.02


@dataclass
class SlowPattern:
    """A pattern that did not finish within the budget on `sample` (shown shortened), or whose time grows faster
    than the line: `growth` is then its CPU seconds on `sample` `SHRINK` times shorter and on `sample` itself."""

    index: int
    pattern: str
    sample: str
    growth: tuple[float, float] | None = None


def families(pattern: str, prefixes: list[str]) -> Iterator[tuple[str, str, str]]:
    """(prefix, unit, tail) of the strings likely to make a backtracking regex explode: prefix + unit * n + tail."""
    literal = sorted({c for c in re.sub(r"\\.", "", pattern) if c.isprintable() and c not in "()[]{}?*+^$\\"})
    units = list(_UNITS) + [c for c in literal if c not in _UNITS][:_MAX_LITERALS]
    for start in dict.fromkeys(["", *prefixes]):
        for unit in units:
            for tail in _TAILS:
                yield start, unit, tail


def _line(start: str, unit: str, tail: str, length: int) -> str:
    return start + unit * (length // len(unit)) + tail


def _cpu(compiled: re.Pattern[str], text: str, runs: int) -> float:
    """The least CPU time of `runs` searches of `text`, each announced to the parent (its deadline restarts)."""
    best = float("inf")
    for _ in range(runs):
        print(f"text {json.dumps(text[:60])}", flush=True)
        begin = time.process_time()
        compiled.search(text)
        best = min(best, time.process_time() - begin)
    return best


def _growth(compiled: re.Pattern[str], start: str, unit: str, tail: str) -> tuple[float, float] | None:
    """(CPU seconds on the line `SHRINK` times shorter, on the very long line) when the latter is over `_FLOOR` and more
    than `GROWTH` times the former; None when the pattern's time grows no faster than its line."""
    text = _line(start, unit, tail, VERY_LONG)
    big = _cpu(compiled, text, 1)
    if big < _FLOOR:
        return None
    small = _cpu(compiled, _line(start, unit, tail, VERY_LONG // SHRINK), 5)
    if big < 10 * _FLOOR:  # a short time is noisier: the least of three runs
        big = min(big, _cpu(compiled, text, 2))
    return (small, big) if big > GROWTH * small else None


def _worker() -> None:
    jobs = json.load(sys.stdin)
    for index, (pattern, flags, prefixes) in enumerate(jobs):
        print(f"start {index}", flush=True)
        compiled = re.compile(pattern, flags)
        for start, unit, tail in families(pattern, prefixes):
            for length in (_SHORT * len(unit), _LONG):
                _cpu(compiled, _line(start, unit, tail, length), 1)
            growth = _growth(compiled, start, unit, tail)
            if growth is not None:
                print(f"grows {json.dumps([_line(start, unit, tail, VERY_LONG)[:60], *growth])}", flush=True)
                break
        print(f"done {index}", flush=True)


def find_slow(jobs: list[tuple[str, int, list[str]]], budget: float = BUDGET) -> list[SlowPattern]:
    """The patterns of `jobs` ((pattern, flags, example prefixes)) taking over `budget` s on one line, or time
    growing faster than their lines, in the order of `jobs`."""
    slow: list[SlowPattern] = []
    first = 0
    while first < len(jobs):
        first, found = _run_worker(jobs, first, budget)
        slow.extend(found)
    return slow


def _run_worker(jobs: list[tuple[str, int, list[str]]], first: int, budget: float) -> tuple[int, list[SlowPattern]]:
    """Run the worker from job `first`; return where to go on and the patterns found slow (the last one stalled
    the worker when where to go on is not the end)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_package_root(), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "cleaner.backtrack"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps([list(job) for job in jobs[first:]]).encode())
    proc.stdin.close()
    current, sample, deadline = None, "", None
    found: list[SlowPattern] = []
    pending = b""
    try:
        while True:
            # read the pipe unbuffered: a line held in a reader's buffer would hide from select
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([proc.stdout], [], [], wait)
            if not ready:
                return current + 1, [*found, SlowPattern(current, jobs[current][0], sample)]
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
                elif word == "grows":
                    text, small, big = json.loads(rest)
                    found.append(SlowPattern(current, jobs[current][0], text, (small, big)))
                elif word == "done":
                    deadline = None
    finally:
        proc.kill()
        proc.wait()
    if proc.returncode not in (0, -9):
        where = f" on pattern {jobs[current][0]!r}" if current is not None else ""
        raise RuntimeError(f"the regex worker failed{where} (exit status {proc.returncode})")
    return len(jobs), found


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    _worker()
