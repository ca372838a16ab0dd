"""`--engine ray` gives the local engine's output, on a local Ray instance with 2 CPUs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, SEEDS
from test_ray_dedup import write_planted
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


def test_ray_engine_output_equals_local(tmp_path: Path) -> None:
    """The fixtures and a generated corpus in one run: one Ray start-up, every kind of duplicate."""
    (tmp_path / "planted").mkdir()
    inputs = [FIXTURES, write_planted(tmp_path / "planted", 150)]
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
    assert _files(tmp_path / "index") == _files(tmp_path / "ray-index")


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_resume_is_refused_on_ray(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["clean", str(SEEDS), "-o", str(tmp_path / "out"), "--engine", "ray", "--resume", "-q"])
    assert exit_.value.code == 2
    assert not (tmp_path / "out").exists()
