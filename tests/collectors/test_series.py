"""The series catalogue is the one place a series is named (issue 15)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from collectors.series import CATALOGUE, by_name

ROOT = Path(__file__).resolve().parents[2]
_PREFIXES = "chatwoot|sidekiq|pipeline|aws|widget|logs|source|json"
SERIES_NAME = re.compile(rf"^({_PREFIXES})\.[a-z0-9_]+(\.[a-z0-9_]+)*$")
"""What a series name looks like: a source prefix, a dot, then dotted words."""
F_STRING_PART = re.compile(rf"^({_PREFIXES})\.[a-z0-9_]")
"""The head of a series name built in an f-string (`f"chatwoot.sla.{name}"`)."""


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of string constants that are docstrings (a statement of their own)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def _series_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found += [
                f"{where}:{node.lineno}: f-string {part.value!r}"
                for part in node.values
                if isinstance(part, ast.Constant)
                and isinstance(part.value, str)
                and F_STRING_PART.match(part.value)
            ]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and SERIES_NAME.match(node.value)
        ):
            found.append(f"{where}:{node.lineno}: {node.value!r}")
    return found


def test_no_series_name_is_spelled_out_in_the_tui_or_the_widgets() -> None:
    """Screens and widgets take series names from `collectors.series`, never a literal."""
    found = [
        hit
        for package in ("tui", "widgets")
        for path in sorted((ROOT / package).rglob("*.py"))
        for hit in _series_literals(path)
    ]
    assert found == []


def test_the_check_finds_a_literal_and_an_f_string(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    source = [
        '"""Docstring: `sidekiq.busy`."""',
        'N = "sidekiq.queue.size"',
        'X = f"chatwoot.sla.{N}"',
    ]
    bad.write_text("\n".join(source) + "\n")
    assert [hit.split(": ", 1)[1] for hit in _series_literals(bad)] == [
        "'sidekiq.queue.size'",
        "f-string 'chatwoot.sla.'",
    ]


def test_each_series_is_catalogued_once_with_a_unit_and_a_meaning() -> None:
    names = [spec.name for spec in CATALOGUE]
    assert len(names) == len(set(names)) == len(by_name())
    for spec in CATALOGUE:
        assert SERIES_NAME.match(spec.name), spec.name
        assert spec.unit in {"ms", "s", "%", "count", "bytes", "1/0"}, spec.name
        assert spec.meaning and spec.shown, spec.name
