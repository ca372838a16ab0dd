"""`scripts/check_models.py` tells a refit that reproduces a shipped model from one that does not."""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from check_models import differences  # noqa: E402


def test_differences_name_each_changed_missing_or_reshaped_array(tmp_path: Path) -> None:
    shipped, same, changed = tmp_path / "shipped.npz", tmp_path / "same.npz", tmp_path / "changed.npz"
    model = {"meta": np.array('{"version": "x-1"}'), "w": np.array([1.0, 2.0]), "b": np.array(0.5), "t": np.zeros(3)}
    np.savez_compressed(shipped, **model)
    np.savez_compressed(same, **model)
    np.savez_compressed(changed, meta=np.array('{"version": "x-2"}'), w=np.array([1.0, 2.25]), extra=np.zeros(2),
                        t=np.zeros(4))
    assert differences(shipped, same) == []
    assert differences(shipped, changed) == ["b: only in the shipped model", "extra: only in the refit model",
                                             "meta: differs", "t: shape (3,) -> (4,)", "w: differs, by up to 0.25"]
