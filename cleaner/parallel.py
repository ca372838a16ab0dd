"""Per-document stages over batches of documents, in this process or in N worker processes.

Workers are forked once with the stages; batches go out in input order and results come
back in input order, with at most a few batches in flight, so memory stays flat however
large the corpus and the output is the same for any worker count.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from .document import Document, InputError, file_part
from .stage import DocumentStage

Item = Document | InputError  # what the reader yields
Result = Document | dict[str, Any]  # a processed document, or the error record of a failed input
_WORKER_STAGES: list[DocumentStage] = []
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when the one that forked it dies


def process_batch(stages: list[DocumentStage], batch: list[Item]) -> tuple[list[Result], Counter[str]]:
    """Run `stages` over each document of `batch`; a failing document becomes its error record, whatever the
    exception: a stage's bug met on one strange document must not cost the run its other documents.

    Reading errors travel in the batch too, so errors keep their input order for any worker count.
    """
    seconds: Counter[str] = Counter()
    results: list[Result] = []
    for doc in batch:
        if isinstance(doc, InputError):
            results.append(doc.record())
            continue
        try:
            for stage in stages:
                if doc.dropped is not None:
                    break
                start = time.perf_counter()
                stage.process(doc)
                seconds[stage.name] += time.perf_counter() - start
        except InputError as err:
            results.append(err.record())
            continue
        except Exception as err:  # a bug one document meets fails that document, named, not the whole run
            message = f"the {stage.name} stage failed on this document: {type(err).__name__}: {err}"
            results.append(InputError(doc.source, message).record())
            continue
        results.append(doc)
    return results, seconds


def _init_worker(stages: list[DocumentStage], parent: int) -> None:
    global _WORKER_STAGES
    _WORKER_STAGES = stages
    _end_with(parent)


def _end_with(parent: int) -> None:
    """Have Linux end this worker when the main process dies, even by SIGKILL (a job scheduler's time limit, the
    out-of-memory killer): a worker writing its results into the pool's pipe, whose reading end the other
    workers also hold, would otherwise wait forever. Elsewhere, no such call: the worker ends with the pool."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the main process died before the call
        os._exit(1)


def _worker_batch(batch: list[Item]) -> tuple[list[Result], Counter[str]]:
    return process_batch(_WORKER_STAGES, batch)


class BatchRunner:
    """Runs a group of per-document stages, in-process (`workers=1`) or on a pool of forked workers."""

    def __init__(self, stages: list[DocumentStage], workers: int = 1, batch_size: int = 16) -> None:
        self.stages = stages
        self.workers = workers
        self.batch_size = batch_size
        self.seconds: Counter[str] = Counter()
        self._pool: Any = None

    def __enter__(self) -> BatchRunner:
        if self.workers > 1 and self.stages:
            # A process pool from concurrent.futures fails loudly (BrokenProcessPool) if a worker dies.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_init_worker, initargs=(self.stages, os.getpid()))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(self, items: Iterable[Item]) -> Iterator[Result]:
        """The results for `items`, in input order; at most a few batches in flight."""
        it = iter(items)
        chunks = iter(lambda: list(islice(it, self.batch_size)), [])
        if self._pool is None:
            for batch in chunks:
                yield from self._collect(process_batch(self.stages, batch))
            return
        pending: deque[tuple[Future, list[str]]] = deque()  # each batch with the inputs of its items
        for batch in chunks:
            pending.append((self._pool.submit(_worker_batch, batch), [item.source for item in batch]))
            if len(pending) >= 3 * self.workers:
                yield from self._collect(self._result(pending))
        while pending:
            yield from self._collect(self._result(pending))

    @staticmethod
    def _result(pending: deque[tuple[Future, list[str]]]) -> tuple[list[Result], Counter[str]]:
        """The oldest batch's results; `WorkerDied` naming the inputs in flight when a worker was killed."""
        future, sources = pending.popleft()
        try:
            return future.result()
        except BrokenProcessPool:  # the dead worker had one of the batches in flight, which one is not known
            in_flight = sources + [source for _, later in pending for source in later]
            inputs = list(dict.fromkeys(file_part(source) for source in in_flight))
            more = f" and {len(inputs) - 3} more" if len(inputs) > 3 else ""
            raise WorkerDied("a worker process was killed (by the system's out-of-memory killer?) while cleaning "
                             f"{', '.join(inputs[:3])}{more}; try fewer --workers or a lower --max-bytes, "
                             "then the same command with --resume") from None

    def _collect(self, done: tuple[list[Result], Counter[str]]) -> list[Result]:
        results, seconds = done
        self.seconds.update(seconds)
        return results


class WorkerDied(RuntimeError):
    """A worker process ended without its results (killed: out of memory, a signal); the run cannot go on."""
