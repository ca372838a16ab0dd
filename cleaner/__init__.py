"""cleaner: clean, deduplicate and audit corpora of scraped news and web articles."""

__version__ = "0.1.0"
