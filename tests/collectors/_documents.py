"""Hypothesis strategies for upstream documents: JSON Schema (the Chatwoot spec) and hostile JSON.

`from_schema` turns a schema of Chatwoot's spec (`fixtures/chatwoot/swagger_read.json`:
the answers the source reads, cut from `shared/chatwoot/swagger.json` of v4.15.1
without descriptions and examples; OpenAPI 3.1, so JSON Schema 2020-12: `type`
lists, `$ref`, `allOf`, `enum`, `nullable`)
into documents that satisfy it, with every `number` drawn from `NUMBERS`:
the values an upstream may legally send that no monitor should store
(negative and fractional counts, 401-digit integers, NaN, 1e12 timestamps).
With `invalid=True` any node may instead be any JSON value, so documents
that break the schema are drawn as well.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

NOW = 1781690400.0  # 2026-06-17 10:00:00 UTC: the clock every property test runs at

SPEC_PATH = Path(__file__).parent / "fixtures" / "chatwoot" / "swagger_read.json"

NUMBERS: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-1000, max_value=10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**420), max_value=10**420),
    st.floats(min_value=NOW - 3 * 86400, max_value=NOW + 86400),  # believable times
    st.sampled_from(
        [0, -1, 2**53, 2**53 + 1, -26344906.83, 1e12, 150, 100.0001, 1e308, 10**400, 0.5]
    ),
)
"""Every number JSON can carry and Chatwoot's spec allows where it says `number`."""

TEXT: st.SearchStrategy[str] = st.sampled_from(
    [
        "",
        "0",
        " 7 ",
        "-3",
        "1.5",
        "92.5%",
        "150%",
        "-1%",
        "1e999",
        "nan",
        "inf",
        "9" * 401,
        "open",
        "resolved",
        "Channel::WebWidget",
        "online",
        "2026-06-17T09:59:00Z",
        "\x1b[2J[red]x[/red]",
        "Chloé",
        "{",
    ]
)
"""Text that parsers might mistake for a number, a status or a time."""

KEYS: st.SearchStrategy[str] = st.sampled_from(
    [
        "meta",
        "data",
        "payload",
        "all_count",
        "open",
        "pending",
        "unassigned",
        "id",
        "created_at",
        "first_reply_created_at",
        "hit_rate",
        "previous",
        "stats",
        "distribution",
        "Attributes",
        "x",
    ]
)
"""Keys the parsers read, and one they do not."""

JSON: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=6,
)
"""Any JSON value, weighted toward hostile numbers and the keys parsers look for."""


def load_spec() -> Mapping[str, Any]:
    """The part of Chatwoot's spec the source reads."""
    spec: Mapping[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def response_schema(spec: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The schema of a path's `GET` 200 answer."""
    answer = spec["paths"][path]["get"]["responses"]["200"]
    schema: Mapping[str, Any] = answer["content"]["application/json"]["schema"]
    return schema


def from_schema(
    schema: Mapping[str, Any],
    spec: Mapping[str, Any],
    *,
    invalid: bool = False,
    depth: int = 6,
) -> st.SearchStrategy[Any]:
    """Documents of `schema` (resolving `$ref` in `spec`); with `invalid`, any node may be junk."""
    valid = _valid(schema, spec, invalid, depth)
    return st.one_of(valid, JSON) if invalid else valid


def _resolve(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _merged(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """`allOf` folded into one object schema (what the conversation list items use)."""
    schema = _resolve(schema, spec)
    if "allOf" not in schema:
        return schema
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    for part in schema["allOf"]:
        properties.update(_merged(part, spec).get("properties", {}))
    return {"type": "object", "properties": properties}


def _valid(
    schema: Mapping[str, Any], spec: Mapping[str, Any], invalid: bool, depth: int
) -> st.SearchStrategy[Any]:
    schema = _merged(schema, spec)
    if depth <= 0:
        return st.none()
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return st.one_of(
                *(from_schema(s, spec, invalid=invalid, depth=depth - 1) for s in schema[key])
            )
    types = schema.get("type", "object" if "properties" in schema else None)
    kinds = types if isinstance(types, list) else [types]
    options = [_of_type(kind, schema, spec, invalid, depth) for kind in kinds]
    if schema.get("nullable"):
        options.append(st.none())
    return st.one_of(*options)


def _of_type(
    kind: str | None,
    schema: Mapping[str, Any],
    spec: Mapping[str, Any],
    invalid: bool,
    depth: int,
) -> st.SearchStrategy[Any]:
    if kind == "object":
        properties = {
            name: from_schema(sub, spec, invalid=invalid, depth=depth - 1)
            for name, sub in schema.get("properties", {}).items()
        }
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: v for k, v in properties.items() if k in required},
            optional={k: v for k, v in properties.items() if k not in required},
        )
    if kind == "array":
        items = from_schema(schema.get("items", {}), spec, invalid=invalid, depth=depth - 1)
        return st.lists(items, max_size=3)
    if kind in ("number", "integer"):
        return NUMBERS
    if kind == "string":
        return TEXT
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return JSON


def finite(value: float) -> bool:
    """A float a store and a screen can hold."""
    return isinstance(value, int | float) and math.isfinite(value) and abs(value) <= 2**53
