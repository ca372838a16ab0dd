"""Memory and time of the corpus-wide boilerplate counter (`cleaner.boilerplate.LineCounter`) on a synthetic corpus.

    python benchmarks/line_counter.py --docs 300000 [--lines 100] [--max-entries N]

On a real corpus nearly every article line occurs once, so the counter fills up to `MAX_ENTRIES` lines and
then forgets the rarest: this is the part of the whole pipeline's memory that grows with the corpus, apart
from the dedup index. Each document here has `--lines` random line fingerprints of its own and 10 of one of
200 sites; the script prints the time, how many lines are kept and found recurring (all 2,000 site lines
should be), and how much the process grew at its peak.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from cleaner.boilerplate import LineCounter


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=300_000)
    parser.add_argument("--lines", type=int, default=100, help="lines of its own per document")
    parser.add_argument("--max-entries", type=int, default=None, help="default: the shipped MAX_ENTRIES")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    sites = rng.integers(0, 2**63, (200, 10), dtype=np.uint64)
    before = peak_mb()
    counter = LineCounter(min_docs=3, max_entries=args.max_entries)
    start = time.perf_counter()
    for first in range(0, args.docs, 1000):
        own = rng.integers(0, 2**63, (1000, args.lines), dtype=np.uint64)
        for doc in range(min(1000, args.docs - first)):
            counter.add(set(own[doc].tolist()) | set(sites[(first + doc) % 200].tolist()))
    recurring = counter.recurring()
    print(f"{args.docs:,} documents of {args.lines + 10} lines: {time.perf_counter() - start:.1f} s; "
          f"{len(counter):,} lines kept, {len(recurring):,} recurring (2,000 planted); "
          f"peak growth {peak_mb() - before:.0f} MB")


if __name__ == "__main__":
    main()
