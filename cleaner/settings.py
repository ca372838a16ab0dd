"""One settings object for a run, so the CLI, the library and the tests configure stages alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Settings:
    """Every option of `cleaner clean`; each stage reads only the fields it needs."""

    text_field: str = "text"
    max_bytes: int = 16 * 1024 * 1024
    junk: bool = True
    rule_paths: list[Path] = field(default_factory=list)
    default_rules: bool = True
    disable_rules: list[str] = field(default_factory=list)  # ids of rules switched off, shipped or the user's
    language: bool = True
    lang: list[str] = field(default_factory=list)
    language_sample: int = 600
    mt: bool = True
    mt_action: str = "flag"
    mt_threshold: float | None = None  # None: the thresholds shipped with the MT model
    dedup: bool = True
    dedup_threshold: float = 0.7
    dedup_action: str = "drop"  # "flag": keep duplicates, marked by cluster_id != id
    shingle_size: int = 5
    num_perm: int = 128
    dedup_bands: int = 64
    dedup_rows: int = 2
    dedup_containment: float = 0.7
    dedup_index: Path | None = None
    workers: int = 1
    engine: str = "local"
    ray_address: str | None = None
    resume: bool = False
    shard_files: int = 256
    html_timeout: float = 30.0  # seconds of main-content extraction per page before the fallback
    reflow: bool = True  # rejoin sentences a flattener broke across lines (text input)
    markup: bool = True  # take link addresses and Markdown marks out of text input
    lines: bool = True  # the learned line classifier on flattened text
    boilerplate: bool = True  # lines recurring across documents of a site or folder
    boilerplate_min_docs: int = 5
