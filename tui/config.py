"""The wootwatch config file: where it is found, how it is read, what it may hold.

Contract:

* **Where.** `find_config` takes `--config` if given (even a missing file, so
  the loader can say "not found"), else the first file that exists of
  `$WOOTWATCH_CONFIG`, `./wootwatch.yaml` and `~/.config/wootwatch/config.yaml`.
* **How.** YAML through PyYAML's safe loader only. The node tree is walked by
  hand so that every value keeps its line and column, a key written twice in
  one mapping is an error (plain `safe_load` would quietly keep the last one),
  and YAML 1.1 base-60 numbers stay text (`end: 18:00` is not 1080).
* **Environment.** Every string value may use `${NAME}` or `${NAME:-default}`
  (the default applies when NAME is unset or empty); `$${` is a literal `${`.
  A missing variable without a default is an error. Values that came from the
  environment, and values of secret-looking keys (token, password, secret,
  key, webhook, URLs with credentials), are never repeated in a message: it
  says `value from ${NAME}` or `value hidden` instead.
* **What.** `WootwatchConfig` and its parts, pydantic models with
  `extra="forbid"` (only the free-form `notify` and `rules` entries take any
  key for now). `sources` is a list discriminated by `type` over every model
  in `collectors.base.SOURCE_MODULES`, so a new source needs no change here.
  An empty top-level key (`notify:` with everything under it commented out)
  means its default; top-level keys starting with `x-` are ignored, a place
  for YAML anchors that sources merge with `<<: *name`. A relative `database`
  is relative to the config file's directory, and `~` is expanded.
* **Errors.** Every user error (missing, unreadable or non-UTF-8 file, YAML
  syntax, wrong shape, failed validation) raises `ConfigError` holding all
  the problems found, sorted by position, each printed as
  `FILE:LINE:COL: message` with 1-based line and column. Nothing else is
  raised for a bad file, so no command ever shows a traceback for one.

This module must not import Textual: `wootwatch collect` uses it headless.
"""

from __future__ import annotations

import difflib
import functools
import operator
import os
import re
import types
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from collectors.base import (
    SOURCE_MODULES,
    Duration,
    SourceConfig,
    format_duration,
    parse_duration,
    source_config_models,
)
from collectors.retention import Retention

__all__ = [
    "BusinessHours",
    "ConfigError",
    "ConfigProblem",
    "WootwatchConfig",
    "default_config_paths",
    "find_config",
    "load_config",
    "parse_config",
]

DEFAULT_DATABASE = Path("~/.local/share/wootwatch/wootwatch.db")
"""Where the store lives when the config does not say."""

Loc: TypeAlias = tuple[Any, ...]
"""A path into the parsed data: mapping keys and list indices, e.g. `("sources", 0, "name")`."""


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file, at a 1-based line and column."""

    path: str
    """The config file as the user named it."""
    line: int
    column: int
    message: str
    """One line of plain English; never a secret or an environment value."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ConfigError(Exception):
    """The config cannot be used; `problems` lists everything wrong, sorted by position.

    Args:
        problems: what was found; sorted and de-duplicated here.
    """

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        unique = set(problems)
        self.problems: list[ConfigProblem] = sorted(
            unique, key=lambda p: (p.path, p.line, p.column, p.message)
        )
        super().__init__("\n".join(str(problem) for problem in self.problems))


# --------------------------------------------------------------------------- models


def _source_models() -> dict[str, type[SourceConfig]]:
    """Config `type` to its model, for every registered source."""
    return dict(zip(SOURCE_MODULES, source_config_models(), strict=True))


_SOURCE_MODELS = _source_models()

if TYPE_CHECKING:
    SourceEntry: TypeAlias = SourceConfig
else:
    SourceEntry = Annotated[
        functools.reduce(operator.or_, _SOURCE_MODELS.values()),
        Field(discriminator="type"),
    ]
"""One entry of `sources`: the model its `type` names."""


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
Day: TypeAlias = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri")


def _day(value: object) -> object:
    """Accept `Mon` and `monday` for `mon`."""
    if isinstance(value, str):
        word = value.strip().lower()
        return word[:3] if word in _DAY_NAMES else word
    return value


def _clock(value: object) -> str:
    """Check and normalise `HH:MM` (`9:30` becomes `09:30`)."""
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"invalid time {value!r}: use HH:MM on a 24-hour clock, like 09:00")
    return f"{int(match[1]):02d}:{match[2]}"


class BusinessHours(BaseModel):
    """When people are at work: SLA timers and some rules count only these hours."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    timezone: str = "UTC"
    """IANA time zone the hours are in, e.g. `Europe/Berlin`."""
    days: list[Annotated[Day, BeforeValidator(_day)]] = Field(
        default_factory=lambda: list(_WEEKDAYS), min_length=1
    )
    """Working days, each one of `mon` .. `sun`."""
    start: Annotated[str, BeforeValidator(_clock)] = "09:00"
    """Start of the working day, `HH:MM` on a 24-hour clock."""
    end: Annotated[str, BeforeValidator(_clock)] = "18:00"
    """End of the working day, `HH:MM`; later than `start` (no overnight shifts)."""

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            hint = _did_you_mean(value, zoneinfo.available_timezones())
            raise ValueError(
                f"unknown time zone {value!r}{hint or '; use an IANA name like Europe/Berlin'}"
            ) from None
        return value

    @model_validator(mode="after")
    def _check_order(self) -> BusinessHours:
        if self.start >= self.end:
            raise PydanticCustomError(
                "business_hours_order", "must be later than start", {"at": "end"}
            )
        return self

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The time zone as an object."""
        return zoneinfo.ZoneInfo(self.timezone)


def _check_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """The part of a rule this module knows: a mapping with a `name`."""
    if "name" not in rule:
        raise PydanticCustomError("missing_key", "missing required key '{key}'", {"key": "name"})
    name = rule["name"]
    if not isinstance(name, str) or not name.strip():
        raise PydanticCustomError("rule_name", "must be non-empty text", {"at": "name"})
    return rule


class WootwatchConfig(BaseModel):
    """The whole config file; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    database: Path = Field(default=DEFAULT_DATABASE, validate_default=True)
    """The SQLite store; `~` is expanded and a relative path is relative to the config file."""
    retention: Retention = Field(default_factory=Retention)
    """How much history the store keeps."""
    refresh: Duration = 2.0
    """How often the TUI redraws from the store."""
    sources: list[SourceEntry] = Field(default_factory=list)
    """What to watch: one entry per upstream, chosen by `type`, with unique `name`s."""
    rules: list[Annotated[dict[str, Any], AfterValidator(_check_rule)]] = Field(
        default_factory=list
    )
    """Alert rules added to, or replacing by `name`, the default rule pack."""
    notify: dict[str, Any] = Field(default_factory=dict)
    """Where alerts are sent besides the screen."""
    theme: Literal["dark", "light", "high-contrast"] = "dark"
    """Colour theme of the TUI."""
    business_hours: BusinessHours | None = None
    """Working hours for SLA timers; none means the clock always runs."""

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        """A key left empty (its children commented out) takes its default."""
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @field_validator("database", mode="before")
    @classmethod
    def _database_given(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must be a file path, not empty text")
        return value

    @field_validator("database")
    @classmethod
    def _resolve_database(cls, value: Path, info: ValidationInfo) -> Path:
        context = info.context if isinstance(info.context, dict) else {}
        home = context.get("home")
        if value.parts[:1] == ("~",) and home is not None:
            value = Path(home).joinpath(*value.parts[1:])
        try:
            value = value.expanduser()
        except RuntimeError as exc:
            raise ValueError(f"cannot expand '~': {exc}") from None
        base = context.get("base_dir")
        if not value.is_absolute() and base is not None:
            value = Path(base) / value
        return value

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        seen: set[str] = set()
        for index, source in enumerate(sources):
            if source.name in seen:
                raise PydanticCustomError(
                    "duplicate_source_name",
                    "duplicate source name '{name}'",
                    {"name": source.name, "index": index},
                )
            seen.add(source.name)
        return sources


# --------------------------------------------------------------------------- finding


def default_config_paths(
    env: Mapping[str, str] = os.environ, cwd: Path | None = None
) -> list[Path]:
    """The places a config is looked for, in order, whether they exist or not.

    Args:
        env: the environment; `WOOTWATCH_CONFIG` is skipped when unset or empty.
        cwd: the directory `./wootwatch.yaml` is in; default the current one.
    """
    paths: list[Path] = []
    if env.get("WOOTWATCH_CONFIG"):
        paths.append(_expand_home(env["WOOTWATCH_CONFIG"], env))
    paths.append((cwd if cwd is not None else Path.cwd()) / "wootwatch.yaml")
    home = _home(env)
    if home is not None:
        paths.append(home / ".config" / "wootwatch" / "config.yaml")
    return paths


def find_config(explicit: str | None, env: Mapping[str, str] = os.environ) -> Path | None:
    """The config file to use, or None when there is none anywhere.

    Args:
        explicit: `--config`; returned even if it does not exist, so that loading
            it reports "not found" rather than silently using another file.
        env: the environment, for `WOOTWATCH_CONFIG` and `HOME`.
    """
    if explicit:
        return _expand_home(explicit, env)
    for candidate in default_config_paths(env):
        try:
            if candidate.exists():
                return candidate
        except OSError:
            return candidate  # it is there but cannot be looked at: let the loader say why
    return None


def _home(env: Mapping[str, str]) -> Path | None:
    if env.get("HOME"):
        return Path(env["HOME"])
    try:
        return Path.home()
    except RuntimeError:
        return None


def _expand_home(text: str, env: Mapping[str, str]) -> Path:
    home = _home(env)
    if home is not None and (text == "~" or text.startswith("~/")):
        return home / text[2:]
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


# --------------------------------------------------------------------------- loading


def load_config(path: Path, env: Mapping[str, str] = os.environ) -> WootwatchConfig:
    """Read, parse and validate a config file.

    Args:
        path: the file; messages name it as given.
        env: the environment `${NAME}` references are taken from.

    Raises:
        ConfigError: for any problem with the file, listing all that were found.
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(name, 1, 1, "config file not found")]) from None
    except IsADirectoryError:
        raise ConfigError(
            [ConfigProblem(name, 1, 1, "this is a directory, not a config file")]
        ) from None
    except PermissionError:
        raise ConfigError(
            [ConfigProblem(name, 1, 1, "permission denied: cannot read the config file")]
        ) from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(
            [ConfigProblem(name, 1, 1, f"cannot read the config file: {reason}")]
        ) from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark from some editors
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise ConfigError([ConfigProblem(name, line, column, message)]) from None
    return parse_config(text, name, env)


def parse_config(text: str, path: str, env: Mapping[str, str] = os.environ) -> WootwatchConfig:
    """Parse and validate config text.

    Args:
        text: the YAML.
        path: the file name used in messages; a relative `database` is taken
            relative to its directory.
        env: the environment `${NAME}` references are taken from.

    Raises:
        ConfigError: for any problem with the text, listing all that were found.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(path, exc)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        message = f"invalid YAML: the control character U+{exc.character:04X} is not allowed"
        raise ConfigError([ConfigProblem(path, line, column, message)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(path, 1, 1, f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([ConfigProblem(path, 1, 1, "invalid YAML: nested too deeply")]) from None

    if root is None:
        message = (
            "the file holds no settings (it is empty or all comments); see wootwatch.example.yaml"
        )
        raise ConfigError([ConfigProblem(path, 1, 1, message)])
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        message = f"the top level must be a mapping of settings (lines like 'sources:'), not {kind}"
        raise ConfigError([_problem_at(path, root.start_mark, message)])

    reader = _Reader(path, env)
    try:
        data = reader.read(root, ())
    except (_TooLarge, RecursionError):
        message = "the file expands to too many values or nests too deeply (aliases of aliases?)"
        raise ConfigError([ConfigProblem(path, 1, 1, message)]) from None
    # Top-level `x-...` keys are ignored: a place for YAML anchors (`x-defaults: &d`).
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    _check_source_names(data, reader)

    config: WootwatchConfig | None = None
    try:
        config = WootwatchConfig.model_validate(
            data, context={"base_dir": Path(path).absolute().parent, "home": _home(env)}
        )
    except ValidationError as exc:
        for detail in exc.errors(include_url=False):
            problem = _translate(detail, data, reader)
            if problem is not None:
                reader.problems.append(problem)
    if reader.problems or config is None:
        raise ConfigError(reader.problems)
    return config


# --------------------------------------------------------------------------- YAML reading

_STR_TAG = "tag:yaml.org,2002:str"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_VALUES = 100_000
"""Stop expanding aliases past this many values (a "billion laughs" file)."""

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_REFERENCE_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)
_SECRET_WORDS = frozenset(
    {
        "apikey",
        "auth",
        "authorization",
        "cookie",
        "credential",
        "credentials",
        "dsn",
        "key",
        "passphrase",
        "passwd",
        "password",
        "secret",
        "token",
        "webhook",
    }
)
_CREDENTIAL_URL = re.compile(r"://[^/\s@]+@")


class _TooLarge(Exception):
    """The document expands to more than `_MAX_VALUES` values."""


_INVALID = object()
"""What a value that could not be read becomes; it is reported where it was found."""


def _problem_at(path: str, mark: yaml.Mark, message: str) -> ConfigProblem:
    return ConfigProblem(path, mark.line + 1, mark.column + 1, message)


def _syntax_problem(path: str, exc: yaml.MarkedYAMLError) -> ConfigProblem:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or "cannot parse this").strip()
    context = (exc.context or "").strip()
    if context and not context.startswith("while"):
        # e.g. "expected a single document in the stream, but found another document"
        message = f"{context}, {problem}"
    elif context and exc.context_mark is not None and exc.context_mark is not mark:
        message = f"{problem} ({context} that starts at line {exc.context_mark.line + 1})"
    else:
        message = problem
    if "'\\t'" in problem:
        message += "; indent with spaces, not tabs"
    if mark is None:
        return ConfigProblem(path, 1, 1, f"invalid YAML: {message}")
    return _problem_at(path, mark, f"invalid YAML: {message}")


def _secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower())
    return any(word in _SECRET_WORDS for word in words)


class _Reader:
    """Turns a composed YAML node tree into plain data, remembering where each value was.

    Args:
        path: the file name for messages.
        env: where `${NAME}` references are looked up.
    """

    def __init__(self, path: str, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env
        self.problems: list[ConfigProblem] = []
        self.key_marks: dict[Loc, yaml.Mark] = {}
        """Where each mapping key was written."""
        self.value_marks: dict[Loc, yaml.Mark] = {}
        """Where each value starts."""
        self.hidden: dict[Loc, tuple[str, str]] = {}
        """Values never to repeat, with what to say instead: interpolated or secret-looking."""
        self.reported: set[Loc] = set()
        """Values already reported while reading, so validation adds nothing about them."""
        self._constructor = yaml.SafeLoader("")
        self._count = 0
        self._open: set[int] = set()

    # where things are

    def add(self, mark: yaml.Mark, loc: Loc, message: str) -> None:
        """Record a problem at a mark, prefixed with the key path."""
        self.problems.append(_problem_at(self.path, mark, _prefixed(loc, message)))

    def value_mark(self, loc: Loc) -> yaml.Mark | None:
        """Where the value at `loc`, or its nearest enclosing value, starts."""
        for end in range(len(loc), -1, -1):
            mark = self.value_marks.get(loc[:end])
            if mark is not None:
                return mark
        return None

    def at_value(self, loc: Loc, message: str) -> ConfigProblem:
        """A problem pointing at the value at `loc`."""
        mark = self.value_mark(loc)
        text = _prefixed(loc, message)
        return (
            ConfigProblem(self.path, 1, 1, text)
            if mark is None
            else _problem_at(self.path, mark, text)
        )

    def at_key(self, loc: Loc, message: str) -> ConfigProblem:
        """A problem pointing at the key of `loc`, prefixed with its parent's path."""
        mark = self.key_marks.get(loc) or self.value_mark(loc)
        text = _prefixed(loc[:-1], message)
        return (
            ConfigProblem(self.path, 1, 1, text)
            if mark is None
            else _problem_at(self.path, mark, text)
        )

    # what may be said

    def label(self, loc: Loc) -> str | None:
        """What to say instead of the value at `loc`, or None when it may be shown."""
        hidden = self.hidden.get(loc)
        return hidden[0] if hidden else None

    def show(self, loc: Loc, value: object) -> str:
        """The value at `loc` for a message: quoted, or a label when it must stay hidden."""
        label = self.label(loc)
        return f"({label})" if label else _quote(value)

    def redact(self, message: str, loc: Loc) -> str:
        """Take hidden values at or under `loc` out of a message written by a validator."""
        labels: list[str] = []
        for hidden_loc, (label, value) in self.hidden.items():
            if hidden_loc[: len(loc)] != loc or not value:
                continue
            for form in (repr(value), repr(value).replace("'", '"')):
                if form in message:
                    message = message.replace(form, f"\x00{len(labels)}\x00")
                    labels.append(f"({label})")
            if value in message:
                return f"invalid value ({label})"
        for index, label in enumerate(labels):
            message = message.replace(f"\x00{index}\x00", label)
        return message

    # reading

    def read(self, node: yaml.Node, loc: Loc) -> Any:
        """The plain value of a node; marks, problems and hidden values are recorded on the way."""
        self._count += 1
        if self._count > _MAX_VALUES:
            raise _TooLarge
        self.value_marks[loc] = node.start_mark
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if id(node) in self._open:
            self.add(node.start_mark, loc, "an alias refers to a value that contains it")
            self.reported.add(loc)
            return None
        if node.tag not in (_MAP_TAG, _SEQ_TAG):
            self.add(node.start_mark, loc, f"unsupported YAML tag {node.tag!r}")
            self.reported.add(loc)
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
            return [self.read(item, (*loc, index)) for index, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merges: list[yaml.Node] = []
        own: list[tuple[Any, yaml.Node, yaml.Node]] = []
        seen: dict[Any, yaml.Mark] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self._key(key_node, loc)
            if key is _INVALID:
                continue
            if key in seen:
                first = seen[key].line + 1
                message = f"duplicate key {_quote(key)}; it is already set on line {first}"
                self.add(key_node.start_mark, loc, message)
                continue
            seen[key] = key_node.start_mark
            own.append((key, key_node, value_node))
        # `<<: *defaults` (or a list): earlier ones win; the mapping's own keys win over all.
        for merge in reversed(merges):
            parts = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for part in reversed(parts):
                if not isinstance(part, yaml.MappingNode) or id(part) in self._open:
                    self.add(
                        part.start_mark, loc, "'<<' must merge a mapping (an alias like *defaults)"
                    )
                    continue
                self._open.add(id(part))
                try:
                    result.update(self._mapping(part, loc))
                finally:
                    self._open.discard(id(part))
        for key, key_node, value_node in own:
            self.key_marks[(*loc, key)] = key_node.start_mark
            result[key] = self.read(value_node, (*loc, key))
        return result

    def _key(self, node: yaml.Node, loc: Loc) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.add(node.start_mark, loc, "a key must be a plain value, not a list or a mapping")
            return _INVALID
        return self._construct(node, loc)

    def _construct(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        if node.tag in _NUMBER_TAGS and node.style is None and ":" in node.value:
            return node.value  # YAML 1.1 base 60: `18:00` is a time here, not 1080
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.add(node.start_mark, loc, (exc.problem or "cannot read this value").strip())
        except (ValueError, TypeError, OverflowError):
            self.add(
                node.start_mark, loc, f"cannot read this value as {node.tag.rsplit(':', 1)[-1]}"
            )
        return _INVALID

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        value = self._construct(node, loc)
        if value is _INVALID:
            self.reported.add(loc)
            return None
        if isinstance(value, str) and node.tag == _STR_TAG:
            value = self._interpolate(value, node, loc)
        secret = isinstance(value, str) and (
            (bool(loc) and _secret_key(loc[-1])) or _CREDENTIAL_URL.search(value) is not None
        )
        if secret and loc not in self.hidden:
            self.hidden[loc] = ("value hidden", value)
        return value

    def _interpolate(self, text: str, node: yaml.ScalarNode, loc: Loc) -> str:
        names: list[str] = []
        missing: list[str] = []
        malformed = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal malformed
            if match[0] == "$${":
                return "${"
            body = match[1]
            reference = _REFERENCE_BODY.fullmatch(body) if body is not None else None
            if reference is None:
                malformed = True
                return ""
            name, default = reference[1], reference[2]
            names.append(name)
            value = self.env.get(name)
            if default is not None and not value:
                return default
            if value is None:
                missing.append(name)
                return ""
            return value

        result = _REFERENCE.sub(substitute, text)
        if names:
            refs = ", ".join(f"${{{name}}}" for name in dict.fromkeys(names))
            self.hidden[loc] = (f"value from {refs}", result)
        for name in dict.fromkeys(missing):
            self.add(node.start_mark, loc, f"environment variable {name} is not set")
        if malformed:
            message = (
                "invalid ${...} reference: write ${NAME} or ${NAME:-default},"
                " and $${ for a literal ${"
            )
            self.add(node.start_mark, loc, message)
        if missing or malformed:
            self.reported.add(loc)
        return result


# --------------------------------------------------------------------------- messages

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_SOURCE_NAME_PATTERN = next(
    (m.pattern for m in SourceConfig.model_fields["name"].metadata if getattr(m, "pattern", None)),
    None,
)
_BOUND_WORDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}
_MISSING = object()


def _where(loc: Loc) -> str:
    """`("sources", 0, "interval")` -> `sources[0].interval`."""
    text = ""
    for step in loc:
        if isinstance(step, int) and not isinstance(step, bool):
            text += f"[{step}]"
        elif isinstance(step, str) and _IDENTIFIER.fullmatch(step):
            text += f".{step}" if text else step
        else:
            text += f"[{step!r}]"
    return text


def _prefixed(loc: Loc, message: str) -> str:
    return f"{_where(loc)}: {message}" if loc else message


def _quote(value: object) -> str:
    """A short, YAML-looking rendering of a plain value."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str | date | datetime):
        text = repr(str(value))
        return text if len(text) <= 60 else text[:56] + "...'"
    return _kind(value)


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime | date):
        return "a date"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}"


def _did_you_mean(word: object, options: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _lookup(data: Any, loc: Loc) -> Any:
    for step in loc:
        found = (isinstance(data, dict) and step in data) or (
            isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)
        )
        if not found:
            return _MISSING
        data = data[step]
    return data


def _strip_tag(loc: Loc, data: Any) -> Loc:
    """Drop the tag pydantic puts in locations inside a discriminated union entry."""
    if len(loc) >= 3 and loc[0] == "sources" and isinstance(loc[1], int):
        entry = _lookup(data, loc[:2])
        if isinstance(entry, dict) and entry.get("type") == loc[2]:
            return (*loc[:2], *loc[3:])
    return loc


def _unwrap(annotation: Any, value: Any) -> Any:
    """Strip `Annotated` and `None` from a type; pick a union member by the value's `type`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin is Union or origin is types.UnionType:
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                tag = value.get("type") if isinstance(value, dict) else None
                members = [
                    member
                    for member in members
                    if isinstance(member, type)
                    and issubclass(member, BaseModel)
                    and "type" in member.model_fields
                    and member.model_fields["type"].default == tag
                ]
                if len(members) != 1:
                    return None
            annotation = members[0]
            continue
        return annotation


def _model_at(loc: Loc, data: Any) -> type[BaseModel] | None:
    """The model that validates the mapping at `loc`, if there is one."""
    annotation: Any = WootwatchConfig
    value: Any = data
    for step in loc:
        annotation = _unwrap(annotation, value)
        value = _lookup(value, (step,))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(step) if isinstance(step, str) else None
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) is list and isinstance(step, int):
            annotation = get_args(annotation)[0]
        else:
            return None
    annotation = _unwrap(annotation, value)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unknown_key(key: object, parent: Loc, data: Any) -> str:
    message = f"unknown key {_quote(key)}"
    model = _model_at(parent, data)
    if model is None:
        return message
    known = list(model.model_fields)
    hint = _did_you_mean(key, known)
    return message + (hint or f"; expected one of: {', '.join(known)}")


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_duration_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_duration(value)
    except ValueError:
        return False
    return True


def _describe(detail: ErrorDetails, value: object, shown: str) -> str:
    """A plain-English message for a pydantic error about one value."""
    kind = detail["type"]
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    if value is None:
        return "is empty; give it a value or remove the key"
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}, not {shown}"
    if kind == "string_type":
        return f"must be text, not {_kind(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return f"must be a whole number, not {shown}"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"must be a number, not {shown}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, not {shown}"
    if kind == "list_type":
        return f"must be a list (one '- ' line per item), not {_kind(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping (key: value lines), not {_kind(value)}"
    if kind in _BOUND_WORDS:
        name, words = _BOUND_WORDS[kind]
        bound = ctx.get(name)
        if _is_duration_text(value) and isinstance(bound, int | float) and bound > 0:
            limit = format_duration(float(bound))
        else:
            limit = _number(bound)
        return f"must be {words} {limit}, not {shown}"
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind in ("too_short", "too_long"):
        words, bound = (
            ("at least", ctx.get("min_length"))
            if kind == "too_short"
            else ("at most", ctx.get("max_length"))
        )
        return f"must have {words} {bound} item{'' if bound == 1 else 's'}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == _SOURCE_NAME_PATTERN:
            return f"must use only letters, digits, '.', '_' and '-', not {shown}"
        return f"must match the pattern {ctx.get('pattern')}, not {shown}"
    if kind == "path_type":
        return f"must be a file path, not {_kind(value)}"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    return detail["msg"].replace("Input should be", "must be")


def _translate(detail: ErrorDetails, data: Any, reader: _Reader) -> ConfigProblem | None:
    """Turn one pydantic error into a problem at the right line and column."""
    kind = detail["type"]
    if kind == "duplicate_source_name":
        return None  # `_check_source_names` reports it with better marks
    loc = _strip_tag(tuple(detail["loc"]), data)
    if any(loc[: len(done)] == done for done in reader.reported):
        return None
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})

    if kind in ("missing", "missing_key", "union_tag_not_found"):
        if kind == "missing":
            parent, key = loc[:-1], loc[-1]
        else:
            parent, key = loc, ctx.get("key", "type")
        message = f"missing required key {_quote(key)}"
        if kind == "union_tag_not_found":
            message += f"; known types: {', '.join(_SOURCE_MODELS)}"
        return reader.at_value(parent, message)
    if kind == "extra_forbidden":
        return reader.at_key(loc, _unknown_key(loc[-1], loc[:-1], data))
    if kind == "invalid_key" or (loc and loc[-1] == "[key]"):
        key_loc = loc[:-1] if loc and loc[-1] == "[key]" else loc
        return reader.at_key(key_loc, f"key {_quote(key_loc[-1])} must be text")
    if kind == "union_tag_invalid":
        type_loc = (*loc, "type")
        tag = _lookup(data, type_loc)
        message = (
            f"unknown source type {reader.show(type_loc, tag)}; known: {', '.join(_SOURCE_MODELS)}"
        )
        if reader.label(type_loc) is None:
            message += _did_you_mean(tag, _SOURCE_MODELS)
        return reader.at_value(type_loc, message)

    if isinstance(ctx.get("at"), str):
        loc = (*loc, ctx["at"])
    value = _lookup(data, loc)
    if value is _MISSING:
        value = detail["input"]
    message = _describe(detail, value, reader.show(loc, value))
    return reader.at_value(loc, reader.redact(message, loc))


def _check_source_names(data: Any, reader: _Reader) -> None:
    """Report the second and later sources that reuse a name, at their `name` value."""
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, list):
        return
    first: dict[str, Loc] = {}
    for index, entry in enumerate(sources):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        loc: Loc = ("sources", index, "name")
        if name not in first:
            first[name] = loc
            continue
        mark = reader.value_mark(first[name])
        where = f"; the first is on line {mark.line + 1}" if mark is not None else ""
        problem = reader.at_value(loc, f"duplicate source name {reader.show(loc, name)}{where}")
        reader.problems.append(problem)
