"""Stage 6, dedup: exact and near-duplicate documents across the run, with `datasketch`.

Documents are spilled to a temporary file as they stream by, so memory holds only one
MinHash signature per document. Exact duplicates share a hash of their normalised text;
near-duplicates are candidate pairs from MinHash LSH whose estimated Jaccard similarity
reaches the threshold. Pairs join clusters by union-find, and each cluster keeps one
representative chosen without regard to input order: the longest text, ties by id.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from collections.abc import Iterable, Iterator

import xxhash
from datasketch import LeanMinHash, MinHash, MinHashLSH

from .document import Document
from .settings import Settings
from .stage import Stage

_NOT_WORD = re.compile(r"[\W\d_]+")


def normalise(text: str) -> list[str]:
    """Lower-cased words with punctuation and digits folded away."""
    return _NOT_WORD.sub(" ", text.lower()).split()


def shingles(words: list[str], size: int) -> list[bytes]:
    if len(words) <= size:
        return [" ".join(words).encode()]
    return [" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)]


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class Deduplicate(Stage):
    """Marks every kept document with its cluster; drops all but one document of each cluster."""

    name = "dedup"

    def __init__(self, settings: Settings) -> None:
        self.threshold = settings.dedup_threshold
        self.action = settings.dedup_action
        self.num_perm = settings.num_perm
        self.size = settings.shingle_size

    def signature(self, words: list[str]) -> LeanMinHash:
        sketch = MinHash(num_perm=self.num_perm, seed=1)
        sketch.update_batch(shingles(words, self.size))
        return LeanMinHash(sketch)

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        with tempfile.TemporaryFile(prefix="cleaner-dedup-") as spill:
            ids: list[str] = []
            lengths: list[int] = []
            signatures: list[LeanMinHash] = []
            keys: list[int] = []
            positions: dict[int, int] = {}  # spill order -> entry index
            order = 0
            for doc in docs:
                pickle.dump(doc, spill, protocol=pickle.HIGHEST_PROTOCOL)
                if doc.dropped is None:
                    words = normalise(doc.text)
                    positions[order] = len(ids)
                    ids.append(doc.id)
                    lengths.append(len(doc.text))
                    signatures.append(self.signature(words))
                    keys.append(xxhash.xxh3_64_intdigest(" ".join(words).encode()))
                order += 1
            clusters = self._clusters(ids, lengths, signatures, keys)
            spill.seek(0)
            for position in range(order):
                doc = pickle.load(spill)
                entry = positions.get(position)
                if entry is not None:
                    rep, size = clusters[entry]
                    doc.cluster_id, doc.cluster_size = ids[rep], size
                    if rep != entry:
                        doc.duplicate_of = ids[rep]
                        doc.similarity = round(signatures[entry].jaccard(signatures[rep]), 4)
                        if self.action == "drop":
                            doc.drop("duplicate")
                yield doc

    def _clusters(self, ids: list[str], lengths: list[int],
                  signatures: list[LeanMinHash], keys: list[int]) -> list[tuple[int, int]]:
        """For each entry: (its cluster's representative entry, the cluster's size)."""
        uf = UnionFind(len(ids))
        first_with_key: dict[int, int] = {}
        lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        for i, (sig, key) in enumerate(zip(signatures, keys, strict=True)):
            if key in first_with_key:
                uf.union(i, first_with_key[key])
                continue
            first_with_key[key] = i
            for other in lsh.query(sig):
                if sig.jaccard(signatures[other]) >= self.threshold:
                    uf.union(i, other)
            lsh.insert(i, sig)
        members: dict[int, list[int]] = {}
        for i in range(len(ids)):
            members.setdefault(uf.find(i), []).append(i)
        result: list[tuple[int, int]] = [(i, 1) for i in range(len(ids))]
        for group in members.values():
            rep = min(group, key=lambda i: (-lengths[i], ids[i]))
            for i in group:
                result[i] = (rep, len(group))
        return result
