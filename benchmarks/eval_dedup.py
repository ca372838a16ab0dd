"""Near-duplicate detection on a labelled set: our defaults against a plain datasketch MinHashLSH baseline.

    python benchmarks/eval_dedup.py [--data ../shared/data/extraction/scrapinghub/outputs]

The labelled set: every extractor's output of one scrapinghub page is one cluster (the same article
with different amounts of junk); outputs under 200 characters are left out. Prints adjusted Rand
index and pairwise precision and recall of the clusters, documents and MB per second of signature
computation, and peak memory. Needs scikit-learn (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH
from sklearn.metrics import adjusted_rand_score

from cleaner import dedup
from cleaner.dedup import Deduplicate, components
from cleaner.document import Document
from cleaner.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "extraction" / "scrapinghub" / "outputs"
MIN_CHARS = 200


def labelled_set(folder: Path) -> list[tuple[str, str, str]]:
    """(document id, page key, text) for every extractor output of at least MIN_CHARS characters."""
    docs = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        outputs = data["output"] if isinstance(data.get("output"), dict) else data
        for key, value in sorted(outputs.items()):
            text = (value or {}).get("articleBody") or ""
            if len(text) >= MIN_CHARS:
                docs.append((f"{path.stem}/{key}", key, text))
    return docs


def pairwise(labels: list[str], predicted: list[str]) -> tuple[float, float]:
    """Precision and recall over pairs of documents put in one cluster."""
    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())
    both = pairs(Counter(zip(labels, predicted, strict=True)))
    return both / max(pairs(Counter(predicted)), 1), both / max(pairs(Counter(labels)), 1)


def baseline_signature(text: str) -> MinHash:
    """Plain datasketch: word 5-grams of whitespace tokens, 128 permutations, SHA-1 per shingle."""
    words = text.split()
    sketch = MinHash(num_perm=128)
    sketch.update_batch([" ".join(words[i:i + 5]).encode() for i in range(max(len(words) - 4, 1))])
    return sketch


def signature_seconds(docs: list[tuple[str, str, str]], settings: Settings) -> tuple[float, float]:
    """Seconds to sign every document, ours and the baseline's, timed batch by batch in turn so that
    a change of load on the machine hits both alike."""
    signer = Deduplicate(settings).signer
    signer.sign(["warm up: numba loads its compiled code from its disk cache on the first call"])
    baseline_signature("warm up too")
    texts = [text for _, _, text in docs]
    mine = theirs = 0.0
    for i in range(0, len(texts), dedup._BATCH_DOCS):
        batch = texts[i:i + dedup._BATCH_DOCS]
        start = time.perf_counter()
        signer.sign(batch)
        mine += time.perf_counter() - start
        start = time.perf_counter()
        for text in batch:
            baseline_signature(text)
        theirs += time.perf_counter() - start
    return mine, theirs


def ours(docs: list[tuple[str, str, str]], settings: Settings) -> tuple[list[str], float]:
    """Cluster ids from the dedup stage with `settings`, and its seconds."""
    start = time.perf_counter()
    out = list(Deduplicate(settings).run(Document(id=doc_id, source=doc_id, text=text) for doc_id, _, text in docs))
    return [doc.cluster_id for doc in out], time.perf_counter() - start


def baseline(docs: list[tuple[str, str, str]]) -> tuple[list[str], float]:
    """Plain datasketch MinHashLSH, threshold 0.5: clusters are connected components of its candidates."""
    start = time.perf_counter()
    sketches = [baseline_signature(text) for _, _, text in docs]
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for i, sketch in enumerate(sketches):
        lsh.insert(i, sketch)
    left, right = [], []
    for i, sketch in enumerate(sketches):
        for j in lsh.query(sketch):
            left.append(i)
            right.append(j)
    labels = components(len(docs), np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64))
    return [docs[label][0] for label in labels.tolist()], time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of scrapinghub extractor outputs")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"SKIPPED: labelled data not found at {args.data} (needs ../shared/data)")
        return 0
    docs = labelled_set(args.data)
    labels = [key for _, key, _ in docs]
    megabytes = sum(len(text.encode()) for _, _, text in docs) / 1e6
    settings = Settings()
    print(f"labelled set: {len(docs)} documents, {len(set(labels))} clusters, {megabytes:.1f} MB")
    print(f"ours: word {settings.shingle_size}-grams, {settings.num_perm} permutations, {settings.dedup_bands} "
          f"bands x {settings.dedup_rows} rows, Jaccard >= {settings.dedup_threshold} or containment >= "
          f"{settings.dedup_containment}")
    compiled = Deduplicate(settings).signer.compiled
    print(f"ours signs with {'compiled loops (numba)' if compiled else 'numpy only (numba not installed)'}")
    signing = signature_seconds(docs, settings)
    rows = []
    methods = (("ours (defaults)", lambda: ours(docs, settings)), ("datasketch baseline", lambda: baseline(docs)))
    for (name, run), seconds in zip(methods, signing, strict=True):
        predicted, total = run()
        precision, recall = pairwise(labels, predicted)
        rows.append((name, adjusted_rand_score(labels, predicted), precision, recall, len(set(predicted)),
                     len(docs) / seconds, megabytes / seconds, total))
    print(f"{'method':<22}{'ARI':>8}{'prec':>8}{'recall':>8}{'clusters':>10}{'sig docs/s':>12}{'sig MB/s':>10}"
          f"{'run s':>8}")
    for name, ari, precision, recall, clusters, docs_s, mb_s, total in rows:
        print(f"{name:<22}{ari:>8.4f}{precision:>8.4f}{recall:>8.4f}{clusters:>10}{docs_s:>12.0f}{mb_s:>10.2f}"
              f"{total:>8.1f}")
    print(f"signature speed-up over the baseline (same batches, timed in turn): {signing[1] / signing[0]:.1f}x")
    print(f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
