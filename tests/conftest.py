"""Shared helpers: run a clean over a folder and read its output files."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cleaner.pipeline import clean
from cleaner.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "raw"
SEEDS = FIXTURES / "seeds"


def read_jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


class Run:
    """The output files of one `clean` run, parsed."""

    def __init__(self, outdir: Path, stats: dict) -> None:
        self.outdir = outdir
        self.stats = stats
        self.clean = {r["id"]: r for r in read_jsonl(outdir / "clean.jsonl")}
        self.removed = {r["id"]: r for r in read_jsonl(outdir / "removed.jsonl")}
        self.errors = read_jsonl(outdir / "errors.jsonl")


@pytest.fixture
def run_clean(tmp_path: Path):
    counter = iter(range(1000))

    def run(*inputs: Path, **options) -> Run:
        outdir = tmp_path / f"out{next(counter)}"
        stats = clean(list(inputs), outdir, Settings(**options))
        return Run(outdir, stats)

    return run


@pytest.fixture(scope="session")
def seeds_run(tmp_path_factory) -> Run:
    outdir = tmp_path_factory.mktemp("seeds")
    return Run(outdir, clean([SEEDS], outdir, Settings()))
