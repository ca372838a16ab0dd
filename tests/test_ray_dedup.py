"""The Ray engine's dedup steps give the local `Deduplicate`'s clusters, run here without Ray.

Each Ray Data step of `cleaner.ray_engine` is a plain function over batches of rows, so this
runs them in process, with `groupby("part").map_groups` done by a dictionary: many layouts
and corpora are checked in seconds, and without Ray installed.
"""

from __future__ import annotations

import copy
import pickle
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import SEEDS

from cleaner import ray_engine
from cleaner.dedup import Deduplicate, SignForDedup
from cleaner.document import Document
from cleaner.settings import Settings


def planted(count: int) -> list[str]:
    """Windows of the seeds' paragraphs with planted duplicates of every kind dedup knows.

    Forty copies of the first document with one word dropped (its buckets outgrow the comparison
    window), then exact copies (exact-key groups), copies with a paragraph more (containment-only
    pairs, so clusters join through `_attach`) and copies with words dropped (Jaccard pairs).
    """
    rng = random.Random(7)
    paragraphs = [p for seed in sorted(SEEDS.glob("*.txt"))
                  for p in seed.read_text(encoding="utf-8").split("\n") if len(p.split()) > 8]
    first = paragraphs[:8]
    docs = [first] + [[" ".join(w for i, w in enumerate(" ".join(first).split()) if i != 3 * k)] for k in range(40)]
    while len(docs) < count:
        kind = rng.random()
        if kind < 0.15:
            doc = list(rng.choice(docs))
        elif kind < 0.35:
            doc = [*rng.choice(docs), rng.choice(paragraphs)]
        elif kind < 0.55:
            doc = [" ".join(w for w in p.split() if rng.random() > 0.05) for p in rng.choice(docs)]
        else:
            start = rng.randrange(len(paragraphs) - 8)
            doc = paragraphs[start:start + rng.randint(3, 8)]
        docs.append(doc)
    return ["\n\n".join(doc) for doc in docs]


def write_planted(root: Path, count: int) -> Path:
    for k, text in enumerate(planted(count)):
        (root / f"doc{k:04d}.txt").write_text(text + "\n", encoding="utf-8")
    return root


def _grouped(rows: list[dict[str, Any]], fn, **kwargs: Any) -> list[dict[str, Any]]:
    """`groupby("part").map_groups(fn)` over rows, in process."""
    groups: dict[int, list[bytes]] = {}
    for row in rows:
        groups.setdefault(int(row["part"]), []).append(row["blob"])
    out = [fn({"part": np.full(len(blobs), part), "blob": np.array(blobs, dtype=object)}, **kwargs)
           for part, blobs in sorted(groups.items())]
    return [{"part": part, "blob": blob} for batch in out
            for part, blob in zip(batch["part"], batch["blob"], strict=True)]


def _on_ray_steps(docs: list[Document], settings: Settings, shard_docs: int) -> list[Document]:
    """Steps 3-7 of the Ray engine over `docs`, cut into shards of `shard_docs` documents."""
    stage = Deduplicate(settings)
    corpus = ray_engine._CorpusPass(None, {}, SignForDedup(settings))
    shards = [corpus({"shard": [i], "results": [pickle.dumps(docs[start:start + shard_docs])],
                      "seconds": [pickle.dumps(Counter())]})
              for i, start in enumerate(range(0, len(docs), shard_docs))]
    tables = [{"part": s["shard"][0], "blob": s["table"][0]} for s in shards]
    bands = ray_engine._band_rows({"table": [s["table"][0] for s in shards]}, stage.params.bands,
                                  stage.params.rows, len(shards))
    pairs = _grouped([{"part": p, "blob": b} for p, b in zip(bands["part"], bands["blob"], strict=True)],
                     ray_engine._bucket_pairs)
    left = _grouped(tables + pairs, ray_engine._join_group, side="left", stage=stage)
    found = [pickle.loads(row["blob"]) for row in _grouped(tables + left, ray_engine._join_group,
                                                             side="right", stage=stage)]
    marks = ray_engine._Marks(stage, ray_engine._concat([t for t in found if "containment" in t]),
                              ray_engine._concat([t for t in found if "containment" not in t]))
    out = []
    for s in shards:
        results = pickle.loads(s["results"][0])
        marks.mark(s["shard"][0], results)
        out += results
    return out


def _outcome(docs: list[Document]) -> list[tuple]:
    return [(d.id, d.cluster_id, d.cluster_size, d.duplicate_of, d.similarity, d.dropped) for d in docs]


@pytest.mark.parametrize(("bands", "rows", "shard_docs"), [(42, 3, 16), (128, 1, 7), (16, 8, 50)])
def test_ray_dedup_steps_give_the_local_clusters(bands: int, rows: int, shard_docs: int) -> None:
    settings = Settings(dedup_bands=bands, dedup_rows=rows)
    texts = planted(160)
    rng = random.Random(bands)
    docs = [Document(id=f"doc{rng.randrange(10**6):06d}-{k}", source="x", text=text) for k, text in enumerate(texts)]
    docs[5].drop("language")  # documents dropped earlier are no entries
    local = list(Deduplicate(settings).run(copy.deepcopy(docs)))
    on_ray = _on_ray_steps(docs, settings, shard_docs)
    assert _outcome(on_ray) == _outcome(local)
    assert sum(d.dropped == "duplicate" for d in local) > 50
