"""The rule engine and the shipped packs: every rule's own examples, and errors that point at the line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from cleaner.rules import (
    check_examples,
    default_pack_files,
    label_lines,
    load_pack,
    load_rules,
    lower_for_search,
    phrase_trie,
    required_strings,
    split_lines,
)

RULES, ERRORS = load_rules([], defaults=True)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "raw"


def test_default_packs_load_without_errors() -> None:
    assert ERRORS == []
    assert len(RULES) >= 20
    assert len({rule.id for rule in RULES}) == len(RULES)


def test_the_shipped_packs_are_those_of_this_checkout() -> None:
    """An editable install maps the packs to the checkout it was made from: a git worktree's tests read another
    checkout's packs, and tested those rules instead of the ones beside them."""
    here = sorted((FIXTURES.parent.parent / "rules").glob("*.yaml"))
    assert default_pack_files() == [(f"rules/{path.name}", path.read_text(encoding="utf-8")) for path in here]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_examples(rule) -> None:
    assert rule.description
    assert rule.examples["match"], "every rule needs an example it must match"
    assert check_examples(rule) == []


def test_invalid_regex_names_file_and_line(tmp_path: Path) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text(
        "rules:\n"
        "  - id: good\n    description: fine\n    kind: line\n    pattern: 'ok'\n"
        "    examples: {match: ['ok']}\n"
        "  - id: broken\n    description: bad regex\n    kind: line\n    pattern: '(unclosed'\n"
        "    examples: {match: ['x']}\n")
    rules, errors = load_rules([pack], defaults=False)
    assert [r.id for r in rules] == ["good"]
    assert len(errors) == 1
    assert errors[0].source == f"{pack}:7"
    assert "invalid regex" in errors[0].message and "broken" in errors[0].message


def test_duplicate_id_and_unknown_option_are_refused(tmp_path: Path) -> None:
    pack = tmp_path / "dup.yaml"
    pack.write_text(
        "rules:\n"
        "  - id: nav-phrase\n    description: clashes with a default\n    kind: line\n"
        "    pattern: 'x'\n    examples: {match: ['x']}\n"
        "  - id: typo\n    description: unknown key\n    kind: line\n    patern: 'x'\n"
        "    examples: {match: ['x']}\n")
    _, errors = load_rules([pack], defaults=True)
    messages = [(e.source, e.message) for e in errors]
    assert any(src == f"{pack}:2" and "duplicate rule id 'nav-phrase'" in m for src, m in messages)
    assert any(src == f"{pack}:7" and "unknown option patern" in m for src, m in messages)


@pytest.mark.parametrize(("examples", "message"), [
    ("{match: 'Sign up'}", "examples: match must be a list of strings"),  # was read letter by letter
    ("{match: ['Sign up'], no-match: ['Sign up today']}", "examples: unknown list no-match (match, no_match)"),
    ("{match: ['Sign up'], no_match: [{a: b}]}", "examples: no_match must be a list of strings"),
])
def test_examples_of_the_wrong_shape_are_refused(examples: str, message: str) -> None:
    """A typo in the examples would otherwise test nothing (`no-match`), or test each letter of a string."""
    rules, errors = load_pack("rules:\n  - id: sign-up\n    description: d\n    kind: line\n    pattern: '^Sign up$'\n"
                              f"    examples: {examples}\n", "p.yaml")
    assert not rules and [(e.source, e.message) for e in errors] == [("p.yaml:2", f"rule 'sign-up': {message}")]


def test_an_id_that_is_not_a_string_is_named() -> None:
    _, errors = load_pack("rules:\n  - id: 42\n    description: d\n    kind: line\n    pattern: x\n"
                          "    examples: {match: [x]}\n", "p.yaml")
    assert [e.message for e in errors] == ["rule id must be a string, not int (42)"]


def test_invalid_yaml_names_the_line() -> None:
    _, errors = load_pack("rules:\n  - id: x\n    description: a: b\n", "p.yaml")
    assert errors and errors[0].source.startswith("p.yaml:") and "invalid YAML" in errors[0].message
    assert 'in "p.yaml", line 3' in errors[0].message  # not "<unicode string>"


def test_first_rule_to_claim_a_line_labels_it() -> None:
    lines = split_lines("Skip to content\nA body sentence that stays.\n")
    labels = label_lines(lines, RULES)
    assert labels[0].id == "nav-phrase" and labels[1] is None


def test_block_without_end_match_takes_only_the_start_line() -> None:
    rules, errors = load_pack(
        "rules:\n  - id: promo\n    description: d\n    kind: block\n    start: '^Live:'\n"
        "    end: 'updated'\n    max_lines: 2\n    examples: {match: ['Live: x']}\n", "p.yaml")
    assert not errors
    lines = ["Live: now", "A body line.", "Another, updated."]
    assert [label is not None for label in label_lines(lines, rules)] == [True, False, False]


def test_block_while_stops_before_the_first_line_unlike_its_list() -> None:
    rules, errors = load_pack(
        "rules:\n  - id: related\n    description: d\n    kind: block\n    start: '^Related$'\n"
        "    while: '[^.]$'\n    max_lines: 4\n    examples: {match: ['Related']}\n", "p.yaml")
    assert not errors
    lines = ["Body.", "Related", "Storm hits coast", "Minister resigns", "The article goes on.", "Subheading"]
    assert [label is not None for label in label_lines(lines, rules)] == [False, True, True, True, False, False]
    many = ["Related", "One", "Two", "Three", "Four", "Five"]  # max_lines still bounds the block
    assert [label is not None for label in label_lines(many, rules)] == [True] * 4 + [False] * 2
    _, errors = load_pack(
        "rules:\n  - id: related\n    description: d\n    kind: block\n    start: '^x$'\n"
        "    while: '(unclosed'\n    examples: {match: ['x']}\n", "p.yaml")
    assert errors and "invalid regex in while" in str(errors[0]) and errors[0].source == "p.yaml:2"


def test_shipped_related_links_take_the_list_after_an_article_and_not_the_prose_after_it() -> None:
    lines = ["The council will vote again in May, the mayor said.", "Related stories",
             "Bus fares to rise by five percent in April", "New bridge opens to pedestrians",
             "In other news, the library reopened on Monday after a flood closed it in January."]
    assert [label.id if label else None for label in label_lines(lines, RULES)] == [
        None, "related-links", "related-links", "related-links", None]


def test_block_over_its_prose_share_is_running_text_under_a_heading() -> None:
    rules, errors = load_pack(
        "rules:\n  - id: farm\n    description: d\n    kind: block\n    start: '^Most Read$'\n"
        "    max_prose_share: 0.5\n    examples: {match: ['Most Read\\nA headline']}\n", "p.yaml")
    assert not errors
    headlines = ["Body.", "Most Read", "Storm hits coast", "Minister resigns", "Prices fall again."]
    prose = ["Body.", "Most Read", "The storm hit the coast.", "Nobody was hurt.", "What comes next?"]
    assert [label is not None for label in label_lines(headlines, rules)] == [False, True, True, True, True]
    assert [label is not None for label in label_lines(prose, rules)] == [False] * 5
    _, errors = load_pack(
        "rules:\n  - id: farm\n    description: d\n    kind: block\n    start: '^x$'\n"
        "    max_prose_share: half\n    examples: {match: ['x']}\n", "p.yaml")
    assert errors and "max_prose_share" in str(errors[0])


def test_required_strings_of_patterns() -> None:
    assert required_strings(re.compile(r"\bwe use cookies\b|\bcookie (?:policy|settings)\b", re.I)) == (
        "cookie ", "we use cookies")
    assert required_strings(re.compile(r"^(?:Share|Share this|Tweet)$")) == ("share", "tweet")  # "share" covers
    assert required_strings(re.compile(r"Reporting by \w+")) == ("reporting by ",)
    assert required_strings(re.compile(r"(?:ab)+c?")) is None  # shorter than MIN_NEEDED
    assert required_strings(re.compile(r"foo|\d+")) is None  # a branch without a literal
    assert required_strings(re.compile(r"x*translat")) == ("translat",)
    assert required_strings(re.compile(r"(?:café|naïve) bar")) == (" bar",)  # ASCII only


def test_lower_for_search_keeps_what_ignorecase_matches_to_an_ascii_letter() -> None:
    letters = re.compile("[a-z]", re.IGNORECASE)
    for code in range(128, sys.maxunicode + 1):
        char = chr(code)
        if letters.fullmatch(char):
            letter = next(a for a in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(a, char, re.IGNORECASE))
            assert letter in lower_for_search(char), (hex(code), char)


def test_rules_skipped_by_their_strings_label_as_when_searched() -> None:
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in sorted(FIXTURES.rglob("*.txt"))
             if path.is_file()]
    texts += ["We use cookies to improve your experience.\nThis article was automatically translated.\nKelvin: "
              "Cooſie policy and ſettings", "TRANSLATED AUTOMATICALLY"]
    skipping = [rule for rule in RULES if rule.needs]
    assert {"cookie-notice", "machine-translation-disclaimer", "comment-form"} <= {rule.id for rule in skipping}
    for text in texts:
        lines = split_lines(text)
        with_needs = [label.id if label else None for label in label_lines(lines, RULES)]
        searched = [None] * len(lines)
        for rule in RULES:
            rule.apply(lines, searched)  # no lowered text: every rule searches every line
        assert with_needs == [label.id if label else None for label in searched]


def test_a_phrase_trie_matches_what_the_list_of_its_phrases_matches() -> None:
    """The engine compiles phrase lists as a trie for speed; a line must match it exactly when it matches one of
    the phrases (shipped lists, and phrases that are prefixes of one another or differ by case)."""
    lists = [[str(p) for p in rule.spec["phrases"]] for rule in RULES if rule.kind == "phrases"]
    lists.append(["Share", "Share this", "share this article", "SHARE", "E-mail", "Email", "a", "ab", "a.b", "(c)"])
    for phrases in lists:
        plain, trie = "|".join(re.escape(p) for p in phrases), phrase_trie(phrases)
        for listed, tried in ((rf"^\W*(?:{plain})\W*$", rf"^\W*{trie}\W*$"), (plain, trie)):
            whole_re, trie_re = re.compile(listed, re.IGNORECASE), re.compile(tried, re.IGNORECASE)
            for phrase in phrases:
                for line in (phrase, phrase.upper(), f"» {phrase} «", f"{phrase} now", f"x{phrase}", phrase[:-1],
                             phrase + phrase, phrase.replace("i", "ı"), "a (c) b"):
                    assert bool(whole_re.search(line)) == bool(trie_re.search(line)), (phrase, line)


def test_max_words_leaves_alone_only_lines_of_more_words() -> None:
    rules, errors = load_pack(
        "rules:\n  - id: short\n    description: d\n    kind: line\n    pattern: 'a'\n    max_words: 3\n"
        "    examples: {match: ['a b c']}\n", "p.yaml")
    assert not errors
    lines = ["a b c", "a b c d", "a\tb \u00a0 c", "a b c d e f g h"]
    assert [label is not None for label in label_lines(lines, rules)] == [True, False, True, False]


@pytest.mark.parametrize(("kind", "option", "value"), [
    ("line", "pattern", "'^(Share|Tweet)?'"), ("line", "pattern", "'\\s*'"),
    ("phrases", "phrases", "['Share', '']"), ("block", "start", "'^(Related)?'"),
])
def test_a_pattern_that_matches_an_empty_string_is_refused(kind: str, option: str, value: str) -> None:
    """It claims every line of every document: one optional group too many emptied the whole corpus, while
    `rules test` passed it (its examples do match)."""
    rules, errors = load_pack(f"rules:\n  - id: catch-all\n    description: d\n    kind: {kind}\n"
                              f"    {option}: {value}\n    examples: {{match: ['Share this']}}\n", "p.yaml")
    assert not rules and [e.source for e in errors] == ["p.yaml:2"]
    assert errors[0].message.startswith(f"rule 'catch-all': {option} matches an empty string")


REPEAT_RULE = ("rules:\n  - id: twice\n    description: d\n    kind: repeat\n{option}"
               "    examples: {{match: ['The same line twice in a row here.\\nThe same line twice in a row here.']}}\n")


@pytest.mark.parametrize(("option", "message"), [
    ("shingle: 0", "shingle must be at least 1, not 0"),
    ("shingle: -2", "shingle must be at least 1, not -2"),
    ("shingle: 2.5", "shingle must be int, not float"),
    ("shingle: '3'", "shingle must be int, not str"),
    ("containment: 60", "containment is a share, above 0 to 1, not 60"),
    ("containment: 0", "containment is a share, above 0 to 1, not 0"),
    ("min_words: -1", "min_words must be at least 0, not -1"),
])
def test_a_repeat_rule_with_an_unusable_number_is_refused(option: str, message: str) -> None:
    """`shingle: 0` (or below) gave each line no n-gram, hence none that was new: every line of six words or more
    after the first was claimed as a repeat, and the rule's own examples still passed."""
    rules, errors = load_pack(REPEAT_RULE.format(option=f"    {option}\n"), "p.yaml")
    assert not rules and [(e.source, e.message) for e in errors] == [("p.yaml:2", f"rule 'twice': {message}")]
    rules, errors = load_pack(REPEAT_RULE.format(option="    shingle: 1\n    containment: 1\n"), "p.yaml")
    assert errors == [] and [rule.id for rule in rules] == ["twice"]


def test_a_rule_that_is_not_a_mapping_names_its_own_line() -> None:
    """A string in the list of rules (a rule's dash put before its options) was reported at line 1."""
    _, errors = load_pack("rules:\n  - id: fine\n    description: d\n    kind: line\n    pattern: x\n"
                          "    examples: {match: [x]}\n  - just a string\n  - [a, list]\n", "p.yaml")
    assert [(e.source, e.message) for e in errors] == [("p.yaml:7", "each rule is a mapping"),
                                                       ("p.yaml:8", "each rule is a mapping")]


def test_a_menu_line_without_separators_is_no_title(tmp_path: Path, run_clean) -> None:
    """A text whose first line is a menu of section names and which has no headline ("Home News Sport") took the
    menu as its title; `section-names` takes such a line (top or bottom) out, and the record has no title."""
    body = ("The harbour authority said on Thursday that the old ferry terminal would close for six months.\n"
            "Ferries to the islands will leave from the cargo quay during the works, the authority said.\n")
    (tmp_path / "a.txt").write_text("Home News Sport\n" + body + "About Contact Jobs\n", encoding="utf-8")
    record = run_clean(tmp_path / "a.txt", dedup=False).clean["a.txt"]
    assert record["title"] is None and record["text"] == body.strip().replace("\n", "\n\n")


def test_footer_notices_and_legal_links_go_and_a_sentence_on_a_privacy_policy_stays(tmp_path: Path, run_clean) -> None:
    """A copyright notice with the rights first ("All rights reserved © 2024"), and the legal links alone or two on
    a line, were left at the end of the text."""
    body = ("The harbour master said the new pier would open in May, two months ahead of schedule.\n"
            "Builders finished the deck last week, and the railings go on in April, the council said.\n"
            "The company updated its privacy policy on Monday.\n")
    footer = ["All rights reserved © 2024", "© 2024 Example Media. All Rights Reserved.", "Example Media © 2024",
              "Privacy Policy", "Terms of Use", "Privacy Policy | Terms of Use",
              "Privacy Policy | Terms of Service | Cookie Settings"]
    (tmp_path / "a.txt").write_text(body + "\n".join(footer) + "\n", encoding="utf-8")
    run = run_clean(tmp_path / "a.txt", dedup=False)
    assert run.clean["a.txt"]["text"] == body.strip().replace("\n", "\n\n")
    removed = {span["text"]: span["rule"] for span in run.removed["a.txt"]["spans"]}
    assert removed == {**{line: "copyright-line" for line in footer[:3]}, "Privacy Policy": "nav-phrase",
                       "Terms of Use": "nav-phrase", **{line: "menu-line" for line in footer[5:]}}
