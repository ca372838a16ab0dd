"""Regression on the fixture articles: run `cleaner clean` on fixtures/raw and compare with the golden files.

    python tests/regression.py           # fail with a readable diff on any difference
    python tests/regression.py --update  # deliberately regenerate fixtures/expected/ (review the diff!)

Run from the repository root, so the `source` paths in the output match the golden files.
"""

from __future__ import annotations

import argparse
import difflib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = Path("fixtures/raw")
EXPECTED = ROOT / "fixtures" / "expected"
FILES = ("clean.jsonl", "removed.jsonl", "errors.jsonl", "stats.json")


def comparable(name: str, path: Path) -> list[str]:
    """The file as pretty-printed JSON lines; timings dropped from stats, which vary by machine."""
    if name == "stats.json":
        stats = json.loads(path.read_text(encoding="utf-8"))
        stats.pop("seconds", None)
        stats.pop("total_seconds", None)
        return json.dumps(stats, indent=2, ensure_ascii=False).splitlines()
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        lines.extend(json.dumps(json.loads(raw), indent=2, ensure_ascii=False).splitlines())
    return lines


def run(outdir: Path) -> None:
    subprocess.run([sys.executable, "-m", "cleaner", "clean", str(RAW), "-o", str(outdir), "-q"],
                   cwd=ROOT, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="regenerate the golden files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        run(out)
        if args.update:
            EXPECTED.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                shutil.copy(out / name, EXPECTED / name)
            if (EXPECTED / "stats.json").exists():
                (EXPECTED / "stats.json").write_text(
                    "\n".join(comparable("stats.json", EXPECTED / "stats.json")) + "\n", encoding="utf-8")
            print(f"regenerated {EXPECTED}")
            return 0
        failed = False
        for name in FILES:
            diff = list(difflib.unified_diff(comparable(name, EXPECTED / name), comparable(name, out / name),
                                             f"expected/{name}", f"actual/{name}", lineterm="", n=4))
            if diff:
                failed = True
                print("\n".join(diff))
        print("regression: " + ("DIFFERENCES (see above; `python tests/regression.py --update` to accept)"
                                if failed else f"output matches {len(FILES)} golden files"))
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
