"""What a pipeline stage is: a small object with one method over a stream of documents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .document import Document


class Stage:
    """A step of the pipeline. `run` consumes documents and yields them, possibly changed.

    Dropped documents still flow through (untouched) so the writer can account for them.
    """

    name = "stage"

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        raise NotImplementedError


class DocumentStage(Stage):
    """A stage that looks at one document at a time, so it can run in any worker process."""

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            if doc.dropped is None:
                self.process(doc)
            yield doc

    def process(self, doc: Document) -> None:
        """Change `doc` in place; raise `InputError` to fail this document only."""
        raise NotImplementedError
