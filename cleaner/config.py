"""Configuration files and presets for `cleaner clean`, derived from the `Settings` dataclass.

A config file is `cleaner.toml` (keys at the top level) or the `[tool.cleaner]` table of
`pyproject.toml`, found in the working directory or given with `--config`. Its keys are the
fields of `Settings` (`mt_threshold`, `rule_paths`, ...) or the spelling of any long option
of the command that sets one (`mt-threshold`, `rules`, `no-dedup`, `bands`), plus `output`,
`quiet` and `preset`. Nothing here lists the options: a field added to `Settings` is a config
key at once, typed by its annotation, and `Settings.validate` checks the effective values.

Precedence, lowest first: defaults, the preset named in the file, the file, the preset named
on the command line, the options given on the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import re
import sys
import types
import typing
from pathlib import Path, PurePath
from typing import Any

from .settings import Settings, SettingsError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAMES = ("cleaner.toml", "pyproject.toml")
PRESETS: dict[str, dict[str, Any]] = {
    # Training data: every stage on, machine translation and near-duplicates dropped.
    "pretraining": {"junk": True, "language": True, "mt": True, "mt_action": "drop",
                    "dedup": True, "dedup_action": "drop"},
    # Review a corpus: every stage on, no document dropped for MT, duplication or language; only flagged.
    "audit": {"junk": True, "language": True, "mt": True, "mt_action": "flag", "lang": [],
              "dedup": True, "dedup_action": "flag"},
    # Text a main-content extractor (trafilatura, readability, ...) already chose: no line classifier, which
    # learned on whole flattened pages, and no shape rules, which take list items and subheadings for captions.
    "extracted": {"lines": False, "disable_rules": ["caption-shape", "repeated-paragraph"]},
}
RUN_OPTIONS: dict[str, type] = {"output": Path, "quiet": bool, "preset": str}  # options of `clean` outside Settings
# Settings whose layers add up instead of replacing one another: `--disable-rule byline` with `--preset extracted`
# switches off byline as well as the preset's rules, not instead of them (which turned caption-shape back on).
ADDITIVE = {"disable_rules"}
COMMAND_LINE = "command line"  # the origin of a value given as an option


class ConfigError(Exception):
    """A problem in a config file, with the file and line it is on."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


@dataclasses.dataclass
class Resolved:
    """The effective options of a run, and where each value (field or run option) came from (for `--print-config`)."""

    settings: Settings
    run: dict[str, Any]
    origin: dict[str, str]
    path: Path | None
    keys: dict[str, tuple[str, int]] = dataclasses.field(default_factory=dict)  # field: (key, line) in the file


def _hints() -> dict[str, Any]:
    return typing.get_type_hints(Settings)


def field_for(name: str) -> tuple[str, bool] | None:
    """The `Settings` field a command-line dest or field name sets, and whether it is inverted (`no_X`)."""
    name = name.replace("-", "_")
    hints = _hints()
    if name in hints:
        return name, False
    if name.startswith("no_") and hints.get(name[3:]) is bool:
        return name[3:], True
    return None


def option_spellings(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The long options of `parser` that set a `Settings` field, by their spelling as a config key
    (`bands`, `no_junk`): the README promises that the command-line spelling works in the file too."""
    return {option[2:].replace("-", "_"): action for action in parser._actions for option in action.option_strings
            if option.startswith("--") and field_for(action.dest) is not None}


def find_config(folder: Path) -> Path | None:
    """`cleaner.toml` in `folder`, else its `pyproject.toml` when that has a `[tool.cleaner]` table."""
    if (folder / "cleaner.toml").is_file():
        return folder / "cleaner.toml"
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            text = pyproject.read_text(encoding="utf-8-sig")
            data = tomllib.loads(text)
        except (UnicodeDecodeError, OSError):
            return None
        except tomllib.TOMLDecodeError:  # report it (with its line) only if it is meant for us
            return pyproject if "[tool.cleaner]" in text else None
        if isinstance(data.get("tool"), dict) and "cleaner" in data["tool"]:
            return pyproject
    return None


def load_config(path: Path, parser: argparse.ArgumentParser
                ) -> tuple[dict[str, Any], dict[str, Any], dict[str, tuple[str, int]]]:
    """(Settings field values, run options, the key and line that set each field) from a config file.

    `ConfigError` on any problem a key shows alone; `parser` is the command's, whose long options are keys too.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # "-sig": Windows Notepad starts UTF-8 with a mark
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(path, 1, f"cannot read config file: {err}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"line (\d+)", str(err))
        raise ConfigError(path, int(found.group(1)) if found else 1, f"invalid TOML: {err}") from None
    table: str | None = None
    tool = data.get("tool")
    if path.name == "pyproject.toml":
        table = "tool.cleaner"
        if not isinstance(tool, dict) or "cleaner" not in tool:  # given with --config: running on defaults is no fit
            raise ConfigError(path, 1, "no [tool.cleaner] table: the settings of a pyproject.toml go there")
        data = tool["cleaner"]
        if not isinstance(data, dict):
            raise ConfigError(path, _line(text, table, None), "[tool.cleaner] must be a table")
    elif isinstance(tool, dict) and "cleaner" in tool:  # a table copied from a pyproject.toml
        raise ConfigError(path, _line(text, "tool.cleaner", None), f"[tool.cleaner] is read from pyproject.toml "
                                                                   f"only: in {path.name} the settings are at the "
                                                                   "top level, without a table")
    spellings = option_spellings(parser)
    hints = _hints()
    values: dict[str, Any] = {}
    run: dict[str, Any] = {}
    keys: dict[str, tuple[str, int]] = {}
    for key, value in data.items():
        line = _line(text, table, key)
        if key.replace("-", "_") in RUN_OPTIONS:
            name = key.replace("-", "_")
            run[name] = _coerce(value, RUN_OPTIONS[name], path, line, key)
            if name == "preset" and run[name] not in PRESETS:
                raise ConfigError(path, line, f"preset must be one of {', '.join(PRESETS)}, not {value!r}")
            continue
        spelling = spellings.get(key.replace("-", "_"))
        target = field_for(spelling.dest if spelling is not None else key)
        if target is None:
            known = sorted(set(hints) | set(RUN_OPTIONS) | set(spellings))
            close = difflib.get_close_matches(key.replace("-", "_"), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known options: {', '.join(known)})"
            raise ConfigError(path, line, f"unknown option {key!r}{hint}")
        name, inverted = target
        if inverted:
            value = not _coerce(value, bool, path, line, key)
        values[name] = _coerce(value, hints[name], path, line, key)
        keys[name] = key, line
    return values, run, keys


def _line(text: str, table: str | None, key: str | None) -> int:
    """The line of `key` in `table` (None: the top level), or of the table's header."""
    current, header = None, 1
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            current = stripped.strip("[] ").replace('"', "").replace(" ", "")
            if current == table:
                header = number
            continue
        if current == table and key is not None and re.match(rf"""["']?{re.escape(key)}["']?\s*=""", stripped):
            return number
    return header


def _type_name(hint: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string", Path: "a path (string)"}
    if typing.get_origin(hint) is list:
        return f"a list of {_type_name(typing.get_args(hint)[0]).removeprefix('a ').removeprefix('an ')}s"
    return names.get(hint, str(hint))


def _coerce(value: Any, hint: Any, path: Path, line: int, key: str) -> Any:
    """`value` as the type `hint` says (paths relative to the config file's folder), or `ConfigError`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        problems = []
        for option in (a for a in typing.get_args(hint) if a is not type(None)):
            try:
                return _coerce(value, option, path, line, key)
            except ConfigError as err:
                problems.append(err)
        raise problems[-1]
    wrong = ConfigError(path, line, f"{key} must be {_type_name(hint)}, not {type(value).__name__} ({value!r})")
    if origin is list:
        if not isinstance(value, list):
            raise wrong
        return [_coerce(item, typing.get_args(hint)[0], path, line, key) for item in value]
    if origin is typing.Literal:
        if value not in typing.get_args(hint):
            raise ConfigError(path, line, f"{key} must be one of {typing.get_args(hint)}, not {value!r}")
        return value
    if hint is bool or hint is str:
        if not isinstance(value, hint):
            raise wrong
        return value
    if hint is int or hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (hint is int and isinstance(value, float)):
            raise wrong
        return hint(value)
    if isinstance(hint, type) and issubclass(hint, PurePath):
        if not isinstance(value, str):
            raise wrong
        return hint(path.parent / value) if not Path(value).is_absolute() else hint(value)
    raise ConfigError(path, line, f"{key}: options of type {hint} cannot be set from a config file")


def given_options(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The dests the command line set explicitly (parsed again with every default suppressed)."""
    for action in _all_actions(parser):
        action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv)))


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    actions = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                actions.extend(_all_actions(sub))
    return actions


def resolve(cli: Settings, given: set[str], command: argparse.ArgumentParser,
            config: Path | None, cli_run: dict[str, Any], folder: Path) -> Resolved:
    """Layer defaults, the file's preset, the file, the command line's preset, then what the command line set.

    `cli` is the Settings built from the command line alone; `given` the dests it set explicitly;
    `cli_run` the run options (`RUN_OPTIONS`) it gave. `SettingsError` (fields[0]: the option to
    blame) or `ConfigError` (at the key to blame) when the effective settings do not validate.
    """
    path = config if config is not None else find_config(folder)
    values, run, keys = load_config(path, command) if path is not None else ({}, {}, {})
    settings = Settings()
    origin = {f.name: "default" for f in dataclasses.fields(Settings)} | dict.fromkeys(run, str(path))
    layers = [(PRESETS.get(run.get("preset", "")) or {}, f"preset {run.get('preset')}"), (values, str(path))]
    if cli_run.get("preset"):
        layers.append((PRESETS[cli_run["preset"]], f"preset {cli_run['preset']}"))
    # Options given on the command line, and any field it set to other than its default: the second
    # catches an option whose dest does not name its field, so no command-line value is ever lost.
    explicit = {name for name, _ in filter(None, map(field_for, given))}
    explicit |= {f.name for f in dataclasses.fields(Settings) if getattr(cli, f.name) != getattr(Settings(), f.name)}
    layers.append(({name: getattr(cli, name) for name in explicit}, COMMAND_LINE))
    for layer, where in layers:
        known = {k: v for k, v in layer.items() if k in origin}
        origins = dict.fromkeys(known, where)
        for name in ADDITIVE & set(known):
            earlier = getattr(settings, name)
            known[name] = earlier + [item for item in known[name] if item not in earlier]
            if earlier:
                origins[name] = f"{origin[name]} + {where}"
        settings = dataclasses.replace(settings, **known)
        origin.update(origins)
    run.update(cli_run)
    origin.update(dict.fromkeys(cli_run, COMMAND_LINE))
    _validate(settings, origin, path, keys)
    return Resolved(settings, run, origin, path, keys)


def _validate(settings: Settings, origin: dict[str, str], path: Path | None, keys: dict[str, tuple[str, int]]) -> None:
    """`settings.validate()`, blaming the involved setting the user gave: on the command line (the
    `SettingsError` then names it first), else in the file (a `ConfigError` at its key), else the first."""
    try:
        settings.validate()
    except SettingsError as err:
        rank = {COMMAND_LINE: 0, str(path): 1}
        culprit = min(err.fields, key=lambda name: rank.get(origin[name], 2))
        if path is not None and origin[culprit] == str(path):
            key, line = keys[culprit]
            raise ConfigError(path, line, f"{key}: {err.message}") from None
        raise SettingsError(err.message, culprit) from None


def format_config(resolved: Resolved) -> str:
    """The effective settings as a `cleaner.toml` (each value's origin in a comment)."""
    lines = ["# effective settings of `cleaner clean`; usable as cleaner.toml",
             f"# config file: {resolved.path or 'none'}"]
    for key in ("preset", "output", "quiet"):
        if resolved.run.get(key) is not None:
            lines.append(f"{key} = {_toml(resolved.run[key])}  # {resolved.origin[key]}")
    for f in dataclasses.fields(Settings):
        value = getattr(resolved.settings, f.name)
        if value is None:  # TOML has no null: say so in a comment
            lines.append(f"# {f.name} is not set  # {resolved.origin[f.name]}")
        else:
            lines.append(f"{f.name} = {_toml(value)}  # {resolved.origin[f.name]}")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
