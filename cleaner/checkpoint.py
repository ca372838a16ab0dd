"""Checkpoints of the per-document work, one file per input shard, so `--resume` skips finished shards.

A shard's checkpoint holds what the per-document stages made of its files (documents and
error records, in order), zstd-compressed pickles, written under a temporary name and
renamed when the shard is complete. Its name carries the shard's fingerprint and the run's
settings fingerprint, so a changed input or setting is never served from a stale checkpoint.
The corpus-wide stages and the writer always run again; they are cheap beside the per-document
work, and running them again is what makes a resumed output identical to an uninterrupted one.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import zstandard

from .read import Shard

WORKDIR = ".cleaner-work"


class CheckpointStore:
    """Checkpoint files of one output folder and one settings fingerprint."""

    def __init__(self, outdir: Path, run_fingerprint: str, resume: bool) -> None:
        self.folder = outdir / WORKDIR
        if not resume and self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.run = run_fingerprint
        self.found = len(list(self.folder.glob("*.pkl.zst")))  # what an interrupted run left
        self.resumed = 0

    @property
    def unused(self) -> int:
        """Checkpoints found but not used: of other settings or rules, or of input files changed since."""
        return self.found - self.resumed

    def _path(self, shard: Shard) -> Path:
        return self.folder / f"{shard.index:07d}-{shard.fingerprint()}-{self.run}.pkl.zst"

    def load(self, shard: Shard) -> Iterator[Any] | None:
        """The shard's checkpointed items, or None when it has to be processed."""
        path = self._path(shard)
        if not path.exists():
            return None
        self.resumed += 1
        return self._items(path)

    @staticmethod
    def _items(path: Path) -> Iterator[Any]:
        with open(path, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as stream:
            while True:
                try:
                    yield pickle.load(stream)
                except EOFError:
                    return

    def record(self, shard: Shard, items: Iterator[Any]) -> Iterator[Any]:
        """Pass `items` through, saving them; the checkpoint exists only once all have passed."""
        final = self._path(shard)
        partial = final.with_suffix(".partial")
        with open(partial, "wb") as raw, zstandard.ZstdCompressor(level=1).stream_writer(raw) as stream:
            for item in items:
                pickle.dump(item, stream, protocol=pickle.HIGHEST_PROTOCOL)
                yield item
        os.replace(partial, final)

    def finish(self) -> None:
        """The run is complete: its checkpoints are no longer needed."""
        shutil.rmtree(self.folder, ignore_errors=True)
