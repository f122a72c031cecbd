"""Reading YAML into plain data while remembering where every value was written.

Contract:

* **Input.** A node tree composed by PyYAML's safe loader (`yaml.compose`);
  nothing else is constructed. `MarkedYamlReader.read` turns it into plain
  dicts, lists and scalars and records, for every path into the data (a
  `Loc`), where its key and its value were written, so any later problem can
  be reported at a line and column.
* **YAML rules.** A key written twice in one mapping is a problem (plain
  `safe_load` would quietly keep the last one); `<<` merges mappings, the
  mapping's own keys winning; YAML 1.1 base-60 numbers stay text (`end: 18:00`
  is not 1080); tags other than the standard ones, keys that are lists or
  mappings, and aliases that contain themselves are problems. A document that
  expands to too many values (a "billion laughs" file of aliases of aliases)
  raises `DocumentTooLarge`.
* **Environment.** Every string value may use `${NAME}` or `${NAME:-default}`
  (the default applies when NAME is unset or empty); `$${` is a literal `${`.
  A missing variable without a default is a problem.
* **Secrets.** Values that came from the environment, and values of
  secret-looking keys (token, password, secret, key, webhook, URLs with
  credentials), are never repeated in a message: `show` and `redact` say
  `value from ${NAME}` or `value hidden` instead.
* **Problems.** Everything wrong is collected in `problems`, as
  `ConfigProblem`s prefixed with the key path (`sources[0].name: ...`); only
  `DocumentTooLarge` and `RecursionError` escape. Values reported here are
  listed in `reported`, so validation need not report them again.
* **Wording.** `quote` and `kind_of` name a read value in YAML words for a
  message; they do not know what is hidden, so a value at a known `Loc` goes
  through `MarkedYamlReader.show` instead.

Nothing here imports Textual.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeAlias

import yaml

from tui.config.errors import ConfigProblem, problem_at

__all__ = ["DocumentTooLarge", "Loc", "MarkedYamlReader", "kind_of", "quote"]

Loc: TypeAlias = tuple[Any, ...]
"""A path into the parsed data: mapping keys and list indices, e.g. `("sources", 0, "name")`."""

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


class DocumentTooLarge(Exception):
    """The document expands to more than `_MAX_VALUES` values."""


_INVALID = object()
"""What a value that could not be read becomes; it is reported where it was found."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


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


def quote(value: object) -> str:
    """A short, YAML-looking rendering of a plain value, for a message.

    Args:
        value: a value as read from YAML.

    Returns:
        Text in quotes (cut to about 60 characters), a number, `true` or
        `false`, or what kind of value it is (`a mapping`, `an empty value`).
    """
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str | date | datetime):
        text = repr(str(value))
        return text if len(text) <= 60 else text[:56] + "...'"
    return kind_of(value)


def kind_of(value: object) -> str:
    """What kind of value this is, in YAML words, for a message.

    Args:
        value: a value as read from YAML.

    Returns:
        `a mapping`, `a list`, `an empty value`, `true/false`, `a number`,
        `a date`, `text`, or `a <type name>` for anything else.
    """
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


def _secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower())
    return any(word in _SECRET_WORDS for word in words)


class MarkedYamlReader:
    """Turns a composed YAML node tree into plain data, remembering where each value was.

    One reader reads one document: call `read` on its root once, then use the
    marks, `hidden` values and `problems` it recorded to report on the data.

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
        self.problems.append(problem_at(self.path, mark, _prefixed(loc, message)))

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
            else problem_at(self.path, mark, text)
        )

    def at_key(self, loc: Loc, message: str) -> ConfigProblem:
        """A problem pointing at the key of `loc`, prefixed with its parent's path."""
        mark = self.key_marks.get(loc) or self.value_mark(loc)
        text = _prefixed(loc[:-1], message)
        return (
            ConfigProblem(self.path, 1, 1, text)
            if mark is None
            else problem_at(self.path, mark, text)
        )

    # what may be said

    def label(self, loc: Loc) -> str | None:
        """What to say instead of the value at `loc`, or None when it may be shown."""
        hidden = self.hidden.get(loc)
        return hidden[0] if hidden else None

    def show(self, loc: Loc, value: object) -> str:
        """The value at `loc` for a message: quoted, or a label when it must stay hidden."""
        label = self.label(loc)
        return f"({label})" if label else quote(value)

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
        """The plain value of a node; marks, problems and hidden values are recorded on the way.

        Args:
            node: the node to read, e.g. the root from `yaml.compose`.
            loc: where the node is in the data; `()` for the root.

        Raises:
            DocumentTooLarge: when the document expands to too many values.
        """
        self._count += 1
        if self._count > _MAX_VALUES:
            raise DocumentTooLarge
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
                message = f"duplicate key {quote(key)}; it is already set on line {first}"
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
