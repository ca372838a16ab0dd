"""`cleaner clean --engine ray`: the per-document stages as Ray Data map tasks over input shards.

Each input shard (see `read.plan_shards`) is one row of a Ray dataset; a pool of actors, each
holding the compiled stages, reads the shard's files and runs the per-document stages on them,
the same `process_batch` as the local engine. Rows come back in shard order (Ray Data's
`preserve_order`), so everything downstream (corpus-wide stages, the writer) sees exactly the
stream the local engine produces, and the output files are identical.

Input paths must be readable from every Ray node (a shared file system) when `--address` names
a cluster; without an address a local Ray instance with `--workers` CPUs is started.
"""

from __future__ import annotations

import logging
import pickle
from collections import Counter
from collections.abc import Iterator
from typing import Any

from .parallel import Result, process_batch
from .read import Shard
from .settings import Settings
from .stage import DocumentStage


class _ShardWorker:
    """A Ray actor: the per-document stages, built once, applied to whole shards."""

    def __init__(self, stages: bytes, shards: bytes, text_field: str, max_bytes: int) -> None:
        self.stages: list[DocumentStage] = pickle.loads(stages)
        self.shards: list[Shard] = pickle.loads(shards)
        self.text_field = text_field
        self.max_bytes = max_bytes

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"shard": [], "results": []}
        for index in batch["shard"]:
            items = list(self.shards[int(index)].read(self.text_field, self.max_bytes))
            results, seconds = process_batch(self.stages, items)
            out["shard"].append(int(index))
            out["results"].append(pickle.dumps((results, seconds), protocol=pickle.HIGHEST_PROTOCOL))
        return out


def prefix_results(shards: list[Shard], stages: list[DocumentStage], settings: Settings,
                   seconds: Counter[str]) -> Iterator[Result]:
    """The per-document stages' results for every shard, in shard order, computed on Ray."""
    import ray  # an optional dependency: pip install cleaner[ray]

    if not ray.is_initialized():
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if settings.ray_address:
            ray.init(address=settings.ray_address, **quiet)
        else:
            ray.init(num_cpus=settings.workers, include_dashboard=False, **quiet)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    if not shards:
        return
    dataset = ray.data.from_items([{"shard": shard.index} for shard in shards], override_num_blocks=len(shards))
    dataset = dataset.map_batches(
        _ShardWorker, batch_size=1, concurrency=max(1, settings.workers),
        fn_constructor_kwargs={"stages": pickle.dumps(stages), "shards": pickle.dumps(shards),
                               "text_field": settings.text_field, "max_bytes": settings.max_bytes})
    for row in dataset.iter_rows():
        results, shard_seconds = pickle.loads(row["results"])
        seconds.update(shard_seconds)
        yield from results
