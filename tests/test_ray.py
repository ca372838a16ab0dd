"""`--engine ray` gives the local engine's output, on a local Ray instance with 2 CPUs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from test_scale import OUTPUTS, _corpus

from cleaner.pipeline import clean
from cleaner.settings import Settings

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'cleaner[ray]'")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.parametrize("corpus", ["fixtures", "generated"])
def test_ray_engine_output_equals_local(tmp_path: Path, corpus: str) -> None:
    if corpus == "fixtures":
        inputs = FIXTURES
    else:
        inputs = tmp_path / "corpus"
        inputs.mkdir()
        _corpus(inputs, 8)
    local = clean([inputs], tmp_path / "local", Settings(workers=1, shard_files=9))
    on_ray = clean([inputs], tmp_path / "ray", Settings(workers=2, engine="ray", shard_files=9))
    for name in OUTPUTS:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name
    assert local["documents_out"] == on_ray["documents_out"] > 0
