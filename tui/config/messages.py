"""Wording pydantic's validation errors as config problems a person can act on.

Contract:

* **Where.** `translate_error` puts each error at the line and column of the
  value it is about (or of the key, for an unknown or non-text key), prefixed
  with the key path (`sources[0].interval: ...`), using the marks a
  `MarkedYamlReader` recorded. Errors about values the reader has already
  reported give nothing, so every mistake is said once.
* **How.** One line of plain English that names what is expected and what was
  found, in place of pydantic's "Input should ...". Unknown keys and source
  types get a "did you mean" hint when one is close (`did_you_mean`, which the
  models use too).
* **Secrets.** A value the reader hides is named by its label
  (`value from ${NAME}`, `value hidden`), also inside messages written by
  validators.
* **Duplicates.** `check_source_names` reports every source that reuses an
  earlier `name`, at its own `name` and with the line of the first; pydantic's
  own error for it is dropped.

The root model is passed in and source types come from the registry in
`collectors.base`, so this module does not import `tui.config.models`. Nothing here
imports Textual.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from collectors.alerts.rules import CONDITION_TYPES
from collectors.base import SOURCE_MODULES, SourceConfig, format_duration, parse_duration
from tui.config.errors import ConfigProblem
from tui.config.yaml_reader import Loc, MarkedYamlReader, kind_of, quote

__all__ = ["check_source_names", "did_you_mean", "translate_error"]

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


def did_you_mean(word: object, options: Iterable[str]) -> str:
    """A hint naming the option closest to a misspelt word, if one is close enough.

    Args:
        word: what was written; anything but text gets no hint.
        options: the words that would have been right.

    Returns:
        `; did you mean 'x'?`, ready to append to a message, or empty text.
    """
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
    """Drop the tags pydantic puts in locations inside discriminated union entries.

    A step is a tag when the mapping before it has that `type` (a source entry,
    a rule's `condition`), or, for a condition written without `type`, when it
    is the default `threshold`.
    """
    stripped: list[str | int] = []
    for index, step in enumerate(loc):
        entry = _lookup(data, tuple(stripped))
        if (
            index > 0
            and isinstance(step, str)
            and isinstance(entry, dict)
            and step not in entry
            and (
                entry.get("type") == step
                or (stripped[-1:] == ["condition"] and step == "threshold" and "type" not in entry)
            )
        ):
            continue
        stripped.append(step)
    return tuple(stripped)


def _known_types(loc: Loc) -> tuple[str, ...]:
    """The `type` values a union at `loc` accepts: condition types or source types."""
    if loc[-1:] == ("condition",):
        return CONDITION_TYPES
    return tuple(SOURCE_MODULES)


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


def _model_at(loc: Loc, data: Any, root: type[BaseModel]) -> type[BaseModel] | None:
    """The model that validates the mapping at `loc` when `root` validates `data`, if any."""
    annotation: Any = root
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


def _unknown_key(key: object, parent: Loc, data: Any, root: type[BaseModel]) -> str:
    message = f"unknown key {quote(key)}"
    model = _model_at(parent, data, root)
    if model is None:
        return message
    known = list(model.model_fields)
    hint = did_you_mean(key, known)
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
        return f"must be text, not {kind_of(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return f"must be a whole number, not {shown}"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"must be a number, not {shown}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, not {shown}"
    if kind == "list_type":
        return f"must be a list (one '- ' line per item), not {kind_of(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping (key: value lines), not {kind_of(value)}"
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
        return f"must be a file path, not {kind_of(value)}"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    return detail["msg"].replace("Input should be", "must be")


def translate_error(
    detail: ErrorDetails, data: Any, reader: MarkedYamlReader, root: type[BaseModel]
) -> ConfigProblem | None:
    """Turn one pydantic error into a problem at the right line and column.

    Args:
        detail: one entry of `ValidationError.errors()`.
        data: what was validated, as the reader read it.
        reader: the reader that read `data`, for marks and hidden values.
        root: the model that validated `data`, for the keys it knows.

    Returns:
        The problem, or None when it is already reported (by the reader, or
        by `check_source_names`).
    """
    kind = detail["type"]
    if kind == "duplicate_source_name":
        return None  # `check_source_names` reports it with better marks
    loc = _strip_tag(tuple(detail["loc"]), data)
    if any(loc[: len(done)] == done for done in reader.reported):
        return None
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})

    if kind in ("missing", "missing_key", "union_tag_not_found"):
        if kind == "missing":
            parent, key = loc[:-1], loc[-1]
        else:
            parent, key = loc, ctx.get("key", "type")
        message = f"missing required key {quote(key)}"
        if kind == "union_tag_not_found":
            message += f"; known types: {', '.join(_known_types(loc))}"
        return reader.at_value(parent, message)
    if kind == "duplicate_rule_name" and isinstance(ctx.get("index"), int):
        name_loc = (*loc, ctx["index"], "name")
        return reader.at_value(
            name_loc,
            f"rule {reader.show(name_loc, ctx.get('name'))} is given twice; merge the two entries",
        )
    if kind == "extra_forbidden":
        return reader.at_key(loc, _unknown_key(loc[-1], loc[:-1], data, root))
    if kind == "invalid_key" or (loc and loc[-1] == "[key]"):
        key_loc = loc[:-1] if loc and loc[-1] == "[key]" else loc
        return reader.at_key(key_loc, f"key {quote(key_loc[-1])} must be text")
    if kind == "union_tag_invalid":
        type_loc = (*loc, "type")
        tag = _lookup(data, type_loc)
        known = _known_types(loc)
        what = "condition type" if known is CONDITION_TYPES else "source type"
        message = f"unknown {what} {reader.show(type_loc, tag)}; known: {', '.join(known)}"
        if reader.label(type_loc) is None:
            message += did_you_mean(tag, known)
        return reader.at_value(type_loc, message)

    if isinstance(ctx.get("at"), str):
        loc = (*loc, ctx["at"])
    value = _lookup(data, loc)
    if value is _MISSING:
        value = detail["input"]
    message = _describe(detail, value, reader.show(loc, value))
    return reader.at_value(loc, reader.redact(message, loc))


def check_source_names(data: Any, reader: MarkedYamlReader) -> None:
    """Report the second and later sources that reuse a name, at their `name` value.

    Args:
        data: the whole config as the reader read it; anything but a mapping
            with a list of `sources` has nothing to check.
        reader: the reader that read `data`; the problems are added to its
            `problems`.
    """
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
