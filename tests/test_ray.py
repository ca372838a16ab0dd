"""`--engine ray` gives the local engine's output, on a local Ray instance with 2 CPUs."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, SEEDS
from test_scale import _same_outputs

from cleaner.cli import main
from cleaner.pipeline import clean
from cleaner.settings import Settings

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'cleaner[ray]'")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _planted(root: Path, count: int) -> Path:
    """Windows of the seeds' paragraphs with planted duplicates of every kind dedup knows.

    Forty copies of the first document with one word dropped (its buckets outgrow the comparison
    window), then exact copies (exact-key groups), copies with a paragraph more (containment-only
    pairs, so clusters join through `_attach`) and copies with words dropped (Jaccard pairs).
    """
    rng = random.Random(7)
    paragraphs = [p for seed in sorted(SEEDS.glob("*.txt"))
                  for p in seed.read_text(encoding="utf-8").split("\n") if len(p.split()) > 8]
    first = paragraphs[:8]
    docs = [first] + [[" ".join(w for i, w in enumerate(" ".join(first).split()) if i != 3 * k)] for k in range(40)]
    while len(docs) < count:
        kind = rng.random()
        if kind < 0.15:
            doc = list(rng.choice(docs))
        elif kind < 0.35:
            doc = [*rng.choice(docs), rng.choice(paragraphs)]
        elif kind < 0.55:
            doc = [" ".join(w for w in p.split() if rng.random() > 0.05) for p in rng.choice(docs)]
        else:
            start = rng.randrange(len(paragraphs) - 8)
            doc = paragraphs[start:start + rng.randint(3, 8)]
        docs.append(doc)
    for k, doc in enumerate(docs):
        (root / f"doc{k:04d}.txt").write_text("\n\n".join(doc) + "\n", encoding="utf-8")
    return root


def test_ray_engine_output_equals_local(tmp_path: Path) -> None:
    """The fixtures and a generated corpus in one run: one Ray start-up, every kind of duplicate."""
    (tmp_path / "planted").mkdir()
    inputs = [FIXTURES, _planted(tmp_path / "planted", 150)]
    local = clean(inputs, tmp_path / "local", Settings(workers=1, shard_files=16))
    on_ray = clean(inputs, tmp_path / "ray", Settings(workers=2, engine="ray", shard_files=16))
    _same_outputs(tmp_path / "local", tmp_path / "ray")
    assert local["documents_out"] == on_ray["documents_out"] > 0
    assert on_ray["dropped"]["duplicate"] > 50


def test_ray_engine_with_an_index_dedups_on_the_driver(tmp_path: Path) -> None:
    """With `--index` dedup runs on the driver: same output, and the same documents added to the index."""
    clean([SEEDS], tmp_path / "first", Settings(dedup_index=tmp_path / "index"))
    shutil.copytree(tmp_path / "index", tmp_path / "ray-index")
    local = clean([FIXTURES], tmp_path / "local", Settings(dedup_index=tmp_path / "index", shard_files=9))
    on_ray = clean([FIXTURES], tmp_path / "ray", Settings(workers=2, engine="ray", shard_files=9,
                                                          dedup_index=tmp_path / "ray-index"))
    _same_outputs(tmp_path / "local", tmp_path / "ray")
    assert local["dropped"]["duplicate"] == on_ray["dropped"]["duplicate"] >= len(list(SEEDS.glob("*.txt")))
    for name in ("ids.bin", "signatures.npy", "meta.json"):
        assert (tmp_path / "index" / name).read_bytes() == (tmp_path / "ray-index" / name).read_bytes()


def test_resume_is_refused_on_ray(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["clean", str(SEEDS), "-o", str(tmp_path / "out"), "--engine", "ray", "--resume", "-q"])
    assert exit_.value.code == 2
    assert not (tmp_path / "out").exists()
