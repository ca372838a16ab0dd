"""Configuration: cleaner.toml and [tool.cleaner], presets, precedence, --print-config, bad config."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import SEEDS, read_jsonl

from cleaner import cli
from cleaner.cli import build_parser, effective_settings, main, settings_from
from cleaner.config import RUN_OPTIONS, ConfigError, field_for, load_config
from cleaner.pipeline import Pipeline
from cleaner.read import SUFFIXES
from cleaner.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the tomli backport, a dependency there
    import tomli as tomllib


def _printed(capsys) -> dict:
    return tomllib.loads(capsys.readouterr().out)


def test_every_settings_field_is_a_config_key_and_printed(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["clean", "--print-config"]) == 0
    printed = _printed(capsys)
    defaults = dataclasses.asdict(Settings())
    assert {k: printed.get(k) for k in defaults} == defaults  # a field that is None is not printed (no TOML null)
    for name in defaults:
        assert field_for(name) == (name, False)
    assert field_for("no-dedup") == ("dedup", True)


def test_config_file_then_command_line(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "mine.yaml").write_text("rules: []\n")
    (tmp_path / "cleaner.toml").write_text('mt_threshold = 0.7\nmt-action = "drop"\nno-language = true\n'
                                           'rules = ["packs/mine.yaml"]\nlang = ["en", "de"]\n')
    assert main(["clean", "--print-config"]) == 0
    printed = _printed(capsys)
    assert printed["mt_threshold"] == 0.7 and printed["mt_action"] == "drop" and printed["language"] is False
    assert printed["rule_paths"] == [str(tmp_path / "packs" / "mine.yaml")] and printed["lang"] == ["en", "de"]
    # an option given on the command line wins, even when it says the default value
    assert main(["clean", "--print-config", "--mt-threshold", "0.5", "--mt-action", "flag"]) == 0
    printed = _printed(capsys)
    assert printed["mt_threshold"] == 0.5 and printed["mt_action"] == "flag" and printed["language"] is False


def test_pyproject_table_and_explicit_config(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.cleaner]\ndedup_threshold = 0.9\n')
    assert main(["clean", "--print-config"]) == 0
    assert _printed(capsys)["dedup_threshold"] == 0.9
    other = tmp_path / "elsewhere.toml"
    other.write_text("dedup_threshold = 0.6\n")
    assert main(["clean", "--print-config", "--config", str(other)]) == 0
    assert _printed(capsys)["dedup_threshold"] == 0.6


def test_presets(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["clean", "--print-config", "--preset", "pretraining"]) == 0
    printed = _printed(capsys)
    assert (printed["mt_action"], printed["dedup_action"], printed["dedup"]) == ("drop", "drop", True)
    assert main(["clean", "--print-config", "--preset", "audit", "--lang", "en"]) == 0
    printed = _printed(capsys)
    assert (printed["mt_action"], printed["dedup_action"], printed["lang"]) == ("flag", "flag", ["en"])
    (tmp_path / "cleaner.toml").write_text('preset = "pretraining"\nmt_action = "flag"\n')
    assert main(["clean", "--print-config"]) == 0
    printed = _printed(capsys)
    assert printed["preset"] == "pretraining" and printed["mt_action"] == "flag"  # the file's value wins


def test_audit_preset_drops_nothing_and_pretraining_drops(tmp_path: Path, monkeypatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    (corpus / "zz_copy.txt").write_bytes((SEEDS / "004_ffa0f568251b8a3b.txt").read_bytes())
    assert main(["clean", str(corpus), "-o", str(tmp_path / "audit"), "--preset", "audit", "-q"]) == 0
    kept = {r["id"]: r for r in read_jsonl(tmp_path / "audit" / "clean.jsonl")}
    assert len(kept) == 6
    assert kept["zz_copy.txt"]["cluster_id"] == "004_ffa0f568251b8a3b.txt"  # flagged as a duplicate
    assert kept["zz_copy.txt"]["cluster_size"] == 2
    assert sum(r["mt_flagged"] for r in kept.values()) == 2
    assert main(["clean", str(corpus), "-o", str(tmp_path / "pre"), "--preset", "pretraining", "-q"]) == 0
    reasons = {r["id"]: r["reason"] for r in read_jsonl(tmp_path / "pre" / "removed.jsonl") if r["reason"]}
    assert sorted(reasons.values()) == ["duplicate", "machine-translation", "machine-translation"]


def test_output_from_the_config_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cleaner.toml").write_text('output = "cleaned"\nquiet = true\n')
    assert main(["clean", str(SEEDS)]) == 0
    assert len(read_jsonl(tmp_path / "cleaned" / "clean.jsonl")) == 5


@pytest.mark.parametrize(("text", "line", "message"), [
    ("mt_threshold = 0.7\nmt_treshold = 0.7\n", 2, "unknown option 'mt_treshold' (did you mean 'mt_threshold'?)"),
    ("\n\ndedup = \"yes\"\n", 3, "dedup must be true or false, not str ('yes')"),
    ("max_bytes = 1.5\n", 1, "max_bytes must be an integer, not float (1.5)"),
    ("lang = \"en\"\n", 1, "lang must be a list of strings, not str ('en')"),
    ("mt_threshold = 2\n", 1, "mt_threshold: must be in (0, 1], not 2.0"),
    ("mt_action = \"burn\"\n", 1, "mt_action: must be one of flag, drop, drop-paragraphs, not 'burn'"),
    ("quiet = true\nlang = [\"en\", \"english\"]\n", 2, "lang: 'english' is not a language code langdetect produces"),
    ("boilerplate-min-docs = 1\n", 1, "boilerplate-min-docs: must be at least 2, not 1"),
    ("workers = 0\n", 1, "workers: must be at least 1, not 0"),
    ("html_timeout = -1\n", 1, "html_timeout: must be at least 0, not -1.0"),
    ("html_timeout = nan\n", 1, "html_timeout: must be a finite number, not nan"),
    ("address = \"ray://head:10001\"\n", 1, "address: a Ray cluster address is only used with engine 'ray'"),
    # bands x rows too large: the key the file set is blamed, not the default it meets
    ("quiet = true\nrows = 4\n", 2, "rows: LSH bands x rows (64 x 4) must not exceed the MinHash permutations (128)"),
    ("preset = \"fast\"\n", 1, "preset must be one of pretraining, audit, extracted, not 'fast'"),
    ("[other]\nx = 1\n[tool.cleaner]\nx = 1\n", 4, "unknown option 'x'"),
    ("mt_threshold = \n", 1, "invalid TOML"),
    ("quiet = true\nrules = [\"packs\"]\n", 2, "rules: no such file or folder"),
])
def test_bad_config_names_file_and_line_before_reading(tmp_path: Path, monkeypatch, capsys, text, line,
                                                      message) -> None:
    monkeypatch.chdir(tmp_path)
    name = "pyproject.toml" if "[tool.cleaner]" in text else "cleaner.toml"
    (tmp_path / name).write_text(text)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("The pier opens in May, two months ahead of schedule, officials said.\n")
    assert main(["clean", "in", "-o", "out"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / name}:{line}: {message}" in " ".join(err.split())
    assert not (tmp_path / "out").exists()  # stopped before reading any document


def test_missing_config_file_is_an_error(tmp_path: Path, capsys) -> None:
    assert main(["clean", str(SEEDS), "-o", str(tmp_path / "o"), "--config", str(tmp_path / "none.toml")]) == 2
    assert "none.toml:1: cannot read config file" in capsys.readouterr().err


def test_inputs_and_output_still_required(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(["clean", "-o", "out"])
    assert stop.value.code == 2
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(SEEDS)])
    assert stop.value.code == 2 and "-o/--output OUTDIR is required" in capsys.readouterr().err


def test_command_line_defaults_are_the_settings_defaults() -> None:
    """Options not given on the command line must not override a config file: their defaults agree."""
    args = build_parser().parse_args(["clean", "in", "-o", "out"])
    assert settings_from(args) == Settings()


def test_an_option_whose_dest_is_not_its_field_still_overrides(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cleaner.toml").write_text("max_bytes = 1000\n")
    args = build_parser().parse_args(["clean", "in", "-o", "out", "--max-bytes", "2000"])
    monkeypatch.setattr(args, "max_bytes", 3000)  # as if mapped from another dest
    resolved = effective_settings(args, ["clean", "in", "-o", "out"])  # no dest recorded as given
    assert resolved.settings.max_bytes == 3000


# An article as a main-content extractor returns it: prose, then a list whose items are long lines that do not
# end like sentences (the shape the caption-shape rule takes for photo captions in flattened pages).
_EXTRACTED = "\n".join(
    [f"Paragraph {n} of the article says something plain about the council's budget." + " It goes on." * (n * 3 % 7)
     for n in range(8)]
    + ["Three things the council wants to change before the end of the year",
       "Cheaper bus fares for everyone under twenty five who lives in the city",
       "A new library in the north of the city with longer opening hours at weekends",
       "Share this article", "The council will vote on the plan in March."])


def test_disable_rule_switches_off_one_rule_and_unknown_ids_are_refused(tmp_path: Path, capsys) -> None:
    source = tmp_path / "article.txt"
    source.write_text(_EXTRACTED)
    assert main(["clean", str(source), "-o", str(tmp_path / "default"), "-q", "--no-lines"]) == 0
    removed = {span["rule"] for r in read_jsonl(tmp_path / "default" / "removed.jsonl") for span in r["spans"]}
    assert {"caption-shape", "nav-phrase"} <= removed
    assert main(["clean", str(source), "-o", str(tmp_path / "off"), "-q", "--no-lines",
                 "--disable-rule", "caption-shape"]) == 0
    removed = {span["rule"] for r in read_jsonl(tmp_path / "off" / "removed.jsonl") for span in r["spans"]}
    assert "caption-shape" not in removed and "nav-phrase" in removed  # the other rules still run
    assert "--disable-rule): <code>caption-shape</code>" in (tmp_path / "off" / "report.html").read_text()
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(source), "-o", str(tmp_path / "typo"), "--disable-rule", "caption-shap"])
    assert stop.value.code == 2
    assert "no rule with id 'caption-shap'" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()  # refused before any document is read
    with pytest.raises(SystemExit):
        main(["clean", str(source), "-o", str(tmp_path / "stage"), "--disable-rule", "line-classifier"])
    assert "'line-classifier' is a stage's: --no-lines switches it off" in capsys.readouterr().err


def test_unknown_rule_ids_are_blamed_where_they_were_given(tmp_path: Path, monkeypatch, capsys) -> None:
    """An id misspelt in the config file was blamed on `--disable-rule`, which the user had not given, without the
    file and line README promises for a config file's problems; and `--preset extracted --no-default-rules` was
    refused for the preset's own two ids (shipped rules, switched off with the packs that define them)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "article.txt").write_text(_EXTRACTED)
    (tmp_path / "cleaner.toml").write_text('output = "out"\ndisable_rules = ["bylin"]\n')
    with pytest.raises(SystemExit) as stop:
        main(["clean", "article.txt", "-q"])
    assert stop.value.code == 2
    assert f"{tmp_path / 'cleaner.toml'}:2: disable_rules: no rule with id 'bylin'" in capsys.readouterr().err
    (tmp_path / "cleaner.toml").write_text('output = "out"\n')
    with pytest.raises(SystemExit):
        main(["explain", "article.txt", "--disable-rule", "bylin"])
    assert "cleaner explain: error: argument --disable-rule: no rule with id 'bylin'" in capsys.readouterr().err
    (tmp_path / "mine.yaml").write_text("rules:\n" + "".join(
        f"  - {{id: {name}, description: d, kind: line, pattern: '^{name}$', examples: {{match: ['{name}']}}}}\n"
        for name in ("Xyz",)))
    assert main(["clean", "article.txt", "-q", "--preset", "extracted", "--no-default-rules",
                 "--rules", "mine.yaml"]) == 0
    assert read_jsonl(tmp_path / "out" / "clean.jsonl")
    with pytest.raises(ValueError, match="disable_rules: no rule with id 'bylin'"):
        Pipeline(disable_rules=["bylin"])


def test_extracted_preset_keeps_list_items_and_still_removes_junk(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["clean", "--print-config", "--preset", "extracted"]) == 0
    printed = _printed(capsys)
    assert printed["lines"] is False and printed["disable_rules"] == ["caption-shape", "repeated-paragraph"]
    (tmp_path / "article.txt").write_text(_EXTRACTED)
    assert main(["clean", "article.txt", "-o", "out", "-q", "--preset", "extracted"]) == 0
    text = read_jsonl(tmp_path / "out" / "clean.jsonl")[0]["text"]
    assert "Cheaper bus fares for everyone under twenty five who lives in the city" in text
    assert "A new library in the north of the city" in text
    assert "Share this article" not in text
    (tmp_path / "cleaner.toml").write_text('disable-rule = ["share-row"]\n')  # the option's spelling, as a key
    assert main(["clean", "--print-config"]) == 0
    assert _printed(capsys)["disable_rules"] == ["share-row"]


def test_disabled_rules_add_up_across_preset_config_and_options(tmp_path: Path, monkeypatch, capsys) -> None:
    """`--disable-rule byline` with `--preset extracted` replaced the preset's list, so caption-shape and
    repeated-paragraph came back on for text an extractor chose; each layer now adds its rules."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cleaner.toml").write_text('disable_rules = ["share-row"]\n')
    assert main(["clean", "--print-config", "--preset", "extracted", "--disable-rule", "byline",
                 "--disable-rule", "share-row"]) == 0
    out = capsys.readouterr().out
    assert tomllib.loads(out)["disable_rules"] == ["share-row", "caption-shape", "repeated-paragraph", "byline"]
    assert "cleaner.toml + preset extracted + command line" in out


def _clean_parser() -> argparse.ArgumentParser:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["clean"]


def _sample(action: argparse.Action) -> object:
    """A value of the option's type, as a config file would give it."""
    if action.nargs == 0:
        return True
    value = list(action.choices)[-1] if action.choices else {int: 3, float: 0.5}.get(action.type, "x")
    return [value] if isinstance(action, argparse._AppendAction) else value


def test_every_long_option_is_a_config_key_under_its_command_line_spelling(tmp_path: Path) -> None:
    """README: the command-line spelling works in the file too; only --config, --print-config and --help do not."""
    refused = set()
    for action in _clean_parser()._actions:
        for option in (o for o in action.option_strings if o.startswith("--")):
            config = tmp_path / "cleaner.toml"
            config.write_text(f"{option[2:]} = {json.dumps(_sample(action))}\n")  # JSON scalars and lists are TOML
            try:
                values, run, _keys = load_config(config, _clean_parser())
            except ConfigError:
                refused.add(option)
                continue
            assert action.dest in run if action.dest in RUN_OPTIONS else field_for(action.dest)[0] in values
    assert refused == {"--help", "--config", "--print-config"}


def test_spellings_whose_dest_differs_set_their_field(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cleaner.toml").write_text('bands = 32\nrows = 4\nindex = "idx"\nengine = "ray"\n'
                                           'address = "ray://head:10001"\ndisable-rule = ["share-row"]\n')
    assert main(["clean", "--print-config"]) == 0
    printed = _printed(capsys)
    assert (printed["dedup_bands"], printed["dedup_rows"], printed["dedup_index"]) == (32, 4, str(tmp_path / "idx"))
    assert (printed["ray_address"], printed["disable_rules"]) == ("ray://head:10001", ["share-row"])


def test_print_config_shows_the_output_with_its_origin(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["clean", "--print-config", "-o", "foo", "--preset", "audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert 'output = "foo"  # command line' in lines and 'preset = "audit"  # command line' in lines
    (tmp_path / "cleaner.toml").write_text('output = "cleaned"\n')
    assert main(["clean", "--print-config"]) == 0
    assert f'output = "{tmp_path / "cleaned"}"  # {tmp_path / "cleaner.toml"}' in capsys.readouterr().out.splitlines()
    assert main(["clean", "--print-config", "-o", "foo"]) == 0
    assert tomllib.loads(capsys.readouterr().out)["output"] == "foo"  # the command line wins, as for any option


def test_lang_is_case_insensitive_and_unknown_codes_are_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["clean", str(SEEDS), "-o", "out", "-q", "--lang", "EN", "--no-dedup"]) == 0
    kept = read_jsonl(tmp_path / "out" / "clean.jsonl")
    assert kept and all(r["language"] == "en" for r in kept)
    (tmp_path / "cleaner.toml").write_text('lang = ["DE", "zh-CN"]\n')
    assert main(["clean", "--print-config"]) == 0
    assert _printed(capsys)["lang"] == ["de", "zh-cn"]
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(SEEDS), "-o", "refused", "--lang", "english"])
    err = " ".join(capsys.readouterr().err.split())
    assert stop.value.code == 2 and "argument --lang: 'english' is not a language code" in err
    assert "en, de, fr, zh-cn" in err and not (tmp_path / "refused").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["-j", "0"], "argument -j/--workers: must be at least 1, not 0"),
    (["-j", "-3"], "argument -j/--workers: must be at least 1, not -3"),
    (["--shard-files", "0"], "argument --shard-files: must be at least 1, not 0"),
    (["--html-timeout", "-1"], "argument --html-timeout: must be at least 0, not -1.0"),
    (["--html-timeout", "nan"], "argument --html-timeout: must be a finite number, not nan"),  # they ran
    (["--html-timeout", "inf"], "argument --html-timeout: must be a finite number, not inf"),
    (["--html-timeout=-inf"], "argument --html-timeout: must be a finite number, not -inf"),
    (["--boilerplate-min-docs", "1"], "argument --boilerplate-min-docs: must be at least 2, not 1"),
    (["--boilerplate-min-docs", "0"], "argument --boilerplate-min-docs: must be at least 2, not 0"),
    (["--address", "foo"], "argument --address: a Ray cluster address is only used with engine 'ray' (here: 'local')"),
    (["--bands", "100"], "argument --bands: LSH bands x rows (100 x 2) must not exceed the MinHash permutations"),
    (["--mt-threshold", "0"], "argument --mt-threshold: must be in (0, 1], not 0.0"),
    (["--rules", "/nonexistent/site.yaml"], "argument --rules: no such file or folder: /nonexistent/site.yaml"),
    (["--index", "idx", "--no-dedup"],
     "argument --index: an index is read and added to by duplicate detection, which is off"),
    (["--text-field", ""], "argument --text-field: must name a field, not be empty"),  # every JSONL record failed
    (["-j", "1025"], "argument -j/--workers: must be at most 1024 on one machine, not 1025"),  # -j 300: 15 s to start
])
def test_bad_option_values_exit_2_naming_the_option(tmp_path: Path, capsys, argv, message) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(SEEDS), "-o", str(tmp_path / "out"), *argv])
    assert stop.value.code == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "out").exists()


def test_an_index_that_is_a_file_stops_the_run_before_it_starts(tmp_path: Path, capsys) -> None:
    """The whole run went by, then stopped on "cannot write the output: [Errno 17] File exists"."""
    index = tmp_path / "index.npz"
    index.write_bytes(b"")
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(SEEDS), "-o", str(tmp_path / "out"), "--index", str(index)])
    assert stop.value.code == 2 and not (tmp_path / "out").exists()
    assert f"argument --index: {index} is a file, not an index folder" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(("index", "message"), [
    ("out", "is the output folder: give the index a folder of its own"),  # its files sat among the outputs
    ("out/.cleaner-work/index", "is inside the checkpoint folder"),  # removed by every run
])
def test_an_index_in_the_output_folder_or_its_checkpoints_is_refused(tmp_path: Path, capsys, index: str,
                                                                     message: str) -> None:
    assert main(["clean", str(SEEDS), "-o", str(tmp_path / "out"), "--index", str(tmp_path / index)]) == 2
    assert message in " ".join(capsys.readouterr().err.split()) and not (tmp_path / "out").exists()
    assert main(["clean", str(SEEDS), "-o", str(tmp_path / "out"), "--index", str(tmp_path / "out/index"), "-q"]) == 0


def test_option_values_at_their_limits_are_accepted(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["clean", "--print-config", "--html-timeout", "0", "--boilerplate-min-docs", "2",
                 "--engine", "ray", "--address", "ray://head:10001", "-j", "4000"]) == 0
    printed = _printed(capsys)
    assert (printed["html_timeout"], printed["boilerplate_min_docs"]) == (0.0, 2)  # 0: no time limit (README)
    assert printed["workers"] == 4000  # Ray actors on a cluster, not processes on this machine


def test_more_workers_than_cpus_are_warned_of(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(cli, "usable_cpus", lambda: 1)
    for workers in ("1", "2"):
        assert main(["clean", str(SEEDS), "-o", str(tmp_path / workers), "-j", workers, "-q", "--no-mt"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "cleaner: -j 2: more workers than the 1 CPU this run may use, so they take turns" in err
    assert err.count("more workers than") == 1
    assert (tmp_path / "1" / "clean.jsonl").read_bytes() == (tmp_path / "2" / "clean.jsonl").read_bytes()


def test_an_option_is_blamed_before_the_file_value_it_meets(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cleaner.toml").write_text("bands = 32\n")  # fine with the default 2 rows
    with pytest.raises(SystemExit) as stop:
        main(["clean", "--print-config", "--rows", "8"])
    assert stop.value.code == 2 and "argument --rows: LSH bands x rows (32 x 8)" in capsys.readouterr().err


def test_clean_help_names_every_input_format_read() -> None:
    named = set(re.findall(r"\.\w+", _clean_parser().description))  # ".html/.htm(.gz)": .html, .htm, .gz
    for suffix in SUFFIXES:  # .md and .markdown too
        assert set(re.findall(r"\.\w+", suffix)) <= named, suffix


def test_a_rule_pack_that_is_not_there_stops_the_run(tmp_path: Path, capsys) -> None:
    """A misspelt --rules path, or a folder of `.yml` files, would clean the whole corpus without the user's rules."""
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "site.yml").write_text("rules: []\n")
    for command in (["clean", str(SEEDS), "-o", str(tmp_path / "out")], ["explain", str(SEEDS)]):
        with pytest.raises(SystemExit) as stop:
            main([*command, "--rules", str(tmp_path / "packs")])
        assert stop.value.code == 2
        assert f"argument --rules: folder {tmp_path / 'packs'} holds no .yaml rule file" in \
            " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="rule_paths: no such file or folder"):
        Settings(rule_paths=[tmp_path / "none.yaml"]).validate()


def test_a_config_file_in_the_other_layout_is_named_not_ignored(tmp_path: Path, capsys) -> None:
    """`--config pyproject.toml` without a [tool.cleaner] table ran on the defaults in silence, and a
    [tool.cleaner] table copied into another file was "unknown option 'tool'"."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "mine.toml").write_text('# copied from pyproject.toml\n[tool.cleaner]\nmt_action = "drop"\n')
    assert main(["clean", "--print-config", "--config", str(tmp_path / "pyproject.toml")]) == 2
    assert (f"{tmp_path / 'pyproject.toml'}:1: no [tool.cleaner] table: the settings of a pyproject.toml go there"
            in " ".join(capsys.readouterr().err.split()))
    assert main(["clean", "--print-config", "--config", str(tmp_path / "mine.toml")]) == 2
    assert (f"{tmp_path / 'mine.toml'}:2: [tool.cleaner] is read from pyproject.toml only: in mine.toml the "
            "settings are at the top level, without a table" in " ".join(capsys.readouterr().err.split()))


@pytest.mark.parametrize(("name", "text"), [("cleaner.toml", "mt_threshold = 0.6\n"),
                                            ("pyproject.toml", "[tool.cleaner]\nmt_threshold = 0.6\n")])
def test_a_config_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path, monkeypatch, capsys, name: str,
                                                            text: str) -> None:
    """Windows Notepad saves UTF-8 with a mark, which tomllib calls an "Invalid statement (at line 1, column 1)"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert main(["clean", "--print-config"]) == 0
    assert _printed(capsys)["mt_threshold"] == 0.6
