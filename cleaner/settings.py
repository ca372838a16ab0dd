"""One settings object for a run, so the CLI, the library and the tests configure stages alike.

`Settings.validate` is the one check of the values, for the command line, the config file and
the library alike: a value out of range would otherwise run and silently remove nothing, or everything.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY

from .plural import counted

MT_ACTIONS = ("flag", "drop", "drop-paragraphs")
DEDUP_ACTIONS = ("drop", "flag")
ENGINES = ("local", "ray")
UNKNOWN_LANGUAGE = "unknown"  # the language of a document without letters: langdetect names none
# The least value of each count; a smaller one would drop or keep everything without a word.
_AT_LEAST = {"max_bytes": 1, "language_sample": 1, "shingle_size": 1, "num_perm": 1, "dedup_bands": 1,
             "dedup_rows": 1, "workers": 1, "shard_files": 1,
             "boilerplate_min_docs": 2,  # a line in one document does not recur
             "html_timeout": 0}  # 0: no limit
# The greatest value of some: a larger one would fail the run, or every document, in the middle, not at the start.
_AT_MOST = {"num_perm": 4096,  # the signer's work buffer takes 16 KiB per permutation (10**9: 15 TiB, MemoryError)
            "html_timeout": 86400}  # the timer cannot be set past time_t (inf: every HTML page failed)
MAX_WORKERS = 1024  # worker processes on one machine: -j 300 took 15 s to start, on 2 CPUs
_SHARES = ("mt_threshold", "dedup_threshold", "dedup_containment")  # in (0, 1]; mt_threshold None: the model's
_CHOICES = {"mt_action": MT_ACTIONS, "dedup_action": DEDUP_ACTIONS, "engine": ENGINES}


@cache
def language_codes() -> tuple[str, ...]:
    """The codes `--lang` accepts: those langdetect can name (its profiles), and `unknown`."""
    return (*sorted(path.name for path in Path(PROFILES_DIRECTORY).iterdir()), UNKNOWN_LANGUAGE)


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or `taskset`'s share, not the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class SettingsError(ValueError):
    """A value a run cannot use; `fields` are the settings involved, so the CLI and the config
    file can point at the option or key the user wrote."""

    def __init__(self, message: str, *fields: str) -> None:
        super().__init__(f"{fields[0]}: {message}")
        self.message = message
        self.fields = fields


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

    def __post_init__(self) -> None:
        """Language codes in langdetect's lower case (`EN` -> `en`), which is what `lang` is compared with;
        paths as `Path`, however a library caller wrote them (`rule_paths=["mysite.yaml"]`)."""
        if not isinstance(self.lang, str):  # a bare string is refused by `validate`
            self.lang = [code.lower() if isinstance(code, str) else code for code in self.lang]
        if not isinstance(self.rule_paths, str):
            self.rule_paths = [Path(path) for path in self.rule_paths]
        if self.dedup_index is not None:
            self.dedup_index = Path(self.dedup_index)

    def validate(self) -> None:
        """Raise `SettingsError` (a `ValueError`) on the first value a run cannot use."""
        for name, least in _AT_LEAST.items():
            value = getattr(self, name)
            if not math.isfinite(value):  # NaN passes any comparison; an infinite timer fails every page
                raise SettingsError(f"must be a finite number, not {value!r}", name)
            if value < least:
                raise SettingsError(f"must be at least {least}, not {value!r}", name)
        for name, most in _AT_MOST.items():
            if getattr(self, name) > most:
                raise SettingsError(f"must be at most {most}, not {getattr(self, name)!r}", name)
        for name in _SHARES:
            value = getattr(self, name)
            if value is not None and not 0.0 < value <= 1.0:
                raise SettingsError(f"must be in (0, 1], not {value!r}", name)
        for name, choices in _CHOICES.items():
            if getattr(self, name) not in choices:
                raise SettingsError(f"must be one of {', '.join(choices)}, not {getattr(self, name)!r}", name)
        if not self.text_field:  # every JSONL record would fail, one error each, for want of a field named ""
            raise SettingsError("must name a field, not be empty", "text_field")
        self._validate_lang()
        self._validate_rule_paths()
        self._validate_combinations()

    def _validate_lang(self) -> None:
        """A code langdetect never produces would drop every document as `language`."""
        if isinstance(self.lang, str):
            raise SettingsError(f"must be a list of language codes, e.g. [{self.lang!r}], not a string", "lang")
        for code in self.lang:
            if code not in language_codes():
                raise SettingsError(f"{code!r} is not a language code langdetect produces (ISO 639-1 such as "
                                    f"en, de, fr, zh-cn; all: {', '.join(language_codes())})", "lang")

    def _validate_rule_paths(self) -> None:
        """A pack that is not there (a misspelt path, a folder of `.yml` files) would clean the whole corpus
        without the user's rules; a pack that is there but has errors is reported rule by rule (`load_rules`)."""
        if isinstance(self.rule_paths, str):
            raise SettingsError(f"must be a list of paths, e.g. [{self.rule_paths!r}], not a string", "rule_paths")
        for path in self.rule_paths:
            if not path.exists():
                raise SettingsError(f"no such file or folder: {path}", "rule_paths")
            if path.is_dir() and not any(path.glob("*.yaml")):
                raise SettingsError(f"folder {path} holds no .yaml rule file", "rule_paths")

    def _validate_combinations(self) -> None:
        """Values that are each fine but not together."""
        if self.dedup and self.dedup_bands * self.dedup_rows > self.num_perm:
            raise SettingsError(f"LSH bands x rows ({self.dedup_bands} x {self.dedup_rows}) must not exceed "
                                f"the MinHash permutations ({self.num_perm})", "dedup_bands", "dedup_rows", "num_perm")
        if self.workers > MAX_WORKERS and not self.ray_address:
            raise SettingsError(f"must be at most {MAX_WORKERS} on one machine, not {self.workers} (this one has "
                                f"{counted(usable_cpus(), 'CPU')})", "workers")
        if self.ray_address and self.engine != "ray":
            raise SettingsError(f"a Ray cluster address is only used with engine 'ray' (here: {self.engine!r})",
                                "ray_address", "engine")
        if self.dedup_index is not None and self.dedup_index.exists() and not self.dedup_index.is_dir():
            raise SettingsError(f"{self.dedup_index} is a file, not an index folder (one is made where none is)",
                                "dedup_index")
        if self.dedup_index is not None and not self.dedup:
            raise SettingsError("an index is read and added to by duplicate detection, which is off", "dedup_index",
                                "dedup")
        if self.resume and self.engine == "ray":
            raise SettingsError("resuming needs engine 'local' (Ray retries failed tasks; it keeps no checkpoints)",
                                "resume", "engine")
