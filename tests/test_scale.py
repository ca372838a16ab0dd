"""Parallel workers and resumable runs: the output never depends on either."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, SEEDS

from cleaner.checkpoint import WORKDIR
from cleaner.cli import main
from cleaner.document import Document
from cleaner.encoding import Decode
from cleaner.pipeline import Pipeline, clean
from cleaner.settings import Settings
from cleaner.stage import DocumentStage

OUTPUTS = ("clean.jsonl", "removed.jsonl", "errors.jsonl")


def _same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_two_workers_give_byte_identical_output(tmp_path: Path) -> None:
    one = clean([FIXTURES], tmp_path / "one", Settings(workers=1))
    two = clean([FIXTURES], tmp_path / "two", Settings(workers=2, shard_files=7))
    _same_outputs(tmp_path / "one", tmp_path / "two")
    assert one["documents_out"] == two["documents_out"] > 20
    assert not (tmp_path / "two" / WORKDIR).exists()


def _corpus(root: Path, copies: int) -> Path:
    """Many distinct documents: each seed with a numbered paragraph of its own."""
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(copies):
        for seed in seeds:
            text = seed.read_text(encoding="utf-8")
            own = f"Copy {i} of {seed.stem} adds this sentence number {i * 7919 % 1000003} to stay unique."
            (root / f"{i:04d}-{seed.name}").write_text(own + "\n" + text, encoding="utf-8")
    return root


def test_killed_run_resumes_to_identical_output(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    corpus = _corpus(tmp_path / "corpus", 60)
    options = ["--shard-files", "20", "--no-dedup", "-q"]
    clean([corpus], tmp_path / "whole", Settings(shard_files=20, dedup=False))

    out = tmp_path / "interrupted"
    command = [sys.executable, "-m", "cleaner", "clean", str(corpus), "-o", str(out), *options]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 120
    while len(list((out / WORKDIR).glob("*.pkl.zst"))) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, "the run finished before it could be interrupted"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "clean.jsonl").exists(), "an interrupted run must not leave a finished-looking file"

    done = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["resumed_shards"] >= 2
    _same_outputs(tmp_path / "whole", out)


def _alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie waiting for its exit status to be read has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_workers_end_when_the_main_process_is_killed(tmp_path: Path) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux's /proc to find the workers")
    (tmp_path / "corpus").mkdir()
    corpus = _corpus(tmp_path / "corpus", 60)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "cleaner", "clean", str(corpus), "-o", str(out), "-j", "2",
                                "--shard-files", "20", "--no-dedup", "-q"])
    deadline = time.monotonic() + 120
    while not list((out / WORKDIR).glob("*.pkl.zst")) and time.monotonic() < deadline:
        assert process.poll() is None, "the run finished before it could be killed"
        time.sleep(0.05)
    workers = [int(pid) for task in Path(f"/proc/{process.pid}/task").iterdir()
               for pid in (task / "children").read_text().split()]
    assert len(workers) == 2
    process.send_signal(signal.SIGKILL)  # as a job scheduler's time limit or the out-of-memory killer would
    process.wait()
    deadline = time.monotonic() + 30
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers)), "workers outlived the killed run"


def _interrupted(*_args) -> None:
    raise KeyboardInterrupt  # Ctrl-C, at the moment it stands for


def test_run_stopped_while_writing_resumes_to_identical_output_with_an_index(tmp_path: Path, monkeypatch) -> None:
    """The index gets the run's documents only once its outputs are complete: saved before, a run stopped
    while writing them found its own documents in the index on resume, and dropped them all."""
    clean([FIXTURES], tmp_path / "whole", Settings(dedup_index=tmp_path / "whole-index"))
    settings = Settings(dedup_index=tmp_path / "index")
    with monkeypatch.context() as patched:
        patched.setattr("cleaner.write.Writer.close", _interrupted)
        with pytest.raises(KeyboardInterrupt):
            clean([FIXTURES], tmp_path / "out", settings)
    assert not (tmp_path / "index").exists()
    stats = clean([FIXTURES], tmp_path / "out", Settings(dedup_index=tmp_path / "index", resume=True))
    assert stats["resumed_shards"] > 0 and stats["already_indexed"] == 0
    _same_outputs(tmp_path / "whole", tmp_path / "out")
    assert ({path.name: path.read_bytes() for path in (tmp_path / "index").iterdir()}
            == {path.name: path.read_bytes() for path in (tmp_path / "whole-index").iterdir()})


def test_resume_says_when_it_cannot_use_the_checkpoints(tmp_path: Path, monkeypatch, capsys) -> None:
    """Checkpoints of other settings are not used (README): the run says so rather than redo every shard unnoticed."""
    with monkeypatch.context() as patched:
        patched.setattr("cleaner.write.Writer.close", _interrupted)
        with pytest.raises(KeyboardInterrupt):
            clean([SEEDS], tmp_path / "out", Settings(dedup=False))
    command = ["clean", str(SEEDS), "-o", str(tmp_path / "out"), "-q", "--no-dedup", "--resume"]
    assert main([*command, "--mt-action", "drop"]) == 0
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert (stats["resumed_shards"], stats["unused_checkpoints"]) == (0, 1)
    assert "--resume: 1 checkpoint in" in capsys.readouterr().err
    assert main(command) == 0  # the run completed: nothing is left to resume
    assert "--resume: nothing to resume" in capsys.readouterr().err


class _FailsOnOne(DocumentStage):
    """A stage with a bug that one document meets."""

    name = "buggy"

    def process(self, doc: Document) -> None:
        if "boom" in doc.text:
            raise KeyError("boom")


@pytest.mark.parametrize("workers", [1, 2])
def test_an_unexpected_error_in_a_stage_fails_its_document_not_the_run(workers: int) -> None:
    """README: "Per-document stages fail one document, never the run"; only `InputError` was caught, so any
    other exception (a bug a strange document meets) stopped the run with a traceback and no output."""
    pipeline = Pipeline([Decode(), _FailsOnOne()], Settings(workers=workers, dedup=False))
    results = list(pipeline.clean(["fine text", "boom text", "more fine text"]))
    assert [r["id"] for r in results] == ["0", "2"]
    assert pipeline.errors == [{"source": "<record 1>", "severity": "error",
                                "error": "the buggy stage failed on this document: KeyError: 'boom'"}]
