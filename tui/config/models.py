"""The wootwatch config file: where it is found, how it is loaded, what it may hold.

Contract:

* **Where.** `find_config` takes `--config` if given, else `$WOOTWATCH_CONFIG`
  if set and not empty (either one even when the file is missing, so the
  loader says "not found" rather than quietly using another file), else the
  first file that exists of `./wootwatch.yaml` and
  `~/.config/wootwatch/config.yaml`.
* **How.** The file is read as UTF-8 (a byte order mark is allowed) and its
  YAML through PyYAML's safe loader only, by `tui.config.yaml_reader`: every value
  keeps its line and column, a key written twice is an error, YAML 1.1
  base-60 numbers stay text, and string values may use `${NAME}` and
  `${NAME:-default}` from the environment. Values from the environment and
  values of secret-looking keys are never repeated in a message.
* **What.** `WootwatchConfig` and its parts, pydantic models with
  `extra="forbid"`. `rules` entries are `collectors.alerts.rules.Rule`s, merged
  onto the default rule of the same name; `notify` is
  `collectors.alerts.notify.NotifyConfig`. `sources` is a list discriminated by `type`
  over every model in `collectors.base.SOURCE_MODULES`, so a new source needs no change here.
  An empty top-level key (`notify:` with everything under it commented out)
  means its default; top-level keys starting with `x-` are ignored, a place
  for YAML anchors that sources merge with `<<: *name`. A relative `database`
  is relative to the config file's directory, and `~` is expanded.
* **Errors.** Every user error (missing, unreadable or non-UTF-8 file, YAML
  syntax, wrong shape, failed validation) raises `ConfigError` holding all
  the problems found, sorted by position, each printed as
  `FILE:LINE:COL: message` with 1-based line and column. Nothing else is
  raised for a bad file, so no command ever shows a traceback for one.
  `ConfigError` and `ConfigProblem` live in `tui.config.errors` and are
  re-exported here; `tui.config.messages` words validation errors.

This module must not import Textual: `wootwatch collect` uses it headless.
"""

from __future__ import annotations

import functools
import operator
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from collectors.alerts.notify import NotifyConfig
from collectors.alerts.rules import Rule, RuleEntry, effective_rules
from collectors.base import (
    MIN_INTERVAL,
    SOURCE_MODULES,
    Duration,
    SourceConfig,
    format_duration,
    source_config_models,
)
from collectors.business_hours import BusinessHours
from collectors.listen import parse_listen
from collectors.store.retention import Retention
from tui.config.errors import ConfigError, ConfigProblem, problem_at, syntax_problem
from tui.config.messages import check_source_names, translate_error
from tui.config.yaml_reader import DocumentTooLarge, MarkedYamlReader

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


class WootwatchConfig(BaseModel):
    """The whole config file; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: Path = Field(default=DEFAULT_DATABASE, validate_default=True)
    """The SQLite store; `~` is expanded and a relative path is relative to the config file."""
    retention: Retention = Field(default_factory=Retention)
    """How much history the store keeps."""
    refresh: Duration = 2.0
    """How often the TUI redraws from the store."""
    sources: list[SourceEntry] = Field(default_factory=list)
    """What to watch: one entry per upstream, chosen by `type`, with unique `name`s."""
    rules: list[RuleEntry] = Field(default_factory=list)
    """Alert rules added to the default rule pack, or overriding one of the same `name`."""
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    """Where alerts are sent besides the screen."""
    theme: Literal["dark", "light", "high-contrast"] = "dark"
    """Colour theme of the TUI."""
    business_hours: BusinessHours | None = None
    """Working hours for SLA timers; none means the clock always runs."""
    metrics_listen: str | None = None
    """`HOST:PORT` where `wootwatch collect` serves Prometheus `/metrics`; none: not served."""

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        """A key left empty (its children commented out) takes its default."""
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @field_validator("metrics_listen")
    @classmethod
    def _listen_address(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value

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
            if source.interval < MIN_INTERVAL:
                raise PydanticCustomError(
                    "interval_too_short",
                    "source '{name}': an interval of {given} is too short; the shortest is {floor}",
                    {
                        "name": source.name,
                        "given": format_duration(source.interval),
                        "floor": format_duration(MIN_INTERVAL),
                    },
                )
        return sources

    @field_validator("rules")
    @classmethod
    def _unique_rule_names(cls, rules: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for index, rule in enumerate(rules):
            if rule.name in seen:
                raise PydanticCustomError(
                    "duplicate_rule_name",
                    "rule '{name}' is given twice; merge the two entries",
                    {"name": rule.name, "index": index},
                )
            seen.add(rule.name)
        return rules

    @property
    def enabled_sources(self) -> list[SourceConfig]:
        """The sources to poll: those not switched off with `enabled: false`."""
        return [source for source in self.sources if source.enabled]

    @property
    def effective_rules(self) -> list[Rule]:
        """The default rule pack with these rules applied; disabled rules left out."""
        return effective_rules(self.rules)


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
        env: the environment, for `WOOTWATCH_CONFIG` and `HOME`; a set
            `WOOTWATCH_CONFIG` is returned even if it does not exist, like `explicit`.
    """
    named = explicit or env.get("WOOTWATCH_CONFIG")
    if named:
        return _expand_home(named, env)
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
        raise ConfigError([syntax_problem(path, exc)]) from None
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
        raise ConfigError([problem_at(path, root.start_mark, message)])

    reader = MarkedYamlReader(path, env)
    try:
        data = reader.read(root, ())
    except (DocumentTooLarge, RecursionError):
        message = "the file expands to too many values or nests too deeply (aliases of aliases?)"
        raise ConfigError([ConfigProblem(path, 1, 1, message)]) from None
    # Top-level `x-...` keys are ignored: a place for YAML anchors (`x-defaults: &d`).
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    check_source_names(data, reader)

    config: WootwatchConfig | None = None
    try:
        config = WootwatchConfig.model_validate(
            data, context={"base_dir": Path(path).absolute().parent, "home": _home(env)}
        )
    except ValidationError as exc:
        for detail in exc.errors(include_url=False):
            problem = translate_error(detail, data, reader, WootwatchConfig)
            if problem is not None:
                reader.problems.append(problem)
    if reader.problems or config is None:
        raise ConfigError(reader.problems)
    return config
