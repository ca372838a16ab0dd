"""`scripts/check_models.py` tells a refit that reproduces a shipped model from one that does not."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from check_models import differences, main  # noqa: E402


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


def test_help_and_an_unknown_model_answer_before_any_refit(capsys) -> None:
    """`--help` used to start the 2.5-minute refit of both models: the script read no arguments."""
    with pytest.raises(SystemExit) as help_exit:
        main(["--help"])
    assert help_exit.value.code == 0 and "lines.npz, mt.npz" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad_exit:
        main(["lines"])
    assert bad_exit.value.code == 2 and "no such model: lines" in capsys.readouterr().err
