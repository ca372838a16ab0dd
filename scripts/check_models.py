"""Check that the training scripts still reproduce the shipped models, array for array.

    python scripts/check_models.py [MODEL...]   # needs ../shared/data and the train extra; 2.5 minutes on two cores

Both scripts are deterministic, so a refit of unchanged code on unchanged data gives the shipped file's
arrays exactly. When it does not, a change to the features, the rules or the sentence cutting since the
last fit has left the shipped model describing code that no longer exists (it happened to the MT model:
see docs/mt.md): refit it with the script named, then review the figures with
`benchmarks/eval_extraction.py` or `benchmarks/eval_mt.py` and the goldens with `tests/regression.py`.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = {"lines.npz": "train_lines.py", "mt.npz": "train_mt.py"}


def differences(shipped: Path, refit: Path) -> list[str]:
    """The arrays (and the meta) of `shipped` that `refit` does not hold unchanged, with the largest change."""
    with np.load(shipped) as old, np.load(refit) as new:
        names = sorted(set(old.files) | set(new.files))
        out = []
        for name in names:
            if name not in old.files or name not in new.files:
                out.append(f"{name}: only in the {'refit' if name in new.files else 'shipped'} model")
                continue
            before, after = old[name], new[name]  # each look-up of an npz file reads and inflates the array again
            if before.shape != after.shape:
                out.append(f"{name}: shape {before.shape} -> {after.shape}")
            elif not np.array_equal(before, after):
                change = ""
                if before.dtype.kind in "fiu":
                    moved = before != after  # where both are the same infinity, their difference would be nan
                    change = f", by up to {np.abs(after[moved].astype(float) - before[moved].astype(float)).max():.3g}"
                out.append(f"{name}: differs{change}")
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", metavar="MODEL",
                        help=f"the models to check (default: all of {', '.join(MODELS)})")
    chosen = parser.parse_args(argv).models or list(MODELS)
    if unknown := [model for model in chosen if model not in MODELS]:
        parser.error(f"no such model: {', '.join(unknown)} (choose from {', '.join(MODELS)})")
    with tempfile.TemporaryDirectory() as tmp:
        runs = {model: subprocess.Popen(
                    [sys.executable, str(ROOT / "scripts" / script), "--out", str(Path(tmp) / model)],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for model, script in MODELS.items() if model in chosen}  # the fits run side by side
        problems = 0  # stale models and failed fits
        for model, run in runs.items():
            output, _ = run.communicate()
            if run.returncode != 0:  # 2: no training data
                print(f"{model}: {MODELS[model]} failed (status {run.returncode}):\n{output[-2000:]}")
                problems += 1
                continue
            found = differences(ROOT / "cleaner" / "models" / model, Path(tmp) / model)
            print(f"{model}: " + ("reproduced" if not found else f"NOT reproduced by {MODELS[model]}:\n  "
                                  + "\n  ".join(found)))
            problems += bool(found)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
