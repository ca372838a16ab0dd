"""`cleaner clean --engine ray`: the stages as Ray Data steps over input shards; the writer on the driver.

Each input shard (see `read.plan_shards`) is one row of a Ray dataset, and each step maps or
shuffles those rows on the cluster:

1. Per-document stages: a pool of actors holding the compiled stages reads each shard's files and
   runs them (the same `process_batch` as the local engine). The shard's results stay in the object
   store, pickled, one row per shard.
2. Corpus boilerplate: each shard counts its line fingerprints (`boilerplate.line_keys`, stored by
   the per-document stage `FingerprintLines`); the driver adds the counts up (`boilerplate.LineCounter`,
   the same counter the local engine holds) and a second map removes the recurring lines with
   `RemoveBoilerplate.clean`, given only the fingerprints that recur.
3. Dedup entries in the same map: signed in step 1 (`SignForDedup` is a per-document stage; the
   documents boilerplate changed are signed again here), the shard's live documents give each
   an entry (id, length, shingle-set size, exact key, signature) keyed `shard << 32 | position`, so
   the key order is the local engine's arrival order.
4. Candidates: the band keys (`dedup.band_keys`) of every entry, grouped by a hash of (band, key) with
   Ray Data `groupby().map_groups`; in each bucket exact duplicates keep their head and give their
   edges, and `dedup.bucket_pairs` pairs the heads as the local engine does (same canonical rank, same
   window).
5. Verification: the candidate pairs meet the entries of their shards in two grouped shuffles (left
   side, then right side, grouped by shard number), and `Deduplicate._verify` keeps the
   duplicates. Exact duplicates have equal signatures, so they pass as Jaccard pairs.
6. Clusters on the driver, over the verified edges and their endpoints only: `dedup.components`,
   `dedup._attach` and `Deduplicate._representatives`, the local engine's code. Why not distributed:
   the containment joins of `_attach` look at whole clusters at once (a document alone joins the one
   cluster that contains it best), which label propagation does not give; and the edge list is
   small beside the corpus (duplicates only). Memory: about 50 bytes per edge and, per document in a
   cluster, its signature (`--num-perm` x 4 bytes), id and 40 bytes.
7. The driver reads the shards back in order, marks each clustered document with
   `Deduplicate._mark`, and writes. Rows come in shard order, so the output files are identical to
   the local engine's.

With a dedup index (`--index`), dedup runs on the driver as in the local engine (steps 4-6 are
not distributed), after the per-document stages and boilerplate ran on Ray. There are no
checkpoints on Ray (`--resume` is refused): Ray retries failed tasks itself.

Input paths must be readable from every Ray node (a shared file system) when `--address` names
a cluster; without an address a local Ray instance with `--workers` CPUs is started.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .boilerplate import LineCounter, RemoveBoilerplate, line_keys
from .dedup import Deduplicate, Entries, Ids, SignForDedup, _attach, band_keys, bucket_pairs, components, weight
from .document import Document
from .parallel import Result, process_batch
from .read import Shard
from .settings import Settings
from .stage import DocumentStage, Stage

if TYPE_CHECKING:
    from .pipeline import Pipeline

Table = dict[str, np.ndarray]  # columns of equal length: entries, pairs or edges
_ATTRIBUTES = ("sig", "size", "length", "id_hash", "id")  # what a pair side carries once joined


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _rows(parts: dict[int, Table]) -> dict[str, np.ndarray]:
    """Grouped output rows: one pickled table per partition number."""
    blobs = np.empty(len(parts), dtype=object)
    blobs[:] = [_dumps(table) for table in parts.values()]
    return {"part": np.fromiter(parts, dtype=np.int64, count=len(parts)), "blob": blobs}


def _split(table: Table, part: np.ndarray) -> dict[int, Table]:
    """`table`'s rows by partition number."""
    return {int(p): {name: column[part == p] for name, column in table.items()} for p in np.unique(part)}


def _concat(tables: list[Table]) -> Table:
    return {name: np.concatenate([t[name] for t in tables]) for name in tables[0]} if tables else {}


class _ShardWorker:
    """A Ray actor: the per-document stages, built once, applied to whole shards.

    With corpus boilerplate on, it also counts in how many of the shard's documents each line
    fingerprint occurs, for the driver to add up.
    """

    def __init__(self, stages: bytes, shards: bytes, text_field: str, max_bytes: int, count_lines: bool) -> None:
        self.stages: list[DocumentStage] = pickle.loads(stages)
        self.shards: list[Shard] = pickle.loads(shards)
        self.text_field = text_field
        self.max_bytes = max_bytes
        self.count_lines = count_lines

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"shard": [], "results": [], "seconds": [], "counts": []}
        for index in batch["shard"]:
            items = list(self.shards[int(index)].read(self.text_field, self.max_bytes))
            results, seconds = process_batch(self.stages, items)
            found: Counter[int] = Counter()
            if self.count_lines:
                for _, doc in _live(results):
                    found.update(set(line_keys(doc)))
            out["shard"].append(int(index))
            out["results"].append(_dumps(results))
            out["seconds"].append(_dumps(seconds))
            out["counts"].append(_dumps(found))
        return out


def _live(results: list[Result]) -> Iterator[tuple[int, Document]]:
    """The documents of a shard that are still kept, with their position in the shard."""
    for position, doc in enumerate(results):
        if isinstance(doc, Document) and doc.dropped is None:
            yield position, doc


class _CorpusPass:
    """A Ray actor: removes corpus boilerplate (the lines the whole corpus repeats) and signs for dedup."""

    def __init__(self, boilerplate: RemoveBoilerplate | None, recurring: set[int],
                 sign: SignForDedup | None) -> None:
        self.boilerplate = boilerplate
        self.recurring = recurring
        self.sign = sign

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"shard": [], "results": [], "errors": [], "seconds": [], "table": []}
        for shard, results, seconds in zip(batch["shard"], batch["results"], batch["seconds"], strict=True):
            timing = pickle.loads(seconds)
            docs: list[Result] = []
            errors: list[Result] = []
            for item in pickle.loads(results):  # a corpus-wide stage sends error records ahead of documents
                (docs if isinstance(item, Document) else errors).append(item)
            start = time.perf_counter()
            if self.boilerplate is not None:
                for _, doc in _live(docs):
                    self.boilerplate.clean(doc, self.recurring)
                timing[self.boilerplate.name] += time.perf_counter() - start
                start = time.perf_counter()
            table = self._entries(int(shard), docs) if self.sign is not None else {}
            if self.sign is not None:
                timing[self.sign.name] += time.perf_counter() - start
            out["shard"].append(int(shard))
            out["results"].append(_dumps(docs))
            out["errors"].append(_dumps(errors))
            out["seconds"].append(_dumps(timing))
            out["table"].append(_dumps(table))
        return out

    def _entries(self, shard: int, docs: list[Result]) -> Table:
        """The dedup entries of a shard's live documents, keyed `shard << 32 | position`."""
        assert self.sign is not None
        live = list(_live(docs))
        ids, signed = Ids(), []
        for _, doc in live:
            if doc.signature is None:  # changed by boilerplate after signing
                self.sign.process(doc)
            signed.append(doc.signature)
            doc.signature = None  # the entry keeps it; documents go on without it, as from `Deduplicate`
            ids.append(doc.id)
        table = {"entry": (shard << 32) + np.array([p for p, _ in live], dtype=np.int64),
                 "id": np.array([doc.id for _, doc in live], dtype=object),
                 "length": np.array([weight(doc.text) for _, doc in live], dtype=np.int64),
                 "id_hash": np.frombuffer(ids.hashes, dtype=np.uint64).copy(),
                 "size": np.array([size for _, size, _ in signed], dtype=np.int64),
                 "exact": np.array([key for _, _, key in signed], dtype=np.uint64),
                 "sig": np.array([signature for signature, _, _ in signed], dtype=np.uint32).reshape(
                     len(signed), self.sign.signer.num_perm)}
        return table


def _band_rows(batch: dict[str, Any], bands: int, rows: int, parts: int) -> dict[str, np.ndarray]:
    """Per shard: every entry with words once per band, by partition (a hash of band and band key)."""
    tables = []
    for blob in batch["table"]:
        table = pickle.loads(blob)
        words = table["size"] > 0
        for band in range(bands):
            tables.append({"band": np.full(int(words.sum()), band, dtype=np.int64),
                           "key": band_keys(table["sig"][words], band, rows),
                           **{name: table[name][words] for name in ("exact", "entry", "length", "id_hash")}})
    if not tables:
        return _rows({})
    found = _concat(tables)
    return _rows(_split(found, ((found["key"] ^ found["band"].astype(np.uint64)) % np.uint64(parts)).astype(np.int64)))


def _canonical_rank(table: Table) -> np.ndarray:
    """Each row's place in the local engine's canonical order: longest first, then id hash, then arrival."""
    order = np.lexsort((table["entry"], table["id_hash"], -table["length"]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _bucket_pairs(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Candidate pairs of the buckets of one partition, by the shard of their first entry.

    Exact duplicates have equal signatures, so each exact group sits whole in each of its buckets:
    the bucket keeps only its head (first in canonical order), and band 0 gives the edges from
    the other members to the head, as the local engine's exact-key step does.
    """
    rows = _concat([pickle.loads(blob) for blob in group["blob"]])
    left, right, copy = [], [], []  # copy: an edge from an exact copy to its group's head
    for band in np.unique(rows["band"]):
        mine = {name: column[rows["band"] == band] for name, column in rows.items()}
        rank = _canonical_rank(mine)
        order = np.lexsort((rank, mine["exact"], mine["key"]))
        head = np.ones(len(order), dtype=bool)
        head[1:] = (mine["key"][order][1:] != mine["key"][order][:-1]) | \
            (mine["exact"][order][1:] != mine["exact"][order][:-1])
        if band == 0:
            group_head = order[head][np.cumsum(head) - 1]
            left.append(mine["entry"][order[~head]])
            right.append(mine["entry"][group_head[~head]])
            copy.append(np.ones(int((~head).sum()), dtype=bool))
        heads = order[head]
        a, b = bucket_pairs(mine["key"][heads], rank[heads])
        left.append(mine["entry"][heads[a]])
        right.append(mine["entry"][heads[b]])
        copy.append(np.zeros(len(a), dtype=bool))
    if not left:
        return _rows({})
    first, second = np.concatenate(left), np.concatenate(right)
    pairs = {"left": np.minimum(first, second), "right": np.maximum(first, second), "copy": np.concatenate(copy)}
    return _rows(_split(pairs, pairs["left"] >> 32))


def _join_group(group: dict[str, np.ndarray], side: str, stage: Deduplicate) -> dict[str, np.ndarray]:
    """The pairs of one shard's entries (on `side`) with that side's attributes joined.

    After the left side, the pairs go on to the shards of their right side; after the right side,
    they are verified, and the duplicates come back as edges.
    """
    tables = [pickle.loads(blob) for blob in group["blob"]]
    entries = next(table for table in tables if "exact" in table)
    pairs = _concat([table for table in tables if "exact" not in table])
    if not pairs:
        return _rows({})
    if side == "left":
        unique, first = np.unique(np.stack((pairs["left"], pairs["right"]), axis=1), axis=0, return_index=True)
        pairs = {"left": unique[:, 0], "right": unique[:, 1], "copy": pairs["copy"][first]}
    at = np.searchsorted(entries["entry"], pairs[side])
    pairs.update({f"{side}_{name}": entries[name][at] for name in _ATTRIBUTES})
    if side == "left":
        return _rows(_split(pairs, pairs["right"] >> 32))
    rows = np.arange(len(at))
    stage._sizes = pairs["left_size"]  # `_verify` reads the left sizes by row
    found = stage._verify(rows, rows, pairs["left_sig"], pairs["right_sig"], pairs["right_size"])
    edges = {"left": pairs["left"][found.left], "right": pairs["right"][found.left], "copy": pairs["copy"][found.left],
             "containment": found.containment, "strong": found.strong, "weak": found.weak}
    ends = {name: np.concatenate([pairs[f"{side}_{name}"][found.left] for side in ("left", "right")])
            for name in _ATTRIBUTES}
    return _rows({0: edges, 1: _unique_nodes({"entry": np.concatenate((edges["left"], edges["right"])), **ends})})


def _unique_nodes(nodes: Table) -> Table:
    """One row per entry, in entry order."""
    _, first = np.unique(nodes["entry"], return_index=True)
    return {name: column[first] for name, column in nodes.items()}


def _grouped(dataset: Any, parts: int, fn: Callable[..., dict[str, np.ndarray]], **kwargs: Any) -> Any:
    """`fn` over each group of rows of equal `part`, after a shuffle into `parts` partitions."""
    return dataset.groupby("part", num_partitions=parts).map_groups(fn, batch_format="numpy", fn_kwargs=kwargs)


def _copies(count: int, left: np.ndarray, right: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Per node, the size of its group of exact copies if it heads one (first in `rank`), else 1, as locally."""
    group = components(count, left, right)
    order = np.lexsort((rank, group))
    heads = order[np.r_[True, group[order][1:] != group[order][:-1]]] if count else order
    copies = np.ones(count, dtype=np.int64)
    copies[heads] = np.bincount(group, minlength=count)[group[heads]]
    return copies


class _Marks:
    """The clusters of the documents in verified edges, and how to mark any document with its cluster.

    `nodes` holds the entries at the ends of the `edges`, each with its attributes.
    """

    def __init__(self, stage: Deduplicate, edges: Table, nodes: Table) -> None:
        self.stage = stage
        self.entries = Entries(stage.params.num_perm)
        if not edges:
            self.nodes = np.empty(0, dtype=np.int64)
            return
        node = _unique_nodes(nodes)
        self.nodes = node["entry"]
        for value in node["id"]:
            self.entries.ids.append(value)
        self.entries.signatures.extend(node["sig"])
        stage._sizes = node["size"].astype(np.int64)
        left, right = np.searchsorted(self.nodes, edges["left"]), np.searchsorted(self.nodes, edges["right"])
        strong, weak = edges["strong"], edges["weak"]
        count = len(self.nodes)
        labels = components(count, left[strong], right[strong])
        rank = _canonical_rank(node)
        joined_left, joined_right = _attach(labels, left[weak], right[weak], edges["containment"][weak],
                                            rank, node["size"], _copies(count, left[edges["copy"]],
                                                                        right[edges["copy"]], rank))
        labels = components(count, np.concatenate((left[strong], joined_left)),
                            np.concatenate((right[strong], joined_right)))
        self.clusters = stage._representatives(self.entries, labels, node["length"], np.empty(0, np.int64))

    def mark(self, shard: int, results: list[Result]) -> None:
        """Mark a shard's live documents as the local `Deduplicate` does (dropping duplicates)."""
        for position, doc in _live(results):
            at = int(np.searchsorted(self.nodes, (shard << 32) + position))
            if at < len(self.nodes) and self.nodes[at] == (shard << 32) + position:
                self.stage._mark(doc, at, self.entries, self.clusters)
            else:  # alone: its own cluster
                doc.cluster_id, doc.cluster_size = doc.id, 1


def _start(settings: Settings) -> Any:
    """Ray, joined or started, with Ray Data set for this engine: rows in order, quiet, sort shuffles."""
    import ray  # an optional dependency: pip install cleaner[ray]

    if not ray.is_initialized():
        if settings.ray_address:
            ray.init(address=settings.ray_address, log_to_driver=False, logging_level=logging.WARNING)
        else:  # a local instance of our own: Ray's warnings about its set-up (token auth) are not the user's
            ray.init(num_cpus=settings.workers, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
    context = ray.data.DataContext.get_current()
    for handler in logging.getLogger("ray.data").handlers:  # Ray Data logs every execution plan
        if isinstance(handler, logging.StreamHandler):
            handler.setLevel(logging.ERROR)
    context.execution_options.preserve_order = True
    # Shuffles by sorting start no aggregator actors: dedup took half the time of the default
    # hash shuffle on a 2-CPU instance.
    context.shuffle_strategy = "sort_shuffle_pull_based"
    context.enable_progress_bars = False
    return ray


def _clusters(docs: Any, stage: Deduplicate, parts: int) -> _Marks:
    """Steps 4-6: band keys, buckets, the two joins and verification on Ray; components on the driver."""
    params = stage.params
    tables = docs.select_columns(["shard", "table"]).rename_columns({"shard": "part", "table": "blob"})
    bands = docs.select_columns(["table"]).map_batches(
        _band_rows, batch_size=16, fn_kwargs={"bands": params.bands, "rows": params.rows, "parts": parts})
    pairs = _grouped(bands, parts, _bucket_pairs)
    left = _grouped(tables.union(pairs), parts, _join_group, side="left", stage=stage)
    edges = _grouped(tables.union(left), parts, _join_group, side="right", stage=stage)
    found = [pickle.loads(row["blob"]) for row in edges.iter_rows()]
    return _Marks(stage, _concat([table for table in found if "containment" in table]),
                  _concat([table for table in found if "containment" not in table]))


def results(shards: list[Shard], pipeline: Pipeline, settings: Settings) -> tuple[Iterator[Result], list[Stage]]:
    """Every shard's results in shard order after the stages run on Ray, and the stages left for the driver.

    The driver's stages are none, or the dedup stages when a dedup index is used.
    """
    ray = _start(settings)
    rest = list(pipeline.rest)
    boilerplate = rest.pop(0) if rest and isinstance(rest[0], RemoveBoilerplate) else None
    dedup = rest if len(rest) == 1 and isinstance(rest[0], Deduplicate) and rest[0].index is None else []
    sign = next((stage for stage in pipeline.prefix if isinstance(stage, SignForDedup)), None)
    rest = rest[len(dedup):]
    if not shards:
        return iter(()), rest
    pool = ray.data.ActorPoolStrategy(size=settings.workers)
    docs = ray.data.from_items([{"shard": shard.index} for shard in shards], override_num_blocks=len(shards))
    docs = docs.map_batches(
        _ShardWorker, batch_size=1, compute=pool,
        fn_constructor_kwargs={"stages": _dumps(pipeline.prefix), "shards": _dumps(shards),
                               "text_field": settings.text_field, "max_bytes": settings.max_bytes,
                               "count_lines": boilerplate is not None})
    marks = None
    if boilerplate is not None or dedup:
        recurring: set[int] = set()
        if boilerplate is not None:
            docs = docs.materialize()
            start = time.perf_counter()
            counter = LineCounter(boilerplate.min_docs)
            for row in docs.select_columns(["counts"]).iter_rows():
                found = pickle.loads(row["counts"])
                counter.add(found.keys(), found.values())
            recurring = counter.recurring()
            pipeline.seconds[boilerplate.name] += time.perf_counter() - start
        docs = docs.map_batches(_CorpusPass, batch_size=1, compute=pool,
                                fn_constructor_kwargs={"boilerplate": boilerplate, "recurring": recurring,
                                                       "sign": sign if dedup else None}).materialize()
        if dedup:
            start = time.perf_counter()
            marks = _clusters(docs, dedup[0], max(len(shards), settings.workers))
            pipeline.seconds[dedup[0].name] += time.perf_counter() - start
    return _ordered(docs, boilerplate is not None or bool(dedup), marks, pipeline.seconds), rest


def _ordered(docs: Any, errors_first: bool, marks: _Marks | None, seconds: Counter[str]) -> Iterator[Result]:
    """The shards' results, in shard order, marked with their clusters.

    After a corpus-wide stage the error records come first, as from the local engine's corpus-wide stages.
    """
    if errors_first:
        for row in docs.select_columns(["errors"]).iter_rows():
            yield from pickle.loads(row["errors"])
    for row in docs.select_columns(["shard", "results", "seconds"]).iter_rows():
        results = pickle.loads(row["results"])
        seconds.update(pickle.loads(row["seconds"]))
        if marks is not None:
            marks.mark(int(row["shard"]), results)
        yield from results
