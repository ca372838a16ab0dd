"""cleaner: clean, deduplicate and audit corpora of scraped news and web articles.

Library use: `from cleaner import clean_text, Pipeline` (see README.md). They are imported
on first use, so `import cleaner` stays cheap for the command line and its worker processes.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Pipeline", "Settings", "clean_text"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import library

        return getattr(library, name)
    raise AttributeError(f"module 'cleaner' has no attribute {name!r}")
