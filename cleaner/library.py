"""In-process use without the command line: `clean_text` for one string, `Pipeline` for many."""

from __future__ import annotations

from typing import Any

from .pipeline import Pipeline
from .settings import Settings


def clean_text(text: str, html: bool = False, settings: Settings | None = None, **options: Any) -> str:
    """The clean text of one document, through the same stages and settings as `cleaner clean`.

    Returns "" when the document is dropped (empty, not an article, filtered by `lang`, or
    machine-translated with `mt_action="drop"`); raises `ValueError` when it cannot be read.
    Each call loads the rule packs: for many texts, make one `Pipeline` and call its `clean`.
    """
    pipeline = Pipeline(settings=settings, **{"dedup": False, **options})
    results = list(pipeline.clean([text], html=html))
    failed = [e for e in pipeline.errors if e["source"].startswith("<record")]
    if failed:
        raise ValueError(failed[0]["error"])
    return results[0]["text"] if results and results[0]["reason"] is None else ""
