"""The run as a whole: outputs, determinism, dedup, formats, the command line."""

from __future__ import annotations

import gc
import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
from conftest import FIXTURES, SEEDS, read_jsonl

from cleaner.cli import main
from cleaner.pipeline import clean
from cleaner.plural import counted, noun
from cleaner.settings import Settings


def test_output_is_byte_identical_whatever_the_input_order(tmp_path: Path) -> None:
    """errors.jsonl too, errors and warnings, with one worker or two."""
    a, b = tmp_path / "a", tmp_path / "b"
    clean([FIXTURES / "formats", FIXTURES / "bad", FIXTURES / "rules"], a, Settings())
    clean([FIXTURES / "rules", FIXTURES / "bad", FIXTURES / "formats"], b, Settings(workers=2, shard_files=2))
    assert {error["severity"] for error in read_jsonl(a / "errors.jsonl")} == {"error", "warning"}
    for name in ("clean.jsonl", "removed.jsonl", "errors.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert not list(a.glob(".*.partial"))


def test_the_heap_is_frozen_only_during_a_run(tmp_path: Path) -> None:
    frozen = []
    clean([SEEDS], tmp_path / "out", Settings(), on_document=lambda _doc: frozen.append(gc.get_freeze_count()))
    assert frozen and min(frozen) > 0  # the models were frozen out of collection while documents streamed
    assert gc.get_freeze_count() == 0  # and a library caller's heap is collected as before once it returns


def test_near_duplicate_with_other_junk_joins_the_cluster(tmp_path: Path, run_clean) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    seed = (SEEDS / "003_ce0da56c2b478df6.txt").read_text(encoding="utf-8")
    farm = "\nLatest World News\nSee more Latest World News\nSchool knife attack kills 8\nFloods hit Spain\n"
    (corpus / "zz_copy.txt").write_text(seed.replace("Comments are closed.", "") + farm, encoding="utf-8")
    run = run_clean(corpus)
    assert len(run.clean) == 5
    dropped = run.removed["zz_copy.txt"]
    assert dropped["reason"] == "duplicate"
    assert dropped["duplicate_of"] == "003_ce0da56c2b478df6.txt"
    assert run.clean["003_ce0da56c2b478df6.txt"]["cluster_size"] == 2


def test_formats_and_metadata(run_clean) -> None:
    run = run_clean(FIXTURES / "formats")
    html = run.clean["article.html"]
    assert html["title"] == "Bridge reopens after repairs"
    assert "Copyright" not in html["text"] and "tracking" not in html["text"]
    assert run.clean["records.jsonl:1"]["metadata"] == {"url": "https://example.com/a", "site": "example"}
    assert run.clean["records.jsonl:1"]["source"].endswith("records.jsonl:1")
    assert run.clean["records.jsonl:2"]["language"] == "de"
    assert run.clean["records.jsonl.gz:1"]["metadata"]["id"] == "air-1"
    assert run.clean["records.jsonl.zst:1"]["metadata"]["id"] == "ferry-1"
    assert run.removed["water-b.txt"]["duplicate_of"] == "water-a.txt"


def test_lang_filter_and_mt_drop(run_clean) -> None:
    run = run_clean(FIXTURES / "formats", lang=["en"])
    assert run.removed["records.jsonl:2"]["reason"] == "language"
    run = run_clean(SEEDS, mt_action="drop")
    assert sorted(k[:3] for k in run.clean) == ["000", "002", "004"]
    assert run.removed["001_fec8ec42891de7d7.txt"]["reason"] == "machine-translation"


def test_text_field_option(tmp_path: Path, run_clean) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"body": "The river bridge reopened on Monday after eight months of repairs.", "k": 1}\n')
    run = run_clean(data, text_field="body")
    assert run.clean["d.jsonl:1"]["metadata"] == {"k": 1}


def test_record_schema(seeds_run) -> None:
    record = next(iter(seeds_run.clean.values()))
    assert list(record)[:12] == ["id", "source", "title", "text", "language", "language_prob", "mt_score",
                                 "mt_flagged", "mt_paragraphs", "cluster_id", "cluster_size", "metadata"]
    stats = seeds_run.stats
    assert stats["documents_in"] == 5 and stats["documents_out"] == 5
    assert set(stats["seconds"]) >= {"read", "encoding", "junk", "language", "mt", "dedup", "write"}


def test_stages_can_be_switched_off(run_clean) -> None:
    run = run_clean(SEEDS, junk=False, language=False, mt=False, dedup=False)
    record = run.clean["004_ffa0f568251b8a3b.txt"]
    assert "Latest World News" in record["text"]
    assert record["language"] is None and record["mt_score"] is None


def test_console_script_and_module_from_another_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(SEEDS), "-o", str(out), "-q"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(read_jsonl(out / "clean.jsonl")) == 5
    assert (out / "stats.json").exists()
    help_text = subprocess.run([sys.executable, "-m", "cleaner", "clean", "--help"], capture_output=True,
                               text=True).stdout
    for option in ("--text-field", "--lang", "--mt-action", "--no-dedup", "--dedup-threshold", "exit status"):
        assert option in help_text


def test_explain_labels_removed_lines(capsys) -> None:
    assert main(["explain", str(SEEDS / "004_ffa0f568251b8a3b.txt")]) == 0
    out = capsys.readouterr().out
    assert "[-link-farm-] Latest World News" in out and "[-photo-credit-] Biden. Picture: PA" in out
    assert main(["explain", str(SEEDS / "004_ffa0f568251b8a3b.txt"), "--rule", "byline"]) == 0
    out = capsys.readouterr().out
    assert "[-byline-] By Press Association" in out and "link-farm" not in out


def test_explain_shows_what_decoding_did(tmp_path: Path, capsys) -> None:
    """`clean` records a guessed charset, replaced bytes and repaired mojibake; `explain` showed none of them."""
    assert main(["explain", str(FIXTURES / "bad" / "cp1252.txt")]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "[warning] not valid UTF-8 at byte 7; decoded as cp1252"
    assert main(["explain", str(FIXTURES / "bad" / "mojibake.txt")]) == 0
    assert "[encoding] repaired: encode sloppy-windows-1252, decode utf-8" in capsys.readouterr().out
    (tmp_path / "lines.jsonl").write_bytes(b'{"text": "The caf\xe9 reopened on Friday, its owner said."}\n')
    (tmp_path / "none.jsonl").write_bytes(b"")
    assert main(["explain", str(tmp_path)]) == 0  # a warning fails nothing, as in `clean`
    out = capsys.readouterr().out
    assert "[warning] not valid UTF-8 at byte 17; decoded as cp1252" in out
    assert "warning: empty file: no JSON lines" in out


def test_explain_keeps_each_line_whole(tmp_path: Path, capsys) -> None:
    """Into a pipe rich cut lines at 80 columns: a document's line came out as two, a file's name broken in an error."""
    line = "The harbour master said the new pier would open in May, two months early, and the council agreed to it."
    (tmp_path / "a long file name that goes on [and on].txt").write_text(line + "\n")
    (tmp_path / "a long file name that is not json at all.jsonl").write_text("{bad json\n")
    assert main(["explain", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert line in out
    assert any(row.startswith(f"{tmp_path / 'a long file name that is not json at all.jsonl'}:1: error: malformed JSON")
               for row in out)


def test_explain_prints_names_with_brackets_as_they_are(tmp_path: Path, capsys) -> None:
    """rich read "[bold]" in a rule id or a pack's path as markup: "no rule with id 'x'" for `--rule '[bold]x'`."""
    assert main(["explain", str(SEEDS / "004_ffa0f568251b8a3b.txt"), "--rule", "[bold]x"]) == 2
    assert "no rule with id '[bold]x'" in capsys.readouterr().out
    pack = tmp_path / "[red]pack.yaml"
    pack.write_text("- id: broken\n  kind: line\n")
    assert main(["explain", str(SEEDS / "004_ffa0f568251b8a3b.txt"), "--rules", str(pack), "--rule", "byline"]) == 1
    assert f"rule error: {pack}" in capsys.readouterr().out


def test_explain_reads_a_finished_run_from_its_audit(tmp_path: Path, capsys) -> None:
    """Cleaning a run's clean text again would show what a second run removes; its audit says what it removed."""
    clean([FIXTURES / "formats"], tmp_path / "out", Settings())
    capsys.readouterr()
    for target in ("out", "out/clean.jsonl", "out/removed.jsonl", "out/stats.json", "out/report.html"):
        assert main(["explain", str(tmp_path / target)]) == 0
        out = capsys.readouterr().out
        assert "== page.md  kept" in out and "[-line-classifier-] line 2: Sport" in out
        assert "[-byline-] line 9 (to byline): By Maria Lindqvist" in out
        assert "== water-b.txt  DROPPED: duplicate of water-a.txt (similarity 1.00)" in out
    assert main(["explain", str(tmp_path / "out"), "--rule", "menu-line"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["== page.md  kept", "[-menu-line-] line 7: Home › News › Local"]
    (tmp_path / "out" / "removed.jsonl").unlink()  # a run stopped before its outputs were complete
    assert main(["explain", str(tmp_path / "out")]) == 2
    assert "has no removed.jsonl" in capsys.readouterr().out


def test_explain_shows_what_decoding_did_in_a_finished_run(tmp_path: Path, capsys) -> None:
    """`explain FILE` shows a guessed charset, replaced bytes and repaired mojibake; `explain OUTDIR` showed none."""
    clean([FIXTURES / "bad"], tmp_path / "out", Settings())
    clean([FIXTURES / "bad"], tmp_path / "german", Settings(lang=["de"]))  # every document dropped
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[out.index("== cp1252.txt  kept") + 1] == "[warning] not valid UTF-8 at byte 7; decoded as cp1252"
    repaired = "[encoding] repaired: encode sloppy-windows-1252, decode utf-8"
    assert out[out.index("== mojibake.txt  kept") + 1] == repaired
    assert out[out.index("== empty.txt  DROPPED: empty") + 1] == "[warning] empty document"
    assert f"{FIXTURES / 'bad' / 'binary.txt'}: error: binary file (NUL bytes) with a text extension" in out
    assert main(["explain", str(tmp_path / "german")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[out.index("== mojibake.txt  DROPPED: language") + 1] == repaired
    assert main(["explain", str(tmp_path / "out"), "--rule", "byline"]) == 0
    assert "[warning]" not in capsys.readouterr().out  # only what the rule removed


def test_explain_of_a_run_prints_documents_in_the_runs_order(tmp_path: Path, capsys) -> None:
    """Kept documents that lost nothing but had notes (a charset guessed, a lone surrogate replaced) came after all
    the others; line 10 of a JSONL file comes after line 9, not after line 1."""
    inputs = tmp_path / "in"
    shutil.copytree(FIXTURES / "bad", inputs, symlinks=True)
    lines = ['{"text": "The harbour bridge reopened on Monday after two years of repairs to its deck."}',
             *['{"text": ""}'] * 7, r'{"text": "Ferry fares will rise by a tenth in spring, they said. \ud800"}',
             '{"text": " "}', '{"text": "A new tram line links the station with the university and the old town."}']
    (inputs / "b.jsonl").write_text("\n".join(lines) + "\n")
    clean([inputs], tmp_path / "out", Settings(dedup=False))
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "out")]) == 0
    shown = [line.split("  ")[0][3:] for line in capsys.readouterr().out.splitlines() if line.startswith("== ")]
    assert shown == ["b.jsonl:2", "b.jsonl:3", "b.jsonl:4", "b.jsonl:5", "b.jsonl:6", "b.jsonl:7", "b.jsonl:8",
                     "b.jsonl:9", "b.jsonl:10", "cp1252.txt", "empty.txt", "invalid-utf8.txt", "mojibake.txt"]


def test_explain_of_a_folder_names_the_files_it_left_out(tmp_path: Path, capsys) -> None:
    """`clean` warns about the files of other types and earlier outputs a walk leaves out; `explain` said nothing."""
    shutil.copy(FIXTURES / "formats" / "water-a.txt", tmp_path)
    for name in ("report.pdf", "notes.docx", "slides.pptx", "data.csv"):
        (tmp_path / name).write_text("x")
    clean([tmp_path / "water-a.txt"], tmp_path / "earlier", Settings(mt=False))
    capsys.readouterr()
    assert main(["explain", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    names = ", ".join(str(tmp_path / name) for name in ("data.csv", "notes.docx", "report.pdf", "slides.pptx"))
    assert f"cleaner: skipped 4 files of a type it does not read: {names}\n" in out  # each named, not the first 3
    assert "cleaner: left out 1 output folder of an earlier run found in the input" in out


def test_explain_takes_the_rule_ids_of_stages(capsys) -> None:
    """removed.jsonl names the line classifier, corpus boilerplate and MT paragraphs by rule ids no pack defines."""
    assert main(["explain", str(FIXTURES / "formats" / "page.md"), "--rule", "line-classifier"]) == 0
    out = capsys.readouterr().out
    assert "[-line-classifier-] Sport" in out and "byline" not in out
    for rule in ("corpus-boilerplate", "machine-translation"):
        assert main(["explain", str(FIXTURES / "formats" / "page.md"), "--rule", rule]) == 0
        assert "[-" not in capsys.readouterr().out


ONE_LINE_PAGE = " ".join([
    "Home News Sport Business Culture Travel Weather Opinion Video Podcasts Newsletters Contact Us",
    "The council voted on Tuesday to build a new library in the town centre, after two years of debate over its "
    "cost and location near the river.",
    "Heavy rain flooded several roads in the north of the county overnight, and the fire service pumped water out "
    "of a dozen homes before dawn.",
    "Get the Morning Briefing in your inbox every day.",
    "A local bakery won a national prize for its sourdough bread this week, beating more than three hundred entries "
    "from across the country.",
    "The mayor said the library would open in the spring of next year, and that its cafe would be run by a local "
    "charity for young people.",
    "Residents had asked for longer opening hours, and the council agreed to keep the building open until eight in "
    "the evening on weekdays.",
    "The old library, which opened in 1962, will be turned into flats, and the money from their sale will pay for a "
    "third of the new building.",
    "Architects from the city drew up plans that keep the trees in the square, after a petition signed by two "
    "thousand people asked for it.",
    "Work on the site will begin in October and should take eighteen months, the council's head of planning told "
    "the meeting on Tuesday night.",
    "Shops nearby said they hoped the library would bring more people into the centre, which has lost several "
    "banks and a post office.",
    "Privacy Policy Terms of Use Cookie Settings Accessibility Help Advertise With Us",
])
MYSITE_PACK = """rules:
  - id: mysite-newsletter
    description: The newsletter box mysite puts after the third paragraph.
    kind: line
    pattern: '^Get the Morning Briefing\\b'
    examples:
      match: ["Get the Morning Briefing in your inbox"]
      no_match: ["The morning briefing was cancelled, officials said."]
"""


def test_explain_shows_what_left_a_page_flattened_onto_one_line(tmp_path: Path, capsys) -> None:
    """README: the line stage cuts such a page into sentences and a rule takes a sentence out of it, and
    `cleaner explain in/page.txt --rules mysite.yaml --rule mysite-newsletter` shows it. The stage keeps the line as
    one kept line in the document's annotation, so explain (and the report's sample) showed the whole page as
    kept, menu, newsletter sentence and cookie bar included, and `--rule mysite-newsletter` nothing, while
    `clean` had removed all three."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.txt").write_text(ONE_LINE_PAGE + "\n")
    (tmp_path / "mysite.yaml").write_text(MYSITE_PACK)
    pack = ["--rules", str(tmp_path / "mysite.yaml")]
    assert main(["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q", *pack]) == 0
    spans = {span["text"]: span["rule"] for span in read_jsonl(tmp_path / "out" / "removed.jsonl")[0]["spans"]}
    assert spans["Get the Morning Briefing in your inbox every day."] == "mysite-newsletter"
    assert main(["explain", str(tmp_path / "in" / "page.txt"), *pack]) == 0
    out = capsys.readouterr().out.splitlines()
    assert ONE_LINE_PAGE not in out
    for text, rule in spans.items():
        assert f"[-{rule}-] {text}" in out
    assert main(["explain", str(tmp_path / "in" / "page.txt"), *pack, "--rule", "mysite-newsletter"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "[-mysite-newsletter-] Get the Morning Briefing in your inbox every day."]
    report = (tmp_path / "out" / "report.html").read_text()
    assert "Get the Morning Briefing in your inbox every day.</" in report


def test_marked_lines_cut_a_line_at_the_pieces_taken_out_of_it() -> None:
    from cleaner.document import Document, Span

    line = "Home News Sport Weather Contact The bridge opens. Sign up now. The bridge opens. It cost a lot."
    doc = Document(id="a", source="a", annotated=[("Title", "title"), (line, None), ("Kept line", None)],
                   removed=[Span("title", "Title", 1, "metadata", "title"), Span("nl", "Sign up now.", 2),
                            Span("line-classifier", "Home News Sport Weather Contact", 2),
                            Span("dup", "The bridge opens.", 2)])
    assert doc.marked_lines() == [
        ("Title", "title"), ("Home News Sport Weather Contact", "line-classifier"), ("The bridge opens.", "dup"),
        ("Sign up now.", "nl"), ("The bridge opens. It cost a lot.", None), ("Kept line", None)]
    doc.removed = [Span("x", "not in the line", 2)]  # a span that is no piece of its line changes nothing
    assert doc.marked_lines() == doc.annotated

def test_a_jsonl_record_title_is_the_title(tmp_path: Path, run_clean) -> None:
    """A scraper's `title` field was left in metadata with `title: null` in the record (a Markdown file's front
    matter title and an HTML page's were used); the field stays in metadata too, and a first line that repeats
    it still leaves the text."""
    body = "The river bridge reopened on Monday after eight months of repairs, the council said."
    data = tmp_path / "d.jsonl"
    data.write_bytes(orjson.dumps({"text": body, "title": " Bridge reopens "}) + b"\n"
                     + orjson.dumps({"text": f"Ferry fares cut\n{body.replace('bridge', 'ferry')}",
                                     "title": "Ferry fares cut"}) + b"\n"
                     + orjson.dumps({"text": body.replace("river", "old"), "title": ""}) + b"\n"
                     + orjson.dumps({"text": body.replace("river", "café"), "title": "CafÃ© bridge reopens"}) + b"\n")
    run = run_clean(data, dedup=False)
    first = run.clean["d.jsonl:1"]
    assert first["title"] == "Bridge reopens" and first["text"] == body
    assert first["metadata"]["title"] == " Bridge reopens "
    assert run.clean["d.jsonl:2"]["title"] == "Ferry fares cut"
    assert run.clean["d.jsonl:2"]["text"] == body.replace("bridge", "ferry")
    assert run.clean["d.jsonl:3"]["title"] is None
    assert run.clean["d.jsonl:4"]["title"] == "Café bridge reopens"  # repaired as a page's <title> is


def test_ndjson_is_read_as_jsonl(tmp_path: Path, run_clean) -> None:
    """`.ndjson`, the other common name of JSON lines, was skipped in a folder, and given as INPUT read as one text
    document of JSON syntax."""
    record = orjson.dumps({"text": "The river bridge reopened on Monday after eight months of repairs.", "k": 1})
    (tmp_path / "a.ndjson").write_bytes(record + b"\n")
    (tmp_path / "b.ndjson.gz").write_bytes(gzip.compress(record.replace(b"river", b"old") + b"\n"))
    run = run_clean(tmp_path, dedup=False)
    assert set(run.clean) == {"a.ndjson:1", "b.ndjson.gz:1"} and run.stats["skipped_files"] == 0
    assert run.clean["a.ndjson:1"]["metadata"] == {"k": 1}
    alone = run_clean(tmp_path / "a.ndjson", dedup=False)
    assert list(alone.clean) == ["a.ndjson:1"] and alone.clean["a.ndjson:1"]["text"].startswith("The river")


def test_counts_in_messages_agree_with_their_nouns(tmp_path: Path, capsys) -> None:
    """Messages said "1 lines", "1 file(s)", "1 invalid byte sequence(s)"."""
    assert (counted(1, "file"), counted(1024, "file"), noun(0, "folder of a run", "folders of runs")) == (
        "1 file", "1,024 files", "folders of runs")
    assert main(["clean", str(FIXTURES / "formats" / "water-a.txt"), "-o", str(tmp_path / "out"), "--no-mt"]) == 0
    summary = capsys.readouterr().err
    assert "1 line, 35 chars" in summary and "4 lines, 96 chars" in summary


def test_an_input_with_nothing_to_read_is_said(tmp_path: Path, capsys) -> None:
    """An empty folder (or one of other folders only) gave an empty run, and explain printed nothing, in silence."""
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    said = "cleaner: nothing to read: no .txt, .md, .html, .jsonl or .warc file (or compressed one) in the input"
    assert main(["clean", str(tmp_path / "empty"), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert said in capsys.readouterr().err
    assert main(["explain", str(tmp_path / "empty")]) == 0
    assert capsys.readouterr().out == said + "\n"
    (tmp_path / "empty" / "sub" / "a.txt").write_text("")  # an empty file is read, and its warning says so
    assert main(["clean", str(tmp_path / "empty"), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert "nothing to read" not in capsys.readouterr().err


def test_engine_ray_without_ray_installed_is_refused_before_the_run(tmp_path: Path, monkeypatch, capsys) -> None:
    """README: `pip install 'cleaner[ray]'`, then `--engine ray`. Without it, the run died on a traceback of
    `import ray` with exit status 1 (as if some inputs had failed), leaving OUTDIR with its `.partial` files."""
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` finds where Ray is not installed
    assert main(["clean", str(SEEDS), "-o", str(tmp_path / "out"), "--engine", "ray", "-q"]) == 2
    assert "pip install 'cleaner[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
