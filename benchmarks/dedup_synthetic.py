"""Dedup at scale on synthetic short documents with planted near-duplicates.

    python benchmarks/dedup_synthetic.py --docs 1000000

Generates `--docs` documents of 80 to 120 words drawn from a Zipf-like vocabulary; a share of them
(`--dup-share`) are planted near-duplicates of an earlier document: one word replaced (Jaccard about
0.85) or a boilerplate sentence appended (containment 1). Streams them through the dedup stage and
reports recovery of the planted pairs (the copy lands in its original's cluster), documents wrongly
merged, time, peak memory and memory per document.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Iterator

import numpy as np

from cleaner.dedup import Deduplicate
from cleaner.document import Document
from cleaner.settings import Settings

BOILERPLATE = "follow us on social media for more stories like this one every day"


def rss_mb() -> float:
    """Current resident memory of this process in MB (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 1e6


def generate(count: int, dup_share: float, seed: int) -> tuple[Iterator[Document], np.ndarray]:
    """The documents (as a stream) and, per document, the index of the original it copies (or itself)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocabulary = ["".join(rng.choice(letters, size=rng.integers(3, 10))) for _ in range(50_000)]
    cumulative = np.cumsum(1.0 / np.arange(1, len(vocabulary) + 1))
    cumulative /= cumulative[-1]
    origin = np.arange(count)
    planted = rng.random(count) < dup_share
    planted[0] = False
    origin[planted] = (rng.random(planted.sum()) * np.flatnonzero(planted)).astype(np.int64)
    while not np.array_equal(origin[origin], origin):  # a copy of a copy is a copy of the first original
        origin = origin[origin]
    lengths = rng.integers(80, 121, size=count)
    edits = rng.random(count) < 0.5

    def stream() -> Iterator[Document]:
        words_of: dict[int, list[str]] = {}
        needed = set(origin[planted].tolist())
        pool: list[int] = []
        for i in range(count):
            if planted[i]:
                words = list(words_of[int(origin[i])])
                if edits[i]:
                    words[int(rng.integers(len(words)))] = vocabulary[int(rng.integers(len(vocabulary)))]
                else:
                    words += BOILERPLATE.split()
            else:
                if len(pool) < lengths[i]:  # draw Zipf-distributed words in bulk
                    pool = np.searchsorted(cumulative, rng.random(1_000_000)).tolist()
                words = [vocabulary[k] for k in pool[-int(lengths[i]):]]
                del pool[-int(lengths[i]):]
                if i in needed:
                    words_of[i] = words
            yield Document(id=f"doc{i:08d}", source="synthetic", text=" ".join(words))

    return stream(), origin


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = Settings()
    stage = Deduplicate(settings)
    docs, origin = generate(args.docs, args.dup_share, args.seed)
    before = rss_mb()
    start = time.perf_counter()
    cluster_of = np.empty(args.docs, dtype=np.int64)
    dropped = 0
    for doc in stage.run(docs):
        cluster_of[int(doc.id[3:])] = int(doc.cluster_id[3:])
        dropped += doc.dropped == "duplicate"
    seconds = time.perf_counter() - start
    planted = np.flatnonzero(origin != np.arange(args.docs))
    recovered = np.count_nonzero(cluster_of[planted] == cluster_of[origin[planted]])
    # Wrong merges: documents whose cluster holds a document of another origin group.
    first_origin = {}
    wrong = 0
    for i in np.argsort(cluster_of, kind="stable").tolist():
        group = first_origin.setdefault(int(cluster_of[i]), int(origin[i]))
        wrong += group != int(origin[i])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"documents: {args.docs:,}, planted near-duplicates: {len(planted):,} "
          f"(half one word replaced, half a boilerplate sentence appended)")
    print(f"settings: word {settings.shingle_size}-grams, {settings.num_perm} permutations, "
          f"{settings.dedup_bands} bands x {settings.dedup_rows} rows")
    print(f"recovered planted pairs: {recovered:,} / {len(planted):,} ({recovered / max(len(planted), 1):.4%})")
    print(f"dropped as duplicates: {dropped:,}; documents merged into a cluster of another origin: {wrong:,}")
    print(f"time: {seconds:.1f} s ({args.docs / seconds:,.0f} docs/s, generation included)")
    print(f"peak memory: {peak:,.0f} MB max RSS; RSS before the run {before:,.0f} MB; "
          f"growth per document: {(peak - before) * 1e6 / args.docs:,.0f} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
