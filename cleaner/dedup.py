"""Stage 6, dedup: exact and near-duplicate documents across the run (and across runs with an index).

Documents are spilled to a temporary file as they stream by; memory holds per document only its
MinHash signature (`num_perm` x 4 bytes), a few numbers and its id. Signatures are computed in
batches by `cleaner.minhash.Signer` (datasketch-compatible values).

Candidates come from LSH banding: the signature is cut into `bands` bands of `rows` values, and two
documents whose band is equal in at least one band are a candidate pair. For two documents of
Jaccard similarity J the chance of becoming candidates is

    P(J) = 1 - (1 - J**rows) ** bands

so a false negative (a near-duplicate never compared) has probability (1 - J**rows) ** bands, and
a dissimilar pair is compared in vain with probability P(J). Each candidate pair is then verified:
it is a duplicate when the estimated Jaccard similarity reaches `threshold`, or when the smaller
document is contained in the larger (estimated |A & B| / |A|, from the Jaccard estimate and the
exact shingle-set sizes) at least `containment`: an article and the same article with a paragraph
of boilerplate more still match. Verified pairs join clusters (connected components); exact
duplicates (same word sequence) join without LSH. Each cluster keeps one representative chosen
without regard to input order or batching: the longest clean text, counted without white space (so a
copy padded with spaces or tabs is not longer), ties by id.

With an index (`--index PATH`), the signatures and LSH bands of the kept documents are saved,
and the next run drops documents that duplicate anything indexed, reading only the index.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xxhash

from .document import Document
from .minhash import SCHEME, Signer, _fmix64
from .settings import Settings
from .stage import DocumentStage, Stage

INDEX_FORMAT = 1
_BATCH_DOCS = 256  # documents signed together
_BATCH_CHARS = 1_000_000  # ... or fewer when they are long (the word-hash tables take 16 bytes a character)
_BLOCK_ROWS = 1 << 16  # signature storage grows by blocks, never by copying everything
_WINDOW = 32  # in an LSH bucket, each member is compared with up to this many members before it
_VERIFY_CHUNK = 1 << 15  # pairs verified per numpy step


def weight(text: str) -> int:
    """How long a text counts as when a cluster picks the copy it keeps: its characters other than white space.

    Copies of one text that differ in spacing alone (runs of spaces, tabs, padded lines) are equally long,
    so the tie goes by id instead of to the copy with the most padding.
    """
    return len("".join(text.split()))


@dataclass(frozen=True)
class DedupParams:
    """What decides duplicates; an index records it and refuses a run with other values."""

    shingle_size: int
    num_perm: int
    bands: int
    rows: int
    threshold: float
    containment: float
    seed: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> DedupParams:
        """The parameters of `settings`, which `Settings.validate` checks (bands x rows <= num_perm, ...)."""
        settings.validate()
        return cls(settings.shingle_size, settings.num_perm, settings.dedup_bands, settings.dedup_rows,
                   settings.dedup_threshold, settings.dedup_containment)

    def sketch(self) -> dict[str, int | str]:
        """The parameters signatures and bands depend on (thresholds may change between runs)."""
        return {"shingle_size": self.shingle_size, "num_perm": self.num_perm, "bands": self.bands,
                "rows": self.rows, "seed": self.seed, "scheme": SCHEME}


def band_keys(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    """A 64-bit key per signature for one band: equal bands give equal keys."""
    key = np.full(len(signatures), band + 1, dtype=np.uint64)
    for column in range(band * rows, (band + 1) * rows):
        key *= np.uint64(0x9E3779B97F4A7C15)
        key += signatures[:, column].astype(np.uint64)
        _fmix64(key)
    return key


def bucket_pairs(keys: np.ndarray, rank: np.ndarray, window: int = _WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of entries that share a key, each member paired with up to `window` members before it.

    Members of a bucket are ordered by `rank` (an order that does not depend on input order), so
    the pairs do not either; buckets of up to `window` + 1 members give all their pairs.
    """
    order = np.lexsort((rank, keys))
    sorted_keys = keys[order]
    left, right = [], []
    for distance in range(1, min(window, len(keys) - 1) + 1):
        same = sorted_keys[:-distance] == sorted_keys[distance:]
        if not same.any():
            break
        left.append(order[:-distance][same])
        right.append(order[distance:][same])
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(left), np.concatenate(right)


def similarities(a: np.ndarray, b: np.ndarray, size_a: np.ndarray,
                 size_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimated Jaccard similarity and containment of the smaller set in the larger, per row pair."""
    jaccard = np.count_nonzero(a == b, axis=1) / a.shape[1]
    smaller = np.maximum(np.minimum(size_a, size_b), 1)
    containment = np.minimum(jaccard / (1 + jaccard) * (size_a + size_b) / smaller, 1.0)
    return jaccard, containment


def components(count: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components of `count` nodes: each node's label is the smallest node of its component."""
    labels = np.arange(count, dtype=np.int64)
    while len(left):
        low = np.minimum(labels[left], labels[right])
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        while True:  # pointer jumping: every label points at its component's current root
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels[left], labels[right]):
            break
    return labels


class Signatures:
    """A growing uint32 matrix stored in fixed blocks, so growing never copies what is stored."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.blocks: list[np.ndarray] = []
        self.count = 0

    def extend(self, rows: np.ndarray) -> None:
        while len(rows):
            if self.count == len(self.blocks) * _BLOCK_ROWS:
                self.blocks.append(np.empty((_BLOCK_ROWS, self.width), dtype=np.uint32))
            at = self.count % _BLOCK_ROWS
            take = min(len(rows), _BLOCK_ROWS - at)
            self.blocks[-1][at:at + take] = rows[:take]
            rows = rows[take:]
            self.count += take

    def take(self, index: np.ndarray) -> np.ndarray:
        out = np.empty((len(index), self.width), dtype=np.uint32)
        block = index // _BLOCK_ROWS
        for b in np.unique(block):
            mine = block == b
            out[mine] = self.blocks[b][index[mine] % _BLOCK_ROWS]
        return out

    def band_keys(self, band: int, rows: int) -> np.ndarray:
        parts = [band_keys(block, band, rows) for block in self.blocks]
        return np.concatenate(parts)[:self.count] if parts else np.empty(0, np.uint64)

    def nbytes(self) -> int:
        return sum(block.nbytes for block in self.blocks)


class Ids:
    """Document ids as one UTF-8 buffer and offsets: about len(id) + 8 bytes each."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.offsets = array("q", [0])
        self.hashes = array("Q")  # xxh3 of each id: a canonical order that costs 8 bytes

    def append(self, value: str) -> None:
        encoded = value.encode()
        self.buffer += encoded
        self.offsets.append(len(self.buffer))
        self.hashes.append(xxhash.xxh3_64_intdigest(encoded))

    def __getitem__(self, i: int) -> str:
        return self.buffer[self.offsets[i]:self.offsets[i + 1]].decode()

    def __len__(self) -> int:
        return len(self.offsets) - 1


class Entries:
    """What dedup keeps in memory for the documents of a run, in arrival order."""

    def __init__(self, num_perm: int) -> None:
        self.ids = Ids()
        self.signatures = Signatures(num_perm)
        self.lengths = array("q")  # characters of the text, as the index stores them
        self.weights = array("q")  # characters other than white space: what picks a cluster's kept copy
        self.sizes: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.ids)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lengths, shingle-set sizes and exact keys as arrays."""
        sizes = np.concatenate(self.sizes) if self.sizes else np.empty(0, np.int64)
        keys = np.concatenate(self.keys) if self.keys else np.empty(0, np.uint64)
        return np.array(self.lengths, dtype=np.int64), sizes, keys

    def weight_array(self) -> np.ndarray:
        """`weight` of every entry's text."""
        return np.array(self.weights, dtype=np.int64)


class Index:
    """Signatures, sizes, lengths, ids and sorted LSH bands of the documents kept by earlier runs.

    Files in a folder, memory-mapped, so a run reads only the pages its queries touch. Each `add` writes a new
    generation of the files beside the old one, then names it in `meta.json`, replaced in one step: a run killed
    while adding leaves the index as it was, never files of two generations together (the files of an index
    written before generations existed have none in their name).
    """

    def __init__(self, path: Path, params: DedupParams) -> None:
        self.path = path
        self.params = params
        self.count = 0
        self.generation: int | None = None
        meta_path = path / "meta.json"
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (ValueError, OSError) as err:  # JSON's error alone names neither the index nor the file
                raise ValueError(f"dedup index {path}: its meta.json is damaged ({err})") from None
            if not isinstance(meta, dict):
                raise ValueError(f"dedup index {path}: its meta.json is damaged (not a JSON object)")
            if meta.get("format") != INDEX_FORMAT or meta.get("params") != params.sketch():
                raise ValueError(f"dedup index {path} was built with {meta.get('params')}, "
                                 f"this run uses {params.sketch()}")
            self.count = int(meta["count"])
            self.generation = meta.get("generation")

    def _file(self, name: str, generation: int | None = None) -> Path:
        """The file `name` ("signatures.npy") of a generation (default: the current one)."""
        generation = self.generation if generation is None else generation
        stem, suffix = name.split(".")
        return self.path / (name if generation is None else f"{stem}.{generation}.{suffix}")

    def _load(self, name: str) -> np.ndarray:
        return np.load(self._file(f"{name}.npy"), mmap_mode="r")

    def id(self, i: int) -> str:
        offsets = self._load("id_offsets")
        with open(self._file("ids.bin"), "rb") as fh:
            fh.seek(int(offsets[i]))
            return fh.read(int(offsets[i + 1] - offsets[i])).decode()

    def candidates(self, band: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query row, indexed document) pairs sharing band `band`, up to `_WINDOW` per query."""
        if self.count == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        sorted_keys, order = self._load("band_keys")[band], self._load("band_order")[band]
        low = np.searchsorted(sorted_keys, keys, "left")
        high = np.minimum(np.searchsorted(sorted_keys, keys, "right"), low + _WINDOW)
        counts = high - low
        query = np.repeat(np.arange(len(keys)), counts)
        starts = np.repeat(low - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        return query, np.asarray(order[starts + np.arange(len(query))], dtype=np.int64)

    def rows(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Signatures, sizes and lengths of indexed documents."""
        return (np.asarray(self._load("signatures")[index]), np.asarray(self._load("sizes")[index]),
                np.asarray(self._load("lengths")[index]))

    def add(self, ids: list[str], signatures: np.ndarray, sizes: np.ndarray, lengths: np.ndarray) -> None:
        """Append documents: write the next generation of the files, name it in `meta.json`, remove the old one."""
        self.path.mkdir(parents=True, exist_ok=True)
        old = self.count > 0
        encoded = [i.encode() for i in ids]
        new_offsets = np.cumsum([0] + [len(e) for e in encoded], dtype=np.int64)
        if old:
            old_offsets = self._load("id_offsets")
            new_offsets = np.concatenate((old_offsets, old_offsets[-1] + new_offsets[1:]))
            signatures = np.concatenate((self._load("signatures"), signatures))
            sizes = np.concatenate((self._load("sizes"), sizes))
            lengths = np.concatenate((self._load("lengths"), lengths))
        keys = np.empty((self.params.bands, len(signatures)), dtype=np.uint64)
        order = np.empty((self.params.bands, len(signatures)), dtype=np.int64)
        for band in range(self.params.bands):
            unsorted = band_keys(signatures, band, self.params.rows)
            order[band] = np.argsort(unsorted, kind="stable")
            keys[band] = unsorted[order[band]]
        generation = (self.generation or 0) + 1
        if old:
            shutil.copyfile(self._file("ids.bin"), self._file("ids.bin", generation))
        with open(self._file("ids.bin", generation), "ab" if old else "wb") as fh:
            fh.write(b"".join(encoded))
        arrays = {"signatures": signatures, "sizes": sizes, "lengths": lengths, "id_offsets": new_offsets,
                  "band_keys": keys, "band_order": order}
        for name, values in arrays.items():
            with open(self._file(f"{name}.npy", generation), "wb") as fh:
                np.save(fh, np.ascontiguousarray(values))
        meta = {"format": INDEX_FORMAT, "params": self.params.sketch(), "count": len(signatures),
                "generation": generation}
        (self.path / "meta.json.tmp").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        os.replace(self.path / "meta.json.tmp", self.path / "meta.json")  # the new generation is the index now
        self.count, self.generation = len(signatures), generation
        current = {self._file(name).name for name in ["ids.bin", *(f"{name}.npy" for name in arrays)]}
        for path in [*self.path.glob("*.npy"), *self.path.glob("*.bin")]:
            if path.name not in current:  # the last generation, or one a killed run left half written
                path.unlink()


@dataclass
class Verified:
    """Duplicate pairs: `strong` by Jaccard similarity, `weak` only by containment."""

    left: np.ndarray
    right: np.ndarray
    containment: np.ndarray
    strong: np.ndarray
    weak: np.ndarray

    @classmethod
    def concatenate(cls, parts: list[Verified]) -> Verified:
        if not parts:
            empty = np.empty(0, np.int64)
            return cls(empty, empty, np.empty(0), np.empty(0, bool), np.empty(0, bool))
        return cls(*(np.concatenate([getattr(p, name) for p in parts])
                     for name in ("left", "right", "containment", "strong", "weak")))


def _attach(labels: np.ndarray, left: np.ndarray, right: np.ndarray, containment: np.ndarray,
            key: np.ndarray, size: np.ndarray, copies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The containment-only pairs that may join clusters, chosen so that no join bridges two clusters.

    In a pair, the document with fewer shingles (`size`, then `key`) is the contained one. A
    contained cluster and a container cluster may join when either is a single document, or when
    at least two documents on each side take part in containment pairs between them (a document
    counts with its exact `copies`, which skip LSH). Of those
    links, each container cluster keeps only its best contained cluster, and a document alone its
    best partner (best: most documents taking part, then highest containment, then first in `key`
    order). So two articles found in one page dump, or two pages of a site whose dumps share the
    site's menus and differ only by their articles, are not joined through that dump.
    """
    members = np.bincount(labels)
    support: dict[tuple[int, int], tuple[set[int], set[int]]] = {}  # (contained, container) clusters
    best: dict[tuple[int, int], tuple[float, int, int, int, int]] = {}  # -share, keys, documents
    for a, b, share in zip(left.tolist(), right.tolist(), containment.tolist(), strict=True):
        inner, outer = (a, b) if (size[a], key[a]) <= (size[b], key[b]) else (b, a)
        link = int(labels[inner]), int(labels[outer])
        if link[0] == link[1]:
            continue
        inside, around = support.setdefault(link, (set(), set()))
        inside.add(inner)
        around.add(outer)
        best[link] = min(best.get(link, (1.0,)), (-share, int(key[inner]), int(key[outer]), inner, outer))
    chosen: dict[int, tuple] = {}  # cluster -> (score, link) of its best link
    deciders: dict[tuple[int, int], set[int]] = {}
    for link, (inside, around) in support.items():
        taking_part = min(int(copies[list(inside)].sum()), int(copies[list(around)].sum()))
        if taking_part < 2 and members[link[0]] > 1 and members[link[1]] > 1:
            continue
        deciders[link] = {link[1]} | {cluster for cluster in link if members[cluster] == 1}
        score = (-taking_part, *best[link][:3])
        for cluster in deciders[link]:
            if cluster not in chosen or score < chosen[cluster][0]:
                chosen[cluster] = (score, link)
    joined = [best[link][3:] for link, clusters in sorted(deciders.items())
              if all(chosen[cluster][1] == link for cluster in clusters)]
    if not joined:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pairs = np.asarray(joined, dtype=np.int64)
    return pairs[:, 0], pairs[:, 1]


@dataclass
class Clusters:
    """The outcome for every entry of a run."""

    representative: np.ndarray  # entry index of the kept member; -1 - k for indexed document k
    size: np.ndarray  # documents in the cluster (indexed ones included, a document and its indexed copy once)
    indexed: np.ndarray  # whether the entry's own id and text are in the index already (a run repeated)


class SignForDedup(DocumentStage):
    """Computes a document's MinHash signature beside the other per-document stages.

    Signing is the costly part of deduplication and needs only the document itself, so it runs
    where the per-document stages run: in the worker processes (`--workers`) or on Ray
    (`--engine ray`), before corpus boilerplate, which clears the signature of the few documents
    it changes. `Deduplicate` then signs only those, and groups, verifies and clusters.
    """

    name = "dedup-sign"

    def __init__(self, settings: Settings) -> None:
        params = DedupParams.from_settings(settings)
        self.signer = Signer(params.num_perm, params.shingle_size, params.seed)

    def process(self, doc: Document) -> None:
        signed = self.signer.sign([doc.text])
        doc.signature = (signed.signatures[0], int(signed.sizes[0]), int(signed.keys[0]))


class Deduplicate(Stage):
    """Marks every kept document with its cluster; drops all but one document of each cluster."""

    name = "dedup"

    def __init__(self, settings: Settings) -> None:
        self.params = DedupParams.from_settings(settings)
        self.signer = Signer(self.params.num_perm, self.params.shingle_size, self.params.seed)
        self.index = Index(settings.dedup_index, self.params) if settings.dedup_index else None
        self._sizes = np.empty(0, np.int64)  # shingle-set sizes of the current run's entries
        self.action = settings.dedup_action
        # `cleaner clean` saves the index once its outputs are complete: a run stopped before then and resumed
        # would otherwise find its own documents indexed, and drop them all as duplicates of themselves.
        self.hold_index = False
        self._unsaved: tuple[list[str], np.ndarray, np.ndarray, np.ndarray] | None = None

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        entries = Entries(self.params.num_perm)
        with tempfile.TemporaryFile(prefix="cleaner-dedup-") as spill:
            entry_of = array("q")  # spill position -> entry index, -1 for documents already dropped
            batch: list[Document] = []
            chars = 0
            for doc in docs:
                batch.append(doc)
                chars += len(doc.text)
                if len(batch) >= _BATCH_DOCS or chars >= _BATCH_CHARS:
                    self._spill(batch, spill, entries, entry_of)
                    batch, chars = [], 0
            self._spill(batch, spill, entries, entry_of)
            clusters = self.cluster(entries)
            spill.seek(0)
            kept: list[int] = []
            for entry in entry_of:
                doc = pickle.load(spill)
                if entry >= 0:
                    self._mark(doc, entry, entries, clusters)
                    if doc.dropped is None and not doc.already_indexed:  # flagged, not added twice
                        kept.append(entry)
                yield doc
        if self.index is not None and kept:
            rows = np.asarray(kept, dtype=np.int64)
            lengths, sizes, _ = entries.arrays()
            self._unsaved = ([entries.ids[i] for i in kept], entries.signatures.take(rows), sizes[rows], lengths[rows])
            if not self.hold_index:
                self.save_index()

    def save_index(self) -> None:
        """Add the documents the last run kept to the index (`hold_index`: the caller says when)."""
        if self.index is not None and self._unsaved is not None:
            self.index.add(*self._unsaved)
            self._unsaved = None

    def _spill(self, batch: list[Document], spill, entries: Entries, entry_of: array) -> None:
        live = [doc for doc in batch if doc.dropped is None]
        unsigned = [doc for doc in live if doc.signature is None]  # changed after `SignForDedup`, or not signed
        if unsigned:
            signed = self.signer.sign([doc.text for doc in unsigned])
            for doc, signature, size, key in zip(unsigned, signed.signatures, signed.sizes, signed.keys, strict=True):
                doc.signature = (signature, int(size), int(key))
        if live:
            entries.signatures.extend(np.stack([doc.signature[0] for doc in live]))
            entries.sizes.append(np.array([doc.signature[1] for doc in live], dtype=np.int64))
            entries.keys.append(np.array([doc.signature[2] for doc in live], dtype=np.uint64))
        for doc in batch:
            doc.signature = None
            pickle.dump(doc, spill, protocol=pickle.HIGHEST_PROTOCOL)
            if doc.dropped is None:
                entry_of.append(len(entries))
                entries.ids.append(doc.id)
                entries.lengths.append(len(doc.text))
                entries.weights.append(weight(doc.text))
            else:
                entry_of.append(-1)

    def _mark(self, doc: Document, entry: int, entries: Entries, clusters: Clusters) -> None:
        rep, size = int(clusters.representative[entry]), int(clusters.size[entry])
        if rep == entry:
            doc.cluster_id, doc.cluster_size = doc.id, size
            return
        if rep < 0:
            assert self.index is not None
            rep_id = self.index.id(-1 - rep)
            rep_sig, rep_size, _ = self.index.rows(np.array([-1 - rep]))
        else:
            rep_id = entries.ids[rep]
            rep_sig, rep_size = entries.signatures.take(np.array([rep])), self._sizes[[rep]]
        jaccard, containment = similarities(entries.signatures.take(np.array([entry])), rep_sig,
                                            self._sizes[[entry]], rep_size)
        doc.cluster_id, doc.cluster_size, doc.duplicate_of = rep_id, size, rep_id
        doc.similarity = round(float(max(jaccard[0], containment[0])), 4)
        doc.already_indexed = bool(clusters.indexed[entry])
        if self.action == "drop":
            doc.drop("duplicate")

    def cluster(self, entries: Entries) -> Clusters:
        """Representative and cluster size of every entry: exact keys, LSH, verification, components."""
        count = len(entries)
        _, sizes, keys = entries.arrays()
        lengths = entries.weight_array()
        self._sizes = sizes
        id_hash = np.frombuffer(entries.ids.hashes, dtype=np.uint64) if count else np.empty(0, np.uint64)
        rank = np.lexsort((id_hash, -lengths))  # a canonical order: longest first (white space aside), then by id hash
        position = np.empty(count, dtype=np.int64)
        position[rank] = np.arange(count)
        # Exact duplicates: every member joins the first of its key in canonical order.
        words = sizes > 0
        by_key = np.lexsort((position, keys))
        by_key = by_key[words[by_key]]
        head = np.ones(len(by_key), dtype=bool)
        head[1:] = keys[by_key][1:] != keys[by_key][:-1]
        group_head = by_key[head][np.cumsum(head) - 1]
        left, right = [by_key[~head]], [group_head[~head]]
        heads = np.sort(by_key[head])
        # Near duplicates among the heads, then against the index.
        found = [self._lsh_pairs(entries, heads, position[heads]), self._index_pairs(entries, heads)]
        old_nodes, old_local = np.unique(found[1].right, return_inverse=True)
        found[1].right = count + old_local
        nodes = count + len(old_nodes)
        node_key = np.concatenate((position, count + np.arange(len(old_nodes))))
        old_sizes = [self.index.rows(old_nodes)[1]] if self.index is not None and len(old_nodes) else []
        node_size = np.concatenate((sizes, *old_sizes))
        copies = np.maximum(np.bincount(group_head, minlength=nodes), 1)
        strong = [found[0].strong, found[1].strong]
        weak = [found[0].weak, found[1].weak]
        left.extend(pairs.left[mask] for pairs, mask in zip(found, strong, strict=True))
        right.extend(pairs.right[mask] for pairs, mask in zip(found, strong, strict=True))
        labels = components(nodes, np.concatenate(left), np.concatenate(right))
        joined_left, joined_right = _attach(
            labels, np.concatenate([p.left[m] for p, m in zip(found, weak, strict=True)]),
            np.concatenate([p.right[m] for p, m in zip(found, weak, strict=True)]),
            np.concatenate([p.containment[m] for p, m in zip(found, weak, strict=True)]), node_key,
            node_size, copies)
        labels = components(nodes, np.concatenate([*left, joined_left]), np.concatenate([*right, joined_right]))
        return self._representatives(entries, labels, lengths, old_nodes)

    def _lsh_pairs(self, entries: Entries, members: np.ndarray, rank: np.ndarray) -> Verified:
        """Verified duplicate pairs among `members` (entry indices) found by LSH banding."""
        unique = np.empty(0, np.int64)
        for band in range(self.params.bands):
            keys = entries.signatures.band_keys(band, self.params.rows)[members]
            a, b = bucket_pairs(keys, rank)
            # made unique band by band: a near-duplicate pair turns up in most bands
            unique = np.union1d(unique, (np.minimum(members[a], members[b]) << 32) | np.maximum(members[a], members[b]))
        left, right = unique >> 32, unique & 0xFFFFFFFF
        parts = [self._verify(left[start:start + _VERIFY_CHUNK], right[start:start + _VERIFY_CHUNK],
                              entries.signatures.take(left[start:start + _VERIFY_CHUNK]),
                              entries.signatures.take(right[start:start + _VERIFY_CHUNK]),
                              self._sizes[right[start:start + _VERIFY_CHUNK]])
                 for start in range(0, len(unique), _VERIFY_CHUNK)]
        return Verified.concatenate(parts)

    def _index_pairs(self, entries: Entries, members: np.ndarray) -> Verified:
        """Verified (entry, indexed document) duplicate pairs, looked up a block of entries at a time."""
        parts = []
        if self.index is not None and self.index.count > 0:
            for start in range(0, len(members), _BLOCK_ROWS):
                block = members[start:start + _BLOCK_ROWS]
                signatures = entries.signatures.take(block)
                found = [self.index.candidates(band, band_keys(signatures, band, self.params.rows))
                         for band in range(self.params.bands)]
                pairs = np.unique(np.concatenate([(query << 40) | old for query, old in found]))
                query, old = pairs >> 40, pairs & ((1 << 40) - 1)
                old_signatures, old_sizes, _ = self.index.rows(old)
                parts.append(self._verify(block[query], old, signatures[query], old_signatures, old_sizes))
        return Verified.concatenate(parts)

    def _verify(self, left: np.ndarray, right: np.ndarray, a: np.ndarray, b: np.ndarray,
                size_b: np.ndarray) -> Verified:
        """The pairs that are duplicates, by Jaccard similarity (strong) or only by containment (weak)."""
        jaccard, containment = similarities(a, b, self._sizes[left], size_b)
        strong = jaccard >= self.params.threshold
        weak = ~strong & (containment >= self.params.containment)
        keep = strong | weak
        return Verified(left[keep], right[keep], containment[keep], strong[keep], weak[keep])

    def _representatives(self, entries: Entries, labels: np.ndarray, lengths: np.ndarray,
                         old_nodes: np.ndarray) -> Clusters:
        """The kept member of each cluster: an indexed document if any, else the longest (`weight`), ties by id.

        A document of this run whose own copy is indexed (a run repeated into its index) is one document, not
        two: the copy does not count in the cluster's size.
        """
        count = len(entries)
        sizes = np.bincount(labels, minlength=len(labels))
        representative = np.arange(count, dtype=np.int64)
        indexed = np.zeros(count, dtype=bool)
        grouped = np.flatnonzero(sizes[labels] > 1)
        members: dict[int, list[int]] = {}
        for node in grouped.tolist():
            members.setdefault(int(labels[node]), []).append(node)
        for label, group in members.items():
            old = [int(old_nodes[node - count]) for node in group if node >= count]
            if old:
                assert self.index is not None
                old_ids = [self.index.id(k) for k in old]
                old_lengths = self.index.rows(np.asarray(old))[2]
                best = min(range(len(old)), key=lambda k: (-int(old_lengths[k]), old_ids[k]))
                rep = -1 - old[best]
                copies = self._indexed_copies(entries, [node for node in group if node < count],
                                              dict(zip(old_ids, old, strict=True)))
                indexed[copies] = True
                sizes[label] -= len(copies)
            else:
                rep = min(group, key=lambda n: (-int(lengths[n]), entries.ids[n]))
            for node in group:
                if node < count:
                    representative[node] = rep
        return Clusters(representative, sizes[labels[:count]], indexed)

    def _indexed_copies(self, entries: Entries, nodes: list[int], old: dict[str, int]) -> list[int]:
        """The entries among `nodes` whose indexed document of the same id (`old`: id -> index row) is the same
        document: the index holds no text, so "the same" is the same signature, shingle-set size and length."""
        assert self.index is not None
        pairs = [(node, old[entries.ids[node]]) for node in nodes if entries.ids[node] in old]
        if not pairs:
            return []
        mine = np.array([node for node, _ in pairs])
        lengths = np.asarray(entries.lengths, dtype=np.int64)  # as the index stores them: all characters
        signatures, sizes, their_lengths = self.index.rows(np.array([row for _, row in pairs]))
        same = ((signatures == entries.signatures.take(mine)).all(axis=1) & (sizes == self._sizes[mine])
                & (their_lengths == lengths[mine]))
        return mine[same].tolist()
