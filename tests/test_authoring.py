"""Rule authoring: `cleaner rules list | test | check`, the backtracking guard, and per-site scopes."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT, read_jsonl

from cleaner.authoring import backtracking_errors
from cleaner.backtrack import GROWTH, find_slow
from cleaner.cli import main
from cleaner.rules import check_examples, load_rules

GOOD = "The harbour master said the new pier would open in May, two months ahead of schedule.\n"


def _rule(rule_id: str, pattern: str, match: str, no_match: str = "A plain sentence.", extra: str = "") -> str:
    return (f"  - id: {rule_id}\n    description: test rule {rule_id}\n    kind: line\n    pattern: '{pattern}'\n"
            f"{extra}    examples: {{match: ['{match}'], no_match: ['{no_match}']}}\n")


def test_rules_list_shows_id_pack_and_description(capsys) -> None:
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["ID", "PACK", "DESCRIPTION"]
    line = next(line for line in out.splitlines() if line.startswith("nav-phrase "))
    assert line.split()[1] == "navigation" and "navigation, share or widget label" in line


def test_rules_test_reports_failing_examples_with_file_and_line(tmp_path: Path, capsys) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text("rules:\n" + _rule("ok", "^Read next", "Read next: more") +
                    _rule("wrong", "^Subscribe now", "Subscribe today", "Subscribe now"))
    assert main(["rules", "test", str(pack)]) == 1
    out = capsys.readouterr().out
    assert f"{pack}:7: rule 'wrong': example should match but does not: 'Subscribe today'" in out
    assert f"{pack}:7: rule 'wrong': example should not match but does: 'Subscribe now'" in out
    assert "rule 'ok'" not in out
    assert main(["rules", "test", "navigation"]) == 0  # a shipped pack by name, every rule of it
    shipped = len([rule for rule in load_rules([], True)[0] if rule.pack == "navigation"])
    assert f"{shipped} rules" in capsys.readouterr().out
    assert main(["rules", "test", str(tmp_path / "nope.yaml")]) == 2


def test_rules_test_fails_a_pack_with_an_id_twice_and_notes_a_shipped_id(tmp_path: Path, capsys) -> None:
    """`cleaner clean` refuses a pack that defines an id twice, so its test must not pass."""
    pack = tmp_path / "mine.yaml"
    pack.write_text("rules:\n" + _rule("mine", "^Foo$", "Foo") + _rule("mine", "^Bar$", "Bar")
                    + _rule("nav-phrase", "^Baz$", "Baz"))
    assert main(["rules", "test", str(pack)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {pack}:7: duplicate rule id 'mine' (first defined at {pack}:2)" in out
    assert f"note: {pack}:12: 'nav-phrase' is also the id of a shipped rule" in out
    assert "2 rules, 4 examples: 1 failure" in out
    assert main(["rules", "test", str(ROOT / "rules")]) == 0  # the shipped packs' own files clash with nothing
    assert "note:" not in capsys.readouterr().out


def test_rules_check_passes_on_the_shipped_packs(capsys) -> None:
    assert main(["rules", "check"]) == 0
    assert "ok" in capsys.readouterr().out


def test_rules_check_finds_every_kind_of_problem(tmp_path: Path, capsys) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text(
        "rules:\n"
        + _rule("broken", "(unclosed", "x")                                   # line 2: bad regex
        + _rule("nav-phrase", "^Menu$", "Menu")                               # line 7: duplicate id
        + _rule("typo", "x", "x", extra="    patern: 'y'\n")                  # line 12: unknown key
        + _rule("wrong-type", "x", "x", extra="    max_line: three\n")       # line 18: schema
        + _rule("explodes", r"^(\w+\s?)+$", "word word")                      # line 24: catastrophic
        + _rule("fine", "^Read next", "Read next: more"))
    assert main(["rules", "check", "--rules", str(pack), "--budget", "0.5"]) == 1
    out = capsys.readouterr().out
    assert f"{pack}:2: rule 'broken': invalid regex" in out
    assert f"{pack}:7: duplicate rule id 'nav-phrase'" in out
    assert f"{pack}:12: rule 'typo': unknown option patern" in out
    assert f"{pack}:18: rule 'wrong-type': max_line must be int, not str" in out
    assert f"{pack}:24: rule 'explodes': pattern backtracks catastrophically" in out
    assert "'fine'" not in out


def test_guard_stops_a_catastrophic_pattern_and_checks_the_rest() -> None:
    jobs = [("^Read next", 0, []), (r"^(a+)+$", 0, []), (r"^(\w+\s?)+$", 0, ["Some words here"]), ("b+", 0, [])]
    slow = find_slow(jobs, budget=0.5)
    assert [s.index for s in slow] == [1, 2]
    assert slow[0].sample.startswith("aaaa")


def test_guard_finds_quadratic_patterns_on_very_long_lines() -> None:
    """Overlapping repetitions ("[\\w-]+[\\w-]*x") take time growing with the square of the line: milliseconds on
    2,000 letters, seconds on 20,000 (a base64 blob), hours on the 4 MB a text file may hold."""
    jobs = [(r"^[\w-]+[\s\w-]*\{", 0, []), (r"^[\w-][\s\w-]*\{", 0, [])]  # the same lines, one way or two
    assert [slow.index for slow in find_slow(jobs, budget=0.2)] == [0]  # 1.3 s on 20,000 letters, against 1 ms


def test_guard_finds_patterns_whose_time_grows_faster_than_their_lines() -> None:
    """`[\\w.]+@` unanchored scans to the end of the line from each start: 1 s on 20,000 letters, within a budget, and
    an hour on a line of a few MB. A pattern slow in proportion to its line (`{0,300}`: 300 steps a letter) is not
    reported, however long its lines take."""
    jobs = [(r"1[^!?]{0,300}x", 0, []), (r"[\w.]+@", 0, ["write to me@example.com"]), ("^Read next", 0, [])]
    slow = find_slow(jobs, budget=30)
    assert [(s.index, s.growth is not None) for s in slow] == [(1, True)]
    small, big = slow[0].growth
    assert big > GROWTH * small and slow[0].sample.startswith("aaaa")


def test_rules_check_names_a_rule_whose_time_grows_faster_than_its_lines(tmp_path: Path, capsys) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text("rules:\n" + _rule("fine", "^Read next", "Read next: more")
                    + _rule("email-line", r"[\w.+-]+@[\w-]+\.\w+", "Write to desk@example.com"))
    assert main(["rules", "check", "--no-default-rules", "--rules", str(pack), "--budget", "30"]) == 1
    out = capsys.readouterr().out
    assert f"{pack}:7: rule 'email-line': pattern backtracks super-linearly: its time grows" in out
    assert "'fine'" not in out and "1 problem" in out


def test_shipped_rules_pass_the_guard() -> None:
    """`cleaner clean` guards the user's packs only (the shipped ones would cost every run a second); so the tests
    do for those. Two shipped patterns were quadratic (`css`, `html-comment-fragment`) before it tried long lines."""
    rules, errors = load_rules([], True)
    assert errors == [] and backtracking_errors(rules) == []


def test_clean_reports_and_skips_a_catastrophic_user_rule_before_reading(tmp_path: Path, capsys) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text("rules:\n" + _rule("explodes", r"^(\w+\s?)+$", "word word") +
                    _rule("pier", "^Pier news", "Pier news today"))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Pier news today\n" + GOOD)
    out = tmp_path / "out"
    assert main(["clean", str(tmp_path / "in"), "-o", str(out), "--rules", str(pack), "-q"]) == 1
    assert f"{pack}:2: rule 'explodes': pattern backtracks catastrophically" in capsys.readouterr().err
    errors = read_jsonl(out / "errors.jsonl")
    assert errors[0]["source"] == f"{pack}:2" and "backtracks" in errors[0]["error"]
    assert read_jsonl(out / "clean.jsonl")[0]["text"] == GOOD.strip()  # the other rule still applied


SITE_PACK = """\
pack: harbour-gazette
sites: [harbourgazette.example]
rules:
  - id: gazette-promo
    description: The Gazette's subscription line.
    kind: line
    pattern: '^Support local news'
    examples: {match: ['Support local news: subscribe']}
  - id: gazette-folder-note
    description: A note the scraper adds to files in its gazette folder.
    kind: line
    pattern: '^Scraped by'
    folders: [gazette]
    examples: {match: ['Scraped by bot 7']}
"""


def test_rules_scoped_to_a_site_or_a_folder(tmp_path: Path, run_clean) -> None:
    pack = tmp_path / "gazette.yaml"
    pack.write_text(SITE_PACK)
    rules, errors = load_rules([pack], defaults=False)
    assert not errors and rules[0].sites == ("harbourgazette.example",) and rules[1].folders == ("gazette",)
    data = tmp_path / "records.jsonl"
    lines = [("https://www.harbourgazette.example/pier", "Support local news: subscribe"),
             ("https://other.example/pier", "Support local news: subscribe")]
    data.write_text("".join(f'{{"url": "{url}", "text": "{GOOD.strip()}\\n{junk}"}}\n' for url, junk in lines))
    for folder in ("gazette", "other"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{folder}.txt").write_text(GOOD + "Scraped by bot 7\nSupport local news: subscribe\n")
    run = run_clean(data, tmp_path / "gazette", tmp_path / "other", rule_paths=[pack], dedup=False)
    assert run.clean["records.jsonl:1"]["text"] == GOOD.strip()  # subdomain of the pack's site
    assert run.clean["records.jsonl:2"]["text"].endswith("Support local news: subscribe")  # another site
    gazette, other = run.clean["gazette.txt"]["text"], run.clean["other.txt"]["text"]
    assert gazette == GOOD.strip() + "\n\nSupport local news: subscribe"  # folder rule only: no url here
    assert other == GOOD.strip() + "\n\nScraped by bot 7\n\nSupport local news: subscribe"


def test_explain_with_a_scoped_rule(tmp_path: Path, capsys) -> None:
    pack = tmp_path / "gazette.yaml"
    pack.write_text(SITE_PACK)
    (tmp_path / "gazette").mkdir()
    page = tmp_path / "gazette" / "a.txt"
    page.write_text(GOOD + "Scraped by bot 7\n")
    assert main(["explain", str(page), "--rules", str(pack), "--rule", "gazette-folder-note"]) == 0
    assert "[-gazette-folder-note-] Scraped by bot 7" in capsys.readouterr().out


def test_readme_worked_example_pack(tmp_path: Path, run_clean) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# packs/harbour-gazette\.yaml\n.*?)```", readme, re.S).group(1)
    pack = tmp_path / "harbour-gazette.yaml"
    pack.write_text(block, encoding="utf-8")
    rules, errors = load_rules([pack], defaults=False)
    assert not errors and [rule.id for rule in rules] == ["gazette-support", "gazette-scraper-note"]
    assert all(check_examples(rule) == [] for rule in rules)
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(f'{{"url": "https://{host}/p", "text": "{GOOD.strip()}\\nSupport local news: subscribe"}}\n'
                            for host in ("news.harbourgazette.example", "harbourgazette.example.org")))
    run = run_clean(feed, rule_paths=[pack], dedup=False)
    assert run.clean["feed.jsonl:1"]["text"] == GOOD.strip()
    assert run.clean["feed.jsonl:2"]["text"].endswith("Support local news: subscribe")


def test_unknown_pack_key_names_its_line(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: mine\nsite: [example.com]\nrules:\n" + _rule("ok", "^Read next", "Read next: more"))
    rules, errors = load_rules([pack], defaults=False)
    assert [r.id for r in rules] == ["ok"]
    assert [(e.source, e.message.split(" (")[0]) for e in errors] == [(f"{pack}:2", "unknown pack key 'site'")]


def test_a_folder_without_a_yaml_pack_fails_the_rule_commands_as_it_fails_clean(tmp_path: Path, capsys) -> None:
    """A folder of `.yml` files tested nothing and said "ok" (exit 0), where `cleaner clean --rules` refuses it:
    a CI step would pass a pack no run can use."""
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "mine.yml").write_text("rules:\n" + _rule("mine", "^Foo$", "Foo"))
    for command in (["rules", "test", str(folder)], ["rules", "check", "--rules", str(folder)],
                    ["rules", "list", "--rules", str(folder)]):
        assert main(command) == 2, command
        assert f"folder {folder} holds no .yaml rule file" in capsys.readouterr().out
    assert main(["rules", "check", "--rules", str(tmp_path / "nowhere.yaml")]) == 2
    assert f"not found: {tmp_path / 'nowhere.yaml'}" in capsys.readouterr().out
