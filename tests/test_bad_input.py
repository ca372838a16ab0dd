"""Bad inputs: each gets a clear error naming the file (and line), and the run goes on."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import zstandard
from conftest import FIXTURES, ROOT, read_jsonl
from test_extraction import warc_bytes

from cleaner import read
from cleaner.checkpoint import WORKDIR
from cleaner.cli import main
from cleaner.encoding import Decode, decode_bytes, legacy_encoding
from cleaner.pipeline import clean
from cleaner.settings import Settings

GOOD = "The harbour master said the new pier would open in May, two months ahead of schedule.\n"


def _errors_by_file(run) -> dict[str, dict]:
    return {Path(e["source"].split(":")[0]).name: e for e in run.errors}


def test_each_bad_file_is_reported_and_good_files_survive(run_clean) -> None:
    run = run_clean(FIXTURES / "bad")
    errors = _errors_by_file(run)
    assert errors["binary.txt"]["severity"] == "error" and "binary" in errors["binary.txt"]["error"]
    assert "broken symbolic link" in errors["broken-link.txt"]["error"]
    assert errors["empty.txt"]["severity"] == "warning"
    assert "cp1252" in errors["cp1252.txt"]["error"]
    sources = {e["source"] for e in run.errors}
    assert {f"{FIXTURES / 'bad' / 'malformed.jsonl'}:{n}" for n in (2, 3, 4)} <= sources
    assert set(run.clean) == {"cp1252.txt", "invalid-utf8.txt", "malformed.jsonl:1",
                              "malformed.jsonl:5", "mojibake.txt", "utf16.txt"}
    assert "crêpes and soufflés" in run.clean["cp1252.txt"]["text"]
    assert "choir’s first win" in run.clean["utf16.txt"]["text"]
    assert run.clean["mojibake.txt"]["text"].startswith("The café owner said the “new menu”")
    # what ftfy did, not only the kind of step ("encode", "decode", "apply": the names alone said nothing)
    assert run.clean["mojibake.txt"]["metadata"]["encoding_fixes"] == ["decode", "encode"]
    assert run.clean["mojibake.txt"]["metadata"]["encoding_steps"] == ["encode sloppy-windows-1252", "decode utf-8"]
    assert "\ufffd" in run.clean["invalid-utf8.txt"]["text"]
    assert run.removed["empty.txt"]["reason"] == "empty"


# Short news sentences in legacy charsets, apart from those `benchmarks/eval_charsets.py` measured the detection on.
SHORT_LEGACY = [
    ("cp1252", "Le théâtre rouvrira ses portes en décembre après deux ans de travaux."),
    ("cp1252", "Der Bürgermeister eröffnete am Sonntag die neue Brücke."),
    ("cp1252", "“It’s a fair deal,” the union’s negotiator said."),
    ("latin-1", "El alcalde inauguró ayer la nueva estación de autobuses."),
    ("cp1250", "Wczoraj w Krakowie otwarto nową bibliotekę miejską."),
    ("iso-8859-2", "Szpital w Łodzi dostanie pieniądze na nowy sprzęt."),
    ("cp1251", "В Москве открылась новая станция метро."),
    ("koi8-r", "Во вторник в Новосибирске выпал первый снег."),
    ("cp1253", "Στην Αθήνα άνοιξε χθες ο νέος σταθμός του μετρό."),
    ("cp1254", "Ankara'da yeni metro hattı törenle açıldı."),
    ("shift_jis", "大阪で新しい美術館が開館した。"),
    ("gb18030", "上海的新地铁线路今天开通。"),
    ("euc-kr", "부산에서 새로운 다리가 개통되었다."),
]


def test_a_file_of_another_type_named_as_input_is_read_as_text_or_refused_as_binary(tmp_path: Path,
                                                                                   run_clean) -> None:
    """A binary one was refused as "binary file (NUL bytes) with a text extension", an extension it does not have."""
    (tmp_path / "notes.csv").write_text("The council voted on Tuesday to rebuild the harbour bridge.\n")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n\x00\x01\x02\x00 stream")
    (tmp_path / "dump").write_bytes(bytes(range(1, 32)) * 4)
    run = run_clean(*(tmp_path / name for name in ("notes.csv", "scan.pdf", "dump")), dedup=False)
    assert list(run.clean) == ["notes.csv"]
    refusal = "a type cleaner does not read (a file of another type named as INPUT is read as text, when it is text)"
    assert sorted((error["source"].rsplit("/", 1)[-1], error["error"]) for error in run.errors) == [
        ("dump", f"binary content in a file without an extension, {refusal}"),
        ("scan.pdf", f"binary content in a .pdf file, {refusal}")]


@pytest.mark.parametrize(("charset", "text"), SHORT_LEGACY)
def test_a_short_legacy_text_is_decoded_right(charset: str, text: str) -> None:
    """charset-normalizer read such sentences as mac_roman, cp1252 for Polish and Turkish, or cp932 for KOI8-R."""
    decoded, note = decode_bytes(text.encode(charset), "short.txt")
    assert decoded == text and note.endswith("; decoded as " + legacy_encoding(text.encode(charset)))


def test_huge_line_and_unreadable_file(tmp_path: Path, run_clean, monkeypatch) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.txt").write_text(GOOD)
    (tmp_path / "in" / "huge.txt").write_text("word " * (10 * 1024 * 1024 + 10))  # one 50 MB line
    locked = tmp_path / "in" / "locked.txt"
    locked.write_text(GOOD)
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the read fail as it would for a user
        real = Path.read_bytes
        monkeypatch.setattr(Path, "read_bytes", lambda self: (_ for _ in ()).throw(
            PermissionError(13, "Permission denied")) if self.name == "locked.txt" else real(self))
    run = run_clean(tmp_path / "in")
    errors = _errors_by_file(run)
    assert "max-bytes" in errors["huge.txt"]["error"]
    assert "Permission denied" in errors["locked.txt"]["error"]
    assert list(run.clean) == ["good.txt"]


def test_huge_jsonl_line_names_the_line(tmp_path: Path, run_clean) -> None:
    data = tmp_path / "big.jsonl"
    data.write_text(f'{{"text": "{"x " * (9 * 1024 * 1024)}"}}\n{{"text": "{GOOD.strip()}"}}\n')
    run = run_clean(data, max_bytes=1024 * 1024)
    assert run.errors[0]["source"] == f"{data}:1" and "max-bytes" in run.errors[0]["error"]
    assert list(run.clean) == ["big.jsonl:2"]


PACKED = {"": lambda data: data, ".gz": gzip.compress, ".zst": zstandard.ZstdCompressor().compress}


def _read_at(path: Path, max_bytes: int) -> list:
    return list(read.read_file(path, path.name, "text", max_bytes))


@pytest.mark.parametrize("packed", sorted(PACKED))
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_a_jsonl_record_of_exactly_max_bytes_passes(tmp_path: Path, packed: str, newline: bytes) -> None:
    """The line break is not the record's: a line of exactly --max-bytes was refused for its b"\\n"."""
    record = json.dumps({"text": GOOD.strip()}).encode()
    data = tmp_path / f"exact.jsonl{packed}"
    data.write_bytes(PACKED[packed](record + newline + record + newline))
    assert [doc.raw for doc in _read_at(data, len(record))] == [GOOD.strip()] * 2
    refused = [err.record() for err in _read_at(data, len(record) - 1)]
    assert refused == [{"source": f"{data}:{n}", "severity": "error",
                        "error": f"line is {len(record):,} bytes, over the --max-bytes limit"} for n in (1, 2)]


def test_a_crlf_cut_between_two_pieces_is_one_line_break() -> None:
    assert list(read._lines(iter([b"abc\r", b"\ndefg\r", b"\n"]), 3)) == [b"abc\r\n", 4]


@pytest.mark.parametrize(("name", "pack"), [("a.txt", bytes), ("a.html", bytes), ("a.html.gz", gzip.compress)])
def test_a_file_of_exactly_max_bytes_passes(tmp_path: Path, name: str, pack) -> None:
    content = f"<p>{GOOD}</p>".encode()
    path = tmp_path / name
    path.write_bytes(pack(content))
    assert [doc.raw for doc in _read_at(path, len(content))] == [content]
    [refused] = _read_at(path, len(content) - 1)
    assert refused.source == str(path) and f"over the --max-bytes limit of {len(content) - 1:,}" in refused.message


def test_a_warc_record_of_exactly_max_bytes_passes(tmp_path: Path) -> None:
    page = f"<html><body><p>{GOOD}</p></body></html>"
    crawl = tmp_path / "crawl.warc"
    crawl.write_bytes(warc_bytes([("https://a.example/1", page)]))
    assert [doc.raw for doc in _read_at(crawl, len(page))] == [page.encode()]
    [refused] = _read_at(crawl, len(page) - 1)
    assert refused.record() == {"source": f"{crawl}:1", "severity": "error",
                                "error": f"record is over the --max-bytes limit of {len(page) - 1:,}"}


def test_a_compressed_line_of_gigabytes_is_refused_without_being_held(tmp_path: Path) -> None:
    """A zstd block of a few bytes stands for 128 KiB, so a file of kilobytes can hold a line of gigabytes: it is
    measured, not held, and the line after it is read."""
    data = tmp_path / "bomb.jsonl.zst"
    with open(data, "wb") as raw, zstandard.ZstdCompressor().stream_writer(raw) as out:
        out.write(b'{"text": "')
        block = b"a" * (16 << 20)
        for _ in range(16):
            out.write(block)
        out.write(b'"}\n' + json.dumps({"text": GOOD}).encode() + b"\n")
    del block
    assert data.stat().st_size < 100_000
    tracemalloc.start()
    try:
        records = list(read._read_jsonl(data, str(data), "bomb", "text", 1 << 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 96 << 20  # a decompressed piece (at most 32 MiB) and the line cut from it
    assert records[0].record() == {"source": f"{data}:1", "severity": "error",
                                   "error": f"line is {(256 << 20) + 12:,} bytes, over the --max-bytes limit"}
    assert records[1].raw == GOOD


def _records(count: int) -> bytes:
    return "".join(f'{{"text": "Record {i} says the pier will open in May, ahead of schedule."}}\n'
                   for i in range(count)).encode()


def _zstd_flushed(data: bytes) -> bytes:
    """A zstd frame with a block flushed every 100 lines, as a writer streaming records makes it: a
    block decompresses whole or not at all, and one-shot compression makes a single block of short input."""
    writer = zstandard.ZstdCompressor().compressobj()
    lines = data.splitlines(keepends=True)
    blocks = (writer.compress(b"".join(lines[i: i + 100])) + writer.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
              for i in range(0, len(lines), 100))
    return b"".join(blocks) + writer.flush()


COMPRESSORS = {"gz": ("gzip", gzip.compress), "zst": ("zstd", _zstd_flushed)}
LIGHT = {"dedup": False, "junk": False, "language": False, "mt": False}  # only reading is under test


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_truncated_stream_keeps_records_before_the_damage(tmp_path: Path, run_clean, suffix: str) -> None:
    name, compress = COMPRESSORS[suffix]
    blob = compress(_records(2000))
    cut = tmp_path / f"cut.jsonl.{suffix}"
    cut.write_bytes(blob[: len(blob) // 2])
    run = run_clean(cut, **LIGHT)
    kept = run.stats["documents_in"]
    assert 0 < kept < 2000
    assert set(run.clean) == {f"cut.jsonl.{suffix}:{n}" for n in range(1, kept + 1)}
    assert run.errors == [{"source": str(cut), "severity": "error",
                           "error": f"truncated {name} stream after line {kept}"}]


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_stream_cut_at_a_line_boundary_is_reported(tmp_path: Path, run_clean, suffix: str) -> None:
    """Members or frames of one line each: the cut leaves whole lines, and only the error tells."""
    name, compress = COMPRESSORS[suffix]
    parts = [compress(line + b"\n") for line in _records(6).splitlines()]
    cut = tmp_path / f"lines.jsonl.{suffix}"
    cut.write_bytes(b"".join(parts[:5]) + parts[5][: len(parts[5]) // 2])
    whole = tmp_path / f"whole.jsonl.{suffix}"
    whole.write_bytes(b"".join(parts))
    run = run_clean(cut, whole, **LIGHT)
    assert run.errors == [{"source": str(cut), "severity": "error",
                           "error": f"truncated {name} stream after line 5"}]
    assert len(run.clean) == 11


def test_stream_too_short_for_one_line(tmp_path: Path, run_clean) -> None:
    blob = zstandard.ZstdCompressor().compress(_records(50))
    cut = tmp_path / "trunc.jsonl.zst"
    cut.write_bytes(blob[: len(blob) // 2])
    run = run_clean(cut, **LIGHT)
    assert run.errors == [{"source": str(cut), "severity": "error",
                           "error": "truncated zstd stream before its first line"}]


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_jsonl_byte_order_mark_is_skipped(tmp_path: Path, run_clean, suffix: str) -> None:
    data = codecs.BOM_UTF8 + _records(2)
    path = tmp_path / f"bom.jsonl{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)
    run = run_clean(path, **LIGHT)
    assert not run.errors and set(run.clean) == {f"bom.jsonl{suffix}:1", f"bom.jsonl{suffix}:2"}


def test_empty_jsonl_is_a_warning_like_an_empty_text(tmp_path: Path, run_clean) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.jsonl").write_bytes(b"")
    (tmp_path / "in" / "blank.jsonl").write_bytes(b"\n \n")
    (tmp_path / "in" / "empty.jsonl.gz").write_bytes(gzip.compress(b""))
    run = run_clean(tmp_path / "in", **LIGHT)
    assert {e["source"]: (e["severity"], e["error"]) for e in run.errors} == {
        str(tmp_path / "in" / name): ("warning", "empty file: no JSON lines")
        for name in ("empty.jsonl", "blank.jsonl", "empty.jsonl.gz")}


def test_file_name_that_is_not_utf8_is_named_safely_and_the_run_goes_on(tmp_path: Path, run_clean) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.txt").write_text(GOOD)
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text(GOOD.replace("May", "June"))
    (folder / os.fsdecode(b"r\xe9c.jsonl")).write_text(f'{{"text": "{GOOD.strip()}"}}\n')
    (folder / os.fsdecode(b"gone\xff.txt")).symlink_to(os.fsdecode(b"nowhere\xe9.txt"))
    run = run_clean(folder)
    assert set(run.clean) | set(run.removed) == {"ok.txt", "caf\\xe9.txt", "r\\xe9c.jsonl:1"}
    assert run.clean["caf\\xe9.txt"]["source"] == f"{folder}/caf\\xe9.txt"
    assert run.errors == [{"source": f"{folder}/gone\\xff.txt", "severity": "error",
                           "error": "broken symbolic link to nowhere\\xe9.txt"}]
    (run.outdir / "clean.jsonl").read_text(encoding="utf-8")  # valid UTF-8


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_is_refused_not_opened(tmp_path: Path) -> None:
    """Opening a pipe would wait for a writer forever: the run goes through the command line, so a
    regression fails on the timeout instead of hanging the tests."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD)
    os.mkfifo(folder / "fifo.txt")
    os.mkfifo(folder / "fifo.jsonl.gz")
    command = [sys.executable, "-m", "cleaner", "clean", str(folder), "-o", str(tmp_path / "out"), "-q"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    errors = read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert errors == [{"source": str(folder / name), "severity": "error", "error": "not a regular file (named pipe)"}
                      for name in ("fifo.jsonl.gz", "fifo.txt")]
    assert [r["id"] for r in read_jsonl(tmp_path / "out" / "clean.jsonl")] == ["a.txt"]


def test_text_no_one_writes_takes_time_in_proportion_to_its_length(tmp_path: Path) -> None:
    """Scrapers leave text no person writes: a base64 blob on one line, a list of one-word lines. Both once took
    time growing with the square of their length (the css rule: a minute for 64 KB of letters; reflow: 21 s for
    20,000 one-word lines), so a single such file could hold up a run for hours. Through the command line, a
    regression fails on the timeout (ten times what the run takes) instead of hanging the tests."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "blob.txt").write_text("QUJDZGVm" * (1 << 15))  # 256 KiB of base64
    (folder / "list.txt").write_text("word\n" * 50_000)
    (folder / "a.txt").write_text(GOOD)
    command = [sys.executable, "-m", "cleaner", "clean", str(folder), "-o", str(tmp_path / "out"), "-q"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    ids = {r["id"] for name in ("clean.jsonl", "removed.jsonl") for r in read_jsonl(tmp_path / "out" / name)}
    assert sorted(ids) == ["a.txt", "blob.txt", "list.txt"]  # each done (a kept one may also have removed lines)


def test_linked_folders_are_read_once_and_loops_end(tmp_path: Path, run_clean) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "deep").mkdir(parents=True)
    (elsewhere / "far.txt").write_text(GOOD)
    (elsewhere / "deep" / "deeper.txt").write_text(GOOD)
    (elsewhere / "deep" / "loop").symlink_to(elsewhere)  # back up: a walk that follows it never ends
    root = tmp_path / "in"
    (root / "real").mkdir(parents=True)
    (root / "real" / "near.txt").write_text(GOOD)
    (root / "a-link").symlink_to(root / "real")  # inside the root: its files keep their own ids
    (root / "b-ext").symlink_to(elsewhere)
    (root / "c-ext").symlink_to(elsewhere)  # a second way to the same folder
    (tmp_path / "link-to-in").symlink_to(root)
    run = run_clean(tmp_path / "link-to-in", **LIGHT)
    assert not run.errors
    assert sorted(run.clean) == ["b-ext/deep/deeper.txt", "b-ext/far.txt", "real/near.txt"]
    assert run.clean["b-ext/far.txt"]["source"] == str(tmp_path / "link-to-in" / "b-ext" / "far.txt")


def test_output_folder_inside_the_input_is_not_read_back(tmp_path: Path, run_clean, capsys) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text(GOOD)
    for _ in range(2):  # the second run finds the first's clean.jsonl, report.html...
        stats = clean([root], root / "out", Settings(**LIGHT))
        assert stats["documents_in"] == 1 and stats["skipped_files"] == 0
    (root / "out" / WORKDIR).mkdir()
    (root / "out" / WORKDIR / "left.jsonl").write_text(f'{{"text": "{GOOD.strip()}"}}\n')
    assert clean([root], root / "out", Settings(resume=True, **LIGHT))["documents_in"] == 1
    run = run_clean(root, **LIGHT)  # into another folder: the earlier run's output is left out, and named
    assert list(run.clean) == ["a.txt"] and run.stats["earlier_outputs"] == [str(root / "out")]
    assert "clean.jsonl:1" in run_clean(root / "out", **LIGHT).clean  # named as INPUT, it is cleaned again
    assert main(["clean", str(root), "-o", str(tmp_path / "again"), "-q", "--no-dedup"]) == 0
    assert f"left out 1 output folder of an earlier run found in the input (name such a folder as INPUT to clean it " \
           f"again): {root / 'out'}" in capsys.readouterr().err
    shutil.rmtree(root / "out")
    index = {**LIGHT, "dedup": True, "dedup_index": root / "index"}
    for _ in range(2):  # nor the dedup index's files (counted as skipped files if walked)
        assert clean([root], tmp_path / "indexed", Settings(**index))["skipped_files"] == 0
    assert (root / "index").is_dir()


def test_output_folder_that_is_an_input_stops_the_run(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    assert main(["clean", str(tmp_path), "-o", str(tmp_path), "-q"]) == 2
    assert "is an output folder of this run" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_files_of_other_types_are_counted_and_named(tmp_path: Path, capsys) -> None:
    other = tmp_path / "other"
    other.mkdir()
    for name in ("a.json", "b.txt.gz", "c.jsonl.bz2", "d.csv", "e.xml"):
        (other / name).write_text(GOOD)
    assert main(["clean", str(other), "-o", str(tmp_path / "o1"), "-q"]) == 2  # nothing could be processed
    err = capsys.readouterr().err
    assert "skipped 5 files" in err and f"{other / 'a.json'}, {other / 'b.txt.gz'}" in err
    stats = json.loads((tmp_path / "o1" / "stats.json").read_text())
    assert stats["skipped_files"] == 5 and stats["documents_in"] == 0
    (other / "f.txt").write_text(GOOD)
    assert main(["clean", str(other), "-o", str(tmp_path / "o2"), "-q"]) == 0
    assert "skipped 5 files" in capsys.readouterr().err


def test_rule_file_with_invalid_regex_is_reported_and_run_goes_on(tmp_path: Path, run_clean) -> None:
    pack = tmp_path / "site.yaml"
    pack.write_text("rules:\n  - id: bad\n    description: d\n    kind: line\n    pattern: '[a-'\n"
                    "    examples: {match: ['a']}\n")
    (tmp_path / "a.txt").write_text(GOOD)
    run = run_clean(tmp_path / "a.txt", rule_paths=[pack])
    assert run.errors[0]["source"] == f"{pack}:2" and "invalid regex" in run.errors[0]["error"]
    assert list(run.clean) == ["a.txt"]


def test_exit_status(tmp_path: Path, capsys) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.txt").write_text(GOOD)
    assert main(["clean", str(tmp_path / "ok"), "-o", str(tmp_path / "o1"), "-q"]) == 0
    (tmp_path / "ok" / "b.txt").write_bytes(b"\x00\x01\x02" * 100)
    assert main(["clean", str(tmp_path / "ok"), "-o", str(tmp_path / "o2"), "-q"]) == 1
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "b.txt").write_bytes(b"\x00\x01\x02" * 100)
    assert main(["clean", str(tmp_path / "bad"), "-o", str(tmp_path / "o3"), "-q"]) == 2
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(tmp_path / "missing"), "-o", str(tmp_path / "o4")])
    assert stop.value.code == 2 and "input not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(tmp_path / "ok"), "-o", str(tmp_path / "o5"), "--mt-action", "burn"])
    assert stop.value.code == 2


def test_a_killed_worker_names_the_inputs_in_flight_with_exit_status_3(tmp_path: Path, capsys, monkeypatch) -> None:
    """A worker the out-of-memory killer ended stopped the run with BrokenProcessPool's traceback, naming nothing."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "huge.txt").write_text(GOOD)
    decode = Decode.process

    def killed_on_huge(stage: Decode, doc) -> None:
        if doc.source.endswith("huge.txt"):
            os.kill(os.getpid(), signal.SIGKILL)  # in a forked worker, as the kernel does
        decode(stage, doc)

    monkeypatch.setattr(Decode, "process", killed_on_huge)
    assert main(["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q", "-j", "2"]) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "a worker process was killed" in err and "huge.txt" in err and "--resume" in err


def test_unreadable_folder_is_an_error_and_the_run_goes_on(tmp_path: Path, run_clean, monkeypatch) -> None:
    """Root reads any folder: listing `locked` fails here as `chmod 000` makes it fail for a user."""
    root = tmp_path / "in"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "hidden-from-us.txt").write_text(GOOD)
    (root / "open").mkdir()
    (root / "open" / "a.txt").write_text(GOOD)
    real = os.scandir

    def scandir(path=".", *args):
        if str(path).endswith("/locked"):  # paths only: shutil.rmtree lists folders by descriptor
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    run = run_clean(root, **LIGHT)
    assert run.errors == [{"source": str(root / "locked"), "severity": "error",
                           "error": "cannot read folder: Permission denied"}]
    assert list(run.clean) == ["open/a.txt"]


def test_jsonl_line_that_is_not_utf8_is_decoded_like_a_text_file(tmp_path: Path, run_clean) -> None:
    data = tmp_path / "legacy.jsonl"
    data.write_bytes(b'{"text": "The harbour master said \x93the new pier\x94 would open in May, ahead of schedule."}\n'
                     b'{"text": "A line cut \x93 short\n'
                     + _records(1))
    run = run_clean(data, **LIGHT)
    assert "\u201cthe new pier\u201d would open" in run.clean["legacy.jsonl:1"]["text"]
    note = "not valid UTF-8 at byte 34; decoded as cp1252"
    assert run.clean["legacy.jsonl:1"]["metadata"]["encoding_note"] == note
    assert run.errors[0] == {"source": f"{data}:1", "severity": "warning", "error": note}
    assert run.errors[1]["source"] == f"{data}:2" and run.errors[1]["severity"] == "error"
    assert run.errors[1]["error"].startswith("malformed JSON: ") and len(run.errors) == 2
    assert "legacy.jsonl:3" in run.clean


def test_ids_are_unique_across_roots_whatever_their_order(tmp_path: Path) -> None:
    for root, text in (("x", GOOD), ("y", GOOD.replace("May", "June")), ("deep/x", GOOD.replace("May", "July"))):
        (tmp_path / root).mkdir(parents=True)
        (tmp_path / root / "a.txt").write_text(text)
    (tmp_path / "x" / "only-x.txt").write_text(GOOD.replace("pier", "bridge"))
    (tmp_path / "y" / "copy.jsonl").write_text(json.dumps({"text": GOOD.strip()}) + "\n")
    roots = [tmp_path / "x", tmp_path / "y"]
    outputs = [tmp_path / "forward", tmp_path / "backward"]
    for order, outdir in zip((roots, roots[::-1]), outputs, strict=True):
        clean(order, outdir, Settings(**{**LIGHT, "dedup": True}))
    for name in ("clean.jsonl", "removed.jsonl", "errors.jsonl"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes()
    kept = [r["id"] for r in read_jsonl(outputs[0] / "clean.jsonl")]
    assert kept == ["copy.jsonl:1", "only-x.txt", "y/a.txt"]  # an id no other root has does not move
    removed = read_jsonl(outputs[0] / "removed.jsonl")  # the same text as the record: the tie goes by id
    assert [(r["id"], r["duplicate_of"]) for r in removed] == [("x/a.txt", "copy.jsonl:1")]
    # roots of one name: as much of their paths as tells them apart
    stats = clean([tmp_path / "deep" / "x", tmp_path / "x", tmp_path / "x"], tmp_path / "same-name", Settings(**LIGHT))
    assert stats["documents_in"] == 3  # a root given twice is read once
    assert [r["id"] for r in read_jsonl(tmp_path / "same-name" / "clean.jsonl")] == [
        "deep/x/a.txt", "only-x.txt", f"{tmp_path.name}/x/a.txt"]
    # files given as inputs are told apart by their folders
    clean([tmp_path / "y" / "a.txt", tmp_path / "x" / "a.txt"], tmp_path / "files", Settings(**LIGHT))
    assert [r["id"] for r in read_jsonl(tmp_path / "files" / "clean.jsonl")] == ["x/a.txt", "y/a.txt"]


def test_truncated_html_gz_says_so(tmp_path: Path, run_clean) -> None:
    page = f"<html><body><article><p>{GOOD}</p></article></body></html>".encode()
    blob = gzip.compress(page * 50)
    (tmp_path / "cut.html.gz").write_bytes(blob[: len(blob) // 2])
    (tmp_path / "junk.html.gz").write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    run = run_clean(tmp_path, **LIGHT)
    assert run.errors[0] == {"source": str(tmp_path / "cut.html.gz"), "severity": "error",
                             "error": "truncated gzip stream"}
    assert run.errors[1]["source"] == str(tmp_path / "junk.html.gz")
    assert run.errors[1]["error"].startswith("corrupt gzip stream (")
    big = tmp_path / "big" / "big.html.gz"
    big.parent.mkdir()
    big.write_bytes(gzip.compress(page * 100))
    error = run_clean(big.parent, max_bytes=len(page) * 10, **LIGHT).errors
    assert error == [{"source": str(big), "severity": "error",
                      "error": f"decompressed content is over the --max-bytes limit of {len(page) * 10:,}"}]


def test_hidden_folders_are_left_out_unless_named(tmp_path: Path, run_clean) -> None:
    root = tmp_path / "in"
    for folder in (".git/objects", ".cache", "sub/.svn", "sub/.out"):
        (root / folder).mkdir(parents=True)
    (root / ".git" / "objects" / "pack.txt").write_text(GOOD)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / "sub" / ".svn" / "entries.txt").write_text(GOOD)
    (root / "sub" / "a.txt").write_text(GOOD)
    (root / ".hidden-file.txt").write_text(GOOD.replace("May", "June"))  # only folders are hidden
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "far.txt").write_text(GOOD.replace("May", "July"))
    (root / ".link").symlink_to(tmp_path / "elsewhere")
    (root / "link").symlink_to(tmp_path / "elsewhere")  # the same place under a name that is not hidden
    stats = clean([root], root / "sub" / ".out", Settings(**LIGHT))  # an output folder is not counted
    assert (stats["documents_in"], stats["skipped_files"], stats["hidden_folders"]) == (3, 0, 4)
    assert [r["id"] for r in read_jsonl(root / "sub" / ".out" / "clean.jsonl")] == [
        ".hidden-file.txt", "link/far.txt", "sub/a.txt"]
    run = run_clean(root / ".git", **LIGHT)  # named as an input, it is read
    assert list(run.clean) == ["objects/pack.txt"] and run.stats["skipped_files"] == 1
    assert run.stats["hidden_folders"] == 0


def test_a_run_repeated_into_its_index_says_its_documents_were_there(tmp_path: Path, capsys) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD)
    (tmp_path / "in" / "b.txt").write_text(GOOD.replace("harbour master", "mayor").replace("May", "June"))
    command = ["clean", str(tmp_path / "in"), "--index", str(tmp_path / "index"), "--no-mt", "--no-language"]
    assert main([*command, "-o", str(tmp_path / "o1"), "-q"]) == 0
    assert "already in the index" not in capsys.readouterr().err
    (tmp_path / "in" / "c.txt").write_text(GOOD.replace("pier", "bridge").replace("May", "March"))
    (tmp_path / "in" / "b.txt").write_text(GOOD.replace("harbour master", "mayor").replace("May", "June") + "Updated.")
    assert main([*command, "-o", str(tmp_path / "o2"), "-q"]) == 0
    said = "cleaner: 1 document was already in the index (same id and text), so it counts as a duplicate of itself"
    assert said in capsys.readouterr().err
    stats = json.loads((tmp_path / "o2" / "stats.json").read_text())
    assert stats["already_indexed"] == 1 and stats["already_indexed_examples"] == ["a.txt"]
    removed = {r["id"]: r for r in read_jsonl(tmp_path / "o2" / "removed.jsonl")}
    assert removed["a.txt"]["duplicate_of"] == "a.txt" and removed["a.txt"]["reason"] == "duplicate"
    assert removed["b.txt"]["duplicate_of"] == "b.txt"  # changed since: a duplicate of its old self, not "already"
    assert [r["id"] for r in read_jsonl(tmp_path / "o2" / "clean.jsonl")] == ["c.txt"]
    assert json.loads((tmp_path / "index" / "meta.json").read_text())["count"] == 3
    flagged = main([*command, "--dedup-action", "flag", "-o", str(tmp_path / "o3"), "-q"])
    assert flagged == 0 and "2 documents were already in the index" in capsys.readouterr().err
    assert json.loads((tmp_path / "index" / "meta.json").read_text())["count"] == 4  # b.txt's new text, kept


def test_a_file_under_two_inputs_is_read_once(tmp_path: Path) -> None:
    root = tmp_path / "x"
    (root / "sub").mkdir(parents=True)
    (root / "top.txt").write_text(GOOD)
    (root / "sub" / "a.txt").write_text(GOOD.replace("May", "June"))
    (root / "sub" / "gone.txt").symlink_to("nowhere.txt")  # unreadable: its error was reported once per path to it
    (tmp_path / "link").symlink_to(root / "sub")  # the same folder by another path
    inside = [root / "sub", root / "top.txt", tmp_path / "link"]
    for order, outdir in ((inside, "forward"), (inside[::-1], "backward")):
        stats = clean([*order, root], tmp_path / outdir, Settings(**LIGHT))
        assert stats["documents_in"] == 2
        assert [e["source"] for e in read_jsonl(tmp_path / outdir / "errors.jsonl")] == [str(root / "sub" / "gone.txt")]
        # the id and source it has under the input holding the others, as if given alone
        assert [(r["id"], r["source"]) for r in read_jsonl(tmp_path / outdir / "clean.jsonl")] == [
            ("sub/a.txt", str(root / "sub" / "a.txt")), ("top.txt", str(root / "top.txt"))]


def test_text_after_a_byte_order_mark_that_does_not_fit_it_fails_no_run(tmp_path: Path, run_clean) -> None:
    """A UTF-8 mark before cp1252 text (an editor's), or UTF-16 cut at an odd byte (a download cut short), is
    decoded as well as it can be, with a warning; it used to raise out of the stage and stop the whole run."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "marked.txt").write_bytes(codecs.BOM_UTF8 + GOOD.replace("harbour", "caf\xe9").encode("cp1252"))
    (tmp_path / "in" / "cut16.txt").write_bytes(GOOD.encode("utf-16")[:-1])
    (tmp_path / "in" / "good.txt").write_text(GOOD.replace("May", "June"))
    run = run_clean(tmp_path / "in", **LIGHT)
    assert "The café master said" in run.clean["marked.txt"]["text"]
    assert run.clean["marked.txt"]["metadata"]["encoding_note"] == "not valid UTF-8 at byte 10; decoded as cp1252"
    assert run.clean["cut16.txt"]["text"].startswith("The harbour master said the new pier")
    assert "U+FFFD" in run.clean["cut16.txt"]["metadata"]["encoding_note"]
    assert {Path(e["source"]).name: e["severity"] for e in run.errors} == {"marked.txt": "warning",
                                                                           "cut16.txt": "warning"}
    assert "good.txt" in run.clean


def test_jsonl_byte_order_mark_inside_the_file_is_skipped(tmp_path: Path, run_clean) -> None:
    """Files that each start with a mark, concatenated (`cat a.jsonl b.jsonl`), carry one in the middle."""
    data = tmp_path / "joined.jsonl"
    data.write_bytes(codecs.BOM_UTF8 + _records(1) + codecs.BOM_UTF8 + _records(2)[len(_records(1)):])
    run = run_clean(data, **LIGHT)
    assert not run.errors and set(run.clean) == {"joined.jsonl:1", "joined.jsonl:2"}


def test_jsonl_lone_surrogate_escape_keeps_the_record(tmp_path: Path, run_clean) -> None:
    """`\\ud800` is valid JSON (Python's json.dumps writes it for text cut inside a surrogate pair) but no
    character: it becomes U+FFFD with a warning, where orjson refused the whole line."""
    data = tmp_path / "surrogates.jsonl"
    data.write_bytes(b'{"text": "The pier \\ud800 will open in May, ahead of schedule.", "title": "Pier \\udc00"}\n'
                     b'{"text": "A pair \\ud83d\\ude00 stays one character, says the harbour master."}\n')
    run = run_clean(data, **LIGHT)
    first = run.clean["surrogates.jsonl:1"]
    assert first["text"] == "The pier \ufffd will open in May, ahead of schedule."
    assert first["metadata"]["title"] == "Pier \ufffd"
    assert run.errors == [{"source": f"{data}:1", "severity": "warning",
                           "error": "2 lone surrogate escapes replaced with U+FFFD"}]
    assert "\U0001f600" in run.clean["surrogates.jsonl:2"]["text"]


def test_jsonl_text_field_of_another_type_is_named_as_such(tmp_path: Path, run_clean) -> None:
    """`{"text": 12345}` has the field: "no string field 'text' (see --text-field)" sent users looking for a typo."""
    data = tmp_path / "typed.jsonl"
    data.write_bytes(b'{"text": 12345}\n{"text": ["a", "b"]}\n{"body": "x"}\n' + _records(1)
                     + b'{"text": 5, "html": "<p>A page.</p>"}\n')
    run = run_clean(data, **LIGHT)
    assert [(e["source"], e["error"]) for e in run.errors] == [
        (f"{data}:1", "field 'text' is int, not a string"),
        (f"{data}:2", "field 'text' is list, not a string"),
        (f"{data}:3", "no string field 'text' (see --text-field) or 'html'"),
        (f"{data}:5", "field 'text' is int, not a string")]  # the text field is taken as given, not the page
    assert list(run.clean) == ["typed.jsonl:4"]


def test_jsonl_blank_html_field_is_named_as_such(tmp_path: Path, run_clean) -> None:
    """`{"html": "   "}` was "no string field 'text' or 'html'", though the record has a string field 'html'."""
    data = tmp_path / "pages.jsonl"
    data.write_bytes(b'{"html": "   "}\n{"html": "", "url": "https://a.example/1"}\n' + _records(1))
    run = run_clean(data, **LIGHT)
    blank = "field 'html' is blank (no page to extract) and there is no field 'text' (see --text-field)"
    assert [(e["source"], e["error"]) for e in run.errors] == [(f"{data}:1", blank), (f"{data}:2", blank)]
    assert list(run.clean) == ["pages.jsonl:3"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_text_not_binary(tmp_path: Path, run_clean, encoding: str) -> None:
    """`iconv -t UTF-16LE` and some Windows exports write no mark: every other byte of such text is NUL, which
    made it a "binary file"; a file with NUL bytes in no such pattern still is one."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "wide.txt").write_bytes(GOOD.replace("harbour", "café").encode(encoding))
    (tmp_path / "in" / "binary.txt").write_bytes(bytes(range(256)) * 8)
    run = run_clean(tmp_path / "in", **LIGHT)
    assert run.clean["wide.txt"]["text"] == GOOD.replace("harbour", "café")
    assert run.clean["wide.txt"]["metadata"]["encoding_note"] == f"no byte-order mark; decoded as {encoding}"
    assert "binary" in _errors_by_file(run)["binary.txt"]["error"]


def test_jsonl_nan_and_infinity_that_python_writes_keep_the_record(tmp_path: Path, run_clean) -> None:
    """Python's json.dumps writes NaN and Infinity (a missing score from pandas): orjson refused the whole line
    as malformed; the standard parser reads it, and the output holds null as orjson writes such a number."""
    data = tmp_path / "scores.jsonl"
    data.write_bytes(b'{"text": "The pier will open in May, ahead of schedule.", "score": NaN, "rank": -Infinity, '
                     b'"n": 123456789012345678901234567890}\n'
                     b'{"text": "Not JSON at all\n' + _records(1) + b'{"x": ' + b"[" * 10**5 + b"]" * 10**5 + b'}\n'
                     + b'{"text": "x", "n": ' + b"1" * 400 + b', "s": NaN}\n')
    run = run_clean(data, **LIGHT)
    assert run.clean["scores.jsonl:1"]["metadata"] == {"score": None, "rank": None, "n": 1.2345678901234568e29}
    assert [(e["source"], e["error"]) for e in run.errors] == [
        (f"{data}:2", "malformed JSON: unexpected control character in string: line 1 column 26 (char 25)"),
        (f"{data}:4", "malformed JSON: depth limit exceeded: line 1 column 1031 (char 1030)"),
        (f"{data}:5", "malformed JSON: number is infinity when parsed as double: line 1 column 20 (char 19)")]
    assert "scores.jsonl:3" in run.clean


def test_an_output_folder_that_cannot_be_made_is_named_with_exit_status_2(tmp_path: Path, capsys) -> None:
    """-o naming a file (or a folder under one) ended in a NotADirectoryError traceback."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD)
    (tmp_path / "taken").write_text("a file, not a folder")
    for outdir in (tmp_path / "taken", tmp_path / "taken" / "sub"):
        assert main(["clean", str(tmp_path / "in"), "-o", str(outdir), "-q"]) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert "cleaner: cannot write the output" in err and str(tmp_path / "taken") in err
    assert (tmp_path / "taken").read_text() == "a file, not a folder"


def test_control_characters_leave_an_ascii_text_as_any_other(tmp_path: Path, run_clean) -> None:
    """ftfy takes NUL and other control characters out (a NUL breaks C strings and PostgreSQL text), but a text
    all ASCII skipped ftfy: "\\u0000" in a JSONL record stayed in clean.jsonl unless the text had an "é"."""
    data = tmp_path / "controls.jsonl"
    data.write_bytes(b'{"text": "The harbour master said\\u0000 the new pier\\u0007 would open in May."}\n'
                     b'{"text": "The caf\\u00e9 owner said\\u0000 the new menu\\u0007 starts in May."}\n')
    run = run_clean(data, **LIGHT)
    assert run.clean["controls.jsonl:1"]["text"] == "The harbour master said the new pier would open in May."
    assert run.clean["controls.jsonl:2"]["text"] == "The café owner said the new menu starts in May."


def test_an_unexpected_error_reading_a_file_fails_that_file_not_the_run(tmp_path: Path, run_clean,
                                                                         monkeypatch) -> None:
    """The reader runs in the main process, outside the workers' net: an exception it did not foresee (as the
    OverflowError and RecursionError of odd JSON lines were) stopped the run. It now fails that file, named, with
    the lines before it kept."""
    real = read._jsonl_document

    def buggy(line: bytes, source: str, doc_id: str, text_field: str):
        if source.endswith("b.jsonl:2"):
            raise RuntimeError("a bug")
        return real(line, source, doc_id, text_field)

    monkeypatch.setattr(read, "_jsonl_document", buggy)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "b.jsonl").write_bytes(_records(3))
    (tmp_path / "in" / "c.txt").write_text(GOOD)
    run = run_clean(tmp_path / "in", **LIGHT)
    assert set(run.clean) == {"b.jsonl:1", "c.txt"}
    assert [(e["source"], e["error"]) for e in run.errors] == [
        (str(tmp_path / "in" / "b.jsonl"), "cannot read file: RuntimeError: a bug")]


def test_a_legacy_encoding_must_fit_the_whole_file_not_only_the_words_weighed():
    """The reading is chosen on a sample of the file's words; an encoding the rest of the file is invalid in must
    not be chosen, or decoding the file fails after all."""
    from cleaner.encoding import SAMPLE, decode_bytes

    head = " ".join(["Привет мир"] * (SAMPLE // 10)).encode("cp1251")
    data = head + " tail \x98".encode("latin-1")  # 0x98 is undefined in cp1251, defined in cp1252
    text, note = decode_bytes(data, "mixed.txt")
    assert note is not None and "decoded as" in note
    assert text.endswith("tail \x98".encode("latin-1").decode(note.rsplit(" ", 1)[1]))


@pytest.mark.parametrize("separator", ["\v", "\f", "\x1e"])
def test_vertical_tab_and_form_feed_are_line_breaks(tmp_path: Path, run_clean, separator: str) -> None:
    """Word's text export ends a manual line with a vertical tab and pdftotext a page with a form feed: ftfy
    deleted the vertical tab, gluing two sentences, and the form feed stayed in the clean text, so no rule saw the
    line after it."""
    data = tmp_path / "breaks.jsonl"
    lines = ["The ferry runs twice a day.", "Share this article",
             "The harbour master said the new pier would open in May, two months ahead of schedule."]
    data.write_text(json.dumps({"text": separator.join(lines)}) + "\n")
    run = run_clean(data, **{**LIGHT, "junk": True, "lines": False})
    assert run.errors == []
    text = run.clean["breaks.jsonl:1"]["text"]
    assert text == f"{lines[0]}\n\n{lines[2]}"
