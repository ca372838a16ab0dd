"""Speed and memory of `cleaner clean`, whole and stage by stage, beside a floor and datatrove.

    python benchmarks/run.py --docs 20000 [--workers 1 2] [--datatrove-python PATH] [--repeat 3]

Builds a corpus (benchmarks/corpus.py), then runs each configuration as its own process and
prints one table: documents/s, MB/s of text, peak memory of the process tree, and the ratio of
each figure to the floor (reading and writing JSONL with decoding only) measured in the same run.
datatrove pins an old trafilatura, so it runs from its own virtual environment: created under
.bench/ with `pip install datatrove[processing] spacy orjson` unless --datatrove-python is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from corpus import build

ROOT = Path(__file__).resolve().parent.parent
OFF = ["--no-reflow", "--no-junk", "--no-language", "--no-mt", "--no-dedup"]
CONFIGS = {
    "floor: read, decode, write": OFF,
    "junk rules alone": ["--no-language", "--no-mt", "--no-dedup"],
    "language alone": ["--no-junk", "--no-mt", "--no-dedup"],
    "mt alone": ["--no-junk", "--no-language", "--no-dedup"],
    "dedup alone": ["--no-junk", "--no-language", "--no-mt"],
    "whole pipeline": [],
}


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, int, str]:
    """(seconds, peak memory of the process tree in bytes, stdout) of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{err[-3000:]}")
    return seconds, peak, out


def datatrove_python(given: str | None) -> str | None:
    if given:
        return given
    venv = ROOT / ".bench" / "venv-datatrove"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} for datatrove (once)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "datatrove[processing]", "spacy",
                                    "orjson", "lxml_html_clean"])
        if installed.returncode != 0:
            return None
    return str(python)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="*", help="run only these configurations (names of the table)")
    parser.add_argument("--datatrove-python", help="a Python with datatrove installed")
    parser.add_argument("--no-datatrove", action="store_true")
    parser.add_argument("--lines-per-doc", type=int,
                        help="documents of this many distinct lines (shuffled source lines) instead of whole pages: "
                             "a corpus whose lines nearly all differ, to measure memory at a large number of documents")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every configuration this many times, in rounds, and report the median time "
                             "(a shared machine's speed drifts: rounds spread the drift over all configurations)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cleaner-bench-"))
    try:
        docs, size = build(work / "corpus", args.docs, lines=args.lines_per_doc)
        mb = size / 1e6
        print(f"corpus: {docs:,} documents, {mb:.1f} MB of text, in {work / 'corpus'}", file=sys.stderr)
        jobs = []  # (label, command, output folder of a cleaner run or None)
        for name, options in CONFIGS.items():
            for workers in args.workers:
                if args.only and name not in args.only:
                    continue
                out = work / "out"
                jobs.append((f"{name} ({workers} worker{'s' if workers > 1 else ''})",
                             [sys.executable, "-m", "cleaner", "clean", str(work / "corpus"), "-o", str(out), "-q",
                              "-j", str(workers), *options], out))
        if not args.no_datatrove and (not args.only or "datatrove" in args.only):
            python = datatrove_python(args.datatrove_python)
            if python is None:
                print("datatrove could not be installed: skipped", file=sys.stderr)
            else:
                workers = args.workers[0]
                jobs.append((f"datatrove: reader, Gopher, C4, MinHash x4, writer ({workers} worker)",
                             [python, str(ROOT / "benchmarks" / "datatrove_pipeline.py"), str(work / "corpus"),
                              str(work / "datatrove"), str(workers)], None))
        timings: dict[str, list[float]] = {label: [] for label, _, _ in jobs}
        peaks: dict[str, int] = dict.fromkeys(timings, 0)
        stage_seconds: dict[str, dict[str, float]] = {}
        for round_ in range(args.repeat):
            for label, command, out in jobs:
                shutil.rmtree(out or work / "datatrove", ignore_errors=True)
                seconds, peak, _ = measure(command)
                timings[label].append(seconds)
                peaks[label] = max(peaks[label], peak)
                if out is not None:
                    stage_seconds[label] = json.loads((out / "stats.json").read_text()).get("seconds", {})
                print(f"  round {round_ + 1}: {label}: {seconds:.1f} s", file=sys.stderr)
        rows = [(label, statistics.median(times), peaks[label], stage_seconds.get(label, {}))
                for label, times in timings.items()]
        floor = {label.rsplit("(", 1)[1].rstrip(")"): seconds for label, seconds, _, _ in rows
                 if label.startswith("floor")}
        print(f"\n{docs:,} documents, {mb:.1f} MB of text, {os.cpu_count()} CPUs\n")
        print(f"{'configuration':<62} {'docs/s':>9} {'MB/s':>7} {'peak MB':>8} {'seconds':>8}")
        for label, seconds, peak, _ in rows:
            print(f"{label:<62} {docs / seconds:>9,.0f} {mb / seconds:>7.2f} {peak / 1e6:>8.0f} {seconds:>8.1f}")
        whole = {label: stages for label, _, _, stages in rows if label.startswith("whole")}
        for label, stages in whole.items():
            total = sum(stages.values()) or 1.0
            shares = ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1]))
            print(f"\nstage shares, {label}: {shares}")
        if floor:
            print("\nfloor seconds: " + ", ".join(f"{workers} {seconds:.1f}" for workers, seconds in floor.items()))
        seconds_of = {label: seconds for label, seconds, _, _ in rows}
        one, two = seconds_of.get("whole pipeline (1 worker)"), seconds_of.get("whole pipeline (2 workers)")
        theirs = next((seconds for label, seconds in seconds_of.items() if label.startswith("datatrove")), None)
        if one and theirs:
            print(f"whole pipeline against datatrove, one worker each: {theirs / one:.2f}x its throughput")
        if one and two:
            print(f"whole pipeline, 2 workers against 1: {one / two:.2f}x")
        if args.repeat > 1:
            print(f"(median of {args.repeat} rounds; all times: "
                  + "; ".join(f"{'datatrove' if label.startswith('datatrove') else label} "
                              + ", ".join(f"{t:.1f}" for t in times) for label, times in timings.items()) + ")")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
