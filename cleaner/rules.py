"""The rule engine: load declarative rule packs (YAML) and apply them to the lines of a document.

A rule pack is a file a user can read and edit. Each rule has an `id`, a `description`,
a `kind` saying how it matches, and `examples` it must and must not match (checked by
`check_examples` and the tests). Kinds:

- `line`: a regular expression searched in each line (`pattern`).
- `phrases`: a list of phrases; with `whole_line: true` the line must be one of them.
- `block`: from a line matching `start` through a line matching `end` (or `max_lines`
  lines, or the end of the document when neither is given). With `while`, the block stops
  before the first line after the start that does not match it (a heading and the list under
  it, not the text after the list). With `max_prose_share`, a block
  whose lines after the start end a sentence more often than that is running text under a
  heading ("Most read in world news" left inside an article), and is not claimed.
- `repeat`: a line whose word n-grams are mostly (`containment`) found in the lines before
  it: repeated paragraphs, and captions pieced together from body sentences.
- `first_line`: the first remaining line, if it looks like a headline (`pattern`,
  `max_words`) and shares at most `max_overlap` (or at least `min_overlap`) of its words
  with the rest of the document.

Options common to all kinds: `action` (`remove`, or `metadata` to move the line into
the metadata field named by `field`), `evidence` (a signal for later stages, such as
`machine-translation`), `also_previous` (a regex: the line just before a match goes too
when it matches), `max_line` (only the first N lines), `min_lines` (only documents with
at least N lines), `ignore_case`, `max_words` (for `line` and `phrases`: longer lines are left
alone, as text flattened without line breaks can hold a whole page in one line), `formats`
(the input formats the rule applies to, `text` and/or `html`: a rule for flattened text can
be kept off the main text extracted from HTML), and the scope: `sites` (URL hosts, a host also
covering its subdomains, matched against the record's metadata `url`) and `folders` (names of
folders on the input path). A scoped rule applies only to the documents of those sites or folders;
`sites` and `folders` at the top of a pack scope all of its rules that have no scope of their own.

Rules apply in file order, packs in name order; the first rule to claim a line labels it. A rule whose
pattern (a block's `start`) cannot match without one of a few strings (`required_strings`) is skipped
for a document that holds none of them: most rules match no line of most documents, and a test for a
string in the whole text costs less than a regex search in each line.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

try:
    from re import _parser as _regex_parser  # Python 3.11+
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _regex_parser

from .plural import noun

KINDS = ("line", "phrases", "block", "repeat", "first_line")
FORMATS = ("text", "html")
OPTIONS = {
    "id", "description", "kind", "examples", "action", "field", "evidence", "also_previous",
    "max_line", "min_lines", "ignore_case", "pattern", "phrases", "whole_line", "start", "end", "while",
    "max_lines", "min_words", "shingle", "containment", "max_words", "max_overlap", "min_overlap",
    "max_prose_share", "sites", "folders", "formats",
}
PACK_KEYS = {"pack", "description", "rules", "sites", "folders"}
# The type each option must have when given: the schema that `cleaner rules check` enforces.
_TYPES: dict[str, tuple[type, ...]] = {
    "description": (str,), "field": (str,), "evidence": (str,), "ignore_case": (bool,), "whole_line": (bool,),
    "max_line": (int,), "min_lines": (int,), "max_lines": (int,), "min_words": (int,), "shingle": (int,),
    "max_words": (int,), "containment": (int, float), "max_overlap": (int, float),
    "min_overlap": (int, float), "max_prose_share": (int, float), "sites": (list,), "folders": (list,),
}
# The least value of each whole-number option: `shingle: 0` (or below) made every line of `min_words` words a
# repeat, as a line then has no n-gram and so none that is new; `max_words: 0` a rule that claims no line.
_LEAST = {"shingle": 1, "max_line": 1, "max_lines": 1, "max_words": 1, "min_lines": 0, "min_words": 0}
# Options that are shares, from 0 to 1 (`containment: 60` for 60% would claim no line, 0 every line).
_SHARES = ("containment", "max_overlap", "min_overlap", "max_prose_share")
_WORD = re.compile(r"\w+")
_SENTENCE_STOPS = tuple(".!?…。！？")
_CLOSING_MARKS = "\"'”’»)」』"  # may follow a sentence's stop


class RuleError(Exception):
    """A rule that cannot be used, with the file and line it came from."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.source = f"{path}:{line}"
        self.message = message

    def record(self) -> dict[str, Any]:
        return {"source": self.source, "severity": "error", "error": self.message}


@dataclass
class Rule:
    """One compiled rule. `spec` keeps the options as written, for `rules list` and errors."""

    id: str
    description: str
    kind: str
    pack: str
    path: str
    line: int
    spec: dict[str, Any]
    action: str = "remove"
    field: str | None = None
    evidence: str | None = None
    regex: re.Pattern[str] | None = None
    end: re.Pattern[str] | None = None
    continues: re.Pattern[str] | None = None  # a block's `while`
    previous: re.Pattern[str] | None = None
    examples: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    sites: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    builtin: bool = False  # shipped inside the package (checked by the test suite)
    needs: tuple[str, ...] | None = None  # see `required_strings`: None when the rule is never skipped

    def applies_to(self, host: str | None, folders: frozenset[str]) -> bool:
        """Whether this rule's scope covers a document from `host` found under `folders`."""
        if not self.sites and not self.folders:
            return True
        if host and any(host == site or host.endswith("." + site) for site in self.sites):
            return True
        return any(folder in folders for folder in self.folders)

    def apply(self, lines: list[str], labels: list[Rule | None], lowered: str | None = None) -> None:
        """Claim the lines this rule matches: set `labels[i] = self` where still unlabelled. `lowered` is the
        document's `lower_for_search` text, if the caller has it: the rule is skipped when it holds none of
        the strings the rule `needs`."""
        if len(lines) < self.spec.get("min_lines", 0):
            return
        if self.needs is not None and lowered is not None and not any(map(lowered.__contains__, self.needs)):
            return
        limit = self.spec.get("max_line", len(lines))
        open_ = [i for i in range(min(limit, len(lines))) if labels[i] is None]
        getattr(self, "_apply_" + self.kind)(lines, labels, open_)

    def _claim(self, labels: list[Rule | None], i: int, lines: list[str]) -> None:
        labels[i] = self
        if self.previous is not None:
            j = i - 1
            while j >= 0 and labels[j] is not None and labels[j] is not self:
                j -= 1
            if j >= 0 and labels[j] is None and self.previous.search(lines[j]):
                labels[j] = self

    def _apply_line(self, lines: list[str], labels: list[Rule | None], open_: list[int]) -> None:
        max_words = self.spec.get("max_words")
        for i in open_:
            if max_words is not None and len(lines[i].split(None, max_words)) > max_words:
                continue  # over max_words: the split stops there, not at each word of a flattened page
            if labels[i] is None and self.regex.search(lines[i]):
                self._claim(labels, i, lines)

    _apply_phrases = _apply_line

    def _apply_block(self, lines: list[str], labels: list[Rule | None], open_: list[int]) -> None:
        """Start line through end line; without an `end`, `max_lines` lines or to the end."""
        max_lines = self.spec.get("max_lines") or len(open_)
        i = 0
        while i < len(open_):
            if not self.regex.search(lines[open_[i]]):
                i += 1
                continue
            stop = min(len(open_), i + max_lines)
            if self.end is not None:
                found = next((j for j in range(i + 1, stop) if self.end.search(lines[open_[j]])), None)
                stop = found + 1 if found is not None else i + 1
            if self.continues is not None:
                stop = next((j for j in range(i + 1, stop) if not self.continues.search(lines[open_[j]])), stop)
            if "max_prose_share" in self.spec and self._reads_as_prose([lines[j] for j in open_[i + 1:stop]]):
                i += 1
                continue
            for j in range(i, stop):
                labels[open_[j]] = self
            i = stop

    def _reads_as_prose(self, body: list[str]) -> bool:
        """Whether more than `max_prose_share` of a block's lines after its start end a sentence."""
        ends = sum(line.rstrip().rstrip(_CLOSING_MARKS).endswith(_SENTENCE_STOPS) for line in body)
        return bool(body) and ends > self.spec["max_prose_share"] * len(body)

    def _apply_repeat(self, lines: list[str], labels: list[Rule | None], open_: list[int]) -> None:
        """Claim lines mostly made of word n-grams already seen in the kept lines before them."""
        size = self.spec.get("shingle", 3)
        min_words = self.spec.get("min_words", 6)
        need = self.spec.get("containment", 0.8)
        seen: set[tuple[str, ...]] = set()
        for i in open_:
            words = _words(lines[i])
            mine = _shingles(words, size)
            if len(words) >= min_words and len(mine & seen) >= need * len(mine):
                labels[i] = self
            else:
                seen |= mine

    def _apply_first_line(self, lines: list[str], labels: list[Rule | None], open_: list[int]) -> None:
        if not open_:
            return
        first = open_[0]
        words = _words(lines[first])
        if len(words) > self.spec.get("max_words", 30) or not self.regex.search(lines[first]):
            return
        if "max_overlap" in self.spec or "min_overlap" in self.spec:
            overlap = _overlap(words, _words("\n".join(lines[i] for i in open_[1:])))
            if not self.spec.get("min_overlap", 0.0) <= overlap <= self.spec.get("max_overlap", 1.0):
                return
        labels[first] = self


def _overlap(words: list[str], body_words: list[str]) -> float:
    """The share of a headline's words (`words`, stemmed; pairs of characters in scripts without spaces)
    found in the body's."""
    body = set(body_words)
    mine = {w for w in _stems(words) if len(w) > 3 and not _UNSPACED.search(w)}
    shared = sum(_stem_in(stem, body) for stem in mine)
    pairs = _unspaced_pairs(words)
    if pairs:
        shared += len(pairs & _unspaced_pairs(body_words))
    return shared / (len(mine) + len(pairs)) if mine or pairs else 0.0


def _words(line: str) -> list[str]:
    return _WORD.findall(line.lower())


_SUFFIX = re.compile(r"(?:ing|ed|es|s)$")
# Kana, CJK ideographs and Thai are written without spaces, so a `\w+` run of them is a phrase or a
# whole sentence, never found again as such: their words are compared by pairs of characters instead.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _unspaced_pairs(words: list[str]) -> set[str]:
    """The pairs of consecutive characters of the words in scripts without spaces (see `_UNSPACED`)."""
    return {w[k:k + 2] for w in words if _UNSPACED.search(w) for k in range(max(1, len(w) - 1))}


def _stems(words: list[str]) -> set[str]:
    """Words without their commonest suffixes, so 'warns' and 'warned' count as the same word."""
    return {_SUFFIX.sub("", w) for w in words}


def _stem_in(stem: str, words: set[str]) -> bool:
    """Whether a word of `words` has this stem: only its own inflections can, so the body's
    words are never stemmed (the headline rules ran at 2 ms a page stemming them all)."""
    return any(w in words and _SUFFIX.sub("", w) == stem for w in (stem, stem + "ing", stem + "ed",
                                                                   stem + "es", stem + "s"))


def _shingles(words: list[str], size: int) -> set[tuple[str, ...]]:
    """Word n-grams of `size` words; a line shorter than that is one n-gram of all its words."""
    if len(words) < size:
        return {tuple(words)}
    return set(zip(*(words[k:] for k in range(size)), strict=False))


def _compile(path: str, line: int, rule_id: str, what: str, pattern: Any, flags: int) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise RuleError(path, line, f"rule {rule_id!r}: {what} must be a string")
    try:
        return re.compile(pattern, flags)
    except re.error as err:
        raise RuleError(path, line, f"rule {rule_id!r}: invalid regex in {what}: {err}") from None


def _check_examples_shape(examples: dict[str, Any], path: str, line: int, rule_id: str) -> None:
    """A misspelt list (`no-match`) would test nothing, and a string instead of a list each of its letters."""
    unknown = sorted(set(examples) - {"match", "no_match"})
    if unknown:
        lists = f"{noun(len(unknown), 'list')} {', '.join(map(str, unknown))}"
        raise RuleError(path, line, f"rule {rule_id!r}: examples: unknown {lists} (match, no_match)")
    for name, values in examples.items():
        if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
            raise RuleError(path, line, f"rule {rule_id!r}: examples: {name} must be a list of strings")


def build_rule(spec: dict[str, Any], pack: str, path: str, line: int) -> Rule:
    """A compiled rule from its YAML mapping; `RuleError` names the file and line of any problem."""
    rule_id = spec.get("id")
    if rule_id is not None and not isinstance(rule_id, str):
        raise RuleError(path, line, f"rule id must be a string, not {type(rule_id).__name__} ({rule_id!r})")
    if not rule_id:
        raise RuleError(path, line, "rule without an 'id'")
    unknown = sorted(set(spec) - OPTIONS)
    if unknown:
        raise RuleError(path, line, f"rule {rule_id!r}: unknown {noun(len(unknown), 'option')} {', '.join(unknown)}")
    for required in ("description", "kind", "examples"):
        if required not in spec:
            raise RuleError(path, line, f"rule {rule_id!r}: missing {required!r}")
    kind = spec["kind"]
    if kind not in KINDS:
        raise RuleError(path, line, f"rule {rule_id!r}: kind must be one of {', '.join(KINDS)}")
    action = spec.get("action", "remove")
    if action not in ("remove", "metadata") or (action == "metadata" and not spec.get("field")):
        raise RuleError(path, line, f"rule {rule_id!r}: action is 'remove' or 'metadata' with a 'field'")
    examples = spec["examples"]
    if not isinstance(examples, dict) or not examples.get("match"):
        raise RuleError(path, line, f"rule {rule_id!r}: examples need at least one 'match'")
    _check_examples_shape(examples, path, line, rule_id)
    for name, types in _TYPES.items():
        value = spec.get(name)
        if value is not None and (not isinstance(value, types) or (bool not in types and isinstance(value, bool))):
            raise RuleError(path, line, f"rule {rule_id!r}: {name} must be "
                                        f"{' or '.join(t.__name__ for t in types)}, not {type(value).__name__}")
    for name, least in _LEAST.items():
        if spec.get(name) is not None and spec[name] < least:
            raise RuleError(path, line, f"rule {rule_id!r}: {name} must be at least {least}, not {spec[name]}")
    for name in _SHARES:
        value = spec.get(name)
        if value is not None and not (0 < value <= 1 if name == "containment" else 0 <= value <= 1):
            low = "above 0" if name == "containment" else "from 0"
            raise RuleError(path, line, f"rule {rule_id!r}: {name} is a share, {low} to 1, not {value}")
    formats = spec.get("formats", list(FORMATS))
    if not isinstance(formats, list) or not formats or set(formats) - set(FORMATS):
        raise RuleError(path, line, f"rule {rule_id!r}: formats is a list of {', '.join(FORMATS)}")
    flags = re.IGNORECASE if spec.get("ignore_case") else 0
    rule = Rule(id=rule_id, description=str(spec["description"]).strip(), kind=kind, pack=pack,
                path=path, line=line, spec=spec, action=action, field=spec.get("field"),
                evidence=spec.get("evidence"),
                examples={k: list(examples.get(k) or []) for k in ("match", "no_match")},
                sites=tuple(str(s).lower().removeprefix(".") for s in spec.get("sites") or ()),
                folders=tuple(str(f) for f in spec.get("folders") or ()))
    if kind == "line" or kind == "first_line":
        rule.regex = _compile(path, line, rule_id, "pattern", spec.get("pattern", r"."), flags)
    elif kind == "phrases":
        phrases = spec.get("phrases")
        if not isinstance(phrases, list) or not phrases:
            raise RuleError(path, line, f"rule {rule_id!r}: 'phrases' must be a non-empty list")
        alternatives = phrase_trie([str(p) for p in phrases])
        pattern = rf"^\W*{alternatives}\W*$" if spec.get("whole_line") else alternatives
        rule.regex = _compile(path, line, rule_id, "phrases", pattern, re.IGNORECASE)
    elif kind == "block":
        rule.regex = _compile(path, line, rule_id, "start", spec.get("start"), flags)
        if spec.get("end") is not None:
            rule.end = _compile(path, line, rule_id, "end", spec["end"], flags)
        if spec.get("while") is not None:
            rule.continues = _compile(path, line, rule_id, "while", spec["while"], flags)
    if kind in ("line", "phrases", "block") and rule.regex.search(""):
        # It would claim every line of every document, while its examples (which it matches) pass.
        what = {"line": "pattern", "phrases": "phrases", "block": "start"}[kind]
        raise RuleError(path, line, f"rule {rule_id!r}: {what} matches an empty string, so it would remove every "
                                    "line: make the words it needs required (not '(Share)?'), and no phrase empty")
    if spec.get("also_previous") is not None:
        rule.previous = _compile(path, line, rule_id, "also_previous", spec["also_previous"], flags)
    if kind in ("line", "phrases", "block"):
        rule.needs = required_strings(rule.regex)
    return rule


# A rule is skipped by its strings only when it needs at least MIN_NEEDED characters and at most MAX_NEEDED
# strings: shorter strings, or one of many phrases ("share", "menu", "print"), are in nearly every document,
# and testing for them costs more than the rule's search saves.
MIN_NEEDED, MAX_NEEDED = 3, 10


def lower_for_search(text: str) -> str:
    """`text` lower-cased so that whatever a rule's regex matches, with or without IGNORECASE, holds one of
    the rule's `required_strings` when the match does. `re.IGNORECASE` also matches "ı" to "i" and "ſ" to "s",
    which `str.lower` does not map: the only such characters for ASCII letters (tests/test_rules.py checks
    every code point)."""
    return text.lower().replace("ı", "i").replace("ſ", "s")


def required_strings(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-cased ASCII strings of at least MIN_NEEDED characters, one of which every match of `pattern` holds;
    None when the pattern has no such set of at most MAX_NEEDED strings. Read off the parsed pattern: a run of
    literal characters, or a group, alternation or repeat (at least once) whose every branch has such strings;
    of those the set whose shortest string is longest."""
    try:
        found = _required(_regex_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - a private parser: on any surprise the rule is simply never skipped
        return None
    if not found or min(map(len, found)) < MIN_NEEDED:
        return None
    needs = tuple(sorted(s for s in found if not any(t != s and t in s for t in found)))  # "share" covers "share this"
    return needs if len(needs) <= MAX_NEEDED else None


def _required(items: Any) -> set[str] | None:
    """The best set of strings one of which every match of the parsed sequence `items` holds (see above)."""
    candidates: list[set[str]] = []
    run = ""
    for op, value in items:
        name = str(op)
        if name == "LITERAL" and value < 128:
            run += chr(value).lower()
            continue
        if run:
            candidates.append({run})
        run = ""
        inner: set[str] | None = None
        if name == "SUBPATTERN":
            inner = _required(value[-1])
        elif name == "ATOMIC_GROUP":
            inner = _required(value)
        elif name == "BRANCH":
            branches = [_required(branch) for branch in value[1]]
            inner = set().union(*branches) if all(branches) else None
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and value[0] >= 1:
            inner = _required(value[2])
        if inner:
            candidates.append(inner)
    if run:
        candidates.append({run})
    return max(candidates, key=lambda strings: min(map(len, strings)), default=None)


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of each mapping, so errors can point at it."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


class _ListWithLines(list):
    """A YAML list that remembers the line of each item, so an item that is no rule (a string) can be pointed at."""

    lines: list[int]


def _sequence_with_lines(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = _ListWithLines(loader.construct_sequence(node, deep=True))
    items.lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence_with_lines)


def load_pack(text: str, path: str) -> tuple[list[Rule], list[RuleError]]:
    """The usable rules of one pack, and an error for each rule that is not."""
    stream = io.StringIO(text)
    stream.name = path  # for the YAML error's own message, which would say "<unicode string>"
    try:
        data = yaml.load(stream, Loader=_LineLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        return [], [RuleError(path, mark.line + 1 if mark else 1, f"invalid YAML: {err}")]
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return [], [RuleError(path, 1, "a rule pack is a mapping with a 'rules' list")]
    pack = str(data.get("pack") or Path(path).stem)
    rules: list[Rule] = []
    errors: list[RuleError] = []
    for key in sorted(set(data) - PACK_KEYS - {"__line__"}, key=str):
        line = next((n for n, raw in enumerate(text.splitlines(), 1) if raw.startswith(f"{key}:")), 1)
        errors.append(RuleError(path, line, f"unknown pack key {key!r} (a pack has {', '.join(sorted(PACK_KEYS))})"))
    scope = {key: data[key] for key in ("sites", "folders") if data.get(key) is not None}
    for spec, line in zip(data["rules"], data["rules"].lines, strict=True):
        if isinstance(spec, dict):
            spec.pop("__line__", None)
        else:
            errors.append(RuleError(path, line, "each rule is a mapping"))
            continue
        if "sites" not in spec and "folders" not in spec:
            spec = {**spec, **scope}
        try:
            rules.append(build_rule(_strip_lines(spec), pack, path, line))
        except RuleError as err:
            errors.append(err)
    return rules, errors


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def default_pack_files() -> list[tuple[str, str]]:
    """(name, text) of the rule packs shipped inside the package, in name order. Imported from a source checkout
    (rules/ and pyproject.toml beside cleaner/), the checkout's own packs: an editable install maps
    `cleaner.rule_packs` to the checkout it was made from, so a second checkout (a git worktree) put first on
    the path read the first one's packs with its own code."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "rules").is_dir():
        folder = checkout / "rules"
    else:
        folder = resources.files("cleaner.rule_packs")
    entries = sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    return [(f"rules/{p.name}", p.read_text(encoding="utf-8")) for p in entries]


def load_rules(paths: Iterable[Path], defaults: bool = True) -> tuple[list[Rule], list[RuleError]]:
    """The default packs (unless `defaults` is false) then the user's, with duplicate ids refused."""
    sources = default_pack_files() if defaults else []
    builtin = {name for name, _ in sources}
    errors: list[RuleError] = []
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            try:
                sources.append((str(file), file.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as err:
                errors.append(RuleError(str(file), 1, f"cannot read rule file: {err}"))
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    for name, text in sources:
        pack_rules, pack_errors = load_pack(text, name)
        errors.extend(pack_errors)
        for rule in pack_rules:
            if rule.id in seen:
                first = seen[rule.id]
                errors.append(RuleError(name, rule.line, f"duplicate rule id {rule.id!r} "
                                                         f"(first defined at {first.path}:{first.line})"))
                continue
            seen[rule.id] = rule
            rule.builtin = name in builtin
            rules.append(rule)
    return rules, errors


def phrase_trie(phrases: list[str]) -> str:
    """A pattern matching exactly `phrases`, written as a trie ("Share(?: this(?: article)?)?"): `re` tries the
    alternatives of a plain list one by one at every line, while a trie rejects a line at its first letters
    (3.5 to 4 times faster on the shipped phrase lists)."""
    root: dict[str, dict] = {}
    for phrase in phrases:
        node = root
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}  # a phrase ends here

    def pattern(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return f"(?:{pattern(root)})"


def split_lines(text: str) -> list[str]:
    """The non-blank lines of `text`, stripped: the units rules match against."""
    return [s for s in (line.strip() for line in text.split("\n")) if s]


def label_lines(lines: list[str], rules: list[Rule]) -> list[Rule | None]:
    """For each line, the rule that claims it (None: the line is kept)."""
    labels: list[Rule | None] = [None] * len(lines)
    lowered = lower_for_search("\n".join(lines))
    for rule in rules:
        rule.apply(lines, labels, lowered)
    return labels


def check_examples(rule: Rule) -> list[str]:
    """What is wrong with a rule's own examples: each must (or must not) make the rule claim a line."""
    problems = []
    for expected, examples in (("match", rule.examples.get("match", [])),
                               ("no_match", rule.examples.get("no_match", []))):
        for example in examples:
            lines = split_lines(str(example))
            claimed = any(label is rule for label in label_lines(lines, [rule]))
            if claimed != (expected == "match"):
                verb = "should match but does not" if expected == "match" else "should not match but does"
                problems.append(f"{rule.path}:{rule.line}: rule {rule.id!r}: example {verb}: {example!r}")
    return problems
